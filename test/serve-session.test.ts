/**
 * Session persistence through `gwsim serve` (GEP-1619, rule `sessionPersistence`): the gateway
 * starts a session with a cookie (or header) naming the endpoint that served the request, and
 * later requests presenting it reach that endpoint again, within the backend the core picked.
 * Real core, real sockets on 127.0.0.1, echo backends that say which endpoint answered.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorld, decide, parseManifests, type Decision, type World } from "../packages/core/src/index.js";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { encodeToken, generatedName } from "../packages/sim/src/serve/session.js";
import { request, startEcho, type EchoServer } from "./helpers/echo.js";
import { edgeGateway } from "./helpers/gateway-yaml.js";

const ENDPOINTS: Record<string, number> = { cart: 3, api: 3, gen: 3, a: 2, b: 2, plain: 2, flaky: 2 };

const rule = (path: string, backends: string, extra = "") => `  - matches: [{path: {type: PathPrefix, value: ${path}}}]
${extra}    backendRefs: [${backends}]
`;

const WORLD = `${edgeGateway(`[{name: http, protocol: HTTP, port: 80}]`)}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: app}
spec:
  parentRefs: [{name: edge}]
  rules:
${rule("/cart", "{name: cart, port: 8080}", "    sessionPersistence: {sessionName: cart-session, absoluteTimeout: 1h, cookieConfig: {lifetimeType: Permanent}}\n")}${rule("/api", "{name: api, port: 8080}", "    sessionPersistence: {sessionName: x-session, type: Header}\n")}${rule("/gen", "{name: gen, port: 8080}", "    sessionPersistence: {absoluteTimeout: 10m}\n")}${rule("/split", "{name: a, port: 8080, weight: 50}, {name: b, port: 8080, weight: 50}", "    sessionPersistence: {sessionName: split-session}\n")}${rule("/plain", "{name: plain, port: 8080}")}${rule("/flaky", "{name: flaky, port: 8080}", "    sessionPersistence: {sessionName: flaky-session}\n    retry: {attempts: 1}\n")}${Object.keys(ENDPOINTS)
  .map((name) => `---\napiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: app}\nspec: {ports: [{name: http, port: 8080}]}\n`)
  .join("")}`;

/** `name=value` of a set-cookie line. */
const cookiePair = (setCookie: string) => setCookie.split(";")[0]!;

