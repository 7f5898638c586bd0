/**
 * Just enough ASN.1 DER and PEM to check a TLS Secret: certificate and key parse, the key belongs
 * to the certificate, and which DNS names the certificate serves.
 *
 * Written in plain TypeScript rather than with node:crypto so that core stays free of Node
 * built-ins (it runs in a browser or a worker as is). It reads structure only; it verifies no
 * signature and no validity period (status must not depend on the clock).
 */

export interface Tlv {
  tag: number;
  /** Content bytes. */
  value: Uint8Array;
  /** Offset just past this element in the enclosing buffer. */
  end: number;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

/** Strict base64 (whitespace allowed, padding optional); null when the text is not base64. */
export function decodeBase64(text: string): Uint8Array | null {
  const clean = text.replace(/\s+/g, "").replace(/=+$/, "");
  if (clean.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let n = 0;
  for (const c of clean) {
    const v = B64_INDEX.get(c);
    if (v === undefined) return null;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, n);
}

export function bytesToText(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

export interface PemBlock {
  label: string;
  der: Uint8Array;
}

/** Every `-----BEGIN X-----` block whose body is valid base64, in order. */
export function readPem(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const der = decodeBase64(m[2] ?? "");
    if (der && der.length > 0) out.push({ label: m[1] ?? "", der });
  }
  return out;
}

/** Reads one TLV at `offset`; null when the bytes are not well-formed DER. */
export function readTlv(buf: Uint8Array, offset = 0): Tlv | null {
  if (offset + 2 > buf.length) return null;
  const tag = buf[offset] as number;
  if ((tag & 0x1f) === 0x1f) return null; // multi-byte tags do not occur in X.509
  let len = buf[offset + 1] as number;
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > buf.length) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[p + i] as number);
    p += n;
  }
  if (p + len > buf.length) return null;
  return { tag, value: buf.subarray(p, p + len), end: p + len };
}

/** The children of a constructed element; null when any child is malformed. */
export function children(value: Uint8Array): Tlv[] | null {
  const out: Tlv[] = [];
  let p = 0;
  while (p < value.length) {
    const t = readTlv(value, p);
    if (!t) return null;
    out.push(t);
    p = t.end;
  }
  return out;
}

const SEQUENCE = 0x30;
const SET = 0x31;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OCTET_STRING = 0x04;
const OID = 0x06;

function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** An INTEGER's magnitude in hex without DER's sign-padding zero. */
function intHex(bytes: Uint8Array): string {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return hex(bytes.subarray(i));
}

const OID_COMMON_NAME = "550403";
const OID_SUBJECT_ALT_NAME = "551d11";
const OID_RSA = "2a864886f70d010101";
const OID_EC = "2a8648ce3d0201";
const OID_ED25519 = "2b6570";
const OID_ED448 = "2b6571";

export type PublicKey =
  | { type: "rsa"; modulus: string }
  | { type: "ec"; point: string }
  | { type: "ed25519" | "ed448"; key: string }
  | { type: "other" };

