import { ConditionType, GATEWAY_GROUP, GatewayReason, ListenerSetReason } from "../model/conditions.js";
import { condFalse, condTrue, listWords, type Cond, type Problem } from "./conditions.js";
import type { ClassModel } from "./gateway-classes.js";
import { checkParameters } from "./gateway-classes.js";
import type { GatewaySpecIn, InputObject, ListenerSetSpecIn } from "./input.js";
import { arr, generationOf, namespaceOf, nn, specOf } from "./input.js";
import { buildListeners, detectConflicts, detectOverlappingTLS, ownerOf, settleValidity, type ListenerModel } from "./listeners.js";
import { compareAge, type ObjectIndex } from "./objects.js";
import { describeSelector, selectorMatches } from "./selector.js";
import { readTlsSecret } from "./tls-secret.js";

export interface GatewayModel {
  obj: InputObject;
  namespace: string;
  name: string;
  generation: number;
  cls: ClassModel;
  spec: Partial<GatewaySpecIn>;
  /** The Gateway's own listeners (spec.listeners). */
  listeners: ListenerModel[];
  /** Own listeners followed by those of attached ListenerSets, in precedence order. */
  merged: ListenerModel[];
  listenerSets: ListenerSetModel[];
  accepted: boolean;
  /** Why the Gateway is not accepted, for the conditions of what depends on it. */
  problem: string | null;
  conditions: Cond[];
  addresses: { type: string; value: string }[];
  clientCertificate: { namespace: string; name: string; certPem: string | null; keyPem: string | null; valid: boolean } | null;
  clientCertificateProblem: Problem | null;
}

export interface ListenerSetModel {
  obj: InputObject;
  namespace: string;
  name: string;
  generation: number;
  creationTimestamp: string | null;
  gateway: GatewayModel | null;
  /** Allowed by its Gateway and the Gateway accepted: its listeners are merged into the Gateway. */
  attached: boolean;
  listeners: ListenerModel[];
  accepted: boolean;
  conditions: Cond[];
}

const SUPPORTED_ADDRESS_TYPES = new Set(["IPAddress", "Hostname"]);

export interface GatewayResolution {
  gateways: GatewayModel[];
  /** ListenerSets gwsim writes status for (their parent Gateway is one it manages, or is absent). */
  listenerSets: ListenerSetModel[];
  gatewayByKey: Map<string, GatewayModel>;
  listenerSetByKey: Map<string, ListenerSetModel>;
}

