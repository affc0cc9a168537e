/**
 * The Redis ACL rules the program generates, loaded into a real redis-server: every user can do
 * what it needs (its own keys, its own channels and streams) and is refused everything else; the
 * gateway's fan-out path (replay stream + live channel) runs with the gateway's own user.
 * redis-server comes from Debian (`.ci/run` installs it); the test starts it on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCatalog } from "../../infra/catalog/load";
import { loadStackConfig } from "../../infra/plan/run";
import { fanoutNames, fanoutService, replayBounds, replayCommand, userEventCommands } from "../../infra/data/fanout";
import { redisAclFile } from "../../infra/data/local";
import { redisAclUsers, type RedisUserRules } from "../../infra/data/redis-acl";
import { hasRedisServer, RespClient, RespError, startRedis, type RespValue, type RunningServer } from "../helpers/real-servers";

const catalog = loadCatalog();
const users = redisAclUsers(catalog);
const passwordOf = (name: string) => `Pw${name.replace(/[^A-Za-z0-9]/g, "")}0123456789abcdef`;
const isRefused = (v: RespValue) => v instanceof RespError && /NOPERM|NOAUTH/.test(v.message);
const isOk = (v: RespValue) => !(v instanceof RespError);

/** Commands no platform user needs: administration, whole-keyspace reads, scripting, replication. */
const FORBIDDEN: string[][] = [
  ["FLUSHALL"],
  ["FLUSHDB"],
  ["KEYS", "*"],
  ["SCAN", "0"],
  ["RANDOMKEY"],
  ["CONFIG", "GET", "maxmemory"],
  ["CONFIG", "SET", "maxmemory", "1"],
  ["ACL", "LIST"],
  ["ACL", "SETUSER", "intruder", "on", ">x", "+@all", "~*"],
  ["DEBUG", "SLEEP", "0"],
  ["MONITOR"],
  ["CLIENT", "KILL", "ID", "999999"],
  ["EVAL", "return 1", "0"],
  ["FUNCTION", "LIST"],
  ["MODULE", "LIST"],
  ["REPLICAOF", "NO", "ONE"],
  ["BGSAVE"],
  ["SHUTDOWN", "NOSAVE"],
];

