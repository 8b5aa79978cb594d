// Squeeze (space-to-depth): each 2x2 block of pixels becomes four channels,
// [N, C, H, W] -> [N, 4C, H/2, W/2], the step between scales of RealNVP's
// multi-scale architecture (Dinh et al. 2017, §3.6, Figure 3) and Glow's
// levels (Kingma & Dhariwal 2018, §3). A permutation of coordinates: volume
// preserving, so log |det J| = 0 in both directions.
import { Tensor } from '../../tensor/tensor.js';
import { permute, reshape } from '../../ops/index.js';
import { Bijector, type FlowResult } from '../bijector.js';
import { zeros } from '../../tensor/create.js';

/** [N, C, H, W] -> [N, 4C, H/2, W/2], channel c * 4 + 2 * di + dj holding pixel (2i + di, 2j + dj) of channel c. */
export function squeeze2d(x: Tensor, where = 'squeeze2d'): Tensor {
  if (!(x instanceof Tensor) || x.rank !== 4) throw new Error(`${where}: expected images [N, C, H, W], got ${x instanceof Tensor ? `[${x.shape.join(', ')}]` : typeof x}`);
  const [n, c, h, w] = x.shape;
  if (h % 2 !== 0 || w % 2 !== 0) throw new Error(`${where}: height and width must be even to squeeze 2x2 blocks into channels, got [${x.shape.join(', ')}] (H = ${h}, W = ${w})`);
  return reshape(permute(reshape(x, [n, c, h / 2, 2, w / 2, 2]), [0, 1, 3, 5, 2, 4]), [n, 4 * c, h / 2, w / 2]);
}

/** The inverse of `squeeze2d`: [N, 4C, H, W] -> [N, C, 2H, 2W]. */
export function unsqueeze2d(y: Tensor, where = 'unsqueeze2d'): Tensor {
  if (!(y instanceof Tensor) || y.rank !== 4) throw new Error(`${where}: expected images [N, 4C, H, W], got ${y instanceof Tensor ? `[${y.shape.join(', ')}]` : typeof y}`);
  const [n, c4, h, w] = y.shape;
  if (c4 % 4 !== 0) throw new Error(`${where}: the channels must be a multiple of 4 to unsqueeze into 2x2 blocks, got [${y.shape.join(', ')}]`);
  const c = c4 / 4;
  return reshape(permute(reshape(y, [n, c, 2, 2, h, w]), [0, 1, 4, 2, 5, 3]), [n, c, 2 * h, 2 * w]);
}

/**
 * The squeeze bijector: forward is space-to-depth, [N, C, H, W] ->
 * [N, 4C, H/2, W/2], with the layout of Glow's `squeeze2d` (and of
 * `torch.nn.PixelUnshuffle(2)`): output channel `4c + 2di + dj` at (i, j)
 * is input channel c at pixel (2i + di, 2j + dj), so the four pixels of a
 * block stay next to each other, top-left, top-right, bottom-left,
 * bottom-right. The inverse is the exact depth-to-space (values are moved,
 * not computed). log |det J| = 0.
 *
 * It reshapes the event (`forwardShape`, `inverseShape`); H and W must be
 * even. No parameters.
 *
 * Paper: Dinh et al. 2017, §3.6, https://arxiv.org/abs/1605.08803
 *
 * @example
 * const sq = new Squeeze();
 * sq.forward(x);   // x [N, 1, 28, 28] -> [N, 4, 14, 14]
 */
export class Squeeze extends Bijector {
  override readonly eventDim = 3;

  override forwardShape(shape: readonly number[]): number[] {
    const s = [...shape];
    if (s.length < 3) throw new Error(`Squeeze: expected a shape ending in [C, H, W], got [${s.join(', ')}]`);
    const [c, h, w] = s.slice(-3);
    if (h % 2 !== 0 || w % 2 !== 0) throw new Error(`Squeeze: height and width must be even, got [${s.join(', ')}]`);
    return [...s.slice(0, -3), 4 * c, h / 2, w / 2];
  }

  override inverseShape(shape: readonly number[]): number[] {
    const s = [...shape];
    if (s.length < 3) throw new Error(`Squeeze: expected a shape ending in [4C, H, W], got [${s.join(', ')}]`);
    const [c, h, w] = s.slice(-3);
    if (c % 4 !== 0) throw new Error(`Squeeze: the channels must be a multiple of 4 to unsqueeze, got [${s.join(', ')}]`);
    return [...s.slice(0, -3), c / 4, 2 * h, 2 * w];
  }

  forwardAndLogDet(x: Tensor): FlowResult {
    const value = squeeze2d(x, 'Squeeze.forward');
    return { value, logDet: zeros([x.shape[0]], { dtype: x.dtype }) };
  }

  inverseAndLogDet(y: Tensor): FlowResult {
    const value = unsqueeze2d(y, 'Squeeze.inverse');
    return { value, logDet: zeros([y.shape[0]], { dtype: y.dtype }) };
  }
}
