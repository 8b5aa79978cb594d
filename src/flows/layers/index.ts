// Filled in by the layers work of the flows issue.
export {};
