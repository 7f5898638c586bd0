/**
 * The live adapter: frontends for the world's listeners, the world in force (swapped whole on
 * reload), the shared upstream pools, and the observers (metrics, access log, record).
 */
import type http from "node:http";
import type { GatewayRequest, ManifestObject, World } from "@gwsim/core";
import { startAdmin } from "./admin.js";
import { tlsMaterial } from "./backend-tls.js";
import { addressesOf, endpointsFromManifests, mergeEndpoints, RoundRobin, type EndpointProblem, type EndpointTable } from "./endpoints.js";
import { DEFAULT_LIMITS, HttpFrontend, type Frontend, type FrontendHooks, type Limits } from "./frontend.js";
import { relayStream, relayTerminated, TcpFrontend, UdpFrontend } from "./l4.js";
import { planFrontends, type BindAddress, type FrontendPlan, type ListenMap } from "./listen.js";
import { accessLogLine } from "./log.js";
import { createMetrics, labelsInForce, observeExchange, pruneMetrics, type ServeMetrics } from "./metrics.js";
import type { HttpContext } from "./proxy.js";
import { RecordOrder, type RecordOrderOptions } from "./record-order.js";
import { retainRetryBudgets, retryBudgetCount } from "./retry-budget.js";
import type { DecideFn, Exchange, Snapshot } from "./types.js";
import { Upstreams, type UpstreamOptions } from "./upstream.js";
import { fixedLine, warningChanges } from "./warnings.js";

export interface ServeOptions {
  world: World;
  /** The loaded manifests: EndpointSlices among them give backends their addresses. */
  objects?: readonly ManifestObject[];
  /** Endpoints from `--endpoints`; they win over EndpointSlices for the same backend. */
  endpoints?: EndpointTable;
  listen?: ListenMap;
  decide: DecideFn;
  /** Seed of the core's weighted draws; each request's index is its arrival order. */
  seed?: number;
  admin?: BindAddress | null;
  /** Diagnostics and notes (stderr). */
  log?: (text: string) => void;
  /** JSON access log lines; none when null. */
  accessLog?: ((line: string) => void) | null;
  /** `--record` lines, in arrival (index) order; none when null. */
  record?: ((line: string) => void) | null;
  /** How long `--record` lines wait behind a request whose outcome is not known yet. */
  recordOrder?: RecordOrderOptions;
  limits?: Partial<Limits>;
  upstream?: UpstreamOptions;
}

export interface BoundFrontend {
  key: string;
  gateway: string;
  /** The listener port, as in the manifests. */
  port: number;
  kind: FrontendPlan["kind"];
  /** Where it actually listens. */
  address: BindAddress;
}

/** Counts of what a running adapter holds (LiveGateway.usage). */
export interface ServeUsage {
  /** Frontends listening. */
  frontends: number;
  /** Frontends a reload replaced, still finishing their connections. */
  retiring: number;
  /** Client connections open, on every frontend. */
  connections: number;
  inflight: number;
  /** Backend connection pools / HTTP/2 sessions kept (one per endpoint, protocol and TLS settings). */
  upstreams: number;
  /** Backends whose round-robin turn is kept. */
  balanced: number;
  /** Retry budgets (XBackendTrafficPolicy retryConstraint) with state kept. */
  retryBudgets: number;
  /** `--record` lines held back for ordering. */
  recordHeld: number;
}

/** A listener that could not be opened (start fails; a reload is refused whole and logs it). */
export class ListenError extends Error {
  readonly code = "serve.listen";
}

interface Installed extends Snapshot {
  readonly plans: ReadonlyMap<string, FrontendPlan>;
  readonly notes: readonly string[];
  /** The lines this configuration logs (EndpointSlice problems, listeners not served). */
  readonly warnings: readonly string[];
}

/** The outcome of the latest reload, as `/config` reports it. */
export interface ReloadState {
  /** Whether the new configuration went into force. */
  applied: boolean;
  at: string;
  /** The generation in force afterwards (unchanged when not applied). */
  generation: number;
  /** Why it was not applied. */
  problems: string[];
}

/** What a reload did: `applied` false means the configuration in force did not change at all. */
export interface ReloadResult {
  applied: boolean;
  problems: string[];
}

const ANY_ADDRESS = new Set(["0.0.0.0", "::", ""]);

