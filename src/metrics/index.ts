/**
 * Generative-model metrics in float64 (browser-safe; the shipped feature networks load from the
 * Node entry): IS, FID, KID, improved precision/recall and perceptual path length, each on
 * features from a FeatureExtractor. docs/metrics.md gives the definitions and references.
 */
export { type FeatureExtractor, type Extracted, featureNetExtractor } from './extractor.js';
export { FeatureNet, FEATURE_DIM } from './feature-net.js';
export { inceptionScore, accuracyOf, classAccuracy, recognition, type InceptionScore } from './inception.js';
export { fid, frechetDistance, gaussianStats, traceSqrtProduct, type GaussianStats } from './fid.js';
export { kid, mmd2Unbiased, type Kid, type KidOptions } from './kid.js';
export { precisionRecall, kthNeighbourRadii2, type PrecisionRecall } from './precision-recall.js';
export { perceptualPathLength, slerp, trimmedMean, type LatentPath, type Ppl, type PplOptions } from './ppl.js';
export { eigh, meanCov, sqrtPsd } from './linalg.js';
export { evaluate, type EvaluableModel, type EvaluationReport, type EvaluateOptions, type Scored } from './evaluate.js';
export { linearProbe, knnAccuracy, type LabelledFeatures, type ProbeOptions } from './probe.js';
