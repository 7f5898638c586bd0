import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeBase64, keyMatchesCertificate, parseCertificatePem, parsePrivateKeyPem } from "./der.js";
import { readTlsSecret } from "./tls-secret.js";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "../../../../test/fixtures/tls", name), "utf8");
const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("decodeBase64", () => {
  it.each(["", "YQ==", "YWI=", "YWJj", "aGVsbG8gd29ybGQ", "/+8=", " YW\nJj "])("%j decodes like Buffer", (text) => {
    expect(Buffer.from(decodeBase64(text) ?? []).toString("latin1")).toBe(Buffer.from(text, "base64").toString("latin1"));
  });
  it.each(["a", "YQ=*", "€€€€"])("%j is not base64", (text) => {
    expect(decodeBase64(text)).toBeNull();
  });
});

describe("certificates and keys", () => {
  it("reads SANs and CN of an RSA certificate", () => {
    const c = parseCertificatePem(fixture("rsa.crt"));
    expect(c.ok && c.value.dnsNames).toEqual(["www.example.com", "*.example.com"]);
    expect(c.ok && c.value.commonName).toBe("www.example.com");
    expect(c.ok && c.value.publicKey.type).toBe("rsa");
  });
  it("reads an EC certificate", () => {
    const c = parseCertificatePem(fixture("ec.crt"));
    expect(c.ok && c.value.publicKey.type).toBe("ec");
    expect(c.ok && c.value.dnsNames).toEqual(["ec.example.com"]);
  });
  it.each([
    { cert: "rsa.crt", key: "rsa.key", want: true },
    { cert: "rsa.crt", key: "rsa-pkcs1.key", want: true },
    { cert: "rsa.crt", key: "other-rsa.key", want: false },
    { cert: "ec.crt", key: "ec-sec1.key", want: true },
    { cert: "ec.crt", key: "ec-pkcs8.key", want: true },
    { cert: "ec.crt", key: "rsa.key", want: false },
    { cert: "rsa.crt", key: "ec-sec1.key", want: false },
  ])("$key belongs to $cert: $want", ({ cert, key, want }) => {
    const c = parseCertificatePem(fixture(cert));
    const k = parsePrivateKeyPem(fixture(key));
    if (!c.ok || !k.ok) throw new Error("fixtures must parse");
    expect(keyMatchesCertificate(k.value, c.value.publicKey)).toBe(want);
  });
  it("rejects an encrypted key, garbage and a truncated certificate", () => {
    expect(parsePrivateKeyPem(fixture("rsa-encrypted.key"))).toMatchObject({ ok: false, message: expect.stringContaining("encrypted") });
    expect(parseCertificatePem("Hello world\n")).toMatchObject({ ok: false });
    const pem = fixture("rsa.crt");
    const lines = pem.trim().split("\n");
    const truncated = [...lines.slice(0, 5), lines[lines.length - 1]].join("\n");
    expect(parseCertificatePem(truncated)).toMatchObject({ ok: false, message: expect.stringContaining("well-formed") });
  });
  it("never throws on random bytes", () => {
    for (let seed = 1; seed < 200; seed++) {
      let x = seed;
      const bytes = Array.from({ length: 64 + (seed % 50) }, () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 16) & 0xff);
      const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from([0x30, 0x82, ...bytes]).toString("base64")}\n-----END CERTIFICATE-----\n`;
      expect(() => parseCertificatePem(pem)).not.toThrow();
      expect(() => parsePrivateKeyPem(pem.replaceAll("CERTIFICATE", "PRIVATE KEY"))).not.toThrow();
    }
  });
});

describe("readTlsSecret", () => {
  const secret = (data: Record<string, string>, field: "data" | "stringData" = "data") => ({ kind: "Secret", metadata: { name: "s", namespace: "n" }, [field]: data });
  it("accepts a matching pair from data (base64) or stringData (plain)", () => {
    expect(readTlsSecret(secret({ "tls.crt": b64(fixture("rsa.crt")), "tls.key": b64(fixture("rsa.key")) })).problem).toBeNull();
    const r = readTlsSecret(secret({ "tls.crt": fixture("ec.crt"), "tls.key": fixture("ec-sec1.key") }, "stringData"));
    expect(r.problem).toBeNull();
    expect(r.dnsNames).toEqual(["ec.example.com"]);
    expect(r.certPem).toContain("BEGIN CERTIFICATE");
  });
  it.each<{ name: string; data: Record<string, string>; want: string }>([
    { name: "missing key", data: { "tls.crt": b64(fixture("rsa.crt")) }, want: "no tls.key" },
    { name: "missing cert", data: { "tls.key": b64(fixture("rsa.key")) }, want: "no tls.crt" },
    { name: "not PEM", data: { "tls.crt": b64("Hello world\n"), "tls.key": b64("Hello world\n") }, want: "no PEM CERTIFICATE" },
    { name: "wrong key", data: { "tls.crt": b64(fixture("rsa.crt")), "tls.key": b64(fixture("other-rsa.key")) }, want: "not the private key" },
    { name: "not base64", data: { "tls.crt": "%%%", "tls.key": b64(fixture("rsa.key")) }, want: "not base64" },
  ])("$name: $want", ({ data, want }) => {
    expect(readTlsSecret(secret(data)).problem).toContain(want);
  });
});
