/**
 * The sockets of one frontend (a Gateway's port): a TCP server that hands each connection to
 * HTTP/1.1 or HTTP/2 (h2c by its connection preface; over TLS by ALPN), terminating TLS with the
 * certificate SNI selects. A server with a lifetime, so a class.
 */
import http, { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import http2, { type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import net, { type AddressInfo, type Socket } from "node:net";
import tls, { type TLSSocket } from "node:tls";
import { Duplex } from "node:stream";
import type { ResolvedListener } from "@gwsim/core";
import type { FrontendPlan, BindAddress } from "./listen.js";
import { hostRefusal } from "./host.js";
import { handleHttp, type FrontendInfo, type HttpContext } from "./proxy.js";
import { endSocket, rawResponse } from "./raw.js";
import { handleWebSocket, handleWebSocketH2 } from "./websocket.js";
import { certificateFor, listenerForServerName, parseClientHello, secureContextFor } from "./tls.js";
import { headerListSize, watchRefusedStreams } from "./h2-limits.js";
import { keepAlive } from "./keepalive.js";

export interface Limits {
  /** Time a client has to send complete request headers (slow clients get 408). */
  headersTimeoutMs: number;
  /** Time a client has to send a whole request, body included. */
  requestTimeoutMs: number;
  /** Idle time before a kept-alive client connection is closed. */
  keepAliveTimeoutMs: number;
  /**
   * Largest request head accepted; larger gets 431. Over HTTP/2 the header list as RFC 9113
   * §6.5.2 counts it (each field's name and value plus 32 octets).
   */
  maxHeaderSize: number;
  /** Time for a TLS handshake or a ClientHello to arrive. */
  handshakeTimeoutMs: number;
  /** How often slow clients are looked for. */
  checkIntervalMs: number;
  /**
   * How long a response may wait for a client that reads none of it (its buffers full) before the
   * gateway gives up on the client: the response is cut and the backend connection freed.
   */
  clientStallTimeoutMs: number;
}

export const DEFAULT_LIMITS: Limits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 5_000,
  maxHeaderSize: 16 * 1024,
  handshakeTimeoutMs: 10_000,
  checkIntervalMs: 1_000,
  // Implementation-specific: nginx's send_timeout (60 s between two writes the client takes).
  clientStallTimeoutMs: 60_000,
};

/** Hooks a frontend needs besides the HTTP context. */
export interface FrontendHooks {
  /** The listeners of this frontend in the world now in force (certificates follow reloads). */
  listeners(): ResolvedListener[];
  /** A TLS connection to a Passthrough listener: forwarded as bytes, never terminated. */
  passthrough?(socket: Socket, serverName: string | null, head: Buffer): void;
  /** A TLS connection a TLS (not HTTPS) listener terminated: its plaintext is a stream, not HTTP. */
  terminatedStream?(socket: TLSSocket): void;
  connectionOpened(frontend: string): void;
  connectionClosed(frontend: string): void;
  /** A request the gateway answered itself without routing it (`OPTIONS *`), counted and logged. */
  answered(frontend: string, answer: SelfAnswer): void;
  /** A request the HTTP parser refused (400, 408, 431), counted and logged. */
  refused(frontend: string, status: number, reason: string): void;
  /** A TLS connection refused in the handshake (CONTRACT's `reject`), counted and logged. */
  tlsRejected?(frontend: string, rejection: TlsRejection): void;
  /** True once draining: responses then close their connection. */
  draining(): boolean;
}

/** A request the gateway answered for itself, as the access log says it. */
export interface SelfAnswer {
  method: string;
  host: string | null;
  path: string;
  protocol: "HTTP/1.1" | "HTTP/2";
  status: number;
  reason: string;
}

/** Whether a request is `OPTIONS *` (asterisk-form; over HTTP/2, `:path` "*"). */
function isAsteriskOptions(req: IncomingMessage | Http2ServerRequest): boolean {
  return req.method === "OPTIONS" && req.url === "*";
}

/** Why a TLS handshake was refused: `reason` is a metric label (few values), `detail` for the log. */
export interface TlsRejection {
  reason: "no_listener" | "no_certificate" | "not_tls" | "timeout" | "handshake_failed";
  detail: string;
  sni: string | null;
}

const NO_LISTENER = "GWSIM_NO_LISTENER";
const NO_CERTIFICATE = "GWSIM_NO_CERTIFICATE";

/**
 * What a failed handshake is reported as, or null when the client just went away before its
 * ClientHello (a port probe, a load balancer's TCP check): nothing was refused, and logging each
 * would drown the log.
 */
export function tlsRejection(err: NodeJS.ErrnoException, sni: string | null): TlsRejection | null {
  const code = err.code ?? "";
  if (code === "ECONNRESET" || code === "EPIPE" || (!code && /socket hang up/i.test(err.message))) return null;
  if (code === NO_LISTENER) return { reason: "no_listener", detail: err.message, sni };
  if (code === NO_CERTIFICATE) return { reason: "no_certificate", detail: err.message, sni };
  if (code === "ERR_SSL_HTTP_REQUEST") return { reason: "not_tls", detail: "plain HTTP sent to a TLS port (use https://)", sni };
  if (code === "ERR_TLS_HANDSHAKE_TIMEOUT") return { reason: "timeout", detail: "no complete TLS handshake in time", sni };
  const first = err.message.split("\n")[0]!.trim();
  return { reason: "handshake_failed", detail: `TLS handshake failed: ${code ? `${code}: ` : ""}${first}`, sni };
}

/** What the gateway needs of any frontend, whatever its protocol. */
export interface Frontend {
  readonly plan: FrontendPlan;
  listen(): Promise<AddressInfo>;
  address(): BindAddress | null;
  readonly openConnections: number;
  stopAccepting(): void;
  closeIdle(): void;
  refreshDefaultCertificate(): void;
  destroy(): void;
}

/** A duplex over `socket` whose readable side starts with `head` (bytes already read). */
function replaying(socket: Socket, head: Buffer): Duplex {
  const stream = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(error, callback) {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });
  stream.push(head);
  socket.on("data", (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.once("end", () => stream.push(null));
  socket.once("close", () => stream.destroy());
  Object.defineProperty(stream, "remoteAddress", { get: () => socket.remoteAddress });
  return stream;
}

/** `10s`, `1.5s`, `200ms`: a limit as a person reads it. */
function formatMs(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toFixed(3))}s` : `${ms}ms`;
}

const TEXT_PLAIN = "text/plain; charset=utf-8";

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** Header fields an HTTP/2 request may have before node resets its stream (node's HTTP/1.1 maxHeadersCount). */
const H2_MAX_FIELDS = 2000;

const CLIENT_ERROR_STATUS: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_HEADERS_TIMEOUT: 408,
};

/** RFC 9110 §15.5.6: a 405 names the methods that are served. */
const ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
const NO_TUNNEL = "CONNECT is not served: a gateway is no forward proxy";

export class HttpFrontend implements Frontend {
  readonly info: FrontendInfo;
  private readonly outer: net.Server;
  private readonly h1: http.Server;
  private readonly h2: http2.Http2Server;
  private readonly tlsServer: tls.Server | null;
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  /** The newest response on each HTTP/1.1 connection: a parse error waits for it (pipelining). */
  private readonly lastResponse = new WeakMap<object, ServerResponse>();
  /** Connections whose parse error has been answered (the parser reports it again on more data). */
  private readonly refusedSockets = new WeakSet<object>();
  private bound: AddressInfo | null = null;

  constructor(
    readonly plan: FrontendPlan,
    private readonly ctx: HttpContext,
    private readonly hooks: FrontendHooks,
    private readonly limits: Limits,
  ) {
    const secure = plan.kind === "tls";
    this.info = { key: plan.key, gateway: plan.gateway, port: plan.port, scheme: secure ? "https" : "http" };
    this.h1 = http.createServer({
      maxHeaderSize: limits.maxHeaderSize,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
      // A request without Host is the core's to judge (as in `gwsim route`), not the parser's.
      requireHostHeader: false,
    });
    // This server never listens itself (connections are handed to it), so start its slow-client
    // checks (headersTimeout, requestTimeout) the way `listen` would.
    this.h1.emit("listening");
    this.h1.on("request", (req: IncomingMessage, res: ServerResponse) => {
      this.lastResponse.set(req.socket, res);
      if (hooks.draining()) res.shouldKeepAlive = false;
      const badHost = hostRefusal(req.rawHeaders, false, this.info.scheme, req.url);
      if (badHost) return this.refuseRequest(res, 400, badHost);
      if (isAsteriskOptions(req)) return this.answerAsteriskOptions(req, res);
      handleHttp(ctx, this.info, req, res);
    });
    this.h1.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => this.clientError(err, socket));
    this.h1.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!/^websocket$/i.test(String(req.headers.upgrade ?? ""))) return this.withoutUpgrade(req, socket, head);
      const badHost = hostRefusal(req.rawHeaders, false, this.info.scheme, req.url);
      if (badHost) return this.refuseRaw(socket, 400, badHost);
      handleWebSocket(ctx, this.info, req, socket, head);
    });
    // A plain CONNECT asks for a tunnel to anywhere: a gateway is no forward proxy (node would
    // close the connection without a word when nothing listens for it).
    this.h1.on("connect", (_req: IncomingMessage, socket: Duplex) => this.refuseRaw(socket, 405, NO_TUNNEL, { allow: ALLOWED_METHODS }));
    // SETTINGS_ENABLE_CONNECT_PROTOCOL: clients may open WebSockets over HTTP/2 (RFC 8441).
    // More fields than maxHeaderListPairs get the stream reset before serve sees it (see
    // h2-limits.ts): node's HTTP/1.1 field limit (maxHeadersCount 2000) keeps that rare; the size
    // limit is serve's own check, answered 431 as over HTTP/1.1.
    this.h2 = http2.createServer({ maxSessionMemory: 64, maxHeaderListPairs: H2_MAX_FIELDS, settings: { enableConnectProtocol: true } });
    this.h2.on("request", (req, res) => {
      if (this.refusedHead(req, res)) return;
      if (isAsteriskOptions(req)) return this.answerAsteriskOptions(req, res);
      handleHttp(ctx, this.info, req, res);
    });
    this.h2.on("connect", (req, res) => {
      if (req.headers[":protocol"] === "websocket") {
        if (!this.refusedHead(req, res)) handleWebSocketH2(ctx, this.info, req, res);
        return;
      }
      // A plain CONNECT asks for a tunnel to anywhere: a gateway is no forward proxy.
      hooks.refused(this.plan.key, 405, NO_TUNNEL);
      res.writeHead(405, { allow: ALLOWED_METHODS });
      res.end();
    });
    this.h2.on("session", (session) => {
      this.sessions.add(session);
      session.once("close", () => this.sessions.delete(session));
      session.on("error", () => undefined);
      watchRefusedStreams(session, H2_MAX_FIELDS, (reason) => hooks.refused(this.plan.key, 0, reason));
      if (hooks.draining()) session.close();
    });
    // Session errors (a header block in too many CONTINUATION frames among them) are reported by
    // watchRefusedStreams.
    this.h2.on("sessionError", () => undefined);
    this.h2.setTimeout(Math.max(limits.keepAliveTimeoutMs, 60_000));

    this.tlsServer = secure ? this.createTlsServer() : null;
    this.outer = net.createServer({ pauseOnConnect: false }, (socket) => this.accept(socket));
    this.outer.on("error", () => undefined);
  }

  private createTlsServer(): tls.Server {
    const needsClientCert = this.plan.listeners.some((l) => l.tls?.frontendValidation);
    const server = tls.createServer({
      ALPNProtocols: ["h2", "http/1.1"],
      handshakeTimeout: this.limits.handshakeTimeoutMs,
      // Client certificates are asked for where a listener validates them; the core judges them.
      requestCert: needsClientCert,
      rejectUnauthorized: false,
      SNICallback: (serverName, cb) => {
        const found = this.contextFor(serverName);
        if (found.ctx) return cb(null, found.ctx);
        // The reason travels to tlsClientError, which logs and counts the refusal.
        const e: NodeJS.ErrnoException = found.listener
          ? Object.assign(new Error(`listener ${found.listener} has no usable certificate for server name "${serverName}"`), { code: NO_CERTIFICATE })
          : Object.assign(new Error(`no listener for server name "${serverName}" on this port (its listeners take ${this.hostnamesHere()})`), { code: NO_LISTENER });
        cb(e);
      },
    });
    this.refreshDefaultCertificate(server);
    server.on("secureConnection", (socket: TLSSocket) => {
      // The listener the handshake picked (contextFor's): a TLS listener routes the stream by
      // TLSRoute or TCPRoute, an HTTPS one reads HTTP inside.
      const serverName = typeof socket.servername === "string" && socket.servername ? socket.servername : null;
      if (this.hooks.terminatedStream && listenerForServerName(this.terminating(), serverName)?.protocol === "TLS") return this.hooks.terminatedStream(socket);
      if (socket.alpnProtocol === "h2") this.h2.emit("connection", socket);
      else this.h1.emit("connection", socket);
    });
    server.on("tlsClientError", (err: NodeJS.ErrnoException, socket: TLSSocket) => {
      const rejection = tlsRejection(err, typeof socket.servername === "string" && socket.servername ? socket.servername : null);
      if (rejection) this.hooks.tlsRejected?.(this.plan.key, rejection);
      socket.destroy();
    });
    return server;
  }

  /** The hostnames this port's listeners take, for a refusal that says what would have been served. */
  private hostnamesHere(): string {
    const names = [...new Set(this.hooks.listeners().map((l) => l.hostname ?? "any name"))];
    return names.length ? names.join(", ") : "nothing";
  }

  private terminating(): ResolvedListener[] {
    return this.hooks.listeners().filter((l) => l.tls?.mode !== "Passthrough");
  }

  private contextFor(serverName: string | null): { ctx: tls.SecureContext | null; listener: string | null } {
    const listener = listenerForServerName(this.terminating(), serverName);
    const cert = listener ? certificateFor(listener, serverName) : null;
    const name = listener ? `${listener.gateway.namespace}/${listener.gateway.name}/${listener.name}` : null;
    return { ctx: cert ? secureContextFor(cert) : null, listener: name };
  }

  /** Clients that send no SNI get the certificate of the first terminating listener. */
  refreshDefaultCertificate(server = this.tlsServer): void {
    if (!server) return;
    const listener = listenerForServerName(this.terminating(), null);
    const cert = listener ? certificateFor(listener, null) : null;
    if (cert?.certPem && cert.keyPem) {
      try {
        server.setSecureContext({ cert: cert.certPem, key: cert.keyPem });
      } catch {
        // An unusable default certificate leaves SNI clients unaffected.
      }
    }
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    this.hooks.connectionOpened(this.plan.key);
    socket.once("close", () => {
      this.sockets.delete(socket);
      this.hooks.connectionClosed(this.plan.key);
    });
    socket.on("error", () => undefined);
    socket.setNoDelay(true);
    keepAlive(socket);
    if (this.tlsServer) {
      const passthrough = this.hooks.listeners().some((l) => l.tls?.mode === "Passthrough");
      if (!passthrough) return void this.tlsServer.emit("connection", socket);
      return this.sniff(socket);
    }
    this.sniffPreface(socket);
  }

  /** h2c with prior knowledge starts with the HTTP/2 preface; anything else is HTTP/1.x. */
  private sniffPreface(socket: Socket): void {
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), this.limits.headersTimeoutMs);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const n = Math.min(head.length, H2_PREFACE.length);
      const isH2 = head.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (isH2 && head.length < H2_PREFACE.length) return;
      clearTimeout(timer);
      socket.off("data", onData);
      socket.pause();
      socket.unshift(head);
      // http2 reads what is already buffered on the socket itself; HTTP/1 needs the flow resumed.
      if (isH2) this.h2.emit("connection", socket);
      else {
        this.h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
    socket.once("close", () => clearTimeout(timer));
  }

  /** TLS with Passthrough listeners: read the ClientHello's SNI, then terminate or pass through. */
  private sniff(socket: Socket): void {
    let head = Buffer.alloc(0);
    // A client that opens the connection and sends no (whole) ClientHello: refused as a stalled
    // handshake is on a terminating port (tlsClientError's ERR_TLS_HANDSHAKE_TIMEOUT).
    const timer = setTimeout(() => {
      const what = head.length ? `an incomplete ClientHello (${head.length} bytes)` : "no ClientHello";
      this.hooks.tlsRejected?.(this.plan.key, { reason: "timeout", detail: `${what} within ${formatMs(this.limits.handshakeTimeoutMs)}`, sni: null });
      socket.destroy();
    }, this.limits.handshakeTimeoutMs);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const hello = parseClientHello(head);
      if (hello.kind === "incomplete" && head.length < 16 * 1024 + 5) return;
      clearTimeout(timer);
      socket.off("data", onData);
      socket.pause();
      const serverName = hello.kind === "hello" ? hello.serverName : null;
      const listener = listenerForServerName(this.hooks.listeners(), serverName);
      if (listener?.tls?.mode === "Passthrough" && this.hooks.passthrough) {
        this.hooks.passthrough(socket, serverName, head);
        return;
      }
      // TLS reads the socket's handle directly, past anything unshifted: hand it a stream that
      // replays the ClientHello first.
      this.tlsServer!.emit("connection", replaying(socket, head));
    };
    socket.on("data", onData);
    socket.once("close", () => clearTimeout(timer));
  }

  /**
   * Any other Upgrade (`h2c` from `curl --http2 http://...`, or a protocol gwsim does not relay)
   * is ignored, as RFC 9110 §7.8 allows and Envoy does for h2c: the request is handed back to the
   * HTTP/1.1 parser without its Upgrade, Connection tokens `upgrade`/`http2-settings` and
   * HTTP2-Settings, and served as any request (decided, counted, logged, recorded; the body and
   * later requests on the connection follow as usual).
   */
  private withoutUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const lines = [`${req.method ?? "GET"} ${req.url ?? "/"} HTTP/${req.httpVersion}`];
    const raw = req.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      if (name === "upgrade" || name === "http2-settings") continue;
      let value = raw[i + 1]!;
      if (name === "connection") {
        value = value.split(",").map((t) => t.trim()).filter((t) => t && !/^(?:upgrade|http2-settings)$/i.test(t)).join(", ");
        if (!value) continue;
      }
      lines.push(`${raw[i]}: ${value}`);
    }
    // The parser gave the header strings as latin1 (one char per byte): written back as such.
    socket.unshift(Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), head]));
    this.h1.emit("connection", socket);
    socket.resume();
  }

  private clientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    if (err.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    if (this.refusedSockets.has(socket)) return;
    this.refusedSockets.add(socket);
    const status = CLIENT_ERROR_STATUS[err.code ?? ""] ?? 400;
    this.hooks.refused(this.plan.key, status, `${err.code ?? "error"}: ${err.message}`);
    const text = rawResponse(status, { "content-type": TEXT_PLAIN }, `gwsim: ${(STATUS_CODES[status] ?? "error").toLowerCase()}\n`);
    // RFC 9112 §9.3.2: responses go in request order. A valid request before the malformed one
    // (pipelined) is answered first: the refusal waits until the newest response on the
    // connection is done (node sends the ones before it first).
    const before = this.lastResponse.get(socket);
    if (before && !before.writableFinished && !before.destroyed) {
      before.once("close", () => endSocket(socket, text));
      return;
    }
    endSocket(socket, text);
  }

  /**
   * An HTTP/2 request whose header list is larger than maxHeaderSize: 431 on its stream, as the
   * same request gets over HTTP/1.1 (node's http2 would take up to its CONTINUATION limit, ~144
   * KiB). One whose Host or :authority the core cannot read, or whose two differ: 400 on
   * its stream (RFC 9113 §8.1.1 lets a server answer a malformed request before ending the stream;
   * the client learns why, as over HTTP/1.1), the connection's other streams unaffected.
   * nghttp2 itself resets (PROTOCOL_ERROR) an :authority with characters it refuses (a space).
   */
  private refusedHead(req: Http2ServerRequest, res: Http2ServerResponse): boolean {
    const size = headerListSize(req.rawHeaders);
    if (size > this.limits.maxHeaderSize) {
      this.refuseRequest(res, 431, `header list of ${size} bytes exceeds ${this.limits.maxHeaderSize} (RFC 9113 §6.5.2 size)`);
      return true;
    }
    const badHost = hostRefusal(req.rawHeaders, true, this.info.scheme);
    if (badHost) this.refuseRequest(res, 400, badHost);
    return badHost !== null;
  }

  /**
   * A request refused before routing (counted and logged as the parser's refusals are); over
   * HTTP/1.1 the connection then closes.
   */
  private refuseRequest(res: ServerResponse | Http2ServerResponse, status: number, reason: string): void {
    this.hooks.refused(this.plan.key, status, reason);
    const body = `gwsim: ${reason}\n`;
    if (res instanceof http.ServerResponse) res.shouldKeepAlive = false;
    res.writeHead(status, { "content-type": TEXT_PLAIN, "content-length": String(Buffer.byteLength(body)) });
    res.end(body);
  }

  /**
   * `OPTIONS *` asks about the server, not a resource (RFC 9110 §9.3.7; asterisk-form, RFC 9112
   * §3.2.4; over HTTP/2 `:path` "*"). No route can take it (Gateway API paths start with "/"), so
   * the gateway answers for itself, 200 with the methods it serves in Allow, as Go's net/http (and
   * so Traefik) does; not routed, not recorded (no decision to replay), counted and logged. Envoy
   * answers 404 and nginx 400: a ping such as `curl -X OPTIONS --request-target '*'` would then
   * read as a broken gateway.
   */
  private answerAsteriskOptions(req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): void {
    const h2 = req.httpVersion === "2.0";
    const host = h2 ? req.headers[":authority"] ?? req.headers.host : req.headers.host;
    this.hooks.answered(this.plan.key, {
      method: "OPTIONS",
      host: typeof host === "string" ? host : null,
      path: "*",
      protocol: h2 ? "HTTP/2" : "HTTP/1.1",
      status: 200,
      reason: "OPTIONS * answered by the gateway (RFC 9110 §9.3.7)",
    });
    res.writeHead(200, { allow: ALLOWED_METHODS, "content-length": "0" });
    res.end();
  }

  /** The same on a socket the HTTP server has let go of (upgrade, CONNECT). */
  private refuseRaw(socket: Duplex, status: number, reason: string, headers: Record<string, string> = {}): void {
    this.hooks.refused(this.plan.key, status, reason);
    endSocket(socket, rawResponse(status, { ...headers, "content-type": TEXT_PLAIN }, `gwsim: ${reason}\n`));
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.outer.once("error", onError);
      this.outer.listen({ host: this.plan.bind.host, port: this.plan.bind.port }, () => {
        this.outer.off("error", onError);
        this.bound = this.outer.address() as AddressInfo;
        resolve(this.bound);
      });
    });
  }

  address(): BindAddress | null {
    return this.bound ? { host: this.bound.address, port: this.bound.port } : null;
  }

  /** Stops accepting; idle connections close now, busy ones after their response. */
  stopAccepting(): void {
    this.outer.close();
    this.h1.closeIdleConnections();
    for (const s of this.sessions) s.close();
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  /** Closes idle keep-alive connections (called while draining). */
  closeIdle(): void {
    this.h1.closeIdleConnections();
  }

  /** Ends every connection at once (after the drain period). */
  destroy(): void {
    this.outer.close();
    this.h1.close();
    this.h2.close();
    for (const s of this.sessions) s.destroy();
    for (const s of this.sockets) s.destroy();
  }
}
