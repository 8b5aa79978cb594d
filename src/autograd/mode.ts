let enabled = true;

/** Whether ops currently record themselves for autodiff. */
export function isGradEnabled(): boolean {
  return enabled;
}

/** Runs `fn` with gradient recording set to `flag`, restoring the previous mode after. */
export function withGradMode<T>(flag: boolean, fn: () => T): T {
  const prev = enabled;
  enabled = flag;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}

/**
 * Runs `fn` without recording ops: results carry no graph and need no
 * memory for it. Use for evaluation and for in-place parameter updates.
 *
 * @example
 * const y = noGrad(() => model.forward(x));   // y.requiresGrad === false
 */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}
