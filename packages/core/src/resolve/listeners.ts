import { ConditionType, GATEWAY_GROUP, ListenerReason } from "../model/conditions.js";
import { condFalse, condTrue, listWords, summarize, type Cond, type Problem } from "./conditions.js";
import type { NamespacedName, ResolvedCertificate, ResolvedListener } from "./graph.js";
import type { FrontendValidationIn, GatewaySpecIn, InputObject, ListenerIn } from "./input.js";
import { arr, nn } from "./input.js";
import { intersectHostname } from "./hostnames.js";
import type { ObjectIndex } from "./objects.js";
import { readCaBundle, readTlsSecret } from "./tls-secret.js";

/**
 * Route kinds each listener protocol can carry (all in the gateway.networking.k8s.io group);
 * TLS is its Terminate mode (the default), routeKindsFor narrows Passthrough.
 */
export const KINDS_BY_PROTOCOL: Readonly<Record<string, readonly string[]>> = {
  HTTP: ["HTTPRoute", "GRPCRoute"],
  HTTPS: ["HTTPRoute", "GRPCRoute"],
  // TLSRoute on a Terminate listener is the Extended feature TLSRouteModeTerminate, which gwsim
  // supports. TCPRoute too: gwsim choice, the spec leaves a TLS listener's kinds beyond TLSRoute to
  // implementations and suggests it ("use a TCPRoute with a TLS listener", TLSRoute doc), as Envoy
  // Gateway and Contour do. TLSRoutes by SNI come first, a TCPRoute takes the rest (decide/streams.ts).
  TLS: ["TLSRoute", "TCPRoute"],
  TCP: ["TCPRoute"],
  UDP: ["UDPRoute"],
};

/** "SSL passthrough is only supported by TLSRoute" (TLSModePassthrough doc). */
export const PASSTHROUGH_KINDS: readonly string[] = ["TLSRoute"];

/** The route kinds a listener of this protocol and TLS mode can carry. */
export function routeKindsFor(protocol: string, tlsMode: string | null): readonly string[] {
  return protocol === "TLS" && tlsMode === "Passthrough" ? PASSTHROUGH_KINDS : (KINDS_BY_PROTOCOL[protocol] ?? []);
}

export const SUPPORTED_PROTOCOLS = Object.keys(KINDS_BY_PROTOCOL);

export interface ListenerOwner {
  kind: "Gateway" | "ListenerSet";
  namespace: string;
  name: string;
  creationTimestamp: string | null;
}

export interface ListenerModel {
  id: string;
  gateway: NamespacedName;
  owner: ListenerOwner;
  /** 0 for the Gateway's own listeners, then 1, 2, ... for ListenerSets in precedence order. */
  ownerRank: number;
  name: string;
  port: number;
  protocol: string;
  hostname: string | null;
  tlsMode: "Terminate" | "Passthrough" | null;
  spec: ListenerIn;
  supportedKinds: { group: string; kind: string }[];
  /** Why the listener is not Accepted, apart from conflicts. */
  acceptedProblem: Problem | null;
  conflict: Problem | null;
  /** Other TLS-terminating listeners on the port whose hostnames overlap this one's. */
  overlappingTLS: ListenerModel[];
  refProblems: Problem[];
  certificates: ResolvedCertificate[];
  frontendValidation: NonNullable<ResolvedListener["tls"]>["frontendValidation"];
  insecureFallback: boolean;
  /** Valid on its own: accepted, not conflicted, with what it needs to carry traffic. */
  valid: boolean;
  /** Why it is not valid, as a sentence (Programmed) and as a few words (the owner's conditions). */
  invalidBecause: string | null;
  invalidShort: string | null;
  /** Valid and its Gateway (and ListenerSet) accepted: takes traffic. */
  ready: boolean;
  attachedRoutes: number;
}

export function listenerId(owner: ListenerOwner, name: string): string {
  return `${owner.kind === "Gateway" ? "gateway" : "listenerset"}/${owner.namespace}/${owner.name}/listener/${name}`;
}

