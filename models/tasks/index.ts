/**
 * Synthetic image-to-image tasks made from digits on the fly (notes 003 "Image-to-image
 * translation": pix2pix's paired and CycleGAN's unpaired settings, StarGAN's domains, SPADE's
 * semantic layouts). There is no public 28x28 paired dataset, so each task defines its domains by
 * image operations (image-ops.ts) on MNIST or Fashion-MNIST images. A task turns a batch of N
 * images [N, 1, 28, 28] in [0, 1] (on the CPU) into a batch record, deterministically from a seed:
 *
 * | task | kind | record | made as |
 * | --- | --- | --- | --- |
 * | `edges` | paired | `{ source, target }` | source = the strokes' outline, dilate(x) - x; target = x |
 * | `occluded` | paired | `{ source, target }` | source = x with a grey (0.5) square of 9-13 px at a seeded place; target = x |
 * | `inverted` | unpaired | `{ a, b }` | a = the first N/2 digits; b = 1 - the other N/2 |
 * | `thick` | unpaired | `{ a, b }` | a = plus-shaped erosion of the first N/2 (thin); b = 3 x 3 dilation of the others (thick) |
 * | `italic` | unpaired | `{ a, b }` | a = the first N/2 (upright); b = the others sheared by s ~ U(0.3, 0.45) (slanted right) |
 * | `attributes` | domains | `{ images, labels }` | each digit gets a seeded domain d (`labels`, int32) of ATTRIBUTES and is drawn in it |
 * | `label-map` | layout | `{ labelMap, images }` | labelMap = one-hot {background, stroke, hole} [N, 3, H, W] (stroke: x > 0.5; hole: flood fill); images = x |
 * | `captions` | text | `{ images, tokens }` | tokens = "a {thin\|thick} {upright\|slanted} {digit}" (int32 [N, 4], captions.ts); images = x drawn so (needs the labels) |
 * | `instances` | instances | `{ a, masksA, b, masksB }` | N/2 canvases a of two halved digits side by side, N/2 canvases b of two other digits halved and dilated (bold); masks [N/2, 2, 28, 28], one per digit (instances.ts) |
 * | `layouts` | layout | `{ images, boxes, classes }` | 48 px canvases of 3 digits each (digits j, j+1, j+2) resized to 16-24 px at seeded places; boxes [N, 3, 4] (x1, y1, x2, y2) in canvas fractions, classes [N, 3] their labels (layouts.ts; needs the labels) |
 *
 * Image fields are in [0, 1] here; `genlab train` scales them to the model's data range (the
 * label map, masks and labels stay as they are). Unpaired tasks draw their two domains from different
 * digits, so no pair is ever seen.
 */
import * as T from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { BatchField } from '../protocol.js';
import { captionsRecord } from './captions.js';
import { dilate, erodePlus, holes, invert, outline, rotationMatrices, shearMatrices, uniforms, warp } from './image-ops.js';
import { instancesRecord } from './instances.js';
import { layoutsRecord } from './layouts.js';

export type TaskName = 'edges' | 'occluded' | 'inverted' | 'thick' | 'italic' | 'attributes' | 'label-map' | 'captions' | 'instances' | 'layouts';

export interface Task {
  name: TaskName;
  kind: 'paired' | 'unpaired' | 'domains' | 'layout' | 'text' | 'instances';
  description: string;
  /** The fields of the record it makes. */
  fields: readonly BatchField[];
  /** The record of a batch of images [N, 1, H, W] in [0, 1] on the CPU; `labels` (int32 [N]) are the digits' classes, which some tasks need. */
  make(images: Tensor, seed: number, labels?: Tensor): Record<string, Tensor>;
}

/** The attribute domains of the `attributes` task, in label order. */
export const ATTRIBUTES = ['thick', 'thin', 'italic', 'inverted', 'rotated'] as const;
/** The classes of the `label-map` task's channels, in order. */
export const LABEL_MAP_CLASSES = ['background', 'stroke', 'hole'] as const;
/** Fields holding images (scaled to a model's data range), as opposed to label maps and labels. */
export const IMAGE_FIELDS: ReadonlySet<string> = new Set(['images', 'source', 'target', 'a', 'b']);

