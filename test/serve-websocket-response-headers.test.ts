/**
 * The rule's ResponseHeaderModifier applies to the backend's answer to a proxied WebSocket
 * handshake, as to any answer (Envoy applies route response header mutations to upgrade answers
 * too): a 101 and a refusal with a body, over an HTTP/1.1 upgrade (the answer re-written on the
 * raw socket) and over HTTP/2 extended CONNECT (RFC 8441: the 101 becomes a 200). The tunnel
 * still carries frames both ways. Real core, real sockets on 127.0.0.1, bounded waits.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import http2 from "node:http2";
import net, { type AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorld, decide, parseManifests, type Decision } from "../packages/core/src/index.js";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { edgeGateway } from "./helpers/gateway-yaml.js";
import { clientFrame, collect, GUID, KEY, readFrame, serverFrame, upgradeH1 as upgradeH1At, upgradeH2 as upgradeH2At, values, type Head } from "./helpers/websocket-client.js";

const EXPIRES = "rule=1; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT";
const BACKEND_COOKIES = ["own=1; Path=/", "own2=2; Expires=Thu, 22 Oct 2026 07:28:00 GMT"];
const ADDED_COOKIES = [EXPIRES, "backend=2; Path=/"];
const ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/** A rule editing every kind of field, at rule and backendRef level (both add a cookie). */
const editRule = (path: string, ruleEdits: string) => `  - matches: [{path: {type: PathPrefix, value: ${path}}}]
    filters:
    - type: ResponseHeaderModifier
      responseHeaderModifier:
${ruleEdits}    backendRefs:
    - name: ws
      port: 8080
      filters:
      - type: ResponseHeaderModifier
        responseHeaderModifier:
          add: [{name: set-cookie, value: "backend=2; Path=/"}]
`;

const WORLD = `${edgeGateway("[{name: http, protocol: HTTP, port: 80}]")}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: chat, namespace: app}
spec:
  parentRefs: [{name: edge}]
  hostnames: [chat.example.com]
  rules:
${editRule(
  "/",
  `        set: [{name: x-set, value: rule}]
        add: [{name: x-add, value: added}, {name: Set-Cookie, value: "${EXPIRES}"}]
        remove: [x-remove]
`,
)}${editRule("/replace", `        set: [{name: set-cookie, value: "only=1"}]\n`)}---
apiVersion: v1
kind: Service
metadata: {name: ws, namespace: app}
spec: {ports: [{name: ws, port: 8080, appProtocol: kubernetes.io/ws}]}
`;

/** The backend's 101, with fields the edits act on and repeated lines of its own. */
const acceptHead = (accept: string) =>
  `HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n` +
  `Sec-WebSocket-Protocol: chat.v1\r\nx-set: backend\r\nx-add: own\r\nx-remove: gone\r\n` +
  `${BACKEND_COOKIES.map((c) => `Set-Cookie: ${c}\r\n`).join("")}x-multi: a\r\nx-multi: b\r\n\r\n`;

const refusalHead = (framing: string) => `HTTP/1.1 403 Go Away\r\ncontent-type: text/plain\r\n${framing}x-set: backend\r\nx-add: own\r\nx-remove: gone\r\n${BACKEND_COOKIES.map((c) => `Set-Cookie: ${c}\r\n`).join("")}\r\n`;

let gw: LiveGateway;
let port: number;
let backend: http.Server;
const sockets = new Set<Duplex>();
const decisions: Decision[] = [];
const access: { path: string; status: number; upstreamMs: number | null; reason: string | null }[] = [];

