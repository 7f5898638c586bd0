/**
 * The HTTP routing scenarios (test/scenarios/http, the cases `http-scenarios.test.ts` checks
 * offline) run a second time through the live adapter: each request goes over a real socket to
 * `serve`, which decides it with the real core and forwards it to echo backends. Checked per
 * case: the live decision meets the case's expectations (so the socket request describes the
 * same request), and what the client and the echo backend saw agrees with that decision.
 *
 * Each Service port gets its own echo backend, speaking what the port's appProtocol asks of the
 * gateway: HTTP/2 over cleartext with prior knowledge for `kubernetes.io/h2c` (GEP-1911) and the
 * other HTTP/2 names, else HTTP/1.1; the echo says which protocol it was spoken to, which must be
 * the decision's `backendProtocol`. A case's request goes out as its `protocol` says: `h2c` (or
 * `HTTP/2` over http) with prior knowledge, `HTTP/2` over https by ALPN, else HTTP/1.1.
 *
 * Not run live (no test is made for them; the offline runner checks them): cases that decide in
 * a world with objects removed, that present a client certificate (the case has no private key
 * to handshake with), over another scheme than http(s), or that forward through a
 * BackendTLSPolicy (the echo backends speak plain HTTP), or to an XBackend's external hostname
 * (test/serve-xbackend.test.ts covers those live). A folder none of whose cases can run live
 * gets one test that says so and checks each case's reason still holds. A case with a `time` is
 * decided at that time, not at serve's clock. A case whose connection has no listener to reach
 * checks that the decision refuses it.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import https from "node:https";
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorld, decide, parseManifestFiles, type Decision, type GatewayRequest } from "../packages/core/src/index.js";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { startEcho, type EchoReply, type EchoServer } from "./helpers/echo.js";

const ROOT = join(import.meta.dirname, "scenarios", "http");
const { parse } = createRequire(join(import.meta.dirname, "..", "packages", "core", "package.json"))("yaml") as { parse(text: string): unknown };

interface Case {
  request: GatewayRequest;
  options?: Record<string, unknown>;
  status?: number | null;
  outcome?: string;
  backend?: string | null;
  route?: string | null;
  remove?: string[];
  repeat?: number;
}
interface CaseFile {
  defaults?: Partial<GatewayRequest>;
  options?: Record<string, unknown>;
  cases: Case[];
}

const base = { file: "_base.yaml", text: readFileSync(join(ROOT, "_base.yaml"), "utf8") };
const folders = readdirSync(ROOT).filter((f) => !f.startsWith("_") && statSync(join(ROOT, f)).isDirectory());

interface Live {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** HTTP/2 with prior knowledge (h2c) over http, by ALPN over https. */
const overHttp2 = (r: GatewayRequest) => r.protocol === "h2c" || (r.protocol === "HTTP/2" && (r.scheme === "http" || r.scheme === "https"));

function sendHttp2(port: number, r: GatewayRequest): Promise<Live> {
  return new Promise((resolve, reject) => {
    const secure = r.scheme === "https";
    const servername = r.sni ?? (r.host ?? "").replace(/:\d+$/, "");
    const client = secure
      ? http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false, ...(servername && !/^[\d.]+$/.test(servername) ? { servername } : {}) })
      : http2.connect(`http://127.0.0.1:${port}`);
    const fail = (e: Error) => {
      client.destroy();
      reject(e);
    };
    client.on("error", fail);
    client.setTimeout(5000, () => fail(new Error("timeout")));
    // No Host field: HTTP/2 carries it as :authority (RFC 9113 §8.3.1).
    const headers: http2.OutgoingHttpHeaders = { ":method": r.method ?? "GET", ":path": r.path ?? "/", ":scheme": secure ? "https" : "http" };
    if (r.host !== undefined) headers[":authority"] = r.host;
    for (const [name, value] of Object.entries(r.headers ?? {})) headers[name.toLowerCase()] = value;
    const req = client.request(headers);
    let status = 0;
    let resHeaders: http.IncomingHttpHeaders = {};
    let body = "";
    req.on("response", (h) => {
      status = Number(h[":status"]);
      resHeaders = Object.fromEntries(Object.entries(h).filter(([name]) => !name.startsWith(":"))) as http.IncomingHttpHeaders;
    });
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => {
      client.close();
      resolve({ status, headers: resHeaders, body });
    });
    req.on("error", fail);
    req.end();
  });
}

function send(port: number, r: GatewayRequest): Promise<Live> {
  if (overHttp2(r)) return sendHttp2(port, r);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = { ...(r.headers ?? {}) };
    if (r.host !== undefined) headers.host = r.host;
    const secure = r.scheme === "https";
    const servername = r.sni ?? (r.host ?? "").replace(/:\d+$/, "");
    const options: https.RequestOptions = { host: "127.0.0.1", port, method: r.method ?? "GET", path: r.path ?? "/", headers, agent: false, setHost: false, timeout: 5000 };
    const onResponse = (res: http.IncomingMessage) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    };
    const req = secure
      ? https.request({ ...options, rejectUnauthorized: false, ...(servername && !/^[\d.]+$/.test(servername) ? { servername } : {}) }, onResponse)
      : http.request(options, onResponse);
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

