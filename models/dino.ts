/**
 * DINO, self-distillation with no labels (docs/models.md "Representation learning": dino;
 * notes 004 §1.3 DINO: "MOCO와 유사하게 모멘텀 인코더를 사용하지만 ... KL 발산 손실").
 *
 * Model: a student (the small CNN, then a head: MLP to a bottleneck, unit-normalised, then a
 * linear layer to K prototype scores) and a teacher of the same shape, the EMA of the student:
 * W_t ← λ·W_t + (1 - λ)·W_s, λ rising from `teacherMomentum` to 1 on a cosine over the run.
 * Multi-crop: two global views (28x28) and `locals` local views (14x14 crops of 15-40% of the
 * image; the encoder's global average takes any size). The teacher sees the global views only.
 * Loss: the cross-entropy H(P_t, P_s) (the KL divergence up to the teacher's entropy, which has
 * no gradient) between the teacher's softmax, centred and sharpened (P_t = softmax((t - c)/τt),
 * τt = 0.04), and the student's (τs = 0.1), over every pair of a teacher view and a different
 * student view. Centring (c ← m·c + (1 - m)·mean of the teacher's outputs) keeps one prototype
 * from taking over; sharpening keeps the outputs from going uniform: together they avoid
 * collapse without negatives. No labels. The representation is the teacher's encoder (the
 * paper evaluates the teacher); `genlab eval` judges it by a linear probe and k-NN. No `sample`.
 */
import * as T from '../src/index.js';
import { nn, optim } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { GLOBAL_VIEW, augment, multiCrop, viewsGrid } from './blocks/augment.js';
import { assignBuffer, centred, dinoLoss } from './blocks/selfsup.js';
import { minimize, requireField, updateEma } from './blocks/train.js';
import { ProjectedEncoder } from './moco.js';
import type { Batch, EncoderModel, StepContext, Training } from './protocol.js';
import { registerModel } from './registry.js';

export interface DinoConfig {
  width: number;
  /** K: the number of prototype scores the softmaxes are over. */
  prototypes: number;
  bottleneck: number;
  locals: number;
  studentTemperature: number;
  teacherTemperature: number;
  /** λ at the first step (it rises to 1 by the last). */
  teacherMomentum: number;
  /** m of the centre's update. */
  centreMomentum: number;
}

/** MLP to the bottleneck, unit-normalised, then the prototype scores (DINO's head, without weight norm). */
class DinoHead extends nn.Sequential {
  constructor(features: number, config: DinoConfig, device?: DeviceName) {
    super(new nn.Linear(features, features, { device }), new nn.GELU(), new nn.Linear(features, config.bottleneck, { device }));
    this.scores = new nn.Linear(config.bottleneck, config.prototypes, { bias: false, device });
  }

  scores: nn.Linear;

  override forward(x: Tensor): Tensor {
    return this.scores.forward(T.normalize(super.forward(x), { axis: 1 }));
  }
}

export class Dino extends nn.Module implements EncoderModel {
  student: ProjectedEncoder;
  teacher: ProjectedEncoder;
  /** c: the running mean of the teacher's outputs [K]. */
  centre!: Tensor;
  readonly featureDim: number;

  constructor(readonly config: DinoConfig, device?: DeviceName) {
    super();
    const make = () => new ProjectedEncoder(config.width, 0, 0, device, (features) => new DinoHead(features, config, device));
    this.student = make();
    this.teacher = this.student.frozenCopy(make);
    this.featureDim = this.student.encoder.features;
    this.registerBuffer('centre', T.zeros([config.prototypes], { device }));
  }

  encode(images: Tensor): Tensor {
    return this.teacher.encoder.forward(images);
  }

  /** The loss over the multi-crop views; returns the teacher's outputs too, for the centre. */
  loss(images: Tensor): { loss: Tensor; teacher: Tensor } {
    const views = multiCrop(images, this.config.locals);
    const teacher = T.noGrad(() => views.global.map((v) => this.teacher.forward(v)));
    const student = [...views.global, ...views.local].map((v) => this.student.forward(v));
    const { studentTemperature: ts, teacherTemperature: tt } = this.config;
    return { loss: dinoLoss(student, teacher, this.centre, ts, tt), teacher: T.cat(teacher, 0) };
  }

  /** After the student's step: the teacher's EMA at this step's λ, then the centre. */
  afterStep(teacherOutputs: Tensor, context: StepContext): void {
    const start = this.config.teacherMomentum;
    const progress = context.totalSteps > 1 ? context.step / (context.totalSteps - 1) : 1;
    updateEma(this.teacher, this.student, 1 - ((1 - start) * (Math.cos(Math.PI * Math.min(1, progress)) + 1)) / 2);
    assignBuffer(this.centre, T.tidy(() => centred(this.centre, [teacherOutputs], this.config.centreMomentum)));
  }

  preview(batch: Batch): Tensor {
    return viewsGrid(requireField(batch, 'images', 'dino'), (x) => augment(x, GLOBAL_VIEW));
  }
}

export const dino = registerModel({
  name: 'dino',
  description: 'DINO: student + EMA teacher, centred and sharpened teacher softmax, multi-crop (2 global + local), no negatives (an encoder: linear probe, k-NN)',
  notes: 'notes 004 §1.3',
  dataRange: [0, 1],
  fields: ['images'],
  config: {
    width: 32, prototypes: 256, bottleneck: 32, locals: 4, studentTemperature: 0.1, teacherTemperature: 0.04, teacherMomentum: 0.99, centreMomentum: 0.9,
  } as DinoConfig,
  training: { batch: 128, lr: 1e-3, steps: 3000, sampleEvery: 500 },
  withoutGpu: { config: { width: 8, locals: 2 }, steps: 300, sampleEvery: 100 },
  build: (config, device) => new Dino(config, device),
  train: (model, { lr }): Training => {
    const adam = new optim.Adam(model.student.parameters(), { lr });
    return {
      optimizers: { adam },
      step(batch, context) {
        const { loss, teacher } = minimize(adam, () => model.loss(requireField(batch, 'images', 'dino')));
        model.afterStep(teacher, context);
        teacher.dispose();
        return { loss };
      },
    };
  },
});
