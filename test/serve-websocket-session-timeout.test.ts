/**
 * WebSocket handshakes through `gwsim serve` behave as other requests do for a rule's
 * sessionPersistence (GEP-1619) and timeouts (HTTPRouteTimeouts):
 * - the backend's handshake answer (101, HTTP/2's 200, or a refusal) starts or moves the session
 *   with the same cookie or header a normal answer gets; a presented token pins the backend (the
 *   core) and the endpoint (serve), across a 2-endpoint backend and a 50/50 split;
 * - a backend that never answers the handshake gets the rule's timeout, then 504 with the rule's
 *   response header edits; the tunnel after a 101 outlives that timeout.
 * Over HTTP/1.1 upgrades and RFC 8441 extended CONNECT. Real core, real sockets on 127.0.0.1,
 * WebSocket backends that say which endpoint answered; every wait is bounded.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorld, decide, decodeSessionToken, encodeSessionToken, parseManifests, type Decision } from "../packages/core/src/index.js";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, handshakeDeadline } from "../packages/sim/src/serve/websocket.js";
import { edgeGateway } from "./helpers/gateway-yaml.js";
import { GUID, echoes, serverFrame, readFrame, upgradeH1, upgradeH2, values, type Head } from "./helpers/websocket-client.js";

const HOST = "chat.example.com";
const BACKENDS = ["ws", "wa", "wb"];

const WORLD = `${edgeGateway("[{name: http, protocol: HTTP, port: 80}]")}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: chat, namespace: app}
spec:
  parentRefs: [{name: edge}]
  hostnames: [${HOST}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /chat}}]
    sessionPersistence: {sessionName: chat-session}
    backendRefs: [{name: ws, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /split}}]
    sessionPersistence: {sessionName: split-session}
    backendRefs: [{name: wa, port: 8080, weight: 50}, {name: wb, port: 8080, weight: 50}]
  - matches: [{path: {type: PathPrefix, value: /hdr}}]
    sessionPersistence: {sessionName: X-WS-Session, type: Header}
    backendRefs: [{name: ws, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /timed}}]
    timeouts: {request: 300ms}
    filters:
    - type: ResponseHeaderModifier
      responseHeaderModifier: {set: [{name: x-edit, value: timed}]}
    backendRefs: [{name: ws, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /sticky-timed}}]
    sessionPersistence: {sessionName: chat-session}
    timeouts: {request: 300ms}
    backendRefs: [{name: ws, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /backend-timed}}]
    timeouts: {request: 10s, backendRequest: 300ms}
    filters:
    - type: ResponseHeaderModifier
      responseHeaderModifier: {set: [{name: x-edit, value: backend-timed}]}
    backendRefs: [{name: ws, port: 8080}]
${BACKENDS.map((name) => `---\napiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: app}\nspec: {ports: [{name: ws, port: 8080, appProtocol: kubernetes.io/ws}]}\n`).join("")}`;

const svc = (name: string) => ({ group: "", kind: "Service", namespace: "app", name, port: 8080 });

let gw: LiveGateway;
let port: number;
const servers: http.Server[] = [];
const sockets = new Set<Duplex>();
/** Endpoint name (`ws-0`) → address, and back. */
const addressOf = new Map<string, string>();
const nameOf = new Map<string, string>();
const decisions: Decision[] = [];
const access: { path: string; status: number; reason: string | null; endpoint: string | null; durationMs: number }[] = [];

/**
 * A WebSocket endpoint named `name`: by path, it never answers (`stall`), refuses with a body
 * (`refuse`), refuses and sends only part of its body (`slow-body`), or accepts and echoes each
 * frame prefixed with its name. Every answer says which endpoint it came from (`x-endpoint`).
 */
