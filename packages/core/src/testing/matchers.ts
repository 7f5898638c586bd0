/**
 * vitest matchers over a World. Failure messages carry gwsim's explanation of the decision
 * (decide with `explain: true`), so a failing test says why the request went where it went.
 *
 *   await installMatchers();
 *   expect(world).toRoute({ host: "shop.example.com", path: "/cart" }).to("shop/cart");
 *   expect(world).toRouteTo(request, "shop/cart");   // the same, as one matcher
 *   expect(world).toRespond({ path: "/nope" }, 404);
 *   expect(world).toHaveCondition("HTTPRoute shop/cart", "Accepted", true);
 *   expect(neverRoutes(world, { host: "api.example.com" }, "legacy/*")).toHold();
 *
 * vitest is imported lazily by installMatchers, so the rest of @gwsim/core/testing works without it.
 */
import type { Condition } from "../resolve/graph.js";
import type { Decision } from "../model/decision.js";
import type { GatewayRequest } from "../model/request.js";
import { decide, statusOf, type World } from "../world.js";
import { formatCounterexample, outcomeText, type Counterexample } from "./properties.js";
import { backendMatcher, backendText, describeTarget, type BackendTarget } from "./targets.js";

/** An object whose status to look at: `"HTTPRoute shop/cart"`, `"GatewayClass gwsim"`, or the fields. */
export type StatusRef =
  | string
  | {
      kind: string;
      namespace?: string;
      name: string;
      /** Gateway or ListenerSet: a listener's conditions instead of the object's. */
      listener?: string;
      /** Route: only the status entry for this parent (`"ns/name"` or `"ns/name/section"`); default every parent. */
      parent?: string;
    };

export type ConditionStatus = boolean | "True" | "False" | "Unknown";

/** The rest of `expect(world).toRoute(request)`. */
export interface RouteChain {
  /** Forwarded, and every backend of its split matches the target. */
  to(target: BackendTarget): void;
  /** The gateway answers with this status itself (404, 421, 500, 3xx, a CORS 204...). */
  toRespond(status: number): void;
  toRedirect(location: string | RegExp, status?: number): void;
  /** The split gives these targets these shares (others 0). */
  toSplit(shares: Record<string, number>, tolerance?: number): void;
}

export interface GwsimMatchers<R = unknown> {
  toRouteTo(request: GatewayRequest, target: BackendTarget): R;
  toRespond(request: GatewayRequest, status: number): R;
  toRedirect(request: GatewayRequest, location: string | RegExp, status?: number): R;
  toSplit(request: GatewayRequest, shares: Record<string, number>, tolerance?: number): R;
  toHaveCondition(ref: StatusRef, type: string, status: ConditionStatus, reason?: string): R;
  /** On a property result (neverRoutes, ...): passes when it found no counterexample. */
  toHold(): R;
  /** Chained form: `.to(target)`, `.toRespond(status)`, `.toRedirect(location)`, `.toSplit(shares)`. */
  toRoute(request: GatewayRequest): RouteChain;
}

declare module "vitest" {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
  interface Matchers<T = any> extends GwsimMatchers<T> {}
}

interface Verdict {
  pass: boolean;
  message: () => string;
}

function asWorld(actual: unknown): World {
  const w = actual as World | null;
  if (!w || typeof w !== "object" || !("table" in w) || !("graph" in w)) throw new TypeError("expect(world): the value is not a gwsim World (buildWorld's result)");
  return w;
}

/** A request that names no entry point goes to the world's only Gateway, as `gwsim route` does. */
export function withEntryPoint(world: World, request: GatewayRequest): GatewayRequest {
  if (request.gateway || request.service || request.address) return request;
  const gateways = [...new Set(world.graph.listeners.map((l) => `${l.gateway.namespace}/${l.gateway.name}`))];
  return gateways.length === 1 ? { ...request, gateway: gateways[0]! } : request;
}

function decideExplained(world: World, request: GatewayRequest): { request: GatewayRequest; d: Decision } {
  const full = withEntryPoint(world, request);
  return { request: full, d: decide(world, full, { explain: true }) };
}

function requestText(r: GatewayRequest): string {
  const target = `${r.scheme ?? "http"}://${r.host ?? ""}${r.port ? `:${r.port}` : ""}${r.path ?? "/"}`;
  const headers = r.headers && Object.keys(r.headers).length ? ` ${JSON.stringify(r.headers)}` : "";
  return `${(r.method ?? "GET").toUpperCase()} ${target}${headers}`;
}

