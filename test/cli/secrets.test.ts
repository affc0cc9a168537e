import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readStackFile } from "../../infra/plan/run";
import { loadPlatformConfig, namespacedConfig } from "../../infra/config/load";
import { describeAt, looksSecretKey, obj, parseDocument, str } from "../../infra/validation/schema";
import { errorOf } from "../helpers/errors";

const WEBHOOK = "https://hooks.slack.com/services/T0000000/B0000000/abcdefghijklmnopqrstuvwx";
const ROUTING_KEY = "R0UT1NGKEY0123456789abcdefABCDEF";
const prodStack = () => fs.readFileSync(path.join(__dirname, "../../stacks/Pulumi.prod.yaml"), "utf8");

function stackDir(extra: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tm-secrets-"));
  fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), prodStack().replace(/^config:\n/m, `config:\n${extra}`));
  return dir;
}

describe("errors never print a secret", () => {
  it("does not print the value of a mistyped secret key", () => {
    const dir = stackDir(`  trademaster:slackWebhookUrll: ${WEBHOOK}\n  trademaster:pagerdutyRoutingKy: ${ROUTING_KEY}\n`);
    const stack = readStackFile("prod", dir);
    const e = errorOf(() => loadPlatformConfig("prod", namespacedConfig(stack.config)));
    expect(e.message).toContain("config.trademaster.slackWebhookUrll");
    expect(e.message).toContain("did you mean slackWebhookUrl?");
    expect(e.message).toContain("config.trademaster.pagerdutyRoutingKy");
    expect(e.message).not.toContain("hooks.slack.com");
    expect(e.message).not.toContain(ROUTING_KEY.slice(0, 8));
    expect(e.message).toContain(`a string of ${WEBHOOK.length} characters (value not shown)`);
  });

  it("shows only the length of a bad value under a secret-looking key, or of a secret-looking value", () => {
    const e = errorOf(() => parseDocument("f.yaml", obj({ dbPassword: str({ minLength: 40 }), note: str({ minLength: 200 }) }), { dbPassword: "hunter2-hunter2", note: WEBHOOK }));
    expect(e.message).toContain("dbPassword: expected a string of at least 40 characters, found [secret], 15 characters");
    expect(e.message).toContain(`note: expected a string of at least 200 characters, found [secret], ${WEBHOOK.length} characters`);
    expect(e.message).not.toContain("hunter2");
    for (const k of ["slackWebhookUrl", "trademaster:pagerdutyRoutingKey", "a.b.apiToken", "client_secret", "db-password"]) expect(looksSecretKey(k), k).toBe(true);
    for (const k of ["partitionKey", "keyPrefix", "publicKeyPem", "replicas"]) expect(looksSecretKey(k), k).toBe(false);
    expect(describeAt("x.name", "auth")).toBe('"auth" (string)');
  });
});

describe("a plain value for a secret key is refused", () => {
  it.each([
    ["slackWebhookUrl", WEBHOOK],
    ["pagerdutyRoutingKey", ROUTING_KEY],
  ])("refuses a plain trademaster:%s with the command that sets it encrypted", (key, value) => {
    const e = errorOf(() => readStackFile("prod", stackDir(`  trademaster:${key}: ${value}\n`)));
    expect(e.file).toBe("stacks/Pulumi.prod.yaml");
    expect(e.issues).toEqual([
      {
        path: `config.trademaster:${key}`,
        expected: `an encrypted value: run \`pulumi config set --secret trademaster:${key} <value> --stack prod\` (it replaces this line)`,
        found: `a plain-text value ([secret], ${value.length} characters)`,
      },
    ]);
    expect(e.message).not.toContain(value);
  });

  it("accepts the encrypted form", () => {
    const f = readStackFile("prod", stackDir("  trademaster:slackWebhookUrl:\n    secure: v1:AAAABBBBCCCC\n"));
    expect(f.config["trademaster:slackWebhookUrl"]).toBe("[secret]");
  });
});
