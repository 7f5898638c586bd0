/**
 * XBackendTrafficPolicy through `gwsim serve`, on 127.0.0.1 with echo backends: a retry budget
 * (GEP-3388 retryConstraint) stops retries once spent and the client gets 503 from the gateway;
 * a backend without a policy keeps retrying; session persistence from the policy (GEP-1619)
 * starts a rule-scoped cookie session that keeps later requests on one endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorld, decide, parseManifests } from "../packages/core/src/index.js";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { request, startEcho, type EchoServer } from "./helpers/echo.js";
import { edgeGateway } from "./helpers/gateway-yaml.js";

const rule = (path: string, service: string) => `  - matches: [{path: {type: PathPrefix, value: ${path}}}]
    backendRefs: [{name: ${service}, port: 8080}]
    retry: {attempts: 1, codes: [500], backoff: 1ms}
`;
const service = (name: string) => `---\napiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: app}\nspec: {ports: [{name: http, port: 8080}]}\n`;

const WORLD = `${edgeGateway(`[{name: http, protocol: HTTP, port: 80}]`)}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: app}
spec:
  parentRefs: [{name: edge}]
  rules:
${rule("/budgeted", "budgeted")}${rule("/unbudgeted", "unbudgeted")}  - matches: [{path: {type: PathPrefix, value: /sticky}}]
    backendRefs: [{name: sticky, port: 8080}]
${service("budgeted")}${service("unbudgeted")}${service("sticky")}---
apiVersion: gateway.networking.x-k8s.io/v1alpha1
kind: XBackendTrafficPolicy
metadata: {name: budget, namespace: app}
spec:
  targetRefs: [{group: "", kind: Service, name: budgeted}]
  retryConstraint:
    budget: {percent: 20, interval: 1h}
    minRetryRate: {count: 2, interval: 1h}
---
apiVersion: gateway.networking.x-k8s.io/v1alpha1
kind: XBackendTrafficPolicy
metadata: {name: sessions, namespace: app}
spec:
  targetRefs: [{group: "", kind: Service, name: sticky}]
  sessionPersistence: {sessionName: sticky}
`;

describe("serve: XBackendTrafficPolicy", () => {
  let gw: LiveGateway;
  let port: number;
  const echoes: Record<string, EchoServer[]> = {};

  beforeAll(async () => {
    const { objects, diagnostics } = parseManifests(WORLD, { file: "traffic.yaml" });
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const world = buildWorld(objects);
    const endpoints = new Map<string, string[]>();
    for (const [name, count, status] of [["budgeted", 1, 500], ["unbudgeted", 1, 500], ["sticky", 3, 200]] as const) {
      echoes[name] = [];
      for (let i = 0; i < count; i++) echoes[name].push(await startEcho({ service: name, endpoint: `${name}-${i}`, status }));
      endpoints.set(`app/${name}:8080`, echoes[name].map((e) => e.address));
    }
    gw = await startServe({ world, objects, endpoints, decide, listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]), log: () => undefined });
    port = gw.addresses()[0]!.address.port;
  });

  afterAll(async () => {
    await gw?.close({ drainMs: 0 });
    await Promise.all(Object.values(echoes).flat().map((e) => e.close()));
  });

  it("retries within the budget, then answers 503 without retrying", async () => {
    const statuses: number[] = [];
    const bodies: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await request(port, { path: "/budgeted", timeoutMs: 5000 });
      statuses.push(res.status);
      bodies.push(res.body);
    }
    // 1st and 2nd: the minRetryRate floor (2 per hour) lets their retry go: the backend's 500.
    // 3rd: 2 retries of 5 attempts is past 20% and past the floor: 503 from the gateway.
    // 4th: 2 of 6, still past: 503.
    expect(statuses).toEqual([500, 500, 503, 503]);
    expect(bodies[2]).toMatch(/^gwsim: .*retry budget exceeded/);
    // Attempts that reached the backend: 2 + 2 + 1 + 1.
    expect(echoes.budgeted![0]!.seen.length).toBe(6);
  });

  it("a backend without a policy is retried every time", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await request(port, { path: "/unbudgeted", timeoutMs: 5000 })).status);
    expect(statuses).toEqual([500, 500, 500, 500]);
    expect(echoes.unbudgeted![0]!.seen.length).toBe(8);
  });

  it("session persistence from the policy keeps a client on one endpoint", async () => {
    const first = await request(port, { path: "/sticky" });
    expect(first.status).toBe(200);
    const setCookie = [first.headers["set-cookie"] ?? []].flat();
    expect(setCookie).toHaveLength(1);
    // The policy's name, scoped to the rule (GEP-1619: rules do not share sessions).
    expect(setCookie[0]).toMatch(/^sticky-[0-9a-f]{12}=g2\./);
    // GEP-1619 "Path": with the policy on a service "the Path attribute MUST be left unset".
    expect(setCookie[0]).not.toMatch(/Path=/i);
    const cookie = setCookie[0]!.split(";")[0]!;
    const endpoint = first.json().endpoint;
    for (let i = 0; i < 5; i++) {
      const again = await request(port, { path: "/sticky", headers: { cookie } });
      expect(again.json().endpoint).toBe(endpoint);
    }
    // Without the cookie, round robin moves on: the session is what kept it.
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) seen.add((await request(port, { path: "/sticky" })).json().endpoint);
    expect(seen.size).toBeGreaterThan(1);
  });
});
