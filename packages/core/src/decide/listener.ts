/**
 * Listener helpers shared by every gateway entry: hostname lookups, labels, and the TLS
 * handshake checks (served certificate names, client certificates).
 */
import { hostCandidates } from "../compile/hostname.js";
import type { CompiledListener } from "../compile/table.js";
import type { Decision } from "../model/decision.js";
import { verifyClientCertificate } from "./client-cert.js";
import type { DecideContext } from "./index.js";
import type { RequestView } from "./request.js";
import type { HostLookup, HostMaps } from "./runtime.js";

export type Fail = Pick<Decision, "outcome" | "status"> & { reason: string; message: string };

// The decision under construction is this call's own object: steps fill it in place.
export function fail(d: Decision, ctx: DecideContext, f: Fail): Decision {
  ctx.notes?.push(f.message);
  return Object.assign(d, f);
}

export function isEmpty(h: HostLookup): boolean {
  return h.any === null && h.exact.size === 0 && h.wildcard.size === 0;
}

export function countListeners(h: HostLookup): number {
  return (h.any === null ? 0 : 1) + h.exact.size + h.wildcard.size;
}

/**
 * The most specific entry of a hostname index for `name` (hostCandidates' first, without
 * allocating). With wildcards, the answer is remembered per name (HostMaps.memo): a trace
 * repeats few hosts, and one lookup replaces a slice and a lookup per dot of the name.
 */
export function selectListener<T>(h: HostMaps<T>, name: string): T | undefined {
  if (h.wildcard.size === 0) {
    const e = name !== "" ? h.exact.get(name) : undefined;
    return e !== undefined ? e : (h.any ?? undefined);
  }
  const known = h.memo.get(name);
  if (known !== undefined) return known === null ? undefined : known;
  const found = mostSpecific(h, name);
  // The maps never change, so a remembered answer stays right; the bound keeps memory flat
  // when a trace has many hosts (clearing keeps the recent ones coming back).
  if (h.memo.size >= HOST_MEMO_MAX) h.memo.clear();
  h.memo.set(name, found === undefined ? null : found);
  return found;
}

const HOST_MEMO_MAX = 4096;

/** selectListener without the memo: exact name, then wildcard suffixes longest first, then any. */
function mostSpecific<T>(h: HostMaps<T>, name: string): T | undefined {
  if (name !== "") {
    const e = h.exact.get(name);
    if (e !== undefined) return e;
  }
  // Wildcards need at least one character before the suffix's leading dot.
  for (let i = name.indexOf(".", 1); i > 0; i = name.indexOf(".", i + 1)) {
    const w = h.wildcard.get(name.slice(i));
    if (w !== undefined) return w;
  }
  return h.any ?? undefined;
}

/** Entries of a hostname index that match `host`, most specific first. */
export function hostGroups(h: HostLookup, host: string, firstOnly: boolean): number[] {
  return hostCandidates(host, (k) => h.exact.get(k), (k) => h.wildcard.get(k), h.any, firstOnly);
}

export function label(l: CompiledListener): string {
  return l.listenerSet ? `${l.listenerSet}/${l.name} (ListenerSet of ${l.gateway})` : `${l.gateway}/${l.name}`;
}

export function refOf(l: CompiledListener): Decision["listener"] {
  return l.listenerSet ? { gateway: l.gateway, name: l.name, port: l.port, listenerSet: l.listenerSet } : { gateway: l.gateway, name: l.name, port: l.port };
}

/** RFC 2818 name check of the served certificate, for the explanation only (no reject). */
export function certificateNote(ctx: DecideContext, l: CompiledListener, sni: string): void {
  if (!ctx.notes || !l.tls || l.tls.mode === "Passthrough") return;
  const certs = l.tls.certificates.filter((c) => c.valid);
  if (certs.length === 0 || sni === "") return;
  // RFC 2818: a certificate wildcard covers exactly one label.
  const covers = (name: string): boolean => {
    if (!name.startsWith("*.")) return name === sni;
    const first = sni.slice(0, sni.length - (name.length - 1));
    return sni.endsWith(name.slice(1)) && first !== "" && !first.includes(".");
  };
  const any = certs.some((c) => c.dnsNames.some((n) => covers(n.toLowerCase())));
  const known = certs.some((c) => c.dnsNames.length > 0);
  if (known && !any) ctx.notes.push(`certificate ${certs.map((c) => c.ref).join(", ")} does not name ${sni}; a client that verifies the server name would refuse it`);
}

/**
 * Frontend validation at the handshake: AllowValidOnly refuses a connection without a client
 * certificate or with one that does not chain to the listener's CAs; AllowInsecureFallback lets
 * it through (the backend decides), which `explain` says. A Passthrough listener never sees
 * the handshake's inside, so it checks nothing.
 */
export function clientCertificateCheck(ctx: DecideContext, l: CompiledListener, req: RequestView): Fail | null {
  if (l.tls?.mode === "Passthrough") return null;
  const fv = l.tls?.frontendValidation;
  if (!fv) return null;
  const strict = fv.mode === "AllowValidOnly";
  if (req.clientCertificate === null) {
    const message = `listener ${label(l)} requires a client certificate and none was presented`;
    if (strict) return { outcome: "reject", status: null, reason: "ClientCertificateRequired", message: `${message}; TLS handshake fails` };
    ctx.notes?.push(`${message}; AllowInsecureFallback lets the connection through`);
    return null;
  }
  const check = verifyClientCertificate(req.clientCertificate, fv.caCertificates, req.timeMs);
  if (check.ok) {
    ctx.notes?.push(`client certificate chains to CA ${check.ca}${req.timeMs === null ? " (validity period not checked: the request has no time)" : ""}`);
    return null;
  }
  if (strict) return { outcome: "reject", status: null, reason: check.reason, message: `${check.message}; TLS handshake fails` };
  ctx.notes?.push(`${check.message}; AllowInsecureFallback lets the connection through`);
  return null;
}
