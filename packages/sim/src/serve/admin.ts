/**
 * The admin endpoint (`--admin ADDR:PORT`): liveness, readiness, Prometheus metrics and the
 * configuration in force.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { BindAddress } from "./listen.js";
import type { ServeMetrics } from "./metrics.js";

export interface AdminSource {
  ready(): boolean;
  metrics: ServeMetrics;
  config(): unknown;
}

export function startAdmin(bind: BindAddress, source: AdminSource): Promise<{ server: http.Server; address: BindAddress }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), "cache-control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "text/plain", "method not allowed\n");
    switch (path) {
      case "/healthz":
        return send(200, "text/plain", "ok\n");
      case "/readyz":
        return source.ready() ? send(200, "text/plain", "ready\n") : send(503, "text/plain", "not ready\n");
      case "/metrics":
        source.metrics.registry.metrics().then(
          (text) => send(200, source.metrics.registry.contentType, text),
          (e: Error) => send(500, "text/plain", `${e.message}\n`),
        );
        return;
      case "/config":
        return send(200, "application/json", `${JSON.stringify(source.config(), null, 2)}\n`);
      default:
        return send(404, "text/plain", "not found: try /healthz, /readyz, /metrics, /config\n");
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: bind.host, port: bind.port }, () => {
      server.off("error", reject);
      const a = server.address() as AddressInfo;
      resolve({ server, address: { host: a.address, port: a.port } });
    });
  });
}
