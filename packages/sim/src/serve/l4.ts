/**
 * Stream connections: TLS passthrough (routed by the ClientHello's SNI), TLS terminated by a TLS
 * listener (TLSRoute, TCPRoute: the plaintext is relayed), TCP and UDP. Each connection (for
 * UDP: each client address and port) is decided once, then bytes are relayed to an endpoint of
 * the picked backend.
 */
import dgram from "node:dgram";
import net, { type AddressInfo, type Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { Decision, GatewayRequest } from "@gwsim/core";
import { addressesOf, backendKey } from "./endpoints.js";
import type { Frontend, FrontendHooks } from "./frontend.js";
import type { BindAddress, FrontendPlan } from "./listen.js";
import { keepAlive } from "./keepalive.js";
import type { HttpContext } from "./proxy.js";
import { derToPem } from "./tls.js";
import type { Exchange } from "./types.js";
import { splitAddress } from "./websocket.js";

/** How long a UDP flow lives without traffic. */
const UDP_IDLE_MS = 30_000;

function startExchange(ctx: HttpContext, frontend: string, request: GatewayRequest): { x: Exchange; decision: Decision | null; t0: number } {
  const snap = ctx.snapshot();
  const index = ctx.nextIndex();
  const x: Exchange = { index, started: Date.now(), frontend, generation: snap.generation, request, decision: null, status: 0, backend: null, endpoint: null, attempts: 0, durationMs: 0, upstreamMs: null, reason: null, mirrors: 0, aborted: false };
  ctx.began(x);
  let decision: Decision | null = null;
  try {
    decision = ctx.decide(snap.world, request, { seed: ctx.seed, index });
    x.decision = decision;
  } catch (e) {
    ctx.log(`gwsim: decide failed (a bug): ${(e as Error)?.message ?? String(e)}\n`);
    x.reason = "internal error";
  }
  return { x, decision, t0: performance.now() };
}

/** The endpoint for a decided connection, or null (with the reason set) when it must be refused. */
function endpointFor(ctx: HttpContext, x: Exchange, d: Decision | null): string | null {
  if (!d) return null;
  if (d.outcome !== "forward" || !d.backend) {
    x.reason ??= typeof d.message === "string" ? d.message : d.outcome;
    return null;
  }
  const key = backendKey(d.backend);
  x.backend = key;
  // The stream relay speaks no TLS to backends: an XBackend that asks for TLS is refused, not sent in cleartext.
  if (d.backend.tls) {
    x.reason = `XBackend ${d.backend.namespace}/${d.backend.name} asks for TLS (${d.backend.tls.mode}), which gwsim serve does not originate for streams`;
    return null;
  }
  // Nor a stream a BackendTLSPolicy re-encrypts (TLS Terminate listeners): refused, not sent in cleartext.
  if (d.backendTLS) {
    x.reason = `BackendTLSPolicy ${d.backendTLS.policy} asks to re-encrypt the stream to ${key}, which gwsim serve does not originate for streams`;
    return null;
  }
  const address = ctx.balancer.pick(key, addressesOf(ctx.snapshot().endpoints, d.backend));
  if (!address) x.reason = `no endpoints for ${key}`;
  x.endpoint = address;
  return address;
}

/** Relays a stream connection (TCP, or TLS passthrough with the bytes already read in `head`). */
export function relayStream(ctx: HttpContext, frontend: string, socket: Socket, head: Buffer, request: GatewayRequest): void {
  ctx.track(1);
  const { x, decision, t0 } = startExchange(ctx, frontend, request);
  let done = false;
  socket.once("close", () => {
    if (done) return;
    done = true;
    x.durationMs = performance.now() - t0;
    ctx.track(-1);
    ctx.done(x);
  });
  socket.on("error", () => undefined);
  const address = endpointFor(ctx, x, decision);
  if (!address) {
    socket.destroy();
    return;
  }
  x.attempts = 1;
  const { host, port } = splitAddress(address);
  const upstream = net.connect({ host, port });
  upstream.setNoDelay(true);
  keepAlive(upstream);
  upstream.once("connect", () => {
    x.upstreamMs = performance.now() - t0;
    if (head.length) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
    socket.resume();
  });
  upstream.on("error", (e: NodeJS.ErrnoException) => {
    x.reason ??= `upstream ${e.code ?? "error"}`;
    socket.destroy();
  });
  upstream.once("close", () => socket.destroy());
  socket.once("close", () => upstream.destroy());
}

/**
 * A stream a TLS listener in Terminate mode decrypted (TLSRoute or TCPRoute): decided as a `tls`
 * connection with the handshake's SNI and client certificate, then its plaintext is relayed.
 */
export function relayTerminated(ctx: HttpContext, frontend: string, socket: TLSSocket, gateway: string, port: number): void {
  const request: GatewayRequest = { gateway, port, scheme: "tls" };
  if (typeof socket.servername === "string" && socket.servername) request.sni = socket.servername;
  const raw = socket.getPeerCertificate(false)?.raw;
  if (raw && raw.length) request.clientCertificate = derToPem(raw);
  relayStream(ctx, frontend, socket, Buffer.alloc(0), request);
}

export class TcpFrontend implements Frontend {
  private readonly server: net.Server;
  private readonly sockets = new Set<Socket>();
  private bound: AddressInfo | null = null;

  constructor(
    readonly plan: FrontendPlan,
    private readonly ctx: HttpContext,
    private readonly hooks: FrontendHooks,
  ) {
    this.server = net.createServer({ pauseOnConnect: true }, (socket) => {
      this.sockets.add(socket);
      keepAlive(socket);
      hooks.connectionOpened(plan.key);
      socket.once("close", () => {
        this.sockets.delete(socket);
        hooks.connectionClosed(plan.key);
      });
      relayStream(ctx, plan.key, socket, Buffer.alloc(0), { gateway: plan.gateway, port: plan.port, scheme: "tcp" });
    });
    this.server.on("error", () => undefined);
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen({ host: this.plan.bind.host, port: this.plan.bind.port }, () => {
        this.server.off("error", reject);
        this.bound = this.server.address() as AddressInfo;
        resolve(this.bound);
      });
    });
  }

  address(): BindAddress | null {
    return this.bound ? { host: this.bound.address, port: this.bound.port } : null;
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  stopAccepting(): void {
    this.server.close();
  }

  closeIdle(): void {}

  refreshDefaultCertificate(): void {}

  destroy(): void {
    this.server.close();
    for (const s of this.sockets) s.destroy();
  }
}

