import '../kernels/cpu/index.js';
import './methods.js';

export * from './elementwise.js';
export * from './reduce.js';
export * from './shape.js';
export * from './matmul.js';
export * from './conv.js';
export * from './indexing.js';
export * from './linalg.js';
export * from './fused.js';
export type { TensorLike } from './util.js';