/** The occluder's side in pixels: 9 to 13. */
const OCCLUDER = [9, 13] as const;
/** The italic shear: s ~ U(0.3, 0.45) (about 17-24 degrees). */
const SHEAR = [0.3, 0.45] as const;
/** The rotated domain: ±(25-40) degrees. */
const ROTATION = [(25 * Math.PI) / 180, (40 * Math.PI) / 180] as const;

const between = (u: number, [lo, hi]: readonly [number, number]) => lo + u * (hi - lo);

/** The two halves of a batch: the digits of domain a and, different ones, of domain b. */
function halves(images: Tensor): [Tensor, Tensor] {
  const half = Math.floor(images.shape[0]! / 2);
  if (half === 0) throw new T.ShapeError(`translation task: an unpaired batch needs at least 2 images, got ${T.fmtShape(images.shape)}`);
  return [T.slice(images, [{ stop: half }]), T.slice(images, [{ start: half, stop: 2 * half }])];
}

/** x with a grey square per image, side and place drawn from `seed`. */
export function occlude(x: Tensor, seed: number): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const u = uniforms(seed, 1, 3 * n);
  const mask = new Float32Array(n * c * h * w);
  for (let i = 0; i < n; i++) {
    const side = Math.round(between(u[3 * i]!, OCCLUDER));
    // Centred boxes cover ink more often: the top-left corner stays within the middle of the canvas.
    const top = 4 + Math.floor(u[3 * i + 1]! * (h - 8 - side + 1));
    const left = 4 + Math.floor(u[3 * i + 2]! * (w - 8 - side + 1));
    for (let ch = 0; ch < c; ch++) for (let r = top; r < top + side; r++) mask.fill(1, ((i * c + ch) * h + r) * w + left, ((i * c + ch) * h + r) * w + left + side);
  }
  const m = T.tensor(mask, { shape: [n, c, h, w], device: x.device });
  return T.add(T.mul(x, T.sub(1, m)), T.mul(m, 0.5));
}

/** x sheared right by s ~ U(SHEAR) per image. */
export function italicize(x: Tensor, seed: number, stream = 2): Tensor {
  const u = uniforms(seed, stream, x.shape[0]!);
  return warp(x, shearMatrices(u.map((v) => between(v, SHEAR)), x.device));
}

/** x rotated by ±U(ROTATION) per image. */
export function rotate(x: Tensor, seed: number): Tensor {
  const u = uniforms(seed, 3, 2 * x.shape[0]!);
  const angles = Array.from({ length: x.shape[0]! }, (_, i) => (u[2 * i]! < 0.5 ? -1 : 1) * between(u[2 * i + 1]!, ROTATION));
  return warp(x, rotationMatrices(angles, x.device));
}

/** Image x drawn in attribute domain `d` (an index into ATTRIBUTES). */
function inDomain(x: Tensor, d: number, seed: number): Tensor {
  switch (ATTRIBUTES[d]) {
    case 'thick': return dilate(x, 3);
    case 'thin': return erodePlus(x);
    case 'italic': return italicize(x, seed, 5);
    case 'inverted': return invert(x);
    default: return rotate(x, seed);
  }
}

/** One-hot {background, stroke, hole} [N, 3, H, W] of images [N, 1, H, W]. */
export function labelMap(x: Tensor): Tensor {
  const stroke = T.cast(T.gt(x, 0.5), 'float32');
  const hole = holes(x, 0.5);
  return T.cat([T.sub(T.sub(1, stroke), hole), stroke, hole], 1);
}

function requireHost(name: string, images: Tensor): void {
  if (images.device !== 'cpu') throw new T.DeviceError(`task ${name}: images must be on the cpu (the record is made on the host), got ${images.device}`);
  if (images.shape.length !== 4 || images.shape[1] !== 1) throw new T.ShapeError(`task ${name}: images must be [N, 1, H, W], got ${T.fmtShape(images.shape)}`);
}

