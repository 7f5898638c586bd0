/**
 * XBackendTrafficPolicy (Gateway API v1.6 experimental; GEP-1619 calls it BackendLBPolicy,
 * GEP-3388 adds retryConstraint): a Direct policy on backends in its own namespace.
 *
 * Status follows GEP-713 and policy_types.go: one PolicyAncestorStatus per Gateway whose
 * attached routes send traffic to a target (the recommended ancestor), with one Accepted
 * condition (Accepted, Conflicted, TargetNotFound). A policy no Gateway of gwsim reaches
 * reports against its first target, as BackendTLSPolicy does here.
 *
 * gwsim choices (docs/decisions.md "XBackendTrafficPolicy"):
 * - Two policies on one backend: the older wins the backend (creationTimestamp, then
 *   namespace/name, GEP-713 "Conflict resolution"); the other is Accepted=False, Conflicted, and
 *   applies to none of its targets (as BackendTLSPolicy: a policy is accepted or not as a
 *   whole). Policies are not merged even when their fields do not overlap.
 * - Targets of other kinds than Service and XBackend, or that do not exist, are skipped; a
 *   policy with no target left is Accepted=False, TargetNotFound.
 */
import { ConditionType, DEFAULT_CONTROLLER_NAME, GATEWAY_GROUP, PolicyReason } from "../model/conditions.js";
import type { ParentOutcome } from "./attach.js";
import { condFalse, condTrue, type Cond } from "./conditions.js";
import type { PolicyModel } from "./backend-tls.js";
import type { NamespacedName } from "./graph.js";
import type { InputObject } from "./input.js";
import { arr, generationOf, namespaceOf, nn, plain, specOf } from "./input.js";
import { compareAge, type ObjectIndex } from "./objects.js";

const X_GROUP = "gateway.networking.x-k8s.io";
/** PolicyStatus.ancestors maxItems (policy_types.go, CRD). */
const MAX_POLICY_ANCESTORS = 16;

/** Backend kinds a policy may target: group → kind (an object of that kind must exist). */
const TARGET_KINDS: ReadonlyMap<string, string> = new Map([
  ["", "Service"],
  [X_GROUP, "XBackend"],
]);

export interface BackendTrafficPolicySpecIn {
  targetRefs?: { group?: string; kind: string; name: string }[];
  retryConstraint?: {
    budget?: { percent?: number; interval?: string };
    minRetryRate?: { count?: number; interval?: string };
  };
  sessionPersistence?: Record<string, unknown>;
}

/** GEP-3388 retry budget, API defaults applied. */
export interface RetryBudget {
  /** Percent of the requests to the backend within `interval` that may be retries (0..100). */
  percent: number;
  interval: string;
  /** Retries always allowed per `minInterval`, whatever the budget (null: no floor). */
  minCount: number | null;
  minInterval: string;
}

export interface ResolvedBackendTrafficPolicy extends NamespacedName {
  /** The backends it applies to: its targets that exist (in the policy's namespace). */
  targets: { group: string; kind: string; name: string }[];
  retryConstraint: RetryBudget | null;
  /** spec.sessionPersistence as written (type defaulted to Cookie). */
  sessionPersistence: Record<string, unknown> | null;
}