export function resolveGateways(index: ObjectIndex, classes: Map<string, ClassModel>, restricted: boolean, options: { tlsMixed?: boolean } = {}): GatewayResolution {
  const gateways: GatewayModel[] = [];
  const gatewayByKey = new Map<string, GatewayModel>();
  for (const obj of index.byKind("Gateway")) {
    const spec = specOf<GatewaySpecIn>(obj);
    const cls = classes.get(spec.gatewayClassName ?? "");
    if (!cls) continue; // another controller's Gateway: left alone
    const namespace = namespaceOf(obj);
    const key = nn(namespace, obj.metadata.name);
    if (gatewayByKey.has(key)) continue;
    const owner = ownerOf(obj, "Gateway", namespace);
    const gw: GatewayModel = {
      obj,
      namespace,
      name: obj.metadata.name,
      generation: generationOf(obj),
      cls,
      spec,
      listeners: buildListeners(index, owner, { namespace, name: obj.metadata.name }, spec, arr(spec.listeners), 0),
      merged: [],
      listenerSets: [],
      accepted: false,
      problem: null,
      conditions: [],
      addresses: [],
      clientCertificate: null,
      clientCertificateProblem: null,
    };
    detectConflicts(gw.listeners, options);
    gw.listeners.forEach(settleValidity);
    acceptGateway(index, gw);
    gateways.push(gw);
    gatewayByKey.set(key, gw);
  }

  const listenerSets: ListenerSetModel[] = [];
  const listenerSetByKey = new Map<string, ListenerSetModel>();
  for (const obj of index.byKind("ListenerSet")) {
    const namespace = namespaceOf(obj);
    const key = nn(namespace, obj.metadata.name);
    if (listenerSetByKey.has(key)) continue;
    const spec = specOf<ListenerSetSpecIn>(obj);
    const ref = spec.parentRef;
    const ls: ListenerSetModel = {
      obj,
      namespace,
      name: obj.metadata.name,
      generation: generationOf(obj),
      creationTimestamp: obj.metadata.creationTimestamp ?? null,
      gateway: null,
      attached: false,
      listeners: [],
      accepted: false,
      conditions: [],
    };
    const refKind = ref?.kind ?? "Gateway";
    const refGroup = ref?.group ?? GATEWAY_GROUP;
    const gwNs = ref?.namespace ?? namespace;
    const gwKey = ref ? nn(gwNs, ref.name) : "";
    const parentObj = ref ? index.get("Gateway", gwNs, ref.name) : undefined;
    if (parentObj && !gatewayByKey.has(gwKey)) continue; // parent belongs to another controller
    if (!parentObj && restricted) continue; // cannot tell whose it would be
    if (!ref || refKind !== "Gateway" || refGroup !== GATEWAY_GROUP) {
      rejectListenerSet(ls, ListenerSetReason.Invalid, `spec.parentRef must name a Gateway (group ${GATEWAY_GROUP}, kind Gateway)`);
    } else if (!parentObj) {
      rejectListenerSet(ls, ListenerSetReason.ParentNotAccepted, `parent Gateway ${gwKey} not found`);
    } else {
      const gw = gatewayByKey.get(gwKey) as GatewayModel;
      ls.gateway = gw;
      const notAllowed = listenerSetNotAllowed(index, gw, namespace);
      if (notAllowed) rejectListenerSet(ls, ListenerSetReason.NotAllowed, notAllowed);
      else if (!gw.accepted) rejectListenerSet(ls, ListenerSetReason.ParentNotAccepted, `parent Gateway ${gwKey} is not accepted: ${gw.problem}`);
      else ls.attached = true;
    }
    listenerSets.push(ls);
    listenerSetByKey.set(key, ls);
  }

  for (const gw of gateways) {
    const attached = listenerSets
      .filter((ls) => ls.gateway === gw && ls.attached)
      .sort(compareAge);
    attached.forEach((ls, i) => {
      const spec = specOf<ListenerSetSpecIn>(ls.obj);
      ls.listeners = buildListeners(index, ownerOf(ls.obj, "ListenerSet", ls.namespace), { namespace: gw.namespace, name: gw.name }, gw.spec, arr(spec.listeners), i + 1);
    });
    gw.listenerSets = attached;
    gw.merged = [...gw.listeners, ...attached.flatMap((ls) => ls.listeners)];
    detectConflicts(gw.merged, options);
    detectOverlappingTLS(gw.merged);
    gw.merged.forEach(settleValidity);
    for (const l of gw.merged) l.ready = l.valid && gw.accepted;
    for (const ls of attached) acceptListenerSet(ls);
    gw.conditions = gatewayConditions(gw);
  }
  return { gateways, listenerSets, gatewayByKey, listenerSetByKey };
}

