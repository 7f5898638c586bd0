/**
 * Precedence findings, by construction over the compiled table: in each hostname group of each
 * programmed listener the matches are already in precedence order, so a match is dead there when
 * an earlier one covers it (cover.ts). A match is unreachable when it is dead in every group it
 * is in; a rule when all its matches are. Ties settled only by age or name are reported as
 * conflicts, and broad regexes that take requests from a prefix as regex-shadows-prefix.
 */
import { precedenceKeyOf } from "../compile/index.js";
import { precedenceReason } from "../compile/precedence.js";
import type { CompiledGrpcMatch, CompiledMatch, CompiledRoute, RouteTable } from "../compile/table.js";
import { grpcKeyOf } from "../compile/grpc.js";
import { grpcPrecedenceReason } from "../compile/precedence.js";
import { describeGrpcMatch } from "../decide/grpc.js";
import { prefixKey } from "../compile/index.js";
import { compileRegex } from "../model/regex.js";
import type { ResolvedRoute } from "../resolve/graph.js";
import type { LintContext } from "./context.js";
import { describeMatch, grpcMatchCovers, matchCovers, conditionsCover, sameConditions, sameGrpcConditions } from "./cover.js";
import { literalStart, literalTail } from "./regex-literals.js";
import type { Finding, LintObjectRef } from "./finding.js";
import { grpcWitnessPasses, httpWitnessPasses, type WitnessCheck } from "./witness.js";
import { groupReachable } from "./listeners.js";

interface Shadow {
  /** The covering match (index into the view's matches). */
  by: number;
  /** The step of the precedence comparator that puts `by` first. */
  step: string;
  because: string;
  hostname: string;
  /** For an identical pair shadowed as a whole: the earlier match that takes their requests. */
  alsoBy?: number;
}

/** What the precedence analysis needs of one kind of route: HTTPRoute or GRPCRoute. */
interface MatchView<M extends CompiledMatch | CompiledGrpcMatch> {
  matches: readonly M[];
  rules: RouteTable["rules"];
  routes: RouteTable["routes"];
  /** Each programmed listener's hostname groups, matches in precedence order. */
  groups: (listener: RouteTable["listeners"][number]) => readonly { hostname: string; order: readonly number[] }[];
  /**
   * The mesh (GAMMA) route sets' groups: a route bound to a Service as well as a Gateway is
   * reachable through the Service even when a Gateway route covers it, so they count too.
   */
  meshGroups: readonly { hostname: string; order: readonly number[] }[];
  covers: (outer: M, inner: M) => boolean;
  same: (a: M, b: M) => boolean;
  reason: (winner: M, loser: M, hostname: string) => { step: string; because: string } | null;
  describe: (m: M) => string;
  invalidRules: Set<number>;
  /** Whether a request match `mi` takes gets past `earlier` (witness.ts); null when unknown. */
  passes: (mi: number, earlier: readonly number[]) => WitnessCheck;
}

function httpView(ctx: LintContext): MatchView<CompiledMatch> {
  const { table } = ctx.world;
  return {
    matches: table.matches,
    rules: table.rules,
    routes: table.routes,
    groups: (l) => l.groups,
    meshGroups: meshSets(table).flatMap((set) => (set.http ? [set.http] : [])),
    covers: matchCovers,
    same: sameConditions,
    reason: (a, b, hostname) => precedenceReason(keyOf(table, a, hostname), keyOf(table, b, hostname)),
    describe: describeMatch,
    invalidRules: invalidRules(ctx, table.rules, table.routes),
    passes: (mi, earlier) => httpWitnessPasses(table, mi, earlier),
  };
}