interface UdpFlow {
  upstream: dgram.Socket;
  timer: NodeJS.Timeout;
  x: Exchange;
  t0: number;
}

export class UdpFrontend implements Frontend {
  private readonly socket: dgram.Socket;
  private readonly flows = new Map<string, UdpFlow>();
  private bound: AddressInfo | null = null;
  private closed = false;

  constructor(
    readonly plan: FrontendPlan,
    private readonly ctx: HttpContext,
    private readonly hooks: FrontendHooks,
  ) {
    this.socket = dgram.createSocket(net.isIPv6(plan.bind.host) ? "udp6" : "udp4");
    this.socket.on("error", () => undefined);
    this.socket.on("message", (msg, rinfo) => this.receive(msg, rinfo));
  }

  private receive(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closed) return;
    const client = `${rinfo.address}|${rinfo.port}`;
    const flow = this.flows.get(client);
    if (flow) {
      flow.timer.refresh();
      flow.upstream.send(msg);
      return;
    }
    this.ctx.track(1);
    const request: GatewayRequest = { gateway: this.plan.gateway, port: this.plan.port, scheme: "udp" };
    const { x, decision, t0 } = startExchange(this.ctx, this.plan.key, request);
    const address = endpointFor(this.ctx, x, decision);
    if (!address) {
      // Refused datagrams are dropped; the flow is logged once.
      this.ctx.track(-1);
      this.ctx.done(x);
      return;
    }
    x.attempts = 1;
    const { host, port } = splitAddress(address);
    const upstream = dgram.createSocket(net.isIPv6(host) ? "udp6" : "udp4");
    upstream.on("error", () => this.end(client));
    upstream.on("message", (reply) => {
      const f = this.flows.get(client);
      f?.timer.refresh();
      this.socket.send(reply, rinfo.port, rinfo.address);
    });
    const timer = setTimeout(() => this.end(client), UDP_IDLE_MS);
    this.flows.set(client, { upstream, timer, x, t0 });
    this.hooks.connectionOpened(this.plan.key);
    upstream.connect(port, host, () => upstream.send(msg));
  }

  private end(client: string): void {
    const flow = this.flows.get(client);
    if (!flow) return;
    this.flows.delete(client);
    clearTimeout(flow.timer);
    flow.upstream.close();
    flow.x.durationMs = performance.now() - flow.t0;
    this.hooks.connectionClosed(this.plan.key);
    this.ctx.track(-1);
    this.ctx.done(flow.x);
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.socket.once("error", reject);
      this.socket.bind({ address: this.plan.bind.host, port: this.plan.bind.port }, () => {
        this.socket.off("error", reject);
        this.bound = this.socket.address();
        resolve(this.bound);
      });
    });
  }

  address(): BindAddress | null {
    return this.bound ? { host: this.bound.address, port: this.bound.port } : null;
  }

  get openConnections(): number {
    return this.flows.size;
  }

  /** UDP has no connections to drain: flows end now. */
  stopAccepting(): void {
    this.closed = true;
    for (const client of [...this.flows.keys()]) this.end(client);
  }

  closeIdle(): void {}

  refreshDefaultCertificate(): void {}

  destroy(): void {
    this.stopAccepting();
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}
