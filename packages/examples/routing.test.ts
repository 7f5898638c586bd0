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
import { describe, expect, it } from "vitest";
import { alwaysRoutes, installMatchers, isolated, neverRoutes, sameRouting, worldFrom } from "@gwsim/core/testing";

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
