/**
 * Connections to backends: one upstream per endpoint address and wire protocol, kept alive and
 * reused across requests. HTTP/1.1 goes through an undici Pool; HTTP/2 (Service port appProtocol
 * kubernetes.io/h2c, gRPC) through one multiplexed node:http2 session (undici's HTTP/2 client
 * drops response trailers, which gRPC's status lives in); TLS to a backend (BackendTLSPolicy)
 * verifies the backend's certificate, for either (HTTP/2 over TLS by ALPN h2).
 *
 * A request is dispatched with callbacks rather than awaited as a promise of a stream: the
 * response's head and chunks go straight to the client's response, with no Readable, promise
 * or AbortSignal per request (undici's `dispatch`, the API its own `request` is built on).
 */
import http2 from "node:http2";
import type { Readable } from "node:stream";
import { Pool, type Dispatcher } from "undici";
import { identityCheck } from "./backend-tls.js";

/** HTTP/1.1 or HTTP/2, each in cleartext or over TLS (BackendTLSPolicy). */
export type UpstreamProtocol = "http" | "h2c" | "https" | "h2";

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
  /** Flat name/value list with lower-case names; includes `host`, which HTTP/2 sends as :authority. */
  headers: (string | string[])[];
  body: Buffer | Readable | null;
}

/** What the caller can do with a request in flight. */
export interface UpstreamCall {
  /** Ends the request; `onError` follows with the error unless the response already completed. */
  abort(error: Error): void;
  /** Resumes a body paused by `onData` returning false. */
  resume(): void;
}

/** Callbacks of one upstream request, in order: start, head, data*, complete, or error at any point. */
export interface ResponseHandler {
  onStart(call: UpstreamCall): void;
  /**
   * Status and headers as a flat name/value list, names lower-case. `endStream`: the head ends
   * the response (an HTTP/2 HEADERS frame with END_STREAM: gRPC's Trailers-Only form).
   */
  onHead(status: number, headers: string[], endStream?: boolean): void;
  /** A body chunk; false pauses the body until `call.resume()`. */
  onData(chunk: Buffer): boolean;
  /** Trailers as a flat list (empty when none). */
  onComplete(trailers: string[]): void;
  onError(error: Error): void;
}

export interface Upstream {
  dispatch(r: UpstreamRequest, handler: ResponseHandler): void;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

/** Buffer name/value pairs from undici → strings, names lower-case. */
function rawToFlat(raw: Buffer[] | string[] | null | undefined): string[] {
  if (!raw) return [];
  const out = new Array<string>(raw.length);
  for (let i = 0; i + 1 < raw.length; i += 2) {
    out[i] = raw[i]!.toString("latin1").toLowerCase();
    out[i + 1] = raw[i + 1]!.toString("latin1");
  }
  return out;
}

/** undici's dispatch handler (its core interface) in front of a ResponseHandler. */
class UndiciBridge implements Dispatcher.DispatchHandler {
  private resumeFn: (() => void) | null = null;
  private abortFn: ((e: Error) => void) | null = null;
  private pendingAbort: Error | null = null;

  constructor(private readonly handler: ResponseHandler) {}

  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
    if (this.pendingAbort) abort(this.pendingAbort);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    this.resumeFn = resume;
    this.handler.onHead(statusCode, rawToFlat(rawHeaders));
    return true;
  }

  onData(chunk: Buffer): boolean {
    return this.handler.onData(chunk);
  }

  onComplete(trailers: string[] | null): void {
    this.handler.onComplete(rawToFlat(trailers));
  }

  onError(err: Error): void {
    this.handler.onError(err);
  }

  /** The UpstreamCall side. */
  abort(error: Error): void {
    if (this.abortFn) this.abortFn(error);
    else this.pendingAbort = error;
  }

  resume(): void {
    this.resumeFn?.();
  }
}

/**
 * `servername`: the BackendTLSPolicy hostname. undici otherwise takes each request's Host header
 * as the SNI and the name the certificate is checked against; the policy's hostname MUST be
 * both (BackendTLSPolicyValidation Hostname).
 */
