/**
 * XBackend (GEP-4894; apisx/v1alpha1/xbackend_types.go at v1.6.1): a backendRef target that is
 * an external hostname. Resolve checks what the CRD cannot (an IP written as a hostname, the
 * objects spec.tls names) into one Accepted condition, and writes status.parents per Gateway
 * whose routes send traffic to it.
 */
import { ConditionType, GATEWAY_GROUP, GatewayReason, PolicyReason, RouteReason } from "../model/conditions.js";
import type { XBackendTLS } from "../model/decision.js";
import type { ParentOutcome } from "./attach.js";
import { condFalse, condTrue, stamp, type Cond } from "./conditions.js";
import type { BackendContext, BackendResult } from "./backends.js";
import type { ResolvedBackend, ResolvedXBackend, RouteKind } from "./graph.js";
import type { InputObject, SecretRefIn } from "./input.js";
import { arr, generationOf, namespaceOf, nn, plain, specOf } from "./input.js";
import type { ObjectIndex } from "./objects.js";
import { readCaBundle, readTlsSecret } from "./tls-secret.js";
import { XBACKEND_GROUP } from "../schema/xbackend.js";

export const XBACKEND_KIND = "XBackend";
/** The decision reason for traffic to an XBackend that is not Accepted (not a condition reason: the route's ref resolved). */
export const INVALID_XBACKEND = "InvalidXBackend";

export interface XBackendSpecIn {
  type?: string;
  port?: { name?: string; port?: number };
  externalHostname?: { hostname?: string };
  protocol?: string;
  tls?: {
    mode?: string;
    clientCertificateRef?: SecretRefIn;
    validation?: {
      caCertificateRefs?: { group?: string; kind: string; name: string }[];
      wellKnownCACertificates?: string;
      hostname?: string;
      subjectAltNames?: unknown[];
    };
  };
}

export interface XBackendModel {
  obj: InputObject;
  resolved: ResolvedXBackend;
  accepted: Cond;
}

const CA_KINDS = new Set(["ConfigMap", "Secret"]);
// PreciseHostname lets a dotted quad through; the field's doc says IP addresses are not allowed.
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isXBackendRef(group: string, kind: string): boolean {
  return group === XBACKEND_GROUP && kind === XBACKEND_KIND;
}

/** Every XBackend, keyed `namespace/name`. */
export function resolveXBackends(index: ObjectIndex): Map<string, XBackendModel> {
  const out = new Map<string, XBackendModel>();
  for (const obj of index.byKind(XBACKEND_KIND)) {
    const key = nn(namespaceOf(obj), obj.metadata.name);
    if (!out.has(key)) out.set(key, resolveOne(index, obj));
  }
  return out;
}

function resolveOne(index: ObjectIndex, obj: InputObject): XBackendModel {
  const namespace = namespaceOf(obj);
  const spec = specOf<XBackendSpecIn>(obj);
  const hostname = spec.externalHostname?.hostname ?? "";
  const port = Number(spec.port?.port ?? 0);
  const problems: Cond[] = [];
  const invalid = (reason: string, message: string) => problems.push(condFalse(ConditionType.Accepted, reason, message));
  if (spec.type !== "ExternalHostname" || !hostname) invalid(PolicyReason.Invalid, `type ${JSON.stringify(spec.type ?? "")} is not supported; use ExternalHostname with externalHostname.hostname`);
  else if (IPV4.test(hostname)) invalid(PolicyReason.Invalid, `externalHostname.hostname ${hostname} is an IP address, which the XBackend API does not allow; use a DNS name`);
  let tls: XBackendTLS | null = null;
  const t = spec.tls;
  if (t && (t.mode === "ServerOnly" || t.mode === "ClientAndServer")) {
    const v = t.validation;
    const caRefs = arr(v?.caCertificateRefs);
    caRefs.forEach((ref, i) => {
      const where = `tls.validation.caCertificateRefs[${i}]`;
      if ((ref.group ?? "") !== "" || !CA_KINDS.has(ref.kind)) {
        invalid(PolicyReason.InvalidKind, `${where}: ${ref.group ? `${ref.group}/` : ""}${ref.kind} ${ref.name} is not supported; reference a ConfigMap with a ca.crt key`);
        return;
      }
      const o = index.get(ref.kind, namespace, ref.name);
      if (!o || !readCaBundle(o)) {
        invalid(PolicyReason.InvalidCACertificateRef, `${where}: ${o ? `${ref.kind} ${namespace}/${ref.name} has no PEM certificate under ca.crt` : `${ref.kind} ${namespace}/${ref.name} not found`}`);
      }
    });
    if (v && caRefs.length === 0 && v.wellKnownCACertificates !== "System") {
      invalid(PolicyReason.Invalid, `tls.validation.wellKnownCACertificates ${JSON.stringify(v.wellKnownCACertificates ?? "")} is not supported; use System or caCertificateRefs`);
    }
    let clientCertificate: string | null = null;
    if (t.mode === "ClientAndServer" && t.clientCertificateRef) clientCertificate = checkClientCertificate(index, obj, t.clientCertificateRef, invalid);
    tls = {
      mode: t.mode,
      // BackendTLSPolicyValidation.hostname MUST be the SNI; without validation, the backend's own name.
      sni: v?.hostname ?? hostname,
      caCertificateRefs: caRefs.map((r) => nn(namespace, r.name)),
      // gwsim choice: ServerOnly without validation verifies against the system CAs (docs/decisions.md).
      wellKnownCACertificates: v ? (v.wellKnownCACertificates ?? null) : "System",
      subjectAltNames: plain([...arr(v?.subjectAltNames)]),
      clientCertificate,
    };
  }
  const accepted = problems[0] ?? condTrue(ConditionType.Accepted, PolicyReason.Accepted, `connects to ${hostname}:${port}${tls ? ` over TLS (${tls.mode}, SNI ${tls.sni})` : " in cleartext"}`);
  if (problems.length > 1) accepted.message = problems.map((p) => p.message).join("; ");
  return {
    obj,
    accepted,
    resolved: {
      namespace,
      name: obj.metadata.name,
      hostname,
      port,
      protocol: spec.protocol ?? null,
      tls,
      accepted: accepted.status === "True",
      reason: accepted.reason,
      message: accepted.message,
    },
  };
}

