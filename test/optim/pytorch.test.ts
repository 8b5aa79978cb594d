// Replays test/fixtures/optim_trajectory.json (scripts/fixtures/optim_trajectory.py):
// the same float64 problem, optimizers, schedules and clipping as PyTorch,
// compared after every one of 50 steps.
//
// Tolerance 1e-10 (absolute + relative): both sides run in float64 and the
// update rules do the same operations in the same order, so the only
// differences are rounding in the loss gradient (summation order inside
// matmul/sum), in pow() of the bias corrections and the schedules' cos/pow,
// at ~1e-16 relative per step. Over 50 steps of these contracting
// iterations they grow to ~1e-14 (observed); 1e-10 leaves room for other
// libm's while any real difference in a rule (a misplaced eps, a bias
// correction off by one step, decay applied to the wrong term) moves the
// parameters by 1e-4 or more within a few steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, tensor, matmul, sub, mul, add, sum, slice, square } from '../../src/index.js';
import {
  Adam, AdamW, SGD, StepLR, CosineAnnealingLR, ExponentialLR, LinearLR, SequentialLR,
  clipGradNorm, clipGradValue, type LRScheduler, type Optimizer,
} from '../../src/optim/index.js';
import { fixture, assertClose } from '../helpers.js';

const TOL = 1e-10;

type Num = number | 'Infinity';
interface Case {
  name: string;
  optimizer: 'Adam' | 'AdamW' | 'SGD';
  options: Record<string, number | boolean | number[]>;
  groups?: { lr?: number; weightDecay?: number }[];
  schedule?: { kind: string; stepSize?: number; gamma?: number; tMax?: number; etaMin?: number; steps?: number; startFactor?: number };
  clip?: { kind: 'norm' | 'value'; maxNorm?: number; normType?: Num; clipValue?: number };
  losses: number[];
  lrs: number[][];
  params: number[][];
  clipNorms?: number[];
}
interface Fixture {
  steps: number;
  problem: { w0: number[][]; z0: number[]; u: number[]; v: number[] };
  cases: Case[];
}

const fx = fixture<Fixture>('optim_trajectory.json');
const num = (x: Num | undefined): number => (x === 'Infinity' ? Infinity : (x as number));

function lossOf(w: Tensor, z: Tensor, u: Tensor, v: Tensor): Tensor {
  const r = sub(matmul(w, u), v);
  const z0 = slice(z, 0, 0, 1);
  const z1 = slice(z, 0, 1, 2);
  const rosen = add(square(sub(1, z0)), mul(square(sub(z1, square(z0))), 100));
  return add(mul(sum(mul(r, r)), 0.5), sum(rosen));
}

function makeOptimizer(c: Case, w: Tensor, z: Tensor): Optimizer<{ lr: number }> {
  const o = c.options;
  const opts = { ...o, ...(o.betas ? { betas: o.betas as [number, number] } : {}) };
  const params = c.groups
    ? c.groups.map((g, i) => ({ params: [i === 0 ? w : z], ...g }))
    : [w, z];
  switch (c.optimizer) {
    case 'Adam': return new Adam(params, opts) as unknown as Optimizer<{ lr: number }>;
    case 'AdamW': return new AdamW(params, opts) as unknown as Optimizer<{ lr: number }>;
    case 'SGD': return new SGD(params, opts as { lr: number }) as unknown as Optimizer<{ lr: number }>;
  }
}

function makeScheduler(c: Case, opt: Optimizer<{ lr: number }>): LRScheduler | null {
  const s = c.schedule;
  if (!s) return null;
  switch (s.kind) {
    case 'StepLR': return new StepLR(opt, { stepSize: s.stepSize!, gamma: s.gamma });
    case 'CosineAnnealingLR': return new CosineAnnealingLR(opt, { tMax: s.tMax!, etaMin: s.etaMin });
    case 'warmupExponential': {
      const warm = new LinearLR(opt, { startFactor: s.startFactor, endFactor: 1, totalIters: s.steps });
      return new SequentialLR(opt, [warm, new ExponentialLR(opt, { gamma: s.gamma! })], [s.steps!]);
    }
    default: throw new Error(`unknown schedule ${s.kind}`);
  }
}

for (const c of fx.cases) {
  test(`optim trajectory matches PyTorch: ${c.name}`, () => {
    const { w0, z0, u: u0, v: v0 } = fx.problem;
    const w = tensor(w0, { dtype: 'float64', requiresGrad: true });
    const z = tensor(z0, { dtype: 'float64', requiresGrad: true });
    const u = tensor(u0, { dtype: 'float64' });
    const v = tensor(v0, { dtype: 'float64' });
    const opt = makeOptimizer(c, w, z);
    const sched = makeScheduler(c, opt);
    for (let step = 0; step < fx.steps; step++) {
      opt.zeroGrad();
      const loss = lossOf(w, z, u, v);
      loss.backward();
      assertClose([loss.item()], [c.losses[step]], TOL, TOL, `${c.name} loss at step ${step}`);
      if (c.clip?.kind === 'norm') {
        const norm = clipGradNorm([w, z], c.clip.maxNorm!, num(c.clip.normType));
        assertClose([norm], [c.clipNorms![step]], TOL, TOL, `${c.name} clip norm at step ${step}`);
      } else if (c.clip?.kind === 'value') {
        clipGradValue([w, z], c.clip.clipValue!);
      }
      assertClose(opt.paramGroups.map((g) => g.lr), c.lrs[step], TOL, TOL, `${c.name} lr at step ${step}`);
      opt.step();
      sched?.step();
      assertClose([...w.data, ...z.data], c.params[step], TOL, TOL, `${c.name} params after step ${step + 1}`);
    }
  });
}

test('the fixture covers every optimizer family', () => {
  const names = new Set(fx.cases.map((c) => c.optimizer));
  assert.deepEqual([...names].sort(), ['Adam', 'AdamW', 'SGD']);
});
