import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { CONFIG_NAMESPACE, loadPlatformConfig, namespacedConfig } from "../../infra/config/load";
import { readStackFile } from "../../infra/plan/run";
import { STACKS } from "../helpers/plan";
import { errorOf } from "../helpers/errors";

function stackConfig(stack: string): Record<string, unknown> {
  return namespacedConfig(readStackFile(stack).config);
}

describe("stack config", () => {
  it.each(STACKS)("the shipped %s stack validates and matches its environment", (stack) => {
    const c = loadPlatformConfig(stack, stackConfig(stack));
    expect(c.environment).toBe(stack);
    expect(c.onAws).toBe(stack !== "local");
  });

  it("prod is multi-AZ, replicated and protected", () => {
    const c = loadPlatformConfig("prod", stackConfig("prod"));
    expect(c.aws?.availabilityZones).toHaveLength(3);
    expect(c.kafka.replicationFactor).toBeGreaterThanOrEqual(3);
    expect(c.kafka.minInsyncReplicas).toBeGreaterThanOrEqual(2);
    expect(c.kafka.uncleanLeaderElection).toBe(false);
    expect(c.postgres.multiAz).toBe(true);
    expect(c.redis.multiAzFailover).toBe(true);
    expect(c.protectData).toBe(true);
    expect(c.gateway.corsOrigins).not.toContain("*");
  });

  it("names the stack file, the key path, the expectation and the value found", () => {
    const raw = { ...stackConfig("prod"), kafka: JSON.stringify({ ...JSON.parse(String(stackConfig("prod").kafka)), replicationFactor: "three" }) };
    const e = errorOf(() => loadPlatformConfig("prod", raw));
    expect(e.file).toBe("stacks/Pulumi.prod.yaml");
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0].path).toBe("config.trademaster.kafka.replicationFactor");
    expect(e.issues[0].expected).toMatch(/integer/);
    expect(e.issues[0].found).toContain('"three"');
    expect(e.message).toContain("stacks/Pulumi.prod.yaml");
  });

  it("rejects unknown keys (typos) with the allowed keys", () => {
    const redis = { ...JSON.parse(String(stackConfig("staging").redis)), multiAZ: true };
    const e = errorOf(() => loadPlatformConfig("staging", { ...stackConfig("staging"), redis: JSON.stringify(redis) }));
    expect(e.issues.map((i) => i.path)).toContain("config.trademaster.redis.multiAZ");
    expect(e.issues[0].expected).toContain("multiAzFailover");
  });

  it("refuses an unsafe prod: RF 1, unclean election, wildcard CORS, no protection", () => {
    const base = stackConfig("prod");
    const kafka = { ...JSON.parse(String(base.kafka)), replicationFactor: 1, minInsyncReplicas: 1, uncleanLeaderElection: true };
    const gateway = { ...JSON.parse(String(base.gateway)), corsOrigins: ["*"] };
    const e = errorOf(() => loadPlatformConfig("prod", { ...base, kafka: JSON.stringify(kafka), gateway: JSON.stringify(gateway), protectData: "false" }));
    const paths = e.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "config.trademaster:kafka.replicationFactor",
        "config.trademaster:kafka.minInsyncReplicas",
        "config.trademaster:kafka.uncleanLeaderElection",
        "config.trademaster:gateway.corsOrigins",
        "config.trademaster:protectData",
      ]),
    );
  });

  it("requires AWS settings on AWS environments and refuses them on local", () => {
    const staging = { ...stackConfig("staging") };
    delete staging.aws;
    expect(errorOf(() => loadPlatformConfig("staging", staging)).issues[0].path).toBe("config.trademaster:aws");
    const local = { ...stackConfig("local"), aws: stackConfig("staging").aws };
    expect(errorOf(() => loadPlatformConfig("local", local)).issues.map((i) => i.path)).toContain("config.trademaster:aws");
  });

  it("refuses an EKS endpoint open to the world", () => {
    const aws = JSON.parse(String(stackConfig("staging").aws));
    aws.eks.publicAccessCidrs = ["0.0.0.0/0"];
    const e = errorOf(() => loadPlatformConfig("staging", { ...stackConfig("staging"), aws: JSON.stringify(aws) }));
    expect(e.issues[0].path).toBe("config.trademaster:aws.eks.publicAccessCidrs");
  });

  it("refuses a TLS certificate of another AWS account", () => {
    const gateway = { ...JSON.parse(String(stackConfig("prod").gateway)), certificateArn: "arn:aws:acm:us-east-1:999999999999:certificate/x" };
    const e = errorOf(() => loadPlatformConfig("prod", { ...stackConfig("prod"), gateway: JSON.stringify(gateway) }));
    expect(e.issues[0].path).toBe("config.trademaster:gateway.certificateArn");
    expect(e.issues[0].found).toBe("account 999999999999");
  });

  it("masks secure values of a stack file and lists them as secret", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tm-stacks-"));
    const doc = yaml.load(fs.readFileSync(path.join(__dirname, "../../stacks/Pulumi.prod.yaml"), "utf8")) as { config: Record<string, unknown> };
    doc.config["trademaster:pagerdutyRoutingKey"] = { secure: "v1:abc" };
    fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), yaml.dump(doc));
    const f = readStackFile("prod", dir);
    expect(f.config["trademaster:pagerdutyRoutingKey"]).toBe("[secret]");
    expect(f.secretKeys).toContain("trademaster:pagerdutyRoutingKey");
    // The other required secrets are not in the file: stood in for, and said so.
    expect(f.secretKeys).toContain("trademaster:slackWebhookUrl");
    expect(f.secretKeys).toContain("trademaster:heartbeatUrl");
    expect(f.notes).toHaveLength(2);
    expect(f.notes[0]).toContain("trademaster:slackWebhookUrl is not set in stacks/Pulumi.prod.yaml");
    expect(f.notes[1]).toContain("trademaster:heartbeatUrl is not set in stacks/Pulumi.prod.yaml");
  });

  it("requires the alert receivers' secrets on AWS environments, not on local", () => {
    const raw = { ...stackConfig("prod") };
    delete raw.pagerdutyRoutingKey;
    const e = errorOf(() => loadPlatformConfig("prod", raw));
    expect(e.issues.map((i) => i.path)).toEqual(["config.trademaster:pagerdutyRoutingKey"]);
    expect(e.issues[0].expected).toContain("pulumi config set --secret");
    expect(readStackFile("local").notes).toEqual([]);
    expect(() => loadPlatformConfig("local", stackConfig("local"))).not.toThrow();
  });

  it("names a missing stack file and the known stacks", () => {
    const e = errorOf(() => readStackFile("qa"));
    expect(e.file).toBe("stacks/Pulumi.qa.yaml");
    expect(e.issues[0].expected).toContain("local");
  });
});

describe("project file", () => {
  it("names the project after the config namespace and types only what Pulumi can type", () => {
    const project = yaml.load(fs.readFileSync(path.join(__dirname, "../../Pulumi.yaml"), "utf8")) as { name: string; stackConfigDir: string; config: Record<string, { type: string }> };
    expect(project.name).toBe(CONFIG_NAMESPACE);
    expect(project.stackConfigDir).toBe("stacks");
    // Pulumi project config schemas accept string, boolean, integer and array only.
    for (const [key, decl] of Object.entries(project.config)) expect(["string", "boolean", "integer", "array"], key).toContain(decl.type);
    for (const stack of STACKS) {
      const keys = Object.keys(readStackFile(stack).config).filter((k) => k.startsWith(`${CONFIG_NAMESPACE}:`)).map((k) => k.split(":")[1]);
      for (const declared of Object.keys(project.config)) {
        const hasDefault = "default" in (project.config[declared] as object);
        if (!hasDefault) expect(keys, `${stack} sets required ${declared}`).toContain(declared);
      }
    }
  });
});
