/**
 * Header fields that must not be folded or split the usual way, live through `serve` with the
 * real core, over HTTP/1.1 and HTTP/2 on 127.0.0.1: Set-Cookie stays one field line per cookie
 * through response header edits (RFC 9110 §5.3, RFC 6265 §3), and HTTP/2 cookie crumbs reach an
 * HTTP/1.1 backend as one `cookie` line (RFC 9113 §8.2.3), the value decide matched.
 */
import http from "node:http";
import http2 from "node:http2";
import net, { type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorld, decide, parseManifests, type Decision } from "../packages/core/src/index.js";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { edgeGateway } from "./helpers/gateway-yaml.js";

const EXPIRES = "b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT";

const WORLD = `${edgeGateway("[{name: http, protocol: HTTP, port: 80}]")}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: app}
spec:
  parentRefs: [{name: edge}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /add}}]
    filters:
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        add: [{name: Set-Cookie, value: "c=3; Path=/"}, {name: x-multi, value: v3}]
    backendRefs: [{name: web, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /set}}]
    filters:
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        set: [{name: set-cookie, value: "only=1"}]
    backendRefs: [{name: web, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /other}}]
    filters:
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        set: [{name: x-other, value: "1"}]
        remove: [x-multi]
    backendRefs: [{name: web, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /crumbs}, headers: [{name: Cookie, value: "a=1; b=2"}]}]
    backendRefs: [{name: web, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /more-crumbs}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        add: [{name: cookie, value: "z=9"}]
    backendRefs: [{name: web, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /invalid}}]
    filters:
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        set: [{name: x-gw, value: "yes"}]
        add: [{name: set-cookie, value: "g=1"}]
    backendRefs: [{name: nothere, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /no-endpoints}}]
    filters:
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        set: [{name: x-gw, value: "yes"}]
    backendRefs: [{name: empty, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /refused}}]
    filters:
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        set: [{name: x-gw, value: "yes"}]
    backendRefs: [{name: down, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /redirect}}]
    filters:
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        add: [{name: set-cookie, value: "r=1"}]
    - type: RequestRedirect
      requestRedirect: {hostname: other.example.com}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: app}
spec: {ports: [{name: http, port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: empty, namespace: app}
spec: {ports: [{name: http, port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: down, namespace: app}
spec: {ports: [{name: http, port: 8080}]}
`;

/** A loopback port nothing listens on (bound, then closed): connecting to it is refused. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

let gw: LiveGateway;
let port: number;
let backend: http.Server;
const seen: { url: string; rawHeaders: string[] }[] = [];
const decisions: Decision[] = [];

beforeAll(async () => {
  // A backend that sends two Set-Cookie lines (one with the comma of an Expires date) and a
  // header sent twice, and records the raw request head it received.
  backend = http.createServer((req, res) => {
    seen.push({ url: req.url ?? "", rawHeaders: req.rawHeaders });
    res.setHeader("set-cookie", ["a=1; Path=/", EXPIRES]);
    res.setHeader("x-multi", ["v1", "v2"]);
    res.end("ok");
  });
  await new Promise<void>((r) => backend.listen(0, "127.0.0.1", () => r()));
  const parsed = parseManifests(WORLD, { file: "world.yaml" });
  const world = buildWorld(parsed.objects);
  gw = await startServe({
    world,
    objects: parsed.objects,
    endpoints: new Map([
      ["app/web:8080", [`127.0.0.1:${(backend.address() as AddressInfo).port}`]],
      ["app/down:8080", [`127.0.0.1:${await closedPort()}`]],
    ]),
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

/** The response head of one HTTP/1.1 request, as raw field lines [name, value] (names lower-case). */
function rawHttp1(path: string, extra = "", connection = "close"): Promise<{ status: number; fields: [string, string][] }> {
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
      const fields = lines.map((l) => {
        const i = l.indexOf(":");
        return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()] as [string, string];
      });
      resolve({ status: Number(statusLine!.split(" ")[1]), fields });
    });
    socket.on("error", reject);
    socket.setTimeout(5000, () => socket.destroy(new Error("timeout")));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x.example.com\r\n${extra}Connection: ${connection}\r\n\r\n`);
  });
}

/** A WebSocket upgrade over HTTP/1.1 (RFC 6455): the head of what the gateway answers on the raw socket. */
function rawWebSocket(path: string): Promise<{ status: number; fields: [string, string][] }> {
  return rawHttp1(path, "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n", "Upgrade");
}

/** One HTTP/2 (h2c, prior knowledge) request: status and the response's raw field lines. */
function rawHttp2(path: string, headers: http2.OutgoingHttpHeaders = {}): Promise<{ status: number; fields: [string, string][] }> {
  return new Promise((resolve, reject) => {
    const client = http2.connect(`http://127.0.0.1:${port}`);
    client.on("error", reject);
    const stream = client.request({ ":path": path, ":authority": "x.example.com", ...headers });
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

const values = (fields: [string, string][], name: string) => fields.filter(([n]) => n === name).map(([, v]) => v);

