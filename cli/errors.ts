/** An error caused by the user's input: printed without a stack, exit code 1. */
export class UserError extends Error {}