function acceptGateway(index: ObjectIndex, gw: GatewayModel): void {
  const spec = gw.spec;
  resolveClientCertificate(index, gw);
  const badAddress = arr(spec.addresses).find((a) => !SUPPORTED_ADDRESS_TYPES.has(a.type ?? "IPAddress"));
  const params = checkParameters(index, spec.infrastructure?.parametersRef, "Gateway", gw.namespace);
  const paramsProblem = params.problem;
  const valid = gw.listeners.filter((l) => l.valid);
  const invalid = gw.listeners.filter((l) => !l.valid);
  let accepted: Cond;
  if (!gw.cls.accepted) {
    const why = gw.cls.conditions.find((c) => c.type === ConditionType.Accepted)?.message ?? "";
    accepted = condFalse(ConditionType.Accepted, GatewayReason.Invalid, `GatewayClass ${gw.cls.name} is not accepted: ${why}`);
  } else if (paramsProblem) {
    accepted = condFalse(ConditionType.Accepted, GatewayReason.InvalidParameters, `spec.infrastructure.${paramsProblem}`);
  } else if (badAddress) {
    accepted = condFalse(
      ConditionType.Accepted,
      GatewayReason.UnsupportedAddress,
      `address type ${JSON.stringify(badAddress.type)} is not supported; use IPAddress or Hostname`,
    );
  } else if (gw.listeners.length === 0) {
    accepted = condFalse(ConditionType.Accepted, GatewayReason.ListenersNotValid, "the Gateway has no listeners");
  } else if (valid.length === 0) {
    accepted = condFalse(ConditionType.Accepted, GatewayReason.ListenersNotValid, `no listener is valid: ${describeInvalid(invalid)}`);
  } else if (invalid.length) {
    accepted = condTrue(
      ConditionType.Accepted,
      GatewayReason.ListenersNotValid,
      `not valid, so they get no traffic: ${describeInvalid(invalid)}; valid: ${listWords(valid.map((l) => l.name))}`,
    );
  } else {
    accepted = condTrue(ConditionType.Accepted, GatewayReason.Accepted, `accepted by ${gw.cls.controllerName}`);
  }
  if (accepted.status === "True" && params.note) accepted = { ...accepted, message: `${accepted.message}; spec.infrastructure.${params.note}` };
  gw.accepted = accepted.status === "True";
  gw.problem = gw.accepted ? null : accepted.message;
  // status.addresses lists what is bound: nothing for a Gateway that is not accepted (conformance
  // GatewayStaticAddresses: the unsupported address must not be listed).
  if (gw.accepted) {
    for (const a of arr(spec.addresses)) {
      const type = a.type ?? "IPAddress";
      if (a.value && SUPPORTED_ADDRESS_TYPES.has(type)) gw.addresses.push({ type, value: a.value });
    }
  }
  gw.conditions = [accepted];
}

function describeInvalid(listeners: readonly ListenerModel[]): string {
  return `${listeners.map((l) => `${l.name} (${l.invalidShort})`).join(", ")}; see the listener conditions`;
}

function gatewayConditions(gw: GatewayModel): Cond[] {
  const accepted = gw.conditions[0] as Cond;
  const ready = gw.listeners.filter((l) => l.ready);
  const programmed = !gw.accepted
    ? condFalse(ConditionType.Programmed, GatewayReason.Invalid, `not programmed: ${gw.problem}`)
    : ready.length
      ? condTrue(ConditionType.Programmed, GatewayReason.Programmed, `programmed with listener(s) ${listWords(ready.map((l) => l.name))}`)
      : condFalse(ConditionType.Programmed, GatewayReason.Invalid, "no listener is programmed");
  const conds = [accepted, programmed];
  const cc = gw.clientCertificate;
  const ccProblem = gw.clientCertificateProblem;
  const unresolved = gw.listeners.filter((l) => l.refProblems.length > 0);
  if (ccProblem) conds.push(condFalse(ConditionType.ResolvedRefs, ccProblem.reason, ccProblem.message));
  else if (unresolved.length)
    conds.push(
      condFalse(
        ConditionType.ResolvedRefs,
        GatewayReason.ListenersNotResolved,
        `listener(s) ${listWords(unresolved.map((l) => l.name))} have unresolved references; see their ResolvedRefs condition`,
      ),
    );
  else conds.push(condTrue(ConditionType.ResolvedRefs, GatewayReason.ResolvedRefs, cc ? "all references resolved, including the backend client certificate" : "all references resolved"));
  const insecure = gw.merged.filter((l) => l.insecureFallback);
  if (insecure.length) {
    conds.push(
      condTrue(
        ConditionType.InsecureFrontendValidationMode,
        GatewayReason.ConfigurationChanged,
        `client certificate validation is AllowInsecureFallback for listener(s) ${listWords(insecure.map((l) => l.name))}: clients without a valid certificate are let through`,
      ),
    );
  }
  return conds;
}

