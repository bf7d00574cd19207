/**
 * LostGAN, an image from a layout of boxes and classes (docs/models.md "Translation": lostgan;
 * notes 003 "Conditional generative models" and "Image to image": LostGANs, an image from a spatial
 * layout whose objects can be moved), on the `layouts` task (models/tasks/layouts.ts): 48 px
 * canvases of 3 digits, each a box and a class.
 *
 * Model (Sun & Wu 2019), small: each object k gets a style s_k = [embed(c_k), z_k] (a learned class
 * embedding and its own code z_k ~ N(0, I)); G maps an image code z to 6x6, then residual blocks
 * up to 12, 24 and 48, whose normalisations are object-wise adaptive: BN without affine, then
 * x̂ · (1 + γ) + β where γ and β at a pixel are the mean of W_γ s_k and W_β s_k over the objects
 * whose box covers it (0 outside every box). Here the boxes themselves are the object masks (the
 * paper also learns a mask per object inside its box). D has two heads: an image head (convs 48 ->
 * 6, summed, linear) and an object head: convs 48 -> 12, ROI-align of each box to 4x4, a conv,
 * summed, then ψ(h) + ⟨embed_D(c), h⟩ (a projection discriminator on the object's class).
 * Loss: hinge on both heads; D: 0.1 · hinge(image) + 1 · hinge(objects), G: -0.1 · E D_img(G) -
 * 1 · E D_obj(G) (the weights of the reference code). Adam 1e-4, β (0, 0.999).
 * Sampling: n kept layouts (the last batch's) or the first n of `sources.boxes`/`sources.classes`,
 * fresh codes for the image and each object; the preview shows the layouts (box areas white), the
 * generated canvases and the real ones.
 */
import * as T from '../src/index.js';
import { nn, optim } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { hingeDiscriminatorLoss, hingeGeneratorLoss } from './blocks/gan.js';
import { adversarialRound, evaluating, requireField } from './blocks/train.js';
import { ObjectNorm, boxMasks } from './blocks/layout.js';
import { SourceBank, tripletRows } from './blocks/translation.js';
import type { Batch, GenerativeModel, SampleOptions, Training } from './protocol.js';
import { registerModel } from './registry.js';
import { CANVAS, OBJECTS } from './tasks/layouts.js';

export interface LostganConfig {
  task: 'layouts';
  /** Channels at 48x48 (2x at 24 and 12, 4x at 6) in G and D. */
  width: number;
  zDim: number;
  /** Length of each object's code z_k and of its class embedding. */
  styleDim: number;
  imageWeight: number;
  objectWeight: number;
}

const CLASSES = 10;
/** ROI-align's output side in the object head. */
const ROI = 4;

/** norm -> ReLU -> nearest x2 -> conv 3x3 -> norm -> ReLU -> conv 3x3, plus the upsampled input through a 1x1 conv. */
class UpBlock extends nn.Module {
  norm0: ObjectNorm;
  conv0: nn.Conv2d;
  norm1: ObjectNorm;
  conv1: nn.Conv2d;
  shortcut: nn.Conv2d;

  constructor(inChannels: number, outChannels: number, styleDim: number, device?: DeviceName) {
    super();
    this.norm0 = new ObjectNorm(inChannels, styleDim, device);
    this.conv0 = new nn.Conv2d(inChannels, outChannels, 3, { padding: 1, device });
    this.norm1 = new ObjectNorm(outChannels, styleDim, device);
    this.conv1 = new nn.Conv2d(outChannels, outChannels, 3, { padding: 1, device });
    this.shortcut = new nn.Conv2d(inChannels, outChannels, 1, { device });
  }

  forward(x: Tensor, styles: Tensor, boxes: Tensor): Tensor {
    const up = (t: Tensor) => T.interpolate(t, { scaleFactor: 2, mode: 'nearest' });
    const side = 2 * x.shape[2]!;
    const [before, after] = [boxMasks(boxes, x.shape[2]!), boxMasks(boxes, side)];
    const h = this.conv0.forward(up(T.relu(this.norm0.forward(x, styles, before))));
    return T.add(this.shortcut.forward(up(x)), this.conv1.forward(T.relu(this.norm1.forward(h, styles, after))));
  }
}

export class LayoutGenerator extends nn.Module {
  classEmbedding: nn.Embedding;
  project: nn.Linear;
  blocks: nn.ModuleList<UpBlock>;
  outNorm: nn.BatchNorm2d;
  out: nn.Conv2d;