describe.each([
  ["HTTP/1.1", rawHttp1],
  ["HTTP/2", (path: string) => rawHttp2(path)],
] as const)("serve: Set-Cookie through response header edits (%s)", (_protocol, get) => {
  it("an added cookie is one more Set-Cookie line; the backend's stay as they were", async () => {
    const res = await get("/add");
    expect(res.status).toBe(200);
    expect(values(res.fields, "set-cookie")).toEqual(["a=1; Path=/", EXPIRES, "c=3; Path=/"]);
    // Other fields still fold as the decision says (RFC 9110 §5.3 equivalence).
    expect(values(res.fields, "x-multi").join(",")).toBe("v1,v2,v3");
  });

  it("set replaces every Set-Cookie with one; an edit of another field leaves Set-Cookie alone", async () => {
    expect(values((await get("/set")).fields, "set-cookie")).toEqual(["only=1"]);
    const other = await get("/other");
    expect(values(other.fields, "set-cookie")).toEqual(["a=1; Path=/", EXPIRES]);
    expect(values(other.fields, "x-other")).toEqual(["1"]);
    expect(values(other.fields, "x-multi")).toEqual([]);
  });

  it("a redirect the gateway answers itself carries the added cookie", async () => {
    const res = await get("/redirect");
    expect(res.status).toBe(302);
    expect(values(res.fields, "set-cookie")).toEqual(["r=1"]);
    expect(values(res.fields, "location")).toEqual(["http://other.example.com/redirect"]);
  });
});

describe("serve: HTTP/2 cookie crumbs (RFC 9113 §8.2.3)", () => {
  /** The Cookie field lines the backend received for the last request to `path`. */
  const cookieLines = (path: string) => {
    const hit = seen.filter((r) => r.url === path).at(-1);
    expect(hit).toBeDefined();
    const raw = hit!.rawHeaders;
    const lines: string[] = [];
    for (let k = 0; k + 1 < raw.length; k += 2) if (raw[k]!.toLowerCase() === "cookie") lines.push(raw[k + 1]!);
    return lines;
  };

  it("are joined with \"; \" into one Cookie line for the HTTP/1.1 backend, the value decide matched", async () => {
    decisions.length = 0;
    const res = await rawHttp2("/crumbs", { cookie: ["a=1", "b=2"] });
    expect(res.status).toBe(200);
    expect(cookieLines("/crumbs")).toEqual(["a=1; b=2"]);
    expect(decisions.at(-1)!.forwarded!.headers.cookie).toBe("a=1; b=2");
  });

  it("decide matches crumbs the same way offline: cookie values join with \"; \"", () => {
    const world = buildWorld(parseManifests(WORLD, { file: "world.yaml" }).objects);
    const asked = (cookie: string | string[]) => decide(world, { gateway: "app/edge", port: 80, protocol: "HTTP/2", host: "x.example.com", path: "/crumbs", headers: { cookie } }, { seed: 1, index: 0 });
    expect(asked(["a=1", "b=2"]).outcome).toBe("forward");
    expect(asked("a=1; b=2").outcome).toBe("forward");
    expect(asked("a=1,b=2").outcome).toBe("notFound");
  });

  it("a cookie a RequestHeaderModifier adds joins the client's in the one line", async () => {
    const res = await rawHttp2("/more-crumbs", { cookie: ["a=1", "b=2"] });
    expect(res.status).toBe(200);
    expect(cookieLines("/more-crumbs")).toEqual(["a=1; b=2; z=9"]);
  });

  it("an HTTP/1.1 client's single Cookie line is passed on unchanged", async () => {
    await rawHttp1("/crumbs", "Cookie: a=1; b=2\r\n");
    expect(cookieLines("/crumbs")).toEqual(["a=1; b=2"]);
  });
});

describe.each([
  ["HTTP/1.1", rawHttp1],
  ["HTTP/2", (path: string) => rawHttp2(path)],
  ["WebSocket upgrade over HTTP/1.1, answered on the raw socket", rawWebSocket],
] as const)("serve: the gateway's own answers carry the rule's response header edits (%s)", (_protocol, get) => {
  it.each([
    ["/invalid", 500, ["g=1"]],
    ["/no-endpoints", 503, []],
    ["/refused", 503, []],
  ] as const)("%s answers %i with the edits the decision reports", async (path, status, cookies) => {
    decisions.length = 0;
    const res = await get(path);
    expect(res.status).toBe(status);
    const d = decisions.at(-1)!;
    expect(d.responseHeaders?.set).toEqual({ "x-gw": "yes" });
    expect(values(res.fields, "x-gw")).toEqual(["yes"]);
    expect(values(res.fields, "set-cookie")).toEqual(cookies);
    expect(values(res.fields, "content-type")).toEqual(["text/plain; charset=utf-8"]);
  });

  it("a request no rule takes (404) gets no edits", async () => {
    decisions.length = 0;
    const res = await get("/nowhere");
    expect(res.status).toBe(404);
    expect(decisions.at(-1)!.responseHeaders).toBeNull();
    expect(values(res.fields, "x-gw")).toEqual([]);
  });
});

describe("serve: a WebSocket upgrade over HTTP/1.1 the gateway answers itself", () => {
  it("a redirect carries the rule's edits, as for a plain request", async () => {
    decisions.length = 0;
    const res = await rawWebSocket("/redirect");
    expect(res.status).toBe(302);
    expect(values(res.fields, "set-cookie")).toEqual(["r=1"]);
    expect(values(res.fields, "location")).toEqual(["http://other.example.com/redirect"]);
    expect(values(res.fields, "connection")).toEqual(["close"]);
  });

  it("content-length and connection: close stay the adapter's, one line each, beside the edits", async () => {
    const res = await rawWebSocket("/invalid");
    expect(res.status).toBe(500);
    expect(values(res.fields, "x-gw")).toEqual(["yes"]);
    expect(values(res.fields, "connection")).toEqual(["close"]);
    expect(values(res.fields, "content-length")).toHaveLength(1);
  });
});
