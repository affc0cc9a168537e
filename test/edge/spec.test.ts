import { describe, expect, it } from "vitest";
import { staticAssetsKeyPolicy } from "../../infra/edge/spec";

describe("static assets key policy", () => {
  it("keeps the account as administrator and lets only this distribution decrypt", () => {
    const policy = staticAssetsKeyPolicy("arn:aws:kms:us-east-1:444455556666:key/abcd", "arn:aws:cloudfront::444455556666:distribution/E123") as {
      Statement: Array<{ Principal: Record<string, string>; Action: string | string[]; Condition?: { StringEquals: Record<string, string> } }>;
    };
    const admin = policy.Statement.find((s) => s.Principal.AWS);
    expect(admin?.Principal.AWS).toBe("arn:aws:iam::444455556666:root");
    const cf = policy.Statement.find((s) => s.Principal.Service === "cloudfront.amazonaws.com");
    expect(cf?.Action).toEqual(["kms:Decrypt"]);
    expect(cf?.Condition?.StringEquals["AWS:SourceArn"]).toBe("arn:aws:cloudfront::444455556666:distribution/E123");
  });
});