function undiciUpstream(pool: Pool, servername?: string): Upstream {
  const tlsName = servername ? { servername } : {};
  return {
    dispatch(r, handler) {
      const bridge = new UndiciBridge(handler);
      handler.onStart(bridge);
      try {
        pool.dispatch({ method: r.method as Dispatcher.HttpMethod, path: r.path, headers: r.headers as string[], body: r.body, ...tlsName }, bridge);
      } catch (e) {
        // Invalid options (a header value the backend protocol cannot carry): answered as an error.
        handler.onError(e as Error);
      }
    },
    close: () => pool.close(),
    destroy: () => pool.destroy(),
  };
}

const { HTTP2_HEADER_STATUS, NGHTTP2_CANCEL, NGHTTP2_FLAG_END_STREAM } = http2.constants;

function objectToFlat(headers: http2.IncomingHttpHeaders, skip: string | null): string[] {
  const out: string[] = [];
  for (const name in headers) {
    if (name === skip) continue;
    const v = headers[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const one of v) out.push(name, one);
    else out.push(name, String(v));
  }
  return out;
}

/** TLS options for a backend connection (BackendTLSPolicy): verified, with the policy's SNI. */
export function tlsConnectOptions(tls: UpstreamTls | undefined) {
  return {
    servername: tls?.servername,
    ...(tls?.ca?.length ? { ca: tls.ca } : {}),
    ...(tls?.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
    checkServerIdentity: identityCheck(tls?.subjectAltNames ?? []),
    rejectUnauthorized: true,
  };
}

/**
 * One HTTP/2 session per endpoint, reopened when it closes: cleartext with prior knowledge
 * (h2c), or over TLS with ALPN h2 when `tls` is given.
 */
function h2Upstream(address: string, options: UpstreamOptions, tls?: UpstreamTls): Upstream {
  let session: http2.ClientHttp2Session | null = null;
  const connect = (): http2.ClientHttp2Session => {
    if (session && !session.closed && !session.destroyed) return session;
    const s = tls ? http2.connect(`https://${address}`, { ...tlsConnectOptions(tls), ALPNProtocols: ["h2"] }) : http2.connect(`http://${address}`);
    s.on("error", () => undefined);
    s.once("close", () => {
      if (session === s) session = null;
    });
    s.setTimeout(options.keepAliveTimeoutMs ?? 60_000, () => s.close());
    session = s;
    return s;
  };
  return {
    dispatch(r, handler) {
      const headers: http2.OutgoingHttpHeaders = { ":method": r.method, ":path": r.path, ":scheme": tls ? "https" : "http" };
      for (let i = 0; i + 1 < r.headers.length; i += 2) {
        const name = r.headers[i] as string;
        const value = r.headers[i + 1]!;
        if (name === "host") headers[":authority"] = Array.isArray(value) ? value[0] : value;
        else {
          const prior = headers[name];
          headers[name] = prior === undefined ? value : ([] as string[]).concat(prior as string | string[], value);
        }
      }
      let stream: http2.ClientHttp2Stream;
      let settled = false;
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        handler.onError(e);
      };
      try {
        stream = connect().request(headers, { endStream: r.body === null });
      } catch (e) {
        handler.onStart({ abort: () => undefined, resume: () => undefined });
        fail(e as Error);
        return;
      }
      handler.onStart({
        abort: (e) => {
          if (!stream.destroyed) stream.close(NGHTTP2_CANCEL);
          fail(e);
        },
        resume: () => stream.resume(),
      });
      let trailers: string[] = [];
      stream.once("trailers", (t) => (trailers = objectToFlat(t, null)));
      stream.once("response", (h, flags) => {
        handler.onHead(Number(h[HTTP2_HEADER_STATUS]), objectToFlat(h, HTTP2_HEADER_STATUS), (flags & NGHTTP2_FLAG_END_STREAM) !== 0);
        stream.on("data", (chunk: Buffer) => {
          if (!settled && !handler.onData(chunk)) stream.pause();
        });
        stream.once("end", () => {
          if (settled) return;
          settled = true;
          handler.onComplete(trailers);
        });
      });
      stream.once("error", fail);
      stream.once("close", () => fail(Object.assign(new Error("stream closed before the response ended"), { code: "ECONNRESET" })));
      if (Buffer.isBuffer(r.body)) stream.end(r.body);
      else if (r.body) {
        r.body.pipe(stream);
        r.body.once("error", () => stream.close(NGHTTP2_CANCEL));
      }
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

/** A handler that reads a response to its end and drops it (mirrors: the answer is ignored). */
export class DiscardHandler implements ResponseHandler {
  private call: UpstreamCall | null = null;
  private readonly timer: NodeJS.Timeout;
  private timedOut = false;

  /** `failed` hears why a copy did not get a complete answer (for the mirror failure counter). */
  constructor(
    timeoutMs: number,
    private readonly failed?: (reason: "connect_error" | "timeout" | "error") => void,
  ) {
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.call?.abort(new Error("mirror timeout"));
    }, timeoutMs);
    this.timer.unref();
  }

  onStart(call: UpstreamCall): void {
    this.call = call;
  }
  onHead(): void {}
  onData(): boolean {
    return true;
  }
  onComplete(): void {
    clearTimeout(this.timer);
  }
  onError(error: Error): void {
    clearTimeout(this.timer);
    const code = (error as NodeJS.ErrnoException).code ?? (error as { cause?: NodeJS.ErrnoException }).cause?.code ?? "";
    this.failed?.(this.timedOut ? "timeout" : MIRROR_CONNECT_ERRORS.has(code) ? "connect_error" : "error");
  }
}

const MIRROR_CONNECT_ERRORS = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "EADDRNOTAVAIL", "UND_ERR_CONNECT_TIMEOUT"]);

