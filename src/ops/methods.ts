// Method-style access to the ops (x.add(y).exp().sum()), installed on
// Tensor's prototype here so that the tensor layer does not import ops.
import { Tensor } from '../tensor/tensor.js';
import { backward as tapeBackward, installSweepOps } from '../autograd/tape.js';
import { onesLike, zerosLike } from '../tensor/create.js';
import * as ew from './elementwise.js';
import * as rd from './reduce.js';
import * as sh from './shape.js';
import { matmul, type MatmulOptions } from './matmul.js';
import type { TensorLike } from './util.js';
import type { Axes } from './reduce.js';

installSweepOps({ add: ew.add, sumToShape: sh.sumToShape, onesLike, zerosLike });

declare module '../tensor/tensor.js' {
  interface Tensor {
    add(b: TensorLike): Tensor;
    sub(b: TensorLike): Tensor;
    mul(b: TensorLike): Tensor;
    div(b: TensorLike): Tensor;
    pow(b: TensorLike): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    log1p(): Tensor;
    expm1(): Tensor;
    sqrt(): Tensor;
    abs(): Tensor;
    square(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    softplus(): Tensor;
    relu(): Tensor;
    clamp(min?: number, max?: number): Tensor;
    sum(axes?: Axes, keepDims?: boolean): Tensor;
    mean(axes?: Axes, keepDims?: boolean): Tensor;
    max(axes?: Axes, keepDims?: boolean): Tensor;
    min(axes?: Axes, keepDims?: boolean): Tensor;
    logsumexp(axes?: Axes, keepDims?: boolean): Tensor;
    matmul(b: Tensor, options?: MatmulOptions): Tensor;
    reshape(shape: readonly number[]): Tensor;
    permute(perm: readonly number[]): Tensor;
    transpose(axis0?: number, axis1?: number): Tensor;
    cast(dtype: Tensor['dtype']): Tensor;
    /** Reverse-mode sweep from this tensor, accumulating into leaves' `.grad`. */
    backward(gradOutput?: Tensor, options?: { createGraph?: boolean }): void;
  }
}

const p = Tensor.prototype;
p.add = function (b) { return ew.add(this, b); };
p.sub = function (b) { return ew.sub(this, b); };
p.mul = function (b) { return ew.mul(this, b); };
p.div = function (b) { return ew.div(this, b); };
p.pow = function (b) { return ew.pow(this, b); };
p.neg = function () { return ew.neg(this); };
p.exp = function () { return ew.exp(this); };
p.log = function () { return ew.log(this); };
p.log1p = function () { return ew.log1p(this); };
p.expm1 = function () { return ew.expm1(this); };
p.sqrt = function () { return ew.sqrt(this); };
p.abs = function () { return ew.abs(this); };
p.square = function () { return ew.square(this); };
p.tanh = function () { return ew.tanh(this); };
p.sigmoid = function () { return ew.sigmoid(this); };
p.softplus = function () { return ew.softplus(this); };
p.relu = function () { return ew.relu(this); };
p.clamp = function (min, max) { return ew.clamp(this, min, max); };
p.sum = function (axes, keepDims) { return rd.sum(this, axes, keepDims); };
p.mean = function (axes, keepDims) { return rd.mean(this, axes, keepDims); };
p.max = function (axes, keepDims) { return rd.max(this, axes, keepDims); };
p.min = function (axes, keepDims) { return rd.min(this, axes, keepDims); };
p.logsumexp = function (axes, keepDims) { return rd.logsumexp(this, axes, keepDims); };
p.matmul = function (b, options) { return matmul(this, b, options); };
p.reshape = function (shape) { return sh.reshape(this, shape); };
p.permute = function (perm) { return sh.permute(this, perm); };
p.transpose = function (a0, a1) { return sh.transpose(this, a0, a1); };
p.cast = function (dtype) { return ew.cast(this, dtype); };
p.backward = function (gradOutput, options) { tapeBackward(this, gradOutput, options); };
