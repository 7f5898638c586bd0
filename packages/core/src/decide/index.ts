/**
 * decide: (route table, request, seed, index) → Decision. Pure: no clock, no I/O, no global
 * randomness; the same inputs always give the same decision. Problems in the request are
 * answered as decisions (`error` / `reject` with a `reason`), never thrown.
 */
import type { RouteTable } from "../compile/table.js";
import type { Decision } from "../model/decision.js";
import type { GatewayRequest } from "../model/request.js";
import type { StatusItem } from "../resolve/graph.js";
import { decideGateway } from "./gateway.js";
import { GRPC_STATUS, grpcStatusOf } from "./grpc.js";
import { decideMesh } from "./mesh.js";
import { emptyDecision } from "./decision.js";
import { readRequestView, type RequestView } from "./request.js";
import { runtimeOf, type Runtime } from "./runtime.js";

export interface DecideOptions {
  /** Seed of the backend draw (default 0). */
  seed?: number;
  /** The request's position in its trace (default 0). */
  index?: number;
  /** Fill `explain` with the steps of the decision. */
  explain?: boolean;
  /**
   * When the most specific hostname's routes have no matching rule, let routes of less
   * specific hostnames (`*.example.com`, no hostname) compete. Default false: hostnames are
   * exclusive, as Envoy- and nginx-based data planes route (docs/decisions.md).
   */
  hostnameFallthrough?: boolean;
  /**
   * Only what a replay aggregates: outcome, status, reason, route, backends, backend, mirrors,
   * sessionPersistence. `forwarded`, `timeouts`, `retry` and `backendTLS` stay null, and the
   * route, listener and backend objects are the route table's own, shared and frozen (read-only).
   * Same outcome, route and backend as a full decision (decide.test.ts checks it).
   */
  lean?: boolean;
}

export interface DecideWorld {
  readonly table: RouteTable;
  readonly options?: { readonly hostnameFallthrough?: boolean };
  /** The resolved graph, when known: its status feeds explanations only (status-notes.ts). */
  readonly graph?: { readonly status: readonly StatusItem[] };
}

export interface DecideContext {
  rt: Runtime;
  seed: number;
  index: number;
  fallthrough: boolean;
  /** DecideOptions.lean (never with explanations). */
  lean: boolean;
  /** Explanation lines, or null when not asked for. */
  notes: string[] | null;
  /** The world's status (explanations only), or null when not explaining or not known. */
  status: readonly StatusItem[] | null;
}

/** How each kind of entry point is decided. */
type EntryHandler = (ctx: DecideContext, req: RequestView, base: Decision) => Decision;

const BY_ENTRY: Record<"gateway" | "mesh", EntryHandler> = {
  // North-south: the Gateway's listeners by scheme (gateway.ts).
  gateway: decideGateway,
  // East-west (GAMMA): a Service, or its clusterIP, from a caller's namespace (mesh.ts).
  mesh: decideMesh,
};

export function decide(world: DecideWorld, request: GatewayRequest, opts: DecideOptions = {}): Decision {
  const notes: string[] | null = opts.explain ? [] : null;
  const req = readRequestView(request);
  if (!req.ok) {
    notes?.push(`request rejected before routing: ${req.message}`);
    return finish({ ...emptyDecision(req.id), outcome: "error", status: 400, reason: req.reason, message: req.message }, notes);
  }
  const ctx: DecideContext = {
    rt: lastTable === world.table ? lastRuntime! : runtimeFor(world.table),
    seed: finiteOr(opts.seed, 0),
    index: finiteOr(opts.index, 0),
    fallthrough: opts.hostnameFallthrough ?? world.options?.hostnameFallthrough ?? false,
    lean: opts.lean === true && notes === null,
    notes,
    status: notes !== null ? (world.graph?.status ?? null) : null,
  };
  const base = emptyDecision(req.id);
  const entry = req.gateway !== null ? "gateway" : req.service !== null || req.address !== null ? "mesh" : null;
  if (entry === null) {
    const message = "request names no entry point (gateway, service or address)";
    notes?.push(message);
    return finish({ ...base, outcome: "error", reason: "NoEntryPoint", message }, notes, req);
  }
  return finish(BY_ENTRY[entry](ctx, req, base), notes, req);
}

// The table of the previous decision, and its runtime: a replay decides on one table.
let lastTable: RouteTable | null = null;
let lastRuntime: Runtime | null = null;

function runtimeFor(table: RouteTable): Runtime {
  lastRuntime = runtimeOf(table);
  lastTable = table;
  return lastRuntime;
}

function finiteOr(v: unknown, fallback: number): number {
  return typeof v === "number" && Number.isFinite(v) ? v : fallback;
}

function finish(d: Decision, notes: string[] | null, req?: RequestView): Decision {
  if (req?.grpc) {
    // A gRPC call the gateway answers itself gets a gRPC status (grpc.ts grpcStatusOf).
    d.grpcStatus = grpcStatusOf(d);
    if (notes && d.grpcStatus !== null) notes.push(`gRPC call: the client gets grpc-status ${d.grpcStatus} (${GRPC_NAMES[d.grpcStatus] ?? "?"}) for HTTP ${d.status}`);
  }
  if (notes) d.explain = notes;
  return d;
}

const GRPC_NAMES: Record<number, string> = Object.fromEntries(Object.entries(GRPC_STATUS).map(([name, code]) => [code, name]));