function grpcView(ctx: LintContext): MatchView<CompiledGrpcMatch> {
  const { table } = ctx.world;
  const routes = table.grpcRoutes ?? [];
  return {
    matches: table.grpcMatches ?? [],
    rules: table.grpcRules ?? [],
    routes,
    groups: (l) => l.grpc?.groups ?? [],
    meshGroups: meshSets(table).flatMap((set) => (set.grpc ? [set.grpc] : [])),
    covers: grpcMatchCovers,
    same: sameGrpcConditions,
    reason: (a, b, hostname) => grpcPrecedenceReason(grpcKeyOf(a, routes[a.route]!, hostname), grpcKeyOf(b, routes[b.route]!, hostname)),
    describe: describeGrpcMatch,
    invalidRules: invalidRules(ctx, table.grpcRules ?? [], routes),
    passes: (mi, earlier) => grpcWitnessPasses(table, mi, earlier),
  };
}

export function precedenceFindings(ctx: LintContext): Finding[] {
  const http = httpView(ctx);
  return [...deadMatchFindings(ctx, http), ...regexShadowFindings(ctx, http), ...deadMatchFindings(ctx, grpcView(ctx))];
}

/** Unreachable rules and matches, and conflicts settled by age or name, for one kind of route. */
function deadMatchFindings<M extends CompiledMatch | CompiledGrpcMatch>(ctx: LintContext, view: MatchView<M>): Finding[] {
  const { table } = ctx.world;
  const { matches, rules, routes, invalidRules: invalidRule } = view;
  /** match index → one Shadow per group it is dead in, or "live" once it is reachable somewhere. */
  const state = new Map<number, Shadow[] | "live">();
  /** Matches that lose to an identical match only by age or name, on some hostname (first such). */
  const ties = new Map<number, Shadow>();

  // A group whose requests a more specific listener takes decides nothing (listeners.ts reports it).
  const groups = [...table.listeners.filter((l) => l.ready).flatMap((l) => view.groups(l).filter((g) => groupReachable(table, l, g.hostname))), ...view.meshGroups];
  for (const group of groups) {
    const live: number[] = [];
    for (const mi of group.order) {
      const m = matches[mi]!;
      if (m.never !== null || invalidRule.has(m.rule)) continue;
      const by = live.find((ai) => view.covers(matches[ai]!, m));
      if (by === undefined) {
        state.set(mi, "live");
        live.push(mi);
        continue;
      }
      const prior = state.get(mi);
      const a = matches[by]!;
      const why = view.reason(a, m, group.hostname);
      const shadow: Shadow = { by, step: why?.step ?? "rule order", because: why?.because ?? "", hostname: group.hostname };
      // A tie decides something only if requests reach the pair: when every witness is taken by
      // a match ahead of both, the order between them changes nothing and m is just unreachable.
      if (!ties.has(mi) && (shadow.step === "age" || shadow.step === "namespace/name") && view.same(a, m)) {
        const w = view.passes(mi, live.slice(0, live.indexOf(by)));
        if (w.passes !== false) ties.set(mi, shadow);
        else if (w.takenBy !== null) shadow.alsoBy = w.takenBy;
      }
      if (prior === "live") continue;
      state.set(mi, [...(prior ?? []), shadow]);
    }
  }

  const findings: Finding[] = [];
  // Group dead matches by rule, so a rule whose every match is dead is one finding.
  const deadByRule = new Map<number, { mi: number; shadows: Shadow[] }[]>();
  const liveRules = new Set<number>();
  for (const [mi, s] of state) {
    const rule = matches[mi]!.rule;
    if (s === "live") liveRules.add(rule);
    else {
      const list = deadByRule.get(rule) ?? [];
      list.push({ mi, shadows: s });
      deadByRule.set(rule, list);
    }
  }
  for (const [ruleIdx, dead] of [...deadByRule].sort((x, y) => x[0] - y[0])) {
    dead.sort((x, y) => x.mi - y.mi);
    const rule = rules[ruleIdx]!;
    const route = routes[rule.route]!;
    const ref = refOf(route);
    const graphRoute = graphRouteOf(ctx, route);
    // A dead match that loses to an identical one only by age or name is a conflict (below).
    const remaining = dead.filter((d) => !ties.has(d.mi));
    if (remaining.length === 0) continue;
    const wholeRule = !liveRules.has(ruleIdx) && remaining.length === dead.length && dead.length === rule.matches.length;
    if (wholeRule) {
      const first = remaining[0]!;
      const by = first.shadows[0]!;
      const winner = matches[by.by]!;
      const path = `spec.rules[${rule.index}]`;
      findings.push(
        ctx.finding({
          rule: "unreachable-rule",
          severity: "error",
          object: ref,
          path,
          fallback: graphRoute?.source ?? route.source,
          message:
            `rule ${ruleLabel(view, ruleIdx)} of ${routeText(route)} can never be reached: ` +
            remaining
              .map((d) => {
                const s = d.shadows[0]!;
                return `${view.describe(matches[d.mi]!)} is covered by ${matchLabel(view, s.by)} (${view.describe(matches[s.by]!)}), which takes precedence${s.because ? ` (${s.because})` : ""}${alsoText(view, s)}`;
              })
              .join("; "),
          fix:
            winner.route === rule.route
              ? `remove the rule, or move it above rule ${rules[winner.rule]!.index} of the same route, or make its match more specific than the earlier one`
              : `remove the rule, or make its match more specific than ${matchLabel(view, by.by)} (${route.kind === "GRPCRoute" ? "a service, method or header condition" : "a longer path, or a method, header or query condition"}), or narrow that match`,
          related: remaining.map((d) => shadowRelated(ctx, view, d.shadows[0]!)),
        }),
      );
      continue;
    }
    for (const d of remaining) {
      const m = matches[d.mi]!;
      const by = d.shadows[0]!;
      const sameRule = matches[by.by]!.rule === m.rule;
      findings.push(
        ctx.finding({
          rule: "unreachable-match",
          severity: sameRule ? "info" : "warning",
          object: ref,
          path: `spec.rules[${rule.index}].matches[${m.matchIndex}]`,
          fallback: graphRoute?.source ?? route.source,
          message: sameRule
            ? `match ${m.matchIndex} (${view.describe(m)}) of rule ${ruleLabel(view, ruleIdx)} of ${routeText(route)} is redundant: match ${matches[by.by]!.matchIndex} of the same rule covers it`
            : `match ${m.matchIndex} (${view.describe(m)}) of rule ${ruleLabel(view, ruleIdx)} of ${routeText(route)} can never be reached: ${matchLabel(view, by.by)} (${view.describe(matches[by.by]!)}) covers it and takes precedence${by.because ? ` (${by.because})` : ""}${alsoText(view, by)}`,
          fix: sameRule ? "remove the redundant match" : `remove the match or make it more specific than ${matchLabel(view, by.by)}`,
          related: [shadowRelated(ctx, view, by)],
        }),
      );
    }
  }
  // Conflicts, whether or not the match still gets requests on another hostname or listener.
  for (const [mi, tie] of [...ties].sort((x, y) => x[0] - y[0])) {
    const m = matches[mi]!;
    findings.push(conflictFinding(ctx, view, mi, tie, graphRouteOf(ctx, routes[m.route]!)));
  }
  return findings;
}

