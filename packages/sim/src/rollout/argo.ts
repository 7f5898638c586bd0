/**
 * Argo Rollouts with the Gateway API traffic-router plugin (argoproj-labs/gatewayAPI, 0.15.0):
 * the canary `steps` become route snapshots, each edit being the one the plugin makes.
 *
 * The controller (rollout/trafficrouting.go) reconciles at each step index: it applies the
 * step's setHeaderRoute / setMirrorRoute, then SetWeight(the last setWeight at or before the
 * index, 0 if none). While the new ReplicaSet has no available pod (the very start) it calls
 * RemoveManagedRoutes and SetWeight(0); after the last step SetWeight(maxTrafficWeight); once
 * fully promoted RemoveManagedRoutes and SetWeight(0), the stable Service now selecting the new
 * pods. Pauses and experiments take time; every other step is instantaneous.
 *
 * The plugin's HTTPRoute edits (pkg/plugin/httproute.go):
 * - SetWeight: on every rule that is not a managed one (named after a managedRoutes entry, or
 *   "structurally" managed: exactly one backendRef, the canary), backendRefs named after the
 *   canary Service get the weight and those named after the stable one 100 − weight; an error
 *   when the route has no canary or no stable backendRef at all.
 * - SetHeaderRoute with a match: one rule per rule holding both Services, named after the
 *   step (then `name-1`, `name-2`, ...), with that rule's filters, its matches each with the
 *   step's headers appended (exact → Exact, prefix → RegularExpression `prefix.*`, regex →
 *   RegularExpression) and a single backendRef to the canary on its port; earlier rules of the
 *   same name, and rules that send only to the canary and match the same header names, are
 *   removed first; the new rules go last.
 * - SetHeaderRoute without a match, and RemoveManagedRoutes: every rule named after a
 *   managedRoutes entry, and every rule whose only backendRef is the canary, is removed.
 * TCPRoute and TLSRoute: SetWeight only, on every rule. GRPCRoute: as HTTPRoute.
 * - While an experiment step runs, SetWeight also adds its weighted templates' Services to the
 *   first rule of each HTTPRoute sending to canary or stable (experiment.go HandleExperiment).
 * A call that fails on a route returns before the routes after it, and the controller retries
 * the step without moving on: the plan ends there (`argo.stuck`).
 */
import { selectorMatches, validateObject, type Diagnostic, type ManifestObject } from "@gwsim/core";
import { argoPauseMs, formatDuration, parseGoDuration } from "./duration.js";
import { problemAt } from "./parse.js";
import type { RolloutOptions, RolloutPlan, RolloutStep } from "./types.js";
import { edit, find, put, remove, rulesOf, setRules, snapshot, working, type BackendRef, type Rule, type Working } from "./working.js";

export const ARGO_PLUGIN = "argoproj-labs/gatewayAPI";
export const IN_PROGRESS_LABEL = "rollouts.argoproj.io/gatewayapi-canary";
const IN_PROGRESS_VALUE = "in-progress";

type RouteKind = "HTTPRoute" | "GRPCRoute" | "TCPRoute" | "TLSRoute";

interface RouteConfig {
  kind: RouteKind;
  name: string;
  useHeaderRoutes: boolean;
}

