/**
 * Echo backends for live tests: each answers with the request it saw (method, path, host,
 * headers, body size) and who it is (service and endpoint name), as JSON. Bound to 127.0.0.1:0.
 * HTTP/1.1 by default; `h2c: true` makes one speak only HTTP/2 over cleartext with prior
 * knowledge (a Service port with appProtocol kubernetes.io/h2c), answering the same JSON.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo, Socket } from "node:net";

export interface EchoReply {
  service: string;
  endpoint: string;
  method: string;
  path: string;
  host: string;
  headers: Record<string, string | string[] | undefined>;
  bodyBytes: number;
  protocol: string;
  /** h2c echoes only: the request's pseudo-header fields (`:method`, `:path`, `:authority`, `:scheme`). */
  pseudo?: Record<string, string>;
  /** h2c echoes only: a hash of the body received (sha256, hex), to check it arrived intact. */
  bodySha256?: string;
}

export interface EchoOptions {
  /** The Service this endpoint belongs to (echoed as `service`). */
  service: string;
  /** Endpoint name (echoed as `endpoint`); defaults to the address. */
  endpoint?: string;
  /** Answer with this status instead of 200 (a function sees the request count so far). */
  status?: number | ((n: number) => number);
  /** Never answer (a stalled backend). */
  stall?: boolean;
  /** Speak HTTP/2 over cleartext with prior knowledge only (node:http2, no TLS, no HTTP/1.1). */
  h2c?: boolean;
}

export interface EchoServer {
  address: string;
  port: number;
  service: string;
  endpoint: string;
  /** Requests seen, in order. */
  seen: EchoReply[];
  close(): Promise<void>;
  /** Drops every connection at once and stops listening (a killed backend). */
  kill(): Promise<void>;
}

export async function startEcho(options: EchoOptions): Promise<EchoServer> {
  if (options.h2c) return startH2cEcho(options);
  const sockets = new Set<Socket>();
  const seen: EchoReply[] = [];
  const echo: EchoServer = {
    address: "",
    port: 0,
    service: options.service,
    endpoint: options.endpoint ?? "",
    seen,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
    kill: async () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
  const server = http.createServer((req, res) => {
    let bytes = 0;
    req.on("data", (c: Buffer) => (bytes += c.length));
    req.on("end", () => {
      const reply: EchoReply = {
        service: options.service,
        endpoint: echo.endpoint,
        method: req.method ?? "",
        path: req.url ?? "",
        host: req.headers.host ?? "",
        headers: req.headers,
        bodyBytes: bytes,
        protocol: `HTTP/${req.httpVersion}`,
      };
      seen.push(reply);
      if (options.stall) return;
      const status = typeof options.status === "function" ? options.status(seen.length) : options.status ?? 200;
      const body = JSON.stringify(reply);
      res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), "x-echo-service": options.service });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  echo.port = port;
  echo.address = `127.0.0.1:${port}`;
  if (!echo.endpoint) echo.endpoint = echo.address;
  return echo;
}

/**
 * The h2c echo: the same reply as the HTTP/1.1 echo, read off an HTTP/2 stream. `headers` holds
 * the regular fields only (the pseudo-headers go to `pseudo`), `host` is `:authority` (or a Host
 * field if one was sent instead), `protocol` is "HTTP/2.0".
 */
async function startH2cEcho(options: EchoOptions): Promise<EchoServer> {
  const sessions = new Set<http2.ServerHttp2Session>();
  const seen: EchoReply[] = [];
  const server = http2.createServer();
  const echo: EchoServer = {
    address: "",
    port: 0,
    service: options.service,
    endpoint: options.endpoint ?? "",
    seen,
    close: async () => {
      for (const s of sessions) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
    kill: async () => {
      server.close();
      for (const s of sessions) s.destroy();
    },
  };
  server.on("session", (s) => {
    sessions.add(s);
    s.once("close", () => sessions.delete(s));
  });
  server.on("request", (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
    const hash = createHash("sha256");
    let bytes = 0;
    req.on("data", (c: Buffer) => {
      bytes += c.length;
      hash.update(c);
    });
    req.on("end", () => {
      const headers: Record<string, string | string[] | undefined> = {};
      const pseudo: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (name.startsWith(":")) pseudo[name] = String(value);
        else headers[name] = value;
      }
      const reply: EchoReply = {
        service: options.service,
        endpoint: echo.endpoint,
        method: req.method,
        path: req.url,
        host: pseudo[":authority"] ?? (headers.host as string | undefined) ?? "",
        headers,
        bodyBytes: bytes,
        protocol: `HTTP/${req.httpVersion}`,
        pseudo,
        bodySha256: hash.digest("hex"),
      };
      seen.push(reply);
      if (options.stall) return;
      const status = typeof options.status === "function" ? options.status(seen.length) : options.status ?? 200;
      const body = JSON.stringify(reply);
      res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), "x-echo-service": options.service });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  echo.port = port;
  echo.address = `127.0.0.1:${port}`;
  if (!echo.endpoint) echo.endpoint = echo.address;
  return echo;
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json<T = EchoReply>(): T;
}

/** One HTTP/1.1 request with node:http (raw paths are sent exactly as given). */
export function request(
  port: number,
  options: { path?: string; method?: string; host?: string; headers?: Record<string, string | string[]>; body?: string | Buffer; agent?: http.Agent | false; timeoutMs?: number } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = { ...(options.headers ?? {}) };
    if (options.host !== undefined) headers.host = options.host;
    const req = http.request(
      { host: "127.0.0.1", port, path: options.path ?? "/", method: options.method ?? "GET", headers, agent: options.agent ?? false, timeout: options.timeoutMs ?? 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body) as T });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("client timeout")));
    req.on("error", reject);
    req.end(options.body);
  });
}
