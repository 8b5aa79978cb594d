/**
 * Seeded, counter-based randomness, passed explicitly as an `rng` argument:
 * the Philox4x32-10 generator and the tensor samplers built on it.
 */
export { mulhi32, philox4x32, philox4x32Into, PHILOX_ROUNDS } from './philox.js';
export { Generator, GENERATOR_ALGORITHM, GENERATOR_STATE_VERSION, type GeneratorState } from './generator.js';
export {
  bernoulli,
  categorical,
  gumbel,
  permutation,
  rand,
  randint,
  randn,
  uniform,
  type CategoricalOptions,
  type CategoricalSamples,
  type SampleOptions,
} from './sample.js';