/**
 * The client certificate Secret: a core Secret; another namespace needs a ReferenceGrant
 * (SecretObjectReference). Reasons as a Gateway's for its own backend client certificate.
 */
function checkClientCertificate(index: ObjectIndex, obj: InputObject, ref: SecretRefIn, invalid: (reason: string, message: string) => void): string | null {
  const namespace = ref.namespace ?? namespaceOf(obj);
  const where = "tls.clientCertificateRef";
  if ((ref.group ?? "") !== "" || (ref.kind ?? "Secret") !== "Secret") {
    invalid(PolicyReason.InvalidKind, `${where}: ${ref.group ? `${ref.group}/` : ""}${ref.kind} ${ref.name} is not supported; reference a Secret`);
    return null;
  }
  const from = { group: XBACKEND_GROUP, kind: XBACKEND_KIND, namespace: namespaceOf(obj) };
  if (!index.grants.permits(from, { group: "", kind: "Secret", namespace, name: ref.name })) {
    invalid(GatewayReason.RefNotPermitted, `${where}: Secret ${namespace}/${ref.name} is in another namespace and no ReferenceGrant in ${namespace} lets XBackends from ${from.namespace} reference it`);
    return null;
  }
  const secret = index.get("Secret", namespace, ref.name);
  if (!secret) {
    invalid(GatewayReason.InvalidClientCertificateRef, `${where}: Secret ${namespace}/${ref.name} not found`);
    return null;
  }
  const content = readTlsSecret(secret);
  if (content.problem) {
    invalid(GatewayReason.InvalidClientCertificateRef, `${where}: Secret ${namespace}/${ref.name} cannot serve as a client certificate: ${content.problem}`);
    return null;
  }
  return nn(namespace, ref.name);
}

/**
 * status.parents: one entry per Gateway (or mesh Service) whose accepted routes reference the
 * XBackend, with its Accepted condition. None: `{}` ("an empty list indicates that the Backend is
 * not associated with any parents").
 */