/** Only accepted policies enter the graph; every policy gets a status model. */
export function resolveBackendTrafficPolicies(
  index: ObjectIndex,
  outcomes: readonly ParentOutcome[],
  restricted: boolean,
  controllerName: string | undefined,
): { resolved: ResolvedBackendTrafficPolicy[]; models: PolicyModel[] } {
  const policies = [...index.byKind("XBackendTrafficPolicy")].sort((a, b) => compareAge(ageOf(a), ageOf(b)));
  const claimed = new Map<string, string>();
  const resolved: ResolvedBackendTrafficPolicy[] = [];
  const models: PolicyModel[] = [];
  const reaching = gatewaysReachingBackends(outcomes);
  for (const obj of policies) {
    const namespace = namespaceOf(obj);
    const name = obj.metadata.name;
    const spec = specOf<BackendTrafficPolicySpecIn>(obj);
    const targets = arr(spec.targetRefs).map((t) => ({ group: t.group ?? "", kind: t.kind, name: t.name }));
    const supported = (t: { group: string; kind: string }) => TARGET_KINDS.get(t.group) === t.kind;
    const existing = targets.filter((t) => supported(t) && index.get(t.kind, namespace, t.name) !== undefined);
    const missing = targets.filter((t) => !existing.includes(t));
    const olderOwner = existing.map((t) => claimed.get(backendKey(t.group, t.kind, namespace, t.name))).find((x) => x !== undefined);
    let accepted: Cond;
    if (existing.length === 0) {
      accepted = condFalse(ConditionType.Accepted, PolicyReason.TargetNotFound, `no target is a Service or XBackend that exists in ${namespace || "the policy's namespace"}: ${targets.map(label).join(", ") || "no targetRefs"}`);
    } else if (olderOwner) {
      accepted = condFalse(ConditionType.Accepted, PolicyReason.Conflicted, `older XBackendTrafficPolicy ${olderOwner} already targets ${existing.map(label).join(", ")}; it takes precedence`);
    } else {
      const skipped = missing.length ? `; not found or not a backend: ${missing.map(label).join(", ")}` : "";
      accepted = condTrue(ConditionType.Accepted, PolicyReason.Accepted, `applies to ${existing.map(label).join(", ")}${skipped}`);
      for (const t of existing) claimed.set(backendKey(t.group, t.kind, namespace, t.name), nn(namespace, name));
      resolved.push({
        namespace,
        name,
        targets: existing,
        retryConstraint: spec.retryConstraint ? retryBudgetOf(spec.retryConstraint) : null,
        sessionPersistence: spec.sessionPersistence ? { ...plain(spec.sessionPersistence), type: spec.sessionPersistence.type ?? "Cookie" } : null,
      });
    }
    const ancestors = new Map<string, { gateway: NamespacedName; controllerName: string }>();
    for (const t of existing) {
      for (const g of reaching.get(backendKey(t.group, t.kind, namespace, t.name)) ?? []) ancestors.set(nn(g.gateway.namespace, g.gateway.name), g);
    }
    const conditions = [accepted];
    let list: PolicyModel["ancestors"] = [...ancestors.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      // policy_types.go: at most 16 ancestors; when full, "implementations MUST NOT add further entries".
      .slice(0, MAX_POLICY_ANCESTORS)
      .map(([, g]) => ({
        ancestorRef: { group: GATEWAY_GROUP, kind: "Gateway", namespace: g.gateway.namespace, name: g.gateway.name },
        controllerName: g.controllerName,
        conditions,
      }));
    if (list.length === 0) {
      const first = existing[0] ?? targets[0];
      list =
        restricted || !first
          ? null
          : [{ ancestorRef: { group: first.group, kind: first.kind, namespace, name: first.name }, controllerName: controllerName ?? DEFAULT_CONTROLLER_NAME, conditions }];
    }
    models.push({ obj, namespace, name, generation: generationOf(obj), ancestors: list });
  }
  return { resolved, models };
}

function ageOf(o: InputObject): { creationTimestamp: string | null; namespace: string; name: string } {
  return { creationTimestamp: o.metadata.creationTimestamp ?? null, namespace: namespaceOf(o), name: o.metadata.name };
}

function label(t: { group: string; kind: string; name: string }): string {
  return `${t.group ? `${t.kind}.${t.group}` : t.kind} ${t.name}`;
}

function backendKey(group: string, kind: string, namespace: string, name: string): string {
  return `${group}|${kind}|${namespace}|${name}`;
}

/** GEP-3388 defaults (the CRD's): budget 20% over 10s, at least 10 retries per 1s. */
function retryBudgetOf(rc: NonNullable<BackendTrafficPolicySpecIn["retryConstraint"]>): RetryBudget {
  const budget = rc.budget ?? { percent: 20, interval: "10s" };
  const min = rc.minRetryRate ?? { count: 10, interval: "1s" };
  return {
    percent: budget.percent ?? 20,
    interval: budget.interval ?? "10s",
    minCount: min.count ?? null,
    // gwsim choice: a minRetryRate with a count and no interval counts per second, as the default rate does.
    minInterval: min.interval ?? "1s",
  };
}

/** Backend (group|kind|ns|name) → the Gateways an accepted route carries traffic through to it. */
function gatewaysReachingBackends(outcomes: readonly ParentOutcome[]): Map<string, { gateway: NamespacedName; controllerName: string }[]> {
  const out = new Map<string, { gateway: NamespacedName; controllerName: string }[]>();
  for (const o of outcomes) {
    if (o.rejection || o.listeners.length === 0) continue;
    for (const rule of o.route.resolved.rules) {
      if (rule.invalid) continue;
      for (const b of rule.backends) {
        if (!b.valid) continue;
        const key = backendKey(b.group, b.kind, b.namespace, b.name);
        const list = out.get(key) ?? [];
        for (const a of o.listeners) {
          const gw = a.listener.gateway;
          if (!list.some((x) => x.gateway.namespace === gw.namespace && x.gateway.name === gw.name)) list.push({ gateway: { namespace: gw.namespace, name: gw.name }, controllerName: o.controllerName });
        }
        out.set(key, list);
      }
    }
  }
  return out;
}