/**
 * Whether `next` cannot be bound while `held` listens (same transport and port, and the same
 * host or a wildcard on either side): then `held` has to stop listening first. Port 0 is a new
 * port each time, never held.
 */
function contends(held: FrontendPlan, next: FrontendPlan): boolean {
  const a = held.bind;
  const b = next.bind;
  if (a.port === 0 || a.port !== b.port || (held.kind === "udp") !== (next.kind === "udp")) return false;
  return a.host === b.host || ANY_ADDRESS.has(a.host) || ANY_ADDRESS.has(b.host);
}


function signature(plan: FrontendPlan): string {
  const mtls = plan.listeners.some((l) => l.tls?.frontendValidation) ? "mtls" : "";
  return `${plan.kind}|${plan.bind.host}|${plan.bind.port}|${mtls}`;
}

export class LiveGateway {
  readonly metrics: ServeMetrics = createMetrics(() => this.inflight);
  private current: Installed;
  private readonly frontends = new Map<string, { frontend: Frontend; signature: string }>();
  /** Frontends a reload replaced, finishing their connections; closed at the latest by close(). */
  private readonly retiring = new Set<Frontend>();
  private lastReload: ReloadState | null = null;
  private readonly upstreams: Upstreams;
  private readonly balancer = new RoundRobin();
  private readonly limits: Limits;
  private readonly log: (text: string) => void;
  private index = 0;
  private inflight = 0;
  private draining = false;
  private started = false;
  private admin: { server: http.Server; address: BindAddress } | null = null;
  private readonly ctx: HttpContext;
  private readonly recordOrder: RecordOrder | null;

  constructor(private readonly options: ServeOptions) {
    const record = options.record;
    this.recordOrder = record ? new RecordOrder(record, options.recordOrder) : null;
    this.log = options.log ?? (() => undefined);
    this.limits = { ...DEFAULT_LIMITS, ...(options.limits ?? {}) };
    this.upstreams = new Upstreams(options.upstream);
    this.current = this.install(options.world, options.objects ?? [], options.endpoints ?? new Map(), 1);
    for (const line of this.current.warnings) this.log(line);
    this.ctx = {
      snapshot: () => this.current,
      decide: options.decide,
      seed: options.seed ?? 1,
      nextIndex: () => this.index++,
      began: (x) => this.recordOrder?.began(x),
      upstreams: this.upstreams,
      balancer: this.balancer,
      clientStallMs: this.limits.clientStallTimeoutMs,
      done: (x) => this.finished(x),
      track: (delta) => {
        this.inflight += delta;
      },
      log: this.log,
      mirrored: (backend) => this.metrics.mirrors.inc({ backend }),
      mirrorFailed: (backend, reason) => this.metrics.mirrorFailures.inc({ backend, reason }),
    };
  }

  private install(world: World, objects: readonly ManifestObject[], fileEndpoints: EndpointTable, generation: number): Installed {
    const fromSlices = endpointsFromManifests(objects, world.graph.services);
    const { plans, notes } = planFrontends(world, this.options.listen ?? new Map());
    return Object.freeze({
      world,
      endpoints: mergeEndpoints(fromSlices.table, fileEndpoints),
      tls: tlsMaterial(objects),
      generation,
      loadedAt: new Date().toISOString(),
      plans: new Map(plans.map((p) => [p.key, p])),
      notes,
      warnings: [...fromSlices.problems.map((p) => `gwsim: ${describe(p)}\n`), ...notes.map((n) => `gwsim: ${n}\n`)],
    });
  }

  /** The configuration in force. */
  snapshot(): Snapshot {
    return this.current;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (this.options.admin) {
      try {
        this.admin = await startAdmin(this.options.admin, {
          ready: () => this.isReady(),
          metrics: this.metrics,
          config: () => this.config(),
        });
      } catch (e) {
        throw new ListenError(`admin ${this.options.admin.host}:${this.options.admin.port}: ${(e as Error).message}`);
      }
    }
    const problems = await this.reconcile(this.current);
    this.metrics.generation.set(this.current.generation);
    this.metrics.lastReloadSuccessful.set(1);
    if (problems.length) {
      await this.close({ drainMs: 0 });
      throw new ListenError(problems.join("; "));
    }
  }

