import type { Kernels } from '../registry.js';

// Index kernels trust their indices: the ops validate them (integer, in
// range) once, before any kernel runs, so every backend gets the same errors.

export const indexSelect: Kernels['indexSelect'] = (x, outer, n, inner, indices, out) => {
  const m = indices.length;
  for (let o = 0; o < outer; o++) {
    const xBase = o * n * inner;
    const outBase = o * m * inner;
    for (let j = 0; j < m; j++) {
      const src = xBase + indices[j] * inner;
      const dst = outBase + j * inner;
      for (let i = 0; i < inner; i++) out[dst + i] = x[src + i];
    }
  }
};

export const indexAdd: Kernels['indexAdd'] = (src, outer, n, inner, indices, out) => {
  const m = indices.length;
  for (let o = 0; o < outer; o++) {
    const outBase = o * n * inner;
    const srcBase = o * m * inner;
    for (let j = 0; j < m; j++) {
      const dst = outBase + indices[j] * inner;
      const s = srcBase + j * inner;
      for (let i = 0; i < inner; i++) out[dst + i] += src[s + i];
    }
  }
};

/**
 * Row-major strides of `shape` with the stride of `axis` moved out: the
 * walk over the index's positions uses `walk`, and the axis coordinate
 * comes from the index value times `axisStride`.
 */
function walkStrides(shape: readonly number[], axis: number): { walk: number[]; axisStride: number } {
  const walk = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    walk[d] = s;
    s *= shape[d];
  }
  const axisStride = walk[axis];
  walk[axis] = 0;
  return { walk, axisStride };
}

export const gather: Kernels['gather'] = (x, xShape, axis, index, indexShape, out) => {
  const n = index.length;
  if (n === 0) return;
  const rank = indexShape.length;
  const { walk, axisStride } = walkStrides(xShape, axis);
  const inner = indexShape[rank - 1];
  const si = walk[rank - 1];
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let o = 0; o < n; o += inner) {
    for (let j = 0; j < inner; j++) out[o + j] = x[off + j * si + index[o + j] * axisStride];
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]++;
      off += walk[d];
      if (idx[d] < indexShape[d]) break;
      off -= walk[d] * indexShape[d];
      idx[d] = 0;
    }
  }
};

export const scatterAdd: Kernels['scatterAdd'] = (src, index, indexShape, axis, out, outShape) => {
  const n = index.length;
  if (n === 0) return;
  const rank = indexShape.length;
  const { walk, axisStride } = walkStrides(outShape, axis);
  const inner = indexShape[rank - 1];
  const si = walk[rank - 1];
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let o = 0; o < n; o += inner) {
    for (let j = 0; j < inner; j++) out[off + j * si + index[o + j] * axisStride] += src[o + j];
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]++;
      off += walk[d];
      if (idx[d] < indexShape[d]) break;
      off -= walk[d] * indexShape[d];
      idx[d] = 0;
    }
  }
};
