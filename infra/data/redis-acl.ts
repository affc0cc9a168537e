/**
 * Who may do what in Redis (pure): one ACL user per service that declares Redis (its key prefix,
 * and its channel prefix when it has one), the gateway's rate limiter as the `default` user
 * (`ratelimit:*` only), and the metrics exporter (statistics commands, no key). The same rules
 * become the local ACL file and the ElastiCache access strings, and are loaded into a real
 * redis-server by test/data/real-redis.test.ts.
 */
import type { Catalog } from "../catalog/schema";
import { REDIS_EXPORTER_RULES, REDIS_EXPORTER_USER } from "./exporter-access";
import { GATEWAY_REDIS_USER, redisAccessRules, redisServices, redisUserName, type RedisAclUser } from "./local";

/** One Redis user without its password: the rules are what ElastiCache's access string holds after `on`. */
export interface RedisUserRules extends Omit<RedisAclUser, "password"> {
  /** Catalog service of the user; absent for the platform's own users (rate limiter, exporter). */
  service?: string;
  /** Complete ACL rules of the user (key, channel and command rules). */
  rules: string;
}

/** Every Redis user of the platform, sorted by name. */
export function redisAclUsers(catalog: Catalog): RedisUserRules[] {
  const users: RedisUserRules[] = redisServices(catalog).map((s) => {
    const r = s.datastores.redis!;
    const keyPattern = `${r.keyPrefix}*`;
    const channelPattern = r.channelPrefix ? `${r.channelPrefix}*` : undefined;
    return { name: redisUserName(s), service: s.name, keyPattern, channelPattern, rules: redisAccessRules(keyPattern, channelPattern) };
  });
  users.push(
    { name: GATEWAY_REDIS_USER.name, keyPattern: GATEWAY_REDIS_USER.keyPattern, rules: redisAccessRules(GATEWAY_REDIS_USER.keyPattern) },
    { name: REDIS_EXPORTER_USER, keyPattern: "", rules: REDIS_EXPORTER_RULES },
  );
  return users.sort((a, b) => a.name.localeCompare(b.name));
}
