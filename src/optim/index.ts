/** Optimizers, learning-rate schedules, gradient clipping and weight averaging (torch.optim). */
export { Optimizer, type BaseOptions, type OptimizerStateDict, type ParamGroup, type ParamState, type ParamsArg } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { LRScheduler, LambdaLR, StepLR, LinearLR, CosineAnnealingLR, SequentialLR, type LrAt } from './lr-scheduler.js';
export { clipGradNorm_, clipGradValue_ } from './clip.js';
export { EMA, type EMAOptions } from './ema.js';