describe("serve: session persistence", () => {
  let world: World;
  let gw: LiveGateway;
  let port: number;
  const echoes: EchoServer[] = [];
  const endpoints = new Map<string, string[]>();
  const records: { decision: Decision; path: string; observed: { upstreamHost?: string } }[] = [];

  beforeAll(async () => {
    const { objects, diagnostics } = parseManifests(WORLD, { file: "session.yaml" });
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    world = buildWorld(objects);
    for (const [name, count] of Object.entries(ENDPOINTS)) {
      const list: string[] = [];
      for (let i = 0; i < count; i++) {
        const e = await startEcho({ service: name, endpoint: `${name}-${i}` });
        echoes.push(e);
        list.push(e.address);
      }
      endpoints.set(`app/${name}:8080`, list);
    }
    // flaky's first endpoint is a port nothing listens on.
    endpoints.set("app/flaky:8080", ["127.0.0.1:1", ...endpoints.get("app/flaky:8080")!]);
    gw = await startServe({ world, objects, endpoints, decide, listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]), record: (line) => void records.push(JSON.parse(line)) });
    port = gw.addresses()[0]!.address.port;
  });

  afterAll(async () => {
    await gw?.close({ drainMs: 0 });
    await Promise.all(echoes.map((e) => e.close()));
  });

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await request(port, { path, host: "shop.example.com", headers });
    expect(res.status).toBe(200);
    return { endpoint: res.json().endpoint, setCookie: res.headers["set-cookie"]?.[0], res };
  };

  it("a cookie session: the first answer sets it, later requests with it reach the same endpoint", async () => {
    const first = await get("/cart/1");
    expect(first.setCookie).toMatch(/^cart-session=g1\.[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=3600$/);
    const cookie = cookiePair(first.setCookie!);
    const sticky: string[] = [];
    for (let i = 0; i < 9; i++) {
      const r = await get(`/cart/${i}`, { cookie: `theme=dark; ${cookie}` });
      sticky.push(r.endpoint);
      expect(r.setCookie).toBeUndefined();
      // The backend is shown the session too (a gateway-initiated session, GEP-1619).
      expect(r.res.json().headers.cookie).toContain(cookie);
    }
    expect(new Set(sticky)).toEqual(new Set([first.endpoint]));
    // Without the cookie, round robin goes on over every endpoint.
    const spread = new Set<string>();
    for (let i = 0; i < 6; i++) spread.add((await get("/cart/x")).endpoint);
    expect(spread.size).toBe(3);
  });

  it("a token naming no endpoint of the backend, garbage, or past absoluteTimeout starts a new session", async () => {
    const cart = endpoints.get("app/cart:8080")!;
    for (const token of [encodeToken("127.0.0.1:1", Date.now()), "garbage", "g1.%%%", encodeToken(cart[0]!, Date.now() - 2 * 3600_000)]) {
      const r = await get("/cart/again", { cookie: `cart-session=${token}` });
      expect(r.setCookie).toMatch(/^cart-session=g1\./);
      const fresh = cookiePair(r.setCookie!);
      expect(fresh).not.toBe(`cart-session=${token}`);
      expect((await get("/cart/again", { cookie: fresh })).endpoint).toBe(r.endpoint);
    }
  });

  it("a header session: the answer carries the header, a request sending it back sticks", async () => {
    const first = await request(port, { path: "/api/1", host: "shop.example.com" });
    const token = first.headers["x-session"] as string;
    expect(token).toMatch(/^g1\./);
    const again = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const r = await request(port, { path: "/api/2", host: "shop.example.com", headers: { "x-session": token } });
      again.add(r.json().endpoint);
      expect(r.headers["x-session"]).toBeUndefined();
    }
    expect(again).toEqual(new Set([first.json().endpoint]));
  });

  it("without sessionName the cookie gets a generated name, stable per route rule; a Session cookie has no Max-Age", async () => {
    const r = await get("/gen/1");
    const d = decide(world, { gateway: "app/edge", port: 80, host: "shop.example.com", path: "/gen/1" }, { seed: 1, index: 0 });
    expect(r.setCookie!.startsWith(`${generatedName(d)}=g1.`)).toBe(true);
    expect(generatedName(d)).toMatch(/^gwsim-session-[0-9a-f]{12}$/);
    expect(r.setCookie).not.toMatch(/Max-Age|Expires/);
    expect((await get("/gen/2", { cookie: cookiePair(r.setCookie!) })).endpoint).toBe(r.endpoint);
  });

  it("a split: the core still draws the backend; a token is followed only into the backend drawn", async () => {
    const aFirst = endpoints.get("app/a:8080")![1]!;
    const token = `split-session=${encodeToken(aFirst, Date.now())}`;
    const before = records.length;
    for (let i = 0; i < 30; i++) await get(`/split/${i}`, { cookie: token });
    const mine = records.slice(before);
    const drawn = new Set(mine.map((x) => x.decision.backend?.name));
    expect(drawn).toEqual(new Set(["a", "b"]));
    for (const x of mine) {
      if (x.decision.backend?.name === "a") expect(x.observed.upstreamHost).toBe(aFirst);
      else expect(endpoints.get("app/b:8080")).toContain(x.observed.upstreamHost);
    }
  });

  it("a rule without sessionPersistence sets nothing", async () => {
    expect((await get("/plain/1")).setCookie).toBeUndefined();
  });

  it("a session whose endpoint stopped serving falls back to another (retry) and moves there", async () => {
    const dead = `flaky-session=${encodeToken("127.0.0.1:1", Date.now())}`;
    const r = await get("/flaky/1", { cookie: dead });
    expect(r.endpoint).toMatch(/^flaky-/);
    expect(r.setCookie).toMatch(/^flaky-session=g1\./);
    expect((await get("/flaky/2", { cookie: cookiePair(r.setCookie!) })).endpoint).toBe(r.endpoint);
  });
});
