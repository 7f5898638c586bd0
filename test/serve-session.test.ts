/**
 * Session persistence through `gwsim serve` (GEP-1619, rule `sessionPersistence`): the gateway
 * starts a session with a cookie (or header) naming the backend and the endpoint that served the
 * request; later requests presenting it reach that backend (the core pins it, whatever the
 * weights) and that endpoint again. Real core, real sockets on 127.0.0.1, echo backends that say
 * which endpoint answered.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorld, decide, decodeSessionToken, encodeSessionToken, parseManifests, sessionCookieName, type Decision, type World } from "../packages/core/src/index.js";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { request, startEcho, type EchoServer } from "./helpers/echo.js";
import { edgeGateway } from "./helpers/gateway-yaml.js";

const ENDPOINTS: Record<string, number> = { cart: 3, api: 3, gen: 3, a: 2, b: 2, plain: 2, flaky: 2, stable: 2, canary: 2 };

const rule = (path: string, backends: string, extra = "") => `  - matches: [{path: {type: PathPrefix, value: ${path}}}]
${extra}    backendRefs: [${backends}]
`;

/** The world, with the weights of the /rollout split (stable, canary). */
const worldText = (stable: number, canary: number) => `${edgeGateway(`[{name: http, protocol: HTTP, port: 80}]`)}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: app}
spec:
  parentRefs: [{name: edge}]
  rules:
${rule("/cart", "{name: cart, port: 8080}", "    sessionPersistence: {sessionName: cart-session, absoluteTimeout: 1h, cookieConfig: {lifetimeType: Permanent}}\n")}${rule("/api", "{name: api, port: 8080}", "    sessionPersistence: {sessionName: x-session, type: Header}\n")}${rule("/gen", "{name: gen, port: 8080}", "    sessionPersistence: {absoluteTimeout: 10m}\n")}${rule("/split", "{name: a, port: 8080, weight: 50}, {name: b, port: 8080, weight: 50}", "    sessionPersistence: {sessionName: split-session}\n")}${rule("/plain", "{name: plain, port: 8080}")}${rule("/rollout", `{name: stable, port: 8080, weight: ${stable}}, {name: canary, port: 8080, weight: ${canary}}`, "    sessionPersistence: {sessionName: rollout-session, absoluteTimeout: 1h}\n")}${rule("/flaky", "{name: flaky, port: 8080}", "    sessionPersistence: {sessionName: flaky-session}\n    retry: {attempts: 1}\n")}${Object.keys(ENDPOINTS)
  .map((name) => `---\napiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: app}\nspec: {ports: [{name: http, port: 8080}]}\n`)
  .join("")}`;

const svc = (name: string) => ({ group: "", kind: "Service", namespace: "app", name, port: 8080 });
const load = (stable: number, canary: number) => {
  const { objects, diagnostics } = parseManifests(worldText(stable, canary), { file: "session.yaml" });
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return { objects, world: buildWorld(objects) };
};

