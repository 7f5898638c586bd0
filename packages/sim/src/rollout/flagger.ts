/**
 * Flagger `Canary` with the Gateway API provider: Flagger writes the whole HTTPRoute named after
 * the apex Service itself (pkg/router/gateway_api.go), so each snapshot is that generated route
 * at the weights the scheduler (pkg/controller/scheduler.go) sets, one analysis interval apart.
 *
 * The route: parentRefs from service.gatewayRefs, hostnames from service.hosts, one rule with
 * service.match (default PathPrefix /), the service's header, rewrite and mirror filters and
 * timeouts, backendRefs `<apex>-primary` and `<apex>-canary` on service.port. With A/B testing
 * (analysis.match), rule 0's matches take the analysis headers and query params and a second
 * rule with the service matches sends everything else to the primary.
 *
 * The schedule, every analysis passing and every gate open:
 * - canary: the weight grows by stepWeight (or along stepWeights) each interval while below
 *   maxWeight (it may overshoot: only 100 caps it); at or above it, one more interval to
 *   promote (the primary Deployment gets the new spec), then all traffic back to the primary
 *   (at once, or stepWeightPromotion per interval);
 * - A/B testing (match and iterations): `iterations` intervals with the matching requests on
 *   the canary, one to promote, then the primary;
 * - Blue/Green (iterations, no match): `iterations` intervals with nothing on the canary (a
 *   mirror with analysis.mirror), one interval with everything on it, one to promote.
 * Each starts with the interval of the tick that detects the new revision (weight 0). With
 * analysis.sessionAffinity, every SetRoutes adds the sticky cookie rules (stickyRules below).
 */
import type { Diagnostic, ManifestObject } from "@gwsim/core";
import { formatDuration, parseGoDuration } from "./duration.js";
import { problemAt } from "./parse.js";
import type { RolloutPlan, RolloutStep } from "./types.js";
import { cloneObject, find, put, snapshot, working } from "./working.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

const DEFAULT_INTERVAL = 60_000;
const MIN_INTERVAL = 10_000;
const TOTAL = 100;

interface Names {
  namespace: string;
  apex: string;
  primary: string;
  canary: string;
}

interface Analysis {
  interval: number;
  iterations: number;
  mirror: boolean;
  maxWeight: number;
  stepWeight: number;
  stepWeights: number[];
  stepWeightPromotion: number;
  match: unknown[];
}

function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

/** Flagger's maxWeight(): the last stepWeights entry (at most 100), else maxWeight, else 100. */
export function flaggerMaxWeight(a: Pick<Analysis, "maxWeight" | "stepWeights">): number {
  if (a.stepWeights.length) return Math.min(TOTAL, a.stepWeights[a.stepWeights.length - 1]!);
  return a.maxWeight > 0 ? a.maxWeight : TOTAL;
}

/** Flagger's nextStepWeight(): how much the canary weight grows from `w`. */
export function flaggerNextStep(a: Pick<Analysis, "stepWeight" | "stepWeights">, w: number): number {
  if (a.stepWeight > 0 || a.stepWeights.length === 0) return a.stepWeight;
  const maxStep = TOTAL - w;
  if (maxStep === 0) return 1;
  if (w === 0) return Math.min(maxStep, a.stepWeights[0]!);
  for (let i = 0; i < a.stepWeights.length - 1; i++) {
    if (a.stepWeights[i] === w) return Math.min(maxStep, a.stepWeights[i + 1]! - w);
  }
  return maxStep;
}

/** The canary weights the scheduler sets, one per interval, until it promotes. */
export function flaggerWeights(a: Pick<Analysis, "stepWeight" | "stepWeights" | "maxWeight">): number[] {
  const max = flaggerMaxWeight(a);
  const out: number[] = [];
  let canary = 0;
  while (canary < max && out.length < 1000) {
    const step = flaggerNextStep(a, canary);
    if (step <= 0) break;
    const next = Math.min(TOTAL, canary + step);
    // At 100 under a maxWeight over 100, runCanary writes 0/100 again at every tick.
    if (next === canary) break;
    canary = next;
    out.push(canary);
  }
  return out;
}

type MatchProblem = (message: string) => void;