export function xBackendStatus(model: XBackendModel, outcomes: readonly ParentOutcome[]): Record<string, unknown> {
  const parents = new Map<string, { parentRef: Record<string, unknown>; controllerName: string }>();
  const { namespace, name } = model.resolved;
  for (const o of outcomes) {
    if (o.rejection) continue;
    const reaches = o.route.resolved.rules.some(
      (rule) =>
        !rule.invalid &&
        [...rule.backends, ...rule.filters.flatMap((f) => (f.requestMirror ? [f.requestMirror.backendRef] : []))].some(
          (b) => b.xbackend && b.namespace === namespace && b.name === name,
        ),
    );
    if (!reaches) continue;
    for (const a of o.listeners) {
      const gw = a.listener.gateway;
      parents.set(`Gateway/${nn(gw.namespace, gw.name)}`, { parentRef: { group: GATEWAY_GROUP, kind: "Gateway", namespace: gw.namespace, name: gw.name }, controllerName: o.controllerName });
    }
    if (o.mesh) parents.set(`Service/${nn(o.mesh.namespace, o.mesh.name)}`, { parentRef: { group: "", kind: "Service", namespace: o.mesh.namespace, name: o.mesh.name }, controllerName: o.controllerName });
  }
  if (parents.size === 0) return {};
  const generation = generationOf(model.obj);
  return {
    parents: [...parents.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      // "A maximum of 32 parents will be represented in this list" (xbackend_types.go; CRD maxItems 32).
      .slice(0, 32)
      .map(([, p]) => ({ controllerName: p.controllerName, parentRef: p.parentRef, conditions: stamp([model.accepted], generation) })),
  };
}

const memo = new WeakMap<ObjectIndex, Map<string, XBackendModel>>();

/** resolveXBackends, once per index (backendRefs of every route and the status share it). */
export function xBackendsOf(index: ObjectIndex): Map<string, XBackendModel> {
  let m = memo.get(index);
  if (!m) memo.set(index, (m = resolveXBackends(index)));
  return m;
}

/**
 * The XBackend protocols each route kind can hand its traffic over with (spec.protocol unset
 * always fits: "the protocol determined by the route or listener"). gwsim's reading of the
 * protocol enum: HTTP-family values for HTTP routes, the HTTP/2-capable ones for gRPC, TCP for
 * TLS and TCP streams, none for UDP (docs/decisions.md "XBackend").
 */
const XBACKEND_PROTOCOLS: Readonly<Record<RouteKind, ReadonlySet<string>>> = {
  HTTPRoute: new Set(["HTTP", "HTTP2", "HTTP11", "H2C", "MCP"]),
  GRPCRoute: new Set(["HTTP", "HTTP2", "H2C"]),
  TLSRoute: new Set(["TCP"]),
  TCPRoute: new Set(["TCP"]),
  UDPRoute: new Set(),
};

/**
 * A backendRef to an XBackend. Checks: same namespace (GEP-4894: "Backends MUST live in the same
 * namespace as any route ... that references them", so a ReferenceGrant does not open it),
 * existence, port, protocol. An XBackend that exists but is not Accepted leaves the route's
 * ResolvedRefs alone (the reference resolved); its share of traffic answers 500, as a Service
 * behind a BackendTLSPolicy that is not accepted does.
 */
export function resolveXBackendRef(ctx: BackendContext, backend: ResolvedBackend, fail: (reason: string, message: string) => BackendResult): BackendResult {
  const { namespace, name } = backend;
  const label = `XBackend ${namespace}/${name}`;
  if (namespace !== ctx.fromNamespace) {
    const granted = ctx.index.grants.permits(
      { group: GATEWAY_GROUP, kind: ctx.fromKind, namespace: ctx.fromNamespace },
      { group: XBACKEND_GROUP, kind: XBACKEND_KIND, namespace, name },
    );
    return fail(
      RouteReason.RefNotPermitted,
      `${label} is in another namespace than the ${ctx.fromKind} (${ctx.fromNamespace}); an XBackend must be in the namespace of the routes that reference it (GEP-4894)${granted ? ", a ReferenceGrant does not change that" : ""}`,
    );
  }
  const model = xBackendsOf(ctx.index).get(nn(namespace, name));
  if (!model) return fail(RouteReason.BackendNotFound, `${label} not found`);
  const x = model.resolved;
  // spec.port is "the port that the implementation should use when connecting"; a backendRef
  // port that names another one has nothing to connect to, as a Service port that does not exist.
  if (backend.port !== null && backend.port !== x.port) {
    return fail(RouteReason.BackendNotFound, `${label} has no port ${backend.port} (it connects on port ${x.port}); leave the backendRef port unset or make it ${x.port}`);
  }
  backend.port = x.port;
  backend.appProtocol = x.protocol;
  if (x.protocol !== null && !XBACKEND_PROTOCOLS[ctx.routeKind].has(x.protocol)) {
    const can = [...XBACKEND_PROTOCOLS[ctx.routeKind]];
    return fail(
      RouteReason.UnsupportedProtocol,
      `${label} has protocol ${x.protocol}, which a ${ctx.routeKind} cannot hand its traffic to (${can.length ? `it can: ${can.join(", ")}, or leave protocol unset` : "leave protocol unset"})`,
    );
  }
  backend.xbackend = { hostname: x.hostname, port: x.port, protocol: x.protocol, tls: x.tls ? plain(x.tls) : null };
  if (!x.accepted) {
    backend.reason = INVALID_XBACKEND;
    backend.message = `${label} is not accepted (${x.reason}: ${x.message})`;
    return { backend, problem: null };
  }
  backend.valid = true;
  return { backend, problem: null };
}
