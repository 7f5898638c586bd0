/**
 * XBackend's Accepted condition, one reason per row: what resolve checks that the CRD cannot
 * (IP hostnames, what spec.tls references), and the TLS settings it derives.
 */
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { parseManifests } from "../manifest/parse.js";
import { validateObjects } from "../schema/index.js";
import { resolve } from "./index.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const secretText = readFileSync(join(import.meta.dirname, "../../../examples/world/01-tls-secret.yaml"), "utf8");
const field = (name: string) => new RegExp(`${name.replace(".", "\\.")}: (\\S+)`).exec(secretText)![1]!;
const CERT_B64 = field("tls.crt");
const KEY_B64 = field("tls.key");
const CERT = Buffer.from(CERT_B64, "base64").toString();

const API = "gateway.networking.x-k8s.io/v1alpha1";

function xb(spec: Record<string, unknown>, namespace = "app"): object {
  return { apiVersion: API, kind: "XBackend", metadata: { name: "x", namespace }, spec: { type: "ExternalHostname", port: { port: 443 }, externalHostname: { hostname: "api.example.com" }, ...spec } };
}
const configMap = (name: string, data: Record<string, string>, namespace = "app") => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace }, data });
const secret = (name: string, namespace: string, data: Record<string, string>, type = "kubernetes.io/tls") => ({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace }, type, data });
const validation = (refs: object[]) => ({ hostname: "api.internal", caCertificateRefs: refs });
const cm = (name: string, kind = "ConfigMap", group = "") => ({ group, kind, name });

function xbackendOf(docs: object[]) {
  const parsed = parseManifests(docs.map((d) => stringify(d)).join("---\n"), { file: "x.yaml" });
  const { resources, diagnostics } = validateObjects(parsed.objects);
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const graph = resolve(resources);
  return graph.xbackends!.find((x) => x.name === "x" && x.namespace === "app")!;
}

describe("XBackend Accepted", () => {
  it.each([
    { what: "a DNS name", docs: [xb({})], reason: "Accepted" },
    { what: "a name that only looks numeric", docs: [xb({ externalHostname: { hostname: "256.1.1.1" } })], reason: "Accepted" },
    { what: "a dotted-quad IP", docs: [xb({ externalHostname: { hostname: "192.0.2.10" } })], reason: "Invalid", message: "192.0.2.10 is an IP address" },
    {
      what: "a CA ConfigMap with ca.crt",
      docs: [xb({ tls: { mode: "ServerOnly", validation: validation([cm("ca")]) } }), configMap("ca", { "ca.crt": CERT })],
      reason: "Accepted",
    },
    {
      what: "a CA ConfigMap that does not exist",
      docs: [xb({ tls: { mode: "ServerOnly", validation: validation([cm("ca")]) } })],
      reason: "InvalidCACertificateRef",
      message: "ConfigMap app/ca not found",
    },
    {
      what: "a CA ConfigMap without ca.crt",
      docs: [xb({ tls: { mode: "ServerOnly", validation: validation([cm("ca")]) } }), configMap("ca", { other: "x" })],
      reason: "InvalidCACertificateRef",
      message: "has no PEM certificate under ca.crt",
    },
    {
      what: "a CA ref of an unsupported kind",
      docs: [xb({ tls: { mode: "ServerOnly", validation: validation([cm("corp", "Authority", "pki.example.io")]) } })],
      reason: "InvalidKind",
    },
    {
      what: "a well-known CA set other than System",
      docs: [xb({ tls: { mode: "ServerOnly", validation: { hostname: "api.internal", wellKnownCACertificates: "example.com/corp-cas" } } })],
      reason: "Invalid",
      message: "not supported; use System",
    },
    {
      what: "a client certificate Secret beside it",
      docs: [xb({ tls: { mode: "ClientAndServer", clientCertificateRef: { name: "client" } } }), secret("client", "app", { "tls.crt": CERT_B64, "tls.key": KEY_B64 })],
      reason: "Accepted",
    },
    {
      what: "a client certificate Secret that does not exist",
      docs: [xb({ tls: { mode: "ClientAndServer", clientCertificateRef: { name: "client" } } })],
      reason: "InvalidClientCertificateRef",
      message: "Secret app/client not found",
    },
    {
      what: "a client certificate Secret without a key",
      docs: [xb({ tls: { mode: "ClientAndServer", clientCertificateRef: { name: "client" } } }), secret("client", "app", { "tls.crt": CERT_B64 }, "Opaque")],
      reason: "InvalidClientCertificateRef",
      message: "no tls.key",
    },
    {
      what: "a client certificate Secret in another namespace, not granted",
      docs: [xb({ tls: { mode: "ClientAndServer", clientCertificateRef: { name: "client", namespace: "vault" } } }), secret("client", "vault", { "tls.crt": CERT_B64, "tls.key": KEY_B64 })],
      reason: "RefNotPermitted",
    },
    {
      what: "a client certificate Secret in another namespace, granted to XBackends",
      docs: [
        xb({ tls: { mode: "ClientAndServer", clientCertificateRef: { name: "client", namespace: "vault" } } }),
        secret("client", "vault", { "tls.crt": CERT_B64, "tls.key": KEY_B64 }),
        {
          apiVersion: "gateway.networking.k8s.io/v1beta1",
          kind: "ReferenceGrant",
          metadata: { name: "xbackend-certs", namespace: "vault" },
          spec: { from: [{ group: "gateway.networking.x-k8s.io", kind: "XBackend", namespace: "app" }], to: [{ group: "", kind: "Secret", name: "client" }] },
        },
      ],
      reason: "Accepted",
    },
  ])("$what → $reason", ({ docs, reason, message }) => {
    const x = xbackendOf(docs);
    expect(x.reason).toBe(reason);
    expect(x.accepted).toBe(reason === "Accepted");
    if (message) expect(x.message).toContain(message);
  });

  it.each([
    { what: "no tls", tls: undefined, want: null },
    { what: "mode None", tls: { mode: "None" }, want: null },
    {
      what: "ServerOnly without validation: SNI is the hostname, System CAs",
      tls: { mode: "ServerOnly" },
      want: { mode: "ServerOnly", sni: "api.example.com", caCertificateRefs: [], wellKnownCACertificates: "System", subjectAltNames: [], clientCertificate: null },
    },
    {
      what: "validation.hostname is the SNI",
      tls: { mode: "ServerOnly", validation: { hostname: "api.internal", wellKnownCACertificates: "System", subjectAltNames: [{ type: "URI", uri: "spiffe://td/ns/app/sa/api" }] } },
      want: { mode: "ServerOnly", sni: "api.internal", caCertificateRefs: [], wellKnownCACertificates: "System", subjectAltNames: [{ type: "URI", uri: "spiffe://td/ns/app/sa/api" }], clientCertificate: null },
    },
  ])("TLS settings: $what", ({ tls, want }) => {
    expect(xbackendOf([xb(tls ? { tls } : {})]).tls).toEqual(want);
  });
});
