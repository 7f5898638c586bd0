import { bytesToText, decodeBase64, keyMatchesCertificate, parseCertificatePem, parsePrivateKeyPem } from "./der.js";
import type { InputObject } from "./input.js";

export interface TlsSecretContent {
  certPem: string | null;
  keyPem: string | null;
  /** SAN DNS names (or the CN when there are none), lower-case. */
  dnsNames: string[];
  /** Why the Secret cannot serve as a certificate, or null when it can. */
  problem: string | null;
}

/** A key of a Secret as text: `data` is base64 (as the API server stores it), `stringData` is plain. */
export function secretValue(secret: InputObject, key: string): string | null {
  const stringData = secret.stringData as Record<string, unknown> | undefined;
  const plain = stringData?.[key];
  if (typeof plain === "string") return plain;
  const data = secret.data as Record<string, unknown> | undefined;
  const encoded = data?.[key];
  if (typeof encoded !== "string") return null;
  const bytes = decodeBase64(encoded);
  return bytes ? bytesToText(bytes) : null;
}

/**
 * A certificateRef Secret is usable when tls.crt holds a parseable certificate and tls.key a
 * parseable private key that belongs to it. Any Secret type with those keys is accepted
 * (Core support is type kubernetes.io/tls; other types are implementation-specific).
 */
export function readTlsSecret(secret: InputObject): TlsSecretContent {
  const certPem = secretValue(secret, "tls.crt");
  const keyPem = secretValue(secret, "tls.key");
  const fail = (problem: string): TlsSecretContent => ({ certPem, keyPem, dnsNames: [], problem });
  if (certPem === null) return fail("it has no tls.crt key (or its value is not base64)");
  if (keyPem === null) return fail("it has no tls.key key (or its value is not base64)");
  const cert = parseCertificatePem(certPem);
  if (!cert.ok) return fail(cert.message);
  const key = parsePrivateKeyPem(keyPem);
  if (!key.ok) return fail(key.message);
  if (!keyMatchesCertificate(key.value, cert.value.publicKey)) return fail("tls.key is not the private key of the certificate in tls.crt");
  const names = cert.value.dnsNames.length ? cert.value.dnsNames : cert.value.commonName ? [cert.value.commonName.toLowerCase()] : [];
  return { certPem, keyPem, dnsNames: names, problem: null };
}

/** A CA bundle from a ConfigMap (`ca.crt`) or Secret; null when it holds no certificate. */
export function readCaBundle(obj: InputObject): string | null {
  const data = obj.data as Record<string, unknown> | undefined;
  const text = obj.kind === "ConfigMap" ? (typeof data?.["ca.crt"] === "string" ? (data["ca.crt"] as string) : null) : secretValue(obj, "ca.crt");
  if (text === null) return null;
  return parseCertificatePem(text).ok ? text : null;
}
