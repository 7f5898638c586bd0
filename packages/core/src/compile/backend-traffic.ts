/**
 * XBackendTrafficPolicy in the route table: one entry per (policy, backend), and per route rule
 * the session persistence its backends' policies give it, worked out once here so that `decide`
 * reads one field (and nothing for the rules no policy touches).
 *
 * gwsim choices (docs/decisions.md "XBackendTrafficPolicy"):
 * - A rule's own sessionPersistence overrides the policies' (GEP-1619 "API Attachment Points").
 * - Traffic splitting with the policy on some backends only (GEP-1619 leaves three options):
 *   gwsim applies session persistence only to the backends that carry it (option 3). A Direct
 *   policy affects only its target (GEP-713), so a backend without the policy is never pinned
 *   and never starts a session; a request drawn to it gets no session token.
 * - Backends whose policies set different sessionPersistence in one rule: the config of the
 *   first such backendRef (in rule order) is the rule's; backends whose config differs do not
 *   persist in that rule (GEP-1619 "Session Naming Collision": one cookie works). Backends whose
 *   config is equal share the rule's one session.
 */
import type { RetryBudget } from "../resolve/backend-traffic.js";
import type { Graph } from "../resolve/graph.js";
import type { CompiledRule } from "./table.js";

export interface CompiledBackendTrafficPolicy {
  /** "namespace/name" */
  readonly policy: string;
  /** The backend it applies to. */
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly retryConstraint: RetryBudget | null;
  readonly sessionPersistence: Readonly<Record<string, unknown>> | null;
}

/** The session persistence a rule's backends' XBackendTrafficPolicies give it. */
export interface CompiledPolicySession {
  /** "namespace/name" of the policy whose sessionPersistence the rule takes. */
  readonly policy: string;
  readonly sessionPersistence: Readonly<Record<string, unknown>>;
  /** Per backendRef: it carries this session (pins, and starts sessions). */
  readonly backends: readonly boolean[];
  /** The rule has sessionPersistence of its own, which overrides the policy's. */
  readonly overridden: boolean;
  /** Other policies on the rule's backends whose different sessionPersistence does not apply here. */
  readonly ignored: readonly string[];
}

export function compileBackendTrafficPolicies(graph: Graph): CompiledBackendTrafficPolicy[] {
  const out: CompiledBackendTrafficPolicy[] = [];
  for (const p of graph.backendTrafficPolicies ?? []) {
    for (const t of p.targets) {
      out.push({
        policy: `${p.namespace}/${p.name}`,
        group: t.group,
        kind: t.kind,
        namespace: p.namespace,
        name: t.name,
        retryConstraint: p.retryConstraint ? { ...p.retryConstraint } : null,
        sessionPersistence: p.sessionPersistence ? structuredClone(p.sessionPersistence) : null,
      });
    }
  }
  return out;
}

/** "group|kind|namespace|name" of a backend. */
export function trafficPolicyKey(b: { group: string; kind: string; namespace: string; name: string }): string {
  return `${b.group}|${b.kind}|${b.namespace}|${b.name}`;
}

/** Sets `policySession` on the rules (before the table is frozen) where a backend's policy has sessionPersistence. */
export function attachPolicySessions(rules: readonly CompiledRule[], policies: readonly CompiledBackendTrafficPolicy[]): void {
  const withSession = new Map<string, CompiledBackendTrafficPolicy>();
  for (const p of policies) if (p.sessionPersistence) withSession.set(trafficPolicyKey(p), p);
  if (withSession.size === 0) return;
  for (const rule of rules) {
    const session = policySessionOf(rule, withSession);
    if (session) (rule as { policySession?: CompiledPolicySession }).policySession = session;
  }
}

function policySessionOf(rule: CompiledRule, withSession: ReadonlyMap<string, CompiledBackendTrafficPolicy>): CompiledPolicySession | null {
  const found = rule.backends.map((b) => withSession.get(trafficPolicyKey(b)) ?? null);
  const first = found.find((p) => p !== null);
  if (!first) return null;
  const key = canonical(first.sessionPersistence);
  const backends = found.map((p) => p !== null && canonical(p.sessionPersistence) === key);
  const ignored = [...new Set(found.filter((p, i) => p !== null && !backends[i]).map((p) => p!.policy))].sort();
  return { policy: first.policy, sessionPersistence: structuredClone(first.sessionPersistence!), backends, overridden: rule.sessionPersistence !== null, ignored };
}

/** JSON with keys sorted: equal configs from two documents compare equal whatever their key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}
