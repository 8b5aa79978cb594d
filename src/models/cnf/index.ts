// Continuous normalizing flow density models (FFJORD).
export { CNF, CnfDynamics, TimeLinear, defaultCnfConfig, validateCnfConfig, type CnfConfig, type CnfActivation, type CnfLogProb } from './cnf.js';
export {
  cnfLoss, evaluateCnf, densityGridPoints, densityImage, histogramImage, cnfLogDensityGrid, saveDensityPanels, type CnfEvaluation,
} from './evaluate.js';
export { loadCnfDir, cnfConfigOf, cnfForEvaluation, CNF_KIND } from './modeldir.js';