/** Istio-style HTTPMatchRequest list → Gateway API matches (mapRouteMatches). */
function mapMatches(list: unknown[], bad: MatchProblem): Obj[] {
  const out: Obj[] = [];
  for (const m of list) {
    if (!isObj(m)) continue;
    const hm: Obj = {};
    if (isObj(m.uri)) {
      if (str(m.uri.regex)) hm.path = { type: "RegularExpression", value: m.uri.regex };
      else if (str(m.uri.exact)) hm.path = { type: "Exact", value: m.uri.exact };
      else if (str(m.uri.prefix)) hm.path = { type: "PathPrefix", value: m.uri.prefix };
      else bad("uri: Gateway API takes exact, prefix or regex");
    }
    if (isObj(m.method)) {
      if (str(m.method.exact)) hm.method = m.method.exact;
      else bad("method: Gateway API takes exact only");
    }
    // Go ranges over these maps in random order; sorted here so snapshots are reproducible.
    for (const [field, key] of [["headers", "headers"], ["queryParams", "queryParams"]] as const) {
      if (!isObj(m[field])) continue;
      const items: Obj[] = [];
      for (const name of Object.keys(m[field]).sort()) {
        const v = (m[field] as Obj)[name];
        if (isObj(v) && str(v.exact)) items.push({ name, type: "Exact", value: v.exact });
        else if (isObj(v) && str(v.regex)) items.push({ name, type: "RegularExpression", value: v.regex });
        else bad(`${field}.${name}: Gateway API takes exact or regex`);
      }
      if (items.length) hm[key] = items;
    }
    if (Object.keys(hm).length) out.push(hm);
  }
  return out;
}

/** mergeMatchConditions: each analysis match over each service match, headers and query replaced. */
function mergeMatches(analysis: Obj[], service: Obj[]): Obj[] {
  if (analysis.length === 0) return service;
  if (service.length === 0) return analysis;
  const out: Obj[] = [];
  for (const a of analysis) {
    for (const s of service) {
      const m = structuredClone(s);
      if (Array.isArray(a.headers) && a.headers.length) m.headers = structuredClone(a.headers);
      if (Array.isArray(a.queryParams) && a.queryParams.length) m.queryParams = structuredClone(a.queryParams);
      out.push(m);
    }
  }
  return out;
}

function headerFilter(spec: unknown): Obj | null {
  if (!isObj(spec)) return null;
  const pairs = (m: unknown) =>
    isObj(m)
      ? Object.entries(m)
          .map(([name, value]) => ({ name, value: String(value) }))
          .sort((a, b) => (a.name === b.name ? (a.value < b.value ? -1 : a.value > b.value ? 1 : 0) : a.name < b.name ? -1 : 1))
      : [];
  const f: Obj = {};
  const add = pairs(spec.add);
  const set = pairs(spec.set);
  if (add.length) f.add = add;
  if (set.length) f.set = set;
  if (Array.isArray(spec.remove) && spec.remove.length) f.remove = spec.remove.map(String);
  return f;
}

/** toV1CORSFilter: Istio's corsPolicy as a Gateway API CORS filter (allowOrigins patterns have no equivalent). */
function corsFilter(policy: Obj, warn: (path: string, message: string) => void): Obj {
  const cors: Obj = {};
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
  if (Array.isArray(policy.allowOrigins) && policy.allowOrigins.length) {
    warn("spec.service.corsPolicy.allowOrigins", "corsPolicy.allowOrigins is not supported by Gateway API and Flagger drops it: use allowOrigin");
  }
  for (const [from, to] of [["allowOrigin", "allowOrigins"], ["allowMethods", "allowMethods"], ["allowHeaders", "allowHeaders"], ["exposeHeaders", "exposeHeaders"]] as const) {
    const values = list(policy[from]);
    if (values.length) cors[to] = values;
  }
  if (policy.allowCredentials === true) cors.allowCredentials = true;
  // A Go duration in whole seconds; a bad one, or 0, leaves the Gateway API default.
  const ms = typeof policy.maxAge === "string" ? parseGoDuration(policy.maxAge) : null;
  const seconds = ms === null ? 0 : Math.trunc(ms / 1000);
  if (seconds !== 0) cors.maxAge = seconds;
  return { type: "CORS", cors };
}