/** The WebSocket backend: what it answers depends on the path; it never closes first. */
function onUpgrade(req: http.IncomingMessage, socket: Duplex): void {
  sockets.add(socket);
  socket.on("error", () => undefined);
  const path = req.url ?? "";
  if (path.startsWith("/refuse-chunked")) return void socket.write(`${refusalHead("transfer-encoding: chunked\r\n")}3\r\nno \r\n4;ext=1\r\nchat\r\n0\r\n\r\n`);
  if (path.startsWith("/refuse")) return void socket.write(`${refusalHead("content-length: 7\r\n")}no chat`);
  if (path.startsWith("/stall")) return;
  if (path.startsWith("/hangup")) return void socket.destroy();
  if (path.startsWith("/malformed")) return void socket.write("HTTP/1.1 101 Switching Protocols\r\nno colon here\r\n\r\n");
  if (path.startsWith("/huge")) return void socket.write(`HTTP/1.1 101 Switching Protocols\r\nx-big: ${"a".repeat(70 * 1024)}\r\n\r\n`);
  const head = acceptHead(createHash("sha1").update(`${req.headers["sec-websocket-key"]}${GUID}`).digest("base64"));
  if (path.startsWith("/split")) {
    // The head in three reads, the last with a first frame after it.
    socket.write(head.slice(0, 20));
    setTimeout(() => socket.write(head.slice(20, 200)), 20);
    setTimeout(() => socket.write(Buffer.concat([Buffer.from(head.slice(200)), serverFrame("hello")])), 40);
  } else socket.write(head);
  let pending = Buffer.alloc(0);
  socket.on("data", (d: Buffer) => {
    pending = Buffer.concat([pending, d]);
    for (let f = readFrame(pending); f; f = readFrame(pending)) {
      pending = pending.subarray(f.size);
      socket.write(serverFrame(`echo:${f.text}:${f.masked ? "masked" : "unmasked"}`));
    }
  });
}

