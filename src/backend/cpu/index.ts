export { CpuBackend, cpuBackend, type CpuStorage } from './cpu-backend';
export { erf } from './erf';