function conflictFinding<M extends CompiledMatch | CompiledGrpcMatch>(ctx: LintContext, view: MatchView<M>, mi: number, tie: Shadow, graphRoute: ResolvedRoute | undefined): Finding {
  const m = view.matches[mi]!;
  const w = view.matches[tie.by]!;
  const loser = view.routes[m.route]!;
  const winner = view.routes[w.route]!;
  const byAge = tie.step === "age";
  return ctx.finding({
    rule: byAge ? "conflict-by-age" : "conflict-by-name",
    severity: "warning",
    object: refOf(loser),
    path: `spec.rules[${view.rules[m.rule]!.index}].matches[${m.matchIndex}]`,
    fallback: graphRoute?.source ?? loser.source,
    message:
      `${routeText(loser)} and ${routeText(winner)} both match ${view.describe(m)}${tie.hostname !== "*" ? ` on ${tie.hostname}` : ""}; ` +
      (byAge
        ? `${routeText(winner)} wins only because it is older (created ${winner.creationTimestamp ?? "never"} vs ${loser.creationTimestamp ?? "no creationTimestamp"}); re-creating it would hand its requests to ${routeText(loser)}`
        : `${routeText(winner)} wins only because ${winner.namespace}/${winner.name} sorts first (${loser.creationTimestamp === null && winner.creationTimestamp === null ? "neither has a creationTimestamp" : "same creationTimestamp"})`),
    fix: `keep the match in one route, or make one of them more specific (${loser.kind === "GRPCRoute" ? "a service, method or header condition" : "a header, query or method condition, or a longer path"}) so precedence does not depend on ${byAge ? "creation time" : "names"}`,
    related: [shadowRelated(ctx, view, tie)],
  });
}

