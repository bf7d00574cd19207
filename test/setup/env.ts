// Point Dawn (the `webgpu` package) at SwiftShader when no other Vulkan driver was chosen, so the
// WebGPU suites run on a machine with no GPU. A real adapter wins if the user set VK_ICD_FILENAMES.
import { existsSync, mkdirSync } from 'node:fs';

const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(swiftshader)) {
  process.env.VK_ICD_FILENAMES = swiftshader;
}
if (!process.env.XDG_RUNTIME_DIR) {
  const dir = '/tmp/genlab-xdg';
  mkdirSync(dir, { recursive: true });
  process.env.XDG_RUNTIME_DIR = dir;
}
