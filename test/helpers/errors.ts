/** The ValidationError a call throws; any other outcome fails the test. */
import { ValidationError } from "../../infra/validation/schema";

export function errorOf(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
  throw new Error("expected a ValidationError");
}
