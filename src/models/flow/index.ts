// Flow density models (discrete flows): RealNVP- and Glow-style stacks over a
// standard Normal, dequantization and bits/dim for images, density pictures,
// and model directories.
export { FlowModel, validateFlowConfig, meanLogProb, FLOW_KINDS, type FlowConfig, type FlowKind } from './flow.js';
export { dequantize, bitsPerDim } from './dequantize.js';
export { gridPoints, histogramLogDensity, densityPanels, type GridWindow } from './visualize.js';
export { loadFlowDir, FLOW_KIND } from './modeldir.js';
