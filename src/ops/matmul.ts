import { Tensor } from '../tensor/tensor.js';
import { broadcastShapes, broadcastStrides, formatShape, sizeOf } from '../tensor/shape.js';
import { kernel } from '../kernels/registry.js';
import { record } from '../autograd/tape.js';
import { output } from './util.js';
import { cast } from './elementwise.js';
import { broadcastTo, reshape } from './shape.js';

export interface MatmulOptions {
  /** Use the transpose of a's last two dimensions, without copying. */
  transA?: boolean;
  /** Use the transpose of b's last two dimensions, without copying. */
  transB?: boolean;
}

/**
 * Matrix product over the last two dimensions, batch dimensions
 * broadcasting (like torch.matmul). A 1-D operand is a vector. Either
 * operand can be used transposed without a copy: the GEMM kernel reads it
 * in place, and the gradient rules use the same flags.
 *
 * @example
 * matmul(x, w, { transB: true })   // x @ w.T, as in torch.nn.Linear: [B, in] x [out, in] -> [B, out]
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  if (a.rank === 0 || b.rank === 0) {
    throw new Error(`matmul: operands must have rank >= 1, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  if (a.rank === 1 || b.rank === 1) {
    const a2 = a.rank === 1 ? reshape(a, transA ? [a.size, 1] : [1, a.size]) : a;
    const b2 = b.rank === 1 ? reshape(b, transB ? [1, b.size] : [b.size, 1]) : b;
    const out = matmul(a2, b2, options);
    const s = [...out.shape];
    if (b.rank === 1) s.splice(s.length - 1, 1);
    if (a.rank === 1) s.splice(s.length - (b.rank === 1 ? 1 : 2), 1);
    return reshape(out, s);
  }
  if (a.dtype !== b.dtype) return matmul(cast(a, 'float64'), cast(b, 'float64'), options);
  const m = transA ? a.shape[a.rank - 1] : a.shape[a.rank - 2];
  const k = transA ? a.shape[a.rank - 2] : a.shape[a.rank - 1];
  const kb = transB ? b.shape[b.rank - 1] : b.shape[b.rank - 2];
  const n = transB ? b.shape[b.rank - 2] : b.shape[b.rank - 1];
  if (k !== kb) {
    const desc = (t: Tensor, tr: boolean, nm: string) => `${nm} ${formatShape(t.shape)}${tr ? ' (transposed)' : ''}`;
    throw new Error(`matmul: ${desc(a, transA, 'a')} and ${desc(b, transB, 'b')} do not chain: inner dimensions ${k} and ${kb} differ`);
  }
  const out = output([...broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'matmul (batch dimensions)'), m, n], a.dtype);
  forEachBatch(a, b, m, n, k, (oa, ob, i) => kernel('gemm')(transA, transB, m, n, k, a.data, oa, b.data, ob, out.data, i * m * n, false));
  return record(out, 'matmul', [a, b], (g, needs) => matmulGrads(g, a, b, transA, transB, needs));
}

/**
 * Calls `fn(offsetA, offsetB, batchIndex)` for each matrix pair of the
 * broadcast batch of a [..., *, *] and b [..., *, *].
 */
function forEachBatch(a: Tensor, b: Tensor, m: number, n: number, k: number, fn: (oa: number, ob: number, i: number) => void): void {
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batch = broadcastShapes(batchA, batchB, 'matmul (batch dimensions)');
  const nb = sizeOf(batch);
  const sa = broadcastStrides(batchA, batch);
  const sb = broadcastStrides(batchB, batch);
  const idx = new Array<number>(batch.length).fill(0);
  for (let i = 0; i < nb; i++) {
    let oa = 0;
    let ob = 0;
    for (let d = 0; d < batch.length; d++) {
      oa += idx[d] * sa[d];
      ob += idx[d] * sb[d];
    }
    fn(oa * m * k, ob * k * n, i);
    for (let d = batch.length - 1; d >= 0; d--) {
      if (++idx[d] < batch[d]) break;
      idx[d] = 0;
    }
  }
}

/**
 * With C = op(A) op(B): dop(A) = G op(B)^T and dop(B) = op(A)^T G, each
 * written as one product with flags, so no transpose is materialized. Where
 * an operand is a single matrix shared by a batch (a conv weight, a Linear
 * weight on 3-D input), its gradient is summed over the batch inside the
 * GEMM (`matmulBatchSum`) instead of materializing one gradient per batch entry.
 */
function matmulGrads(g: Tensor, a: Tensor, b: Tensor, transA: boolean, transB: boolean, needs: readonly boolean[]): (Tensor | null)[] {
  const batched = g.rank > 2;
  const prod = (x: Tensor, y: Tensor, tx: boolean, ty: boolean, shared: boolean) =>
    shared ? matmulBatchSum(x, y, { transA: tx, transB: ty }) : matmul(x, y, { transA: tx, transB: ty });
  const sharedA = batched && a.rank === 2;
  const sharedB = batched && b.rank === 2;
  return [
    needs[0] ? (transA ? prod(b, g, transB, true, sharedA) : prod(g, b, false, !transB, sharedA)) : null,
    needs[1] ? (transB ? prod(g, a, true, transA, sharedB) : prod(a, g, !transA, false, sharedB)) : null,
  ];
}

/**
 * The sum over the (broadcast) batch of op(a_i) op(b_i): a [..., m, k] and
 * b [..., k, n] give [m, n]. Accumulates in the GEMM kernel, so the
 * per-batch products are never stored. Used for gradients of matrices
 * shared across a batch.
 */
export function matmulBatchSum(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  if (a.rank < 2 || b.rank < 2) {
    throw new Error(`matmulBatchSum: operands must have rank >= 2, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  if (a.dtype !== b.dtype) return matmulBatchSum(cast(a, 'float64'), cast(b, 'float64'), options);
  const m = transA ? a.shape[a.rank - 1] : a.shape[a.rank - 2];
  const k = transA ? a.shape[a.rank - 2] : a.shape[a.rank - 1];
  const kb = transB ? b.shape[b.rank - 1] : b.shape[b.rank - 2];
  const n = transB ? b.shape[b.rank - 2] : b.shape[b.rank - 1];
  if (k !== kb) {
    throw new Error(`matmulBatchSum: a ${formatShape(a.shape)} and b ${formatShape(b.shape)} do not chain: inner dimensions ${k} and ${kb} differ`);
  }
  const out = output([m, n], a.dtype);
  forEachBatch(a, b, m, n, k, (oa, ob, i) => kernel('gemm')(transA, transB, m, n, k, a.data, oa, b.data, ob, out.data, 0, i > 0));
  if (sizeOf(broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2))) === 0) out.data.fill(0); // the sum over an empty batch
  // Each batch entry receives the full gradient; an operand whose batch was
  // broadcast (size 1) is expanded here and summed back by the tape.
  return record(out, 'matmulBatchSum', [a, b], (g, needs) => {
    const [da, db] = matmulGrads(g, a, b, transA, transB, needs);
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const full = (d: Tensor | null) => d && broadcastTo(d, [...batch, ...d.shape.slice(-2)]);
    return [full(da), full(db)];
  });
}
