/**
 * Echo backends for live tests: each answers with the request it saw (method, path, host,
 * headers, body size) and who it is (service and endpoint name), as JSON. Bound to 127.0.0.1:0.
 */
import http from "node:http";
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
