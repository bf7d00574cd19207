/** `genlab info`: the backends this machine offers (adapter, whether it is software, key limits) and the models. */
import * as T from '../index.js';
import { listModels } from '../../models/index.js';

const LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension',
];

export async function info(): Promise<number> {
  console.log(`cpu     ${T.deviceInfo('cpu').adapter}`);
  try {
    console.log(`wasm    ${(await T.initWasm()).adapter}`);
  } catch (e) {
    console.log(`wasm    unavailable: ${(e as Error).message}`);
  }
  try {
    const gpu = await T.initWebGPU();
    console.log(`webgpu  ${gpu.adapter}${gpu.isSoftware ? ' (software adapter: runs on the CPU cores)' : ''}`);
    for (const name of LIMITS) console.log(`        ${name.padEnd(36)} ${gpu.limits?.[name]?.toLocaleString('en-US') ?? '-'}`);
    console.log(`        features: ${gpu.features?.length ? gpu.features.join(', ') : '(none)'}`);
  } catch (e) {
    console.log(`webgpu  unavailable: ${(e as Error).message}`);
  }
  console.log('\nmodels:');
  for (const m of listModels()) {
    console.log(`  ${m.name.padEnd(20)} ${m.description}`);
    // The keys `genlab train --config key=value` accepts, with their defaults.
    const choices = (m.choices ?? {}) as Record<string, readonly string[] | undefined>;
    const keys = Object.entries(m.config).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}${choices[k] ? ` (${choices[k]!.join('|')})` : ''}`);
    if (keys.length > 0) console.log(`  ${''.padEnd(20)} config: ${keys.join(' ')}`);
  }
  return 0;
}
