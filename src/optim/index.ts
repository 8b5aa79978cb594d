/**
 * Optimizers (SGD, Adam/AdamW), gradient clipping and learning-rate
 * schedules, with PyTorch's update rules and checkpointable state.
 */
export {
  Optimizer, type OptimizerStateDict, type ParamGroup, type ParamsInput, type ParamState, type HyperValue,
} from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { clipGradNorm, clipGradValue } from './clip.js';
export {
  LRScheduler, StepLR, ExponentialLR, CosineAnnealingLR, cosineAnnealing, LinearLR, LambdaLR, SequentialLR, linearWarmup,
  type ScheduledOptimizer, type SchedulerStateDict,
} from './schedule.js';