function decisionText(d: Decision): string {
  const route = d.route ? ` by ${d.route.kind} ${d.route.namespace}/${d.route.name} rule ${d.route.rule}${d.route.ruleName ? ` (${d.route.ruleName})` : ""}` : "";
  const split = d.backends.length
    ? `\n  split: ${d.backends.map((b) => `${backendText(b)} ${Math.round(b.probability * 10000) / 100}%${b.valid ? "" : ` invalid (${b.reason})`}`).join(", ")}`
    : "";
  const explain = d.explain?.length ? `\n  gwsim explains:\n${d.explain.map((e) => `    ${e}`).join("\n")}` : "";
  return `${outcomeText(d)}${route}${split}${explain}`;
}

/**
 * Decisions that say nothing about the routes: the request names no entry point (or one that
 * does not exist), or is malformed. A matcher cannot pass on them, negated or not: otherwise
 * `.not.toRoute(r).to(x)` holds for a request that never reached the gateway.
 */
const UNROUTABLE = new Set(["NoEntryPoint", "GatewayNotFound", "BadRequest"]);

function verdict(pass: boolean, isNot: boolean, expectation: string, request: GatewayRequest, d: Decision, world: World, allowBadRequest = false): Verdict {
  const reason = typeof d.reason === "string" ? d.reason : "";
  if (UNROUTABLE.has(reason) && !(allowBadRequest && reason === "BadRequest")) {
    return {
      // Fails both ways: vitest reports a failure when pass === isNot is false for .not, i.e. pass = isNot.
      pass: isNot,
      message: () => `cannot check that ${requestText(request)} ${isNot ? "does not go" : "goes"} as expected (${expectation}): gwsim did not route it at all (${reason}: ${d.message ?? outcomeText(d)})${hint(world, reason)}; gwsim decided: ${decisionText(d)}`,
    };
  }
  return {
    pass,
    message: () => `expected ${requestText(request)} ${isNot ? "not " : ""}${expectation}; gwsim decided: ${decisionText(d)}`,
  };
}

function hint(world: World, reason: string): string {
  if (reason === "BadRequest") return "";
  const gateways = [...new Set(world.graph.listeners.map((l) => `${l.gateway.namespace}/${l.gateway.name}`))].sort();
  if (reason === "NoEntryPoint") return gateways.length ? `; the world has ${gateways.length} Gateways (${gateways.join(", ")}): say which with \`gateway\`` : "; the world has no Gateway";
  return gateways.length ? `; the world's Gateways: ${gateways.join(", ")}` : "; the world has no Gateway";
}

// ---------- the checks, shared by the flat matchers and the chain ----------

function checkRouteTo(world: World, request: GatewayRequest, target: BackendTarget, isNot: boolean): Verdict {
  const { request: r, d } = decideExplained(world, request);
  const hit = backendMatcher(target);
  const split = d.backends.filter((b) => b.probability > 0);
  const pass = d.outcome === "forward" && split.length > 0 && split.every((b) => b.valid && hit(b));
  return verdict(pass, isNot, `to route to ${describeTarget(target)}`, r, d, world);
}

function checkRespond(world: World, request: GatewayRequest, status: number, isNot: boolean): Verdict {
  const { request: r, d } = decideExplained(world, request);
  // A 400 for a malformed request is the gateway answering: toRespond(r, 400) may ask for exactly that.
  return verdict(d.outcome !== "forward" && d.status === status, isNot, `to be answered ${status} by the gateway`, r, d, world, status === 400);
}

function checkRedirect(world: World, request: GatewayRequest, location: string | RegExp, status: number | undefined, isNot: boolean): Verdict {
  const { request: r, d } = decideExplained(world, request);
  const loc = d.redirect?.location;
  const pass = d.outcome === "redirect" && loc !== undefined && (typeof location === "string" ? loc === location : location.test(loc)) && (status === undefined || d.redirect?.status === status);
  return verdict(pass, isNot, `to redirect${status ? ` (${status})` : ""} to ${String(location)}`, r, d, world);
}

