/** Typed CRDs of this capability without an npm schema package, and their validators. */
import type { CrdValidators } from "../kube/crd-validator";

/** Validators by `apiVersion/kind`, used by the plan's schema check. */
export const DATA_CRD_VALIDATORS: CrdValidators = {};
