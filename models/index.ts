/** `@genlab/tensor/models`: the generative models of MODELS.md and the registry `genlab` trains them from. */
export { registerModel, getModel, listModels, type ModelEntry, type Trainer, type TrainingDefaults } from './registry.js';
export { MlpAutoencoder, createMlpAutoencoder, type MlpAutoencoderConfig } from './mlp-autoencoder.js';
export { Gaussian, createGaussian, type GaussianConfig } from './gaussian.js';
export { Gmm, createGmm, type GmmConfig } from './gmm.js';
export { Hmm, createHmm, type HmmConfig } from './hmm.js';
