import { describe, expect, it } from "vitest";
import { isTransitionRule, loadCelRuntime, UnknownValue } from "../../infra/plan/crd-validation/cel";
import { re2ToRegExp } from "../../infra/plan/crd-validation/regex";
import { celPropertyName, toCel } from "../../infra/plan/crd-validation/structural";

describe("RE2 patterns as RegExps", () => {
  it("inline flags, \\z and POSIX classes", () => {
    expect(re2ToRegExp("^(?i)abort|warn$").test("ABORT")).toBe(true);
    expect(re2ToRegExp("^a\\z").test("a")).toBe(true);
    expect(re2ToRegExp("^a\\z").test("a\n")).toBe(false);
    expect(re2ToRegExp("^[[:alpha:]]+$").test("abc")).toBe(true);
    expect(re2ToRegExp("^[[:alpha:]]+$").test("ab1")).toBe(false);
  });
});

describe("Kubernetes CEL on cel-js", () => {
  it("oldSelf outside string literals makes a transition rule", () => {
    expect(isTransitionRule("self == oldSelf")).toBe(true);
    expect(isTransitionRule("self.name == 'oldSelf'")).toBe(false);
    expect(isTransitionRule('self.x.matches(r"oldSelf")')).toBe(false);
  });

  it("has() on any expression, and escaped property names", async () => {
    const cel = await loadCelRuntime();
    const run = (rule: string, self: unknown) => cel.evaluate(cel.compile(rule), self).status;
    expect(run("has(self.matches[0].path)", toCel({ matches: [{ path: {} }] }, undefined))).toBe("pass");
    expect(run("has(self.matches[0].path)", toCel({ matches: [{}] }, undefined))).toBe("fail");
    expect(celPropertyName("namespace")).toBe("__namespace__");
    expect(celPropertyName("x-y.z/w__v")).toBe("x__dash__y__dot__z__slash__w__underscores__v");
    expect(celPropertyName("1abc")).toBeUndefined();
  });

  it("values unknown until deploy make a rule undecided; evaluation errors fail as on the API server", async () => {
    const cel = await loadCelRuntime();
    expect(cel.evaluate(cel.compile("self.mode == 'STRICT'"), { mode: new UnknownValue() }).status).toBe("undecided");
    expect(cel.evaluate(cel.compile("size(self.x) > 0"), { x: new UnknownValue() }).status).toBe("undecided");
    expect(cel.evaluate(cel.compile("duration(self) >= duration('1ms')"), "1d")).toMatchObject({ status: "fail", error: expect.stringContaining("1d") });
    // duration() parses as Go does: a bare 0 is a duration (and below 1ms), a unit alone is not.
    expect(cel.evaluate(cel.compile("duration(self) >= duration('1ms')"), "0")).toEqual({ status: "fail" });
    expect(cel.evaluate(cel.compile("duration(self) >= duration('1ms')"), "s")).toMatchObject({ status: "fail", error: expect.stringContaining("invalid duration") });
    expect(cel.evaluate(cel.compile("duration(self) >= duration('1ms')"), "1h30m")).toEqual({ status: "pass" });
    expect(cel.evaluate(cel.compile("quantity(self).isGreaterThan(quantity('1'))"), "2")).toMatchObject({ status: "unsupported" });
  });
});
