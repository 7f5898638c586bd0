/**
 * ReferenceGrants that grant nothing (GEP-709): a grant in namespace X with `from` entries
 * (group, kind, namespace) and `to` entries (group, kind, optional name) is used when some object
 * of a `from` kind in a `from` namespace refers to an object of a `to` kind (and name) in X.
 * Needs the objects: the graph keeps no grants.
 */
import type { ManifestObject } from "../manifest/object.js";
import { namespaceOfObject, type LintContext } from "./context.js";
import type { Finding, LintObjectRef } from "./finding.js";

const GATEWAY_GROUP = "gateway.networking.k8s.io";
const X_GROUP = "gateway.networking.x-k8s.io";
/** A ReferenceGrant cannot open an XBackend to other namespaces (GEP-4894: same namespace only). */
const notGrantable = (r: Reference) => r.to.group === X_GROUP && r.to.kind === "XBackend";
const ROUTE_KINDS = new Set(["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"]);

/** One cross-namespace reference written in an object. */
export interface Reference {
  from: { group: string; kind: string; namespace: string; name: string };
  to: { group: string; kind: string; namespace: string; name: string };
}

interface RefIn {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
const rec = (v: unknown): Record<string, unknown> => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** Every reference an object makes that a ReferenceGrant can govern, cross-namespace or not. */
export function referencesOf(obj: ManifestObject): Reference[] {
  const ns = namespaceOfObject(obj);
  const from = { group: obj.kind === "XBackend" ? X_GROUP : GATEWAY_GROUP, kind: obj.kind, namespace: ns, name: obj.metadata.name };
  const out: Reference[] = [];
  const add = (r: RefIn | undefined, defaultKind: string) => {
    if (!r || typeof r.name !== "string") return;
    out.push({ from, to: { group: r.group ?? "", kind: r.kind ?? defaultKind, namespace: r.namespace ?? ns, name: r.name } });
  };
  const spec = rec(obj.spec);
  if (ROUTE_KINDS.has(obj.kind)) {
    const filterRefs = (filters: unknown) => {
      for (const f of list<Record<string, unknown>>(filters)) {
        add(rec(f.requestMirror).backendRef as RefIn | undefined, "Service");
        add(rec(f.externalAuth).backendRef as RefIn | undefined, "Service");
      }
    };
    for (const rule of list<Record<string, unknown>>(spec.rules)) {
      for (const b of list<RefIn & { filters?: unknown }>(rule.backendRefs)) {
        add(b, "Service");
        filterRefs(b.filters);
      }
      filterRefs(rule.filters);
    }
  } else if (obj.kind === "Gateway" || obj.kind === "ListenerSet") {
    for (const l of list<Record<string, unknown>>(spec.listeners)) {
      for (const c of list<RefIn>(rec(l.tls).certificateRefs)) add(c, "Secret");
    }
    const tls = rec(spec.tls);
    add(rec(tls.backend).clientCertificateRef as RefIn | undefined, "Secret");
    const frontend = rec(tls.frontend);
    for (const c of list<RefIn>(rec(rec(frontend.default).validation).caCertificateRefs)) add(c, "ConfigMap");
    for (const p of list<Record<string, unknown>>(frontend.perPort)) {
      for (const c of list<RefIn>(rec(rec(p.tls).validation).caCertificateRefs)) add(c, "ConfigMap");
    }
  } else if (obj.kind === "XBackend") {
    // The client certificate Secret may be in another namespace with a grant (SecretObjectReference).
    add(rec(spec.tls).clientCertificateRef as RefIn | undefined, "Secret");
  }
  return out;
}

interface GrantFrom {
  group?: string;
  kind?: string;
  namespace?: string;
}
interface GrantTo {
  group?: string;
  kind?: string;
  name?: string;
}

const fromMatches = (f: GrantFrom, r: Reference) => (f.group ?? "") === r.from.group && f.kind === r.from.kind && f.namespace === r.from.namespace;
const toMatches = (t: GrantTo, r: Reference) => (t.group ?? "") === r.to.group && t.kind === r.to.kind && (t.name === undefined || t.name === "" || t.name === r.to.name);

export function grantFindings(ctx: LintContext): Finding[] {
  if (!ctx.objects) return [];
  const grants = ctx.byKind("ReferenceGrant");
  if (grants.length === 0) return [];
  const refs = ctx.objects.flatMap((o) => (o && typeof o.kind === "string" && o.metadata ? referencesOf(o) : [])).filter((r) => r.from.namespace !== r.to.namespace);
  const findings: Finding[] = [];
  for (const grant of grants) {
    const ns = namespaceOfObject(grant);
    const ref: LintObjectRef = { kind: "ReferenceGrant", namespace: ns, name: grant.metadata.name };
    const spec = rec(grant.spec);
    const froms = list<GrantFrom>(spec.from);
    const tos = list<GrantTo>(spec.to);
    const into = refs.filter((r) => r.to.namespace === ns);
    const used = into.filter((r) => !notGrantable(r) && froms.some((f) => fromMatches(f, r)) && tos.some((t) => toMatches(t, r)));
    // Whether the manifests hold any object a `from` entry admits: when none, the referrers are
    // linted elsewhere (a team's own repository), and an unused grant is only info.
    const present = (f: GrantFrom) => ctx.byKind(f.kind ?? "").some((o) => namespaceOfObject(o) === f.namespace);
    if (used.length === 0) {
      const elsewhere = into.length === 0 && !froms.some(present);
      findings.push(
        ctx.finding({
          rule: "grant-unused",
          severity: elsewhere ? "info" : "warning",
          object: ref,
          path: "spec",
          message:
            `ReferenceGrant ${ns}/${grant.metadata.name} grants nothing: ${unusedWhy(froms, tos, into, ns)}${tos.map(xbackendNote).find(Boolean) ?? ""}` +
            (elsewhere ? ` (the manifests linted hold no ${froms.map((f) => `${f.kind} in ${f.namespace}`).join(" or ") || "object it admits"}: if they are kept elsewhere, lint them together)` : ""),
          fix: into.length
            ? "make the grant's from (group, kind, namespace) and to (group, kind, name) entries match the references above, or delete it"
            : "delete the grant, or check that it lives in the namespace of the objects it should expose",
        }),
      );
    } else {
      froms.forEach((f, k) => {
        if (used.some((r) => fromMatches(f, r))) return;
        findings.push(
          ctx.finding({
            rule: "grant-unused",
            severity: present(f) ? "warning" : "info",
            object: ref,
            path: `spec.from[${k}]`,
            message: `from entry ${k} (${f.kind} in namespace ${f.namespace}) of ReferenceGrant ${ns}/${grant.metadata.name} is used by no reference into ${ns}`,
            fix: "remove the entry, or fix its kind, group or namespace",
          }),
        );
      });
      tos.forEach((t, k) => {
        if (used.some((r) => toMatches(t, r))) return;
        findings.push(
          ctx.finding({
            rule: "grant-unused",
            severity: "warning",
            object: ref,
            path: `spec.to[${k}]`,
            message: `to entry ${k} (${t.kind}${t.name ? ` ${t.name}` : ""}) of ReferenceGrant ${ns}/${grant.metadata.name} is used by no reference from the granted namespaces${xbackendNote(t)}`,
            fix: "remove the entry, or fix its kind, group or name",
          }),
        );
      });
    }
    tos.forEach((t, k) => {
      if (!t.name || !t.kind || ((t.group ?? "") !== "" && t.group !== GATEWAY_GROUP)) return;
      const sameKind = ctx.byKind(t.kind).filter((o) => namespaceOfObject(o) === ns);
      // Only when the manifests declare objects of that kind there: Secrets are often kept out.
      if (sameKind.length === 0 || sameKind.some((o) => o.metadata.name === t.name)) return;
      findings.push(
        ctx.finding({
          rule: "grant-target-not-found",
          severity: "warning",
          object: ref,
          path: `spec.to[${k}].name`,
          message: `ReferenceGrant ${ns}/${grant.metadata.name} grants access to ${t.kind} ${ns}/${t.name}, which does not exist (the ${t.kind}s in ${ns} are ${sameKind.map((o) => o.metadata.name).sort().join(", ")})`,
          fix: `fix the name, or remove it to grant every ${t.kind} in ${ns}`,
        }),
      );
    });
  }
  return findings;
}

function xbackendNote(t: GrantTo): string {
  return (t.group ?? "") === X_GROUP && t.kind === "XBackend" ? " (no ReferenceGrant lets a route refer to an XBackend in another namespace: GEP-4894 keeps XBackends to the namespace of their routes)" : "";
}

function unusedWhy(froms: GrantFrom[], tos: GrantTo[], into: Reference[], ns: string): string {
  const fromText = froms.map((f) => `${f.kind}s in ${f.namespace}`).join(", ") || "no one";
  const toText = tos.map((t) => `${t.kind}${t.name ? ` ${t.name}` : "s"}`).join(", ") || "nothing";
  if (into.length === 0) return `it lets ${fromText} refer to ${toText} in ${ns}, but no object refers to anything in ${ns} from another namespace`;
  const seen = [...new Set(into.map((r) => `${r.from.kind} ${r.from.namespace}/${r.from.name} → ${r.to.kind} ${r.to.name}`))].slice(0, 3);
  return `it lets ${fromText} refer to ${toText} in ${ns}, but the references into ${ns} are ${seen.join("; ")}${into.length > 3 ? " ..." : ""}`;
}
