/**
 * Runs CrossGuard policies in-process the way the Pulumi engine's analyzer does
 * (@pulumi/policy 1.21 server.js), without starting the gRPC server: one harness for the tests and
 * the offline runner, so both see the arguments the engine would pass.
 *
 * Mirrored from the engine: props are wrapped in `unknownCheckingProxy` and unknown values are the
 * engine's sentinel, so reading one throws and becomes an advisory "can't run during preview";
 * `isType`/`asType` compare the class's `__pulumiType`; `notApplicable` throws and is recorded;
 * `getConfig` returns the policy's config without `enforcementLevel`; the enforcement level is
 * config > policy > pack default, `remediate` reported as `mandatory`; `disabled` skips;
 * `reportViolation` prefixes the policy description like the engine.
 */
import { unknownCheckingProxy, UnknownValueError } from "@pulumi/policy";
import type {
  EnforcementLevel,
  Policies,
  PolicyProviderResource,
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  Severity,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { UNKNOWN, type PlanResource } from "../infra/plan/types";

/** One policy's config as the engine holds it after `configure`: level plus properties. */
export type NormalizedPolicyConfig = { enforcementLevel?: EnforcementLevel } & Record<string, unknown>;
/** A policy pack config file: policy name -> level or object (`all` sets every policy's level). */
export type PolicyPackConfigFile = Record<string, EnforcementLevel | NormalizedPolicyConfig>;

export interface Diagnostic {
  policyName: string;
  description: string;
  message: string;
  /** Resource the violation concerns (the validated resource for resource policies). */
  urn?: string;
  enforcementLevel: EnforcementLevel;
  severity?: Severity;
  /** True when the policy could not run because it read a value unknown during preview. */
  unknown?: boolean;
}

export interface NotApplicable {
  policyName: string;
  reason?: string;
  urn?: string;
}

export interface EvaluationResult {
  diagnostics: Diagnostic[];
  notApplicable: NotApplicable[];
  /** Per policy: resources it was run on (resource policies) or 1 (stack policies); 0 when disabled. */
  evaluated: Record<string, number>;
  /** Effective enforcement level per policy. */
  levels: Record<string, EnforcementLevel>;
}

export interface EvaluateOptions {
  /** The pack's default level (PolicyPack `enforcementLevel`), `advisory` like the engine. */
  packEnforcementLevel?: EnforcementLevel;
  /** Policy pack config (the `--policy-pack-config` file). */
  config?: PolicyPackConfigFile;
  stackTags?: Record<string, string>;
}

class NotApplicableError extends Error {
  constructor(readonly reason?: string) {
    super(reason ?? "Policy does not apply");
  }
}

function throwNotApplicable(reason?: string): never {
  throw new NotApplicableError(reason);
}

/** Resolves a config file the way the CLI does: `all` first, then per-policy entries. */
export function normalizeConfig(file: PolicyPackConfigFile | undefined): Record<string, NormalizedPolicyConfig> {
  const out: Record<string, NormalizedPolicyConfig> = {};
  if (!file) return out;
  const all = file.all;
  const allLevel = typeof all === "string" ? all : all?.enforcementLevel;
  for (const [name, v] of Object.entries(file)) {
    if (name === "all") continue;
    out[name] = typeof v === "string" ? { enforcementLevel: v } : { ...v };
  }
  if (allLevel) {
    // `all` applies to every policy that does not set its own level.
    out[ALL] = { enforcementLevel: allLevel };
  }
  return out;
}
const ALL = "\u0000all";

/** Replaces plan markers with the engine's wire values: unknowns become the unknown sentinel. */
export function toEngineValue(v: unknown): unknown {
  if (v === UNKNOWN) return unknownValue;
  if (Array.isArray(v)) return v.map(toEngineValue);
  if (typeof v === "object" && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, el] of Object.entries(v)) if (el !== undefined) out[k] = toEngineValue(el);
    return out;
  }
  return v;
}

