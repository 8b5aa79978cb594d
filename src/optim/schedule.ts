/**
 * Learning-rate schedules over an optimizer's parameter groups, each the
 * closed form of the PyTorch scheduler of the same name: the lr of group i
 * at epoch t (the number of `step()` calls so far) is `lrAt(t, base_i)`,
 * where base_i is the group's lr when the first scheduler was attached.
 * Call `step()` once after each `optimizer.step()` (or once per epoch).
 */

/** What a scheduler needs of an optimizer: its parameter groups' learning rates. */
export interface ScheduledOptimizer {
  paramGroups: { lr: number; initialLr?: number }[];
}

export interface SchedulerStateDict {
  lastEpoch: number;
}

/**
 * The base of the schedules: keeps the epoch count and writes the closed
 * form's lr into every parameter group at construction and after each
 * `step()`.
 */
export abstract class LRScheduler {
  readonly optimizer: ScheduledOptimizer;
  /** Each group's lr before scheduling (PyTorch's `initial_lr`). */
  readonly baseLrs: number[];
  /** The number of `step()` calls so far. */
  lastEpoch = 0;

  protected constructor(optimizer: ScheduledOptimizer, name: string) {
    if (!optimizer || !Array.isArray(optimizer.paramGroups)) throw new Error(`${name}: expected an optimizer`);
    for (const g of optimizer.paramGroups) g.initialLr ??= g.lr;
    this.optimizer = optimizer;
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
  }

  /** The learning rate at `epoch` for a group whose base learning rate is `baseLr`. */
  abstract lrAt(epoch: number, baseLr: number): number;

  /** The learning rates of the groups at the current epoch. */
  getLr(): number[] {
    return this.baseLrs.map((b) => this.lrAt(this.lastEpoch, b));
  }

  /** Advances one epoch and sets the groups' learning rates. */
  step(): void {
    this.lastEpoch += 1;
    this.apply();
  }

  /** Writes `getLr()` into the optimizer's groups. */
  protected apply(): void {
    const lrs = this.getLr();
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = lrs[i]));
  }

  stateDict(): SchedulerStateDict {
    return { lastEpoch: this.lastEpoch };
  }

  /** Restores the epoch and sets the groups' learning rates for it. */
  loadStateDict(sd: SchedulerStateDict): void {
    if (!sd || !Number.isInteger(sd.lastEpoch) || sd.lastEpoch < 0) {
      throw new Error(`${this.constructor.name}.loadStateDict: lastEpoch must be a non-negative integer, got ${String(sd?.lastEpoch)}`);
    }
    this.lastEpoch = sd.lastEpoch;
    this.apply();
  }
}

/**
 * Multiplies the lr by `gamma` every `stepSize` epochs:
 * lr = base * gamma^floor(t / stepSize) (`torch.optim.lr_scheduler.StepLR`).
 *
 * @example
 * const sched = new StepLR(opt, { stepSize: 30, gamma: 0.1 });
 * for (let epoch = 0; epoch < 90; epoch++) { train(); sched.step(); }
 */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: ScheduledOptimizer, options: { stepSize: number; gamma?: number }) {
    super(optimizer, 'StepLR');
    if (!Number.isInteger(options?.stepSize) || options.stepSize < 1) {
      throw new Error(`StepLR: stepSize must be a positive integer, got ${String(options?.stepSize)}`);
    }
    this.stepSize = options.stepSize;
    this.gamma = checkGamma(options.gamma ?? 0.1, 'StepLR');
    this.apply();
  }

  lrAt(epoch: number, baseLr: number): number {
    return baseLr * this.gamma ** Math.floor(epoch / this.stepSize);
  }
}

/**
 * lr = base * gamma^t (`torch.optim.lr_scheduler.ExponentialLR`).
 *
 * @example
 * const sched = new ExponentialLR(opt, { gamma: 0.99 });
 */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;

  constructor(optimizer: ScheduledOptimizer, options: { gamma: number }) {
    super(optimizer, 'ExponentialLR');
    this.gamma = checkGamma(options?.gamma, 'ExponentialLR');
    this.apply();
  }

  lrAt(epoch: number, baseLr: number): number {
    return baseLr * this.gamma ** epoch;
  }
}

