// Argument checks shared by the estimators and the inference loops: each
// error names the function, the argument and what was expected.
import { Tensor } from '../tensor/tensor.js';
import { formatShape } from '../tensor/shape.js';
import { Generator } from '../random/generator.js';
import { Distribution } from '../distributions/distribution.js';

/** A short description of a value for an error message. */
export function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Tensor) return `a Tensor of shape ${formatShape(v.shape)}`;
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'no prototype'})`;
  return `a ${typeof v}`;
}

/** Throws unless `v` is an integer >= `min`. */
export function checkInteger(fn: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new Error(`${fn}: ${name} must be an integer >= ${min}, got ${describe(v)}`);
  }
  return v;
}

/** Throws unless `v` is a finite number > 0. */
export function checkPositive(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) {
    throw new Error(`${fn}: ${name} must be a finite positive number, got ${describe(v)}`);
  }
  return v;
}

/** Throws unless `v` is a finite number. */
export function checkFinite(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${fn}: ${name} must be a finite number, got ${describe(v)}`);
  return v;
}

export function checkRng(fn: string, rng: unknown): Generator {
  if (!(rng instanceof Generator)) throw new Error(`${fn}: rng must be a Generator (e.g. new Generator(0)), got ${describe(rng)}`);
  return rng;
}

export function checkDistribution(fn: string, name: string, d: unknown): Distribution {
  if (!(d instanceof Distribution)) throw new Error(`${fn}: ${name} must be a Distribution, got ${describe(d)}`);
  return d;
}

export function checkFunction(fn: string, name: string, f: unknown): void {
  if (typeof f !== 'function') throw new Error(`${fn}: ${name} must be a function, got ${describe(f)}`);
}

export function checkOptions(fn: string, o: unknown): void {
  if (typeof o !== 'object' || o === null) throw new Error(`${fn}: options must be an object, got ${describe(o)}`);
}

/**
 * Checks what a user function returned: a Tensor of exactly `shape` with no
 * NaN (a log density may be -Infinity, never NaN). `what` names the function
 * ("logJoint"), `expected` explains the shape ("[k, ...batchShape]").
 */
export function checkLogDensity(fn: string, what: string, t: unknown, shape: readonly number[], expected: string): Tensor {
  if (!(t instanceof Tensor)) throw new Error(`${fn}: ${what} must return a Tensor, got ${describe(t)}`);
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${fn}: ${what} returned shape ${formatShape(t.shape)}, expected ${formatShape(shape)} (${expected})`);
  }
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (Number.isNaN(d[i])) throw new Error(`${fn}: ${what} returned NaN at flat index ${i} (of shape ${formatShape(t.shape)})`);
  }
  return t;
}
