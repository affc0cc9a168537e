/**
 * Records what the program asks the engine for, by wrapping the mock resource monitor.
 * Pulumi's mocks do not expose parents, dependencies, protect or timeouts; the gRPC request does.
 * This touches internal runtime APIs (`runtime/settings`, protobuf requests), so it is isolated
 * here: if a Pulumi upgrade changes them, only this file changes.
 */
import * as pulumi from "@pulumi/pulumi";
import { SECRET, UNKNOWN, type PlanResource } from "./types";

/** What one RegisterResource request carried: a plan resource before its component is known. */
export type RecordedResource = Omit<PlanResource, "component">;

// Signatures of Pulumi's wire format, as the SDK exports them.
const {
  specialSigKey: SIG_KEY,
  specialSecretSig: SIG_SECRET,
  specialResourceSig: SIG_RESOURCE,
  specialOutputValueSig: SIG_OUTPUT,
  specialAssetSig: SIG_ASSET,
  specialArchiveSig: SIG_ARCHIVE,
  unknownValue: UNKNOWN_VALUE,
} = pulumi.runtime;

/** Turns serialized property values into plain JSON with secret and unknown markers. */
export function normalizeWireValue(v: unknown): unknown {
  if (v === UNKNOWN_VALUE) return UNKNOWN;
  if (Array.isArray(v)) return v.map(normalizeWireValue);
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  const sig = o[SIG_KEY];
  if (sig === SIG_SECRET) return SECRET;
  if (sig === SIG_RESOURCE) return typeof o.urn === "string" ? o.urn : UNKNOWN;
  if (sig === SIG_OUTPUT) {
    if (o.secret === true) return SECRET;
    return "value" in o ? normalizeWireValue(o.value) : UNKNOWN;
  }
  if (sig === SIG_ASSET || sig === SIG_ARCHIVE) {
    return { asset: (o.path ?? o.uri ?? (o.text !== undefined ? "(inline text)" : "(archive)")) as string };
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(o).sort()) out[key] = normalizeWireValue(o[key]);
  return out;
}

/** Provider references are `<urn>::<id>`; the id is unknown in preview, the URN is what counts. */
function providerUrn(ref: string): string | null {
  if (!ref) return null;
  const i = ref.lastIndexOf("::");
  return i > 0 ? ref.slice(0, i) : ref;
}

interface ProtoTimeouts {
  getCreate(): string;
  getUpdate(): string;
  getDelete(): string;
}
interface ProtoRegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProvider(): string;
  getDependenciesList(): string[];
  getProtect?(): boolean;
  getCustomtimeouts?(): ProtoTimeouts | undefined;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  getPropertydependenciesMap?(): { forEach(cb: (v: { getUrnsList(): string[] }, k: string) => void): void };
}
interface ProtoRegisterResponse {
  getUrn(): string;
}
type Callback = (err: unknown, resp: ProtoRegisterResponse | undefined) => void;
interface MonitorLike {
  registerResource(req: ProtoRegisterRequest, cb: Callback): unknown;
}

/** Wraps the current (mock) monitor; every registration is appended to `into`. */
export function recordRegistrations(into: RecordedResource[]): void {
  // Internal API: the monitor instance the runtime talks to (set by setMocks).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): MonitorLike };
  const monitor = settings.getMonitor();
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    // The mock monitor and the record both decode the request's inputs: decode once (neither
    // mutates the decoded object).
    const object = req.getObject();
    if (object) {
      const decoded = object.toJavaScript();
      object.toJavaScript = () => decoded;
    }
    return original(req, (err, resp) => {
      if (!err && resp) into.push(toRecord(req, resp.getUrn()));
      cb(err, resp);
    });
  };
}

/**
 * The SDK captures a full stack trace per resource (`Resource.callsites`, stack limit lifted) for
 * the source position it sends the engine; the plan does not record it. Off until the returned
 * function is called.
 */
export function withoutSourcePositions(): () => void {
  const resource = pulumi.Resource as unknown as { callsites(): unknown[] };
  const callsites = Object.getOwnPropertyDescriptor(resource, "callsites");
  if (!callsites) return () => undefined;
  resource.callsites = () => [];
  return () => Object.defineProperty(resource, "callsites", callsites);
}

interface TreeNode {
  __childResources?: Set<TreeNode>;
  __parentResource?: TreeNode;
}

/**
 * After a plan, the runtime still reaches every resource object of it (the root stack resource
 * holds its children, the mock monitor its registered states) until the next plan replaces them.
 * Drops both so nothing of a plan is retained after it returns.
 */
export function releaseRuntime(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const state = require("@pulumi/pulumi/runtime/state") as { getStackResource(): TreeNode | undefined; setStackResource(r: undefined): void };
  // A closure of the SDK's last registration may outlive the plan; with the parent/child links
  // cut it holds one resource, not the whole tree.
  const stack = state.getStackResource() ?? (globalThis as { stackResource?: TreeNode }).stackResource;
  const pending: TreeNode[] = stack ? [stack] : [];
  for (let node = pending.pop(); node; node = pending.pop()) {
    for (const child of node.__childResources ?? []) pending.push(child);
    node.__childResources?.clear();
    node.__parentResource = undefined;
  }
  state.setStackResource(undefined);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): { resources?: Map<string, unknown> } | undefined };
  settings.getMonitor()?.resources?.clear();
}

function toRecord(req: ProtoRegisterRequest, urn: string): RecordedResource {
  const deps = new Set(req.getDependenciesList());
  req.getPropertydependenciesMap?.().forEach((v) => v.getUrnsList().forEach((u) => deps.add(u)));
  const t = req.getCustomtimeouts?.();
  const timeouts = t ? Object.fromEntries(Object.entries({ create: t.getCreate(), update: t.getUpdate(), delete: t.getDelete() }).filter(([, v]) => v)) : {};
  return {
    urn,
    type: req.getType(),
    name: req.getName(),
    custom: req.getCustom(),
    parent: req.getParent() || null,
    provider: providerUrn(req.getProvider()),
    dependencies: [...deps].filter(Boolean).sort(),
    protect: req.getProtect?.() ?? false,
    customTimeouts: Object.keys(timeouts).length ? timeouts : null,
    inputs: (normalizeWireValue(req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>) ?? {},
  };
}

/** Waits until every outstanding registration has been answered. */
export async function settle(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
  await settings.waitForRPCs();
}