const ownerText = (o: ListenerOwner): string => `${o.kind} ${nn(o.namespace, o.name)}`;

/** Builds the listeners of one Gateway or ListenerSet with everything that depends on them alone. */
export function buildListeners(
  index: ObjectIndex,
  owner: ListenerOwner,
  gateway: NamespacedName,
  gatewaySpec: Partial<GatewaySpecIn>,
  listeners: readonly ListenerIn[],
  ownerRank: number,
): ListenerModel[] {
  return listeners.map((spec) => buildListener(index, owner, gateway, gatewaySpec, spec, ownerRank));
}

function buildListener(
  index: ObjectIndex,
  owner: ListenerOwner,
  gateway: NamespacedName,
  gatewaySpec: Partial<GatewaySpecIn>,
  spec: ListenerIn,
  ownerRank: number,
): ListenerModel {
  const protocol = String(spec.protocol ?? "");
  const protocolSupported = SUPPORTED_PROTOCOLS.includes(protocol);
  const usesHostname = protocol === "HTTP" || protocol === "HTTPS" || protocol === "TLS";
  const hostname = usesHostname && spec.hostname ? spec.hostname.toLowerCase() : null;
  const tlsMode = protocol === "HTTPS" || protocol === "TLS" ? ((spec.tls?.mode ?? "Terminate") as "Terminate" | "Passthrough") : null;
  const model: ListenerModel = {
    id: listenerId(owner, spec.name),
    gateway,
    owner,
    ownerRank,
    name: spec.name,
    port: Number(spec.port),
    protocol,
    hostname,
    tlsMode,
    spec,
    supportedKinds: [],
    acceptedProblem: null,
    conflict: null,
    overlappingTLS: [],
    refProblems: [],
    certificates: [],
    frontendValidation: null,
    insecureFallback: false,
    valid: false,
    invalidBecause: null,
    invalidShort: null,
    ready: false,
    attachedRoutes: 0,
  };
  if (!protocolSupported) {
    model.acceptedProblem = {
      reason: ListenerReason.UnsupportedProtocol,
      message: `protocol ${JSON.stringify(protocol)} is not supported; use one of ${listWords(SUPPORTED_PROTOCOLS)}`,
    };
    return model;
  }
  if (protocol === "TLS" && !spec.tls) {
    model.acceptedProblem = { reason: ListenerReason.UnsupportedValue, message: "protocol TLS needs tls.mode (Terminate or Passthrough)" };
  } else if (tlsMode !== null && tlsMode !== "Terminate" && tlsMode !== "Passthrough") {
    model.acceptedProblem = { reason: ListenerReason.UnsupportedValue, message: `tls.mode ${JSON.stringify(tlsMode)} is not supported; use Terminate or Passthrough` };
  } else if (protocol === "HTTPS" && tlsMode === "Passthrough") {
    model.acceptedProblem = { reason: ListenerReason.UnsupportedValue, message: "protocol HTTPS needs tls.mode Terminate; use protocol TLS for Passthrough" };
  }
  resolveCertificates(index, model);
  if (protocol === "HTTPS") resolveFrontendValidation(index, model, gatewaySpec);
  resolveRouteKinds(model);
  return model;
}

function resolveRouteKinds(model: ListenerModel): void {
  const allowed = routeKindsFor(model.protocol, model.tlsMode);
  const kinds = arr(model.spec.allowedRoutes?.kinds);
  if (kinds.length === 0) {
    model.supportedKinds = allowed.map((kind) => ({ group: GATEWAY_GROUP, kind }));
    return;
  }
  const invalid: string[] = [];
  for (const k of kinds) {
    const group = k.group ?? GATEWAY_GROUP;
    if (group === GATEWAY_GROUP && allowed.includes(k.kind)) {
      if (!model.supportedKinds.some((s) => s.kind === k.kind)) model.supportedKinds.push({ group, kind: k.kind });
    } else {
      invalid.push(group === GATEWAY_GROUP ? k.kind : `${group}/${k.kind}`);
    }
  }
  if (invalid.length) {
    model.refProblems.push({
      reason: ListenerReason.InvalidRouteKinds,
      message: `allowedRoutes.kinds ${listWords(invalid)} cannot attach to a ${model.protocol === "TLS" ? `TLS ${model.tlsMode}` : model.protocol} listener; it takes ${listWords(allowed as string[])}${
        model.tlsMode === "Passthrough" && invalid.includes("TCPRoute") ? " (SSL passthrough is only supported by TLSRoute)" : ""
      }`,
    });
  }
}

