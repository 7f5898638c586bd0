/** What a decision says about an XBackend backend (GEP-4894): its hostname, protocol and TLS. */
import type { BackendId } from "../model/decision.js";
import type { ResolvedXBackendTarget } from "../resolve/graph.js";

/** The fields an XBackend adds to a BackendId; none for a Service. */
export function xBackendFields(x: ResolvedXBackendTarget | null | undefined): Pick<BackendId, "hostname" | "protocol" | "tls"> {
  if (!x) return {};
  return { hostname: x.hostname, protocol: x.protocol, tls: x.tls ? structuredClone(x.tls) : null };
}

/** The explain line for a picked XBackend: where the gateway connects, and how. */
export function xBackendNote(b: { namespace: string; name: string; xbackend?: ResolvedXBackendTarget | null }): string | null {
  const x = b.xbackend;
  if (!x) return null;
  const tls = x.tls
    ? `TLS ${x.tls.mode}, SNI ${x.tls.sni}, server verified by ${x.tls.caCertificateRefs.length ? `CA ${x.tls.caCertificateRefs.join(", ")}` : `${x.tls.wellKnownCACertificates ?? "System"} CAs`}${x.tls.clientCertificate ? `, client certificate ${x.tls.clientCertificate}` : ""}`
    : "cleartext (no spec.tls)";
  return `XBackend ${b.namespace}/${b.name}: connects to external hostname ${x.hostname}:${x.port} (DNS), ${tls}, protocol ${x.protocol ?? "from the route (spec.protocol unset)"}`;
}
