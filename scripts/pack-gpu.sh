#!/usr/bin/env bash
# Packs .gpu/ for a Linux machine with an NVIDIA GPU (driver and its Vulkan ICD installed) but no
# Node and no network: a compressed Node binary, Dawn for Node (the `webgpu` package's native
# module), the Vulkan loader, a bundle of the entry (kernels composed and inlined) and run.sh.
#   scripts/pack-gpu.sh [ENTRY]          default entry: bench/node.ts
# Then on that machine, with .gpu/ copied next to the project:  .gpu/run.sh [entry args...]
# (bench/README.md, "On a machine with an NVIDIA GPU").
set -euo pipefail
entry=${1:-bench/node.ts}
root=$(git rev-parse --show-toplevel)
cd "$root"
out=.gpu
mkdir -p "$out/webgpu/dist/linux-x64" "$out/debs"
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> "$(git rev-parse --git-common-dir)/info/exclude"

# 1. Node itself (~24 MB compressed).
[ -f "$out/node.xz" ] || xz -T2 -6 -c "$(readlink -f "$(command -v node)")" > "$out/node.xz"

# 2. Dawn for Node: the package's loader files and its linux-x64 binary only.
dawn=node_modules/webgpu
[ -f "$dawn/dist/linux-x64/dawn.node" ] || { echo "pack-gpu: $dawn/dist/linux-x64/dawn.node is missing (npm ci first)" >&2; exit 1; }
cp "$dawn/package.json" "$dawn/index.js" "$out/webgpu/"
[ -f "$out/webgpu/dist/linux-x64/dawn.node.xz" ] || xz -T2 -6 -c "$dawn/dist/linux-x64/dawn.node" > "$out/webgpu/dist/linux-x64/dawn.node.xz"

# 3. The Vulkan loader (libvulkan.so.1) as a Debian package; the NVIDIA ICD is on the target.
if ! ls "$out"/debs/libvulkan1_*.deb >/dev/null 2>&1; then
  lists=$(mktemp -d)
  mkdir -p "$lists/partial"
  apt_opts=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists")
  apt-get "${apt_opts[@]}" update -qq >/dev/null
  (cd "$out/debs" && apt-get "${apt_opts[@]}" download -qq libvulkan1)
fi

# 4. The entry, bundled with everything but Dawn; .wgsl kernels composed with kernels/lib.
node --input-type=module -e "
  import * as esbuild from 'esbuild';
  import { wgslEsbuildPlugin } from './scripts/wgsl-compose.mjs';
  await esbuild.build({
    entryPoints: ['$entry'], bundle: true, platform: 'node', format: 'esm', target: 'node20',
    mainFields: ['module', 'main'], external: ['webgpu'], plugins: [wgslEsbuildPlugin],
    outfile: '$out/main.mjs', logLevel: 'warning',
  });"
cp bench/torch_matmul.py "$out/"

# 5. run.sh: unpack next to itself (no root needed), point Dawn at the NVIDIA ICD unless a Vulkan
# driver is already chosen, run the bundle, then the PyTorch reference where torch has CUDA.
cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
[ -x node ] || { xz -dc node.xz > node; chmod +x node; }
[ -f webgpu/dist/linux-x64/dawn.node ] || xz -dk webgpu/dist/linux-x64/dawn.node.xz
mkdir -p node_modules vulkan
[ -e node_modules/webgpu ] || ln -s ../webgpu node_modules/webgpu
for deb in debs/*.deb; do dpkg -x "$deb" vulkan; done
export LD_LIBRARY_PATH="$here/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    [ -f "$icd" ] && { export VK_DRIVER_FILES="$icd"; break; }
  done
fi
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
results=${OUT:-$here/results}
mkdir -p "$results"
command -v nvidia-smi >/dev/null && nvidia-smi -L || true
./node main.mjs --json "$results/node.json" "$@" 2>&1 | tee "$results/log.txt"
if command -v python3 >/dev/null && python3 -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  python3 torch_matmul.py --merge "$results/node.json" 2>&1 | tee "$results/torch.txt"
fi
RUN
chmod +x "$out/run.sh"
du -sh "$out"
echo "Carry $out/ to the GPU machine and run: $out/run.sh [--quick] [--filter ...]"