function wsEndpoint(name: string) {
  return (req: http.IncomingMessage, socket: Duplex): void => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    const path = req.url ?? "";
    if (path.includes("stall")) return;
    if (path.includes("slow-body")) return void socket.write(`HTTP/1.1 403 Forbidden\r\nx-endpoint: ${name}\r\ncontent-length: 20\r\n\r\npartial`);
    if (path.includes("refuse")) return void socket.write(`HTTP/1.1 403 Forbidden\r\nx-endpoint: ${name}\r\ncontent-length: 7\r\n\r\nno chat`);
    const accept = createHash("sha1").update(`${req.headers["sec-websocket-key"]}${GUID}`).digest("base64");
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nx-endpoint: ${name}\r\n\r\n`);
    let pending = Buffer.alloc(0);
    socket.on("data", (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      for (let f = readFrame(pending); f; f = readFrame(pending)) {
        pending = pending.subarray(f.size);
        socket.write(serverFrame(`${name}:${f.text}`));
      }
    });
  };
}

beforeAll(async () => {
  const endpoints = new Map<string, string[]>();
  for (const service of BACKENDS) {
    const list: string[] = [];
    for (let i = 0; i < 2; i++) {
      const name = `${service}-${i}`;
      const server = http.createServer((_req, res) => res.end("not an upgrade"));
      server.on("upgrade", wsEndpoint(name));
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
      servers.push(server);
      const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
      addressOf.set(name, address);
      nameOf.set(address, name);
      list.push(address);
    }
    endpoints.set(`app/${service}:8080`, list);
  }
  const parsed = parseManifests(WORLD, { file: "world.yaml" });
  expect(parsed.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  gw = await startServe({
    world: buildWorld(parsed.objects),
    objects: parsed.objects,
    endpoints,
    listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
    decide: (w, r, o) => {
      const d = decide(w, r, o);
      decisions.push(d);
      return d;
    },
    accessLog: (line) => void access.push(JSON.parse(line)),
  });
  port = gw.addresses()[0]!.address.port;
});

afterAll(async () => {
  await gw?.close({ drainMs: 0 });
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

/** Waits (bounded) for the access log line of a path. */
async function logged(path: string): Promise<(typeof access)[number]> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const line = access.find((a) => a.path === path);
    if (line || Date.now() > deadline) return line!;
    await new Promise((r) => setTimeout(r, 10));
  }
}

const COOKIE = /^chat-session=(g2\.[A-Za-z0-9_-]+); Path=\/; HttpOnly; SameSite=Strict$/;

/** The one session cookie of an answer (`name=token`), or undefined. */
function sessionCookie(head: Head, name: string): string | undefined {
  const lines = values(head, "set-cookie").filter((c) => c.startsWith(`${name}=`));
  expect(lines.length).toBeLessThanOrEqual(1);
  return lines[0]?.split(";")[0];
}

/** One handshake over either protocol: the answer head; the connection closed after. */
type Upgrade = (path: string, fields?: Record<string, string>) => Promise<Head>;

const h1: Upgrade = async (path, fields = {}) => {
  const u = await upgradeH1(port, path, HOST, fields);
  u.socket.destroy();
  return u.head;
};
const h2: Upgrade = async (path, fields = {}) => {
  const u = await upgradeH2(port, path, HOST, fields);
  u.stream.close();
  u.client.close();
  return u.head;
};

describe.each([
  { protocol: "HTTP/1.1 upgrade", upgrade: h1, accepted: 101 },
  { protocol: "HTTP/2 extended CONNECT", upgrade: h2, accepted: 200 },
])("serve: session persistence on a WebSocket handshake over $protocol", ({ upgrade, accepted }) => {
  it("a cookie session: the accepting answer sets it (as a normal answer's), presenting it keeps the endpoint, with no new cookie", async () => {
    const first = await upgrade("/chat/new");
    expect(first.status).toBe(accepted);
    const line = values(first, "set-cookie").find((c) => c.startsWith("chat-session="));
    expect(line).toMatch(COOKIE);
    const served = values(first, "x-endpoint")[0]!;
    // The token names the backend and the endpoint that served.
    expect(decodeSessionToken(COOKIE.exec(line!)![1]!)).toMatchObject({ backend: svc("ws"), endpoint: addressOf.get(served) });
    const cookie = sessionCookie(first, "chat-session")!;
    for (let i = 0; i < 6; i++) {
      const again = await upgrade(`/chat/again/${i}`, { cookie: `theme=dark; ${cookie}` });
      expect(again.status).toBe(accepted);
      expect(values(again, "x-endpoint")).toEqual([served]);
      // The presented token stands: no new cookie.
      expect(sessionCookie(again, "chat-session")).toBeUndefined();
      expect(decisions.at(-1)!.session).toMatchObject({ presented: "valid", pinned: true });
    }
    // Without it, round robin goes on over both endpoints, each answer starting a session.
    const spread = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const fresh = await upgrade(`/chat/fresh/${i}`);
      spread.add(values(fresh, "x-endpoint")[0]!);
      expect(sessionCookie(fresh, "chat-session")).toMatch(/^chat-session=g2\./);
    }
    expect(spread).toEqual(new Set(["ws-0", "ws-1"]));
  });

  it("a token naming either endpoint pins that endpoint, handshake after handshake (round robin would alternate)", async () => {
    const token = (endpoint: string) => `chat-session=${encodeSessionToken({ backend: svc("ws"), endpoint: addressOf.get(endpoint)!, issuedAtMs: Date.now() })}`;
    for (const endpoint of ["ws-1", "ws-1", "ws-0", "ws-0", "ws-1", "ws-1", "ws-0"]) {
      const head = await upgrade("/chat/pinned", { cookie: token(endpoint) });
      expect(values(head, "x-endpoint")).toEqual([endpoint]);
      expect(sessionCookie(head, "chat-session")).toBeUndefined();
    }
  });

  it("a token whose endpoint is not one of the backend's: the backend stays, round robin picks the endpoint, and the answer moves the session there", async () => {
    const gone = `chat-session=${encodeSessionToken({ backend: svc("ws"), endpoint: "127.0.0.1:1", issuedAtMs: Date.now() })}`;
    const head = await upgrade("/chat/moved", { cookie: gone });
    expect(head.status).toBe(accepted);
    const moved = sessionCookie(head, "chat-session")!;
    expect(decodeSessionToken(moved.slice("chat-session=".length))).toMatchObject({ backend: svc("ws"), endpoint: addressOf.get(values(head, "x-endpoint")[0]!) });
    expect(values(await upgrade("/chat/moved/again", { cookie: moved }), "x-endpoint")).toEqual(values(head, "x-endpoint"));
  });

  it("a 50/50 split: new sessions land on both backends; each cookie pins its backend and endpoint", async () => {
    const fresh: { endpoint: string; cookie: string }[] = [];
    for (let i = 0; i < 12; i++) {
      const head = await upgrade(`/split/new/${i}`);
      const endpoint = values(head, "x-endpoint")[0]!;
      expect(endpoint.startsWith(`${decisions.at(-1)!.backend!.name}-`)).toBe(true);
      fresh.push({ endpoint, cookie: sessionCookie(head, "split-session")! });
    }
    expect(new Set(fresh.map((f) => f.endpoint.slice(0, 2)))).toEqual(new Set(["wa", "wb"]));
    for (const f of fresh.slice(0, 6)) {
      expect(decodeSessionToken(f.cookie.slice("split-session=".length))!.endpoint).toBe(addressOf.get(f.endpoint));
      for (let i = 0; i < 3; i++) {
        const head = await upgrade(`/split/again/${i}`, { cookie: f.cookie });
        expect(values(head, "x-endpoint")).toEqual([f.endpoint]);
        expect(decisions.at(-1)!.session).toMatchObject({ presented: "valid", pinned: true });
        expect(sessionCookie(head, "split-session")).toBeUndefined();
      }
    }
  });

  it("a header session: the answer carries the header (named as the rule writes it, lower-cased on the wire), sending it back sticks", async () => {
    const first = await upgrade("/hdr/new");
    const [token] = values(first, "x-ws-session");
    expect(token).toMatch(/^g2\.[A-Za-z0-9_-]+$/);
    expect(values(first, "set-cookie")).toEqual([]);
    for (let i = 0; i < 4; i++) {
      const again = await upgrade(`/hdr/again/${i}`, { "x-ws-session": token! });
      expect(values(again, "x-endpoint")).toEqual(values(first, "x-endpoint"));
      expect(values(again, "x-ws-session")).toEqual([]);
    }
  });

  it("a refusal from the backend starts the session too (as any backend answer does)", async () => {
    const refused = await upgrade("/chat/refuse");
    expect(refused.status).toBe(403);
    const cookie = sessionCookie(refused, "chat-session")!;
    expect(decodeSessionToken(cookie.slice("chat-session=".length))).toMatchObject({ endpoint: addressOf.get(values(refused, "x-endpoint")[0]!) });
    // Presented, it pins the refusing endpoint and is not sent again.
    const again = await upgrade("/chat/refuse/again", { cookie });
    expect(values(again, "x-endpoint")).toEqual(values(refused, "x-endpoint"));
    expect(sessionCookie(again, "chat-session")).toBeUndefined();
  });
});

describe("handshakeDeadline: which of the rule's timeouts bounds the wait for the handshake answer", () => {
  it.each([
    { timeouts: null, want: { ms: DEFAULT_HANDSHAKE_TIMEOUT_MS, reason: "handshake timeout" } },
    { timeouts: {}, want: { ms: DEFAULT_HANDSHAKE_TIMEOUT_MS, reason: "handshake timeout" } },
    { timeouts: { request: "300ms" }, want: { ms: 300, reason: "request timeout" } },
    { timeouts: { backendRequest: "2s" }, want: { ms: 2000, reason: "backend timeout" } },
    { timeouts: { request: "1m", backendRequest: "1s500ms" }, want: { ms: 1500, reason: "backend timeout" } },
    { timeouts: { request: "1s", backendRequest: "1s" }, want: { ms: 1000, reason: "request timeout" } },
    // 0s disables a timeout (the spec's SHOULD); the other one still counts.
    { timeouts: { request: "0s" }, want: null },
    { timeouts: { request: "0s", backendRequest: "0s" }, want: null },
    { timeouts: { request: "0s", backendRequest: "4s" }, want: { ms: 4000, reason: "backend timeout" } },
    { timeouts: { request: "3s", backendRequest: "0s" }, want: { ms: 3000, reason: "request timeout" } },
  ])("$timeouts → $want", ({ timeouts, want }) => {
    expect(handshakeDeadline(timeouts)).toEqual(want);
  });
});

describe("serve: the rule's timeouts bound the wait for a WebSocket handshake answer", () => {
  it.each([
    { path: "/timed/stall/h1", edit: "timed", reason: "request timeout" },
    { path: "/backend-timed/stall/h1", edit: "backend-timed", reason: "backend timeout" },
  ])("HTTP/1.1: a backend that never answers, $reason 300ms → 504 promptly, with the rule's edits", async ({ path, edit, reason }) => {
    const t0 = performance.now();
    const u = await upgradeH1(port, path, HOST);
    const elapsed = performance.now() - t0;
    expect(u.head.status).toBe(504);
    expect(values(u.head, "x-edit")).toEqual([edit]);
    expect(values(u.head, "connection")).toEqual(["close"]);
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(2000);
    await u.read.until(() => u.read.ended(), "the gateway to close the connection");
    expect(u.after().toString()).toBe(`gwsim: ${reason}\n`);
    expect(await logged(path)).toMatchObject({ status: 504, reason });
  });

  it("HTTP/1.1: the gateway's own 504 starts no session (as for other requests: only a backend's answer does)", async () => {
    const u = await upgradeH1(port, "/sticky-timed/stall", HOST);
    expect(u.head.status).toBe(504);
    expect(values(u.head, "set-cookie")).toEqual([]);
    u.socket.destroy();
  });

  it("HTTP/2: a backend that never answers → 504 promptly, with the rule's edits", async () => {
    const t0 = performance.now();
    const u = await upgradeH2(port, "/timed/stall/h2", HOST);
    const elapsed = performance.now() - t0;
    expect(u.head.status).toBe(504);
    expect(values(u.head, "x-edit")).toEqual(["timed"]);
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(2000);
    await u.read.until(() => u.read.ended(), "the end of the stream");
    u.client.close();
    expect(await logged("/timed/stall/h2")).toMatchObject({ status: 504, reason: "request timeout" });
  });

  it("HTTP/1.1: a refusal whose body stops coming is cut when the timeout passes (never a truncated answer left open)", async () => {
    const u = await upgradeH1(port, "/timed/slow-body", HOST);
    expect(u.head.status).toBe(403);
    await u.read.until(() => u.read.ended(), "the gateway to cut the connection");
    expect(u.after().toString()).toBe("partial");
    expect(await logged("/timed/slow-body")).toMatchObject({ status: 403, reason: "request timeout" });
  });

  it("HTTP/1.1: the tunnel after a 101 outlives the timeout: a frame sent after it passed is echoed", async () => {
    const u = await upgradeH1(port, "/timed/echo", HOST);
    expect(u.head.status).toBe(101);
    expect(values(u.head, "x-edit")).toEqual(["timed"]);
    expect(await echoes(u.socket, u.read, u.after, "early")).toBe(`${values(u.head, "x-endpoint")[0]}:early`);
    await new Promise((r) => setTimeout(r, 600));
    expect(u.read.ended()).toBe(false);
    const seen = () => u.after().subarray(readFrame(u.after())!.size);
    expect(await echoes(u.socket, u.read, seen, "late")).toBe(`${values(u.head, "x-endpoint")[0]}:late`);
    u.socket.destroy();
    expect((await logged("/timed/echo")).reason).toBeNull();
  });

  it("HTTP/2: the tunnel after the 200 outlives the timeout: a frame sent after it passed is echoed", async () => {
    const u = await upgradeH2(port, "/timed/echo/h2", HOST);
    expect(u.head.status).toBe(200);
    await new Promise((r) => setTimeout(r, 600));
    expect(u.read.ended()).toBe(false);
    expect(await echoes(u.stream, u.read, u.read.bytes, "late")).toBe(`${values(u.head, "x-endpoint")[0]}:late`);
    u.stream.close();
    u.client.close();
  });
});
