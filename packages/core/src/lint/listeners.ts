/**
 * Listeners gwsim would not program (a conflict, certificate refs that do not resolve or are not
 * permitted, an unsupported protocol): they take no traffic, and the routes attached to them
 * serve nothing there. Read from the status resolve wrote, so lint and `gwsim status` agree.
 */
import { ListenerReason } from "../model/conditions.js";
import type { Condition, ResolvedListener, StatusItem } from "../resolve/graph.js";
import type { LintContext } from "./context.js";
import type { Finding, LintObjectRef } from "./finding.js";

interface ListenerStatus {
  name: string;
  conditions?: Condition[];
}

interface CertRef {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

export function listenerFindings(ctx: LintContext): Finding[] {
  const { graph } = ctx.world;
  const status = new Map<string, StatusItem>(graph.status.map((s) => [`${s.kind}/${s.metadata.namespace ?? ""}/${s.metadata.name}`, s]));
  const findings: Finding[] = [];
  for (const l of graph.listeners) {
    if (l.ready) continue;
    const owner: LintObjectRef = l.listenerSet ? { kind: "ListenerSet", namespace: l.listenerSet.namespace, name: l.listenerSet.name } : { kind: "Gateway", namespace: l.gateway.namespace, name: l.gateway.name };
    const entry = ((status.get(`${owner.kind}/${owner.namespace}/${owner.name}`)?.status as { listeners?: ListenerStatus[] } | undefined)?.listeners ?? []).find((s) => s.name === l.name);
    const cause = causeOf(entry?.conditions ?? []);
    if (!cause) continue;
    const obj = ctx.get(owner.kind, owner.namespace!, owner.name);
    const specListeners = ((obj?.spec as { listeners?: unknown } | undefined)?.listeners ?? []) as { name?: string; tls?: { certificateRefs?: CertRef[] } }[];
    const index = Array.isArray(specListeners) ? specListeners.findIndex((s) => s?.name === l.name) : -1;
    // Certificates are often kept out of git (cert-manager, sealed secrets): a Secret missing
    // from the manifests is not a finding, as a missing Service is not for backendRefs.
    if (cause.reason === ListenerReason.InvalidCertificateRef && certificatesElsewhere(ctx, owner.namespace!, index >= 0 ? specListeners[index]!.tls?.certificateRefs : undefined)) continue;
    const unsupported = cause.reason === ListenerReason.UnsupportedProtocol;
    const where = `listener ${l.name} (${l.protocol} port ${l.port}${l.hostname ? `, ${l.hostname}` : ""}) of ${owner.kind} ${owner.namespace}/${owner.name}`;
    findings.push(
      ctx.finding({
        rule: "listener-not-programmed",
        severity: unsupported ? "warning" : "error",
        object: owner,
        path: index >= 0 ? `spec.listeners[${index}]` : "spec.listeners",
        fallback: l.source ?? null,
        message: `${where} is not programmed and takes no traffic: ${cause.type} ${cause.status} (${cause.reason}): ${cause.message}`,
        fix: fixFor(cause.reason, l),
      }),
    );
  }
  return findings;
}

/** The condition that says why: a conflict first, then Accepted, ResolvedRefs, Programmed. */
function causeOf(conditions: readonly Condition[]): Condition | undefined {
  const by = (type: string, status: string) => conditions.find((c) => c.type === type && c.status === status);
  return by("Conflicted", "True") ?? by("Accepted", "False") ?? by("ResolvedRefs", "False") ?? by("Programmed", "False");
}

function certificatesElsewhere(ctx: LintContext, namespace: string, refs: CertRef[] | undefined): boolean {
  if (!Array.isArray(refs)) return false;
  return refs.some((r) => (r.group ?? "") === "" && (r.kind ?? "Secret") === "Secret" && typeof r.name === "string" && !ctx.get("Secret", r.namespace ?? namespace, r.name));
}

function fixFor(reason: string, l: ResolvedListener): string {
  switch (reason) {
    case ListenerReason.HostnameConflict:
    case ListenerReason.ProtocolConflict:
    case ListenerReason.ListenerConflict:
      return `give the listener a hostname or port no other listener on port ${l.port} uses (or the same protocol as they do)`;
    case ListenerReason.RefNotPermitted:
      return "add a ReferenceGrant in the certificate's namespace that lets Gateways (or ListenerSets) from this namespace use the Secret, or move the Secret next to the Gateway";
    case ListenerReason.InvalidCertificateRef:
      return "point certificateRefs at a kubernetes.io/tls Secret with a valid tls.crt and tls.key";
    case ListenerReason.UnsupportedProtocol:
      return "use HTTP, HTTPS, TLS, TCP or UDP; an implementation-specific protocol is not simulated by gwsim";
    default:
      return "see the listener's conditions in `gwsim status` and fix what they name";
  }
}