/** Gateway spec.tls.backend.clientCertificateRef: the certificate the Gateway shows backends. */
function resolveClientCertificate(index: ObjectIndex, gw: GatewayModel): void {
  const ref = gw.spec.tls?.backend?.clientCertificateRef;
  if (!ref) return;
  const group = ref.group ?? "";
  const kind = ref.kind ?? "Secret";
  const namespace = ref.namespace ?? gw.namespace;
  const cc = { namespace, name: ref.name, certPem: null as string | null, keyPem: null as string | null, valid: false };
  gw.clientCertificate = cc;
  const where = "spec.tls.backend.clientCertificateRef";
  let problem: Problem | null = null;
  if (group !== "" || kind !== "Secret") {
    problem = { reason: GatewayReason.InvalidClientCertificateRef, message: `${where}: ${group ? `${group}/` : ""}${kind} is not supported; reference a Secret` };
  } else if (!index.grants.permits({ group: GATEWAY_GROUP, kind: "Gateway", namespace: gw.namespace }, { group: "", kind: "Secret", namespace, name: ref.name })) {
    problem = {
      reason: GatewayReason.RefNotPermitted,
      message: `${where}: Secret ${namespace}/${ref.name} is in another namespace and no ReferenceGrant in ${namespace} lets Gateways from ${gw.namespace} use it`,
    };
  } else {
    const secret = index.get("Secret", namespace, ref.name);
    if (!secret) problem = { reason: GatewayReason.InvalidClientCertificateRef, message: `${where}: Secret ${namespace}/${ref.name} not found` };
    else {
      const content = readTlsSecret(secret);
      cc.certPem = content.certPem;
      cc.keyPem = content.keyPem;
      if (content.problem) problem = { reason: GatewayReason.InvalidClientCertificateRef, message: `${where}: Secret ${namespace}/${ref.name}: ${content.problem}` };
      else cc.valid = true;
    }
  }
  gw.clientCertificateProblem = problem;
}

/** Gateway spec.allowedListeners (default: no ListenerSets). Null when allowed, else why not. */
function listenerSetNotAllowed(index: ObjectIndex, gw: GatewayModel, lsNamespace: string): string | null {
  const ns = gw.spec.allowedListeners?.namespaces;
  const from = ns?.from ?? "None";
  const gwText = `Gateway ${nn(gw.namespace, gw.name)}`;
  switch (from) {
    case "All":
      return null;
    case "Same":
      return lsNamespace === gw.namespace
        ? null
        : `${gwText} allows ListenerSets only from its own namespace ${gw.namespace} (allowedListeners.namespaces.from: Same)`;
    case "Selector":
      return ns?.selector && selectorMatches(ns.selector, index.namespaceLabels(lsNamespace))
        ? null
        : `namespace ${lsNamespace} does not match the allowedListeners selector of ${gwText} (${describeSelector(ns?.selector)})`;
    default:
      return `${gwText} does not allow ListenerSets (set spec.allowedListeners.namespaces.from to Same, All or Selector)`;
  }
}

function rejectListenerSet(ls: ListenerSetModel, reason: string, message: string): void {
  ls.accepted = false;
  ls.conditions = [condFalse(ConditionType.Accepted, reason, message), condFalse(ConditionType.Programmed, reason, message)];
}

function acceptListenerSet(ls: ListenerSetModel): void {
  const valid = ls.listeners.filter((l) => l.valid);
  const invalid = ls.listeners.filter((l) => !l.valid);
  const gwText = `Gateway ${nn(ls.gateway?.namespace ?? "", ls.gateway?.name ?? "")}`;
  if (valid.length === 0) {
    const msg = `no listener is valid: ${describeInvalid(invalid)}`;
    ls.accepted = false;
    ls.conditions = [
      condFalse(ConditionType.Accepted, ListenerSetReason.ListenersNotValid, msg),
      condFalse(ConditionType.Programmed, ListenerSetReason.ListenersNotValid, msg),
    ];
    return;
  }
  ls.accepted = true;
  const accepted = invalid.length
    ? condTrue(
        ConditionType.Accepted,
        ListenerSetReason.ListenersNotValid,
        `attached to ${gwText}; not valid, so they get no traffic: ${describeInvalid(invalid)}`,
      )
    : condTrue(ConditionType.Accepted, ListenerSetReason.Accepted, `attached to ${gwText}`);
  const ready = ls.listeners.filter((l) => l.ready);
  const programmed = ready.length
    ? condTrue(ConditionType.Programmed, ListenerSetReason.Programmed, `programmed with listener(s) ${listWords(ready.map((l) => l.name))}`)
    : condFalse(ConditionType.Programmed, ListenerSetReason.Invalid, "no listener is programmed");
  ls.conditions = [accepted, programmed];
}