function makeFilters(service: Obj, v1beta1: boolean, warn: (path: string, message: string) => void): Obj[] {
  const filters: Obj[] = [];
  if (isObj(service.headers)) {
    const req = headerFilter(service.headers.request);
    if (req) filters.push({ type: "RequestHeaderModifier", requestHeaderModifier: req });
    const res = headerFilter(service.headers.response);
    if (res) filters.push({ type: "ResponseHeaderModifier", responseHeaderModifier: res });
  }
  if (isObj(service.rewrite)) {
    const rw: Obj = {};
    if (str(service.rewrite.authority)) rw.hostname = service.rewrite.authority;
    if (str(service.rewrite.uri)) {
      rw.path =
        service.rewrite.type === "ReplacePrefixMatch"
          ? { type: "ReplacePrefixMatch", replacePrefixMatch: service.rewrite.uri }
          : { type: "ReplaceFullPath", replaceFullPath: service.rewrite.uri };
    }
    filters.push({ type: "URLRewrite", urlRewrite: rw });
  }
  if (Array.isArray(service.mirror)) {
    for (const m of service.mirror) {
      // Flagger copies only the backendRef: a percent or fraction on it is dropped.
      const ref = isObj(m) && isObj(m.backendRef) ? m.backendRef : {};
      const backendRef: Obj = {};
      for (const k of ["group", "kind", "namespace", "name", "port"]) if (ref[k] !== undefined) backendRef[k] = ref[k];
      filters.push({ type: "RequestMirror", requestMirror: { backendRef } });
    }
  }
  // The v1beta1 router (gateway_api_v1beta1.go) writes no CORS filter.
  if (isObj(service.corsPolicy) && !v1beta1) filters.push(corsFilter(service.corsPolicy, warn));
  return filters;
}

