/** Explanation notes read from status: a route accepted elsewhere but refused by this listener. */
import { describe, expect, it } from "vitest";
import { KINDS_BY_PROTOCOL, PASSTHROUGH_KINDS, routeKindsFor } from "../resolve/listeners.js";
import { worldFrom } from "../testing/world-from.js";
import { decide } from "../world.js";
import { decide as decideOnTable } from "./index.js";
import { kindsOfListener, PROTOCOL_KINDS, PROTOCOL_PASSTHROUGH_KINDS } from "./status-notes.js";

const WORLD = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: any
  listeners:
  - {name: open, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
  - {name: rpc, port: 8080, protocol: HTTP, allowedRoutes: {namespaces: {from: All}, kinds: [{kind: GRPCRoute}]}}
  - {name: internal, port: 9090, protocol: HTTP}
  - {name: db, port: 5432, protocol: TCP, allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: v1
kind: Service
metadata: {name: a, namespace: shop}
spec: {ports: [{port: 80}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /web}}]
    backendRefs: [{name: a, port: 80}]
`;

const notes = (w: ReturnType<typeof worldFrom>, r: Record<string, unknown>) =>
  decide(w, { gateway: "infra/gw", host: "h.example.com", ...r }, { explain: true }).explain!.filter((l) => l.includes("but not to listener"));

describe("refused by one listener while accepted through another", () => {
  it("the kinds each protocol carries are resolve's", () => {
    expect(PROTOCOL_KINDS).toEqual(KINDS_BY_PROTOCOL);
    expect(PROTOCOL_PASSTHROUGH_KINDS).toEqual(PASSTHROUGH_KINDS);
    for (const protocol of [...Object.keys(KINDS_BY_PROTOCOL), "SCTP"]) {
      for (const mode of ["Terminate", "Passthrough", null]) expect(kindsOfListener(protocol, mode), `${protocol} ${mode}`).toEqual(routeKindsFor(protocol, mode));
    }
    expect(kindsOfListener("TLS", "Terminate")).toEqual(["TLSRoute", "TCPRoute"]);
    expect(kindsOfListener("TLS", "Passthrough")).toEqual(["TLSRoute"]);
  });

  it("allowedRoutes.kinds and allowedRoutes.namespaces are named on a 404 there", () => {
    const w = worldFrom(WORLD);
    expect(w.problems).toEqual([]);
    expect(notes(w, { port: 8080, path: "/web" })).toEqual([
      "HTTPRoute shop/web (parentRef Gateway infra/gw) is attached to listener open but not to listener infra/gw/rpc: its allowedRoutes.kinds admits only GRPCRoute, not HTTPRoute",
    ]);
    expect(notes(w, { port: 9090, path: "/web" })).toEqual([
      "HTTPRoute shop/web (parentRef Gateway infra/gw) is attached to listener open but not to listener infra/gw/internal: its allowedRoutes.namespaces does not admit namespace shop (from: Same, the default, admits only infra; a selector must match shop's labels)",
    ]);
  });

  it("nothing on the listener the route is attached to, on a listener whose protocol never takes its kind, or without status", () => {
    const w = worldFrom(WORLD);
    expect(notes(w, { port: 80, path: "/nothing" })).toEqual([]);
    expect(notes(w, { scheme: "tcp", port: 5432 })).toEqual([]);
    expect(decideOnTable({ table: w.table }, { gateway: "infra/gw", host: "h", port: 9090, path: "/web" }, { explain: true }).explain!.join("\n")).not.toContain("shop/web");
  });

  it("a GRPCRoute holding a hostname on the listener is named as a possible cause", () => {
    const w = worldFrom(
      WORLD.replace("{name: internal, port: 9090, protocol: HTTP}", "{name: internal, port: 9090, protocol: HTTP, hostname: '*.example.com'}") +
        `
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: rpc, namespace: infra}
spec:
  parentRefs: [{name: gw, sectionName: internal}]
  hostnames: [g.example.com]
  rules:
  - backendRefs: [{name: v, port: 80}]
`,
    );
    const [line] = notes(w, { port: 9090, host: "h.example.com", path: "/web" });
    expect(line).toContain("not to listener infra/gw/internal: one of: its allowedRoutes.namespaces does not admit namespace shop");
    expect(line).toContain("; or no hostname of the route is under the listener's *.example.com");
    expect(line).toContain("; or a GRPCRoute attached there holds one of its hostnames (an HTTPRoute and a GRPCRoute may not share a hostname on a listener, GEP-1016)");
  });

  it("a route in the listener's own namespace refused by a selector", () => {
    const w = worldFrom(
      WORLD.replace("{name: internal, port: 9090, protocol: HTTP}", "{name: internal, port: 9090, protocol: HTTP, allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {x: y}}}}}").replaceAll("namespace: shop", "namespace: infra"),
    );
    expect(notes(w, { port: 9090, path: "/web" })).toEqual([
      "HTTPRoute infra/web (parentRef Gateway infra/gw) is attached to listener open but not to listener infra/gw/internal: its allowedRoutes.namespaces does not admit namespace infra (a selector its labels do not match)",
    ]);
  });
});

describe("a parentRef naming no listener of its Gateway", () => {
  const world = (parentRef: string) =>
    worldFrom(`${WORLD}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: api, namespace: shop}
