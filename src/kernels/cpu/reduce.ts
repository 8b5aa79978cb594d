import type { Kernels } from '../registry.js';

let acc = new Float64Array(1024);

/** Reductions of the middle axis of [outer, n, inner], accumulated in float64. */
export const reduce: Kernels['reduce'] = (op, x, outer, n, inner, out) => {
  if (acc.length < inner) acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    if (op === 'sum') {
      if (inner === 1) {
        let s = 0;
        for (let k = 0; k < n; k++) s += x[base + k];
        out[o] = s;
        continue;
      }
      acc.fill(0, 0, inner);
      for (let k = 0; k < n; k++) {
        const row = base + k * inner;
        for (let i = 0; i < inner; i++) acc[i] += x[row + i];
      }
      for (let i = 0; i < inner; i++) out[o * inner + i] = acc[i];
    } else if (op === 'max' || op === 'min') {
      const isMax = op === 'max';
      for (let i = 0; i < inner; i++) {
        let m = isMax ? -Infinity : Infinity;
        for (let k = 0; k < n; k++) {
          const v = x[base + k * inner + i];
          // NaN propagates, as in NumPy and PyTorch.
          if (v !== v) { m = v; break; }
          if (isMax ? v > m : v < m) m = v;
        }
        out[o * inner + i] = m;
      }
    } else {
      // logsumexp: m + log(sum exp(x - m)); a row of all -inf gives -inf, not NaN.
      for (let i = 0; i < inner; i++) {
        let m = -Infinity;
        for (let k = 0; k < n; k++) {
          const v = x[base + k * inner + i];
          if (v > m || v !== v) m = v;
        }
        if (m === -Infinity || m === Infinity || m !== m) {
          out[o * inner + i] = m;
          continue;
        }
        let s = 0;
        for (let k = 0; k < n; k++) s += Math.exp(x[base + k * inner + i] - m);
        out[o * inner + i] = m + Math.log(s);
      }
    }
  }
};

/** Running sums along the middle axis of [outer, n, inner], in float64. */
export const cumsum: Kernels['cumsum'] = (x, outer, n, inner, reverse, out) => {
  if (acc.length < inner) acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0, 0, inner);
    for (let s = 0; s < n; s++) {
      const k = reverse ? n - 1 - s : s;
      const row = (o * n + k) * inner;
      for (let i = 0; i < inner; i++) out[row + i] = acc[i] += x[row + i];
    }
  }
};