export function flaggerCanarySteps(objects: readonly ManifestObject[], canaryDoc: ManifestObject): RolloutPlan {
  const problems: Diagnostic[] = [];
  const seen = new Set<string>();
  const add = (path: string, code: string, severity: Diagnostic["severity"], message: string): void => {
    if (seen.has(`${code}\u0000${message}`)) return;
    seen.add(`${code}\u0000${message}`);
    problems.push(problemAt(canaryDoc, path, code, severity, message));
  };
  const namespace = canaryDoc.metadata.namespace ?? "default";
  const name = `${namespace}/${canaryDoc.metadata.name}`;
  const fail = (path: string, code: string, message: string): RolloutPlan => {
    add(path, code, "error", message);
    return { ok: false, kind: "Canary", name, before: [...objects], steps: [], problems };
  };
  const spec = isObj(canaryDoc.spec) ? canaryDoc.spec : {};
  const provider = str(spec.provider);
  // router/factory.go picks the Gateway API routers by the prefixes gatewayapi:v1beta1 and
  // gatewayapi:v1; any other provider, bare `gatewayapi` included, falls to the Istio router.
  if (provider && !provider.startsWith("gatewayapi:v1")) {
    const why = provider === "gatewayapi" ? " (Flagger needs the version, gatewayapi:v1 or gatewayapi:v1beta1; without it, it uses the Istio router)" : "";
    return fail("spec.provider", "flagger.provider", `provider ${provider}: only the Gateway API provider's HTTPRoute is simulated${why}`);
  }
  const v1beta1 = provider?.startsWith("gatewayapi:v1beta1") ?? false;
  const target = isObj(spec.targetRef) ? str(spec.targetRef.name) : undefined;
  if (!target) return fail("spec.targetRef", "flagger.no-target", "spec.targetRef.name is required");
  const service = isObj(spec.service) ? spec.service : null;
  if (!service || typeof service.port !== "number") return fail("spec.service", "flagger.no-port", "spec.service.port is required");
  const gatewayRefs = Array.isArray(service.gatewayRefs) ? service.gatewayRefs.filter(isObj) : [];
  if (gatewayRefs.length === 0) return fail("spec.service", "flagger.no-gateway-refs", "GatewayRefs must be specified when using Gateway API as a provider.");
  const apex = str(service.name) ?? target;
  const names: Names = { namespace, apex, primary: `${apex}-primary`, canary: `${apex}-canary` };
  const port = service.port;

  const raw = isObj(spec.analysis) ? spec.analysis : isObj(spec.canaryAnalysis) ? spec.canaryAnalysis : null;
  let interval = DEFAULT_INTERVAL;
  if (raw && raw.interval !== undefined) {
    const ms = typeof raw.interval === "string" ? parseGoDuration(raw.interval) : null;
    if (ms === null) add("spec.analysis.interval", "flagger.bad-interval", "warning", `interval ${JSON.stringify(raw.interval)} is not a Go duration: Flagger uses 60s`);
    else interval = Math.max(MIN_INTERVAL, ms);
  }
  const a: Analysis = {
    interval,
    iterations: num(raw?.iterations),
    mirror: raw?.mirror === true,
    maxWeight: num(raw?.maxWeight),
    stepWeight: num(raw?.stepWeight),
    stepWeights: Array.isArray(raw?.stepWeights) ? (raw!.stepWeights as unknown[]).map(num) : [],
    stepWeightPromotion: num(raw?.stepWeightPromotion),
    match: Array.isArray(raw?.match) ? (raw!.match as unknown[]) : [],
  };
  // SetRoutes reads canary.Spec.Analysis.SessionAffinity: the deprecated canaryAnalysis has none.
  const affinity = isObj(spec.analysis) && isObj(spec.analysis.sessionAffinity) ? spec.analysis.sessionAffinity : null;
  if (raw && raw.mirrorWeight !== undefined) add("spec.analysis.mirrorWeight", "flagger.mirror-weight", "info", "the Gateway API router ignores mirrorWeight: it mirrors every request");
  const gates = (Array.isArray(raw?.webhooks) ? (raw!.webhooks as unknown[]) : []).filter((h) => isObj(h) && /^confirm-/.test(String(h.type ?? "")));
  if (gates.length) add("spec.analysis.webhooks", "flagger.gates", "info", "confirm-* webhooks are taken as approving at once");

  const serviceMatches = mapMatches(Array.isArray(service.match) ? service.match : [], (m) => add("spec.service.match", "flagger.bad-match", "error", `Invalid request matching selectors: ${m}`));
  const matches = serviceMatches.length ? serviceMatches : [{ path: { type: "PathPrefix", value: "/" } }];
  const abMatches = mapMatches(a.match, (m) => add("spec.analysis.match", "flagger.bad-match", "error", `Invalid request matching selectors: ${m}`));
  const filters = makeFilters(service, v1beta1, (path, message) => add(path, "flagger.unsupported", "warning", message));
  const timeouts: Obj = {};
  if (v1beta1) {
    for (const field of ["timeout", "backendTimeout", "corsPolicy"]) {
      if (service[field] !== undefined) add(`spec.service.${field}`, "flagger.v1beta1-drops", "warning", `provider gatewayapi:v1beta1: Flagger's v1beta1 router does not write ${field} on the route`);
    }
  } else {
    if (str(service.timeout)) timeouts.request = service.timeout;
    if (str(service.backendTimeout)) timeouts.backendRequest = service.backendTimeout;
  }
  const backendRef = (svc: string, weight: number): Obj => ({ group: "", kind: "Service", name: svc, port, weight });
  const parentRefs = gatewayRefs.map((g) => {
    const ref: Obj = {};
    for (const k of ["group", "kind", "namespace", "name", "sectionName", "port"]) if (g[k] !== undefined) ref[k] = g[k];
    return ref;
  });
  const hostnames = Array.isArray(service.hosts) ? service.hosts.map(String) : [];

  const sticky = affinity ? stickyRules(affinity, names, port, serviceMatches, raw?.interval, `${namespace}/${canaryDoc.metadata.name}`) : null;
  if (sticky?.intervalError) add("spec.analysis.interval", "flagger.session-affinity-interval", "error", sticky.intervalError);
  // Reconcile writes the route without sticky rules; SetRoutes (every weight change) with them.
  const routeSpec = (primaryWeight: number, canaryWeight: number, mirrored: boolean, setRoutes: boolean): Obj => {
    const rule: Obj = { matches: structuredClone(matches), backendRefs: [backendRef(names.primary, primaryWeight), backendRef(names.canary, canaryWeight)] };
    const f = structuredClone(filters);
    // SetRoutes adds the mirror only for Blue/Green (iterations > 0).
    if (mirrored && a.iterations > 0) f.push({ type: "RequestMirror", requestMirror: { backendRef: { group: "", kind: "Service", name: names.canary, port } } });
    if (f.length) rule.filters = f;
    if (Object.keys(timeouts).length) rule.timeouts = { ...timeouts };
    const rules: Obj[] = setRoutes && sticky ? sticky.rules(rule, canaryWeight) : [rule];
    if (a.match.length) {
      // SetRoutes puts the A/B matches on Rules[0]: with session affinity, the sticky rule.
      rules[0]!.matches = mergeMatches(abMatches, matches);
      const rest: Obj = { matches: structuredClone(matches), backendRefs: [backendRef(names.primary, TOTAL)] };
      if (filters.length) rest.filters = structuredClone(filters);
      if (Object.keys(timeouts).length) rest.timeouts = { ...timeouts };
      rules.push(rest);
    }
    return { parentRefs: structuredClone(parentRefs), ...(hostnames.length ? { hostnames: [...hostnames] } : {}), rules };
  };

  const w = working(objects);
  const apiVersion = v1beta1 ? "gateway.networking.k8s.io/v1beta1" : "gateway.networking.k8s.io/v1";
  const existing = find(w, "HTTPRoute", namespace, apex);
  const apexMeta = isObj(service.apex) ? service.apex : {};
  const setRoute = (p: number, c: number, mirrored: boolean, setRoutes = true): void => {
    const base: ManifestObject = existing
      ? cloneObject(existing)
      : { apiVersion, kind: "HTTPRoute", metadata: { name: apex, namespace } };
    base.apiVersion = apiVersion;
    if (isObj(apexMeta.labels)) base.metadata.labels = { ...(apexMeta.labels as Record<string, string>) };
    if (isObj(apexMeta.annotations)) base.metadata.annotations = { ...(base.metadata.annotations ?? {}), ...(apexMeta.annotations as Record<string, string>) };
    base.spec = routeSpec(p, c, mirrored, setRoutes);
    put(w, base);
  };
  if (existing) {
    add("spec.service", "flagger.route-replaced", "info", `Flagger owns HTTPRoute ${namespace}/${apex}: its spec is replaced by the generated one`);
  }
  // The Services Flagger creates, unless they are already given.
  for (const [svc, app] of [[names.apex, `${target}-primary`], [names.primary, `${target}-primary`], [names.canary, target]] as const) {
    if (find(w, "Service", namespace, svc)) continue;
    const ports = [{ name: str(service.portName) ?? "http", port, targetPort: service.targetPort ?? port, protocol: "TCP" }];
    put(w, { apiVersion: "v1", kind: "Service", metadata: { name: svc, namespace }, spec: { selector: { app }, ports } });
  }
  setRoute(TOTAL, 0, false, false);
  const before = snapshot(w);

  const steps: RolloutStep[] = [];
  const oldV = [`${namespace}/${names.primary}`];
  const newV = [`${namespace}/${names.canary}`];
  const bothNew = [...newV, ...oldV];
  const every = formatDuration(interval);
  const emit = (label: string, weight: number, intervals: number, hold: RolloutStep["hold"], promoted = false): void => {
    steps.push({
      name: label,
      actions: [label],
      weight,
      duration: hold === "timed" ? intervals * interval : null,
      hold,
      objects: snapshot(w),
      canary: promoted ? bothNew : newV,
      stable: promoted ? [] : oldV,
    });
  };
  const promote = (p: number, c: number): void => {
    emit(`promoting: ${names.primary} gets the new version (${every})`, c, 1, "timed", true);
    if (a.stepWeightPromotion > 0) {
      while (p < TOTAL) {
        p = Math.min(TOTAL, p + a.stepWeightPromotion);
        c = Math.max(0, c - a.stepWeightPromotion);
        setRoute(p, c, false);
        if (p < TOTAL) emit(`promotion: primary weight ${p} (${every})`, c, 1, "timed", true);
      }
    } else setRoute(TOTAL, 0, false);
    emit("promoted: all traffic to the primary, now the new version", 0, 0, "end", true);
  };

  const skip = !raw || spec.skipAnalysis === true;
  // The tick that detects the new revision (checkCanaryStatus) scales the canary up, sets the
  // phase to Progressing and returns: routes move from the next tick on.
  const detected = (): void => emit(`new revision detected: ${names.canary} scaled up, no traffic yet (${every})`, 0, 1, "timed");
  if (sticky?.intervalError && !skip) {
    detected();
    emit("SetRoutes fails (primary cookie Max-Age): stalled at weight 0", 0, 0, "end");
  } else if (skip) {
    add(raw ? "spec.skipAnalysis" : "spec", "flagger.skip-analysis", "info", "no analysis: Flagger promotes the new version on the tick after it detects it");
    detected();
    emit("promoted (analysis skipped)", 0, 0, "end", true);
  } else if (a.match.length && a.iterations > 0) {
    detected();
    setRoute(0, TOTAL, false);
    emit(`A/B testing: matching requests to ${names.canary}, ${a.iterations} × ${every}`, TOTAL, a.iterations, "timed");
    promote(0, TOTAL);
  } else if (a.iterations > 0) {
    detected();
    setRoute(TOTAL, 0, a.mirror);
    emit(`Blue/Green: ${a.iterations} × ${every} on the primary${a.mirror ? `, mirrored to ${names.canary}` : ""}`, 0, a.iterations, "timed");
    setRoute(0, TOTAL, false);
    emit(`Blue/Green: all traffic to ${names.canary} (${every})`, TOTAL, 1, "timed");
    promote(0, TOTAL);
  } else if (a.mirror) {
    // The router adds the mirror filter only when iterations > 0, so GetRoutes never reads the
    // canary as mirrored and runCanary takes its mirror step again at every interval.
    add(
      "spec.analysis.mirror",
      "flagger.mirror-loop",
      "error",
      "mirror with progressive weights: the Gateway API router adds the mirror filter only for Blue/Green (iterations), so Flagger repeats its mirror step and never shifts traffic",
    );
    detected();
    emit("mirror step, repeated: no traffic shift", 0, 0, "manual");
  } else {
    const weights = flaggerWeights(a);
    if (weights.length === 0) {
      return fail("spec.analysis", "flagger.no-steps", "the analysis has no stepWeight, stepWeights or iterations: Flagger never shifts traffic");
    }
    detected();
    const last = weights[weights.length - 1]!;
    // advanceCanary calls runCanary only while nextStepWeight > 0: stepWeights that do not
    // increase give a step ≤ 0 below maxWeight, and the weight stays there for good.
    const stalled = last < flaggerMaxWeight(a);
    if (stalled && last === TOTAL) {
      add(
        "spec.analysis.maxWeight",
        "flagger.stalled",
        "error",
        `maxWeight ${a.maxWeight} is over 100: the canary weight stops at 100 and never reaches it, so Flagger sets the same weights at every interval and never promotes`,
      );
    } else if (stalled) {
      add(
        "spec.analysis.stepWeights",
        "flagger.stalled",
        "error",
        `stepWeights ${JSON.stringify(a.stepWeights)} do not increase after ${last}: Flagger's next step weight is ${flaggerNextStep(a, last)}, so the canary stays at weight ${last} and is never promoted`,
      );
    }
    weights.forEach((c, i) => {
      setRoute(TOTAL - c, c, false);
      if (stalled && i === weights.length - 1) emit(`weight ${c}, stalled: no next step weight`, c, 0, "end");
      else emit(`weight ${c} (${every})`, c, 1, "timed");
    });
    if (!stalled) promote(TOTAL - last, last);
  }
  const plan: RolloutPlan = { ok: !problems.some((p) => p.severity === "error"), kind: "Canary", name, before, steps, problems };
  if (sticky) plan.sessionCookies = sticky.cookies;
  return plan;
}