/** Go duration ("10m", "1h30m", "90s") in seconds, as the engine passes custom timeouts. */
function goDurationSeconds(v: string | undefined): number {
  if (!v) return 0;
  const re = /(\d+(?:\.\d+)?)(h|m|s)/g;
  let total = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(v)) !== null) total += Number(m[1]) * { h: 3600, m: 60, s: 1 }[m[2] as "h"];
  return total;
}

function resourceOptions(r: PlanResource): PolicyResourceOptions {
  const opts: PolicyResourceOptions = {
    protect: r.protect,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: {
      createSeconds: goDurationSeconds(r.customTimeouts?.create),
      updateSeconds: goDurationSeconds(r.customTimeouts?.update),
      deleteSeconds: goDurationSeconds(r.customTimeouts?.delete),
    },
    additionalSecretOutputs: [],
  };
  if (r.parent) opts.parent = r.parent;
  return opts;
}

// The engine's own check: the class's registered Pulumi type token.
function isTypeOf(type: string, resourceClass: unknown): boolean {
  const token = (resourceClass as { __pulumiType?: unknown } | undefined)?.__pulumiType;
  if (typeof token === "string" && token.length > 0) return type === token;
  const isInstance = (resourceClass as { isInstance?: unknown } | undefined)?.isInstance;
  return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}

/** Props as the engine hands them to a policy. */
function engineProps(r: PlanResource): Record<string, unknown> {
  return unknownCheckingProxy(toEngineValue(r.inputs) as Record<string, unknown>);
}

function providerOf(r: PlanResource, byUrn: Map<string, PlanResource>): PolicyProviderResource | undefined {
  if (!r.provider) return undefined;
  // Export files reference providers as `<urn>::<id>`; plans by URN.
  const p = byUrn.get(r.provider) ?? byUrn.get(r.provider.slice(0, r.provider.lastIndexOf("::")));
  if (!p) return undefined;
  return { type: p.type, props: engineProps(p), urn: p.urn, name: p.name };
}

/** The `ResourceValidationArgs` the engine would pass for one resource. */
export function resourceValidationArgs(
  r: PlanResource,
  config: NormalizedPolicyConfig | undefined,
  stackTags: ReadonlyMap<string, string>,
  byUrn: Map<string, PlanResource> = new Map(),
): ResourceValidationArgs {
  const props = engineProps(r);
  const args: ResourceValidationArgs = {
    type: r.type,
    props,
    urn: r.urn,
    name: r.name,
    opts: resourceOptions(r),
    stackTags,
    isType: (cls) => isTypeOf(r.type, cls),
    // The engine returns the same props object when the type matches.
    asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as ResourceValidationArgs["asType"],
    getConfig: <T extends object>() => configProperties(config) as T,
    notApplicable: throwNotApplicable,
  };
  const provider = providerOf(r, byUrn);
  if (provider) args.provider = provider;
  return args;
}

/** The `StackValidationArgs` the engine would pass: every resource, parents and dependencies linked. */
export function stackValidationArgs(
  resources: PlanResource[],
  config: NormalizedPolicyConfig | undefined,
  stackTags: ReadonlyMap<string, string>,
): StackValidationArgs {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const linked = new Map<string, PolicyResource>();
  for (const r of resources) {
    const props = engineProps(r);
    const pr: PolicyResource = {
      type: r.type,
      props,
      urn: r.urn,
      name: r.name,
      opts: resourceOptions(r),
      dependencies: [],
      propertyDependencies: {},
      isType: (cls) => isTypeOf(r.type, cls),
      asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as PolicyResource["asType"],
    };
    const provider = providerOf(r, byUrn);
    if (provider) pr.provider = provider;
    linked.set(r.urn, pr);
  }
  for (const r of resources) {
    const pr = linked.get(r.urn)!;
    if (r.parent && linked.has(r.parent)) pr.parent = linked.get(r.parent);
    pr.dependencies = r.dependencies.map((d) => linked.get(d)).filter((d): d is PolicyResource => d !== undefined);
  }
  return {
    resources: [...linked.values()],
    getConfig: <T extends object>() => configProperties(config) as T,
    stackTags,
    notApplicable: throwNotApplicable,
  };
}

