/**
 * A feature network from its parsed safetensors file, without the file system: the browser
 * fetches assets/feature-net-*.safetensors and builds the same extractor `genlab eval` loads.
 */
import type { SafetensorsContents } from '../io/safetensors.js';
import { featureNetExtractor, type FeatureExtractor } from './extractor.js';
import { FeatureNet } from './feature-net.js';

/** A FeatureNet on the CPU backend holding `file`'s weights (which it disposes), as an extractor named `name`. */
export function featureNetFromFile(file: SafetensorsContents, name: string): FeatureExtractor & { metadata: Record<string, string> } {
  const net = new FeatureNet(10, 'cpu');
  try {
    net.loadStateDict(file.tensors);
  } finally {
    for (const t of Object.values(file.tensors)) t.dispose();
  }
  return { ...featureNetExtractor(net, name), metadata: file.metadata };
}
