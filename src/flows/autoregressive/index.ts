// Filled in by the autoregressive work of the flows issue.
export {};