spec:
  parentRefs: [${parentRef}]
  hostnames: [api.example.com]
  rules:
  - backendRefs: [{name: a, port: 80}]
`);
  const nowhere = (w: ReturnType<typeof worldFrom>, r: Record<string, unknown>) =>
    decide(w, { gateway: "infra/gw", host: "api.example.com", path: "/", ...r }, { explain: true }).explain!.filter((l) => l.includes("attached nowhere"));

  it("a sectionName no listener has is named on a 404 on any listener that takes HTTPRoutes", () => {
    const w = world("{name: gw, namespace: infra, sectionName: https}");
    const line =
      'HTTPRoute shop/api (parentRef Gateway infra/gw sectionName https) is attached nowhere: Accepted=False (NoMatchingParent): parentRef sectionName "https" matches no listener of Gateway infra/gw';
    for (const port of [80, 9090]) {
      const got = nowhere(w, { port });
      expect(got).toHaveLength(1);
      expect(got[0]!.startsWith(line)).toBe(true);
    }
    expect(nowhere(w, { scheme: "tcp", port: 5432 })).toEqual([]); // a TCP listener never takes it
  });

  it("this listener's name on another port is named here only; another existing listener's name is its business", () => {
    const onWrongPort = world("{name: gw, namespace: infra, sectionName: open, port: 81}");
    expect(nowhere(onWrongPort, { port: 80 })).toHaveLength(1);
    expect(nowhere(onWrongPort, { port: 9090 })).toEqual([]);
    const portOnly = world("{name: gw, namespace: infra, port: 81}");
    expect(nowhere(portOnly, { port: 80 })).toHaveLength(1);
  });

  it("a route attached through its sectionName gets no such line", () => {
    expect(nowhere(world("{name: gw, namespace: infra, sectionName: open}"), { port: 9090 })).toEqual([]);
  });
});

describe("refusals named on hosts served by GRPCRoutes", () => {
  const CLASH = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: any
  listeners:
  - {name: web, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
  - {name: alt, port: 8080, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
  - {name: internal, port: 9090, protocol: HTTP}
---
apiVersion: v1
kind: Service
metadata: {name: a, namespace: shop}
spec: {ports: [{port: 80}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: rpc, namespace: shop, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  parentRefs: [{name: gw, namespace: infra, sectionName: web}]
  hostnames: [api.example.com]
  rules:
  - matches: [{method: {service: shop.Cart}}]
    backendRefs: [{name: a, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: site, namespace: shop, creationTimestamp: "2026-02-01T00:00:00Z"}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  hostnames: [api.example.com]
  rules:
  - backendRefs: [{name: a, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: rpc-internal, namespace: shop}
spec:
  parentRefs: [{name: gw, namespace: infra, sectionName: internal}]
  hostnames: [api.example.com]
  rules:
  - backendRefs: [{name: a, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: ping, namespace: infra}
spec: {ports: [{port: 80}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: ping, namespace: infra}
spec:
  parentRefs: [{name: gw, sectionName: internal}]
  hostnames: [api.example.com]
  rules:
  - matches: [{method: {service: infra.Ping}}]
    backendRefs: [{name: ping, port: 80}]
`;
  const refusals = (r: Record<string, unknown>) =>
    decide(worldFrom(CLASH), { gateway: "infra/gw", host: "api.example.com", ...r }, { explain: true }).explain!.filter((l) => l.includes("not to listener") || l.includes("is not attached"));

  it("a plain request on a host the older GRPCRoute holds names the HTTPRoute that lost it there", () => {
    const got = refusals({ port: 80, path: "/" });
    expect(got).toHaveLength(1);
    expect(got[0]).toContain("HTTPRoute shop/site (parentRef Gateway infra/gw) is attached to listener alt but not to listener infra/gw/web");
    expect(got[0]).toContain("GEP-1016");
  });

  it("a gRPC call no GRPCRoute rule matches names the GRPCRoute the listener refused", () => {
    const hit = decide(worldFrom(CLASH), { gateway: "infra/gw", host: "api.example.com", port: 9090, path: "/infra.Ping/Get", method: "POST", grpc: { service: "infra.Ping", method: "Get" } });
    expect(hit.route?.name).toBe("ping"); // the listener does route gRPC for this host
    const got = refusals({ port: 9090, path: "/shop.Other/Get", method: "POST", grpc: { service: "shop.Other", method: "Get" } });
    expect(got.join("\n")).toContain("GRPCRoute shop/rpc-internal (parentRef Gateway infra/gw sectionName internal) is not attached: Accepted=False (NotAllowedByListeners)");
  });
});
