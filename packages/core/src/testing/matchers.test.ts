import { beforeAll, describe, expect, it } from "vitest";
import { installMatchers } from "./matchers.js";
import { neverRoutes } from "./properties.js";
import { worldFrom } from "./world-from.js";

const WORLD_TEXT = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: any
  listeners:
  - {name: http, protocol: HTTP, port: 80, hostname: "*.example.com", allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: shop}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  hostnames: [shop.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /cart}}]
    backendRefs: [{name: cart, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /old}}]
    filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}, statusCode: 301}}]
  - matches: [{path: {type: PathPrefix, value: /checkout}}]
    backendRefs: [{name: cart, port: 80, weight: 90}, {name: cart-v2, port: 80, weight: 10}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: lost, namespace: shop}
spec:
  parentRefs: [{name: gw, namespace: infra, sectionName: https}]
  rules: [{backendRefs: [{name: cart, port: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: cart-v2, namespace: shop}
spec: {ports: [{port: 80}]}
`;
const world = worldFrom(WORLD_TEXT);

const cart = { host: "shop.example.com", path: "/cart/items" };

beforeAll(async () => {
  await installMatchers();
  await installMatchers(); // idempotent
});

describe("chained toRoute", () => {
  it("to / toRespond / toRedirect / toSplit pass and fail as they should", () => {
    expect(world).toRoute(cart).to("shop/cart");
    expect(world).toRoute(cart).to("shop/cart:80");
    expect(world).toRoute(cart).to("shop/*");
    expect(world).not.toRoute(cart).to("shop/cart-v2");
    expect(world).toRoute({ host: "shop.example.com", path: "/nothing" }).toRespond(404);
    expect(world).toRoute({ host: "shop.example.com", path: "/old/x" }).toRedirect("http://shop.example.com/new/x", 301);
    expect(world).toRoute({ host: "shop.example.com", path: "/checkout" }).toSplit({ "shop/cart": 0.9, "shop/cart-v2": 0.1 });
    expect(() => expect(world).toRoute(cart).to("shop/cart-v2")).toThrow(/expected GET http:\/\/shop\.example\.com\/cart\/items to route to shop\/cart-v2/);
    expect(() => expect(world).not.toRoute(cart).to("shop/cart")).toThrow(/not to route to shop\/cart/);
  });

  it("a failure message carries gwsim's explanation", () => {
    let message = "";
    try {
      expect(world).toRoute({ host: "shop.example.com", path: "/carts" }).to("shop/cart");
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain("gwsim explains:");
    expect(message).toContain("nearest miss");
    expect(message).toContain("notFound 404");
  });
});

describe("requests gwsim cannot route at all fail every matcher, negated or not", () => {
  const second = `
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw2, namespace: infra}
spec:
  gatewayClassName: any
  listeners: [{name: http, protocol: HTTP, port: 80}]
`;
  const two = worldFrom(WORLD_TEXT + second);

  it("no entry point (two Gateways, none named): both forms fail, saying which Gateways there are", () => {
    expect(() => expect(two).toRoute(cart).to("shop/cart")).toThrow(/did not route it at all \(NoEntryPoint.*2 Gateways \(infra\/gw, infra\/gw2\)/);
    expect(() => expect(two).not.toRoute(cart).to("shop/cart")).toThrow(/cannot check .*NoEntryPoint/);
    expect(() => expect(two).not.toRoute(cart).toRespond(404)).toThrow(/NoEntryPoint/);
    expect(() => expect(two).not.toRoute(cart).toRedirect("/x")).toThrow(/NoEntryPoint/);
    expect(() => expect(two).not.toRoute(cart).toSplit({ "shop/cart": 1 })).toThrow(/NoEntryPoint/);
    expect(() => expect(two).not.toRouteTo(cart, "shop/cart")).toThrow(/NoEntryPoint/);
    expect(() => expect(two).toRespond(cart, 404)).toThrow(/NoEntryPoint/);
    // Named, the same request is checked as usual.
    expect(two).toRoute({ ...cart, gateway: "infra/gw" }).to("shop/cart");
    expect(two).not.toRoute({ ...cart, gateway: "infra/gw" }).to("shop/cart-v2");
  });

  it("an unknown gateway or a malformed request fails both forms too", () => {
    expect(() => expect(world).not.toRoute({ ...cart, gateway: "infra/nope" }).to("shop/cart")).toThrow(/GatewayNotFound.*Gateways: infra\/gw/);
    expect(() => expect(world).not.toRoute({ ...cart, path: "cart" }).to("shop/cart")).toThrow(/BadRequest/);
    expect(() => expect(world).toRoute({ ...cart, path: "cart" }).to("shop/cart")).toThrow(/BadRequest/);
    expect(() => expect(world).not.toRoute({ ...cart, port: "80" } as never).toRespond(404)).toThrow(/BadRequest/);
  });

  it("toRespond(400) asks about the 400 itself and is checked as usual", () => {
    expect(world).toRoute({ ...cart, path: "cart" }).toRespond(400);
    expect(world).toRespond({ ...cart, path: "/a%zz" }, 400);
    expect(() => expect(world).not.toRoute({ ...cart, path: "cart" }).toRespond(400)).toThrow(/not to be answered 400/);
  });
});

// `expect(world).toRoute(r)` alone checks nothing: the test must fail, not pass silently.
it.fails("a toRoute chain left without .to/.toRespond/.toRedirect/.toSplit fails its test", () => {
  expect(world).toRoute(cart);
});

describe("flat matchers", () => {
  it("toRouteTo, toRespond, toRedirect, toSplit", () => {
    expect(world).toRouteTo(cart, "shop/cart");
    expect(world).toRouteTo(cart, { namespace: "shop", name: "cart" });
    expect(world).toRouteTo(cart, (b) => b.name.startsWith("cart"));
    expect(world).not.toRouteTo({ host: "shop.example.com", path: "/checkout" }, "shop/cart"); // 10% elsewhere
    expect(world).toRespond({ host: "other.example.com", path: "/" }, 404);
    expect(world).toRedirect({ host: "shop.example.com", path: "/old" }, /\/new$/);
    expect(world).not.toRedirect({ host: "shop.example.com", path: "/old" }, /\/new$/, 302);
    expect(world).toSplit({ host: "shop.example.com", path: "/checkout" }, { "shop/cart*": 1 });
    expect(() => expect(world).toSplit({ host: "shop.example.com", path: "/checkout" }, { "shop/cart": 0.9 })).toThrow(/to split shop\/cart 0\.9/);
    expect(() => expect(world).toRouteTo(cart, "shop/cart-v2")).toThrow(/gwsim explains:[\s\S]*matched HTTPRoute \S+ rule 0/);
  });

  it("toHaveCondition on routes (every parent or one), gateways and listeners", () => {
    expect(world).toHaveCondition("HTTPRoute shop/shop", "Accepted", true);
    expect(world).toHaveCondition("HTTPRoute shop/shop", "ResolvedRefs", "True");
    expect(world).toHaveCondition("HTTPRoute shop/lost", "Accepted", false);
    expect(world).toHaveCondition({ kind: "HTTPRoute", namespace: "shop", name: "lost", parent: "infra/gw" }, "Accepted", false, "NoMatchingParent");
    expect(world).not.toHaveCondition("HTTPRoute shop/lost", "Accepted", true);
    expect(world).toHaveCondition("Gateway infra/gw", "Accepted", true);
    expect(world).toHaveCondition({ kind: "Gateway", namespace: "infra", name: "gw", listener: "http" }, "Programmed", true);
    expect(() => expect(world).toHaveCondition("HTTPRoute shop/lost", "Accepted", true)).toThrow(/NoMatchingParent/);
    expect(() => expect(world).toHaveCondition("HTTPRoute shop/none", "Accepted", true)).toThrow(/no status/);
  });

  it("toHold on property results", () => {
    expect(neverRoutes(world, { path: "/cart" }, "shop/cart-v2", { seed: 1 })).toHold();
    const c = neverRoutes(world, { host: "shop.example.com", path: "/checkout" }, "shop/cart-v2", { seed: 1 });
    expect(() => expect(c).toHold()).toThrow(/neverRoutes fails for[\s\S]*reaches shop\/cart-v2:80/);
  });

  // A helper that forgot its return, or the property itself instead of its result, must not pass.
  it("toHold fails, both ways, on anything but a property result", () => {
    for (const notAResult of [undefined, neverRoutes, Promise.resolve(null), {}, true]) {
      expect(() => expect(notAResult).toHold()).toThrow(/toHold: expected a property result \(null or a Counterexample/);
      expect(() => expect(notAResult).not.toHold()).toThrow(/toHold: expected a property result/);
    }
  });

  it("expect(world) needs a World", () => {
    expect(() => expect({}).toRouteTo(cart, "x/y")).toThrow(/not a gwsim World/);
  });
});