function resolveCertificates(index: ObjectIndex, model: ListenerModel): void {
  if (model.tlsMode !== "Terminate") return; // Passthrough ignores certificateRefs
  const refs = arr(model.spec.tls?.certificateRefs);
  if (refs.length === 0) {
    model.refProblems.push({
      reason: ListenerReason.InvalidCertificateRef,
      message: "tls.certificateRefs is empty; gwsim reads certificates only from Secrets named there (not from tls.options)",
    });
    return;
  }
  const owner = model.owner;
  refs.forEach((ref, i) => {
    const group = ref.group ?? "";
    const kind = ref.kind ?? "Secret";
    const namespace = ref.namespace ?? owner.namespace;
    const where = `certificateRefs[${i}]`;
    const cert: ResolvedCertificate = { namespace, name: ref.name, certPem: null, keyPem: null, dnsNames: [], valid: false, reason: null };
    model.certificates.push(cert);
    const fail = (reason: string, message: string) => {
      cert.reason = reason;
      model.refProblems.push({ reason, message: `${where}: ${message}` });
    };
    if (group !== "" || kind !== "Secret") {
      fail(ListenerReason.InvalidCertificateRef, `${group ? `${group}/` : ""}${kind} ${ref.name} is not supported; reference a Secret (group "", kind Secret)`);
      return;
    }
    const permitted = index.grants.permits(
      { group: GATEWAY_GROUP, kind: owner.kind, namespace: owner.namespace },
      { group: "", kind: "Secret", namespace, name: ref.name },
    );
    if (!permitted) {
      fail(
        ListenerReason.RefNotPermitted,
        `Secret ${namespace}/${ref.name} is in another namespace and no ReferenceGrant in ${namespace} lets ${owner.kind}s from ${owner.namespace} use it`,
      );
      return;
    }
    const secret = index.get("Secret", namespace, ref.name);
    if (!secret) {
      fail(ListenerReason.InvalidCertificateRef, `Secret ${namespace}/${ref.name} not found`);
      return;
    }
    const content = readTlsSecret(secret);
    cert.certPem = content.certPem;
    cert.keyPem = content.keyPem;
    if (content.problem) {
      fail(ListenerReason.InvalidCertificateRef, `Secret ${namespace}/${ref.name} cannot serve TLS: ${content.problem}`);
      return;
    }
    cert.dnsNames = content.dnsNames;
    cert.valid = true;
  });
}

const CA_KINDS = new Set(["ConfigMap", "Secret"]);