  private hooks(key: string): FrontendHooks {
    return {
      listeners: () => this.current.plans.get(key)?.listeners ?? [],
      connectionOpened: (frontend) => this.metrics.openConnections.inc({ frontend }),
      connectionClosed: (frontend) => this.metrics.openConnections.dec({ frontend }),
      answered: (frontend, a) => {
        this.metrics.requests.inc({ listener: "", route: "", rule: "", backend: "", status: String(a.status) });
        this.options.accessLog?.(`${JSON.stringify({ time: new Date().toISOString(), frontend, method: a.method, host: a.host, path: a.path, protocol: a.protocol, status: a.status, outcome: "respond", reason: a.reason })}\n`);
      },
      refused: (frontend, status, reason) => {
        this.metrics.refused.inc({ frontend, status: String(status) });
        this.options.accessLog?.(`${JSON.stringify({ time: new Date().toISOString(), frontend, status, reason })}\n`);
      },
      tlsRejected: (frontend, { reason, detail, sni }) => {
        this.metrics.tlsRejected.inc({ frontend, reason });
        this.options.accessLog?.(`${JSON.stringify({ time: new Date().toISOString(), frontend, status: 0, outcome: "reject", sni, reason: detail })}\n`);
      },
      draining: () => this.draining,
      passthrough: (socket, serverName, head) => {
        const plan = this.current.plans.get(key);
        if (!plan) return void socket.destroy();
        const request: GatewayRequest = { gateway: plan.gateway, port: plan.port, scheme: "tls" };
        if (serverName) request.sni = serverName;
        relayStream(this.ctx, key, socket, head, request);
      },
      terminatedStream: (socket) => {
        const plan = this.current.plans.get(key);
        if (!plan) return void socket.destroy();
        relayTerminated(this.ctx, key, socket, plan.gateway, plan.port);
      },
    };
  }

  /**
   * Makes the frontends those of `next` and puts `next` in force, all or nothing: every frontend
   * `next` adds is opened first, and if one cannot be bound (the port is taken, the address is
   * not local) the ones just opened are closed, the configuration in force stays whole and the
   * problems are returned. Atomic, so that a bad reload never serves half of each configuration.
   * A frontend that hands its address to a successor (same address, other protocol or mTLS)
   * stops listening first; if the reload then fails, a fresh frontend of its plan listens again.
   */
  private async reconcile(next: Installed): Promise<string[]> {
    const kept = new Set<string>();
    const leaving: { key: string; frontend: Frontend }[] = [];
    for (const [key, entry] of this.frontends) {
      const plan = next.plans.get(key);
      if (plan && signature(plan) === entry.signature) kept.add(key);
      else leaving.push({ key, frontend: entry.frontend });
    }
    const toOpen = [...next.plans.values()].filter((p) => !kept.has(p.key));
    const holdersOf = (plan: FrontendPlan) => leaving.filter((l) => contends(l.frontend.plan, plan));
    const opened = new Map<string, Frontend>();
    const problems: string[] = [];
    const open = async (plan: FrontendPlan) => {
      const frontend = this.createFrontend(plan);
      try {
        await frontend.listen();
        opened.set(plan.key, frontend);
      } catch (e) {
        frontend.destroy();
        problems.push(`cannot listen on ${plan.bind.host}:${plan.bind.port} for ${plan.gateway} port ${plan.port}: ${(e as Error).message}`);
      }
    };
    for (const plan of toOpen) if (holdersOf(plan).length === 0) await open(plan);
    const stopped: { key: string; frontend: Frontend }[] = [];
    if (problems.length === 0) {
      for (const plan of toOpen) {
        const holders = holdersOf(plan);
        if (holders.length === 0) continue;
        for (const holder of holders) {
          if (stopped.includes(holder)) continue;
          holder.frontend.stopAccepting();
          stopped.push(holder);
        }
        await open(plan);
      }
    }
    if (problems.length > 0) {
      for (const frontend of opened.values()) frontend.destroy();
      for (const { key, frontend } of stopped) {
        const again = this.createFrontend(frontend.plan);
        try {
          await again.listen();
          this.frontends.set(key, { frontend: again, signature: signature(frontend.plan) });
        } catch (e) {
          again.destroy();
          this.frontends.delete(key);
          problems.push(`cannot listen again on ${frontend.plan.bind.host}:${frontend.plan.bind.port} for ${frontend.plan.gateway} port ${frontend.plan.port}: ${(e as Error).message}`);
        }
        this.retire(frontend);
      }
      return problems;
    }
    this.current = next;
    for (const { key, frontend } of leaving) {
      this.frontends.delete(key);
      this.retire(frontend);
    }
    for (const [key, frontend] of opened) this.frontends.set(key, { frontend, signature: signature(frontend.plan) });
    for (const key of kept) this.frontends.get(key)!.frontend.refreshDefaultCertificate();
    return [];
  }