function checkSplit(world: World, request: GatewayRequest, shares: Record<string, number>, tolerance: number, isNot: boolean): Verdict {
  const { request: r, d } = decideExplained(world, request);
  const matchers = Object.entries(shares).map(([target, want]) => ({ target, want, hit: backendMatcher(target) }));
  let pass = d.route !== null;
  for (const m of matchers) {
    const got = d.backends.filter((b) => m.hit(b)).reduce((s, b) => s + b.probability, 0);
    if (Math.abs(got - m.want) > tolerance) pass = false;
  }
  const unlisted = d.backends.filter((b) => b.probability > 0 && !matchers.some((m) => m.hit(b)));
  if (unlisted.length) pass = false;
  const want = matchers.map((m) => `${m.target} ${m.want}`).join(", ");
  return verdict(pass, isNot, `to split ${want}`, r, d, world);
}

interface StatusParentEntry {
  parentRef?: { namespace?: string; name?: string; sectionName?: string };
  ancestorRef?: { namespace?: string; name?: string; sectionName?: string };
  conditions?: Condition[];
}

function parseRef(ref: StatusRef): Exclude<StatusRef, string> {
  if (typeof ref !== "string") return ref;
  const m = /^(\S+)\s+(?:([^/\s]+)\/)?([^/\s]+)$/.exec(ref.trim());
  if (!m) throw new TypeError(`status ref ${JSON.stringify(ref)} is not "Kind namespace/name" (or "Kind name" for cluster-scoped kinds)`);
  return { kind: m[1]!, ...(m[2] ? { namespace: m[2] } : {}), name: m[3]! };
}

function checkCondition(world: World, rawRef: StatusRef, type: string, status: ConditionStatus, reason: string | undefined, isNot: boolean): Verdict {
  const ref = parseRef(rawRef);
  const want = status === true ? "True" : status === false ? "False" : status;
  const items = statusOf(world).items;
  const clusterScoped = ref.kind === "GatewayClass";
  const namespace = clusterScoped ? undefined : (ref.namespace ?? "default");
  const item = items.find((i) => i.kind === ref.kind && i.metadata.name === ref.name && (i.metadata.namespace ?? undefined) === namespace);
  const label = `${ref.kind} ${namespace ? `${namespace}/` : ""}${ref.name}${ref.listener ? ` listener ${ref.listener}` : ""}${ref.parent ? ` for parent ${ref.parent}` : ""}`;
  const expectation = `${label} ${isNot ? "not " : ""}to have ${type}=${want}${reason ? ` (${reason})` : ""}`;
  if (!item) {
    const known = items.map((i) => `${i.kind} ${i.metadata.namespace ? `${i.metadata.namespace}/` : ""}${i.metadata.name}`).join(", ");
    return { pass: false, message: () => `expected ${expectation}, but gwsim wrote no status for it (objects with status: ${known || "none"})` };
  }
  const s = item.status as { conditions?: Condition[]; listeners?: { name: string; conditions?: Condition[] }[]; parents?: StatusParentEntry[]; ancestors?: StatusParentEntry[] };
  let groups: { where: string; conditions: Condition[] }[];
  if (ref.listener !== undefined) {
    const l = s.listeners?.find((x) => x.name === ref.listener);
    groups = l ? [{ where: `listener ${l.name}`, conditions: l.conditions ?? [] }] : [];
  } else if (s.parents || s.ancestors) {
    const entries = (s.parents ?? s.ancestors ?? []).map((p) => {
      const pr = p.parentRef ?? p.ancestorRef ?? {};
      return { key: `${pr.namespace ?? namespace}/${pr.name}${pr.sectionName ? `/${pr.sectionName}` : ""}`, conditions: p.conditions ?? [] };
    });
    groups = entries.filter((e) => ref.parent === undefined || e.key === ref.parent || e.key.startsWith(`${ref.parent}/`)).map((e) => ({ where: `parent ${e.key}`, conditions: e.conditions }));
  } else {
    groups = [{ where: "", conditions: s.conditions ?? [] }];
  }
  const holds = (c: Condition[]) => c.some((x) => x.type === type && x.status === want && (reason === undefined || x.reason === reason));
  const pass = groups.length > 0 && groups.every((g) => holds(g.conditions));
  const found = groups.length
    ? groups.map((g) => `${g.where ? `${g.where}: ` : ""}${g.conditions.map((c) => `${c.type}=${c.status} (${c.reason}: ${c.message})`).join("; ") || "no conditions"}`).join("\n  ")
    : "no matching status entry";
  return { pass, message: () => `expected ${expectation}; gwsim's status:\n  ${found}` };
}

// ---------- vitest wiring ----------

interface MatcherState {
  isNot: boolean;
}

