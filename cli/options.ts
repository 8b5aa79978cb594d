import { UserError } from './errors.js';

/** Parsers for command-line values; errors name the option and say what was expected. */
export function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1) throw new UserError(`${name} must be a positive integer, got '${v}'`);
    return n;
  };
}

export function nonNegInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new UserError(`${name} must be a non-negative integer, got '${v}'`);
    return n;
  };
}

export function positiveNumber(name: string, allowZero = false) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) {
      throw new UserError(`${name} must be a finite ${allowZero ? 'non-negative' : 'positive'} number, got '${v}'`);
    }
    // The engine computes in float32: a larger value (--beta 1e300) would be infinite in the first step.
    if (!Number.isFinite(Math.fround(n))) throw new UserError(`${name} must be at most ${FLOAT32_MAX.toExponential(2)} (the float32 range), got '${v}'`);
    return n;
  };
}

const FLOAT32_MAX = 3.4028234663852886e38;

export function intList(name: string) {
  return (v: string): number[] => {
    const parts = v.split(',').map((s) => s.trim());
    if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) {
      throw new UserError(`${name} must be comma-separated positive integers like 400,400, got '${v}'`);
    }
    return parts.map(Number);
  };
}

export function oneOf<T extends string>(name: string, values: readonly T[]) {
  return (v: string): T => {
    if (!values.includes(v as T)) throw new UserError(`${name} must be one of ${values.join(', ')}, got '${v}'`);
    return v as T;
  };
}
