/**
 * TLS at the frontend: which certificate a handshake gets (by SNI), and the server name of a
 * ClientHello read without terminating TLS (for passthrough listeners).
 */
import { createHash } from "node:crypto";
import { createSecureContext, type SecureContext } from "node:tls";
import type { ResolvedCertificate, ResolvedListener } from "@gwsim/core";

/**
 * How well a listener hostname covers a server name: exact beats the longest wildcard, which
 * beats a listener without hostname (the precedence of Listener.hostname in the Gateway API).
 * -1 when it does not cover it. A wildcard covers one or more labels (`*.example.com` covers
 * `a.b.example.com`, never `example.com`).
 */
export function hostnameScore(listenerHostname: string | null, serverName: string): number {
  if (listenerHostname === null) return 0;
  const h = listenerHostname.toLowerCase();
  const s = serverName.toLowerCase();
  if (!h.startsWith("*.")) return h === s ? 1_000_000 : -1;
  return s.endsWith(h.slice(1)) && s.length > h.length - 1 ? h.length : -1;
}

/** The listener whose hostname best covers the server name; ties go to the earlier listener. */
export function listenerForServerName<L extends Pick<ResolvedListener, "hostname">>(listeners: readonly L[], serverName: string | null): L | null {
  let best: L | null = null;
  let bestScore = -1;
  for (const l of listeners) {
    const score = serverName === null ? (l.hostname === null ? 0 : -1) : hostnameScore(l.hostname, serverName);
    if (score > bestScore) {
      best = l;
      bestScore = score;
    }
  }
  // Without SNI (an IP-addressed client) the first listener's certificate is offered; the core then decides.
  return best ?? (serverName === null ? (listeners[0] ?? null) : null);
}

/** Of a listener's certificates, the first valid one whose names cover the server name, else the first valid one. */
export function certificateFor(listener: Pick<ResolvedListener, "tls">, serverName: string | null): ResolvedCertificate | null {
  const usable = (listener.tls?.certificates ?? []).filter((c) => c.valid && c.certPem && c.keyPem);
  if (serverName !== null) {
    const named = usable.find((c) => c.dnsNames.some((n) => hostnameScore(n, serverName) >= 0));
    if (named) return named;
  }
  return usable[0] ?? null;
}

const contexts = new Map<string, SecureContext | null>();

/** A secure context per certificate and key, cached by content; null when Node cannot load them. */
export function secureContextFor(cert: ResolvedCertificate, extra: { ca?: string[] } = {}): SecureContext | null {
  const id = createHash("sha256").update(cert.certPem ?? "").update("\0").update(cert.keyPem ?? "").update("\0").update((extra.ca ?? []).join("\0")).digest("hex");
  if (contexts.has(id)) return contexts.get(id)!;
  let ctx: SecureContext | null;
  try {
    ctx = createSecureContext({ cert: cert.certPem!, key: cert.keyPem!, ...(extra.ca?.length ? { ca: extra.ca } : {}) });
  } catch {
    ctx = null;
  }
  if (contexts.size > 1000) contexts.clear();
  contexts.set(id, ctx);
  return ctx;
}

/** DER certificate → PEM text. */
export function derToPem(der: Buffer): string {
  const b64 = der.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

export type ClientHelloResult = { kind: "incomplete" } | { kind: "notTls" } | { kind: "hello"; serverName: string | null };

/**
 * Reads the server_name extension (RFC 6066 §3) from the first TLS record(s) of a connection,
 * without terminating TLS. `incomplete` asks for more bytes. Only the first handshake record is
 * read: a ClientHello spread over several records is treated as having no SNI.
 */
export function parseClientHello(buf: Buffer): ClientHelloResult {
  if (buf.length < 5) return { kind: "incomplete" };
  if (buf[0] !== 0x16 || buf[1] !== 0x03) return { kind: "notTls" };
  const recordLength = buf.readUInt16BE(3);
  if (buf.length < 5 + recordLength) return { kind: "incomplete" };
  const hs = buf.subarray(5, 5 + recordLength);
  try {
    if (hs[0] !== 0x01) return { kind: "notTls" };
    let p = 4; // handshake type + 24-bit length
    p += 2 + 32; // client_version, random
    p += 1 + hs[p]!; // session_id
    p += 2 + hs.readUInt16BE(p); // cipher_suites
    p += 1 + hs[p]!; // compression_methods
    if (p + 2 > hs.length) return { kind: "hello", serverName: null };
    const extEnd = p + 2 + hs.readUInt16BE(p);
    p += 2;
    while (p + 4 <= extEnd && p + 4 <= hs.length) {
      const type = hs.readUInt16BE(p);
      const len = hs.readUInt16BE(p + 2);
      const body = hs.subarray(p + 4, p + 4 + len);
      p += 4 + len;
      if (type !== 0) continue;
      let q = 2; // server_name_list length
      while (q + 3 <= body.length) {
        const nameType = body[q]!;
        const nameLen = body.readUInt16BE(q + 1);
        const name = body.subarray(q + 3, q + 3 + nameLen).toString("ascii");
        if (nameType === 0) return { kind: "hello", serverName: name.toLowerCase() };
        q += 3 + nameLen;
      }
    }
    return { kind: "hello", serverName: null };
  } catch {
    return { kind: "notTls" };
  }
}
