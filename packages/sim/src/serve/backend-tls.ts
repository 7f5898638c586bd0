/**
 * Re-encryption to backends where a BackendTLSPolicy applies: the decision names the policy's
 * SNI, CA ConfigMaps, subjectAltNames and client certificate Secret; the PEM text comes from
 * the ConfigMaps (key `ca.crt`, as BackendTLSPolicy's caCertificateRefs doc says) and Secrets
 * (`tls.crt` / `tls.key`) among the loaded manifests.
 */
import { checkServerIdentity, type PeerCertificate } from "node:tls";
import type { BackendTLS, ManifestObject } from "@gwsim/core";
import type { UpstreamTls } from "./upstream.js";

export interface TlsMaterial {
  /** `namespace/name` of a ConfigMap → its `ca.crt`. */
  caBundles: ReadonlyMap<string, string>;
  /** `namespace/name` of a Secret → its certificate and key. */
  keyPairs: ReadonlyMap<string, { cert: string; key: string }>;
}

function text(data: unknown, key: string, base64: boolean): string | null {
  if (typeof data !== "object" || data === null) return null;
  const v = (data as Record<string, unknown>)[key];
  if (typeof v !== "string") return null;
  return base64 ? Buffer.from(v, "base64").toString("utf8") : v;
}

export function tlsMaterial(objects: readonly ManifestObject[]): TlsMaterial {
  const caBundles = new Map<string, string>();
  const keyPairs = new Map<string, { cert: string; key: string }>();
  for (const o of objects) {
    const id = `${o.metadata.namespace ?? "default"}/${o.metadata.name}`;
    if (o.kind === "ConfigMap") {
      const ca = text(o.data, "ca.crt", false);
      if (ca) caBundles.set(id, ca);
    } else if (o.kind === "Secret") {
      const cert = text(o.stringData, "tls.crt", false) ?? text(o.data, "tls.crt", true);
      const key = text(o.stringData, "tls.key", false) ?? text(o.data, "tls.key", true);
      if (cert && key) keyPairs.set(id, { cert, key });
    }
  }
  return { caBundles, keyPairs };
}

/**
 * The TLS settings for a backend connection, or a reason it cannot be made (the request then
 * fails with 503 rather than going out unverified).
 */
export function upstreamTls(policy: BackendTLS, material: TlsMaterial): { tls: UpstreamTls } | { problem: string } {
  // An XBackend's own spec.tls comes as a BackendTLS whose `policy` is "XBackend ns/name".
  const source = policy.policy.startsWith("XBackend ") ? policy.policy : `BackendTLSPolicy ${policy.policy}`;
  const ca: string[] = [];
  for (const ref of policy.caCertificateRefs) {
    const pem = material.caBundles.get(ref);
    if (!pem) return { problem: `${source}: CA ConfigMap ${ref} has no ca.crt` };
    ca.push(pem);
  }
  if (ca.length === 0 && policy.wellKnownCACertificates !== "System") return { problem: `${source}: no CA certificates` };
  const tls: UpstreamTls = { servername: policy.sni };
  if (ca.length) tls.ca = ca;
  const names = sanList(policy.subjectAltNames);
  if (names.length) tls.subjectAltNames = names;
  if (policy.clientCertificate) {
    const pair = material.keyPairs.get(policy.clientCertificate);
    if (!pair) return { problem: `${source}: client certificate Secret ${policy.clientCertificate} not found` };
    tls.cert = pair.cert;
    tls.key = pair.key;
  }
  return { tls };
}

/** `[{type: Hostname, hostname}, {type: URI, uri}]` → ["DNS:host", "URI:uri"]. */
function sanList(list: unknown[]): string[] {
  const out: string[] = [];
  for (const item of list) {
    const r = item as { type?: string; hostname?: string; uri?: string };
    if (r.type === "Hostname" && r.hostname) out.push(`DNS:${r.hostname}`);
    else if (r.type === "URI" && r.uri) out.push(`URI:${r.uri}`);
  }
  return out;
}

/**
 * BackendTLSPolicy: when subjectAltNames are given, the certificate must carry one of them
 * (instead of the SNI hostname); else the SNI hostname is checked as usual.
 */
export function identityCheck(names: readonly string[]): (host: string, cert: PeerCertificate) => Error | undefined {
  return (host, cert) => {
    if (names.length === 0) return checkServerIdentity(host, cert);
    for (const n of names) {
      if (n.startsWith("DNS:") && checkServerIdentity(n.slice(4), cert) === undefined) return undefined;
      if (n.startsWith("URI:") && (cert.subjectaltname ?? "").split(", ").includes(n)) return undefined;
    }
    return new Error(`backend certificate matches none of the subjectAltNames ${names.join(", ")}`);
  };
}
