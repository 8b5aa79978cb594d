import { Tensor } from '../tensor/tensor.js';
import { broadcastShapes, broadcastStrides, formatShape, sizeOf } from '../tensor/shape.js';
import { kernel } from '../kernels/registry.js';
import { record } from '../autograd/tape.js';
import { empty } from './util.js';
import { cast } from './elementwise.js';
import { reshape } from './shape.js';

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
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batch = broadcastShapes(batchA, batchB, 'matmul (batch dimensions)');
  const out = empty([...batch, m, n], a.dtype);
  const gemm = kernel('gemm');
  const nb = sizeOf(batch);
  if (nb === 1) {
    gemm(transA, transB, m, n, k, a.data, 0, b.data, 0, out.data, 0, false);
  } else {
    const sa = broadcastStrides(batchA, batch);
    const sb = broadcastStrides(batchB, batch);
    const matA = m * k;
    const matB = k * n;
    const idx = new Array<number>(batch.length).fill(0);
    for (let i = 0; i < nb; i++) {
      let oa = 0;
      let ob = 0;
      for (let d = 0; d < batch.length; d++) {
        oa += idx[d] * sa[d];
        ob += idx[d] * sb[d];
      }
      gemm(transA, transB, m, n, k, a.data, oa * matA, b.data, ob * matB, out.data, i * m * n, false);
      for (let d = batch.length - 1; d >= 0; d--) {
        if (++idx[d] < batch[d]) break;
        idx[d] = 0;
      }
    }
  }
  // With C = op(A) op(B): dop(A) = G op(B)^T and dop(B) = op(A)^T G, each written
  // as one matmul with flags, so no transpose is ever materialized.
  return record(out, 'matmul', [a, b], (g, needs) => [
    needs[0] ? (transA ? matmul(b, g, { transA: transB, transB: true }) : matmul(g, b, { transB: !transB })) : null,
    needs[1] ? (transB ? matmul(g, a, { transA: true, transB: transA }) : matmul(a, g, { transA: !transA })) : null,
  ]);
}
