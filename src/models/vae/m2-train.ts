import type { Module } from '../../nn/index.js';
import type { Optimizer } from '../../optim/index.js';
import type { Generator as Rng } from '../../random/generator.js';
import { minibatches, numBatches, type Dataset, type Minibatch } from '../../data/index.js';
import { fit, type EpochReport, type StepReport, type TrainerState } from '../train.js';
import { crossEntropy, m2Loss, type M2 } from './m2.js';

/** One step's data for M2: an unlabeled batch and a labeled batch (rows [B, D]). */
export interface SemiSupervisedBatch {
  unlabeled: Minibatch;
  labeled: Minibatch;
}

export interface SemiSupervisedBatchOptions {
  /** Unlabeled examples per step. */
  batchSize: number;
  /** Labeled examples per step (default min(batchSize, labeled set size)). */
  labeledBatchSize?: number;
  /** Orders (and dynamic binarization) of the unlabeled passes. */
  rng: Rng;
  /** Orders of the labeled passes: its own generator, so the labeled cycle does not shift the unlabeled batches. */
  labeledRng: Rng;
  /** 'dynamic' draws fresh binary pixels for every batch; 'none' uses the stored values (already binarized, or grey). */
  binarize: 'dynamic' | 'none';
  /** Skip this many steps of the epoch (resuming mid-epoch). */
  startBatch?: number;
}

/**
 * One epoch of M2 training data: one pass over the unlabeled set, each
 * unlabeled batch paired with a labeled batch. The labeled set is tiny (100
 * examples against thousands), so it is cycled, reshuffled at each pass.
 * Same generator states, same batches.
 */
export function* semiSupervisedBatches(unlabeled: Dataset, labeled: Dataset, o: SemiSupervisedBatchOptions): Generator<SemiSupervisedBatch> {
  const lb = o.labeledBatchSize ?? Math.min(o.batchSize, labeled.length);
  if (!Number.isInteger(lb) || lb < 1 || lb > labeled.length) {
    throw new Error(`semiSupervisedBatches: labeledBatchSize must be an integer in [1, ${labeled.length}], got ${lb}`);
  }
  const start = o.startBatch ?? 0;
  const labeledPass = () => minibatches(labeled, { batchSize: lb, rng: o.labeledRng, binarize: o.binarize, flatten: true, dropLast: true });
  let lab = labeledPass();
  const nextLabeled = (): Minibatch => {
    let r = lab.next();
    if (r.done) {
      lab = labeledPass();
      r = lab.next();
    }
    return r.value as Minibatch;
  };
  for (let i = 0; i < start; i++) nextLabeled();
  for (const u of minibatches(unlabeled, { batchSize: o.batchSize, rng: o.rng, binarize: o.binarize, flatten: true, startBatch: start })) {
    yield { unlabeled: u, labeled: nextLabeled() };
  }
}

export interface TrainM2Options extends Omit<SemiSupervisedBatchOptions, 'startBatch'> {
  labeled: Dataset;
  unlabeled: Dataset;
  epochs: number;
  /** Generator of the model's noise (z samples). */
  modelRng: Rng;
  /** Weight of the classification term (default 0.1 N; see `m2Loss`). */
  alpha?: number;
  /** Common random numbers across the enumerated labels (default true; see `M2.enumeratedBounds`). */
  sharedNoise?: boolean;
  clipNorm?: number;
  /** Resume from here. */
  state?: TrainerState;
  onStep?(r: StepReport): void;
  onEpoch?(r: EpochReport): void;
  onNonFinite?(step: number, quantity: string, newLr: number): void;
}

/**
 * Trains M2 (Kingma et al. 2014) with `fit`: each step one unlabeled batch
 * (y summed out, U(x)) and one labeled batch (L(x, y) and the classifier's
 * cross-entropy weighted by alpha), as `m2Loss` combines them. An epoch is
 * one pass over the unlabeled set.
 *
 * @example
 * const optimizer = new Adam(m2.parameters(), { lr: 1e-3 });
 * trainM2(m2, optimizer, { labeled, unlabeled, epochs: 30, batchSize: 100, binarize: 'dynamic', rng, labeledRng, modelRng });
 */
export function trainM2(model: M2, optimizer: Optimizer<{ lr: number }>, o: TrainM2Options): TrainerState {
  const weights = { alpha: o.alpha, numLabeled: o.labeled.length, numUnlabeled: o.unlabeled.length, sharedNoise: o.sharedNoise };
  return fit<SemiSupervisedBatch>({
    model, optimizer, epochs: o.epochs, batchesPerEpoch: numBatches(o.unlabeled.length, o.batchSize), state: o.state, clipNorm: o.clipNorm,
    epochBatches: (_epoch, start) => semiSupervisedBatches(o.unlabeled, o.labeled, { ...o, startBatch: start }),
    loss: (b) => m2Loss(model, { x: b.labeled.x, y: b.labeled.y! }, { x: b.unlabeled.x }, o.modelRng, weights),
    onStep: o.onStep, onEpoch: o.onEpoch, onNonFinite: o.onNonFinite,
  });
}

export interface TrainClassifierOptions {
  labeled: Dataset;
  epochs: number;
  /** Steps per epoch: M2's, so the baseline gets as many optimizer steps as M2. */
  batchesPerEpoch: number;
  /** Labeled examples per step (default min(100, labeled set size)). */
  labeledBatchSize?: number;
  labeledRng: Rng;
  binarize: 'dynamic' | 'none';
  onEpoch?(r: EpochReport): void;
}

/**
 * The labels-only baseline: a classifier (e.g. `labelClassifier(config)`,
 * M2's architecture) trained by cross-entropy on the labeled set alone,
 * cycled like M2's labeled batches, for the same epochs and steps, without
 * early stopping.
 */
export function trainClassifier(net: Module, optimizer: Optimizer<{ lr: number }>, o: TrainClassifierOptions): TrainerState {
  const lb = o.labeledBatchSize ?? Math.min(100, o.labeled.length);
  return fit<Minibatch>({
    model: net, optimizer, epochs: o.epochs, batchesPerEpoch: o.batchesPerEpoch,
    epochBatches: function* () {
      let done = 0;
      while (done < o.batchesPerEpoch) {
        for (const b of minibatches(o.labeled, { batchSize: lb, rng: o.labeledRng, binarize: o.binarize, flatten: true, dropLast: true })) {
          if (done++ >= o.batchesPerEpoch) return;
          yield b;
        }
      }
    },
    loss: (b) => {
      const loss = crossEntropy(net.forward(b.x), b.y!);
      return { loss, stats: { ce: loss.item() } };
    },
    onEpoch: o.onEpoch,
  });
}
