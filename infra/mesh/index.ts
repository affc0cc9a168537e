/**
 * Istio service mesh: pinned charts (base, istio-cni, istiod) and the mesh objects built from the
 * catalog in mesh/spec.ts. Secure by default:
 * - STRICT mTLS mesh-wide with no port exception (Prometheus scrapes the merged metrics on the
 *   sidecar's :15020, see charts/istiod/values.yaml);
 * - deny-by-default authorization in every meshed namespace; ALLOW only along the catalog's call
 *   graph, from Kong to exposed routes, and for metrics scraping;
 * - sidecars redirected by istio-cni: no privileged init containers in service namespaces;
 * - retries only on idempotent routes, within the SLO budget; circuit breakers and bulkheads.
 * No Istio ingress gateway is installed: Kong is the edge gateway, inside the mesh.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlatformContext } from "../contracts";
import { loadChartSpec, pinnedChart } from "../charts/pinned";
import { declareKubeObjects } from "../kube/object";
import { istiodValues, meshObjects } from "./spec";

export type ServiceMeshArgs = PlatformContext;

export class ServiceMesh extends pulumi.ComponentResource {
  /** Names of the mesh objects declared (kind-namespace-name). */
  readonly objectNames: string[];
  /**
   * The control plane (CNI and istiod with its sidecar injector). Pods must be created after it
   * or they run without a proxy; depending on it, not on the whole mesh, keeps the dependency
   * graph linear in the number of services.
   */
  readonly controlPlane: pulumi.Resource[];

  constructor(name: string, args: ServiceMeshArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trademaster:mesh:ServiceMesh", name, {}, opts);
    const { config, catalog } = args;
    const stack = config.stack;

    const base = pinnedChart(`${name}-istio-base`, { chart: "istio-base", stack }, { parent: this });
    const cni = pinnedChart(`${name}-istio-cni`, { chart: "istio-cni", stack }, { parent: this, dependsOn: [base] });
    const istiod = pinnedChart(
      `${name}-istiod`,
      { chart: "istiod", stack, values: istiodValues(config) },
      { parent: this, dependsOn: [base, cni] },
    );

    this.controlPlane = [cni, istiod];
    // Istio CRs need the CRDs (base) and the validating webhook (istiod) first.
    const objects = declareKubeObjects(meshObjects(config, catalog), { parent: this, dependsOn: [base, istiod] });
    this.objectNames = Object.keys(objects).sort();
    this.registerOutputs({ objects: this.objectNames, istioVersion: loadChartSpec("istiod", stack).version });
  }
}