/**
 * Cosine annealing from the base lr to `etaMin` over `tMax` epochs:
 * lr = etaMin + (base - etaMin) (1 + cos(pi t / tMax)) / 2, the closed form
 * of `torch.optim.lr_scheduler.CosineAnnealingLR` (which continues as a
 * cosine beyond tMax).
 *
 * Paper: Loshchilov & Hutter, "SGDR: Stochastic gradient descent with warm restarts", ICLR 2017.
 *
 * @example
 * const sched = new CosineAnnealingLR(opt, { tMax: 100, etaMin: 1e-5 });
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;

  constructor(optimizer: ScheduledOptimizer, options: { tMax: number; etaMin?: number }) {
    super(optimizer, 'CosineAnnealingLR');
    if (!Number.isInteger(options?.tMax) || options.tMax < 1) {
      throw new Error(`CosineAnnealingLR: tMax must be a positive integer, got ${String(options?.tMax)}`);
    }
    const etaMin = options.etaMin ?? 0;
    if (!Number.isFinite(etaMin) || etaMin < 0) throw new Error(`CosineAnnealingLR: etaMin must be a finite non-negative number, got ${etaMin}`);
    this.tMax = options.tMax;
    this.etaMin = etaMin;
    this.apply();
  }

  lrAt(epoch: number, baseLr: number): number {
    return cosineAnnealing(epoch, this.tMax, baseLr, this.etaMin);
  }
}

/**
 * The learning rate of cosine annealing at `epoch` as a function:
 * etaMin + (baseLr - etaMin) (1 + cos(pi epoch / tMax)) / 2 (what
 * `CosineAnnealingLR` applies), for loops that compute the rate from their
 * own step count.
 *
 * @example
 * cosineAnnealing(50, 100, 1e-3, 0);   // 5e-4
 */
export function cosineAnnealing(epoch: number, tMax: number, baseLr: number, etaMin: number): number {
  return etaMin + ((baseLr - etaMin) * (1 + Math.cos((Math.PI * epoch) / tMax))) / 2;
}

/**
 * Scales the lr linearly from `startFactor` to `endFactor` times the base
 * over `totalIters` epochs, then holds it (`torch.optim.lr_scheduler.LinearLR`,
 * same defaults: 1/3, 1, 5). With endFactor 1 this is a linear warm-up; see
 * `linearWarmup` to follow it with another schedule.
 *
 * @example
 * const sched = new LinearLR(opt, { startFactor: 0.01, totalIters: 1000 });
 */
export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;

  constructor(optimizer: ScheduledOptimizer, options: { startFactor?: number; endFactor?: number; totalIters?: number } = {}) {
    super(optimizer, 'LinearLR');
    const start = options.startFactor ?? 1 / 3;
    const end = options.endFactor ?? 1;
    const total = options.totalIters ?? 5;
    if (!(start > 0 && start <= 1)) throw new Error(`LinearLR: startFactor must be in (0, 1], got ${start}`);
    if (!(end >= 0 && end <= 1)) throw new Error(`LinearLR: endFactor must be in [0, 1], got ${end}`);
    if (!Number.isInteger(total) || total < 1) throw new Error(`LinearLR: totalIters must be a positive integer, got ${total}`);
    this.startFactor = start;
    this.endFactor = end;
    this.totalIters = total;
    this.apply();
  }

  lrAt(epoch: number, baseLr: number): number {
    const f = this.startFactor + ((this.endFactor - this.startFactor) * Math.min(this.totalIters, epoch)) / this.totalIters;
    return baseLr * f;
  }
}

/**
 * lr = base * factor(t) for a function of the epoch (`LambdaLR`).
 *
 * @example
 * const sched = new LambdaLR(opt, (t) => 1 / Math.sqrt(t + 1));
 */
