/**
 * `@genlab/tensor/models`: the generative models of docs/models.md, the protocol they follow and the registry `genlab` trains them from.
 *
 * @module @genlab/tensor/models
 */
export type {
  Batch, BatchField, ConfigChoices, EncoderModel, GenerativeModel, Model, ModelEntry, RunPreset, SampleOptions, StepContext, Training, TrainingDefaults,
} from './protocol.js';
export { registerModel, getModel, listModels, configOf, generatorOf } from './registry.js';
export { isEncoder } from './protocol.js';
export { minimize, adversarialRound, wganGradientPenalty, r1Penalty, updateEma, evaluating, requireField, type GradientPenalty } from './blocks/train.js';
export { MlpAutoencoder, mlpAutoencoder, type MlpAutoencoderConfig } from './mlp-autoencoder.js';
export { Gan, gan, type GanConfig } from './gan.js';
export { Dcgan, dcgan, type DcganConfig } from './dcgan.js';
export { Cgan, cgan, gridLabels, modeSeekingLoss, type CganConfig } from './cgan.js';
export { Acgan, acgan, type AcganConfig } from './acgan.js';
export { discriminatorLoss, generatorLoss, hingeDiscriminatorLoss, hingeGeneratorLoss, type GeneratorLoss } from './blocks/gan.js';
export { Gaussian, gaussian, type GaussianConfig } from './gaussian.js';
export { Gmm, gmm, type GmmConfig } from './gmm.js';
export { Hmm, hmm, type HmmConfig } from './hmm.js';
export { Rbm, rbm, bernoulli, type RbmConfig } from './rbm.js';
export { Gsn, gsn, saltAndPepper, type GsnConfig } from './gsn.js';
export { ConvAutoencoder, autoencoder, type AutoencoderConfig } from './autoencoder.js';
export { DenoisingAutoencoder, denoisingAe, corrupt, type DenoisingAeConfig } from './denoising-ae.js';
export { Vae, vae, binarize, SEED_ALPHAS, type VaeConfig, type ElboTerms } from './vae.js';
export { Dvae, dvae, type DvaeConfig } from './dvae.js';
export { Ddpm, ddpm, type DdpmConfig } from './ddpm.js';
export { NoiseSchedule, epsilonLoss, pSample, ddimStep, denoise, type BetaSchedule, type EpsilonModel } from './blocks/diffusion.js';
export { LatentDiffusion, latentDiffusion, type LatentDiffusionConfig } from './latent-diffusion.js';
export { LatentDiffusionText, CaptionDenoiser, latentDiffusionText, type LatentDiffusionTextConfig } from './latent-diffusion-text.js';
export { ProjectionGan, ConditionalBatchNorm2d, SelfAttention2d, type ProjectionGanConfig } from './blocks/projection.js';
export { projgan, projectionTraining, type ProjganConfig } from './projgan.js';
export { ContraGan, contragan, conditionalContrastiveLoss, type ContraganConfig } from './contragan.js';
export { Fgan, fgan, F_DIVERGENCES, DIVERGENCES, variationalBound, type FganConfig, type Divergence, type FDivergence } from './fgan.js';
export { Sagan, sagan, type SaganConfig } from './sagan.js';
export { RealNvp, realnvp, realNvpLevels, type RealNvpConfig } from './realnvp.js';
export { Glow, glow, glowLevels, type GlowConfig } from './glow.js';
export { FlowModel, MultiScaleFlow, FactorOut, flowTraining, type FlowConfig, type LevelBuilder } from './blocks/flow.js';
export { ActNorm, AffineCoupling, InvertibleConv1x1, Squeeze, type FlowLayer, type CouplingMask, type ScaleBound } from './blocks/flow-layers.js';
export { PixelCnn, pixelcnn, bernoulliPixels, categoricalPixels, bitsPerDim, likelihoodTraining, PIXELCNN_ARCHS, PIXEL_OUTPUTS, type PixelCnnConfig, type PixelLikelihood } from './pixelcnn.js';
export { MaskedConv2d, kernelMask, type MaskType } from './blocks/masked-conv.js';
export { PixelRnn, pixelrnn, type PixelRnnConfig } from './pixelrnn.js';
export { RowLstm, type RowState } from './blocks/row-lstm.js';
export { Stylegan, StyleGenerator, stylegan, type StyleganConfig, type StyleganVariant } from './stylegan.js';
export { Progan, ProgressiveGenerator, progan, realsAt, type ProganConfig } from './progan.js';
export { ImageGpt, imageGpt, type ImageGptConfig } from './image-gpt.js';
export { CausalTransformer, type TransformerShape } from './blocks/causal-transformer.js';
export { Simclr, simclr, type SimclrConfig } from './simclr.js';
export { Moco, moco, ProjectedEncoder, type MocoConfig } from './moco.js';
export { Dino, dino, type DinoConfig } from './dino.js';
export { augment, twoViews, multiCrop, cropMaps, viewsGrid, GLOBAL_VIEW, LOCAL_VIEW, type AugmentOptions } from './blocks/augment.js';
export { ConvEncoder as SelfSupervisedEncoder, ntXent, infoNce, enqueued, dinoLoss, centred } from './blocks/selfsup.js';
export { Transgan, TransformerGenerator, VitCritic, transgan, type TransganConfig } from './transgan.js';
export { TransformerBlock, VitEncoder } from './blocks/vit.js';
export { TASKS, TASK_NAMES, ATTRIBUTES, LABEL_MAP_CLASSES, IMAGE_FIELDS, makeTaskBatch, taskRecord, type Task, type TaskName } from './tasks/index.js';
export {
  CAPTION_VOCABULARY, CAPTION_LENGTH, DIGIT_WORDS, captionTokens, captionText, captionMeaning, strokeWidth, detectAttributes, type CaptionMeaning,
} from './tasks/captions.js';
export { Pix2pix, pix2pix, type Pix2pixConfig } from './pix2pix.js';
export { Cyclegan, cyclegan, ResnetGenerator, lsganCritic, lsganGenerator, type CycleganConfig } from './cyclegan.js';
export { Stargan, StarDiscriminator, stargan, type StarganConfig } from './stargan.js';
export { SpadeGan, Spade, SpadeBlock, SpadeGenerator, spade, patchFeatures, featureMatching, type SpadeConfig } from './spade.js';
export { Bicyclegan, LatentEncoder, bicyclegan, type BicycleganConfig } from './bicyclegan.js';
export { GanCls, ganCls, TextConditionedDiscriminator, matchingAwareLoss, interpolatedCodes, GAN_CLS_VARIANTS, type GanClsConfig, type GanClsVariant } from './gan-cls.js';
export { TextEncoder, mismatchedTokens, gridCaptions, captionsToDraw } from './blocks/text.js';
export { Gigagan, gigagan, GigaGenerator, AdaptiveConv2d, AttentionBlock, ProjectionTextDiscriminator, type GigaganConfig } from './gigagan.js';
export { Instagan, InstaGenerator, InstaDiscriminator, instagan, contextLoss, union as instanceUnion, type InstaganConfig, type Instances } from './instagan.js';
export { Lostgan, LayoutGenerator, LayoutDiscriminator, lostgan, type LostganConfig } from './lostgan.js';
export { ObjectNorm, boxMasks } from './blocks/layout.js';
