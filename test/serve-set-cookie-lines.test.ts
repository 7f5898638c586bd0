/**
 * Several Set-Cookie additions on one request stay separate field lines all the way to the
 * client (RFC 6265 §3, RFC 9110 §5.3): a rule-level and a backendRef-level ResponseHeaderModifier
 * that both add `set-cookie`, the backend's own cookies, and the session cookie the gateway
 * issues (GEP-1619). Real core, real sockets on 127.0.0.1, over HTTP/1.1, HTTP/2 and (for the
 * gateway's own answers) a WebSocket upgrade answered on the raw socket.
 */
import http from "node:http";
import http2 from "node:http2";
import net, { type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorld, decide, parseManifests, type Decision } from "../packages/core/src/index.js";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { edgeGateway } from "./helpers/gateway-yaml.js";

const EXPIRES = "rule=1; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT";
const BACKEND_OWN = ["own=1; Path=/", "own2=2; Expires=Thu, 22 Oct 2026 07:28:00 GMT"];

/** A rule whose rule-level and backendRef-level filters both add a cookie. */
const cookieRule = (path: string, service: string, extra = "", backendFilters = "") => `  - matches: [{path: {type: PathPrefix, value: ${path}}}]
    filters:
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        add: [{name: Set-Cookie, value: "${EXPIRES}"}]
${extra}    backendRefs:
    - name: ${service}
      port: 8080
      filters:
      - type: ResponseHeaderModifier
        responseHeaderModifier:
          add: [{name: set-cookie, value: "backend=2; Path=/"}, {name: x-multi, value: v3}]
${backendFilters}`;

const WORLD = `${edgeGateway("[{name: http, protocol: HTTP, port: 80}]")}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: cookies, namespace: app}
spec:
  parentRefs: [{name: edge}]
  rules:
${cookieRule("/forward", "web")}${cookieRule("/session", "web", "    sessionPersistence: {sessionName: sticky}\n")}${cookieRule("/no-endpoints", "empty")}${cookieRule(
  "/redirect",
  "web",
  "",
  "      - type: RequestRedirect\n        requestRedirect: {hostname: other.example.com}\n",
)}  - matches: [{path: {type: PathPrefix, value: /set-add}}]
    filters:
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        set: [{name: Set-Cookie, value: "only=1"}]
    backendRefs:
    - name: web
      port: 8080
      filters: [{type: ResponseHeaderModifier, responseHeaderModifier: {add: [{name: set-cookie, value: "backend=2"}]}}]
  - matches: [{path: {type: PathPrefix, value: /remove-add}}]
    filters:
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        remove: [Set-Cookie]
    backendRefs:
    - name: web
      port: 8080
      filters: [{type: ResponseHeaderModifier, responseHeaderModifier: {add: [{name: set-cookie, value: "backend=2"}]}}]
${["web", "empty"].map((name) => `---\napiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: app}\nspec: {ports: [{name: http, port: 8080}]}\n`).join("")}`;

let gw: LiveGateway;
let port: number;
let backend: http.Server;
const decisions: Decision[] = [];

