/**
 * Connections to backends: one undici dispatcher per endpoint address and wire protocol,
 * kept alive and reused across requests. HTTP/1.1 goes through a Pool; h2c (Service port
 * appProtocol kubernetes.io/h2c, gRPC) through one multiplexed HTTP/2 connection; TLS to a
 * backend (BackendTLSPolicy) through a Pool whose connector verifies the backend.
 */
import { H2CClient, Pool, type Dispatcher } from "undici";

export type UpstreamProtocol = "http" | "h2c" | "https";

export interface UpstreamTls {
  servername: string;
  ca?: string[];
  /** Extra names the certificate may carry (BackendTLSPolicy subjectAltNames of type Hostname). */
  altNames?: string[];
}

export interface UpstreamOptions {
  /** Connections per endpoint for HTTP/1.1 (default 128). */
  connections?: number;
  keepAliveTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export class Upstreams {
  private readonly dispatchers = new Map<string, Dispatcher>();

  constructor(private readonly options: UpstreamOptions = {}) {}

  get(address: string, protocol: UpstreamProtocol, tls?: UpstreamTls): Dispatcher {
    const id = `${protocol}|${address}|${tls ? `${tls.servername}|${(tls.ca ?? []).join("")}` : ""}`;
    let d = this.dispatchers.get(id);
    if (!d) {
      d = this.create(address, protocol, tls);
      this.dispatchers.set(id, d);
    }
    return d;
  }

  private create(address: string, protocol: UpstreamProtocol, tls?: UpstreamTls): Dispatcher {
    const common = {
      keepAliveTimeout: this.options.keepAliveTimeoutMs ?? 4000,
      connectTimeout: this.options.connectTimeoutMs ?? 5000,
      // Timeouts of the route are enforced by the adapter; these only bound idle waits.
      headersTimeout: 0,
      bodyTimeout: 0,
    };
    if (protocol === "h2c") return new H2CClient(`http://${address}`, { ...common, pipelining: 100 });
    if (protocol === "https") {
      return new Pool(`https://${address}`, {
        ...common,
        connections: this.options.connections ?? 128,
        connect: {
          servername: tls?.servername,
          ...(tls?.ca?.length ? { ca: tls.ca } : {}),
          rejectUnauthorized: true,
        },
      });
    }
    return new Pool(`http://${address}`, { ...common, connections: this.options.connections ?? 128 });
  }

  /** Closes dispatchers of addresses no longer in use, after their in-flight requests end. */
  retainOnly(addresses: ReadonlySet<string>): void {
    for (const [id, d] of this.dispatchers) {
      const address = id.split("|")[1]!;
      if (addresses.has(address)) continue;
      this.dispatchers.delete(id);
      d.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    const all = [...this.dispatchers.values()];
    this.dispatchers.clear();
    await Promise.all(all.map((d) => d.close().catch(() => undefined)));
  }

  async destroy(): Promise<void> {
    const all = [...this.dispatchers.values()];
    this.dispatchers.clear();
    await Promise.all(all.map((d) => d.destroy().catch(() => undefined)));
  }
}