/**
 * A RegularExpression that is broader than a PathPrefix (its literal start is shorter) yet
 * matches paths under it: those requests go to the regex. Proven with a witness path that both
 * match; without a witness nothing is reported.
 */
function regexShadowFindings(ctx: LintContext, view: MatchView<CompiledMatch>): Finding[] {
  const { table } = ctx.world;
  const invalidRule = view.invalidRules;
  const out: Finding[] = [];
  const seen = new Set<string>();
  // The same groups the dead-match analysis walks: reachable hostname groups of programmed
  // listeners, and every mesh route set (regexes rank above prefixes there too).
  const groups = [
    ...table.listeners.filter((l) => l.ready).flatMap((l) => l.groups.filter((g) => groupReachable(table, l, g.hostname))),
    ...meshSets(table).flatMap((set) => (set.http ? [set.http] : [])),
  ];
  for (const group of groups) {
    const prefixes = group.order.filter((mi) => table.matches[mi]!.path.type === "PathPrefix" && !invalidRule.has(table.matches[mi]!.rule));
    for (const ri of group.regexes) {
      const r = table.matches[ri]!;
      if (invalidRule.has(r.rule)) continue;
      const compiled = compileRegex(r.path.value);
      if (!compiled.ok) continue;
      const literal = literalStart(r.path.value);
      for (const pi of prefixes) {
        const p = table.matches[pi]!;
        // A prefix the regex covers entirely is unreachable, reported as such.
        if (p.rule === r.rule || matchCovers(r, p)) continue;
        const key = prefixKey(p.path.value);
        // The catch-all, and prefixes the regex is written under, are what a regex refines.
        if (key === "" || literal.startsWith(`${key}/`) || literal === key) continue;
        const witness = witnessPaths(key, r.path.value).find((path) => compiled.regex.test(path));
        if (witness === undefined) continue;
        const id = `${ri}/${pi}`;
        if (seen.has(id)) continue;
        seen.add(id);
        const regexRoute = table.routes[r.route]!;
        const prefixRoute = table.routes[p.route]!;
        const partial = !conditionsCover(r, p);
        out.push(
          ctx.finding({
            rule: "regex-shadows-prefix",
            severity: "warning",
            object: refOf(regexRoute),
            path: `spec.rules[${table.rules[r.rule]!.index}].matches[${r.matchIndex}].path`,
            fallback: regexRoute.source,
            message:
              `RegularExpression ${r.path.value} (${matchLabel(view, ri)}) takes ${witness}${partial ? ` when ${describeMatch(r).split(", ").slice(1).join(", ")} also hold` : ""}, ` +
              `which PathPrefix ${p.path.value} (${matchLabel(view, pi)}) was written for: gwsim ranks regular expressions above every prefix, and other data planes may not (the spec leaves it implementation-specific)`,
            fix: `start the regex with a literal prefix of its own, or make it exclude ${key}/, so that the two rules match disjoint paths`,
            related: [ctx.related(refOf(prefixRoute), `spec.rules[${table.rules[p.rule]!.index}].matches[${p.matchIndex}].path`, `the PathPrefix ${p.path.value} it shadows`, prefixRoute.source)],
          }),
        );
      }
    }
  }
  return out;
}

