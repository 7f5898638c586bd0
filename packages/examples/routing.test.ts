// Property-based routing tests of the bundled example world, with @gwsim/core/testing.
// In your own vitest project, this is all it takes (npm i -D @gwsim/core fast-check vitest):
//
//   import { readFileSync } from "node:fs";
//   import { expect, it } from "vitest";
//   import { alwaysRoutes, installMatchers, worldFrom } from "@gwsim/core/testing";
//   await installMatchers();
//   const world = worldFrom(readFileSync("gateway.yaml", "utf8"));
//   it("every /admin request goes to admin-svc", () => {
//     expect(alwaysRoutes(world, { host: "shop.example.com", path: "/admin" }, "shop/admin-svc")).toHold();
//   });
//
// Each property tries ~1000 requests built from the world's own hosts, paths, headers and query
// params, bent at the boundaries (trailing slashes, /cart vs /cartx, case, %-encoding, dot
// segments); a failure prints the shrunk request and gwsim's explanation of its decision.
import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decide, lint } from "@gwsim/core";
import { alwaysRoutes, installMatchers, isolated, neverRoutes, requests, sameRouting, shareOf, worldFrom } from "@gwsim/core/testing";
import { parseSynthProfile, replay, setWeights, synthesize, whatif } from "@gwsim/sim";

await installMatchers();

const dir = new URL("./world/", import.meta.url);
const files = readdirSync(dir).map((file) => ({ file, text: readFileSync(new URL(file, dir), "utf8") }));
const world = worldFrom(files);
const store = { host: "store.example.com" };

describe("the example world", () => {
  it("loads without problems", () => expect(world.problems).toEqual([]));

  it("every /cart request reaches the cart, and only the cart", () => {
    expect(alwaysRoutes(world, { ...store, path: "/cart" }, "store/cart-svc")).toHold();
  });

  it("no store request ever leaves the store and payments namespaces", () => {
    expect(neverRoutes(world, store, (b) => b.namespace !== "store" && b.namespace !== "payments")).toHold();
  });

  it("payments are reachable over HTTPS only", () => {
    expect(neverRoutes(world, { ...store, scheme: "http" }, "payments/*")).toHold();
    expect(world).toRoute({ ...store, scheme: "https", path: "/pay/intent", method: "POST" }).to("payments/payments-api");
  });

  it("no request crosses a namespace without a ReferenceGrant", () => {
    expect(isolated(world)).toHold();
  });

  it("the canary: 90/10 by weight, x-canary: always forces v2", () => {
    expect(world).toRoute({ ...store, path: "/checkout" }).toSplit({ "store/checkout-v1": 0.9, "store/checkout-v2": 0.1 });
    expect(world).toRoute({ ...store, path: "/checkout", headers: { "x-canary": "always" } }).to("store/checkout-v2");
  });

  it("whatever x-canary says other than always, v2 gets at most 10% of checkout", () => {
    fc.assert(fc.property(requests(world, { ...store, path: "/checkout", headers: { "x-canary": true } }), (r) => {
      if (r.headers?.["x-canary"] !== "always") expect(shareOf(decide(world, r), "store/checkout-v2")).toBeLessThanOrEqual(0.1);
    }));
  });

  it("lint: no rule is unreachable, nothing is left unattached", () => {
    const findings = lint(world).filter((f) => f.severity === "error" || f.rule.startsWith("unreachable"));
    expect(findings.map((f) => `${f.file}:${f.line}: ${f.rule}: ${f.message}`)).toEqual([]);
  });

  it("replay of a synthetic trace: the expected shares follow the weights", async () => {
    const profile = parseSynthProfile(readFileSync(new URL("./profiles/store.yaml", import.meta.url), "utf8"));
    if (!profile.ok) throw new Error(JSON.stringify(profile.diagnostics));
    const report = await replay(world, synthesize(profile.profile, { count: 5000, seed: 1 }), { seed: 1 });
    const expected = (name: string) => report.backends.find((b) => b.name === name)?.expectedShare ?? 0;
    expect(report.requests).toBe(5000);
    expect(expected("checkout-v2") / (expected("checkout-v1") + expected("checkout-v2"))).toBeLessThan(0.15); // 10% of the split, plus the x-canary: always traffic
    expect(report.statuses["500"] ?? 0).toBe(0);
  });

  it("what-if: v2 at 50 moves checkout traffic only, and no request starts failing", async () => {
    const proposed = setWeights(world.objects, ["store/checkout/split/checkout-v2=50"]);
    expect(proposed.problems).toEqual([]);
    const profile = parseSynthProfile(readFileSync(new URL("./profiles/store.yaml", import.meta.url), "utf8"));
    if (!profile.ok) throw new Error(JSON.stringify(profile.diagnostics));
    const report = await whatif(world, worldFrom(proposed.objects), synthesize(profile.profile, { count: 5000, seed: 1 }), { seed: 1 });
    expect(report.new404 + report.new500).toBe(0);
    expect(report.moves.every((m) => m.path.startsWith("/checkout"))).toBe(true);
    const v2 = report.backends.find((b) => b.name === "checkout-v2")!;
    expect(v2.after.expectedShare).toBeGreaterThan(v2.before.expectedShare);
  });

  it("near misses get a 404", () => {
    expect(world).toRoute({ ...store, path: "/catalogue" }).toRespond(404);
    expect(world).toRespond({ host: "blog.example.com", path: "/" }, 404);
  });

  it("every route is accepted by the Gateway", () => {
    for (const name of ["store", "checkout", "pay"]) expect(world).toHaveCondition(`HTTPRoute store/${name}`, "Accepted", true);
  });

  it("moving the canary to 50/50 changes /checkout and nothing else", () => {
    const text = files.map((f) => f.text).join("\n---\n").replace("weight: 90", "weight: 50").replace("weight: 10", "weight: 50");
    const proposed = worldFrom(text);
    expect(sameRouting(world, proposed, { ...store, path: "/checkout" })).toHold();
    expect(sameRouting(world, proposed)).not.toHold();
  });
});
