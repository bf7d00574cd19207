/**
 * The feature network that stands in for Inception-v3 on 28x28 grey images: a small CNN
 * classifier trained by scripts/train-feature-net.ts on MNIST or Fashion-MNIST and shipped as
 * safetensors in assets/. Its penultimate layer (128 ReLU units) gives the features of FID, KID
 * and precision/recall; its softmax gives IS and the class accuracy of conditional models.
 *
 *   [N, 1, 28, 28] in [0, 1]
 *   conv 3x3 stride 2 pad 1, 16, BN, ReLU   -> 16 x 14 x 14
 *   conv 3x3 stride 2 pad 1, 32, BN, ReLU   -> 32 x 7 x 7
 *   conv 3x3 stride 2, 64, BN, ReLU         -> 64 x 3 x 3
 *   linear 576 -> 128, ReLU             (features)
 *   dropout 0.3, linear 128 -> 10       (logits)
 *
 * Strided convolutions rather than pooling: on two shared CPU cores the element-wise work on
 * full-resolution maps costs more than the convolutions. Batch norm makes the few thousand
 * steps there is time for enough. 98,666 parameters (+ 224 running statistics), 396 kB in float32.
 */
import { nn } from '../index.js';
import { dropout, flatten, relu } from '../ops/index.js';
import type { DeviceName } from '../backend/backend.js';
import type { Tensor } from '../tensor.js';

/** Features per image of the FeatureNet (its penultimate layer's width). */
export const FEATURE_DIM = 128;

/** The metrics' feature network (the layers above); load the shipped weights with loadFeatureNet in Node. */
export class FeatureNet extends nn.Module {
  /** 1 → 16 channels, 28 → 14. */
  conv1: nn.Conv2d;
  /** 16 → 32 channels, 14 → 7. */
  conv2: nn.Conv2d;
  /** 32 → 64 channels, 7 → 3. */
  conv3: nn.Conv2d;
  /** Batch norm after conv1. */
  bn1: nn.BatchNorm2d;
  /** Batch norm after conv2. */
  bn2: nn.BatchNorm2d;
  /** Batch norm after conv3. */
  bn3: nn.BatchNorm2d;
  /** 576 → 128: the features. */
  fc1: nn.Linear;
  /** 128 → classes: the logits. */
  fc2: nn.Linear;

  /**
   * @param classes Outputs of the classifier head (default 10).
   * @param device Where the weights live (default the default device).
   */
  constructor(readonly classes = 10, device?: DeviceName) {
    super();
    this.conv1 = new nn.Conv2d(1, 16, 3, { stride: 2, padding: 1, device });
    this.conv2 = new nn.Conv2d(16, 32, 3, { stride: 2, padding: 1, device });
    this.conv3 = new nn.Conv2d(32, 64, 3, { stride: 2, device });
    this.bn1 = new nn.BatchNorm2d(16, { device });
    this.bn2 = new nn.BatchNorm2d(32, { device });
    this.bn3 = new nn.BatchNorm2d(64, { device });
    this.fc1 = new nn.Linear(64 * 3 * 3, FEATURE_DIM, { device });
    this.fc2 = new nn.Linear(FEATURE_DIM, classes, { device });
  }

  /** Penultimate features [N, 128] of images [N, 1, 28, 28] in [0, 1]. */
  features(x: Tensor): Tensor {
    let h = relu(this.bn1.forward(this.conv1.forward(x)));
    h = relu(this.bn2.forward(this.conv2.forward(h)));
    h = relu(this.bn3.forward(this.conv3.forward(h)));
    return relu(this.fc1.forward(flatten(h, 1)));
  }
  /** Class logits [N, classes] from features. */
  head(features: Tensor): Tensor {
    return this.fc2.forward(this.training ? dropout(features, 0.3) : features);
  }

  /** Class logits [N, classes] of images [N, 1, 28, 28] in [0, 1]. */
  forward(x: Tensor): Tensor {
    return this.head(this.features(x));
  }
}
