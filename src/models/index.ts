export * from './vae/index.js';
export { fit, NonFiniteError, type FitOptions, type TrainerState, type StepReport, type EpochReport } from './train.js';
export { saveCheckpoint, loadCheckpoint, type CheckpointParts } from './checkpoint.js';
export { writeModelConfig, readModelConfig, saveModelWeights, loadVaeDir, CONFIG_FILE, WEIGHTS_FILE, CHECKPOINT_FILE, METRICS_FILE, type ModelDirConfig } from './modeldir.js';
export * from './flow/index.js';
export * from './cnf/index.js';
