export { backward, grad, record, type GradOptions } from './tape.js';
export { noGrad, isGradEnabled, withGradMode } from './mode.js';
export { gradcheck, type GradcheckOptions, type GradcheckResult } from './gradcheck.js';
