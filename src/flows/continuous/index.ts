// Filled in by the continuous work of the flows issue.
export {};
