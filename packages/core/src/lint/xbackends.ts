/**
 * XBackend and XBackendTrafficPolicy findings (Gateway API v1.6 experimental):
 * - xbackend-without-tls: xbackend_types.go spec.tls "ExternalHostname backends SHOULD have TLS
 *   configured; the lack of TLS for external hostnames should be considered insecure".
 * - backend-traffic-policy-not-applied: a targetRef that names no backend of the policy's
 *   namespace, and a policy that loses a conflict to an older one (GEP-713, as resolve decides:
 *   resolve/backend-traffic.ts), so its sessionPersistence and retryConstraint apply nowhere.
 */
import type { ResolvedBackendTrafficPolicy } from "../resolve/backend-traffic.js";
import { XBACKEND_GROUP } from "../schema/xbackend.js";
import { namespaceOfObject, type LintContext } from "./context.js";
import type { Finding, LintObjectRef } from "./finding.js";

export function xbackendFindings(ctx: LintContext): Finding[] {
  return [...tlsFindings(ctx), ...notAcceptedFindings(ctx), ...trafficPolicyFindings(ctx)];
}

interface ObjectRefIn {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

/**
 * An XBackend resolve did not accept: the route's ref resolves (ResolvedRefs stays True), but its
 * share answers 500 (decide reason InvalidXBackend). Skipped when a CA or client certificate
 * object it names is missing from the manifests: those are often kept out of git.
 */
function notAcceptedFindings(ctx: LintContext): Finding[] {
  const out: Finding[] = [];
  const { graph } = ctx.world;
  for (const x of graph.xbackends ?? []) {
    if (x.accepted) continue;
    const obj = ctx.get("XBackend", x.namespace, x.name);
    const tls = (obj?.spec as { tls?: { clientCertificateRef?: ObjectRefIn; validation?: { caCertificateRefs?: ObjectRefIn[] } } } | undefined)?.tls;
    const named = [
      ...(Array.isArray(tls?.validation?.caCertificateRefs) ? tls!.validation!.caCertificateRefs!.map((r) => ({ kind: r.kind ?? "", namespace: x.namespace, name: r.name ?? "" })) : []),
      ...(tls?.clientCertificateRef ? [{ kind: tls.clientCertificateRef.kind ?? "Secret", namespace: tls.clientCertificateRef.namespace ?? x.namespace, name: tls.clientCertificateRef.name ?? "" }] : []),
    ];
    if (ctx.objects && named.some((r) => (r.kind === "ConfigMap" || r.kind === "Secret") && !ctx.get(r.kind, r.namespace, r.name))) continue;
    if (!ctx.objects && / not found/.test(x.message)) continue;
    const users: { route: { kind: string; namespace: string; name: string }; path: string }[] = [];
    for (const route of graph.routes) {
      for (const rule of route.rules) {
        rule.backends.forEach((b, j) => {
          if (b.xbackend && b.namespace === x.namespace && b.name === x.name) users.push({ route, path: `spec.rules[${rule.index}].backendRefs[${j}]` });
        });
      }
    }
    const ref: LintObjectRef = { kind: "XBackend", namespace: x.namespace, name: x.name };
    const routes = [...new Set(users.map((u) => `${u.route.kind} ${u.route.namespace}/${u.route.name}`))];
    out.push(
      ctx.finding({
        rule: "xbackend-not-accepted",
        severity: users.length ? "error" : "warning",
        object: ref,
        path: pathOfProblem(x.reason, x.hostname),
        message:
          `XBackend ${x.namespace}/${x.name} is not accepted (${x.reason}: ${x.message}); ` +
          (users.length ? `the share of ${routes.join(", ")} routed to it answers 500, though the routes' references resolve` : "any request a route sends to it will answer 500"),
        fix: fixOfProblem(x.reason, x.hostname),
        related: users.map((u) => ctx.related({ kind: u.route.kind, namespace: u.route.namespace, name: u.route.name }, u.path, `${u.route.kind} ${u.route.namespace}/${u.route.name} sends to it`)),
      }),
    );
  }
  return out;
}

const DOTTED_QUAD = /^\d{1,3}(\.\d{1,3}){3}$/;

function pathOfProblem(reason: string, hostname: string): string {
  // Invalid: an IP as the hostname, else wellKnownCACertificates other than System (resolve/xbackends.ts).
  if (reason === "Invalid") return DOTTED_QUAD.test(hostname) ? "spec.externalHostname.hostname" : "spec.tls.validation.wellKnownCACertificates";
  if (reason === "InvalidKind" || reason === "InvalidCACertificateRef") return "spec.tls.validation";
  if (reason === "RefNotPermitted" || reason === "InvalidClientCertificateRef") return "spec.tls.clientCertificateRef";
  return "spec";
}

function fixOfProblem(reason: string, hostname: string): string {
  switch (reason) {
    case "Invalid":
      return DOTTED_QUAD.test(hostname) ? "use the DNS name of the destination as externalHostname.hostname (IP addresses are not allowed)" : "set validation.wellKnownCACertificates: System, or name the CA in caCertificateRefs";
    case "InvalidKind":
      return "reference the CA certificates as a ConfigMap (or Secret) with a ca.crt key, group \"\"";
    case "InvalidCACertificateRef":
      return "put a PEM CA certificate under the ca.crt key of the referenced ConfigMap";
    case "RefNotPermitted":
      return "add a ReferenceGrant in the Secret's namespace from XBackends (group gateway.networking.x-k8s.io) of this namespace to the Secret, or move the Secret here";
    default:
      return "give the client certificate Secret a tls.crt and tls.key that parse and match";
  }
}

function tlsFindings(ctx: LintContext): Finding[] {
  const out: Finding[] = [];
  for (const x of ctx.world.graph.xbackends ?? []) {
    if (x.tls) continue;
    const ref: LintObjectRef = { kind: "XBackend", namespace: x.namespace, name: x.name };
    const spec = ctx.get("XBackend", x.namespace, x.name)?.spec as { tls?: { mode?: unknown } } | undefined;
    // resolve leaves tls null for no spec.tls and for mode None; the object tells them apart.
    const none = spec?.tls?.mode === "None";
    const suggestion = `tls: {mode: ServerOnly, validation: {hostname: ${x.hostname}, wellKnownCACertificates: System}}`;
    out.push(
      ctx.finding({
        rule: "xbackend-without-tls",
        severity: none ? "info" : "warning",
        object: ref,
        path: none ? "spec.tls.mode" : "spec",
        message:
          `XBackend ${x.namespace}/${x.name} sends traffic to external hostname ${x.hostname}:${x.port} in cleartext (${none ? "tls.mode None" : "no spec.tls"}); ` +
          `the XBackend API says ExternalHostname backends SHOULD have TLS, and a cleartext external hostname is a security risk (requests and credentials cross the network readable, and nothing proves the peer owns the hostname)`,
        fix: none
          ? `set tls.mode: ServerOnly with validation (hostname ${x.hostname}, a CA), unless the cleartext connection is intended`
          : `add spec.${suggestion}${x.port === 80 ? ", and the port the service serves TLS on (usually 443)" : ""}`,
      }),
    );
  }
  return out;
}

interface TargetRefIn {
  group?: string;
  kind?: string;
  name?: string;
}

const TARGET_KINDS: ReadonlyMap<string, string> = new Map([
  ["", "Service"],
  [XBACKEND_GROUP, "XBackend"],
]);

/**
 * Reads the policy objects (the graph keeps only accepted policies), so without the objects
 * nothing is reported, as for the grant rules. Which backend exists and which policy is older
 * follow resolve: Services and XBackends of the policy's namespace, and the accepted policies.
 */
function trafficPolicyFindings(ctx: LintContext): Finding[] {
  const { graph } = ctx.world;
  const services = new Set(graph.services.map((s) => `|Service|${s.namespace}/${s.name}`));
  const xbackends = new Set((graph.xbackends ?? []).map((x) => `${XBACKEND_GROUP}|XBackend|${x.namespace}/${x.name}`));
  const exists = (group: string, kind: string, ns: string, name: string) => services.has(`${group}|${kind}|${ns}/${name}`) || xbackends.has(`${group}|${kind}|${ns}/${name}`);
  const accepted = graph.backendTrafficPolicies ?? [];
  // resolve gives every policy it read a status item; one that failed validation has none (validate reports it).
  const resolved = new Set(graph.status.filter((i) => i.kind === "XBackendTrafficPolicy").map((i) => `${i.metadata.namespace ?? ""}/${i.metadata.name}`));
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const obj of ctx.byKind("XBackendTrafficPolicy")) {
    const ns = namespaceOfObject(obj);
    const name = obj.metadata.name;
    if (seen.has(`${ns}/${name}`) || !resolved.has(`${ns}/${name}`)) continue; // a duplicate (resolve kept the first), or invalid
    seen.add(`${ns}/${name}`);
    const ref: LintObjectRef = { kind: "XBackendTrafficPolicy", namespace: ns, name };
    const targetRefs = ((obj.spec as { targetRefs?: unknown } | undefined)?.targetRefs ?? []) as TargetRefIn[];
    if (!Array.isArray(targetRefs)) continue;
    const isAccepted = accepted.some((p) => p.namespace === ns && p.name === name);
    const found = targetRefs.map((t) => {
      const group = t.group ?? "";
      return TARGET_KINDS.get(group) === t.kind && typeof t.name === "string" && exists(group, t.kind!, ns, t.name);
    });
    const noneLeft = !found.some(Boolean);
    targetRefs.forEach((t, i) => {
      if (found[i]) return;
      const group = t.group ?? "";
      const what = `${t.kind ?? "?"}${group ? `.${group}` : ""} ${ns}/${t.name ?? "?"}`;
      const why =
        TARGET_KINDS.get(group) === t.kind
          ? `names ${what}, which is not in the manifests linted`
          : `names ${what}, which is not a backend this policy can target (a Service, group "", or an XBackend, group ${XBACKEND_GROUP}, in ${ns})`;
      out.push(
        ctx.finding({
          rule: "backend-traffic-policy-not-applied",
          severity: "warning",
          object: ref,
          path: `spec.targetRefs[${i}]`,
          message:
            `targetRefs[${i}] of XBackendTrafficPolicy ${ns}/${name} ${why}; ` +
            (noneLeft ? "no target is left, so the policy is Accepted=False, TargetNotFound and applies to nothing" : "the policy applies to its other targets only"),
          fix: TARGET_KINDS.get(group) === t.kind ? `fix the name, or create the ${t.kind} in ${ns} (a policy targets backends of its own namespace only)` : `target a Service (group "") or an XBackend (group ${XBACKEND_GROUP}) by name`,
        }),
      );
    });
    if (isAccepted || noneLeft) continue;
    // Not accepted though a target exists: an older policy holds one of them (Conflicted).
    const conflict = olderHolder(accepted, ns, targetRefs, found);
    if (!conflict) continue;
    const { older, index } = conflict;
    const t = targetRefs[index]!;
    const olderRef: LintObjectRef = { kind: "XBackendTrafficPolicy", namespace: older.namespace, name: older.name };
    const olderTargets = (ctx.get("XBackendTrafficPolicy", older.namespace, older.name)?.spec as { targetRefs?: TargetRefIn[] } | undefined)?.targetRefs;
    const at = Array.isArray(olderTargets) ? olderTargets.findIndex((o) => (o.group ?? "") === (t.group ?? "") && o.kind === t.kind && o.name === t.name) : -1;
    const olderPath = at >= 0 ? `spec.targetRefs[${at}]` : "";
    out.push(
      ctx.finding({
        rule: "backend-traffic-policy-not-applied",
        severity: "warning",
        object: ref,
        path: `spec.targetRefs[${index}]`,
        message:
          `XBackendTrafficPolicy ${ns}/${name} targets ${t.kind} ${ns}/${t.name}, which the older XBackendTrafficPolicy ${older.namespace}/${older.name} already targets; ` +
          `the older policy wins (creationTimestamp, then namespace/name: GEP-713), so ${ns}/${name} is Accepted=False, Conflicted and applies to none of its targets (its sessionPersistence and retryConstraint take no effect)`,
        fix: `merge its settings into ${older.namespace}/${older.name}, or drop ${t.kind} ${t.name} from one of the two policies' targetRefs`,
        related: [ctx.related(olderRef, olderPath, `older XBackendTrafficPolicy ${older.namespace}/${older.name}, which takes ${t.kind} ${t.name}`)],
      }),
    );
  }
  return out;
}

/** The accepted policy that holds one of the existing targets, with that targetRef's index. */
function olderHolder(
  accepted: readonly ResolvedBackendTrafficPolicy[],
  ns: string,
  targetRefs: readonly TargetRefIn[],
  found: readonly boolean[],
): { older: ResolvedBackendTrafficPolicy; index: number } | null {
  for (let i = 0; i < targetRefs.length; i++) {
    if (!found[i]) continue;
    const t = targetRefs[i]!;
    for (const p of accepted) {
      if (p.namespace !== ns) continue;
      if (p.targets.some((x) => x.group === (t.group ?? "") && x.kind === t.kind && x.name === t.name)) return { older: p, index: i };
    }
  }
  return null;
}
