import type { Kernels } from '../registry.js';

// im2col turns a convolution into one GEMM per image: with cols laid out
// [N, C*kh*kw, outH*outW], conv2d is weight [O, C*kh*kw] @ cols[n], and the
// output lands directly in NCHW order without a transpose. Both kernels walk
// one output row (oy) at a time and compute once, per kernel column j, the
// range of ox whose input column falls inside the image, so the inner loop
// has no bounds test.

/** The ox range [lo, hi) for which ox*stride - pad + offset lies in [0, size). */
function validRange(size: number, out: number, stride: number, pad: number, offset: number): [number, number] {
  const lo = Math.max(0, Math.ceil((pad - offset) / stride));
  const hi = Math.min(out, Math.floor((size - 1 + pad - offset) / stride) + 1);
  return [lo, Math.max(lo, hi)];
}

export const im2col: Kernels['im2col'] = (x, geom, cols) => {
  const { batch, channels, height: H, width: W, kernelH: kh, kernelW: kw, strideH: sh, strideW: sw } = geom;
  const { padH: ph, padW: pw, dilationH: dh, dilationW: dw, outH: OH, outW: OW } = geom;
  const L = OH * OW;
  let row = 0;
  for (let nc = 0; nc < batch * channels; nc++) {
    const xBase = nc * H * W;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, row++) {
        const colOff = j * dw - pw;
        const [lo, hi] = validRange(W, OW, sw, pw, j * dw);
        for (let oy = 0; oy < OH; oy++) {
          const dst = row * L + oy * OW;
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

export const col2im: Kernels['col2im'] = (cols, geom, x) => {
  const { batch, channels, height: H, width: W, kernelH: kh, kernelW: kw, strideH: sh, strideW: sw } = geom;
  const { padH: ph, padW: pw, dilationH: dh, dilationW: dw, outH: OH, outW: OW } = geom;
  const L = OH * OW;
  let row = 0;
  for (let nc = 0; nc < batch * channels; nc++) {
    const xBase = nc * H * W;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, row++) {
        const colOff = j * dw - pw;
        const [lo, hi] = validRange(W, OW, sw, pw, j * dw);
        for (let oy = 0; oy < OH; oy++) {
          const iy = oy * sh - ph + i * dh;
          if (iy < 0 || iy >= H) continue;
          const src = row * L + oy * OW;
          const dst = xBase + iy * W + colOff;
          if (sw === 1) for (let ox = lo; ox < hi; ox++) x[dst + ox] += cols[src + ox];
          else for (let ox = lo; ox < hi; ox++) x[dst + ox * sw] += cols[src + ox];
        }
      }
    }
  }
};
