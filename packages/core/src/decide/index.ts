/**
 * decide: (route table, request, seed, index) → Decision. Pure: no clock, no I/O, no global
 * randomness; the same inputs always give the same decision. Problems in the request are
 * answered as decisions (`error` / `reject` with a `reason`), never thrown.
 */
import type { RouteTable } from "../compile/table.js";
import type { Decision } from "../model/decision.js";
import type { GatewayRequest } from "../model/request.js";
import { decideGatewayHttp } from "./http.js";
import { emptyDecision } from "./decision.js";
import { readRequest, type RequestView } from "./request.js";
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
}

export interface DecideWorld {
  readonly table: RouteTable;
  readonly options?: { readonly hostnameFallthrough?: boolean };
}

export interface DecideContext {
  rt: Runtime;
  seed: number;
  index: number;
  fallthrough: boolean;
  /** Explanation lines, or null when not asked for. */
  notes: string[] | null;
}

/** How each kind of entry point is decided; mesh and L4 entry points plug in here. */
type EntryHandler = (ctx: DecideContext, req: RequestView, base: Decision) => Decision;

const BY_SCHEME: Record<string, EntryHandler> = {
  http: decideGatewayHttp,
  https: decideGatewayHttp,
};

export function decide(world: DecideWorld, request: GatewayRequest, opts: DecideOptions = {}): Decision {
  const notes: string[] | null = opts.explain ? [] : null;
  const read = readRequest(request);
  if (!read.ok) {
    notes?.push(`request rejected before routing: ${read.message}`);
    return finish({ ...emptyDecision(read.id), outcome: "error", status: 400, reason: read.reason, message: read.message }, notes);
  }
  const req = read.request;
  const ctx: DecideContext = {
    rt: runtimeOf(world.table),
    seed: finiteOr(opts.seed, 0),
    index: finiteOr(opts.index, 0),
    fallthrough: opts.hostnameFallthrough ?? world.options?.hostnameFallthrough ?? false,
    notes,
  };
  const base = emptyDecision(req.id);
  if (req.gateway === null) {
    const message =
      req.service !== null || req.address !== null
        ? "mesh (service/address) entry points are not decided by this version of gwsim"
        : "request names no entry point (gateway, service or address)";
    notes?.push(message);
    return finish({ ...base, outcome: "error", reason: req.service !== null || req.address !== null ? "UnsupportedEntryPoint" : "NoEntryPoint", message }, notes);
  }
  if ((request as { grpc?: unknown }).grpc !== undefined) {
    // GRPCRoute matching and gRPC status answers are not part of this table (HTTPRoute only):
    // say so rather than route a gRPC call as plain HTTP.
    const message = "gRPC calls (GRPCRoute) are not decided by this version of gwsim";
    notes?.push(message);
    return finish({ ...base, outcome: "error", reason: "UnsupportedProtocol", message }, notes);
  }
  const handler = BY_SCHEME[req.scheme];
  if (!handler) {
    const message = `scheme ${req.scheme} is not decided by this version of gwsim`;
    notes?.push(message);
    return finish({ ...base, outcome: "error", reason: "UnsupportedScheme", message }, notes);
  }
  return finish(handler(ctx, req, base), notes);
}

function finiteOr(v: unknown, fallback: number): number {
  return typeof v === "number" && Number.isFinite(v) ? v : fallback;
}

function finish(d: Decision, notes: string[] | null): Decision {
  if (notes) d.explain = notes;
  return d;
}
