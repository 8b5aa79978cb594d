import { Tensor } from '../tensor/tensor.js';
import type { Module } from '../nn/index.js';
import { clipGradNorm, type Optimizer } from '../optim/index.js';

/** Where a run is: enough, with the checkpoint's RNG states, to resume it exactly. */
export interface TrainerState {
  epoch: number;
  /** Optimizer steps taken (the schedules' clock). */
  step: number;
  /** Batches of `epoch` already consumed. */
  batchInEpoch: number;
  /** Learning-rate halvings forced by non-finite steps so far. */
  lrHalvings: number;
}

export interface StepReport {
  epoch: number;
  step: number;
  batch: number;
  loss: number;
  stats: Record<string, number>;
}

export interface EpochReport {
  epoch: number;
  step: number;
  /** Mean of each stat over the epoch's batches. */
  means: Record<string, number>;
  seconds: number;
  state: TrainerState;
}

/** A step that produced NaN or infinity, which the run could not recover from. */
export class NonFiniteError extends Error {
  constructor(readonly step: number, readonly quantity: string) {
    super(`training stopped at step ${step}: ${quantity} is not finite (NaN or infinity); the weights were not updated with it`);
  }
}

export interface FitOptions<B> {
  model: Module<any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  optimizer: Optimizer<{ lr: number }>;
  epochs: number;
  batchesPerEpoch: number;
  /** The batches of `epoch`, skipping the first `start` (for a resumed run). */
  epochBatches(epoch: number, start: number): Iterable<B>;
  /** The loss of one batch, and stats to report, at optimizer step `step`. */
  loss(batch: B, step: number): { loss: Tensor; stats: Record<string, number> };
  /** Clip the gradient's global L2 norm to this (none by default). */
  clipNorm?: number;
  /**
   * How many consecutive non-finite steps to absorb, each skipped and
   * halving the learning rate, before stopping (default 3).
   */
  maxNonFinite?: number;
  /** Resume from here (default: the beginning). */
  state?: TrainerState;
  onStep?(r: StepReport): void;
  /** After each epoch: the place to write metrics and a checkpoint. */
  onEpoch?(r: EpochReport): void;
  /** Told of each skipped non-finite step. */
  onNonFinite?(step: number, quantity: string, newLr: number): void;
}

function firstNonFinite(t: Tensor): number {
  const d = t.data;
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return i;
  return -1;
}

/**
 * The training loop shared by every model trained by gradient descent:
 * for each batch, loss, backward, optional clipping, optimizer step.
 *
 * A non-finite loss or gradient never reaches the weights: the step is
 * skipped (the parameters and optimizer state stay as they were: the last
 * good state), the learning rate is halved, and after `maxNonFinite`
 * consecutive such steps the run stops with a `NonFiniteError` naming the
 * step and the quantity. Parameters that become non-finite after an update
 * also stop the run, so a caller that checkpoints only after `onEpoch`
 * keeps its last good checkpoint.
 */
export function fit<B>(o: FitOptions<B>): TrainerState {
  const state: TrainerState = { ...(o.state ?? { epoch: 0, step: 0, batchInEpoch: 0, lrHalvings: 0 }) };
  const maxNonFinite = o.maxNonFinite ?? 3;
  const named = [...o.model.namedParameters()] as [string, Tensor][];
  let consecutive = 0;
  for (; state.epoch < o.epochs; state.epoch++, state.batchInEpoch = 0) {
    const t0 = performance.now();
    const sums: Record<string, number> = {};
    let count = 0;
    for (const batch of o.epochBatches(state.epoch, state.batchInEpoch)) {
      o.optimizer.zeroGrad();
      const { loss, stats } = o.loss(batch, state.step);
      const lossValue = loss.item();
      let bad: string | null = Number.isFinite(lossValue) ? null : `the loss (${lossValue})`;
      if (!bad) {
        loss.backward();
        for (const [name, p] of named) {
          if (p.grad && firstNonFinite(p.grad) >= 0) {
            bad = `the gradient of ${name}`;
            break;
          }
        }
      }
      if (bad) {
        o.optimizer.zeroGrad();
        consecutive++;
        if (consecutive > maxNonFinite) throw new NonFiniteError(state.step, bad);
        o.optimizer.lr = o.optimizer.lr / 2;
        state.lrHalvings++;
        o.onNonFinite?.(state.step, bad, o.optimizer.lr);
        state.batchInEpoch++;
        continue;
      }
      consecutive = 0;
      if (o.clipNorm !== undefined) clipGradNorm(named.map(([, p]) => p), o.clipNorm);
      o.optimizer.step();
      for (const [name, p] of named) {
        if (firstNonFinite(p) >= 0) throw new NonFiniteError(state.step, `parameter ${name} after the update`);
      }
      state.step++;
      state.batchInEpoch++;
      count++;
      for (const [k, v] of Object.entries(stats)) sums[k] = (sums[k] ?? 0) + v;
      sums.loss = (sums.loss ?? 0) + lossValue;
      o.onStep?.({ epoch: state.epoch, step: state.step, batch: state.batchInEpoch, loss: lossValue, stats });
    }
    const means = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / Math.max(count, 1)]));
    o.onEpoch?.({ epoch: state.epoch + 1, step: state.step, means, seconds: (performance.now() - t0) / 1e3, state: { ...state, epoch: state.epoch + 1, batchInEpoch: 0 } });
  }
  return state;
}