/** Gateway spec.tls.frontend: the per-port entry for this port, else the default, for HTTPS listeners. */
function resolveFrontendValidation(index: ObjectIndex, model: ListenerModel, gatewaySpec: Partial<GatewaySpecIn>): void {
  const frontend = gatewaySpec.tls?.frontend;
  if (!frontend) return;
  const perPort = arr(frontend.perPort).find((p) => Number(p.port) === model.port);
  const validation: FrontendValidationIn | undefined = perPort ? perPort.tls?.validation : frontend.default?.validation;
  if (!validation) return;
  const mode = validation.mode === "AllowInsecureFallback" ? "AllowInsecureFallback" : "AllowValidOnly";
  model.insecureFallback = mode === "AllowInsecureFallback";
  const caCertificates: { namespace: string; name: string; kind: string; pem: string | null }[] = [];
  const gwNs = model.gateway.namespace;
  let validCount = 0;
  arr(validation.caCertificateRefs).forEach((ref, i) => {
    const group = ref.group ?? "";
    const kind = ref.kind ?? "ConfigMap";
    const namespace = ref.namespace ?? gwNs;
    const where = `Gateway spec.tls.frontend caCertificateRefs[${i}]`;
    const entry = { namespace, name: ref.name, kind, pem: null as string | null };
    caCertificates.push(entry);
    if (group !== "" || !CA_KINDS.has(kind)) {
      model.refProblems.push({
        reason: ListenerReason.InvalidCACertificateKind,
        message: `${where}: ${group ? `${group}/` : ""}${kind} ${ref.name} is not supported; reference a ConfigMap with a ca.crt key`,
      });
      return;
    }
    const permitted = index.grants.permits({ group: GATEWAY_GROUP, kind: "Gateway", namespace: gwNs }, { group: "", kind, namespace, name: ref.name });
    if (!permitted) {
      model.refProblems.push({
        reason: ListenerReason.RefNotPermitted,
        message: `${where}: ${kind} ${namespace}/${ref.name} is in another namespace and no ReferenceGrant in ${namespace} lets Gateways from ${gwNs} use it`,
      });
      return;
    }
    const obj = index.get(kind, namespace, ref.name);
    const pem = obj ? readCaBundle(obj) : null;
    if (!pem) {
      model.refProblems.push({
        reason: ListenerReason.InvalidCACertificateRef,
        message: `${where}: ${obj ? `${kind} ${namespace}/${ref.name} has no PEM certificate under ca.crt` : `${kind} ${namespace}/${ref.name} not found`}`,
      });
      return;
    }
    entry.pem = pem;
    validCount++;
  });
  model.frontendValidation = { caCertificates, mode };
  if (validCount === 0 && model.acceptedProblem === null) {
    model.acceptedProblem = {
      reason: ListenerReason.NoValidCACertificate,
      message: "no caCertificateRef of the Gateway's client certificate validation for this port resolves; fix the references above",
    };
  }
}

type Family = "http" | "tls-terminate" | "tls-passthrough" | "tcp" | "udp";

function familyOf(l: ListenerModel, tlsMixed = false): Family {
  // With TLSRouteModeMixed (opt-in), every listener that reads TLS is told apart by SNI alone.
  if (tlsMixed && (l.protocol === "HTTPS" || l.protocol === "TLS")) return "tls-terminate";
  switch (l.protocol) {
    case "HTTP":
      return "http";
    case "UDP":
      return "udp";
    case "TCP":
      return "tcp";
    default:
      return l.tlsMode === "Passthrough" ? "tls-passthrough" : "tls-terminate";
  }
}

const transportOf = (f: Family): "udp" | "tcp" => (f === "udp" ? "udp" : "tcp");

/**
 * Distinct listeners (gateway_types.go "Distinct Listeners"; GEP-1713 conflicts).
 * On one port and transport, listeners must agree on how the connection is read: cleartext HTTP,
 * TLS terminated (HTTPS and TLS/Terminate, told apart by SNI), TLS passed through, or raw TCP.
 * Otherwise they have a ProtocolConflict (mixing Terminate and Passthrough on a port is the
 * Extended feature TLSRouteModeMixed, which gwsim does not claim). Listeners of one kind on a
 * port must differ in hostname (TCP and UDP have none), else a HostnameConflict.
 *
 * Who loses: resources are taken in precedence order (the Gateway, then its ListenerSets oldest
 * first, then by namespace/name). A listener that conflicts with one already accepted from an
 * earlier resource loses to it; then, within the resource, listeners that conflict with each other
 * all lose (the spec forbids picking a winner among one resource's indistinct listeners).
 * Listeners that lost, or are not accepted for another reason, hold no port.
 */
