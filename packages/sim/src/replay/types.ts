import type { BackendId, Decision, GatewayRequest, Outcome } from "@gwsim/core";
import type { TraceRecord } from "../trace/types.js";
import type { ChiSquareResult } from "../stats/chi-square.js";

export type { TraceRecord };

/**
 * How a data plane turns weights into picks:
 * - `random`: a weighted draw per request (Envoy weighted clusters); uses the decision's seeded pick.
 * - `wrr`: smooth weighted round robin per split point (nginx `upstream` weights); order-dependent.
 * - `hash:<key>`: MurmurHash2 of a request key against the cumulative weights (nginx `split_clients`).
 *   Keys: `user`, `header:<name>`, `cookie:<name>`, `query:<name>`, or a bare header name.
 * - `cookie`: sticky per user and split point, as a session cookie pins a client after its first pick.
 */
export type SplitMode = "random" | "wrr" | "cookie" | `hash:${string}`;

/**
 * How finely the data plane can express weights:
 * - `exact`: weight / total, as Envoy does with its integer weights.
 * - `ngf`: NGINX Gateway Fabric's split_clients: each backend but the last gets weight/total
 *   floored to 0.01 %, the last takes the rest.
 * - `percent`: whole percents by largest remainder, as Istio up to 1.14 converted HTTPRoute weights
 *   (each the integer part, the missing points to the largest fractions).
 * The models are core's `effectiveWeights`, shared with lint's weight-rounds-to-zero.
 */
export type Precision = "exact" | "ngf" | "percent";

export type DecideFn<W> = (world: W, request: GatewayRequest, options: { seed?: number; index?: number; explain?: boolean; lean?: boolean }) => Decision;

export interface ReplayOptions<W = unknown> {
  seed?: number;
  split?: SplitMode;
  precision?: Precision;
  /** The decide function; `@gwsim/core`'s when not given (tests inject a fake). */
  decide?: DecideFn<W>;
  /** Index of the first request (a worker replaying a slice of a longer trace). */
  startIndex?: number;
  /** Called every `progressEvery` requests with the count so far (a progress bar). */
  onProgress?: (requests: number) => void;
  progressEvery?: number;
}

export interface BackendRow extends BackendId {
  /** False for a backendRef that cannot be used: its picks answer 500. */
  valid: boolean;
  /** Requests the seeded picks sent here (for an invalid backend: the 500s it caused). */
  count: number;
  /** count / requests. */
  share: number;
  /** Wilson 95% interval of `share`. */
  ci95: [number, number];
  /** Σ probability over every request, exact (no sampling noise). */
  expectedCount: number;
  /** expectedCount / requests. */
  expectedShare: number;
  /** Distinct users (the trace's `user`) sent here. */
  users: number;
  /**
   * Users expected to reach this backend at least once: Σ over users of 1 − Π (1 − pᵢ) over
   * their requests' probabilities for it. Exact for the `random` split (independent draws);
   * sticky modes (cookie, hash) expose fewer users than this.
   */
  expectedUsers: number;
}

export interface RouteRow {
  kind: string;
  namespace: string;
  name: string;
  rule: number | null;
  ruleName: string | null;
  count: number;
}

export interface SplitBackendRow extends BackendId {
  valid: boolean;
  /** The weight as written. */
  weight: number;
  /** The weight the data plane uses under the precision profile (basis points for `ngf`, percent for `percent`). */
  effectiveWeight: number;
  /** effectiveWeight / total effective weight. */
  expectedShare: number;
  count: number;
  share: number;
}

/** One weighted split: a route rule whose backends share its traffic. */
export interface SplitRow {
  kind: string;
  namespace: string;
  name: string;
  rule: number | null;
  ruleName: string | null;
  /** Requests that reached this split and were sent by weight. */
  count: number;
  backends: SplitBackendRow[];
  /** Sampled counts against the effective weights; null when fewer than two backends carry weight. */
  chiSquare: ChiSquareResult | null;
  /** The rule declares sessionPersistence (the `cookie` mode then follows the config, not an assumption). */
  sessionPersistence: boolean;
  users: number;
  /** Users whose requests reached more than one backend of this split. */
  usersMultiBackend: number;
}

/** A request class (method, host, templated path) that the gateway answered itself with an error. */
export interface FailingClassRow {
  status: number;
  method: string;
  host: string;
  /** Path with ids replaced: `/items/{n}`, `/u/{uuid}`. */
  path: string;
  count: number;
  /** The first request of the class, as sent. */
  example: string;
}

export interface MirrorRow extends BackendId {
  /** False when the mirror's backendRef cannot be used (the copy goes nowhere). */
  valid: boolean;
  /** Requests whose mirror fired in the seeded draw (percent < 100 draws per request). */
  count: number;
  /** Σ percent / 100: the exact expectation. */
  expected: number;
}

export interface ObservedDifference {
  observed: string;
  simulated: string;
  count: number;
  /** The first request (lowest index) with this difference. */
  index: number;
  example: string;
}

/** How the simulation compares with what the real gateway did, for records that say. */
export interface ObservedReport {
  /** Records with an `observed` field. */
  records: number;
  /** Records whose observation could be compared (a backend or a gateway-made status). */
  compared: number;
  agree: number;
  disagree: number;
  /** agree / compared; null when no record could be compared. */
  agreement: number | null;
  /** Differences grouped by (observed, simulated), most frequent first. */
  differences: ObservedDifference[];
}

export interface ExposureReport {
  /** Distinct users in the trace. */
  users: number;
  /** Requests without a user key. */
  anonymousRequests: number;
  /** Users who reached more than one backend of some split. */
  usersMultiBackend: number;
}

export interface TimelineBucket {
  /** Start of the bucket, RFC 3339. */
  start: string;
  requests: number;
  /** Requests per backend (`namespace/name:port`). */
  backends: Record<string, number>;
}

export interface TimelineReport {
  bucketSeconds: number;
  buckets: TimelineBucket[];
  /** Requests without a usable `time`. */
  untimed: number;
}

export interface Report {
  requests: number;
  seed: number;
  split: SplitMode;
  precision: Precision;
  backends: BackendRow[];
  routes: RouteRow[];
  /** HTTP statuses the gateway answered itself (404, 500, 3xx, ...), by code. */
  statuses: Record<string, number>;
  outcomes: Partial<Record<Outcome, number>>;
  splits: SplitRow[];
  /** The top request classes answered 404 or 500. */
  failing: FailingClassRow[];
  mirrors: MirrorRow[];
  observed: ObservedReport | null;
  exposure: ExposureReport;
  timeline: TimelineReport | null;
  warnings: string[];
}