  private createFrontend(plan: FrontendPlan): Frontend {
    const hooks = this.hooks(plan.key);
    switch (plan.kind) {
      case "tcp":
        return new TcpFrontend(plan, this.ctx, hooks);
      case "udp":
        return new UdpFrontend(plan, this.ctx, hooks);
      default:
        return new HttpFrontend(plan, this.ctx, hooks, this.limits);
    }
  }

  /** A frontend the new world no longer has: stop accepting, let its requests finish, then close it. */
  private retire(frontend: Frontend): void {
    frontend.stopAccepting();
    this.retiring.add(frontend);
    const deadline = Date.now() + 30_000;
    const check = setInterval(() => {
      frontend.closeIdle();
      if (frontend.openConnections === 0 || Date.now() > deadline || !this.retiring.has(frontend)) {
        clearInterval(check);
        this.retiring.delete(frontend);
        frontend.destroy();
      }
    }, 100);
    check.unref();
  }

  /**
   * Swaps in a new world atomically: requests already decided finish on the world they started
   * with; new requests see the new one. Listeners follow the new world. When a listener of the
   * new world cannot be opened, nothing changes (see reconcile): the reload is counted as failed
   * and `applied` is false.
   */
  async reload(world: World, objects: readonly ManifestObject[], endpoints: EndpointTable = new Map()): Promise<ReloadResult> {
    const before = this.current;
    const next = this.install(world, objects, endpoints, before.generation + 1);
    const problems = await this.reconcile(next);
    // Said once while they stand: only what this configuration adds, and what it fixed.
    const changes = warningChanges(before.warnings, next.warnings);
    for (const line of changes.added) this.log(line);
    if (problems.length === 0) for (const line of changes.fixed) this.log(fixedLine(line));
    if (problems.length > 0) {
      for (const p of problems) this.log(`gwsim: reload: ${p}\n`);
      this.reloadFailed(problems);
      return { applied: false, problems };
    }
    const live = new Set<string>();
    for (const list of this.current.endpoints.values()) for (const a of list) live.add(a);
    // XBackends are reached at hostname:port, outside the endpoint table: keep their connections too.
    for (const x of this.current.world.graph.xbackends ?? []) for (const a of addressesOf(this.current.endpoints, { kind: "XBackend", ...x })) live.add(a);
    this.upstreams.retainOnly(live);
    retainRetryBudgets(this.ctx, this.current.world);
    const inForce = labelsInForce(this.current.world.table);
    if (inForce) {
      this.balancer.retainOnly(inForce.backends);
      await pruneMetrics(this.metrics, inForce);
    }
    this.metrics.reloads.inc();
    this.metrics.generation.set(this.current.generation);
    this.metrics.lastReloadSuccessful.set(1);
    this.lastReload = { applied: true, at: new Date().toISOString(), generation: this.current.generation, problems: [] };
    return { applied: true, problems: [] };
  }

  /** A reload that did not load or could not be put in force: counted; the world in force stays. */
  reloadFailed(problems: readonly string[] = []): void {
    this.metrics.reloadFailures.inc();
    this.metrics.lastReloadSuccessful.set(0);
    this.lastReload = { applied: false, at: new Date().toISOString(), generation: this.current.generation, problems: [...problems] };
  }

