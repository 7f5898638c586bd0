/**
 * Frontend (client) certificate validation of an HTTPS listener, Gateway spec.tls.frontend
 * (GEP-91): the presented certificate must chain to one of the listener's CA certificates.
 *
 * gwsim choices: the client may present a chain (leaf first, then intermediates, as in a TLS
 * Certificate message); each link must be issued and signed by the next, up to a certificate
 * signed by a trusted CA. The validity period is checked only when the request carries a `time`
 * (decide has no clock). Names and key usages are not checked (the spec asks only for chain
 * validation). Parsed certificates are cached by PEM text.
 */
import { X509Certificate } from "node:crypto";

export type ClientCertCheck = { ok: true; ca: string } | { ok: false; reason: string; message: string };

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const parsed = new Map<string, X509Certificate[] | null>();

/** Every certificate of a PEM bundle, or null when one does not parse. */
function certificatesOf(pem: string): X509Certificate[] | null {
  const hit = parsed.get(pem);
  if (hit !== undefined) return hit;
  let out: X509Certificate[] | null = [];
  try {
    for (const block of pem.match(PEM_BLOCK) ?? []) out.push(new X509Certificate(block));
    if (out.length === 0) out = null;
  } catch {
    out = null;
  }
  if (parsed.size > 1000) parsed.clear();
  parsed.set(pem, out);
  return out;
}

function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

function validAt(cert: X509Certificate, ms: number): boolean {
  return Date.parse(cert.validFrom) <= ms && ms <= Date.parse(cert.validTo);
}

export function verifyClientCertificate(
  presented: string,
  cas: readonly { ref: string; pem: string | null }[],
  timeMs: number | null,
): ClientCertCheck {
  const chain = certificatesOf(presented);
  if (!chain) return { ok: false, reason: "ClientCertificateInvalid", message: "the client certificate is not a PEM certificate gwsim can parse" };
  const trusted = cas.flatMap((ca) => (ca.pem ? (certificatesOf(ca.pem) ?? []).map((cert) => ({ ref: ca.ref, cert })) : []));
  if (timeMs !== null) {
    const expired = chain.find((c) => !validAt(c, timeMs));
    if (expired) return { ok: false, reason: "ClientCertificateInvalid", message: `client certificate ${expired.subject.replace(/\n/g, ", ")} is not valid at the request's time` };
  }
  for (let i = 0; i < chain.length && i < 8; i++) {
    const link = chain[i]!;
    const ca = trusted.find((t) => issuedBy(link, t.cert) && (timeMs === null || validAt(t.cert, timeMs)));
    if (ca) return { ok: true, ca: ca.ref };
    const next = chain[i + 1];
    if (!next || !issuedBy(link, next)) break;
  }
  return { ok: false, reason: "ClientCertificateInvalid", message: "the client certificate does not chain to a CA certificate of the listener" };
}
