/** `@genlab/tensor/models`: the generative models of MODELS.md and the registry `genlab` trains them from. */
export { registerModel, getModel, listModels, type ModelEntry, type Trainer, type TrainingDefaults } from './registry.js';
export { MlpAutoencoder, createMlpAutoencoder, type MlpAutoencoderConfig } from './mlp-autoencoder.js';
export { Gan, createGan, type GanConfig } from './gan.js';
export { Dcgan, createDcgan, type DcganConfig } from './dcgan.js';
export { Cgan, createCgan, gridLabels, type CganConfig } from './cgan.js';
export { Acgan, createAcgan, type AcganConfig } from './acgan.js';
export { discriminatorLoss, generatorLoss, type GeneratorLoss } from './blocks/gan.js';
export { Gaussian, createGaussian, type GaussianConfig } from './gaussian.js';
export { Gmm, createGmm, type GmmConfig } from './gmm.js';
export { Hmm, createHmm, type HmmConfig } from './hmm.js';
export { Rbm, createRbm, bernoulli, type RbmConfig } from './rbm.js';
export { Gsn, createGsn, saltAndPepper, type GsnConfig } from './gsn.js';
export { ConvAutoencoder, createAutoencoder, type AutoencoderConfig } from './autoencoder.js';
export { DenoisingAutoencoder, createDenoisingAe, corrupt, type DenoisingAeConfig } from './denoising-ae.js';
export { Vae, createVae, binarize, SEED_ALPHAS, type VaeConfig, type ElboTerms } from './vae.js';
export { Dvae, createDvae, type DvaeConfig } from './dvae.js';
