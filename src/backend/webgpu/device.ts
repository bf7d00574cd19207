/**
 * Acquiring a WebGPU adapter + device, and watching it for trouble.
 *
 * In a browser `navigator.gpu` is used; in Node the `webgpu` package (Dawn) is imported lazily so
 * browser bundles never pull it in. The device is requested with every limit the adapter really
 * has (the defaults are far smaller, e.g. 128 MiB storage bindings) so big tensors fit.
 */
import { DeviceError } from '../../errors.js';

/** GPUBufferUsage / GPUMapMode flag values (fixed by the spec); local so Node needs no globals. */
export const BufferUsage = {
  MAP_READ: 0x0001,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
} as const;
export const MAP_MODE_READ = 0x0001;

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  description: string;
  /** A CPU implementation (SwiftShader, llvmpipe, a fallback adapter): changes kernel choices. */
  isSoftware: boolean;
}

export interface AcquireOptions {
  /** An already created `GPU` (e.g. from `create([])` of the `webgpu` package). */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
}

export interface AcquiredDevice {
  gpu: GPU;
  adapter: GPUAdapter;
  device: GPUDevice;
  info: AdapterDescription;
}

const HOW_TO_GET_AN_ADAPTER =
  'In Node, the `webgpu` package needs a Vulkan driver: on a machine without a GPU install the Debian ' +
  'packages `chromium` and `libvulkan1` and set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json ' +
  'and XDG_RUNTIME_DIR (any writable directory). In a browser, use Chrome (or another browser with WebGPU ' +
  'enabled) on a page served from http://localhost or https.';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

const INSTALL_DAWN =
  'WebGPU in Node needs the `webgpu` package (Dawn), an optional peer dependency of @genlab/tensor ' +
  'that is not installed: `npm install webgpu` (the CPU backend works without it).';

/** The `webgpu` package's `create`, loaded on demand; a missing package is asked for by name. */
async function loadDawn(): Promise<typeof import('webgpu').create> {
  // A computed specifier keeps browser bundlers from trying to bundle the Node-only package.
  const moduleName = 'webgpu';
  try {
    return ((await import(/* @vite-ignore */ moduleName)) as typeof import('webgpu')).create;
  } catch (err) {
    const { code, message } = err as { code?: string; message?: string };
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message?.includes(`'${moduleName}'`)) throw new DeviceError(INSTALL_DAWN);
    throw err;
  }
}

/**
 * In Node with no Vulkan driver chosen, Dawn finds no adapter on a machine without a GPU. If
 * Debian's Chromium is installed, its SwiftShader ICD is a working software adapter: point the
 * Vulkan loader at it (it reads the variable when Dawn makes a new instance) and try again.
 */
async function softwareFallbackGPU(): Promise<GPU | null> {
  const proc = (globalThis as { process?: NodeJS.Process }).process;
  if (!proc?.versions?.node || proc.env.VK_ICD_FILENAMES || proc.env.VK_DRIVER_FILES) return null;
  const fs = proc.getBuiltinModule?.('node:fs') as typeof import('node:fs') | undefined;
  const os = proc.getBuiltinModule?.('node:os') as typeof import('node:os') | undefined;
  if (!fs?.existsSync(SWIFTSHADER_ICD)) return null;
  proc.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  return (await loadDawn())([]);
}

/**
 * On Linux with no Vulkan driver chosen and no GPU device node (/dev/dri/renderD*, /dev/nvidia*,
 * WSL's /dev/dxg), the only adapters are software ones: go straight to Chromium's SwiftShader ICD
 * (if installed) before Dawn's first probe. Left to probe every installed ICD, Dawn tries Mesa's
 * lavapipe, rejects it and prints "Vulkan shaderUniform*ArrayDynamicIndexing required" on every run.
 */
function chooseSoftwareIcdWithoutGpu(): void {
  const proc = (globalThis as { process?: NodeJS.Process }).process;
  if (!proc?.versions?.node || proc.platform !== 'linux' || proc.env.VK_ICD_FILENAMES || proc.env.VK_DRIVER_FILES) return;
  const fs = proc.getBuiltinModule?.('node:fs') as typeof import('node:fs') | undefined;
  if (!fs?.existsSync(SWIFTSHADER_ICD)) return;
  const renderNodes = fs.existsSync('/dev/dri') ? fs.readdirSync('/dev/dri').filter((name) => name.startsWith('renderD')) : [];
  if (renderNodes.length > 0 || fs.existsSync('/dev/nvidiactl') || fs.existsSync('/dev/dxg')) return;
  proc.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}

