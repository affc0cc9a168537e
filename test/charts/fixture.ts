/**
 * A small chart the tests build themselves (never committed as a chart): a Deployment, a hook Job
 * that would generate a Secret, a CRD and a custom resource of it. Rendered by the real helm.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ChartPin } from "../../infra/charts/pinned";
import type { Plan, PlanResource } from "../../infra/plan/types";

export const FIXTURE_PIN: ChartPin = { repository: "https://charts.example.test", chart: "fixture", version: "0.1.0", namespace: "apps" };

const FILES: Record<string, string> = {
  "Chart.yaml": "apiVersion: v2\nname: fixture\nversion: 0.1.0\nappVersion: \"1.0\"\n",
  "values.yaml": [
    "replicas: 1",
    "image: registry.example.test/app:1.0",
    "# restricted-compatible by default",
    "secure: true",
    "# mount the Secret that only the hook Job creates",
    "needsHookSecret: false",
    "podLabels: {}",
    "# a list the Deployment ranges over (a bootstrap list known only at deploy on AWS)",
    "servers:",
    "  - broker-0:9092",
    "widgetSize: 1",
    "# an Istio VirtualService checked against the upstream CRD and its CEL rules",
    "virtualService:",
    "  enabled: false",
    "  timeout: 5s",
    "",
  ].join("\n"),
  "crds/widgets.yaml": `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.test
spec:
  group: example.test
  scope: Namespaced
  names: { kind: Widget, plural: widgets, singular: widget, listKind: WidgetList }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties: { size: { type: integer } }
              x-kubernetes-validations:
                - rule: "!has(self.size) || self.size <= 10"
                  message: a widget has at most 10 parts
`,
  "templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-app
spec:
  replicas: {{ .Values.replicas }}
  selector: { matchLabels: { app: fixture } }
  template:
    metadata:
      labels:
        app: fixture
        {{- range $k, $v := .Values.podLabels }}
        {{ $k }}: {{ $v | quote }}
        {{- end }}
    spec:
      {{- if .Values.secure }}
      securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: RuntimeDefault } }
      {{- end }}
      containers:
        - name: app
          image: {{ .Values.image }}
          args:
            {{- range .Values.servers }}
            - --server={{ . }}
            {{- end }}
          {{- if .Values.secure }}
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] } }
          {{- end }}
          resources: { requests: { cpu: 100m, memory: 64Mi } }
          {{- if .Values.needsHookSecret }}
          volumeMounts: [{ name: token, mountPath: /token }]
          {{- end }}
      {{- if .Values.needsHookSecret }}
      volumes: [{ name: token, secret: { secretName: {{ .Release.Name }}-token } }]
      {{- end }}
`,
  "templates/hook-job.yaml": `apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-token-create
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
spec:
  template:
    spec:
      restartPolicy: OnFailure
      containers:
        - name: create
          image: registry.example.test/certgen:1.0
          args: ["create", "--secret-name={{ .Release.Name }}-token"]
`,
  "templates/widget.yaml": `apiVersion: example.test/v1
kind: Widget
metadata:
  name: {{ .Release.Name }}-widget
spec:
  size: {{ .Values.widgetSize }}
`,
  "templates/virtualservice.yaml": `{{- if .Values.virtualService.enabled }}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: {{ .Release.Name }}-app
spec:
  hosts: [{{ .Release.Name }}-app]
  http:
    - route: [{ destination: { host: {{ .Release.Name }}-app } }]
      timeout: {{ .Values.virtualService.timeout }}
{{- end }}
`,
};

/** Writes the fixture chart as `<cache>/fixture-0.1.0/` (an unpacked chart directory) and returns the cache. */
export function fixtureCache(): string {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), "tm-chart-cache-"));
  for (const [rel, text] of Object.entries(FILES)) {
    const file = path.join(cache, "fixture-0.1.0", rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return cache;
}

const STACK_URN = "urn:pulumi:test::trademaster::pulumi:pulumi:Stack::trademaster-test";

function resource(type: string, name: string, inputs: Record<string, unknown>, custom = true): PlanResource {
  return {
    urn: `urn:pulumi:test::trademaster::${type}::${name}`,
    type,
    name,
    custom,
    parent: STACK_URN,
    provider: null,
    dependencies: [],
    protect: false,
    customTimeouts: null,
    component: null,
    inputs,
  };
}

/** A plan with a restricted, meshed-or-not Namespace `apps` and the fixture chart with `values`. */
export function fixturePlan(values: Record<string, unknown>, opts: { enforce?: string; injection?: boolean; istioCni?: boolean } = {}): Plan {
  const resources = [
    resource("kubernetes:core/v1:Namespace", "apps", {
      kind: "Namespace",
      metadata: { name: "apps", labels: { "pod-security.kubernetes.io/enforce": opts.enforce ?? "restricted", "istio-injection": opts.injection ? "enabled" : "disabled" } },
    }),
    resource("kubernetes:helm.sh/v4:Chart", "fixture", { chart: "fixture", version: "0.1.0", namespace: "apps", repositoryOpts: { repo: FIXTURE_PIN.repository }, values }, false),
  ];
  // istiod's values say whether sidecars are redirected by the CNI agent (no NET_ADMIN init container).
  if (opts.istioCni !== undefined) {
    resources.push(resource("kubernetes:helm.sh/v4:Chart", "istiod", { chart: "istiod", version: "1.29.2", namespace: "istio-system", values: { pilot: { cni: { enabled: opts.istioCni } } } }, false));
  }
  return { version: 1, project: "trademaster", stack: "test", environment: "local", offline: true, resources, notes: [], summary: { total: resources.length, byType: {} } };
}