  constructor(readonly config: LostganConfig, device?: DeviceName) {
    super();
    const { width: w, zDim, styleDim } = config;
    const style = 2 * styleDim;
    this.classEmbedding = new nn.Embedding(CLASSES, styleDim, { device });
    this.project = new nn.Linear(zDim, 4 * w * 36, { device });
    this.blocks = new nn.ModuleList([new UpBlock(4 * w, 2 * w, style, device), new UpBlock(2 * w, w, style, device), new UpBlock(w, w, style, device)]);
    this.outNorm = new nn.BatchNorm2d(w, { device });
    this.out = new nn.Conv2d(w, 1, 3, { padding: 1, device });
  }

  /** Canvases [N, 1, 48, 48] for image codes z [N, zDim], object codes [N, K, styleDim], boxes [N, K, 4], classes int32 [N, K]. */
  forward(z: Tensor, objectCodes: Tensor, boxes: Tensor, classes: Tensor): Tensor {
    const styles = T.cat([this.classEmbedding.forward(classes), objectCodes], 2);
    let h = T.reshape(this.project.forward(z), [z.shape[0]!, 4 * this.config.width, 6, 6]);
    for (const block of this.blocks) h = block.forward(h, styles, boxes);
    return T.tanh(this.out.forward(T.relu(this.outNorm.forward(h))));
  }
}

/** Rows (batch index, x1, y1, x2, y2) in pixels of a `side`-pixel map, one per object, on the host (ROI-align reads them there). */
function roiRows(boxes: Tensor, side: number): Tensor {
  const [n, k] = boxes.shape as [number, number];
  const b = boxes.dataSync();
  const rows = Array.from({ length: n * k }, (_, o) => [Math.floor(o / k), ...Array.from(b.slice(4 * o, 4 * o + 4), (v) => v * side)]).flat();
  return T.tensor(rows, { shape: [n * k, 5], device: 'cpu' });
}

export class LayoutDiscriminator extends nn.Module {
  imageTrunk: nn.Sequential;
  imageHead: nn.Linear;
  objectTrunk: nn.Sequential;
  objectConv: nn.Conv2d;
  objectHead: nn.Linear;
  classEmbedding: nn.Embedding;

  constructor(width: number, device?: DeviceName) {
    super();
    const w = width;
    const down = (i: number, o: number) => [new nn.Conv2d(i, o, 4, { stride: 2, padding: 1, device }), new nn.LeakyReLU(0.2)];
    this.imageTrunk = new nn.Sequential(...down(1, w), ...down(w, 2 * w), ...down(2 * w, 4 * w));
    this.imageHead = new nn.Linear(4 * w, 1, { device });
    this.objectTrunk = new nn.Sequential(...down(1, w), ...down(w, 2 * w));
    this.objectConv = new nn.Conv2d(2 * w, 4 * w, 3, { padding: 1, device });
    this.objectHead = new nn.Linear(4 * w, 1, { device });
    this.classEmbedding = new nn.Embedding(CLASSES, 4 * w, { device });
  }

  /** One logit per image, [N]. */
  judgeImage(x: Tensor): Tensor {
    return T.reshape(this.imageHead.forward(T.sum(this.imageTrunk.forward(x), [2, 3])), [x.shape[0]!]);
  }

  /** One logit per object, [N·K]: ψ(h) + ⟨embed(c), h⟩ of the ROI-aligned features h of its box. */
  judgeObjects(x: Tensor, boxes: Tensor, classes: Tensor): Tensor {
    const features = this.objectTrunk.forward(x);
    const pooled = T.roiAlign(features, roiRows(boxes, features.shape[2]!), [ROI, ROI], { samplingRatio: 2 });
    const h = T.sum(T.leakyRelu(this.objectConv.forward(pooled), 0.2), [2, 3]);
    const projection = T.sum(T.mul(this.classEmbedding.forward(T.reshape(classes, [-1])), h), 1);
    return T.add(T.reshape(this.objectHead.forward(h), [-1]), projection);
  }
}

export class Lostgan extends nn.Module implements GenerativeModel {
  generator: LayoutGenerator;
  discriminator: LayoutDiscriminator;
  /** The kept layouts: boxes [K, 4] and classes [K] (as floats) per row. */
  boxBank: SourceBank;
  classBank: SourceBank;

  constructor(readonly config: LostganConfig, device?: DeviceName) {
    super();
    this.generator = new LayoutGenerator(config, device);
    this.discriminator = new LayoutDiscriminator(config.width, device);
    this.boxBank = new SourceBank(64, [OBJECTS, 4], device);
    this.classBank = new SourceBank(64, [OBJECTS], device);
  }

