/** An error caused by the user's input: printed without a stack, exit code 1. */
export class UserError extends Error {}

/** Runs f, turning any error it throws into a UserError with the same message (UserErrors pass as they are). */
export function asUserError<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError((e as Error).message, { cause: e });
  }
}
