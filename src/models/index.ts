export * from './vae/index.js';
export { fit, NonFiniteError, type FitOptions, type TrainerState, type StepReport, type EpochReport } from './train.js';
export { saveCheckpoint, loadCheckpoint, type CheckpointParts } from './checkpoint.js';