export function detectConflicts(listeners: readonly ListenerModel[], options: { tlsMixed?: boolean } = {}): void {
  const live = listeners.filter((l) => SUPPORTED_PROTOCOLS.includes(l.protocol) && l.acceptedProblem === null);
  for (const l of listeners) l.conflict = null;
  const ranks = [...new Set(live.map((l) => l.ownerRank))].sort((a, b) => a - b);
  const accepted: ListenerModel[] = [];
  for (const rank of ranks) {
    const group = live.filter((l) => l.ownerRank === rank);
    for (const a of group) {
      const earlier = firstConflict(a, accepted, options.tlsMixed);
      if (earlier) a.conflict = conflictProblem(a, earlier.with, earlier.kind, true);
    }
    const candidates = group.filter((l) => l.conflict === null);
    for (const a of candidates) {
      const peer = firstConflict(a, candidates.filter((b) => b !== a), options.tlsMixed);
      if (peer) a.conflict = conflictProblem(a, peer.with, peer.kind, false);
    }
    accepted.push(...candidates.filter((l) => l.conflict === null));
  }
}

function firstConflict(a: ListenerModel, others: readonly ListenerModel[], tlsMixed = false): { with: ListenerModel; kind: "protocol" | "hostname" } | null {
  let hostname: ListenerModel | null = null;
  for (const b of others) {
    if (a.port !== b.port) continue;
    const fa = familyOf(a, tlsMixed);
    const fb = familyOf(b, tlsMixed);
    if (transportOf(fa) !== transportOf(fb)) continue;
    if (fa !== fb) return { with: b, kind: "protocol" }; // a protocol conflict is named first
    if ((a.hostname ?? "") === (b.hostname ?? "")) hostname ??= b;
  }
  return hostname ? { with: hostname, kind: "hostname" } : null;
}

function conflictProblem(a: ListenerModel, b: ListenerModel, kind: "protocol" | "hostname", precedes: boolean): Problem {
  const other = `${kind === "protocol" ? describeProtocol(b) : b.protocol} listener ${b.name} of ${ownerText(b.owner)}${precedes ? ", which takes precedence" : ""}`;
  if (kind === "protocol") {
    return {
      reason: ListenerReason.ProtocolConflict,
      message: `port ${a.port}: ${describeProtocol(a)} cannot share the port with ${other}; move one of them to another port${mixedTLSNote(a, b)}`,
    };
  }
  return {
    reason: ListenerReason.HostnameConflict,
    message: `port ${a.port}: ${a.hostname ? `hostname ${a.hostname}` : "no hostname"} is also used by ${other}; give this listener another hostname or port`,
  };
}

/** Terminate next to Passthrough: what would let them share the port, and what would not. */
function mixedTLSNote(a: ListenerModel, b: ListenerModel): string {
  const modes = new Set([familyOf(a), familyOf(b)]);
  if (!modes.has("tls-terminate") || !modes.has("tls-passthrough")) return "";
  const note = " (TLS Terminate and Passthrough listeners share a port only with the Extended feature TLSRouteModeMixed, off unless enabled";
  return (a.hostname ?? "") === (b.hostname ?? "") ? `${note}, and not even then with the same hostname: SNI could not tell them apart)` : `${note})`;
}

/**
 * OverlappingTLSConfig (gateway_types.go, GEP-3567): TLS-terminating listeners on one port whose
 * hostnames overlap without being equal (`*.example.com` and `foo.example.com`, or one without a
 * hostname), so that a client may reuse a connection for the other (HTTP/2 coalescing).
 * Detected among listeners that are accepted and not conflicted.
 */
export function detectOverlappingTLS(listeners: readonly ListenerModel[]): void {
  const live = listeners.filter((l) => l.tlsMode === "Terminate" && l.acceptedProblem === null && l.conflict === null);
  for (const l of listeners) l.overlappingTLS = [];
  for (const a of live) {
    for (const b of live) {
      if (a === b || a.port !== b.port || a.hostname === b.hostname) continue;
      if (a.hostname === null || b.hostname === null || intersectHostname(a.hostname, b.hostname) !== null) a.overlappingTLS.push(b);
    }
  }
}

function describeProtocol(l: ListenerModel): string {
  if (l.protocol === "TLS") return `TLS (${l.tlsMode})`;
  return l.protocol;
}