/** Vulkan's window-system probing wants a private XDG_RUNTIME_DIR; headless Node rarely has one. */
function ensureRuntimeDir(): void {
  const proc = (globalThis as { process?: NodeJS.Process }).process;
  if (!proc?.versions?.node || proc.env.XDG_RUNTIME_DIR) return;
  const fs = proc.getBuiltinModule?.('node:fs') as typeof import('node:fs') | undefined;
  const os = proc.getBuiltinModule?.('node:os') as typeof import('node:os') | undefined;
  if (!fs || !os) return;
  const dir = `${os.tmpdir()}/genlab-xdg-${proc.getuid?.() ?? 'user'}`;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  proc.env.XDG_RUNTIME_DIR = dir;
}

async function findGPU(injected?: GPU): Promise<GPU> {
  if (injected) return injected;
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  const isNode = typeof process !== 'undefined' && !!process.versions?.node;
  if (!isNode) throw new DeviceError(`WebGPU is not available here (navigator.gpu is missing). ${HOW_TO_GET_AN_ADAPTER}`);
  try {
    ensureRuntimeDir();
    chooseSoftwareIcdWithoutGpu();
    return (await loadDawn())([]);
  } catch (err) {
    if (err instanceof DeviceError) throw err;
    throw new DeviceError(`Could not load the \`webgpu\` package (${(err as Error).message}). ${HOW_TO_GET_AN_ADAPTER}`);
  }
}

function describe(adapter: GPUAdapter): AdapterDescription {
  const info = adapter.info;
  const vendor = info?.vendor ?? '';
  const architecture = info?.architecture ?? '';
  const description = info?.description ?? '';
  const text = `${vendor} ${architecture} ${description}`.toLowerCase();
  const isSoftware = !!info?.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|software/.test(text);
  return { vendor, architecture, description, isSoftware };
}

/** Every numeric limit by name (GPUSupportedLimits exposes them as prototype getters, hence for..in). */
export function numericLimits(limits: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name in limits) {
    const value = (limits as unknown as Record<string, unknown>)[name];
    if (typeof value === 'number') out[name] = value;
  }
  return out;
}

export async function acquireDevice(opts: AcquireOptions = {}): Promise<AcquiredDevice> {
  const adapterOptions = opts.powerPreference ? { powerPreference: opts.powerPreference } : undefined;
  let gpu = await findGPU(opts.gpu);
  let adapter = await gpu.requestAdapter(adapterOptions);
  const fallback = adapter || opts.gpu ? null : await softwareFallbackGPU();
  if (fallback) {
    gpu = fallback;
    adapter = await gpu.requestAdapter(adapterOptions);
  }
  if (!adapter) throw new DeviceError(`No WebGPU adapter found. ${HOW_TO_GET_AN_ADAPTER}`);

  const requiredLimits = numericLimits(adapter.limits);
  const requiredFeatures = (['subgroups', 'timestamp-query'] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  } catch (err) {
    throw new DeviceError(`The WebGPU adapter refused to create a device: ${(err as Error).message}`);
  }
  return { gpu, adapter, device, info: describe(adapter) };
}

/**
 * Collects the ways a device can fail after creation: loss, and validation / out-of-memory errors
 * that surface asynchronously. Errors are raised at the next flush or read, the first points
 * where the caller can meaningfully observe them.
 */
export class DeviceHealth {
  private lostReason: string | undefined;
  private readonly errors: string[] = [];

  constructor(device: GPUDevice) {
    void device.lost.then((info) => {
      // A deliberate destroy() is not a failure worth reporting as "lost".
      this.lostReason = info.reason === 'destroyed' ? 'the device was destroyed' : `the device was lost: ${info.message}`;
    });
    device.onuncapturederror = (event) => this.record(event.error.message);
  }

  record(message: string): void {
    this.errors.push(message);
  }

  get lost(): boolean {
    return this.lostReason !== undefined;
  }

  /** Throws if the device is gone; called before any work is enqueued. */
  assertAlive(): void {
    if (this.lostReason !== undefined) throw new DeviceError(`WebGPU backend unusable: ${this.lostReason}.`);
  }

  /** Throws (once) the errors recorded since the last check. */
  raiseRecorded(): void {
    this.assertAlive();
    if (this.errors.length === 0) return;
    const messages = this.errors.splice(0);
    throw new DeviceError(`WebGPU reported ${messages.length} error(s): ${messages.join(' | ')}`);
  }
}