/** Ten letters from a name, in place of Flagger's randSeq(), so that snapshots are reproducible. */
function lettersOf(seed: string): string {
  const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  let h = 2166136261;
  let out = "";
  for (let i = 0; i < 10; i++) {
    for (const ch of `${seed}/${i}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    out += letters[h % letters.length];
  }
  return out;
}

/**
 * getSessionAffinityRouteRules (gateway_api.go), as SetRoutes calls it at each weight: while the
 * canary has weight, a rule before the weighted one sends requests carrying the canary cookie to
 * the canary (and, with primaryCookieName, one sends the primary cookie to the primary), and the
 * weighted rule's backendRefs set those cookies; at weight 0 after a run, a rule matching the old
 * cookie deletes it (Max-Age=-1).
 */
function stickyRules(affinity: Obj, names: Names, port: number, serviceMatches: Obj[], interval: unknown, seed: string) {
  const cookieName = str(affinity.cookieName) ?? "";
  const primaryName = str(affinity.primaryCookieName);
  const canaryCookie = `${cookieName}=${lettersOf(`${seed}/canary`)}`;
  const primaryCookie = primaryName ? `${primaryName}=${lettersOf(`${seed}/primary`)}` : null;
  const maxAge = typeof affinity.maxAge === "number" && affinity.maxAge !== 0 ? affinity.maxAge : 86400;
  // The primary cookie lasts one interval: time.ParseDuration of the raw interval, which fails
  // for an empty or bad one, and SetRoutes with it.
  const intervalMs = typeof interval === "string" ? parseGoDuration(interval) : null;
  const intervalError =
    primaryCookie && intervalMs === null
      ? `sessionAffinity.primaryCookieName needs analysis.interval as a Go duration (${interval === undefined ? "none given" : JSON.stringify(interval)}): Flagger's SetRoutes fails to parse it for the cookie's Max-Age, so no weight is ever set`
      : null;
  const build = (cookie: string, age: number): string => {
    let c = `${cookie}; Max-Age=${age}`;
    if (str(affinity.domain)) c += `; Domain=${affinity.domain as string}`;
    if (affinity.httpOnly === true) c += "; HttpOnly";
    if (affinity.partitioned === true) c += "; Partitioned";
    if (str(affinity.path)) c += `; Path=${affinity.path as string}`;
    if (str(affinity.sameSite)) c += `; SameSite=${affinity.sameSite as string}`;
    if (affinity.secure === true) c += "; Secure";
    return c;
  };
  const setCookie = (value: string): Obj => ({ type: "ResponseHeaderModifier", responseHeaderModifier: { add: [{ name: "Set-Cookie", value }] } });
  const cookieMatch = (cookie: string): Obj => {
    const [k, v] = cookie.split("=");
    return { headers: [{ type: "RegularExpression", name: "Cookie", value: `.*${k}.*${v}.*` }] };
  };
  const ref = (svc: string, weight: number): Obj => ({ group: "", kind: "Service", name: svc, port, weight });
  let issued = false;
  return {
    cookies: [cookieName, ...(primaryName ? [primaryName] : [])],
    intervalError,
    rules(weighted: Obj, canaryWeight: number): Obj[] {
      const stickyCanary = structuredClone(weighted);
      if (canaryWeight !== 0) {
        issued = true;
        const refs = weighted.backendRefs as Obj[];
        refs[1]!.filters = [setCookie(build(canaryCookie, maxAge))];
        stickyCanary.matches = mergeMatches([cookieMatch(canaryCookie)], serviceMatches);
        stickyCanary.backendRefs = [ref(names.primary, 0), ref(names.canary, 100)];
        if (primaryCookie) {
          refs[0]!.filters = [setCookie(build(primaryCookie, Math.trunc((intervalMs ?? 0) / 1000)))];
          const stickyPrimary = structuredClone(weighted);
          delete (stickyPrimary.backendRefs as Obj[])[0]!.filters;
          delete (stickyPrimary.backendRefs as Obj[])[1]!.filters;
          stickyPrimary.matches = mergeMatches([cookieMatch(primaryCookie)], serviceMatches);
          stickyPrimary.backendRefs = [ref(names.primary, 100), ref(names.canary, 0)];
          return [stickyCanary, stickyPrimary, weighted];
        }
        return [stickyCanary, weighted];
      }
      if (issued) {
        stickyCanary.matches = mergeMatches([cookieMatch(canaryCookie)], serviceMatches);
        stickyCanary.filters = [...((stickyCanary.filters as Obj[] | undefined) ?? []), setCookie(`${canaryCookie}; Max-Age=-1`)];
      }
      return [stickyCanary, weighted];
    },
  };
}

