// Flow density models (the flows issue: discrete flows).
export {};
