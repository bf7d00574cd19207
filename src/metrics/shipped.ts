/**
 * The shipped feature networks (Node): assets/feature-net-{mnist,fashion-mnist}.safetensors,
 * trained by scripts/train-feature-net.ts (docs/metrics.md says how, and how well).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MissingFileError } from '../io/format-error.js';
import { loadSafetensors } from '../io/safetensors-file.js';
import { ArgumentError } from '../errors.js';
import type { FeatureExtractor } from './extractor.js';
import { featureNetFromFile } from './feature-net-file.js';

/** The datasets a trained FeatureNet ships for (in assets/). */
export const SHIPPED_FEATURE_NETS = ['mnist', 'fashion-mnist'] as const;
/** The name of a shipped feature network: 'mnist' or 'fashion-mnist'. */
export type ShippedFeatureNet = (typeof SHIPPED_FEATURE_NETS)[number];

/**
 * The assets/ file of a shipped net. The sources (src/metrics/), the bundle (dist/, dist/cli/)
 * and an installed package sit at different depths below the package root, so look upwards.
 */
export function featureNetPath(name: ShippedFeatureNet): string {
  const file = `feature-net-${name}.safetensors`;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++, dir = dirname(dir)) {
    const path = join(dir, 'assets', file);
    if (existsSync(path)) return path;
  }
  throw new MissingFileError(`feature network '${name}': assets/${file} was not found above ${dirname(fileURLToPath(import.meta.url))}; retrain it with scripts/train-feature-net.ts ${name}`);
}

/** A shipped feature network on the CPU backend, as a FeatureExtractor; `metadata` tells how it was trained. */
export function loadFeatureNet(name: string): FeatureExtractor & { metadata: Record<string, string> } {
  if (!(SHIPPED_FEATURE_NETS as readonly string[]).includes(name)) {
    throw new ArgumentError(`loadFeatureNet: no shipped feature network for '${name}' (there are: ${SHIPPED_FEATURE_NETS.join(', ')}); pass your own FeatureExtractor`);
  }
  return featureNetFromFile(loadSafetensors(featureNetPath(name as ShippedFeatureNet)), `feature-net-${name}`);
}
