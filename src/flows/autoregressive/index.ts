/**
 * Planar and radial flows (Rezende & Mohamed 2015), MADE (Germain et al.
 * 2015), MAF (Papamakarios et al. 2017) and IAF (Kingma et al. 2016).
 */
export { PlanarFlow, planarMap, type PlanarFlowOptions } from './planar.js';
export { RadialFlow, type RadialFlowOptions } from './radial.js';
export { MADE, MaskedLinear, inputDegrees, type MadeOptions } from './made.js';
export { MaskedAutoregressiveFlow, InverseAutoregressiveFlow, type AutoregressiveFlowOptions } from './maf.js';
