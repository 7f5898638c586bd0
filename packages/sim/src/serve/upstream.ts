/**
 * Connections to backends: one upstream per endpoint address and wire protocol, kept alive and
 * reused across requests. HTTP/1.1 goes through an undici Pool; h2c (Service port appProtocol
 * kubernetes.io/h2c, gRPC) through one multiplexed node:http2 session (undici's HTTP/2 client
 * drops response trailers, which gRPC's status lives in); TLS to a backend (BackendTLSPolicy)
 * through a Pool whose connector verifies the backend's certificate.
 */
import http2 from "node:http2";
import type { Readable } from "node:stream";
import { Pool, type Dispatcher } from "undici";
import { identityCheck } from "./backend-tls.js";
import type { HeaderRecord } from "./headers.js";

export type UpstreamProtocol = "http" | "h2c" | "https";

export interface UpstreamTls {
  servername: string;
  /** PEM CA certificates to verify the backend with; the system's when absent. */
  ca?: string[];
  /** A client certificate to present (BackendTLSPolicy clientCertificate). */
  cert?: string;
  key?: string;
  /** `DNS:name` / `URI:uri` the backend certificate must carry instead of the SNI name. */
  subjectAltNames?: string[];
}

export interface UpstreamOptions {
  /** Connections per endpoint for HTTP/1.1 (default 128). */
  connections?: number;
  keepAliveTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export interface UpstreamRequest {
  method: string;
  path: string;
  /** Includes `host`, which HTTP/2 sends as :authority. */
  headers: HeaderRecord;
  body: Buffer | Readable | null;
  signal: AbortSignal;
}

export interface UpstreamResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
  /** Filled once the body has ended. */
  trailers: Record<string, string | string[] | undefined>;
}

export interface Upstream {
  request(r: UpstreamRequest): Promise<UpstreamResponse>;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

/** Reads the rest of a response and throws it away (keeps an HTTP/1.1 connection reusable). */
export function discardBody(body: Readable): void {
  const dump = (body as { dump?: () => Promise<void> }).dump;
  if (typeof dump === "function") dump.call(body).catch(() => undefined);
  else body.destroy();
}

function undiciUpstream(dispatcher: Dispatcher): Upstream {
  return {
    async request(r) {
      const res = await dispatcher.request({ method: r.method as Dispatcher.HttpMethod, path: r.path, headers: r.headers, body: r.body, signal: r.signal });
      return { statusCode: res.statusCode, headers: res.headers, body: res.body, trailers: res.trailers };
    },
    close: () => dispatcher.close(),
    destroy: () => dispatcher.destroy(),
  };
}

const { HTTP2_HEADER_STATUS } = http2.constants;

/** One HTTP/2 cleartext session per endpoint, reopened when it closes. */
function h2cUpstream(address: string, options: UpstreamOptions): Upstream {
  let session: http2.ClientHttp2Session | null = null;
  const connect = (): http2.ClientHttp2Session => {
    if (session && !session.closed && !session.destroyed) return session;
    const s = http2.connect(`http://${address}`);
    s.on("error", () => undefined);
    s.once("close", () => {
      if (session === s) session = null;
    });
    s.setTimeout(options.keepAliveTimeoutMs ?? 60_000, () => s.close());
    session = s;
    return s;
  };
  return {
    request(r) {
      return new Promise((resolve, reject) => {
        const { host, ...rest } = r.headers;
        const headers: http2.OutgoingHttpHeaders = { ...rest, ":method": r.method, ":path": r.path, ":scheme": "http" };
        if (host) headers[":authority"] = Array.isArray(host) ? host[0] : host;
        let stream: http2.ClientHttp2Stream;
        try {
          stream = connect().request(headers, { endStream: r.body === null, signal: r.signal });
        } catch (e) {
          reject(e);
          return;
        }
        let answered = false;
        const trailers: Record<string, string | string[] | undefined> = {};
        stream.once("trailers", (t) => Object.assign(trailers, t));
        stream.once("response", (h) => {
          answered = true;
          const { [HTTP2_HEADER_STATUS]: status, ...headers } = h;
          resolve({ statusCode: Number(status), headers, body: stream, trailers });
        });
        stream.once("error", (e) => {
          if (!answered) reject(e);
        });
        stream.once("close", () => {
          if (!answered) reject(Object.assign(new Error("stream closed before a response"), { code: "ECONNRESET" }));
        });
        if (Buffer.isBuffer(r.body)) stream.end(r.body);
        else if (r.body) {
          r.body.pipe(stream);
          r.body.once("error", () => stream.close(http2.constants.NGHTTP2_CANCEL));
        }
      });
    },
    async close() {
      const s = session;
      session = null;
      if (s && !s.destroyed) await new Promise<void>((done) => s.close(() => done()));
    },
    async destroy() {
      session?.destroy();
      session = null;
    },
  };
}

export class Upstreams {
  private readonly upstreams = new Map<string, Upstream>();

  constructor(private readonly options: UpstreamOptions = {}) {}

  get(address: string, protocol: UpstreamProtocol, tls?: UpstreamTls): Upstream {
    const id = `${protocol}|${address}|${tls ? JSON.stringify(tls) : ""}`;
    let u = this.upstreams.get(id);
    if (!u) {
      u = this.create(address, protocol, tls);
      this.upstreams.set(id, u);
    }
    return u;
  }

  private create(address: string, protocol: UpstreamProtocol, tls?: UpstreamTls): Upstream {
    if (protocol === "h2c") return h2cUpstream(address, this.options);
    const common = {
      keepAliveTimeout: this.options.keepAliveTimeoutMs ?? 4000,
      connectTimeout: this.options.connectTimeoutMs ?? 5000,
      // The route's timeouts are enforced by the adapter itself.
      headersTimeout: 0,
      bodyTimeout: 0,
      connections: this.options.connections ?? 128,
    };
    if (protocol === "https") {
      return undiciUpstream(
        new Pool(`https://${address}`, {
          ...common,
          connect: {
            servername: tls?.servername,
            ...(tls?.ca?.length ? { ca: tls.ca } : {}),
            ...(tls?.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
            checkServerIdentity: identityCheck(tls?.subjectAltNames ?? []),
            rejectUnauthorized: true,
          },
        }),
      );
    }
    return undiciUpstream(new Pool(`http://${address}`, common));
  }

  /** Closes upstreams of addresses no longer in use, after their in-flight requests end. */
  retainOnly(addresses: ReadonlySet<string>): void {
    for (const [id, u] of this.upstreams) {
      if (addresses.has(id.split("|")[1]!)) continue;
      this.upstreams.delete(id);
      u.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    const all = [...this.upstreams.values()];
    this.upstreams.clear();
    await Promise.all(all.map((u) => u.close().catch(() => undefined)));
  }

  async destroy(): Promise<void> {
    const all = [...this.upstreams.values()];
    this.upstreams.clear();
    await Promise.all(all.map((u) => u.destroy().catch(() => undefined)));
  }
}
