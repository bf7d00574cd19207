/**
 * What the self-supervised encoders share (notes 004 §1; docs/models.md "Representation
 * learning"): the small CNN encoder, the MLP heads, and the three objectives as functions of
 * tensors, so each can be checked against a hand computation.
 *
 * - `ntXent` (SimCLR, notes 004 §1.1): the 2N x 2N cosine-similarity matrix of both views of N
 *   images; each row's positive is the other view of its image, the other 2N - 2 are negatives.
 * - `infoNce` (MoCo, §1.2): the positive key from the momentum encoder against a queue of K past keys.
 * - `dinoLoss` (DINO, §1.3): cross-entropy between the teacher's centred, sharpened softmax and the
 *   student's softmax over every (teacher view, other student view) pair; `centred` moves the centre.
 */
import * as T from '../../src/index.js';
import { nn } from '../../src/index.js';
import type { DeviceName, Tensor } from '../../src/index.js';

/**
 * conv 3x3 (1 -> w), then stride-2 convs to 2w at 14x14 and 4w at 7x7, a last 3x3 conv at 4w,
 * each with GroupNorm (4 groups) and ReLU, then the global average: 4w features for any input
 * size (DINO's 14x14 local crops too). GroupNorm rather than batch norm: normalising within one
 * image lets no batch statistic tell the two views of an image apart from the others (MoCo's
 * "shuffling BN" problem), and train and eval modes compute the same features.
 */
export class ConvEncoder extends nn.Sequential {
  readonly features: number;

  constructor(width: number, device?: DeviceName) {
    super();
    const widths = [width, 2 * width, 4 * width, 4 * width];
    widths.forEach((c, i) => {
      this.append(new nn.Conv2d(i === 0 ? 1 : widths[i - 1]!, c, 3, { stride: i === 1 || i === 2 ? 2 : 1, padding: 1, device }));
      this.append(new nn.GroupNorm(4, c, { device }));
      this.append(new nn.ReLU());
    });
    this.features = 4 * width;
  }

  /** Features [N, 4w]: the last feature map averaged over its positions. */
  override forward(x: Tensor): Tensor {
    return T.flatten(T.globalAvgPool2d(super.forward(x)), 1);
  }
}

/** in -> hidden -> ReLU -> out: SimCLR's and MoCo v2's projection head. */
export function mlpHead(inputs: number, hidden: number, outputs: number, device?: DeviceName): nn.Sequential {
  return new nn.Sequential(new nn.Linear(inputs, hidden, { device }), new nn.ReLU(), new nn.Linear(hidden, outputs, { device }));
}

/** Rows scaled to unit length. */
const unit = (z: Tensor) => T.normalize(z, { axis: 1 });

/**
 * NT-Xent over 2N views: z1[i] and z2[i] are two views of image i. With s(a, b) the cosine
 * similarity, row a's loss is -log exp(s(a, a⁺)/τ) / Σ_{b ≠ a} exp(s(a, b)/τ); the mean over the 2N rows.
 */
export function ntXent(z1: Tensor, z2: Tensor, temperature: number): Tensor {
  const n = z1.shape[0]!;
  const z = unit(T.cat([z1, z2], 0));
  const similarity = T.div(T.matmul(z, T.transpose(z)), temperature);
  // A view is not its own negative: its self-similarity is left out of the denominator.
  const self = T.eq(T.eye(2 * n, 2 * n, { device: z.device }), 1);
  const logits = T.where(self, -1e9, similarity);
  const positives = Array.from({ length: 2 * n }, (_, a) => (a < n ? a + n : a - n));
  return T.crossEntropy(logits, T.tensor(positives, { shape: [2 * n], dtype: 'int32', device: z.device }));
}

/**
 * MoCo's InfoNCE: the queries q [N, d] against their keys k [N, d] (the positives) and the queue
 * [K, d] of earlier keys (the negatives), cosine similarities over τ, the positive in column 0.
 * The keys come from the momentum encoder and carry no gradient. With `batchNegatives`, the
 * other N - 1 keys of the batch are negatives too (after the positive, before the queue): keys
 * made by the same encoder at the same step as the positive, so a query cannot find its positive
 * by how recent it is (see Moco).
 */
export function infoNce(q: Tensor, k: Tensor, queue: Tensor, temperature: number, batchNegatives = false): Tensor {
  const qn = unit(q);
  const kn = unit(k.detach());
  const n = q.shape[0]!;
  const positive = T.sum(T.mul(qn, kn), 1, true);
  const columns = [positive];
  if (batchNegatives) {
    // Row i's own key is the positive, already in column 0: masked out here.
    const self = T.eq(T.eye(n, n, { device: q.device }), 1);
    columns.push(T.where(self, -1e9, T.matmul(qn, T.transpose(kn))));
  }
  columns.push(T.matmul(qn, T.transpose(queue)));
  const logits = T.div(T.cat(columns, 1), temperature);
  return T.crossEntropy(logits, T.zeros([n], { dtype: 'int32', device: q.device }));
}

/** The FIFO queue after enqueuing `keys` [N, d]: the newest N rows first, the oldest N dropped. */
export function enqueued(queue: Tensor, keys: Tensor): Tensor {
  const size = queue.shape[0]!;
  const n = keys.shape[0]!;
  if (n >= size) return unit(T.slice(keys.detach(), [{ stop: size }]));
  return T.cat([unit(keys.detach()), T.slice(queue, [{ stop: size - n }])], 0);
}

/**
 * DINO's loss: teacher outputs (global views only) centred by `centre` and sharpened by a low
 * temperature τt, student outputs (every view) at τs; H(P_t(view i), P_s(view j)) averaged over
 * the pairs with j ≠ i. The teacher's side carries no gradient.
 */
export function dinoLoss(student: Tensor[], teacher: Tensor[], centre: Tensor, studentTemperature: number, teacherTemperature: number): Tensor {
  const targets = teacher.map((t) => T.softmax(T.div(T.sub(t.detach(), centre), teacherTemperature), -1));
  const logProbs = student.map((s) => T.logSoftmax(T.div(s, studentTemperature), -1));
  const terms: Tensor[] = [];
  targets.forEach((p, i) => logProbs.forEach((logQ, j) => {
    if (i !== j) terms.push(T.neg(T.mean(T.sum(T.mul(p, logQ), -1))));
  }));
  return T.div(terms.reduce((a, b) => T.add(a, b)), terms.length);
}

/** The centre after a step: c ← m·c + (1 - m)·(mean of the teacher's outputs over the batch and its views). */
export function centred(centre: Tensor, teacher: Tensor[], momentum: number): Tensor {
  const batchMean = T.mean(T.cat(teacher.map((t) => t.detach()), 0), 0);
  return T.add(T.mul(centre, momentum), T.mul(batchMean, 1 - momentum));
}

/** Replace a buffer's values with `next` (no tape), disposing `next`. */
export function assignBuffer(buffer: Tensor, next: Tensor): void {
  T.noGrad(() => buffer.assign_(next));
  next.dispose();
}