function configProperties(config: NormalizedPolicyConfig | undefined): Record<string, unknown> {
  if (!config) return {};
  return Object.fromEntries(Object.entries(config).filter(([k]) => k !== "enforcementLevel"));
}

function reporter(
  policy: ResourceValidationPolicy | StackValidationPolicy,
  level: EnforcementLevel,
  into: Diagnostic[],
  defaultUrn?: string,
): ReportViolation {
  return (message, urn) => {
    into.push({
      policyName: policy.name,
      description: policy.description,
      message: message ? `${policy.description}\n${message}` : policy.description,
      urn: urn ?? defaultUrn,
      enforcementLevel: level,
      severity: policy.severity,
    });
  };
}

function isStackPolicy(p: ResourceValidationPolicy | StackValidationPolicy): p is StackValidationPolicy {
  return typeof (p as StackValidationPolicy).validateStack === "function";
}

function effectiveLevel(
  p: { name: string; enforcementLevel?: EnforcementLevel },
  config: Record<string, NormalizedPolicyConfig>,
  packLevel: EnforcementLevel,
): EnforcementLevel {
  return config[p.name]?.enforcementLevel || config[ALL]?.enforcementLevel || p.enforcementLevel || packLevel;
}

/** Evaluates every policy on every resource (resource policies) and on the stack (stack policies). */
export async function evaluate(policies: Policies, resources: PlanResource[], opts: EvaluateOptions = {}): Promise<EvaluationResult> {
  const packLevel = opts.packEnforcementLevel ?? "advisory";
  const config = normalizeConfig(opts.config);
  const stackTags: ReadonlyMap<string, string> = new Map(Object.entries(opts.stackTags ?? {}));
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const result: EvaluationResult = { diagnostics: [], notApplicable: [], evaluated: {}, levels: {} };

  const unknownDiagnostic = (p: ResourceValidationPolicy | StackValidationPolicy, e: UnknownValueError, urn?: string) =>
    result.diagnostics.push({
      policyName: p.name,
      description: p.description,
      message: `can't run policy '${p.name}' during preview: ${e.message}`,
      urn,
      enforcementLevel: "advisory",
      severity: p.severity,
      unknown: true,
    });

  for (const p of policies) {
    let level = effectiveLevel(p, config, packLevel);
    result.levels[p.name] = level;
    result.evaluated[p.name] = 0;
    if (level === "disabled") continue;
    if (level === "remediate") level = "mandatory";
    const policyConfig = config[p.name];

    if (isStackPolicy(p)) {
      result.evaluated[p.name] = 1;
      try {
        await Promise.resolve(p.validateStack(stackValidationArgs(resources, policyConfig, stackTags), reporter(p, level, result.diagnostics)));
      } catch (e) {
        if (e instanceof UnknownValueError) unknownDiagnostic(p, e);
        else if (e instanceof NotApplicableError) result.notApplicable.push({ policyName: p.name, reason: e.reason });
        else throw new Error(`Error validating stack with policy '${p.name}': ${(e as Error).message}`, { cause: e });
      }
      continue;
    }
    if (!p.validateResource) continue;
    const validations = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
    for (const r of resources) {
      result.evaluated[p.name] += 1;
      for (const validation of validations) {
        try {
          const args = resourceValidationArgs(r, policyConfig, stackTags, byUrn);
          await Promise.resolve(validation(args, reporter(p, level, result.diagnostics, r.urn)));
        } catch (e) {
          if (e instanceof UnknownValueError) unknownDiagnostic(p, e, r.urn);
          else if (e instanceof NotApplicableError) result.notApplicable.push({ policyName: p.name, reason: e.reason, urn: r.urn });
          else throw new Error(`Error validating resource ${r.urn} with policy '${p.name}': ${(e as Error).message}`, { cause: e });
        }
      }
    }
  }
  return result;
}
