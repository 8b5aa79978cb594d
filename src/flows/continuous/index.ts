// Continuous normalizing flows: the ODE solvers, the divergence (exact and
// Hutchinson's estimator) and the adjoint method.
export { odeint, ODE_METHODS, type OdeFunc, type OdeMethod, type OdeintOptions, type OdeStats, type OdeSolution } from './odeint.js';
export {
  exactTrace,
  hutchinsonTrace,
  traceNoise,
  dynamicsWithDivergence,
  TRACE_METHODS,
  HUTCHINSON_NOISES,
  type TraceMethod,
  type HutchinsonNoise,
  type DivergenceOptions,
} from './divergence.js';
export { odeintAdjoint, type AdjointOptions, type AdjointSolution } from './adjoint.js';
