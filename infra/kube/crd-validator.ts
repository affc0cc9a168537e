/** Validators for CRDs that have no npm schema package: keyed by `apiVersion/kind`. */
import type { Issue } from "../validation/schema";

/** Checks one object (as plain data) and returns its issues; paths are relative to the object. */
export type CrdValidator = (obj: Record<string, unknown>) => Issue[];

export type CrdValidators = Record<string, CrdValidator>;