/** Sets `valid` and why not from what the listener alone tells. */
export function settleValidity(l: ListenerModel): void {
  const problem = l.acceptedProblem ?? l.conflict;
  const invalid = (because: string, short: string) => {
    l.valid = false;
    l.invalidBecause = because;
    l.invalidShort = short;
  };
  if (problem) invalid(problem.message, problem.reason);
  else if (l.tlsMode === "Terminate" && !l.certificates.some((c) => c.valid)) {
    invalid("it has no usable TLS certificate (see ResolvedRefs)", "no usable TLS certificate");
  } else if (l.supportedKinds.length === 0) invalid("no route kind can attach to it (see ResolvedRefs)", "no route kind can attach");
  else {
    l.valid = true;
    l.invalidBecause = null;
    l.invalidShort = null;
  }
}

/** The listener's conditions in a fixed order: Accepted, Programmed, ResolvedRefs, Conflicted, then OverlappingTLSConfig when true. */
export function listenerConditions(l: ListenerModel, parentProblem: string | null): Cond[] {
  const what = `${l.protocol} listener ${l.name} on port ${l.port}`;
  const conds: Cond[] = [];
  const notAccepted = l.acceptedProblem ?? l.conflict;
  conds.push(
    notAccepted
      ? condFalse(ConditionType.Accepted, notAccepted.reason, notAccepted.message)
      : condTrue(ConditionType.Accepted, ListenerReason.Accepted, `${what} is accepted`),
  );
  if (l.ready) conds.push(condTrue(ConditionType.Programmed, ListenerReason.Programmed, `${what} is programmed`));
  else if (l.conflict) conds.push(condFalse(ConditionType.Programmed, l.conflict.reason, l.conflict.message));
  else if (!l.valid) conds.push(condFalse(ConditionType.Programmed, ListenerReason.Invalid, `not programmed: ${l.invalidBecause}`));
  else conds.push(condFalse(ConditionType.Programmed, ListenerReason.Invalid, `not programmed: ${parentProblem ?? "its parent is not accepted"}`));
  const refs = summarize(l.refProblems);
  conds.push(
    refs
      ? condFalse(ConditionType.ResolvedRefs, refs.reason, refs.message)
      : condTrue(ConditionType.ResolvedRefs, ListenerReason.ResolvedRefs, "all references resolved"),
  );
  conds.push(
    l.conflict
      ? condTrue(ConditionType.Conflicted, l.conflict.reason, l.conflict.message)
      : condFalse(ConditionType.Conflicted, ListenerReason.NoConflicts, "no conflicts"),
  );
  if (l.overlappingTLS.length) {
    // Negative polarity: written only when true.
    const others = l.overlappingTLS.map((o) => `${o.name} (${o.hostname ?? "any hostname"}) of ${ownerText(o.owner)}`);
    conds.push(
      condTrue(
        ConditionType.OverlappingTLSConfig,
        ListenerReason.OverlappingHostnames,
        `hostname ${l.hostname ?? "(any)"} on port ${l.port} overlaps listener(s) ${listWords(others)}: a client may reuse one TLS connection for both (HTTP/2 connection coalescing)`,
      ),
    );
  }
  return conds;
}

export function toResolvedListener(l: ListenerModel, listenerSet: NamespacedName | null): ResolvedListener {
  return {
    id: l.id,
    gateway: { ...l.gateway },
    listenerSet,
    name: l.name,
    port: l.port,
    protocol: l.protocol,
    hostname: l.hostname,
    tls:
      l.tlsMode === null
        ? null
        : {
            mode: l.tlsMode,
            certificates: l.certificates.map((c) => ({ ...c, dnsNames: [...c.dnsNames] })),
            frontendValidation: l.frontendValidation,
            options: { ...(l.spec.tls?.options ?? {}) },
          },
    supportedKinds: l.supportedKinds.map((k) => ({ ...k })),
    ready: l.ready,
  };
}

export function ownerOf(obj: InputObject, kind: "Gateway" | "ListenerSet", namespace: string): ListenerOwner {
  return { kind, namespace, name: obj.metadata.name, creationTimestamp: obj.metadata.creationTimestamp ?? null };
}
