// Event shapes shared by the layers: a vector [D] (inputs [N, D]) or an
// image [C, H, W] (inputs [N, C, H, W]), and the per-feature parameter
// layout each implies: [D] for vectors, [C, 1, 1] (per channel, shared over
// pixels, as in Glow) for images.
import { Tensor } from '../../tensor/tensor.js';
import { add, sum } from '../../ops/index.js';
import { zeros } from '../../tensor/create.js';

/** The shape of one example: `D` or `[D]` for vectors, `[C, H, W]` for images. */
export type EventShape = number | readonly number[];

/** A resolved event shape. */
export interface Event {
  /** [D] or [C, H, W]. */
  shape: number[];
  /** 1 for vectors, 3 for images. */
  dim: 1 | 3;
  /** Features mixed by per-feature layers: D, or the channels C. */
  features: number;
  /** Positions sharing each feature's parameters: 1, or H * W. */
  positions: number;
  /** The shape of per-feature parameters: [D] or [C, 1, 1]. */
  paramShape: number[];
  /** The axes that per-feature statistics reduce over: [0] or [0, 2, 3]. */
  statAxes: number[];
  /** The event axes of an input, summed for log-determinants: [1] or [1, 2, 3]. */
  eventAxes: number[];
}

export function resolveEvent(shape: EventShape, where: string): Event {
  const s = typeof shape === 'number' ? [shape] : Array.isArray(shape) ? [...shape] : null;
  if (!s || (s.length !== 1 && s.length !== 3) || s.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new Error(`${where}: eventShape must be D (vectors [N, D]) or [C, H, W] (images [N, C, H, W]) with positive integer sizes, got ${JSON.stringify(shape)}`);
  }
  if (s.length === 1) return { shape: s, dim: 1, features: s[0], positions: 1, paramShape: [s[0]], statAxes: [0], eventAxes: [1] };
  return { shape: s, dim: 3, features: s[0], positions: s[1] * s[2], paramShape: [s[0], 1, 1], statAxes: [0, 2, 3], eventAxes: [1, 2, 3] };
}

/** Throws unless x is [N, ...event]. */
export function checkInput(x: Tensor, ev: Event, where: string): void {
  if (!(x instanceof Tensor)) throw new Error(`${where}: expected a Tensor [N, ${ev.shape.join(', ')}], got ${typeof x}`);
  const ok = x.rank === ev.shape.length + 1 && ev.shape.every((v, i) => x.shape[i + 1] === v);
  if (!ok) throw new Error(`${where}: expected input [N, ${ev.shape.join(', ')}], got [${x.shape.join(', ')}]`);
}

/** A scalar log-determinant (the same for every example) as a batch vector [N]. */
export function perExample(logDet: Tensor, n: number, dtype: Tensor['dtype']): Tensor {
  return add(zeros([n], { dtype }), logDet);
}

/** Sums an elementwise log-scale over the event axes: [N, ...event] -> [N]. */
export function sumEvent(t: Tensor, ev: Event): Tensor {
  return sum(t, ev.eventAxes);
}