beforeAll(async () => {
  backend = http.createServer((_req, res) => res.end("not an upgrade"));
  backend.on("upgrade", onUpgrade);
  await new Promise<void>((r) => backend.listen(0, "127.0.0.1", () => r()));
  const parsed = parseManifests(WORLD, { file: "world.yaml" });
  expect(parsed.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  gw = await startServe({
    world: buildWorld(parsed.objects),
    objects: parsed.objects,
    endpoints: new Map([["app/ws:8080", [`127.0.0.1:${(backend.address() as AddressInfo).port}`]]]),
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
  await new Promise((r) => backend?.close(r));
});

const upgradeH1 = (path: string) => upgradeH1At(port, path, "chat.example.com");
const upgradeH2 = (path: string) => upgradeH2At(port, path, "chat.example.com");

/** Waits (bounded) for the access log line of a path. */
async function logged(path: string): Promise<(typeof access)[number]> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const line = access.find((a) => a.path === path);
    if (line || Date.now() > deadline) return line!;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The edited end-to-end fields every answer on the main rule carries, whatever the protocol. */
function expectEdited(head: Head): void {
  expect(values(head, "x-set")).toEqual(["rule"]);
  expect(values(head, "x-add").join(",")).toBe("own,added");
  expect(values(head, "x-remove")).toEqual([]);
  // The backend's cookies, then the rule's and the backendRef's: one line each.
  expect(values(head, "set-cookie")).toEqual([...BACKEND_COOKIES, ...ADDED_COOKIES]);
}

describe("serve: an HTTP/1.1 WebSocket upgrade gets the rule's response header edits on the backend's answer", () => {
  it("a 101: edited fields, the backend's reason phrase, handshake fields and repeated lines kept; frames both ways", async () => {
    const { head, socket, read } = await upgradeH1("/chat/a");
    expect(head.status).toBe(101);
    expect(head.reason).toBe("Web Socket Protocol Handshake");
    expectEdited(head);
    expect(values(head, "x-multi")).toEqual(["a", "b"]);
    expect(values(head, "upgrade")).toEqual(["websocket"]);
    expect(values(head, "connection")).toEqual(["Upgrade"]);
    expect(values(head, "sec-websocket-accept")).toEqual([ACCEPT]);
    expect(values(head, "sec-websocket-protocol")).toEqual(["chat.v1"]);
    const headEnd = read.bytes().indexOf("\r\n\r\n") + 4;
    socket.write(clientFrame("ping"));
    await read.until((b) => readFrame(b.subarray(headEnd)) !== null, "the echo frame");
    expect(readFrame(read.bytes().subarray(headEnd))).toMatchObject({ text: "echo:ping:masked", masked: false });
    socket.destroy();
    expect(decisions.at(-1)!.responseHeaders).toMatchObject({ addAll: { "set-cookie": ADDED_COOKIES } });
    const line = await logged("/chat/a");
    expect(line).toMatchObject({ status: 101 });
    expect(line.upstreamMs).toEqual(expect.any(Number));
  });

  it("a 101 whose head arrives in three reads, with a first frame in the last: the same head, then the frame", async () => {
    const { head, socket, after, read } = await upgradeH1("/split");
    expect(head.status).toBe(101);
    expectEdited(head);
    await read.until(() => readFrame(after()) !== null, "the backend's first frame");
    expect(readFrame(after())!.text).toBe("hello");
    socket.write(clientFrame("two"));
    const first = readFrame(after())!.size;
    await read.until(() => readFrame(after().subarray(first)) !== null, "the echo frame");
    expect(readFrame(after().subarray(first))!.text).toBe("echo:two:masked");
    socket.destroy();
  });

  it("a rule-level set of set-cookie and a backendRef-level add: the backend's cookies replaced, one line each", async () => {
    const { head, socket } = await upgradeH1("/replace");
    expect(head.status).toBe(101);
    expect(values(head, "set-cookie")).toEqual(["only=1", "backend=2; Path=/"]);
    expect(values(head, "x-set")).toEqual(["backend"]);
    socket.destroy();
  });

  it("a 403 with a Content-Length body: edited fields, the body, then the gateway closes the connection (the backend keeps its own open)", async () => {
    const { head, after, read } = await upgradeH1("/refuse");
    expect(head.status).toBe(403);
    expect(head.reason).toBe("Go Away");
    expectEdited(head);
    expect(values(head, "content-length")).toEqual(["7"]);
    expect(values(head, "connection")).toEqual(["close"]);
    await read.until(() => read.ended(), "the gateway to close the connection");
    expect(after().toString()).toBe("no chat");
    const line = await logged("/refuse");
    expect(line).toMatchObject({ status: 403 });
    expect(line.upstreamMs).toEqual(expect.any(Number));
  });

  it("a 403 with a chunked body: passed on as framed, the connection closed after its last chunk", async () => {
    const { head, after, read } = await upgradeH1("/refuse-chunked");
    expect(head.status).toBe(403);
    expectEdited(head);
    expect(values(head, "transfer-encoding")).toEqual(["chunked"]);
    await read.until(() => read.ended(), "the gateway to close the connection");
    expect(after().toString()).toBe("3\r\nno \r\n4;ext=1\r\nchat\r\n0\r\n\r\n");
  });

  it("a backend that closes before answering: 502 from the gateway, with the edits", async () => {
    const { head, read } = await upgradeH1("/hangup");
    expect(head.status).toBe(502);
    expect(values(head, "set-cookie")).toEqual(ADDED_COOKIES);
    await read.until(() => read.ended(), "the gateway to close the connection");
    expect(await logged("/hangup")).toMatchObject({ status: 502, reason: "backend closed before its handshake answer" });
  });

  it("a client that leaves while the backend has not answered: the exchange ends (logged, no status)", async () => {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("error", () => undefined);
    socket.write(`GET /stall HTTP/1.1\r\nHost: chat.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 50));
    socket.end();
    expect(await logged("/stall")).toMatchObject({ status: 0 });
  });

  it.each([
    ["a field line without a colon", "/malformed"],
    ["a head over 64 KiB", "/huge"],
  ])("a backend answer with %s: 502 from the gateway, with the edits", async (_what, path) => {
    const { head, read } = await upgradeH1(path);
    expect(head.status).toBe(502);
    expect(values(head, "set-cookie")).toEqual(ADDED_COOKIES);
    await read.until(() => read.ended(), "the gateway to close the connection");
    expect((await logged(path)).reason).toMatch(/^malformed WebSocket handshake answer from backend/);
  });
});

describe("serve: a WebSocket over HTTP/2 (RFC 8441) gets the rule's response header edits on the backend's answer", () => {
  it("a 101 becomes a 200 with the backend's fields edited (no accept); frames both ways", async () => {
    const { head, stream, client, read } = await upgradeH2("/chat/h2");
    expect(head.status).toBe(200);
    expectEdited(head);
    expect(values(head, "sec-websocket-protocol")).toEqual(["chat.v1"]);
    expect(values(head, "sec-websocket-accept")).toEqual([]);
    stream.write(clientFrame("ping2"));
    await read.until((b) => readFrame(b) !== null, "the echo frame");
    expect(readFrame(read.bytes())!.text).toBe("echo:ping2:masked");
    stream.close();
    client.close();
    expect((await logged("/chat/h2")).status).toBe(200);
  });

  it.each([
    ["a Content-Length body", "/refuse"],
    ["a chunked body (decoded: HTTP/2 has its own framing)", "/refuse-chunked"],
  ])("a 403 with %s: edited fields and the body, the stream ended", async (_what, path) => {
    const { head, client, read } = await upgradeH2(path);
    expect(head.status).toBe(403);
    expectEdited(head);
    await read.until(() => read.ended(), "the end of the stream");
    client.close();
    expect(read.bytes().toString()).toBe("no chat");
  });
});
