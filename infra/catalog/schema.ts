/**
 * The service catalog: one entry per service drives its workload, mesh policy, gateway routes,
 * topics and ACLs, credentials, monitors, SLO alerts and dashboards. Pure types and checks.
 */
import {
  bool,
  configMapKey,
  CPU_QUANTITY,
  DNS_LABEL,
  int,
  list,
  MEMORY_QUANTITY,
  num,
  obj,
  oneOf,
  optional,
  record,
  str,
} from "../validation/schema";

export const CRITICALITIES = ["critical", "standard"] as const;
export type Criticality = (typeof CRITICALITIES)[number];
export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const dnsLabel = str({ pattern: DNS_LABEL, patternName: "a lowercase DNS label" });
const cpu = str({ pattern: CPU_QUANTITY, patternName: "a CPU quantity like 250m" });
const memory = str({ pattern: MEMORY_QUANTITY, patternName: "a memory quantity like 512Mi" });
const port = int({ min: 1024, max: 65535 });
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

const route = obj({
  /** Route name, unique within the service (used in resource names and metrics labels). */
  name: dnsLabel,
  method: oneOf(HTTP_METHODS),
  /** Path prefix as exposed at the gateway and matched in the mesh. */
  path: str({ pattern: /^\/[A-Za-z0-9/_{}.-]*$/, patternName: "an absolute path like /api/v1/orders" }),
  /** Whether repeating the request is safe. Non-idempotent routes are never retried on 5xx. */
  idempotent: bool,
  /** Exposed through the API gateway (Kong) to clients. */
  exposed: optional(bool, true),
  /** Total time budget of the route at the mesh, including retries. */
  timeoutMs: int({ min: 10, max: 60_000 }),
  /** Attempts for idempotent routes (1 = no retry). Ignored (forced to 1) on non-idempotent routes. */
  retries: optional(int({ min: 0, max: 5 }), 2),
  /** WebSocket upgrade route (long-lived connections, no timeout at the mesh). */
  websocket: optional(bool, false),
  /** JWT required at the gateway (default true; login and public market data opt out). */
  authenticated: optional(bool, true),
});

const envSizing = obj({
  replicas: int({ min: 1 }),
  maxReplicas: int({ min: 1 }),
  cpu: obj({ request: cpu, limit: cpu }),
  memory: obj({ request: memory, limit: memory }),
});

const slo = obj({
  /** Availability objective in percent, e.g. 99.95. */
  availability: num({ min: 90, max: 99.999 }),
  /** Latency objective: `percentile` of requests faster than `thresholdMs`. */
  latency: obj({ thresholdMs: int({ min: 1 }), percentile: num({ min: 50, max: 99.99 }) }),
  /** Error-rate bound on the service's operations, percent. */
  errorRatePercent: optional(num({ min: 0.001, max: 50 })),
  /** Count only market hours (see catalog.marketHours); alerts are silent outside them. */
  marketHoursOnly: optional(bool, false),
  /** SLO period in days for error-budget arithmetic. */
  periodDays: optional(int({ min: 1, max: 90 }), 28),
  /** Minimum request rate (req/s) before burn-rate alerts may fire; guards against noise. */
  minRequestRate: optional(num({ min: 0 }), 0.1),
  /** Message delivery latency objective for push services (WebSocket). */
  deliveryLatencyMs: optional(int({ min: 1 })),
  /** Circuit-breaker activation bound, percent of requests ejected/overflowed. */
  circuitBreakerMaxPercent: optional(num({ min: 0.01, max: 50 }), 2),
  /** Longest a single request may take end to end; route timeouts must fit inside it. */
  timeoutBudgetMs: optional(int({ min: 10 }), 2000),
  /** Max consumer lag (messages) before the consumer is considered behind. */
  maxConsumerLag: optional(int({ min: 1 })),
});

const businessMetric = obj({
  /** Prometheus metric name as the service exports it. */
  name: str({ pattern: /^[a-zA-Z_:][a-zA-Z0-9_:]*$/, patternName: "a Prometheus metric name" }),
  type: oneOf(["counter", "gauge", "histogram"] as const),
  description: str({ minLength: 3 }),
  unit: optional(str({ minLength: 1 })),
});