/** The flat matchers, for `expect.extend` (vitest or Jest-compatible runners). */
export const gwsimMatchers = {
  toRouteTo(this: MatcherState, world: unknown, request: GatewayRequest, target: BackendTarget) {
    return checkRouteTo(asWorld(world), request, target, this.isNot);
  },
  toRespond(this: MatcherState, world: unknown, request: GatewayRequest, status: number) {
    return checkRespond(asWorld(world), request, status, this.isNot);
  },
  toRedirect(this: MatcherState, world: unknown, request: GatewayRequest, location: string | RegExp, status?: number) {
    return checkRedirect(asWorld(world), request, location, status, this.isNot);
  },
  toSplit(this: MatcherState, world: unknown, request: GatewayRequest, shares: Record<string, number>, tolerance = 1e-9) {
    return checkSplit(asWorld(world), request, shares, tolerance, this.isNot);
  },
  toHaveCondition(this: MatcherState, world: unknown, ref: StatusRef, type: string, status: ConditionStatus, reason?: string) {
    return checkCondition(asWorld(world), ref, type, status, reason, this.isNot);
  },
  toHold(this: MatcherState, result: unknown) {
    // Anything else (undefined from a helper that forgot its return, the property function, a
    // Promise) fails both ways, as an unroutable request does: it would otherwise pass unchecked.
    if (result !== null && !isCounterexample(result)) {
      return { pass: this.isNot, message: () => `toHold: expected a property result (null or a Counterexample from neverRoutes, alwaysRoutes, isolated, sameRouting), got ${describeValue(result)}` };
    }
    return {
      pass: result === null,
      message: () => (result ? formatCounterexample(result) : "expected the property to fail, but no counterexample was found"),
    };
  },
};

function isCounterexample(v: unknown): v is Counterexample {
  if (!v || typeof v !== "object") return false;
  const c = v as Partial<Counterexample>;
  return typeof c.property === "string" && typeof c.reason === "string" && typeof c.request === "object" && typeof c.decision === "object";
}

function describeValue(v: unknown): string {
  if (v === undefined) return "undefined (did the function return the property's result?)";
  if (typeof v === "function") return `a function${v.name ? ` (${v.name})` : ""}: call it and pass its result`;
  if (v instanceof Promise) return "a Promise: properties are synchronous";
  return typeof v === "object" ? `an object with keys ${JSON.stringify(Object.keys(v as object))}` : `${typeof v} ${String(v)}`;
}

let installed = false;

/** Registers the matchers (and the chained `toRoute`) with vitest. Safe to call more than once. */
export async function installMatchers(): Promise<void> {
  if (installed) return;
  const { expect, chai, onTestFinished } = await import("vitest");
  expect.extend(gwsimMatchers);
  chai.use((c, utils) => {
    utils.addMethod(c.Assertion.prototype, "toRoute", function (this: object, request: GatewayRequest): RouteChain {
      const world = asWorld(utils.flag(this, "object"));
      const negate = Boolean(utils.flag(this, "negate"));
      // `expect(world).toRoute(r)` alone asserts nothing; fail the test rather than let it pass.
      let ended = false;
      const opened = new Error(`expect(world)${negate ? ".not" : ""}.toRoute(${requestText(request)}) was never finished with .to(), .toRespond(), .toRedirect() or .toSplit(), so it checked nothing`);
      const check = () => {
        if (!ended) throw opened;
      };
      // The test this assertion belongs to: vitest flags it on every assertion (the test context's
      // expect names its own test, so it.concurrent tests each get their check); the global
      // onTestFinished names whichever test ran last.
      const own = (utils.flag(this, "vitest-test") as { context?: { onTestFinished?: (fn: () => void) => void } } | undefined)?.context?.onTestFinished;
      try {
        if (typeof own === "function") own(check);
        else onTestFinished(check);
      } catch {
        // Outside a running test (module scope) there is no test to fail.
      }
      const settle = (v: Verdict) => {
        if (v.pass === negate) throw new c.AssertionError(v.message());
      };
      const end = <A extends unknown[]>(check: (...args: A) => void) => (...args: A) => {
        ended = true;
        check(...args);
      };
      return {
        to: end((target: BackendTarget) => settle(checkRouteTo(world, request, target, negate))),
        toRespond: end((status: number) => settle(checkRespond(world, request, status, negate))),
        toRedirect: end((location: string | RegExp, status?: number) => settle(checkRedirect(world, request, location, status, negate))),
        toSplit: end((shares: Record<string, number>, tolerance = 1e-9) => settle(checkSplit(world, request, shares, tolerance, negate))),
      };
    });
  });
  installed = true;
}