/** Paths under `key` to try against a regex: the prefix itself, children, and children with the regex's literal tail. */
function witnessPaths(key: string, pattern: string): string[] {
  const tail = literalTail(pattern);
  const out = [key, `${key}/`, `${key}/a`, `${key}/a/b`, `${key}/index.html`];
  if (tail) out.push(`${key}/a${tail}`, `${key}/${tail.replace(/^\//, "")}`, `${key}${tail.startsWith("/") ? tail : `/${tail}`}`);
  return out;
}

/** Every mesh route set: each Service port's producer routes and each caller namespace's consumer routes. */
function meshSets(table: RouteTable) {
  return Object.values(table.mesh?.services ?? {}).flatMap((s) => Object.values(s.bindings).flatMap((b) => [...(b.producer ? [b.producer] : []), ...Object.values(b.consumers)]));
}

/** For an identical pair shadowed as a whole, which earlier match takes what both would match. */
function alsoText<M extends CompiledMatch | CompiledGrpcMatch>(view: MatchView<M>, s: Shadow): string {
  return s.alsoBy === undefined ? "" : `; both are shadowed in turn by ${matchLabel(view, s.alsoBy)} (${view.describe(view.matches[s.alsoBy]!)}), which takes the requests they match first`;
}

function keyOf(table: RouteTable, m: CompiledMatch, hostname: string) {
  return precedenceKeyOf(m, table.routes[m.route]!, hostname);
}

function invalidRules(ctx: LintContext, rules: RouteTable["rules"], routes: RouteTable["routes"]): Set<number> {
  const { graph } = ctx.world;
  const out = new Set<number>();
  rules.forEach((rule, i) => {
    const route = routes[rule.route]!;
    const gr = graph.routes.find((r) => r.kind === route.kind && r.namespace === route.namespace && r.name === route.name);
    if (gr?.rules.find((r) => r.index === rule.index)?.invalid) out.add(i);
  });
  return out;
}

function graphRouteOf(ctx: LintContext, route: CompiledRoute): ResolvedRoute | undefined {
  return ctx.world.graph.routes.find((r) => r.kind === route.kind && r.namespace === route.namespace && r.name === route.name);
}

export function refOf(route: { kind: string; namespace: string; name: string }): LintObjectRef {
  return { kind: route.kind, namespace: route.namespace, name: route.name };
}

function routeText(route: CompiledRoute): string {
  return `${route.kind} ${route.namespace}/${route.name}`;
}

function ruleLabel(view: { rules: RouteTable["rules"] }, ruleIdx: number): string {
  const rule = view.rules[ruleIdx]!;
  return `${rule.index}${rule.name ? ` (${rule.name})` : ""}`;
}

function matchLabel<M extends CompiledMatch | CompiledGrpcMatch>(view: MatchView<M>, mi: number): string {
  const m = view.matches[mi]!;
  const route = view.routes[m.route]!;
  return `match ${m.matchIndex} of rule ${ruleLabel(view, m.rule)} of ${routeText(route)}`;
}

function shadowRelated<M extends CompiledMatch | CompiledGrpcMatch>(ctx: LintContext, view: MatchView<M>, s: Shadow) {
  const m = view.matches[s.by]!;
  const route = view.routes[m.route]!;
  return ctx.related(
    refOf(route),
    `spec.rules[${view.rules[m.rule]!.index}].matches[${m.matchIndex}]`,
    `${matchLabel(view, s.by)} takes precedence${s.because ? `: ${s.because}` : ""}${s.hostname !== "*" ? ` (hostname ${s.hostname})` : ""}`,
    route.source,
  );
}