export class Upstreams {
  /** Each upstream with the generation (count of retainOnly calls) in which it was last asked for. */
  private readonly upstreams = new Map<string, { upstream: Upstream; used: number }>();
  private generation = 0;

  constructor(private readonly options: UpstreamOptions = {}) {}

  /** Upstreams kept (pools and sessions, open or not). */
  get size(): number {
    return this.upstreams.size;
  }

  /** `tlsId` names the TLS settings (the same id for the same settings); "" without TLS. */
  get(address: string, protocol: UpstreamProtocol, tls?: UpstreamTls, tlsId = tls ? JSON.stringify(tls) : ""): Upstream {
    const id = `${protocol}|${address}|${tlsId}`;
    let entry = this.upstreams.get(id);
    if (!entry) {
      entry = { upstream: this.create(address, protocol, tls), used: this.generation };
      this.upstreams.set(id, entry);
    } else entry.used = this.generation;
    return entry.upstream;
  }

  private create(address: string, protocol: UpstreamProtocol, tls?: UpstreamTls): Upstream {
    if (protocol === "h2c") return h2Upstream(address, this.options);
    if (protocol === "h2") return h2Upstream(address, this.options, tls);
    const common = {
      keepAliveTimeout: this.options.keepAliveTimeoutMs ?? 4000,
      connectTimeout: this.options.connectTimeoutMs ?? 5000,
      // The route's timeouts are enforced by the adapter itself.
      headersTimeout: 0,
      bodyTimeout: 0,
      connections: this.options.connections ?? 128,
    };
    if (protocol === "https") {
      return undiciUpstream(new Pool(`https://${address}`, { ...common, connect: tlsConnectOptions(tls) }), tls?.servername);
    }
    return undiciUpstream(new Pool(`http://${address}`, common));
  }

  /**
   * On a reload: closes, after their in-flight requests end, the upstreams of addresses no longer
   * in use, and those nobody asked for during the whole configuration that just ended. The
   * second kind are above all upstreams of an address whose wire settings changed (a
   * BackendTLSPolicy's hostname or CA bundle, a port's appProtocol): requests now go to another
   * upstream of the same address, and the old one stayed in the map for good, one more per
   * certificate rotation. An idle upstream of a backend still in force is closed too; the next
   * request opens it again.
   */
  retainOnly(addresses: ReadonlySet<string>): void {
    const previous = this.generation;
    this.generation++;
    for (const [id, entry] of this.upstreams) {
      if (addresses.has(id.split("|")[1]!) && entry.used >= previous) continue;
      this.upstreams.delete(id);
      entry.upstream.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    const all = [...this.upstreams.values()];
    this.upstreams.clear();
    await Promise.all(all.map((e) => e.upstream.close().catch(() => undefined)));
  }

  async destroy(): Promise<void> {
    const all = [...this.upstreams.values()];
    this.upstreams.clear();
    await Promise.all(all.map((e) => e.upstream.destroy().catch(() => undefined)));
  }
}