export const TASKS: Record<TaskName, Task> = {
  edges: {
    name: 'edges', kind: 'paired', fields: ['source', 'target'], description: 'outline (dilate(x) - x) -> digit',
    make: (x) => ({ source: outline(x), target: T.clone(x) }),
  },
  occluded: {
    name: 'occluded', kind: 'paired', fields: ['source', 'target'], description: 'digit with a grey square -> digit',
    make: (x, seed) => ({ source: occlude(x, seed), target: T.clone(x) }),
  },
  inverted: {
    name: 'inverted', kind: 'unpaired', fields: ['a', 'b'], description: 'digit <-> inverted digit',
    make: (x) => {
      const [a, b] = halves(x);
      return { a, b: invert(b) };
    },
  },
  thick: {
    name: 'thick', kind: 'unpaired', fields: ['a', 'b'], description: 'thin (eroded) <-> thick (dilated) digit',
    make: (x) => {
      const [a, b] = halves(x);
      return { a: erodePlus(a), b: dilate(b, 3) };
    },
  },
  italic: {
    name: 'italic', kind: 'unpaired', fields: ['a', 'b'], description: 'upright <-> italic (sheared) digit',
    make: (x, seed) => {
      const [a, b] = halves(x);
      return { a, b: italicize(b, seed) };
    },
  },
  attributes: {
    name: 'attributes', kind: 'domains', fields: ['images', 'labels'], description: `each digit in one of ${ATTRIBUTES.join(', ')} (labels: the domain)`,
    make: (x, seed) => {
      const n = x.shape[0]!;
      const domains = Int32Array.from(uniforms(seed, 4, n), (u) => Math.floor(u * ATTRIBUTES.length));
      const labels = T.tensor(domains, { shape: [n], dtype: 'int32', device: x.device });
      // Every domain's drawing of the whole batch, each image keeping the one of its own domain.
      const drawn = ATTRIBUTES.map((_, d) => T.mul(inDomain(x, d, seed), T.reshape(T.cast(T.eq(labels, d), 'float32'), [n, 1, 1, 1])));
      return { images: drawn.reduce((sum, t) => T.add(sum, t)), labels };
    },
  },
  'label-map': {
    name: 'label-map', kind: 'layout', fields: ['labelMap', 'images'], description: 'label map {background, stroke, hole} -> digit',
    make: (x) => ({ labelMap: labelMap(x), images: T.clone(x) }),
  },
  captions: {
    name: 'captions', kind: 'text', fields: ['images', 'tokens'], description: 'caption "a thick slanted seven" (tokens) -> the digit drawn so',
    make: (x, seed, labels) => captionsRecord(x, seed, labels),
  },
  instances: {
    name: 'instances', kind: 'instances', fields: ['a', 'masksA', 'b', 'masksB'], description: 'two-digit canvases with a mask per digit: plain <-> bold (dilated) digits',
    make: (x, seed) => instancesRecord(x, seed),
  },
  layouts: {
    name: 'layouts', kind: 'layout', fields: ['images', 'boxes', 'classes'], description: 'layout (boxes + classes of 3 digits) -> 48 px canvas',
    make: (x, seed, labels) => layoutsRecord(x, seed, labels),
  },
};

export const TASK_NAMES = Object.keys(TASKS) as TaskName[];

/**
 * The record of task `name` for images [N, 1, H, W] in [0, 1] on the CPU (with their classes
 * `labels`, int32 [N], which the captions task needs), from `seed`. Intermediates are freed; the
 * caller disposes the record.
 */
export function makeTaskBatch(name: TaskName, images: Tensor, seed: number, labels?: Tensor): Record<string, Tensor> {
  const task = TASKS[name];
  if (!task) throw new T.ArgumentError(`makeTaskBatch: no task '${String(name)}'; the tasks are ${TASK_NAMES.join(', ')}`);
  requireHost(name, images);
  return T.tidy(() => task.make(images, seed, labels));
}

/** The record of task `name` with its image fields scaled from [0, 1] to a model's data `range` (host tensors; the caller disposes them). */
export function taskRecord(name: TaskName, images: Tensor, seed: number, range: readonly [number, number], labels?: Tensor): Record<string, Tensor> {
  const raw = makeTaskBatch(name, images, seed, labels);
  const [lo, hi] = range;
  if (lo === 0 && hi === 1) return raw;
  const scaled = T.tidy(() => Object.fromEntries(Object.entries(raw).map(([field, t]) => [field, IMAGE_FIELDS.has(field) ? T.add(T.mul(t, hi - lo), lo) : t])));
  for (const [field, t] of Object.entries(raw)) if (scaled[field] !== t) t.dispose();
  return scaled;
}
