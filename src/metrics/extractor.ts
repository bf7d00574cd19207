/**
 * FeatureExtractor: what the metrics need from a network. Any network fits: pass your own to
 * measure FID in its feature space (as torch-fidelity takes any feature extractor); the shipped
 * FeatureNet (feature-net.ts) is the default for 28x28 grey images.
 */
import { tidy } from '../memory.js';
import { noGrad } from '../autograd.js';
import { slice, softmax } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import type { FeatureNet } from './feature-net.js';

/** What a FeatureExtractor returns for N images. */
export interface Extracted {
  /** N rows of `featureDim` features, row-major. */
  features: Float64Array;
  /** N rows of class probabilities (softmax), when the extractor classifies. */
  probs?: Float64Array;
  /** N, the images extracted. */
  n: number;
}

/** A network as the metrics use it: images in, feature rows (and class probabilities) out. */
export interface FeatureExtractor {
  /** Names the feature space in reports (FID is only comparable within one). */
  readonly name: string;
  /** Features per image. */
  readonly featureDim: number;
  /** Number of classes of `probs`; absent for extractors without a classifier (then no IS). */
  readonly classes?: number;
  /** Features (and class probabilities) of images [N, C, H, W] in [0, 1]. */
  extract(images: Tensor): Promise<Extracted>;
}

/** A FeatureNet as a FeatureExtractor: eval mode, no gradients, in batches of `batch` on the net's device. */
export function featureNetExtractor(net: FeatureNet, name: string, batch = 500): FeatureExtractor {
  net.eval();
  const device = net.parameters()[0]!.device;
  return {
    name,
    featureDim: net.fc1.outFeatures,
    classes: net.classes,
    async extract(images) {
      const n = images.shape[0]!;
      const features = new Float64Array(n * net.fc1.outFeatures);
      const probs = new Float64Array(n * net.classes);
      for (let start = 0; start < n; start += batch) {
        const stop = Math.min(n, start + batch);
        const part = slice(images, [{ start, stop }]);
        const moved = part.device === device ? part : await part.to(device);
        const [f, p] = noGrad(() => tidy(() => {
          const feats = net.features(moved);
          return [feats, softmax(net.head(feats), -1)] as const;
        }));
        features.set(await f.data(), start * net.fc1.outFeatures);
        probs.set(await p.data(), start * net.classes);
        // A slice of every row is `images` itself, which stays the caller's to free.
        for (const t of new Set([part, moved, f, p])) if (t !== images) t.dispose();
      }
      return { features, probs, n };
    },
  };
}
