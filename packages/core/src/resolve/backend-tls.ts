import { ConditionType, DEFAULT_CONTROLLER_NAME, GATEWAY_GROUP, PolicyReason } from "../model/conditions.js";
import type { ParentOutcome } from "./attach.js";
import { condFalse, condTrue, summarize, type Cond, type Problem } from "./conditions.js";
import type { ResolvedBackendTLSPolicy } from "./graph.js";
import type { BackendTLSPolicySpecIn, InputObject } from "./input.js";
import { arr, generationOf, namespaceOf, nn, plain, specOf } from "./input.js";
import { compareAge, type ObjectIndex } from "./objects.js";
import { readCaBundle } from "./tls-secret.js";
import { isXBackendRef } from "./xbackends.js";

export interface PolicyModel {
  obj: InputObject;
  namespace: string;
  name: string;
  generation: number;
  /** Null: gwsim writes no status (no Gateway of its own reaches the targets under --controller-name). */
  ancestors: { ancestorRef: Record<string, unknown>; controllerName: string; conditions: Cond[] }[] | null;
}

const CA_KINDS = new Set(["ConfigMap", "Secret"]);

/**
 * BackendTLSPolicy (GEP-1897): a policy applies to the Services it targets; the older policy
 * wins a target it shares with another (the loser is Accepted=False, Conflicted). Status is
 * written per ancestor Gateway whose routes send traffic to a target; a policy no Gateway of
 * gwsim reaches reports against its target Service.
 */
export function resolveBackendTLSPolicies(
  index: ObjectIndex,
  outcomes: readonly ParentOutcome[],
  restricted: boolean,
  controllerName: string | undefined,
): { resolved: ResolvedBackendTLSPolicy[]; models: PolicyModel[] } {
  const policies = [...index.byKind("BackendTLSPolicy")].sort((a, b) =>
    compareAge(
      { creationTimestamp: a.metadata.creationTimestamp ?? null, namespace: namespaceOf(a), name: a.metadata.name },
      { creationTimestamp: b.metadata.creationTimestamp ?? null, namespace: namespaceOf(b), name: b.metadata.name },
    ),
  );
  const claimed = new Map<string, string>();
  const resolved: ResolvedBackendTLSPolicy[] = [];
  const models: PolicyModel[] = [];
  const gatewaysByService = gatewaysReachingServices(outcomes);
  for (const obj of policies) {
    const namespace = namespaceOf(obj);
    const spec = specOf<BackendTLSPolicySpecIn>(obj);
    const targets = arr(spec.targetRefs);
    const problems: Problem[] = [];
    let accepted: Cond | null = null;

    const serviceTargets = targets.filter((t) => (t.group ?? "") === "" && t.kind === "Service");
    const existing = serviceTargets.filter((t) => index.get("Service", namespace, t.name));
    const conflictWith = existing.map((t) => claimed.get(targetKey(namespace, t))).find((x) => x !== undefined);
    if (existing.length === 0) {
      const what = targets.map((t) => `${t.group ? `${t.group}/` : ""}${t.kind} ${namespace}/${t.name}`).join(", ");
      // GEP-4894: XBackends are "explicitly disallowed as targets for BackendTLSPolicy"; they carry spec.tls.
      const xbackend = targets.some((t) => isXBackendRef(t.group ?? "", t.kind)) ? "; an XBackend is not a BackendTLSPolicy target, set its spec.tls instead" : "";
      accepted = condFalse(ConditionType.Accepted, PolicyReason.TargetNotFound, `no target resolves to a Service that exists: ${what || "no targetRefs"}${xbackend}`);
    } else if (conflictWith) {
      accepted = condFalse(ConditionType.Accepted, PolicyReason.Conflicted, `older BackendTLSPolicy ${conflictWith} already targets the same Service; it takes precedence`);
    }
    const v = spec.validation ?? {};
    const caRefs = arr(v.caCertificateRefs);
    const caCertificates: { kind: string; name: string; pem: string }[] = [];
    caRefs.forEach((ref, i) => {
      const group = ref.group ?? "";
      const where = `caCertificateRefs[${i}]`;
      if (group !== "" || !CA_KINDS.has(ref.kind)) {
        problems.push({ reason: PolicyReason.InvalidKind, message: `${where}: ${group ? `${group}/` : ""}${ref.kind} ${ref.name} is not supported; reference a ConfigMap with a ca.crt key` });
        return;
      }
      const o = index.get(ref.kind, namespace, ref.name);
      const pem = o ? readCaBundle(o) : null;
      if (!pem) {
        problems.push({
          reason: PolicyReason.InvalidCACertificateRef,
          message: `${where}: ${o ? `${ref.kind} ${namespace}/${ref.name} has no PEM certificate under ca.crt` : `${ref.kind} ${namespace}/${ref.name} not found`}`,
        });
        return;
      }
      caCertificates.push({ kind: ref.kind, name: ref.name, pem });
    });
    if (!accepted) {
      if (caRefs.length === 0 && !v.wellKnownCACertificates) {
        accepted = condFalse(ConditionType.Accepted, PolicyReason.Invalid, "set validation.caCertificateRefs or validation.wellKnownCACertificates");
      } else if (caRefs.length === 0 && v.wellKnownCACertificates !== "System") {
        accepted = condFalse(ConditionType.Accepted, PolicyReason.Invalid, `wellKnownCACertificates ${JSON.stringify(v.wellKnownCACertificates)} is not supported; use System`);
      } else if (caRefs.length > 0 && caCertificates.length === 0) {
        accepted = condFalse(ConditionType.Accepted, PolicyReason.NoValidCACertificate, "no caCertificateRef resolves to a CA certificate; connections to the targets fail");
      } else {
        accepted = condTrue(ConditionType.Accepted, PolicyReason.Accepted, `applies to ${existing.map((t) => `Service ${namespace}/${t.name}`).join(", ")}`);
      }
    }
    const refs = summarize(problems);
    const conditions: Cond[] = [
      accepted,
      refs ? condFalse(ConditionType.ResolvedRefs, refs.reason, refs.message) : condTrue(ConditionType.ResolvedRefs, PolicyReason.ResolvedRefs, "all references resolved"),
    ];
    const applies = existing.length > 0 && !conflictWith;
    if (applies) {
      for (const t of existing) claimed.set(targetKey(namespace, t), nn(namespace, obj.metadata.name));
      const valid = accepted.status === "True";
      resolved.push({
        namespace,
        name: obj.metadata.name,
        targets: serviceTargets.map((t) => ({ group: "", kind: "Service", name: t.name, sectionName: t.sectionName ?? null })),
        hostname: v.hostname ?? "",
        caCertificateRefs: caRefs.map((r) => ({ group: r.group ?? "", kind: r.kind, name: r.name })),
        wellKnownCACertificates: v.wellKnownCACertificates ?? null,
        subjectAltNames: plain([...arr(v.subjectAltNames)]),
        clientCertificate: null,
        valid,
        reason: valid ? null : accepted.reason,
        message: valid ? null : accepted.message,
        caCertificates,
      });
    }
    // Ancestors: the Gateways whose attached routes send traffic to a target.
    const ancestors = new Map<string, { gateway: { namespace: string; name: string }; controllerName: string }>();
    for (const t of serviceTargets) {
      for (const g of gatewaysByService.get(nn(namespace, t.name)) ?? []) ancestors.set(nn(g.gateway.namespace, g.gateway.name), g);
    }
    let ancestorList: PolicyModel["ancestors"] = [...ancestors.values()]
      .sort((a, b) => (nn(a.gateway.namespace, a.gateway.name) < nn(b.gateway.namespace, b.gateway.name) ? -1 : 1))
      .map((g) => ({
        ancestorRef: { group: GATEWAY_GROUP, kind: "Gateway", namespace: g.gateway.namespace, name: g.gateway.name },
        controllerName: g.controllerName,
        conditions,
      }));
    if (ancestorList.length === 0) {
      const first = serviceTargets[0] ?? targets[0];
      ancestorList =
        restricted || !first
          ? null
          : [{ ancestorRef: { group: first.group ?? "", kind: first.kind, namespace, name: first.name }, controllerName: controllerName ?? DEFAULT_CONTROLLER_NAME, conditions }];
    }
    models.push({ obj, namespace, name: obj.metadata.name, generation: generationOf(obj), ancestors: ancestorList });
  }
  return { resolved, models };
}