/** The address of the echo endpoint named `<service>-<i>`. */
let addressOf: (endpoint: string) => string;

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
    const loaded = load(100, 0);
    world = loaded.world;
    const objects = loaded.objects;
    for (const [name, count] of Object.entries(ENDPOINTS)) {
      const list: string[] = [];
      for (let i = 0; i < count; i++) {
        const e = await startEcho({ service: name, endpoint: `${name}-${i}` });
        echoes.push(e);
        list.push(e.address);
      }
      endpoints.set(`app/${name}:8080`, list);
    }
    addressOf = (endpoint) => endpoints.get(`app/${endpoint.replace(/-\d+$/, "")}:8080`)![Number(endpoint.split("-").pop())]!;
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
    expect(first.setCookie).toMatch(/^cart-session=g2\.[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=3600$/);
    const cookie = cookiePair(first.setCookie!);
    // The token names the backend and the endpoint that served.
    expect(decodeSessionToken(cookie.slice("cart-session=".length))).toMatchObject({ backend: svc("cart"), endpoint: addressOf(first.endpoint) });
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

  it("a token naming no endpoint of the backend, garbage, another backend, or past absoluteTimeout starts a new session", async () => {
    const cart = endpoints.get("app/cart:8080")!;
    const tokens = [
      encodeSessionToken({ backend: svc("cart"), endpoint: "127.0.0.1:1", issuedAtMs: Date.now() }),
      "garbage",
      "g2.%%%",
      encodeSessionToken({ backend: svc("api"), endpoint: endpoints.get("app/api:8080")![0]!, issuedAtMs: Date.now() }),
      encodeSessionToken({ backend: svc("cart"), endpoint: cart[0]!, issuedAtMs: Date.now() - 2 * 3600_000 }),
    ];
    for (const token of tokens) {
      const r = await get("/cart/again", { cookie: `cart-session=${token}` });
      expect(r.setCookie).toMatch(/^cart-session=g2\./);
      const fresh = cookiePair(r.setCookie!);
      expect(fresh).not.toBe(`cart-session=${token}`);
      expect((await get("/cart/again", { cookie: fresh })).endpoint).toBe(r.endpoint);
    }
  });

  it("a header session: the answer carries the header, a request sending it back sticks", async () => {
    const first = await request(port, { path: "/api/1", host: "shop.example.com" });
    const token = first.headers["x-session"] as string;
    expect(token).toMatch(/^g2\./);
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
    expect(d.session?.name).toBe(sessionCookieName(d.route!));
    expect(r.setCookie!.startsWith(`${sessionCookieName(d.route!)}=g2.`)).toBe(true);
    expect(sessionCookieName(d.route!)).toMatch(/^gwsim-session-[0-9a-f]{12}$/);
    expect(r.setCookie).not.toMatch(/Max-Age|Expires/);
    expect((await get("/gen/2", { cookie: cookiePair(r.setCookie!) })).endpoint).toBe(r.endpoint);
  });

  it("a split: without a token the draw picks the backend; a token pins the backend it names and its endpoint", async () => {
    const before = records.length;
    const fresh: { backend: string; cookie: string }[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await get(`/split/new/${i}`);
      const backend = records.at(-1)!.decision.backend!.name;
      expect(r.endpoint.startsWith(`${backend}-`)).toBe(true);
      fresh.push({ backend, cookie: cookiePair(r.setCookie!) });
    }
    expect(new Set(fresh.map((f) => f.backend))).toEqual(new Set(["a", "b"]));
    for (const x of records.slice(before)) expect(x.decision.session).toMatchObject({ presented: null, pinned: false });
    // Each session stays on its backend and endpoint, request after request, whatever the draw.
    for (const f of fresh.slice(0, 6)) {
      const endpoint = decodeSessionToken(f.cookie.slice("split-session=".length))!.endpoint!;
      for (let i = 0; i < 5; i++) {
        const r = await get(`/split/again/${i}`, { cookie: f.cookie });
        expect(records.at(-1)!.decision.session).toMatchObject({ presented: "valid", pinned: true });
        expect(records.at(-1)!.decision.backend!.name).toBe(f.backend);
        expect(records.at(-1)!.observed.upstreamHost).toBe(endpoint);
        expect(r.setCookie).toBeUndefined();
      }
    }
  });

  it("a rollout flipped from 100/0 to 0/100 by a reload: sessions begun on the old backend stay there, new ones go to the new", async () => {
    const first = await get("/rollout/1");
    expect(first.endpoint).toMatch(/^stable-/);
    const cookie = cookiePair(first.setCookie!);
    const flipped = load(0, 100);
    await gw.reload(flipped.world, flipped.objects, endpoints);
    world = flipped.world;
    try {
      for (let i = 0; i < 10; i++) {
        const kept = await get(`/rollout/kept/${i}`, { cookie });
        expect(kept.endpoint).toBe(first.endpoint);
        expect(records.at(-1)!.decision.backends.find((b) => b.name === "stable")!.weight).toBe(0);
      }
      const moved = new Set<string>();
      for (let i = 0; i < 10; i++) {
        const r = await get(`/rollout/new/${i}`);
        moved.add(r.endpoint.replace(/-\d+$/, ""));
        // The new session sticks to canary.
        expect((await get(`/rollout/new/${i}`, { cookie: cookiePair(r.setCookie!) })).endpoint).toBe(r.endpoint);
      }
      expect(moved).toEqual(new Set(["canary"]));
      // An expired session is a new one: it follows the weights.
      const stale = `rollout-session=${encodeSessionToken({ backend: svc("stable"), endpoint: addressOf(first.endpoint), issuedAtMs: 0 })}`;
      const restarted = await get("/rollout/stale", { cookie: stale });
      expect(records.at(-1)!.decision.session).toMatchObject({ presented: "expired", pinned: false });
      expect(restarted.endpoint).toMatch(/^canary-/);
      expect(restarted.setCookie).toMatch(/^rollout-session=g2\./);
    } finally {
      const back = load(100, 0);
      await gw.reload(back.world, back.objects, endpoints);
      world = back.world;
    }
  });

  it("a token from an earlier gwsim (g1: an endpoint only) keeps its endpoint when the draw lands on its backend, and is replaced by a g2 token", async () => {
    const cart = endpoints.get("app/cart:8080")!;
    const g1 = `g1.${Buffer.from(`${cart[2]}|${Math.floor(Date.now() / 1000)}`).toString("base64url")}`;
    const r = await get("/cart/legacy", { cookie: `cart-session=${g1}` });
    expect(r.endpoint).toBe("cart-2");
    expect(decodeSessionToken(cookiePair(r.setCookie!).slice("cart-session=".length))).toMatchObject({ backend: svc("cart"), endpoint: cart[2] });
  });

  it("a rule without sessionPersistence sets nothing", async () => {
    expect((await get("/plain/1")).setCookie).toBeUndefined();
  });

  it("a session whose endpoint stopped serving falls back to another (retry) and moves there", async () => {
    const dead = `flaky-session=${encodeSessionToken({ backend: svc("flaky"), endpoint: "127.0.0.1:1", issuedAtMs: Date.now() })}`;
    const r = await get("/flaky/1", { cookie: dead });
    expect(r.endpoint).toMatch(/^flaky-/);
    expect(r.setCookie).toMatch(/^flaky-session=g2\./);
    expect((await get("/flaky/2", { cookie: cookiePair(r.setCookie!) })).endpoint).toBe(r.endpoint);
  });
});
