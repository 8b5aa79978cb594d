import type { Kernels } from '../registry.js';

// im2col turns a convolution into GEMMs: with cols laid out [N, C*kh*kw,
// outH*outW], conv2d is weight [O, C*kh*kw] @ cols[n], one GEMM per image;
// laid out [C*kh*kw, N, outH*outW] (geometry.batchInColumns), it is one GEMM
// for the whole batch. Both kernels walk one output row (oy) at a time and
// compute once, per kernel column j, the range of ox whose input column
// falls inside the image, so the inner loop has no bounds test.

/** Element strides of cols between rows (c, i, j) and between images, for the geometry's layout. */
function colsStrides(geom: Parameters<Kernels['im2col']>[1]): [number, number] {
  const L = geom.outH * geom.outW;
  const rows = geom.channels * geom.kernelH * geom.kernelW;
  return geom.batchInColumns ? [geom.batch * L, L] : [L, rows * L];
}

/** The ox range [lo, hi) for which ox*stride - pad + offset lies in [0, size). */
function validRange(size: number, out: number, stride: number, pad: number, offset: number): [number, number] {
  const lo = Math.max(0, Math.ceil((pad - offset) / stride));
  const hi = Math.min(out, Math.floor((size - 1 + pad - offset) / stride) + 1);
  return [lo, Math.max(lo, hi)];
}

export const im2col: Kernels['im2col'] = (x, geom, cols) => {
  const { batch, channels, height: H, width: W, kernelH: kh, kernelW: kw, strideH: sh, strideW: sw } = geom;
  const { padH: ph, padW: pw, dilationH: dh, dilationW: dw, outH: OH, outW: OW } = geom;
  const [rowStride, batchStride] = colsStrides(geom);
  for (let nc = 0; nc < batch * channels; nc++) {
    const xBase = nc * H * W;
    let row = (nc % channels) * kh * kw;
    const colsBase = Math.floor(nc / channels) * batchStride;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, row++) {
        const colOff = j * dw - pw;
        const [lo, hi] = validRange(W, OW, sw, pw, j * dw);
        for (let oy = 0; oy < OH; oy++) {
          const dst = colsBase + row * rowStride + oy * OW;
          const iy = oy * sh - ph + i * dh;
          if (iy < 0 || iy >= H) {
            cols.fill(0, dst, dst + OW);
            continue;
          }
          const src = xBase + iy * W + colOff;
          for (let ox = 0; ox < lo; ox++) cols[dst + ox] = 0;
          if (sw === 1) for (let ox = lo; ox < hi; ox++) cols[dst + ox] = x[src + ox];
          else for (let ox = lo; ox < hi; ox++) cols[dst + ox] = x[src + ox * sw];
          for (let ox = hi; ox < OW; ox++) cols[dst + ox] = 0;
        }
      }
    }
  }
};

export const col2im: Kernels['col2im'] = (cols, geom, x, overwrite = false) => {
  const { batch, channels, height: H, width: W, kernelH: kh, kernelW: kw, strideH: sh, strideW: sw } = geom;
  const { padH: ph, padW: pw, dilationH: dh, dilationW: dw, outH: OH, outW: OW } = geom;
  const [rowStride, batchStride] = colsStrides(geom);
  if (overwrite) x.fill(0, 0, batch * channels * H * W);
  for (let nc = 0; nc < batch * channels; nc++) {
    const xBase = nc * H * W;
    let row = (nc % channels) * kh * kw;
    const colsBase = Math.floor(nc / channels) * batchStride;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, row++) {
        const colOff = j * dw - pw;
        const [lo, hi] = validRange(W, OW, sw, pw, j * dw);
        for (let oy = 0; oy < OH; oy++) {
          const iy = oy * sh - ph + i * dh;
          if (iy < 0 || iy >= H) continue;
          const src = colsBase + row * rowStride + oy * OW;
          const dst = xBase + iy * W + colOff;
          if (sw === 1) for (let ox = lo; ox < hi; ox++) x[dst + ox] += cols[src + ox];
          else for (let ox = lo; ox < hi; ox++) x[dst + ox * sw] += cols[src + ox];
        }
      }
    }
  }
};