  addresses(): BoundFrontend[] {
    const out: BoundFrontend[] = [];
    for (const { frontend } of this.frontends.values()) {
      const address = frontend.address();
      if (address) out.push({ key: frontend.plan.key, gateway: frontend.plan.gateway, port: frontend.plan.port, kind: frontend.plan.kind, address });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  adminAddress(): BindAddress | null {
    return this.admin?.address ?? null;
  }

  isReady(): boolean {
    return this.started && !this.draining && this.current.plans.size === this.frontends.size;
  }

  get requestsInFlight(): number {
    return this.inflight;
  }

  /**
   * What the adapter holds right now, as counts: a long-running serve must come back to the same
   * numbers once its traffic stops, however many requests and reloads went by (the soak tests
   * read these).
   */
  usage(): ServeUsage {
    const frontends = [...this.frontends.values()].map((e) => e.frontend);
    return {
      frontends: frontends.length,
      retiring: this.retiring.size,
      connections: [...frontends, ...this.retiring].reduce((n, f) => n + f.openConnections, 0),
      inflight: this.inflight,
      upstreams: this.upstreams.size,
      balanced: this.balancer.size,
      retryBudgets: retryBudgetCount(this.ctx),
      recordHeld: this.recordOrder?.pending ?? 0,
    };
  }

  /** The `/config` document: the route table in force and where it is served. */
  config(): unknown {
    const c = this.current;
    return {
      generation: c.generation,
      loadedAt: c.loadedAt,
      frontends: this.addresses(),
      listeners: [...c.plans.values()].flatMap((p) => p.listeners.map((l) => ({ id: l.id, port: l.port, protocol: l.protocol, hostname: l.hostname, ...listenerInForce(c.world, l.id) }))),
      endpoints: Object.fromEntries(c.endpoints),
      notes: c.notes,
      lastReload: this.lastReload,
      table: c.world.table,
    };
  }

  private finished(x: Exchange): void {
    observeExchange(this.metrics, x);
    try {
      this.options.accessLog?.(accessLogLine(x));
      this.recordOrder?.done(x);
    } catch (e) {
      this.log(`gwsim: cannot write log: ${(e as Error).message}\n`);
    }
  }

  /**
   * Stops accepting, lets requests in flight finish (up to `drainMs`), then closes everything.
   * Nothing else is waited for: idle keep-alive connections and HTTP/2 sessions close at once
   * (and again each round, for those that turn idle), frontends a reload replaced are closed too
   * (their connections would otherwise hold the process for up to 30 s), and the backend pools
   * are destroyed rather than closed: once no client request is in flight, what is left there is
   * idle connections and mirrored copies, whose answers nobody reads (up to 30 s each).
   */
  async close(options: { drainMs?: number } = {}): Promise<void> {
    this.draining = true;
    const drainMs = options.drainMs ?? 30_000;
    const all = () => [...[...this.frontends.values()].map((e) => e.frontend), ...this.retiring];
    for (const frontend of all()) frontend.stopAccepting();
    const deadline = Date.now() + drainMs;
    while (this.inflight > 0 && Date.now() < deadline) {
      for (const frontend of all()) frontend.closeIdle();
      await new Promise((r) => setTimeout(r, Math.min(25, Math.max(1, deadline - Date.now()))));
    }
    for (const frontend of all()) frontend.destroy();
    this.frontends.clear();
    this.retiring.clear();
    // Destroyed connections report their requests over a moment later; then every line still
    // held is written (pending ones as such), in order.
    for (let i = 0; i < 20 && this.inflight > 0; i++) await new Promise((r) => setTimeout(r, 10));
    this.recordOrder?.close();
    if (this.admin) {
      const server = this.admin.server;
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
    }
    this.admin = null;
    await this.upstreams.destroy();
  }
}

function describe(p: EndpointProblem): string {
  return p.file ? `${p.file}: ${p.message}` : p.message;
}

export async function startServe(options: ServeOptions): Promise<LiveGateway> {
  const gateway = new LiveGateway(options);
  await gateway.start();
  return gateway;
}

/**
 * What `/config` adds to a served listener so that "what is in force" reads without the table:
 * its TLS mode and the routes attached to it, as `Kind namespace/name`.
 */
export function listenerInForce(world: World, id: string): { tls: string | null; routes: string[] } {
  const t = world.table;
  const l = t.listeners?.find((x) => x.id === id);
  if (!l) return { tls: null, routes: [] };
  const name = (r: { kind: string; namespace: string; name: string }) => `${r.kind} ${r.namespace}/${r.name}`;
  const routes = [
    ...(l.routes ?? []).map((i) => name(t.routes[i]!)),
    ...(l.grpc?.routes ?? []).map((i) => name(t.grpcRoutes[i]!)),
    ...(l.streams?.routes ?? []).map((i) => name(t.streamRoutes[i]!)),
  ];
  return { tls: l.tls?.mode ?? null, routes: [...new Set(routes)] };
}