  /** G's canvases for layouts (boxes, classes), fresh image and object codes. */
  generate(boxes: Tensor, classes: Tensor): Tensor {
    const [n, k] = classes.shape as [number, number];
    const { zDim, styleDim } = this.config;
    return this.generator.forward(T.randn([n, zDim], { device: boxes.device }), T.randn([n, k, styleDim], { device: boxes.device }), boxes, classes);
  }

  sample(n: number, options: SampleOptions = {}): Tensor {
    return evaluating(this.generator, () => {
      const boxes = this.boxBank.take(n, options.sources, 'boxes', 'lostgan');
      const classes = options.sources ? this.classBank.take(n, options.sources, 'classes', 'lostgan') : T.cast(this.classBank.take(n), 'int32');
      return this.generate(boxes, classes);
    });
  }

  /** Rows of the layouts (the boxes' union white on black), their generated canvases and the real canvases. */
  preview(batch: Batch): Tensor {
    const [images, boxes, classes] = (['images', 'boxes', 'classes'] as const).map((f) => requireField(batch, f, 'lostgan')) as [Tensor, Tensor, Tensor];
    const drawn = T.sub(T.mul(T.max(boxMasks(boxes, CANVAS), 1, true), 2), 1);
    return evaluating(this.generator, () => tripletRows([drawn, this.generate(boxes, classes), images]));
  }
}

function lostganTraining(model: Lostgan, lr: number): Training {
  const d = model.discriminator;
  const optD = new optim.Adam(d.parameters(), { lr, betas: [0, 0.999] });
  const optG = new optim.Adam(model.generator.parameters(), { lr, betas: [0, 0.999] });
  const { imageWeight, objectWeight } = model.config;
  return {
    optimizers: { d: optD, g: optG },
    step(batch, context) {
      const [x, boxes, classes] = (['images', 'boxes', 'classes'] as const).map((f) => requireField(batch, f, 'lostgan')) as [Tensor, Tensor, Tensor];
      model.boxBank.remember(boxes);
      model.classBank.remember(T.cast(classes, 'float32'));
      return T.tidy(() => {
        const fake = model.generate(boxes, classes);
        const terms: Record<string, Tensor> = {};
        const losses = adversarialRound({
          critic: d, optD, optG,
          dLoss: () => {
            const image = hingeDiscriminatorLoss(d.judgeImage(x), d.judgeImage(fake.detach()));
            const objects = hingeDiscriminatorLoss(d.judgeObjects(x, boxes, classes), d.judgeObjects(fake.detach(), boxes, classes));
            return T.add(T.mul(image, imageWeight), T.mul(objects, objectWeight));
          },
          gLoss: () => {
            const objects = hingeGeneratorLoss(d.judgeObjects(fake, boxes, classes));
            terms.objects = T.keep(objects.detach());
            return T.add(T.mul(hingeGeneratorLoss(d.judgeImage(fake)), imageWeight), T.mul(objects, objectWeight));
          },
        }, context);
        // How far D's object head rejects G's objects first: the layout's own measure.
        return { objects: terms.objects!, ...losses };
      });
    },
  };
}

export const lostgan = registerModel({
  name: 'lostgan',
  description: 'LostGAN: layout (boxes + classes) -> 48 px canvas, object-wise adaptive norm from the boxes and per-object styles, D with an image head and a ROI-align object head (class projection), hinge 0.1 image + 1 object; layouts task',
  notes: 'notes 003 (conditional generative models; image to image: LostGANs)',
  dataRange: [-1, 1],
  fields: ['images', 'boxes', 'classes'],
  task: (config) => config.task,
  // The box masks and ROI-align's sample points are made on the host from the boxes, read
  // synchronously: a device whose reads are asynchronous (WebGPU) cannot serve them.
  devices: ['cpu', 'wasm'],
  config: { task: 'layouts', width: 16, zDim: 32, styleDim: 16, imageWeight: 0.1, objectWeight: 1 } as LostganConfig,
  choices: { task: ['layouts'] },
  training: { batch: 16, lr: 1e-4, steps: 3000, sampleEvery: 500 },
  withoutGpu: { config: { width: 8 }, steps: 1000, sampleEvery: 250 },
  build: (config, device) => new Lostgan(config, device),
  train: (model, { lr }) => lostganTraining(model, lr),
});