const service = obj({
  name: dnsLabel,
  description: str({ minLength: 3 }),
  /** Owning team: Alertmanager routes by it. */
  team: dnsLabel,
  criticality: oneOf(CRITICALITIES),
  /** Namespace the service runs in; critical and standard services are kept apart. */
  namespace: dnsLabel,
  image: obj({
    repository: str({ pattern: /^[a-z0-9.\-/:]+$/, patternName: "an image repository" }),
    /** Pinned version; `latest` and floating tags are refused. */
    tag: str({ pattern: /^v?\d+\.\d+\.\d+(-[a-z0-9.]+)?$/, patternName: "a pinned semver tag like 1.4.2" }),
  }),
  runtime: oneOf(["jvm", "node"] as const),
  ports: obj({ http: port, metrics: port }),
  health: obj({
    liveness: str({ pattern: /^\//, patternName: "an HTTP path" }),
    readiness: str({ pattern: /^\//, patternName: "an HTTP path" }),
    startup: optional(str({ pattern: /^\//, patternName: "an HTTP path" })),
  }),
  /** Max heap as a share of the container memory limit (JVM services). */
  jvmMaxRamPercentage: optional(int({ min: 25, max: 90 }), 75),
  routes: list(route, { minItems: 1 }),
  /** Services this one calls; becomes the ALLOW edges of the mesh authorization. */
  calls: optional(list(dnsLabel), [] as string[]),
  produces: optional(list(dnsLabel), [] as string[]),
  consumes: optional(list(dnsLabel), [] as string[]),
  /**
   * Consumed topics every pod reads in full, each pod in a consumer group of its own (prefix
   * `tm.<service>.pod.`), instead of sharing the service's group: the quotes each WebSocket pod
   * pushes to its own subscribers. Must also be listed in `consumes`.
   */
  broadcast: optional(list(dnsLabel), [] as string[]),
  datastores: optional(
    obj({
      postgres: optional(obj({ database: str({ pattern: /^[a-z][a-z0-9_]*$/, patternName: "a SQL identifier" }), poolSize: optional(int({ min: 1, max: 100 }), 10) })),
      redis: optional(
        obj({
          keyPrefix: str({ pattern: /^[a-z][a-z0-9:_-]*$/, patternName: "a key prefix" }),
          ttlSeconds: optional(int({ min: 1 }), 300),
          /** Pub/sub channels the service may publish and subscribe to (prefix); none when absent. */
          channelPrefix: optional(str({ pattern: /^[a-z][a-z0-9:_-]*$/, patternName: "a channel prefix" })),
        }),
      ),
    }),
    {},
  ),
  slo: optional(slo),
  businessMetrics: optional(list(businessMetric), []),
  /** Sizing per environment (keys: local, staging, prod). */
  environments: record(envSizing, /^(local|staging|prod)$/),
  /** Issues the JWTs the gateway verifies: receives the platform's signing key (one service at most). */
  issuesTokens: optional(bool, false),
  /** Non-secret settings passed as environment variables. */
  settings: optional(record(str(), configMapKey), {} as Record<string, string>),
});

const topic = obj({
  /** Short reference used by services' produces/consumes. */
  name: dnsLabel,
  /** Kafka topic name. */
  topicName: str({ pattern: /^[a-z0-9._-]+$/, patternName: "a Kafka topic name" }),
  /** Domain event carried (TradeExecuted, ...). */
  event: str({ pattern: /^[A-Z][A-Za-z]+$/, patternName: "an event name in PascalCase" }),
  /** Record key that guarantees per-key ordering. */
  partitionKey: str({ pattern: /^[a-zA-Z][a-zA-Z0-9]*$/, patternName: "a field name" }),
  partitions: int({ min: 1, max: 256 }),
  /** Retention class: replay (WebSocket replay window from stack config) or audit (long). */
  retention: oneOf(["replay", "audit"] as const),
  compacted: optional(bool, false),
});

export const catalogCheck = obj({
  apiVersion: oneOf(["trademaster.io/v1"] as const),
  kind: oneOf(["ServiceCatalog"] as const),
  marketHours: obj({
    /** IANA timezone; daylight saving follows the zone. */
    timezone: str({ pattern: /^[A-Za-z_]+\/[A-Za-z_]+$/, patternName: "an IANA timezone like America/New_York" }),
    open: str({ pattern: HHMM, patternName: "HH:MM" }),
    close: str({ pattern: HHMM, patternName: "HH:MM" }),
    weekdays: list(oneOf(WEEKDAYS), { minItems: 1 }),
  }),
  topics: list(topic, { minItems: 1 }),
  services: list(service, { minItems: 1 }),
});

export type Catalog = NonNullable<ReturnType<typeof catalogCheck>>;
export type ServiceSpec = Catalog["services"][number];
export type RouteSpec = ServiceSpec["routes"][number];
export type TopicSpec = Catalog["topics"][number];
export type SloSpec = NonNullable<ServiceSpec["slo"]>;
export type EnvSizing = ServiceSpec["environments"][string];
export type MarketHours = Catalog["marketHours"];
