/** Validators for CRDs that have no npm schema package: keyed by `apiVersion/kind`. */
import type { Check, Issue } from "../validation/schema";

/** Checks one object (as plain data) and returns its issues; paths are relative to the object. */
export type CrdValidator = (obj: Record<string, unknown>) => Issue[];

export type CrdValidators = Record<string, CrdValidator>;

/** A rule across fields that a structural check cannot express; appends its issues. */
export type CrdRule = (obj: Record<string, unknown>, issues: Issue[]) => void;

/**
 * A validator from a structural check of the whole object plus optional cross-field rules. The
 * rules run only when the structure is valid, so they may rely on the shape the check proved.
 */
export function crdValidator(check: Check<unknown>, rules?: CrdRule): CrdValidator {
  return (obj) => {
    const issues: Issue[] = [];
    check(obj, "", issues);
    if (issues.length === 0) rules?.(obj, issues);
    return issues;
  };
}
