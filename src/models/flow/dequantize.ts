// Dequantized images for continuous density models, and bits per dimension.
//
// A flow is a density on the reals; 8-bit pixels are discrete. Uniform
// dequantization adds u ~ U[0, 1) to each pixel value k in {0..255}, so
// x = (k + u) / 256 lies in [0, 1)^D, and the continuous model's
// log-likelihood of x on the [0, 256)^D scale lower-bounds the discrete
// model's log-probability (Theis, van den Oord & Bethge 2016, "A note on the
// evaluation of generative models"; the practice of Dinh et al. 2017, §4.1,
// and Papamakarios et al. 2017).
import { Tensor } from '../../tensor/tensor.js';
import type { Generator } from '../../random/index.js';

/**
 * x = (k + u) / 256 per pixel, with k = round(255 v) the 8-bit value of an
 * image value v in [0, 1] (the readers store bytes / 255) and u ~ U[0, 1)
 * from `rng`. Input and output: [N, ...] float32.
 *
 * @example
 * const x = dequantize(flattenImages(test), new Generator(0));   // [N, 784] in [0, 1)
 */
export function dequantize(images: Tensor, rng: Generator): Tensor {
  const d = images.data;
  const out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (!(v >= 0 && v <= 1)) throw new Error(`dequantize: image values must lie in [0, 1] (bytes / 255), got ${v} at index ${i}`);
    out[i] = (Math.round(255 * v) + rng.uniform01()) / 256;
  }
  return new Tensor(out, images.shape);
}

/**
 * Bits per dimension of a mean log-density `logpx01` (nats) of dequantized
 * data x in [0, 1)^D: the density on the pixel scale [0, 256)^D is
 * log p(256 x) = log p(x) - D log 256, and
 *
 *   bits/dim = -(log p(x) - D log 256) / (D ln 2)
 *
 * (the convention of Dinh et al. 2017, §4.1, and of Papamakarios et al.
 * 2017's bits/pixel).
 *
 * @example
 * bitsPerDim(0, 784);   // returns 8: the uniform density on [0, 1)^784
 */
export function bitsPerDim(logpx01: number, dims: number): number {
  if (!Number.isInteger(dims) || dims < 1) throw new Error(`bitsPerDim: dims must be a positive integer, got ${dims}`);
  return -(logpx01 - dims * Math.log(256)) / (dims * Math.LN2);
}