interface Ctx {
  rollout: ManifestObject;
  w: Working;
  namespace: string;
  /** The Rollout's namespace, where its canary and stable Services are. */
  serviceNamespace: string;
  canary: string;
  stable: string;
  managed: Set<string>;
  routes: RouteConfig[];
  label: { key: string; value: string } | null;
  mirror: "rule" | "ignore";
  problems: Diagnostic[];
  seen: Set<string>;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

function problem(ctx: Ctx, path: string, code: string, severity: Diagnostic["severity"], message: string): void {
  const key = `${code}\u0000${message}`;
  if (ctx.seen.has(key)) return;
  ctx.seen.add(key);
  ctx.problems.push(problemAt(ctx.rollout, path, code, severity, message));
}

/** The plugin's own check: the bare managed name (first rule) or `name-N` (later rules). */
function isManagedRuleName(ruleName: string | undefined, names: Set<string>): boolean {
  if (!ruleName) return false;
  if (names.has(ruleName)) return true;
  for (const base of names) {
    if (ruleName.startsWith(`${base}-`) && /^\d+$/.test(ruleName.slice(base.length + 1))) return true;
  }
  return false;
}

/** Exactly one backendRef, the canary (and, when headers are given, a match naming them all). */
function isStructurallyManaged(rule: Rule, canary: string, headerNames: string[] | null): boolean {
  const refs = rule.backendRefs ?? [];
  if (refs.length !== 1 || refs[0]!.name !== canary) return false;
  if (headerNames === null) return true;
  return (rule.matches ?? []).some((m) => {
    const hs = (Array.isArray(m.headers) ? m.headers : []) as Obj[];
    return headerNames.every((n) => hs.some((h) => h.name === n));
  });
}

function routeLabel(ctx: Ctx, r: RouteConfig): string {
  return `${r.kind} ${ctx.namespace}/${r.name}`;
}

function ruleLabel(rule: Rule, index: number): string {
  return rule.name ? `rule ${index} (${rule.name})` : `rule ${index}`;
}

function setLabel(ctx: Ctx, o: ManifestObject, weight: number): void {
  if (!ctx.label) return;
  const labels = o.metadata.labels;
  if (weight === 0) {
    if (labels && ctx.label.key in labels) delete labels[ctx.label.key];
    return;
  }
  o.metadata.labels = { ...(labels ?? {}), [ctx.label.key]: ctx.label.value };
}

/**
 * A Service an experiment template with a weight adds to the routes while the experiment runs
 * (trafficrouting.go calculateWeightDestinationsFromExperiment): its name, weight and the port
 * the plugin picks, or null when the experiment controller creates no Service (no container port).
 */
interface Destination {
  service: string;
  weight: number;
  port: number | null;
}

/** Whether a rule is one the plugin keeps its weights off (a header route of its own). */
function isPluginRule(ctx: Ctx, kind: RouteKind, rule: Rule): boolean {
  const weighted = kind === "HTTPRoute" || kind === "GRPCRoute";
  return weighted && (isManagedRuleName(rule.name, ctx.managed) || isStructurallyManaged(rule, ctx.canary, null));
}

/** The plugin's SetWeight edit of one route's rules, in place; whether both Services were found. */
function applyWeight(ctx: Ctx, r: RouteConfig, rules: Rule[], weight: number, extras: Destination[]): boolean {
  let canaryFound = false;
  let stableFound = false;
  for (const rule of rules) {
    if (isPluginRule(ctx, r.kind, rule)) continue;
    for (const ref of rule.backendRefs ?? []) {
      if (ref.name === ctx.canary) {
        ref.weight = weight;
        canaryFound = true;
      } else if (ref.name === ctx.stable) {
        ref.weight = 100 - weight;
        stableFound = true;
      }
    }
  }
  // HandleExperiment runs for HTTPRoutes only, after the weights (httproute.go setHTTPRouteWeight).
  if (canaryFound && stableFound && r.kind === "HTTPRoute" && extras.length) addExperimentServices(ctx, rules, extras);
  return canaryFound && stableFound;
}

/**
 * experiment.go HandleExperiment while the experiment runs: in the first rule (managed or not)
 * with a backendRef named after the stable or canary Service, the first stable ref gets
 * 100 − Σ template weights (the canary keeps its weight, so that rule sums to 100 + canary
 * weight) and each experiment Service not already there is appended with its weight, in the
 * Rollout's namespace. A Service the controller could not create is skipped (its Get fails).
 */
function addExperimentServices(ctx: Ctx, rules: Rule[], extras: Destination[]): void {
  const rule = rules.find((x) => (x.backendRefs ?? []).some((b) => b.name === ctx.stable || b.name === ctx.canary));
  if (!rule) return; // the plugin logs "no matching rule" and updates the weights alone
  const total = Math.min(100, extras.reduce((a, d) => a + d.weight, 0));
  const stableRef = (rule.backendRefs ?? []).find((b) => b.name === ctx.stable);
  if (stableRef) stableRef.weight = 100 - total;
  for (const d of extras) {
    if (d.port === null || (rule.backendRefs ?? []).some((b) => b.name === d.service)) continue;
    rule.backendRefs = [...(rule.backendRefs ?? []), { name: d.service, namespace: ctx.serviceNamespace, port: d.port, weight: d.weight }];
  }
}

/** After the experiment: the plugin drops the Services it added (from the first such rule). */
function removeExperimentServices(ctx: Ctx, extras: Destination[]): void {
  const names = new Set(extras.map((d) => d.service));
  for (const r of ctx.routes) {
    if (r.kind !== "HTTPRoute") continue;
    const current = find(ctx.w, r.kind, ctx.namespace, r.name);
    const idx = current ? rulesOf(current).findIndex((x) => (x.backendRefs ?? []).some((b) => b.name === ctx.stable || b.name === ctx.canary)) : -1;
    if (idx < 0 || !(rulesOf(current!)[idx]!.backendRefs ?? []).some((b) => names.has(b.name ?? ""))) continue;
    const rule = rulesOf(edit(ctx.w, r.kind, ctx.namespace, r.name)!)[idx]!;
    rule.backendRefs = (rule.backendRefs ?? []).filter((b) => !names.has(b.name ?? ""));
  }
}

/**
 * The plugin's SetWeight over the configured routes, in its order (HTTPRoutes, GRPCRoutes,
 * TCPRoutes, TLSRoutes): forEachGatewayAPIRoute returns the first route's error, so the routes
 * before it keep their update and the ones after it are not touched. Returns the route that
 * failed, or null.
 */
function setWeight(ctx: Ctx, weight: number, path: string, extras: Destination[] = []): string | null {
  // The plugin splits 100 whatever maxTrafficWeight is: the stable Service gets 100 − weight.
  const rest = 100 - weight;
  if (weight < 0 || rest < 0) {
    problem(
      ctx,
      path,
      "argo.weight-rejected",
      "error",
      `the plugin writes weights ${weight} (canary) and 100 − ${weight} = ${rest} (stable); the API server rejects a backendRef weight below 0, so SetWeight fails and the rollout does not progress`,
    );
    return ctx.routes[0] ? routeLabel(ctx, ctx.routes[0]) : "the first route";
  }
  for (const r of ctx.routes) {
    const current = find(ctx.w, r.kind, ctx.namespace, r.name);
    if (!current) {
      problem(ctx, path, "argo.route-not-found", "error", `${routeLabel(ctx, r)} not found: the plugin cannot set weights on it`);
      return routeLabel(ctx, r);
    }
    const candidate = structuredClone(rulesOf(current));
    if (!applyWeight(ctx, r, candidate, weight, extras)) {
      const names = rulesOf(current).flatMap((rule) => (isPluginRule(ctx, r.kind, rule) ? [] : (rule.backendRefs ?? []).map((b) => b.name)));
      const missing = [!names.includes(ctx.canary) ? `canary ${ctx.canary}` : "", !names.includes(ctx.stable) ? `stable ${ctx.stable}` : ""].filter(Boolean).join(" and ");
      problem(ctx, path, "argo.backend-not-found", "error", `${routeLabel(ctx, r)} has no backendRef to the ${missing} Service: the plugin fails to set weight ${weight}`);
      return routeLabel(ctx, r);
    }
    if (extras.length && r.kind === "HTTPRoute" && rejected(ctx, r, current, candidate, `setWeight ${weight} with the experiment's Services`, path)) return routeLabel(ctx, r);
    const o = edit(ctx.w, r.kind, ctx.namespace, r.name)!;
    applyWeight(ctx, r, rulesOf(o), weight, extras);
    setLabel(ctx, o, weight);
  }
  return null;
}

/** A setHeaderRoute `match` list as Gateway API header matches, or a problem. */
function headerMatches(ctx: Ctx, match: unknown[], path: string): Obj[] | null {
  const out: Obj[] = [];
  for (const [i, m] of match.entries()) {
    const name = isObj(m) ? str(m.headerName) : undefined;
    const value = isObj(m) && isObj(m.headerValue) ? m.headerValue : {};
    const exact = str(value.exact);
    const prefix = str(value.prefix);
    const regex = str(value.regex);
    if (!name || (!exact && !prefix && !regex)) {
      problem(ctx, `${path}.match[${i}]`, "argo.invalid-header-match", "error", "a header route match needs headerName and one of headerValue.exact, prefix or regex");
      return null;
    }
    if (exact) out.push({ name, type: "Exact", value: exact });
    else if (prefix) out.push({ name, type: "RegularExpression", value: `${prefix}.*` });
    else out.push({ name, type: "RegularExpression", value: regex });
  }
  return out;
}

function copyDefined(src: Obj, keys: string[]): Obj {
  const out: Obj = {};
  for (const k of keys) if (src[k] !== undefined && src[k] !== null) out[k] = structuredClone(src[k]);
  return out;
}

/** Remove rules the plugin takes for its own; a rule it did not add is a user's rule lost: warn. */
function removeRules(ctx: Ctx, r: RouteConfig, o: ManifestObject, drop: (rule: Rule) => boolean, why: string, path: string): void {
  const rules = rulesOf(o);
  const kept: Rule[] = [];
  rules.forEach((rule, i) => {
    if (!drop(rule)) {
      kept.push(rule);
      return;
    }
    const mark = ctx.w.marks.get(rule);
    if (mark === undefined) {
      problem(
        ctx,
        path,
        "argo.user-rule-removed",
        "warning",
        `${why} removes ${ruleLabel(rule, i)} of ${routeLabel(ctx, r)}: its only backendRef is the canary ${ctx.canary}, so the plugin takes it for one of its own header routes`,
      );
    }
  });
  if (kept.length !== rules.length) setRules(o, kept);
}

function removeManagedRoutes(ctx: Ctx, names: Set<string>, why: string, path: string, withMirrors: boolean): void {
  for (const r of ctx.routes) {
    if (r.kind !== "HTTPRoute" && r.kind !== "GRPCRoute") continue;
    if (!find(ctx.w, r.kind, ctx.namespace, r.name)) continue;
    if (r.useHeaderRoutes) {
      const o = edit(ctx.w, r.kind, ctx.namespace, r.name)!;
      removeRules(ctx, r, o, (rule) => isManagedRuleName(rule.name, names) || isStructurallyManaged(rule, ctx.canary, null), why, path);
    }
    if (withMirrors && r.kind === "HTTPRoute") removeMirrorRules(ctx, r, names);
  }
}

function removeMirrorRules(ctx: Ctx, r: RouteConfig, names: Set<string>): void {
  const o = edit(ctx.w, r.kind, ctx.namespace, r.name);
  if (!o) return;
  const rules = rulesOf(o);
  const kept = rules.filter((rule) => {
    const mark = ctx.w.marks.get(rule);
    return !(mark?.startsWith("mirror:") && names.has(mark.slice(7)));
  });
  if (kept.length !== rules.length) setRules(o, kept);
}

/** The plugin's SetHeaderRoute; as SetWeight, it stops at the first route that fails (returned). */
function setHeaderRoute(ctx: Ctx, step: Obj, path: string): string | null {
  const name = str(step.name);
  if (!name) {
    problem(ctx, `${path}.name`, "argo.invalid-step", "error", "setHeaderRoute needs a name");
    return null;
  }
  if (!ctx.managed.has(name)) {
    problem(ctx, `${path}.name`, "argo.unmanaged-route", "error", `setHeaderRoute ${name} is not listed in trafficRouting.managedRoutes (Argo Rollouts rejects the Rollout)`);
  }
  if (step.match === undefined || step.match === null) {
    // The plugin removes every managed route here, not only this one.
    removeManagedRoutes(ctx, ctx.managed, `setHeaderRoute ${name} without a match`, path, false);
    return null;
  }
  const match = Array.isArray(step.match) ? step.match : [];
  const headers = headerMatches(ctx, match, path);
  // getHTTPHeaderRouteRuleList fails before any route is read.
  if (!headers) return "its match";
  const headerNames = headers.map((h) => h.name as string);
  for (const r of ctx.routes) {
    if (!r.useHeaderRoutes || (r.kind !== "HTTPRoute" && r.kind !== "GRPCRoute")) continue;
    const current = find(ctx.w, r.kind, ctx.namespace, r.name);
    if (!current) {
      problem(ctx, path, "argo.route-not-found", "error", `${routeLabel(ctx, r)} not found: the plugin cannot add header route ${name}`);
      return routeLabel(ctx, r);
    }
    const sources = rulesOf(current).filter((rule) => {
      const names = (rule.backendRefs ?? []).map((b) => b.name);
      return names.includes(ctx.canary) && names.includes(ctx.stable);
    });
    if (sources.length === 0) {
      problem(ctx, path, "argo.backend-not-found", "error", `${routeLabel(ctx, r)} has no rule with both ${ctx.stable} and ${ctx.canary}: the plugin fails to add header route ${name}`);
      return routeLabel(ctx, r);
    }
    const added: Rule[] = sources.map((src, idx) => {
      const canaryRef = (src.backendRefs ?? []).find((b) => b.name === ctx.canary)!;
      const ref: BackendRef = { group: "", kind: "Service", name: ctx.canary };
      if (canaryRef.port !== undefined) ref.port = canaryRef.port;
      const fields = r.kind === "HTTPRoute" ? ["path", "queryParams", "method"] : ["method"];
      const matches = (src.matches ?? []).length
        ? src.matches!.map((m) => ({ ...copyDefined(m, fields), headers: [...((Array.isArray(m.headers) ? structuredClone(m.headers) : []) as Obj[]), ...structuredClone(headers)] }))
        : [{ headers: structuredClone(headers) }];
      return {
        name: idx === 0 ? name : `${name}-${idx}`,
        matches,
        filters: structuredClone(src.filters ?? []),
        backendRefs: [ref],
      };
    });
    if (ctx.namespace !== ctx.serviceNamespace) {
      problem(
        ctx,
        path,
        "argo.header-route-namespace",
        "warning",
        `setHeaderRoute ${name}: the plugin's rule names ${ctx.canary} without a namespace, so on ${routeLabel(ctx, r)} it is Service ${ctx.namespace}/${ctx.canary}, not the Rollout's ${ctx.serviceNamespace}/${ctx.canary}`,
      );
    }
    const drop = (rule: Rule) => isManagedRuleName(rule.name, new Set([name])) || isStructurallyManaged(rule, ctx.canary, headerNames);
    // forEachGatewayAPIRoute stops at the first route whose update fails.
    if (rejected(ctx, r, current, [...rulesOf(current).filter((rule) => !drop(rule)), ...added], `setHeaderRoute ${name}`, path)) return routeLabel(ctx, r);
    const o = edit(ctx.w, r.kind, ctx.namespace, r.name)!;
    removeRules(ctx, r, o, drop, `setHeaderRoute ${name}`, path);
    for (const rule of added) ctx.w.marks.set(rule, `header:${name}`);
    setRules(o, [...rulesOf(o), ...added]);
  }
  return null;
}

/**
 * Whether the API server refuses the plugin's update of a route to these rules: a schema error
 * the route did not have before (a header name twice in one match, more than 16 rules, ...).
 * The update fails, the route stays as it was and the plugin returns the error.
 */
function rejected(ctx: Ctx, r: RouteConfig, current: ManifestObject, rules: Rule[], what: string, path: string): boolean {
  const errors = (o: ManifestObject) => validateObject(o).issues.filter((i) => i.severity === "error");
  const had = new Set(errors(current).map((i) => `${i.path}\u0000${i.code}`));
  const candidate: ManifestObject = { ...current, spec: { ...(current.spec as Obj), rules } };
  const fresh = errors(candidate).filter((i) => !had.has(`${i.path}\u0000${i.code}`));
  if (fresh.length === 0) return false;
  const first = fresh[0]!;
  problem(
    ctx,
    path,
    "argo.update-rejected",
    "error",
    `${what}: the API server rejects the plugin's update of ${routeLabel(ctx, r)} (${first.path}: ${first.message}${fresh.length > 1 ? `, and ${fresh.length - 1} more` : ""}); the route stays as it was and the rollout does not progress`,
  );
  return true;
}

const PATH_TYPES: Record<string, string> = { exact: "Exact", prefix: "PathPrefix", regex: "RegularExpression" };

function mirrorMatches(ctx: Ctx, match: unknown[], path: string): Obj[] | null {
  const out: Obj[] = [];
  for (const [i, m] of match.entries()) {
    if (!isObj(m)) return null;
    const hm: Obj = {};
    const bad = () => {
      problem(ctx, `${path}.match[${i}]`, "argo.invalid-mirror-match", "error", "a mirror route match takes path exact|prefix|regex, method exact, headers exact|prefix|regex");
      return null;
    };
    if (m.path !== undefined) {
      const p = isObj(m.path) ? m.path : {};
      const t = ["exact", "prefix", "regex"].find((k) => str(p[k]));
      if (!t) return bad();
      hm.path = { type: PATH_TYPES[t], value: p[t] };
    }
    if (m.method !== undefined) {
      const exact = isObj(m.method) ? str(m.method.exact) : undefined;
      if (!exact) return bad();
      hm.method = exact;
    }
    if (isObj(m.headers)) {
      // Go ranges over a map in random order; sorted here so snapshots are reproducible.
      const headers: Obj[] = [];
      for (const h of Object.keys(m.headers).sort()) {
        const v = isObj(m.headers[h]) ? (m.headers[h] as Obj) : {};
        if (str(v.exact)) headers.push({ name: h, type: "Exact", value: v.exact });
        else if (str(v.prefix)) headers.push({ name: h, type: "RegularExpression", value: `${v.prefix as string}.*` });
        else if (str(v.regex)) headers.push({ name: h, type: "RegularExpression", value: v.regex });
        else return bad();
      }
      hm.headers = headers;
    }
    out.push(hm);
  }
  return out;
}

function setMirrorRoute(ctx: Ctx, step: Obj, path: string): void {
  const name = str(step.name);
  if (!name) {
    problem(ctx, `${path}.name`, "argo.invalid-step", "error", "setMirrorRoute needs a name");
    return;
  }
  if (ctx.mirror === "ignore") {
    problem(ctx, path, "argo.mirror-ignored", "warning", `setMirrorRoute ${name}: the released Gateway API plugin (0.15.0) does nothing for this step; no mirror is simulated`);
    return;
  }
  problem(
    ctx,
    path,
    "argo.mirror-unreleased",
    "warning",
    `setMirrorRoute ${name}: modelled as the plugin's traffic-mirroring branch does it (an added rule with a RequestMirror filter); the released plugin (0.15.0) ignores the step`,
  );
  if (!ctx.managed.has(name)) {
    problem(ctx, `${path}.name`, "argo.unmanaged-route", "error", `setMirrorRoute ${name} is not listed in trafficRouting.managedRoutes (Argo Rollouts rejects the Rollout)`);
  }
  const httpRoutes = ctx.routes.filter((r) => r.kind === "HTTPRoute");
  if (step.match === undefined || step.match === null) {
    for (const r of httpRoutes) removeMirrorRules(ctx, r, new Set([name]));
    return;
  }
  const matches = mirrorMatches(ctx, Array.isArray(step.match) ? step.match : [], path);
  if (!matches) return;
  const percentage = typeof step.percentage === "number" ? step.percentage : undefined;
  for (const r of httpRoutes) {
    const current = find(ctx.w, r.kind, ctx.namespace, r.name);
    if (!current) continue;
    const source = rulesOf(current).find((rule) => {
      const names = (rule.backendRefs ?? []).map((b) => b.name);
      return names.includes(ctx.canary) && names.includes(ctx.stable);
    });
    if (!source) {
      problem(ctx, path, "argo.backend-not-found", "error", `${routeLabel(ctx, r)} has no rule with both ${ctx.stable} and ${ctx.canary}: no mirror route ${name}`);
      continue;
    }
    const canaryRef = (source.backendRefs ?? []).find((b) => b.name === ctx.canary)!;
    const mirrorRef: Obj = { group: "", kind: "Service", name: ctx.canary };
    if (canaryRef.port !== undefined) mirrorRef.port = canaryRef.port;
    const rule: Rule = {
      matches,
      filters: [{ type: "RequestMirror", requestMirror: { backendRef: mirrorRef, ...(percentage !== undefined ? { percent: percentage } : {}) } }],
      backendRefs: structuredClone(source.backendRefs ?? []),
    };
    if (rejected(ctx, r, current, [...rulesOf(current), rule], `setMirrorRoute ${name}`, path)) return;
    const o = edit(ctx.w, r.kind, ctx.namespace, r.name)!;
    ctx.w.marks.set(rule, `mirror:${name}`);
    setRules(o, [...rulesOf(o), rule]);
  }
}

/**
 * The plugin matches backendRefs by name alone, so a ref named after the canary or stable Service
 * that resolves to another namespace (a missing `namespace:` on a route outside the Rollout's
 * namespace) gets its weights while the Rollout's Service gets no traffic.
 */
function checkRefNamespaces(ctx: Ctx, serviceNamespace: string): void {
  for (const r of ctx.routes) {
    const o = find(ctx.w, r.kind, ctx.namespace, r.name);
    if (!o) continue;
    for (const [i, rule] of rulesOf(o).entries()) {
      for (const ref of rule.backendRefs ?? []) {
        if (ref.name !== ctx.canary && ref.name !== ctx.stable) continue;
        const ns = ref.namespace ?? ctx.namespace;
        if (ns === serviceNamespace) continue;
        problem(
          ctx,
          "spec.strategy.canary.trafficRouting",
          "argo.service-namespace",
          "warning",
          `${routeLabel(ctx, r)} ${ruleLabel(rule, i)}: backendRef ${ref.name} is Service ${ns}/${ref.name}, not the Rollout's ${serviceNamespace}/${ref.name}; the plugin sets its weight all the same (it matches by name)`,
        );
      }
    }
  }
}

function routeConfigs(ctx: Omit<Ctx, "routes" | "label">, config: Obj, path: string): RouteConfig[] {
  const out: RouteConfig[] = [];
  // The plugin's order, which decides which routes an error leaves untouched: per kind (HTTP,
  // GRPC, TCP, TLS), the list, then the single-route field (insertGatewayAPIRouteLists), then
  // routes a selector finds (discoverRoutesBySelector; the API server lists them by name).
  const kinds: [RouteKind, string, string, string][] = [
    ["HTTPRoute", "httpRoutes", "httpRoute", "httpRouteSelector"],
    ["GRPCRoute", "grpcRoutes", "grpcRoute", "grpcRouteSelector"],
    ["TCPRoute", "tcpRoutes", "tcpRoute", "tcpRouteSelector"],
    ["TLSRoute", "tlsRoutes", "tlsRoute", "tlsRouteSelector"],
  ];
  for (const [kind, plural, single, selector] of kinds) {
    const list = Array.isArray(config[plural]) ? (config[plural] as unknown[]) : [];
    for (const item of list) {
      const name = isObj(item) ? str(item.name) : undefined;
      if (name) out.push({ kind, name, useHeaderRoutes: isObj(item) && item.useHeaderRoutes === true });
    }
    // The plugin appends the single-route field to the list, with header routes on.
    const one = str(config[single]);
    if (one) out.push({ kind, name: one, useHeaderRoutes: true });
    // Selectors discover routes by label; discovered routes take no header routes.
    if (!isObj(config[selector])) continue;
    const found = ctx.w.objects.filter((o) => o.kind === kind && (o.metadata.namespace ?? "default") === ctx.namespace && selects(config[selector] as Obj, o.metadata.labels ?? {}));
    for (const name of found.map((o) => o.metadata.name).sort()) out.push({ kind, name, useHeaderRoutes: false });
  }
  if (out.length === 0) {
    (ctx.problems as Diagnostic[]).push(
      problemAt(ctx.rollout, path, "argo.no-routes", "error", `the ${ARGO_PLUGIN} plugin config names no route (httpRoute, httpRoutes, grpcRoute(s), tcpRoute(s), tlsRoute(s) or a selector)`),
    );
  }
  return out;
}

/**
 * A Kubernetes label selector (matchLabels and matchExpressions), read from the unvalidated
 * rollout document and matched with core's selector semantics.
 */
export function selects(selector: Obj, labels: Record<string, string>): boolean {
  const matchLabels = isObj(selector.matchLabels) ? Object.fromEntries(Object.entries(selector.matchLabels).map(([k, v]) => [k, String(v)])) : {};
  const raw = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  // A malformed expression matches nothing, as an invalid selector must not widen what it selects.
  if (raw.some((e) => !isObj(e))) return false;
  const matchExpressions = (raw as Obj[]).map((e) => ({
    key: String(e.key),
    operator: String(e.operator),
    values: Array.isArray(e.values) ? e.values.map(String) : [],
  }));
  return selectorMatches({ matchLabels, matchExpressions }, labels);
}

function describeStep(step: Obj): string {
  if (typeof step.setWeight === "number") return `setWeight ${step.setWeight}`;
  if (isObj(step.pause) || step.pause === null) {
    const ms = isObj(step.pause) ? argoPauseMs(step.pause.duration) : null;
    return ms === null ? "pause" : `pause ${formatDuration(ms)}`;
  }
  if (isObj(step.setHeaderRoute)) return `setHeaderRoute ${String(step.setHeaderRoute.name ?? "")}${step.setHeaderRoute.match ? "" : " (remove)"}`;
  if (isObj(step.setMirrorRoute)) return `setMirrorRoute ${String(step.setMirrorRoute.name ?? "")}${step.setMirrorRoute.match ? "" : " (remove)"}`;
  const key = Object.keys(step)[0];
  return key ?? "empty step";
}

export function argoRolloutSteps(objects: readonly ManifestObject[], rollout: ManifestObject, options: RolloutOptions = {}): RolloutPlan {
  const problems: Diagnostic[] = [];
  const name = `${rollout.metadata.namespace ?? "default"}/${rollout.metadata.name}`;
  const fail = (path: string, code: string, message: string): RolloutPlan => {
    problems.push(problemAt(rollout, path, code, "error", message));
    return { ok: false, kind: "Rollout", name, before: [...objects], steps: [], problems };
  };
  const spec = isObj(rollout.spec) ? rollout.spec : {};
  const strategy = isObj(spec.strategy) ? spec.strategy : {};
  if (!isObj(strategy.canary)) {
    return fail("spec.strategy", "argo.not-canary", "only the canary strategy routes traffic through the Gateway API plugin (blueGreen switches Services, not routes)");
  }
  const canary = strategy.canary;
  const tr = isObj(canary.trafficRouting) ? canary.trafficRouting : null;
  const plugins = tr && isObj(tr.plugins) ? tr.plugins : null;
  const config = plugins && isObj(plugins[ARGO_PLUGIN]) ? (plugins[ARGO_PLUGIN] as Obj) : null;
  if (!config) {
    const others = tr ? Object.keys(tr).filter((k) => k !== "managedRoutes" && k !== "maxTrafficWeight") : [];
    return fail(
      "spec.strategy.canary.trafficRouting",
      "argo.no-plugin",
      `no trafficRouting.plugins["${ARGO_PLUGIN}"]${others.length ? ` (found ${others.join(", ")})` : ""}: only the Gateway API plugin's route edits are simulated`,
    );
  }
  const canarySvc = str(canary.canaryService);
  const stableSvc = str(canary.stableService);
  if (!canarySvc || !stableSvc) {
    return fail("spec.strategy.canary", "argo.no-services", "the Gateway API plugin needs both canaryService and stableService");
  }
  const namespace = str(config.namespace) ?? rollout.metadata.namespace ?? "default";
  const managed = new Set<string>(
    (Array.isArray(tr!.managedRoutes) ? tr!.managedRoutes : []).map((m) => (isObj(m) ? str(m.name) : undefined)).filter((x): x is string => !!x),
  );
  const base = {
    rollout,
    w: working(objects),
    namespace,
    serviceNamespace: rollout.metadata.namespace ?? "default",
    canary: canarySvc,
    stable: stableSvc,
    managed,
    mirror: options.argoMirror ?? "rule",
    problems,
    seen: new Set<string>(),
  };
  const routes = routeConfigs(base, config, `spec.strategy.canary.trafficRouting.plugins.${ARGO_PLUGIN}`);
  const ctx: Ctx = {
    ...base,
    routes,
    label: config.disableInProgressLabel === true ? null : { key: str(config.inProgressLabelKey) ?? IN_PROGRESS_LABEL, value: str(config.inProgressLabelValue) ?? IN_PROGRESS_VALUE },
  };
  const maxTrafficWeight = typeof tr!.maxTrafficWeight === "number" ? tr!.maxTrafficWeight : 100;
  const rawSteps = Array.isArray(canary.steps) ? canary.steps : [];
  if (maxTrafficWeight !== 100) {
    problem(
      ctx,
      "spec.strategy.canary.trafficRouting.maxTrafficWeight",
      "argo.max-traffic-weight",
      "warning",
      `maxTrafficWeight ${maxTrafficWeight}: the Gateway API plugin still splits 100 (setWeight W gives the canary weight W and the stable 100 − W), so W is W% of the traffic, not W/${maxTrafficWeight}`,
    );
  }
  // The Rollout's own validation (pkg/apis/rollouts/validation): an invalid spec never starts.
  const invalid = validateSteps(ctx, rawSteps, maxTrafficWeight);
  // The Services are the Rollout's, in its namespace; the plugin's `namespace` is only where the
  // routes are (plugin.go getGatewayAPITrafficRoutingConfig).
  const serviceNamespace = ctx.serviceNamespace;
  const newVersion = [`${serviceNamespace}/${canarySvc}`];
  const oldVersion = [`${serviceNamespace}/${stableSvc}`];
  checkRefNamespaces(ctx, serviceNamespace);
  const out: RolloutStep[] = [];
  let pending: string[] = [];
  let first = 0;
  let weight = 0;
  const plan = (): RolloutPlan => ({ ok: !invalid && !problems.some((p) => p.severity === "error"), kind: "Rollout", name, before: [...objects], steps: out, problems });

  const emit = (last: number, duration: number | null, hold: RolloutStep["hold"], canaryNow = newVersion, stableNow = oldVersion): void => {
    const span = last < 0 ? "" : first === last ? `step ${first + 1}: ` : `steps ${first + 1}–${last + 1}: `;
    out.push({ name: `${span}${pending.join(", ")}`, actions: pending, weight, duration, hold, objects: snapshot(ctx.w), canary: canaryNow, stable: stableNow });
    pending = [];
    first = last + 1;
  };

  /**
   * A plugin call failed: the controller's reconcile returns the error and the Rollout is
   * requeued with backoff, so the same step is retried (and fails the same way) for as long as
   * the routes stay as they are. The routes the call updated before the failing one keep their
   * update. The plan ends there.
   */
  const stuck = (index: number, call: string, failed: string, path: string): RolloutPlan => {
    const where = index < 0 ? (index === -1 ? "at its start" : "after its last step") : `at step ${index + 1}`;
    problem(
      ctx,
      path,
      "argo.stuck",
      "error",
      `${call} fails on ${failed}: the plugin returns that error before the routes after it, and the controller retries the reconcile (with backoff) without moving on: the rollout stays ${where}, routes before ${failed} keeping their update`,
    );
    pending.push(`${call} fails on ${failed}: retried, the rollout stays here`);
    emit(index < 0 ? -1 : index, null, "end");
    const last = out[out.length - 1]!;
    if (index < 0) last.name = last.actions.join(", ");
    return plan();
  };

  // The new ReplicaSet has no available pod yet: managed routes go, the canary gets nothing.
  removeManagedRoutes(ctx, managed, "the rollout's start (new ReplicaSet not yet available)", "spec.strategy.canary.trafficRouting", true);
  const atStart = setWeight(ctx, 0, "spec.strategy.canary.trafficRouting");
  if (atStart) return stuck(-1, "SetWeight 0", atStart, "spec.strategy.canary.trafficRouting");

  for (const [i, raw] of rawSteps.entries()) {
    const path = `spec.strategy.canary.steps[${i}]`;
    const step = isObj(raw) ? raw : {};
    // The controller's order in one reconcile: SetHeaderRoute, SetMirrorRoute, SetWeight; an error returns at once.
    const headerFailure = isObj(step.setHeaderRoute) ? setHeaderRoute(ctx, step.setHeaderRoute, `${path}.setHeaderRoute`) : null;
    pending.push(describeStep(step));
    if (headerFailure) return stuck(i, `setHeaderRoute ${String((step.setHeaderRoute as Obj).name ?? "")}`, headerFailure, `${path}.setHeaderRoute`);
    if (isObj(step.setMirrorRoute)) setMirrorRoute(ctx, step.setMirrorRoute, `${path}.setMirrorRoute`);
    if (typeof step.setWeight === "number") weight = step.setWeight;
    const weightPath = typeof step.setWeight === "number" ? `${path}.setWeight` : path;
    const experiment = isObj(step.experiment) ? experimentServices(ctx, step.experiment, `${path}.experiment`) : null;
    const weightFailure = setWeight(ctx, weight, weightPath, experiment?.extras ?? []);
    if (weightFailure) return stuck(i, `SetWeight ${weight}${experiment?.extras.length ? " with the experiment's Services" : ""}`, weightFailure, weightPath);
    let dwell: number | null = 0;
    if ("pause" in step) {
      const d = isObj(step.pause) ? step.pause.duration : undefined;
      if (d === undefined || d === null) dwell = null;
      else {
        dwell = argoPauseMs(d);
        if (dwell === null || dwell < 0) {
          problem(ctx, `${path}.pause.duration`, "argo.bad-duration", "error", `pause duration ${JSON.stringify(d)} is neither seconds nor a Go duration`);
          dwell = 0;
        }
      }
    } else if (isObj(step.experiment)) {
      dwell = experimentDwell(ctx, step.experiment, `${path}.experiment`);
    } else if (isObj(step.analysis)) {
      dwell = options.analysisDuration ?? 0;
      if (!options.analysisDuration) {
        problem(ctx, `${path}.analysis`, "argo.analysis-instant", "info", "an analysis step lasts as long as its AnalysisTemplates run; taken as instantaneous");
      }
    } else if (isObj(step.plugin)) {
      problem(ctx, `${path}.plugin`, "argo.step-plugin", "warning", "a step plugin's effect is not simulated; taken as instantaneous");
    }
    const canaryNow = experiment ? [...newVersion, ...experiment.canary] : newVersion;
    const stableNow = experiment ? [...oldVersion, ...experiment.stable] : oldVersion;
    if (dwell === null) emit(i, null, "manual", canaryNow, stableNow);
    else if (dwell > 0) emit(i, dwell, "timed", canaryNow, stableNow);
    if (experiment?.extras.length) {
      // The experiment is over: the next SetWeight (no destinations) drops its Services from the
      // rule (for one reconcile it also writes stable 100 and canary 0 there; not modelled, it
      // lasts until the next reconcile) and the experiment controller deletes them.
      removeExperimentServices(ctx, experiment.extras);
      for (const svc of experiment.created) remove(ctx.w, "Service", ctx.serviceNamespace, svc);
      const after = setWeight(ctx, weight, weightPath);
      if (after) return stuck(i, `SetWeight ${weight}`, after, weightPath);
    }
  }

  // Every step done: all traffic to the canary until the promotion, which is immediate here.
  weight = maxTrafficWeight;
  const atEnd = setWeight(ctx, weight, "spec.strategy.canary.steps");
  pending.push(`all steps done: setWeight ${weight}`);
  if (atEnd) return stuck(-2, `SetWeight ${weight}`, atEnd, "spec.strategy.canary.steps");
  removeManagedRoutes(ctx, managed, "the promotion (RemoveManagedRoutes)", "spec.strategy.canary.trafficRouting", true);
  weight = 0;
  const promoted = setWeight(ctx, 0, "spec.strategy.canary.trafficRouting");
  if (promoted) return stuck(-2, "SetWeight 0", promoted, "spec.strategy.canary.trafficRouting");
  pending.push(`promoted: ${stableSvc} now serves the new version`);
  // Both Services now select the new pods.
  emit(-1, null, "end", [...newVersion, ...oldVersion], []);
  const last = out[out.length - 1]!;
  last.name = last.actions.join(", ");
  return plan();
}

/**
 * The Services weighted experiment templates add to the HTTPRoutes while the experiment runs.
 * The experiment controller names a template's Service after `service.name` when the template
 * gives one, else after the template's ReplicaSet, `<experiment>-<template>` with the Experiment
 * named `<rollout>-<pod-template-hash>-<revision>-<step>` (rollout/experiment.go
 * GetExperimentFromTemplate, experiments/replicaset.go, experiments/experiment.go
 * createTemplateService): a hash of the pod template as the controller serializes it and the
 * Rollout's revision in the cluster, which a manifest does not give. So only templates that all
 * name their Service are simulated; otherwise a warning, and the routes keep canary and stable.
 * The Service gets the pod template's container ports (none: no Service, and the plugin skips
 * it); the plugin's backendRef port is the port named "http", else the first (experiment.go).
 */
function experimentServices(ctx: Ctx, experiment: Obj, path: string): { extras: Destination[]; created: string[]; canary: string[]; stable: string[] } {
  const none = { extras: [], created: [], canary: [], stable: [] };
  const templates = Array.isArray(experiment.templates) ? experiment.templates.filter(isObj) : [];
  const weighted = templates.filter((t) => typeof t.weight === "number");
  if (weighted.length === 0) {
    problem(ctx, path, "argo.experiment", "warning", "experiment steps run extra ReplicaSets that take no route traffic without a template weight; only the step's duration is simulated");
    return none;
  }
  const list = weighted.map((t) => `${String(t.name)}=${String(t.weight)}`).join(", ");
  const total = weighted.reduce((a, t) => a + (t.weight as number), 0);
  const serviceName = (t: Obj): string | undefined => (isObj(t.service) ? str(t.service.name) : undefined);
  const unnamed = weighted.filter((t) => !serviceName(t));
  if (unnamed.length) {
    problem(
      ctx,
      path,
      "argo.experiment",
      "warning",
      `experiment templates with weight (${list}): the plugin adds their Services to the first rule that sends to ${ctx.stable} or ${ctx.canary} and sets ${ctx.stable} there to 100 − ${total} (experiment.go HandleExperiment), but ${unnamed.map((t) => String(t.name)).join(", ")} ${unnamed.length > 1 ? "name" : "names"} no Service: the controller names it <rollout>-<pod-template-hash>-<revision>-<step>-<template>, from a hash and a revision known only in the cluster; not simulated, the routes keep the canary and stable weights (give each weighted template service: {name: ...} to simulate it)`,
    );
    return none;
  }
  const spec = isObj(ctx.rollout.spec) ? ctx.rollout.spec : {};
  const pod = isObj(spec.template) && isObj(spec.template.spec) ? spec.template.spec : {};
  const containers = Array.isArray(pod.containers) ? pod.containers.filter(isObj) : [];
  const ports = containers.flatMap((c) => (Array.isArray(c.ports) ? c.ports.filter(isObj) : [])).filter((p) => typeof p.containerPort === "number");
  const servicePorts = ports.map((p) => ({ ...(str(p.name) ? { name: p.name } : {}), protocol: str(p.protocol) ?? "TCP", port: p.containerPort, targetPort: p.containerPort }));
  let port: number | null = null;
  if (servicePorts.length) {
    port = (servicePorts.find((p) => p.name === "http")?.port as number | undefined) ?? 8080;
    if (port === 8080) port = servicePorts[0]!.port as number;
  }
  const out = { extras: [] as Destination[], created: [] as string[], canary: [] as string[], stable: [] as string[] };
  for (const t of weighted) {
    const svc = serviceName(t)!;
    out.extras.push({ service: svc, weight: t.weight as number, port });
    if (port !== null && !find(ctx.w, "Service", ctx.serviceNamespace, svc)) {
      put(ctx.w, { apiVersion: "v1", kind: "Service", metadata: { name: svc, namespace: ctx.serviceNamespace }, spec: { ports: structuredClone(servicePorts) } });
      out.created.push(svc);
    }
    (t.specRef === "stable" ? out.stable : out.canary).push(`${ctx.serviceNamespace}/${svc}`);
  }
  problem(
    ctx,
    path,
    "argo.experiment-services",
    port === null ? "warning" : "info",
    port === null
      ? `experiment templates with weight (${list}): spec.template has no container port, so the experiment controller creates no Service and the plugin skips them, while it still sets ${ctx.stable} to 100 − ${total} in the first rule sending to ${ctx.stable} or ${ctx.canary}`
      : `experiment templates with weight (${list}): while the experiment runs, each HTTPRoute's first rule sending to ${ctx.stable} or ${ctx.canary} also sends to ${weighted.map((t) => serviceName(t)).join(", ")} (port ${port}), and ${ctx.stable} there gets 100 − ${total}: the canary keeps its weight, so that rule's weights add up to more than 100 (experiment.go HandleExperiment); GRPCRoutes, TCPRoutes and TLSRoutes get none`,
  );
  return out;
}

/**
 * How long an experiment step holds: its `duration` (a DurationString: Go's time.ParseDuration,
 * no bare seconds), else as long as its analyses run, taken as instantaneous.
 */
function experimentDwell(ctx: Ctx, experiment: Obj, path: string): number {
  if (experiment.duration === undefined || experiment.duration === null) {
    problem(ctx, `${path}.duration`, "argo.experiment-instant", "info", "an experiment without duration runs as long as its analyses; taken as instantaneous");
    return 0;
  }
  const ms = typeof experiment.duration === "string" ? parseGoDuration(experiment.duration) : null;
  if (ms === null || ms < 0) {
    problem(ctx, `${path}.duration`, "argo.bad-duration", "error", `experiment duration ${JSON.stringify(experiment.duration)} is not a Go duration (e.g. 30m)`);
    return 0;
  }
  return ms;
}

const STEP_KINDS = ["setWeight", "pause", "experiment", "analysis", "setCanaryScale", "setHeaderRoute", "setMirrorRoute", "plugin"];

/**
 * The checks of validation.go ValidateRolloutStrategyCanary that concern steps, with its
 * messages: the controller sets InvalidSpec and does nothing with such a Rollout.
 */
function validateSteps(ctx: Ctx, steps: unknown[], maxTrafficWeight: number): boolean {
  let invalid = false;
  const bad = (path: string, message: string): void => {
    invalid = true;
    problem(ctx, path, "argo.invalid-spec", "error", `${message} (Argo Rollouts rejects the Rollout: InvalidSpec)`);
  };
  steps.forEach((raw, i) => {
    const path = `spec.strategy.canary.steps[${i}]`;
    const step = isObj(raw) ? raw : {};
    const set = (k: string) => step[k] !== undefined && step[k] !== null;
    if (!STEP_KINDS.some(set)) bad(path, "Step must have one of the following set: experiment, setWeight, setCanaryScale, plugin or pause");
    if (["setWeight", "pause", "experiment", "analysis"].filter(set).length > 1) bad(path, "Step must have one of the following set: experiment, setWeight, setCanaryScale, plugin or pause");
    if (set("setWeight") && (typeof step.setWeight !== "number" || step.setWeight < 0 || step.setWeight > maxTrafficWeight)) {
      bad(`${path}.setWeight`, `SetWeight needs to be between 0 and ${maxTrafficWeight}`);
    }
  });
  return invalid;
}
