/**
 * `--set-weight ns/route[/rule]/backend[:port]=W`: the proposed objects for a what-if, with the
 * weight of matching backendRefs changed. The rule is a rule name or an index (digits name a rule
 * only when the route has a rule of that name); without it every rule of the route that sends to
 * the backend changes.
 */
import type { ManifestObject } from "@gwsim/core";

export interface SetWeightProblem {
  spec: string;
  code: "setWeight.syntax" | "setWeight.routeNotFound" | "setWeight.ruleNotFound" | "setWeight.backendNotFound";
  message: string;
}

export interface SetWeightResult {
  objects: ManifestObject[];
  problems: SetWeightProblem[];
}

const ROUTE_KINDS = new Set(["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"]);
const MAX_WEIGHT = 1_000_000; // the API's maximum for backendRef weight

interface ParsedSpec {
  namespace: string;
  route: string;
  rule: string | null;
  backend: string;
  port: number | null;
  weight: number;
}

export function parseSetWeight(spec: string): ParsedSpec | string {
  const eq = spec.lastIndexOf("=");
  if (eq < 0) return "expected ns/route[/rule]/backend=WEIGHT";
  const weightText = spec.slice(eq + 1).trim();
  if (!/^\d+$/.test(weightText) || Number(weightText) > MAX_WEIGHT) return `weight ${JSON.stringify(weightText)}: expected an integer from 0 to ${MAX_WEIGHT}`;
  const parts = spec.slice(0, eq).trim().split("/");
  if (parts.length !== 3 && parts.length !== 4) return "expected ns/route[/rule]/backend=WEIGHT";
  if (parts.some((p) => p === "")) return "empty segment in ns/route[/rule]/backend";
  const last = parts[parts.length - 1]!;
  const m = /^([^:]+)(?::(\d+))?$/.exec(last);
  if (!m) return `backend ${JSON.stringify(last)}: expected name or name:port`;
  return {
    namespace: parts[0]!,
    route: parts[1]!,
    rule: parts.length === 4 ? parts[2]! : null,
    backend: m[1]!,
    port: m[2] ? Number(m[2]) : null,
    weight: Number(weightText),
  };
}

type Rule = { name?: string; backendRefs?: { name?: string; port?: number; weight?: number; kind?: string; group?: string }[] };

/** A deep copy that keeps the object's own symbol properties (its source position, for diagnostics). */
function cloneObject(o: ManifestObject): ManifestObject {
  const copy = structuredClone(o);
  for (const sym of Object.getOwnPropertySymbols(o)) Object.defineProperty(copy, sym, Object.getOwnPropertyDescriptor(o, sym)!);
  return copy;
}

/** Apply each spec in order; objects not touched are returned as they were (same identity). */
export function setWeights(objects: readonly ManifestObject[], specs: readonly string[]): SetWeightResult {
  const out = [...objects];
  const cloned = new Set<number>();
  const problems: SetWeightProblem[] = [];
  for (const spec of specs) {
    const p = parseSetWeight(spec);
    if (typeof p === "string") {
      problems.push({ spec, code: "setWeight.syntax", message: p });
      continue;
    }
    const routes = out
      .map((o, i) => [o, i] as const)
      .filter(([o]) => ROUTE_KINDS.has(o.kind) && o.metadata.name === p.route && (o.metadata.namespace ?? "default") === p.namespace);
    if (routes.length === 0) {
      problems.push({ spec, code: "setWeight.routeNotFound", message: `no route ${p.namespace}/${p.route}` });
      continue;
    }
    let ruleFound = false;
    let changed = 0;
    for (const [, i] of routes) {
      // Find the refs first, so a route that does not change keeps its identity.
      const hits: [number, number][] = [];
      const rules = ((out[i]!.spec as { rules?: Rule[] } | undefined)?.rules ?? []) as Rule[];
      // A rule name may be all digits ("1" is a valid SectionName): a rule of that name wins over the index.
      const byName = p.rule !== null && (!/^\d+$/.test(p.rule) || rules.some((r) => r.name === p.rule));
      rules.forEach((rule, ri) => {
        if (p.rule !== null && !(byName ? rule.name === p.rule : Number(p.rule) === ri)) return;
        ruleFound = true;
        (rule.backendRefs ?? []).forEach((ref, bi) => {
          if (ref.name === p.backend && (p.port === null || ref.port === p.port)) hits.push([ri, bi]);
        });
      });
      if (hits.length === 0) continue;
      if (!cloned.has(i)) {
        out[i] = cloneObject(out[i]!);
        cloned.add(i);
      }
      const target = (out[i]!.spec as { rules: Required<Rule>[] }).rules;
      for (const [ri, bi] of hits) target[ri]!.backendRefs[bi]!.weight = p.weight;
      changed += hits.length;
    }
    if (!ruleFound) problems.push({ spec, code: "setWeight.ruleNotFound", message: `route ${p.namespace}/${p.route} has no rule ${p.rule}` });
    else if (changed === 0) {
      problems.push({
        spec,
        code: "setWeight.backendNotFound",
        message: `no backendRef ${p.backend}${p.port !== null ? `:${p.port}` : ""} in ${p.namespace}/${p.route}${p.rule !== null ? ` rule ${p.rule}` : ""}`,
      });
    }
  }
  return { objects: out, problems };
}