describe.runIf(hasRedisServer())("Redis ACLs on a real redis-server", () => {
  let server: RunningServer;
  const clients: RespClient[] = [];
  const connectAs = async (user: string): Promise<RespClient> => {
    const c = await RespClient.connect(server.port);
    clients.push(c);
    const auth = await c.call("AUTH", user, passwordOf(user));
    expect(auth, `AUTH ${user}`).toBe("OK");
    return c;
  };

  beforeAll(async () => {
    server = await startRedis(redisAclFile(users.map((u) => ({ ...u, password: passwordOf(u.name) }))));
  }, 20_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await server?.stop();
  });

  it("loads every generated user, and the default user is the scoped rate limiter, not an open one", async () => {
    const anonymous = await RespClient.connect(server.port);
    clients.push(anonymous);
    // No password, no access: the image's open default user does not exist.
    expect(isRefused(await anonymous.call("GET", "ratelimit:x"))).toBe(true);
    const admin = await connectAs("default");
    expect(isRefused(await admin.call("ACL", "LIST"))).toBe(true);
    expect(users.map((u) => u.name)).toEqual(expect.arrayContaining(["default", "tm-redis-exporter", "svc-websocket-gateway"]));
  });

  const keyUsers = users.filter((u) => u.keyPattern !== "");
  it.each(keyUsers.map((u) => [u.name, u] as [string, RedisUserRules]))("%s: reads and writes its own keys only", async (name, user) => {
    const c = await connectAs(name);
    const own = user.keyPattern.replace(/\*$/, "") + "probe";
    expect(await c.call("SET", own, "v", "EX", "60")).toBe("OK");
    expect(await c.call("GET", own)).toBe("v");
    expect(await c.call("INCRBY", `${own}:n`, 2)).toBe(2);
    expect(await c.call("EXPIRE", `${own}:n`, 60)).toBe(1);
    expect(await c.call("DEL", own, `${own}:n`)).toBe(2);
    for (const other of keyUsers.filter((o) => o.name !== name)) {
      const foreign = other.keyPattern.replace(/\*$/, "") + "probe";
      expect(isRefused(await c.call("GET", foreign)), `${name} GET ${foreign}`).toBe(true);
      expect(isRefused(await c.call("SET", foreign, "x")), `${name} SET ${foreign}`).toBe(true);
    }
    expect(isRefused(await c.call("SET", "unowned:key", "x"))).toBe(true);
  });

  it.each(users.map((u) => [u.name, u] as [string, RedisUserRules]))("%s: no administration, keyspace listing, scripting or replication", async (name) => {
    const c = await connectAs(name);
    for (const cmd of FORBIDDEN) expect(isRefused(await c.call(...cmd)), `${name} ${cmd.join(" ")}`).toBe(true);
  });

  it.each(users.map((u) => [u.name, u] as [string, RedisUserRules]))("%s: pub/sub only on its own channels", async (name, user) => {
    const c = await connectAs(name);
    const ownChannel = user.channelPattern?.replace(/\*$/, "") + "probe";
    if (user.channelPattern) {
      expect(await c.call("PUBLISH", ownChannel, "x")).toBe(0);
    }
    for (const other of users.filter((o) => o.channelPattern && o.name !== name)) {
      const foreign = other.channelPattern!.replace(/\*$/, "") + "probe";
      expect(isRefused(await c.call("PUBLISH", foreign, "x")), `${name} PUBLISH ${foreign}`).toBe(true);
    }
    expect(isRefused(await c.call("PUBLISH", "unowned:channel", "x"))).toBe(true);
    // SUBSCRIBE last: the connection is in subscriber mode afterwards.
    expect(isRefused(await c.call("SUBSCRIBE", "unowned:channel"))).toBe(true);
    if (user.channelPattern) expect(isOk(await c.call("SUBSCRIBE", ownChannel))).toBe(true);
  });

  it("the metrics exporter reads statistics and no key", async () => {
    const c = await connectAs("tm-redis-exporter");
    for (const cmd of [["PING"], ["INFO"], ["CLIENT", "LIST"], ["SLOWLOG", "GET", "10"], ["SLOWLOG", "LEN"], ["LATENCY", "LATEST"]]) {
      expect(isOk(await c.call(...cmd)), cmd.join(" ")).toBe(true);
    }
    for (const u of keyUsers) expect(isRefused(await c.call("GET", u.keyPattern.replace(/\*$/, "") + "probe"))).toBe(true);
  });

  describe("WebSocket fan-out through Redis, as the gateway's own user", () => {
    const ws = fanoutService(catalog.services)!;
    const names = fanoutNames(ws);
    const bounds = replayBounds(loadStackConfig("prod"));
    const wsUser = users.find((u) => u.service === ws.name)!.name;

    it("delivers an event consumed by one pod to the pod holding the user's socket, and replays after a reconnect", async () => {
      const holder = await connectAs(wsUser); // pod with user u42's socket
      const bridge = await connectAs(wsUser); // pod that consumed u42's event from Kafka
      expect(await holder.call("SUBSCRIBE", names.userChannel("u42"))).toEqual(["subscribe", names.userChannel("u42"), 1]);

      const ids: string[] = [];
      for (let i = 1; i <= 3; i++) {
        const cmds = userEventCommands(names, bounds, "u42", "OrderStatusChanged", JSON.stringify({ orderId: `o${i}`, status: "FILLED" }));
        const id = await bridge.call(...cmds.append);
        expect(typeof id).toBe("string");
        ids.push(String(id));
        expect(await bridge.call(...cmds.expire)).toBe(1);
        expect(await bridge.call(...cmds.publish(String(id)))).toBe(1); // one subscriber: the holder
      }
      await holder.waitForMessage(3);
      expect(holder.messages.map((m) => JSON.parse(m.payload).id)).toEqual(ids);

      // The client saw the first event, dropped, and reconnects to another pod: replay the rest.
      const other = await connectAs(wsUser);
      const replay = (await other.call(...replayCommand(names, "u42", ids[0]))) as Array<[string, string[]]>;
      expect(replay.map(([id]) => id)).toEqual(ids.slice(1));
      const ttl = Number(await other.call("TTL", names.replayStream("u42")));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(bounds.ttlSeconds);
    });

    it("bounds each user's stream near the configured length", async () => {
      const bridge = await connectAs(wsUser);
      const small = { ...bounds, maxEvents: 100 };
      for (let i = 0; i < 1000; i++) await bridge.call(...userEventCommands(names, small, "u7", "PositionUpdated", "{}").append);
      const len = Number(await bridge.call("XLEN", names.replayStream("u7")));
      // `MAXLEN ~` trims whole radix-tree nodes (100 entries each by default): near, never far above.
      expect(len).toBeGreaterThanOrEqual(100);
      expect(len).toBeLessThan(300);
    });

    it("no other service can read a user's stream or listen to a user's channel", async () => {
      for (const u of users.filter((x) => x.name !== wsUser)) {
        const c = await connectAs(u.name);
        expect(isRefused(await c.call(...replayCommand(names, "u42", "0-0"))), `${u.name} XRANGE`).toBe(true);
        expect(isRefused(await c.call("SUBSCRIBE", names.userChannel("u42"))), `${u.name} SUBSCRIBE`).toBe(true);
      }
    });
  });
});