export interface ParsedCertificate {
  commonName: string | null;
  dnsNames: string[];
  publicKey: PublicKey;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** Parses the first certificate of a PEM chain. */
export function parseCertificatePem(pem: string): Parsed<ParsedCertificate> {
  const blocks = readPem(pem).filter((b) => b.label === "CERTIFICATE");
  const first = blocks[0];
  if (!first) return { ok: false, message: "tls.crt holds no PEM CERTIFICATE block" };
  const cert = parseCertificateDer(first.der);
  return cert ? { ok: true, value: cert } : { ok: false, message: "tls.crt is not a well-formed X.509 certificate" };
}

function parseCertificateDer(der: Uint8Array): ParsedCertificate | null {
  const top = readTlv(der);
  if (!top || top.tag !== SEQUENCE) return null;
  const parts = children(top.value);
  const tbs = parts?.[0];
  if (!parts || parts.length !== 3 || !tbs || tbs.tag !== SEQUENCE) return null;
  const fields = children(tbs.value);
  if (!fields) return null;
  let i = 0;
  if (fields[0]?.tag === 0xa0) i++; // [0] version
  // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
  const [serial, sigAlg, issuer, validity, subject, spki] = fields.slice(i, i + 6);
  if (!serial || serial.tag !== INTEGER || sigAlg?.tag !== SEQUENCE || issuer?.tag !== SEQUENCE) return null;
  if (validity?.tag !== SEQUENCE || subject?.tag !== SEQUENCE || spki?.tag !== SEQUENCE) return null;
  const publicKey = parseSpki(spki.value);
  if (!publicKey) return null;
  const dnsNames: string[] = [];
  for (const f of fields.slice(i + 6)) {
    if (f.tag !== 0xa3) continue; // [3] extensions
    const exts = readTlv(f.value);
    if (!exts || exts.tag !== SEQUENCE) return null;
    for (const ext of children(exts.value) ?? []) {
      const e = children(ext.value);
      if (!e || e[0]?.tag !== OID || hex(e[0].value) !== OID_SUBJECT_ALT_NAME) continue;
      const octets = e[e.length - 1];
      if (!octets || octets.tag !== OCTET_STRING) return null;
      const names = readTlv(octets.value);
      if (!names || names.tag !== SEQUENCE) return null;
      for (const gn of children(names.value) ?? []) {
        if (gn.tag === 0x82) dnsNames.push(bytesToText(gn.value).toLowerCase()); // dNSName
      }
    }
  }
  return { commonName: commonNameOf(subject.value), dnsNames, publicKey };
}

function commonNameOf(name: Uint8Array): string | null {
  let cn: string | null = null;
  for (const rdn of children(name) ?? []) {
    if (rdn.tag !== SET) continue;
    for (const atv of children(rdn.value) ?? []) {
      const kv = children(atv.value);
      if (kv?.[0]?.tag === OID && hex(kv[0].value) === OID_COMMON_NAME && kv[1]) cn = bytesToText(kv[1].value);
    }
  }
  return cn;
}

function parseSpki(value: Uint8Array): PublicKey | null {
  const parts = children(value);
  const alg = parts?.[0];
  const bits = parts?.[1];
  if (!alg || alg.tag !== SEQUENCE || !bits || bits.tag !== BIT_STRING) return null;
  const oid = children(alg.value)?.[0];
  if (!oid || oid.tag !== OID) return null;
  const keyBytes = bits.value.subarray(1); // skip the unused-bits byte
  switch (hex(oid.value)) {
    case OID_RSA: {
      const seq = readTlv(keyBytes);
      const mod = seq && seq.tag === SEQUENCE ? children(seq.value)?.[0] : undefined;
      return mod && mod.tag === INTEGER ? { type: "rsa", modulus: intHex(mod.value) } : null;
    }
    case OID_EC:
      return { type: "ec", point: hex(keyBytes) };
    case OID_ED25519:
      return { type: "ed25519", key: hex(keyBytes) };
    case OID_ED448:
      return { type: "ed448", key: hex(keyBytes) };
    default:
      return { type: "other" };
  }
}

/** What a private key reveals about its public half, when it does. */
export type PrivateKeyInfo =
  | { type: "rsa"; modulus: string }
  | { type: "ec"; point: string | null }
  | { type: "ed25519" | "ed448" | "other" };

export function parsePrivateKeyPem(pem: string): Parsed<PrivateKeyInfo> {
  const blocks = readPem(pem);
  if (blocks.some((b) => b.label === "ENCRYPTED PRIVATE KEY")) {
    return { ok: false, message: "tls.key is encrypted; a Gateway needs an unencrypted private key" };
  }
  const block = blocks.find((b) => b.label === "PRIVATE KEY" || b.label === "RSA PRIVATE KEY" || b.label === "EC PRIVATE KEY");
  if (!block) return { ok: false, message: "tls.key holds no PEM PRIVATE KEY block" };
  const key =
    block.label === "RSA PRIVATE KEY" ? parsePkcs1(block.der) : block.label === "EC PRIVATE KEY" ? parseSec1(block.der) : parsePkcs8(block.der);
  return key ? { ok: true, value: key } : { ok: false, message: `tls.key is not a well-formed ${block.label}` };
}

function parsePkcs1(der: Uint8Array): PrivateKeyInfo | null {
  const top = readTlv(der);
  const f = top && top.tag === SEQUENCE ? children(top.value) : null;
  if (!f || f.length < 9 || f.some((x) => x.tag !== INTEGER)) return null;
  return { type: "rsa", modulus: intHex((f[1] as Tlv).value) };
}

function parseSec1(der: Uint8Array): PrivateKeyInfo | null {
  const top = readTlv(der);
  const f = top && top.tag === SEQUENCE ? children(top.value) : null;
  if (!f || f[0]?.tag !== INTEGER || f[1]?.tag !== OCTET_STRING) return null;
  const pub = f.find((x) => x.tag === 0xa1);
  const bits = pub ? readTlv(pub.value) : null;
  return { type: "ec", point: bits && bits.tag === BIT_STRING ? hex(bits.value.subarray(1)) : null };
}

function parsePkcs8(der: Uint8Array): PrivateKeyInfo | null {
  const top = readTlv(der);
  const f = top && top.tag === SEQUENCE ? children(top.value) : null;
  if (!f || f[0]?.tag !== INTEGER || f[1]?.tag !== SEQUENCE || f[2]?.tag !== OCTET_STRING) return null;
  const oid = children(f[1].value)?.[0];
  if (!oid || oid.tag !== OID) return null;
  switch (hex(oid.value)) {
    case OID_RSA:
      return parsePkcs1(f[2].value);
    case OID_EC:
      return parseSec1(f[2].value);
    case OID_ED25519:
      return readTlv(f[2].value)?.tag === OCTET_STRING ? { type: "ed25519" } : null;
    case OID_ED448:
      return readTlv(f[2].value)?.tag === OCTET_STRING ? { type: "ed448" } : null;
    default:
      return { type: "other" };
  }
}

/** False only when the key provably belongs to another certificate; unknowable cases pass. */
export function keyMatchesCertificate(key: PrivateKeyInfo, cert: PublicKey): boolean {
  if (cert.type === "other" || key.type === "other") return true;
  if (key.type !== cert.type) return false;
  if (key.type === "rsa" && cert.type === "rsa") return key.modulus === cert.modulus;
  if (key.type === "ec" && cert.type === "ec") return key.point === null || key.point === cert.point;
  return true;
}