function targetKey(namespace: string, t: { name: string; sectionName?: string }): string {
  return `${namespace}/${t.name}#${t.sectionName ?? ""}`;
}

/** Service ns/name → the Gateways an accepted route carries traffic through to it (valid backendRefs and mirrors). */
function gatewaysReachingServices(outcomes: readonly ParentOutcome[]): Map<string, { gateway: { namespace: string; name: string }; controllerName: string }[]> {
  const out = new Map<string, { gateway: { namespace: string; name: string }; controllerName: string }[]>();
  for (const o of outcomes) {
    if (o.rejection || o.listeners.length === 0) continue;
    const gateways = new Map<string, { namespace: string; name: string }>();
    for (const a of o.listeners) gateways.set(nn(a.listener.gateway.namespace, a.listener.gateway.name), a.listener.gateway);
    for (const rule of o.route.resolved.rules) {
      if (rule.invalid) continue;
      const backends = [...rule.backends, ...rule.filters.flatMap((f) => (f.requestMirror ? [f.requestMirror.backendRef] : []))];
      for (const b of backends) {
        if (!b.valid) continue;
        const key = nn(b.namespace, b.name);
        const list = out.get(key) ?? [];
        for (const gw of gateways.values()) {
          if (!list.some((x) => x.gateway.namespace === gw.namespace && x.gateway.name === gw.name)) list.push({ gateway: gw, controllerName: o.controllerName });
        }
        out.set(key, list);
      }
    }
  }
  return out;
}