/**
 * Service port appProtocols the gateway speaks HTTP/2 over cleartext to, with prior knowledge:
 * GEP-1911's `kubernetes.io/h2c` and the other names decide reads as HTTP/2 (backend-protocol.ts).
 */
const H2C = new Set(["kubernetes.io/h2c", "h2c", "http2", "grpc"]);

/** An XBackend is reached at its external hostname, which no echo backend answers for. */
const forwardsToXBackend = (d: Decision) => d.outcome === "forward" && d.backend?.kind === "XBackend";

/** A field sent as several lines equals one comma-joined line (RFC 9110 §5.3): compare the lists. */
const joined = (v: string | string[] | undefined) => (v === undefined ? v : (Array.isArray(v) ? v : [v]).join(",").split(/\s*,\s*/).join(","));

describe.each(folders)("%s (live)", (folder) => {
  const dir = join(ROOT, folder);
  const spec = parse(readFileSync(join(dir, "cases.yaml"), "utf8")) as CaseFile;
  const parsed = parseManifestFiles([base, { file: `${folder}/world.yaml`, text: readFileSync(join(dir, "world.yaml"), "utf8") }]);
  const world = buildWorld(parsed.objects);
  let gw: LiveGateway;
  const echoes: EchoServer[] = [];
  const ports = new Map<string, number>();
  const decisions: Decision[] = [];
  let caseOptions: Record<string, unknown> = {};
  let caseTime: GatewayRequest["time"];

  beforeAll(async () => {
    const endpoints = new Map<string, string[]>();
    for (const s of world.graph.services) {
      for (const p of s.ports) {
        const e = await startEcho({ service: `${s.namespace}/${s.name}`, h2c: H2C.has(p.appProtocol?.toLowerCase() ?? "") });
        echoes.push(e);
        endpoints.set(`${s.namespace}/${s.name}:${p.port}`, [e.address]);
      }
    }
    const listen = new Map(world.graph.listeners.map((l) => [`${l.gateway.namespace}/${l.gateway.name}:${l.port}`, { host: "127.0.0.1", port: 0 }]));
    gw = await startServe({
      world,
      objects: parsed.objects,
      endpoints,
      listen,
      // Align the live draw with the case's (seed, index) so a weighted pick can be compared.
      // And its time: serve decides at its clock's (session expiry, certificate validity).
      decide: (w, r, o) => {
        const d = decide(w, caseTime === undefined ? r : { ...r, time: caseTime }, { ...o, seed: 0, index: 0, ...spec.options, ...caseOptions });
        decisions.push(d);
        return d;
      },
    });
    for (const a of gw.addresses()) ports.set(`${a.gateway}:${a.port}`, a.address.port);
  });

  afterAll(async () => {
    await gw?.close({ drainMs: 0 });
    await Promise.all(echoes.map((e) => e.close()));
  });

  const rows = spec.cases.map((c, i) => {
    const request = { ...spec.defaults, ...c.request } as GatewayRequest;
    const scheme = request.scheme ?? "http";
    const port = request.port ?? (scheme === "https" ? 443 : 80);
    const skip = c.remove
      ? "decides in a world with objects removed"
      : request.clientCertificate
        ? "presents a client certificate"
        : scheme !== "http" && scheme !== "https"
          ? `scheme ${scheme}`
          : decide(world, request, { seed: 0, index: 0, ...spec.options, ...(c.options ?? {}) }).backendTLS
            ? "forwards over TLS to its backend (the echo backends speak plain HTTP)"
            : forwardsToXBackend(decide(world, request, { seed: 0, index: 0, ...spec.options, ...(c.options ?? {}) }))
              ? "forwards to an XBackend's external hostname (test/serve-xbackend.test.ts runs XBackends live, on localhost)"
              : null;
    return { i, c, request: { ...request, scheme, port }, skip };
  });
  const live = rows.filter((r) => r.skip === null);

  if (live.length === 0) {
    // vitest fails a suite with no test; say instead why nothing here runs live, and check it.
    const reasons = [...new Set(rows.map((r) => r.skip))].join("; ");
    it(`runs no case live (${rows.length} cases: ${reasons}); test/http-scenarios.test.ts checks them offline`, () => {
      expect(rows.length).toBeGreaterThan(0);
      for (const { i, c, request, skip } of rows) {
        const d = decide(world, request, { seed: 0, index: 0, ...spec.options, ...(c.options ?? {}) });
        const holds = c.remove ? c.remove.length > 0 : request.clientCertificate ? true : request.scheme !== "http" && request.scheme !== "https" ? true : d.outcome === "forward" && (d.backendTLS !== null || forwardsToXBackend(d));
        expect(holds, `case #${i} (${skip}) could run live`).toBe(true);
      }
    });
  }

  it.each(live.map((r) => [`#${r.i} ${r.request.method ?? "GET"} ${r.request.scheme}://${r.request.host ?? ""}:${r.request.port}${r.request.path ?? "/"}${overHttp2(r.request) ? ` (${r.request.protocol})` : ""}`, r] as const))("%s", async (_t, row) => {
    const { c, request } = row;
    const local = ports.get(`${request.gateway}:${request.port}`);
    if (local === undefined) {
      // Nothing reachable to send to: the offline decision must then refuse the connection.
      expect(decide(world, request, { seed: 0, index: 0 }).outcome).toBe("reject");
      return;
    }
    caseOptions = { ...(c.options ?? {}) };
    caseTime = request.time;
    decisions.length = 0;
    let live: Live | Error;
    try {
      live = await send(local, request);
    } catch (e) {
      live = e as Error;
    }
    const d = decisions[0];
    if (d === undefined) {
      // The connection was refused before any request (TLS with no certificate for the SNI).
      expect(live).toBeInstanceOf(Error);
      expect(decide(world, request, { seed: 0, index: 0, ...spec.options, ...caseOptions }).outcome).toBe("reject");
      return;
    }
    const context = `live decision: ${JSON.stringify(d, null, 1)}`;
    // 1. The request as serve read it off the socket decides as the case expects.
    if (c.status !== undefined && !c.repeat) expect(d.status, context).toBe(c.status);
    if (c.outcome !== undefined) expect(d.outcome, context).toBe(c.outcome);
    if (c.backend !== undefined && !c.repeat) expect(d.backend ? `${d.backend.namespace}/${d.backend.name}` : null, context).toBe(c.backend);
    if (c.route !== undefined) expect(d.route ? `${d.route.namespace}/${d.route.name}` : null, context).toBe(c.route === null ? null : c.route.split("/").slice(0, 2).join("/"));
    // 2. What happened on the wire is what the decision says.
    if (d.outcome === "reject" && !d.status) {
      expect(live, context).toBeInstanceOf(Error);
      return;
    }
    expect(live, context).not.toBeInstanceOf(Error);
    const res = live as Live;
    if (d.outcome === "forward") {
      expect(res.status, `${context}\n${res.body}`).toBe(200);
      const echo = JSON.parse(res.body) as EchoReply;
      expect(echo.service).toBe(`${d.backend!.namespace}/${d.backend!.name}`);
      // serve speaks to the backend what the decision says (from the Service port's appProtocol).
      expect(d.backendProtocol, "plain-HTTP echo backends: cases over TLS are not run live").toMatch(/^(http|h2c)$/);
      expect(echo.protocol, "protocol the backend was spoken to").toBe(d.backendProtocol === "h2c" ? "HTTP/2.0" : "HTTP/1.1");
      expect(echo.method).toBe(d.forwarded!.method);
      expect(echo.path).toBe(d.forwarded!.path);
      // A request sent without Host reaches the backend with the endpoint's address as Host.
      // The client's port stays on the Host unless a filter rewrote the host.
      if (d.forwarded!.host) expect([echo.host, echo.host.replace(/:\d+$/, "")]).toContain(d.forwarded!.host);
      for (const [name, value] of Object.entries(d.forwarded!.headers)) expect(joined(echo.headers[name]), `header ${name}`).toBe(joined(value));
      for (const name of Object.keys(echo.headers)) {
        if (["host", "content-length", "transfer-encoding", "connection"].includes(name)) continue;
        expect(d.forwarded!.headers, `backend got ${name} the decision did not forward`).toHaveProperty(name);
      }
      const edits = d.responseHeaders;
      for (const [name, value] of Object.entries(edits?.set ?? {})) {
        // Node gives set-cookie as a list, a line per entry (never folded): the lines set, then any added after them.
        if (name === "set-cookie") {
          const added = edits!.addAll?.[name] ?? (edits!.add?.[name] === undefined ? [] : [edits!.add[name]!]);
          expect([res.headers[name]].flat(), `header ${name}`).toEqual([...(edits!.setAll?.[name] ?? [value]), ...added]);
        } else expect(res.headers[name], `header ${name}`).toBe(value);
      }
      for (const name of d.responseHeaders?.remove ?? []) if (!(name in (d.responseHeaders?.set ?? {})) && !(name in (d.responseHeaders?.add ?? {}))) expect(res.headers[name]).toBeUndefined();
    } else if (d.outcome === "redirect") {
      expect(res.status).toBe(d.redirect!.status);
      expect(res.headers.location).toBe(d.redirect!.location);
    } else {
      expect(res.status, context).toBe(d.status);
      const respond = (d as { respond?: { headers?: Record<string, string> } }).respond;
      for (const [name, value] of Object.entries(respond?.headers ?? {})) expect(res.headers[name.toLowerCase()]).toBe(value);
    }
  });
});
