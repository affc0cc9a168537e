/**
 * WebSocket fan-out through Redis (docs/adr/0001-websocket-fan-out.md), as pure data: the key
 * and channel names and the exact commands the gateway issues. The gateway's pods share one
 * Kafka consumer group; the pod that consumes an event for user U
 *   1. appends it to U's replay stream (`XADD <prefix>replay:<U> MAXLEN ~ <n> * ...`) and refreshes
 *      the stream's TTL to the replay window;
 *   2. publishes the stream entry id and event on U's channel (`<prefix>user:<U>`), which the
 *      pod(s) holding U's sockets subscribed to when U connected.
 * Quotes are not per user and not replayed: every pod reads the quote topic itself (a consumer
 * group per pod, catalog `broadcast`) and pushes to its own subscribers; a reconnecting client
 * reads the current quote. On reconnect a client sends its last entry id and the pod
 * replays `XRANGE <stream> (<id> +`; an id older than the stream's first entry means the window
 * was exceeded and the client reloads its state over the REST API.
 * The names and settings reach the gateway through its ConfigMap ({@link fanoutSettings}).
 */
import type { ServiceSpec } from "../catalog/schema";
import type { PlatformConfig } from "../config/schema";

export interface FanoutNames {
  /** Per-user replay stream key. */
  replayStream(userId: string): string;
  /** Per-user live channel. */
  userChannel(userId: string): string;
}

const ID = /^[A-Za-z0-9._-]{1,128}$/;

function checked(kind: string, value: string): string {
  if (!ID.test(value)) throw new Error(`fan-out: ${kind} ${JSON.stringify(value)} is not a safe identifier`);
  return value;
}

/** The service that fans out: it owns Redis channels (catalog `datastores.redis.channelPrefix`). */
export function fanoutService(services: ServiceSpec[]): ServiceSpec | undefined {
  return services.find((s) => s.routes.some((r) => r.websocket) && s.datastores.redis?.channelPrefix);
}

/** Names under the service's own key and channel prefixes (the ACL grants exactly those). */
export function fanoutNames(service: ServiceSpec): FanoutNames {
  const redis = service.datastores.redis;
  if (!redis?.channelPrefix) throw new Error(`service ${service.name} has no Redis channel prefix to fan out on`);
  const keys = redis.keyPrefix;
  const channels = redis.channelPrefix;
  return {
    replayStream: (u) => `${keys}replay:${checked("user id", u)}`,
    userChannel: (u) => `${channels}user:${checked("user id", u)}`,
  };
}

/** What the replay window keeps, from the stack config. */
export interface ReplayBounds {
  /** Stream TTL, refreshed on every write. */
  ttlSeconds: number;
  /** Approximate MAXLEN per user stream. */
  maxEvents: number;
}

export function replayBounds(config: Pick<PlatformConfig, "realtime">): ReplayBounds {
  return { ttlSeconds: config.realtime.replayWindowSeconds, maxEvents: config.realtime.replayMaxEventsPerUser };
}

/** Commands for one user event: append to the replay stream, refresh its TTL, publish live. */
export function userEventCommands(names: FanoutNames, bounds: ReplayBounds, userId: string, eventType: string, payload: string): {
  append: string[];
  expire: string[];
  /** PUBLISH <channel> <message>; the message carries the stream entry id once known. */
  publish: (entryId: string) => string[];
} {
  const stream = names.replayStream(userId);
  return {
    append: ["XADD", stream, "MAXLEN", "~", String(bounds.maxEvents), "*", "type", eventType, "payload", payload],
    expire: ["EXPIRE", stream, String(bounds.ttlSeconds)],
    publish: (entryId) => ["PUBLISH", names.userChannel(userId), JSON.stringify({ id: entryId, type: eventType, payload })],
  };
}

/** Replay after `lastEntryId` (exclusive), oldest first. */
export function replayCommand(names: FanoutNames, userId: string, lastEntryId: string): string[] {
  if (!/^\d+-\d+$/.test(lastEntryId)) throw new Error(`fan-out: ${JSON.stringify(lastEntryId)} is not a stream entry id`);
  return ["XRANGE", names.replayStream(userId), `(${lastEntryId}`, "+"];
}

/** Settings of the fan-out service's ConfigMap (templates use `{userId}`). */
export function fanoutSettings(service: ServiceSpec, config: Pick<PlatformConfig, "realtime">): Record<string, string> {
  const names = fanoutNames(service);
  const bounds = replayBounds(config);
  return {
    WS_REPLAY_STREAM_KEY: names.replayStream("USER").replace(/USER$/, "{userId}"),
    WS_USER_CHANNEL: names.userChannel("USER").replace(/USER$/, "{userId}"),
    WS_REPLAY_TTL_SECONDS: String(bounds.ttlSeconds),
    WS_REPLAY_MAX_EVENTS: String(bounds.maxEvents),
  };
}

/**
 * Memory the replay streams need at peak (bytes): every user event of the window is held once,
 * plus Redis' per-entry overhead (stream listpack and radix tree, ~60 bytes measured order).
 */
export const STREAM_ENTRY_OVERHEAD_BYTES = 64;

export function replayMemoryBytes(config: Pick<PlatformConfig, "realtime">): number {
  const r = config.realtime;
  return r.peakUserEventsPerSecond * r.replayWindowSeconds * (r.averageEventBytes + STREAM_ENTRY_OVERHEAD_BYTES);
}