beforeAll(async () => {
  backend = http.createServer((_req, res) => {
    res.setHeader("set-cookie", BACKEND_OWN);
    res.setHeader("x-multi", ["v1", "v2"]);
    res.end("ok");
  });
  await new Promise<void>((r) => backend.listen(0, "127.0.0.1", () => r()));
  const parsed = parseManifests(WORLD, { file: "world.yaml" });
  expect(parsed.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  gw = await startServe({
    world: buildWorld(parsed.objects),
    objects: parsed.objects,
    endpoints: new Map([["app/web:8080", [`127.0.0.1:${(backend.address() as AddressInfo).port}`]]]),
    listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
    decide: (w, r, o) => {
      const d = decide(w, r, o);
      decisions.push(d);
      return d;
    },
  });
  port = gw.addresses()[0]!.address.port;
});

afterAll(async () => {
  await gw?.close({ drainMs: 0 });
  backend?.closeAllConnections();
  await new Promise((r) => backend?.close(r));
});

type Head = { status: number; fields: [string, string][] };

/** The response head of one HTTP/1.1 request, as raw field lines (names lower-case). */
function rawHttp1(path: string, extra = "", connection = "close"): Promise<Head> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let data = "";
    socket.setEncoding("latin1");
    socket.on("data", (c: string) => {
      data += c;
      const end = data.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.destroy();
      const [statusLine, ...lines] = data.slice(0, end).split("\r\n");
      const fields = lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()] as [string, string]);
      resolve({ status: Number(statusLine!.split(" ")[1]), fields });
    });
    socket.on("error", reject);
    socket.setTimeout(5000, () => socket.destroy(new Error("timeout")));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x.example.com\r\n${extra}Connection: ${connection}\r\n\r\n`);
  });
}

/** A WebSocket upgrade over HTTP/1.1: what the gateway answers on the raw socket. */
function rawWebSocket(path: string): Promise<Head> {
  return rawHttp1(path, "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n", "Upgrade");
}

/** One HTTP/2 (h2c, prior knowledge) request: status and the response's raw field lines. */
function rawHttp2(path: string): Promise<Head> {
  return new Promise((resolve, reject) => {
    const client = http2.connect(`http://127.0.0.1:${port}`);
    client.on("error", reject);
    const stream = client.request({ ":path": path, ":authority": "x.example.com" });
    stream.setTimeout(5000, () => stream.close(http2.constants.NGHTTP2_CANCEL));
    // Node passes the raw field list as a third argument its types do not declare.
    const onResponse = (h: http2.IncomingHttpHeaders, _flags: number, raw: string[]) => {
      const fields: [string, string][] = [];
      for (let i = 0; i + 1 < raw.length; i += 2) if (!raw[i]!.startsWith(":")) fields.push([raw[i]!, raw[i + 1]!]);
      stream.resume();
      stream.on("end", () => {
        client.close();
        resolve({ status: Number(h[":status"]), fields });
      });
    };
    stream.on("response", onResponse as unknown as (h: http2.IncomingHttpHeaders, flags: number) => void);
    stream.on("error", reject);
    stream.end();
  });
}

const values = (head: Head, name: string) => head.fields.filter(([n]) => n === name).map(([, v]) => v);
const ADDED = [EXPIRES, "backend=2; Path=/"];

describe.each([
  ["HTTP/1.1", (path: string) => rawHttp1(path)],
  ["HTTP/2", rawHttp2],
] as const)("serve: two filters adding set-cookie send two Set-Cookie lines (%s)", (_protocol, get) => {
  it("a forwarded answer: the backend's cookies, then the rule's and the backendRef's, one line each", async () => {
    decisions.length = 0;
    const res = await get("/forward");
    expect(res.status).toBe(200);
    expect(values(res, "set-cookie")).toEqual([...BACKEND_OWN, ...ADDED]);
    // The decision keeps the joined form (CONTRACT) and the lines apart.
    expect(decisions.at(-1)!.responseHeaders).toMatchObject({ add: { "set-cookie": ADDED.join(",") }, addAll: { "set-cookie": ADDED } });
    // Other fields still fold (RFC 9110 §5.3 equivalence).
    expect(values(res, "x-multi").join(",")).toBe("v1,v2,v3");
  });

  it("a rule-level set then a backendRef-level add: the backend's cookies replaced by both, one line each", async () => {
    const res = await get("/set-add");
    expect(res.status).toBe(200);
    expect(values(res, "set-cookie")).toEqual(["only=1", "backend=2"]);
  });

  it("a rule-level remove then a backendRef-level add: only the added cookie is left", async () => {
    const res = await get("/remove-add");
    expect(res.status).toBe(200);
    expect(values(res, "set-cookie")).toEqual(["backend=2"]);
  });

  it("a new session: the session cookie the gateway issues is one more line", async () => {
    const res = await get("/session");
    expect(res.status).toBe(200);
    const cookies = values(res, "set-cookie");
    expect(cookies.slice(0, 4)).toEqual([...BACKEND_OWN, ...ADDED]);
    expect(cookies).toHaveLength(5);
    expect(cookies[4]).toMatch(/^sticky=g2\.[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Strict$/);
  });
});

describe.each([
  ["HTTP/1.1", (path: string) => rawHttp1(path)],
  ["HTTP/2", rawHttp2],
  ["WebSocket upgrade over HTTP/1.1, answered on the raw socket", rawWebSocket],
] as const)("serve: the gateway's own answers carry both cookies as two lines (%s)", (_protocol, get) => {
  it("a redirect from a backendRef filter", async () => {
    const res = await get("/redirect");
    expect(res.status).toBe(302);
    expect(values(res, "location")).toEqual(["http://other.example.com/redirect"]);
    expect(values(res, "set-cookie")).toEqual(ADDED);
  });

  it("no endpoints: 503", async () => {
    const res = await get("/no-endpoints");
    expect(res.status).toBe(503);
    expect(values(res, "set-cookie")).toEqual(ADDED);
  });
});