export class LambdaLR extends LRScheduler {
  readonly factor: (epoch: number) => number;

  constructor(optimizer: ScheduledOptimizer, factor: (epoch: number) => number) {
    super(optimizer, 'LambdaLR');
    if (typeof factor !== 'function') throw new Error('LambdaLR: factor must be a function of the epoch');
    this.factor = factor;
    this.apply();
  }

  lrAt(epoch: number, baseLr: number): number {
    const f = this.factor(epoch);
    if (typeof f !== 'number' || !Number.isFinite(f) || f < 0) {
      throw new Error(`LambdaLR: factor(${epoch}) must be a finite non-negative number, got ${String(f)}`);
    }
    return baseLr * f;
  }
}

/**
 * Runs `schedulers[0]` until `milestones[0]`, then `schedulers[1]` counting
 * its epochs from that milestone, and so on, like
 * `torch.optim.lr_scheduler.SequentialLR`. The schedulers must be built on
 * the same optimizer; only this one's `step()` should be called.
 *
 * @example
 * const sched = new SequentialLR(opt, [new LinearLR(opt, { startFactor: 0.1, totalIters: 10 }),
 *                                      new CosineAnnealingLR(opt, { tMax: 90 })], [10]);
 */
export class SequentialLR extends LRScheduler {
  readonly schedulers: readonly LRScheduler[];
  readonly milestones: readonly number[];

  constructor(optimizer: ScheduledOptimizer, schedulers: readonly LRScheduler[], milestones: readonly number[]) {
    super(optimizer, 'SequentialLR');
    if (!Array.isArray(schedulers) || schedulers.length === 0) throw new Error('SequentialLR: needs at least one scheduler');
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler)) throw new Error(`SequentialLR: schedulers[${i}] is not a scheduler`);
      if (s.optimizer !== optimizer) throw new Error(`SequentialLR: schedulers[${i}] is attached to a different optimizer`);
    });
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      throw new Error(`SequentialLR: expected ${schedulers.length - 1} milestone(s) for ${schedulers.length} schedulers, got ${JSON.stringify(milestones)}`);
    }
    milestones.forEach((m, i) => {
      if (!Number.isInteger(m) || m < 1 || (i > 0 && m <= milestones[i - 1])) {
        throw new Error(`SequentialLR: milestones must be increasing positive integers, got ${JSON.stringify(milestones)}`);
      }
    });
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    this.apply();
  }

  lrAt(epoch: number, baseLr: number): number {
    let k = 0;
    while (k < this.milestones.length && epoch >= this.milestones[k]) k++;
    return this.schedulers[k].lrAt(epoch - (k > 0 ? this.milestones[k - 1] : 0), baseLr);
  }
}

/**
 * A linear warm-up over `steps` epochs from `startFactor` times the base
 * lr, then `after` (if given) counting its epochs from the end of the
 * warm-up: `SequentialLR([LinearLR(startFactor, 1, steps), after], [steps])`.
 *
 * @example
 * const sched = linearWarmup(opt, { steps: 500, startFactor: 0.01, after: new CosineAnnealingLR(opt, { tMax: 9500 }) });
 */
export function linearWarmup(
  optimizer: ScheduledOptimizer,
  options: { steps: number; startFactor?: number; after?: LRScheduler },
): LRScheduler {
  const warm = new LinearLR(optimizer, { startFactor: options.startFactor ?? 1 / options.steps, endFactor: 1, totalIters: options.steps });
  if (!options.after) return warm;
  return new SequentialLR(optimizer, [warm, options.after], [options.steps]);
}

function checkGamma(gamma: unknown, where: string): number {
  if (typeof gamma !== 'number' || !Number.isFinite(gamma) || gamma < 0) {
    throw new Error(`${where}: gamma must be a finite non-negative number, got ${String(gamma)}`);
  }
  return gamma;
}
