import { stringify } from "yaml";
import { parseManifests } from "../../manifest/parse.js";
import type { Diagnostic } from "../../model/diagnostic.js";
import { validateObjects, type ValidateOptions } from "../validate.js";

/**
 * Strips the code indentation (that of the first line) from the literal parts of a YAML case;
 * interpolated values are inserted as they are, so multi-line values carry their final indentation.
 */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const indent = strings[0]!.replace(/^\n/, "").match(/^ */)![0].length;
  const strip = new RegExp(`\\n {0,${indent}}`, "g");
  const parts = strings.map((s) => s.replace(strip, "\n"));
  const text = parts.reduce((acc, s, i) => acc + s + (i < values.length ? String(values[i]) : ""), "");
  return text.replace(/^\n/, "");
}

/** The 1-based line holding the `#<` marker: where a case expects its diagnostic. */
export function markedLine(text: string): number {
  const i = text.split("\n").findIndex((l) => l.includes("#<"));
  if (i < 0) throw new Error("case has no #< marker");
  return i + 1;
}

/** YAML text → parseManifests → validateObjects. Parse problems are a broken case, not a result. */
export function check(text: string, options: ValidateOptions = {}) {
  const parsed = parseManifests(text, { file: "case.yaml" });
  const parseErrors = parsed.diagnostics.filter((d) => d.severity === "error");
  if (parseErrors.length > 0) throw new Error(`case does not parse: ${JSON.stringify(parseErrors)}`);
  return validateObjects(parsed.objects, options);
}

export function errorsOf(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.severity === "error");
}

export function toYaml(docs: readonly object[]): string {
  return docs.map((d) => stringify(d)).join("---\n");
}

// ---------- minimal valid objects, to be broken one rule at a time ----------

const GW = "gateway.networking.k8s.io/v1";

export const meta = (name = "x") => ({ name, namespace: "ns" });

export function httpRoute(spec: object, apiVersion = GW): object {
  return { apiVersion, kind: "HTTPRoute", metadata: meta("r"), spec: { parentRefs: [{ name: "gw" }], ...spec } };
}

export function grpcRoute(spec: object): object {
  return { apiVersion: GW, kind: "GRPCRoute", metadata: meta("g"), spec: { parentRefs: [{ name: "gw" }], ...spec } };
}

export function gateway(spec: object): object {
  return {
    apiVersion: GW,
    kind: "Gateway",
    metadata: meta("gw"),
    spec: { gatewayClassName: "gwsim", listeners: [{ name: "http", port: 80, protocol: "HTTP" }], ...spec },
  };
}

export function listenerSet(spec: object): object {
  return {
    apiVersion: GW,
    kind: "ListenerSet",
    metadata: meta("ls"),
    spec: { parentRef: { name: "gw" }, listeners: [{ name: "http", port: 80, protocol: "HTTP" }], ...spec },
  };
}

export function l4Route(kind: "TCPRoute" | "UDPRoute" | "TLSRoute", spec: object, apiVersion = GW): object {
  const hostnames = kind === "TLSRoute" ? { hostnames: ["a.example.com"] } : {};
  return {
    apiVersion,
    kind,
    metadata: meta("l4"),
    spec: { parentRefs: [{ name: "gw" }], ...hostnames, rules: [{ backendRefs: [{ name: "svc", port: 80 }] }], ...spec },
  };
}

export function backendTLSPolicy(spec: object): object {
  return {
    apiVersion: GW,
    kind: "BackendTLSPolicy",
    metadata: meta("btls"),
    spec: {
      targetRefs: [{ group: "", kind: "Service", name: "svc" }],
      validation: { hostname: "svc.example.com", wellKnownCACertificates: "System" },
      ...spec,
    },
  };
}

export const svcRef = { name: "svc", port: 80 };
