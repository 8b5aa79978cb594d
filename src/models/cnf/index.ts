// Continuous normalizing flow density models (the flows issue: FFJORD).
export {};
