/**
 * The Kubernetes core objects gwsim reads: Namespace, Service, EndpointSlice (discovery.k8s.io/v1),
 * Secret and ConfigMap. Only the fields routing needs are modelled; the rest pass through untouched.
 * Rules follow k8s.io/kubernetes pkg/apis/core/validation with the API server's wording.
 */
import { z } from "zod";
import { report } from "./issues.js";
import { labelValueProblems, metadataSchema, nameProblems, objectShape, qualifiedNameProblems } from "./metadata.js";
import * as P from "./patterns.js";

const PROTOCOLS = ["TCP", "UDP", "SCTP"] as const;

/** EndpointSlice ports: only an absent protocol is defaulted (discovery/v1 defaults.go SetDefaults_EndpointPort). */
function protocolSchema() {
  return z.enum(PROTOCOLS).default("TCP");
}

/**
 * The API server's Service defaulting compares with Go zero values, so an empty string counts as
 * unset (pkg/apis/core/v1/defaults.go SetDefaults_Service): `type: ""`, `protocol: ""`.
 */
function emptyAsUnset<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === "" ? undefined : v), schema);
}

function portRange(min: number) {
  return z.int().superRefine((n, ctx) => {
    if (n < min || n > 65535) report(ctx, [], "schema.port", `Invalid value: ${n}: must be between ${min} and 65535, inclusive`);
  });
}

/** appProtocol: a qualified name such as `http`, `kubernetes.io/h2c`. */
const AppProtocolSchema = z.string().superRefine((s, ctx) => {
  for (const m of qualifiedNameProblems(s)) report(ctx, [], "schema.app-protocol", m);
});

// ---------- Namespace ----------

export const NamespaceSchema = z.strictObject({
  ...objectShape("Namespace"),
  metadata: metadataSchema("label"),
  spec: z.looseObject({}).optional(),
});
export type Namespace = z.infer<typeof NamespaceSchema>;

// ---------- Service ----------

const IANA_TEXT = "must contain only lowercase alphanumeric characters or '-', contain at least one letter, not start or end with '-', not contain '--', and be at most 15 characters";

export const ServicePortSchema = z
  .looseObject({
    name: z.string().optional(),
    protocol: emptyAsUnset(z.enum(PROTOCOLS).default("TCP")),
    appProtocol: AppProtocolSchema.optional(),
    port: portRange(1),
    targetPort: z.union([z.int(), z.string()]).optional(),
    nodePort: z.int().optional(),
  })
  .superRefine((p, ctx) => {
    if (p.name !== undefined && p.name !== "") for (const m of nameProblems(p.name, "label")) report(ctx, ["name"], "schema.name", m);
    const t = p.targetPort;
    // 0 and "" are defaulted to the port below, before the API server validates.
    if (typeof t === "number" && t !== 0 && (t < 1 || t > 65535)) {
      report(ctx, ["targetPort"], "schema.port", `Invalid value: ${t}: must be between 1 and 65535, inclusive`);
    }
    if (typeof t === "string" && t !== "" && !(t.length <= 15 && P.IANA_SVC_NAME.test(t) && /[a-z]/.test(t) && !t.includes("--"))) {
      report(ctx, ["targetPort"], "schema.port-name", `Invalid value: ${JSON.stringify(t)}: ${IANA_TEXT}`);
    }
  })
  // SetDefaults_Service (pkg/apis/core/v1/defaults.go): an absent, 0 or "" targetPort becomes the port.
  .transform((p) => ({ ...p, targetPort: p.targetPort === undefined || p.targetPort === 0 || p.targetPort === "" ? p.port : p.targetPort }));

const SERVICE_TYPES = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"] as const;

export const ServiceSpecSchema = z
  .looseObject({
    type: emptyAsUnset(z.enum(SERVICE_TYPES).default("ClusterIP")),
    ports: z.array(ServicePortSchema).optional(),
    clusterIP: z.string().optional(),
    clusterIPs: z.array(z.string()).optional(),
    externalName: z.string().optional(),
    selector: z.record(z.string(), z.string()).optional(),
  })
  .superRefine((spec, ctx) => {
    const ports = spec.ports ?? [];
    const headless = spec.clusterIP === "None";
    if (spec.type === "ExternalName") {
      if (spec.externalName === undefined || spec.externalName === "") report(ctx, ["externalName"], "schema.required", "Required value");
      else {
        const name = spec.externalName.replace(/\.$/, "");
        if (nameProblems(name, "subdomain").length > 0) {
          report(ctx, ["externalName"], "schema.name", `Invalid value: ${JSON.stringify(spec.externalName)}: must be a valid DNS name`);
        }
      }
    } else if (ports.length === 0 && !headless) {
      report(ctx, ["ports"], "schema.required", "Required value");
    }
    if (spec.clusterIP !== undefined && spec.clusterIP !== "" && !headless && !P.isIP(spec.clusterIP)) {
      report(ctx, ["clusterIP"], "schema.format", `Invalid value: ${JSON.stringify(spec.clusterIP)}: must be a valid IP address or "None"`);
    }
    const names = new Set<string>();
    const portProtocols = new Set<string>();
    ports.forEach((p, i) => {
      if (ports.length > 1 && (p.name === undefined || p.name === "")) report(ctx, ["ports", i, "name"], "schema.required", "Required value");
      if (p.name !== undefined && p.name !== "") {
        if (names.has(p.name)) report(ctx, ["ports", i, "name"], "schema.duplicate", `Duplicate value: ${JSON.stringify(p.name)}`);
        names.add(p.name);
      }
      const key = `${p.port}/${p.protocol}`;
      if (portProtocols.has(key)) report(ctx, ["ports", i], "schema.duplicate", `Duplicate value: ${JSON.stringify(key)}`);
      portProtocols.add(key);
    });
    if (spec.selector) {
      for (const [k, v] of Object.entries(spec.selector)) {
        for (const m of [...qualifiedNameProblems(k), ...labelValueProblems(v)]) report(ctx, ["selector", k], "schema.label", m);
      }
    }
  });

export const ServiceSchema = z.strictObject({
  ...objectShape("Service"),
  metadata: metadataSchema("dns1035"),
  spec: ServiceSpecSchema.prefault({}),
});
export type Service = z.infer<typeof ServiceSchema>;

// ---------- EndpointSlice ----------

const ADDRESS_CHECKS: Record<string, [(s: string) => boolean, string]> = {
  IPv4: [P.isIPv4, "must be a valid IPv4 address"],
  IPv6: [P.isIPv6, "must be a valid IPv6 address"],
  FQDN: [(s) => nameProblems(s, "subdomain").length === 0, "must be a valid DNS name"],
};

export const EndpointSchema = z.looseObject({
  addresses: z.array(z.string()).min(1).max(100),
  conditions: z
    .looseObject({ ready: z.boolean().optional(), serving: z.boolean().optional(), terminating: z.boolean().optional() })
    .optional(),
  hostname: z.string().optional(),
  nodeName: z.string().optional(),
  zone: z.string().optional(),
  targetRef: z.looseObject({}).optional(),
});

export const EndpointPortSchema = z.looseObject({
  name: z.string().optional(),
  protocol: protocolSchema(),
  port: portRange(1).optional(),
  appProtocol: AppProtocolSchema.optional(),
});

export const EndpointSliceSchema = z
  .strictObject({
    ...objectShape("EndpointSlice"),
    metadata: metadataSchema("subdomain"),
    addressType: z.enum(["IPv4", "IPv6", "FQDN"]),
    // Required in the API, but an absent list reads back as no endpoints.
    endpoints: z.array(EndpointSchema).max(1000).default(() => []),
    ports: z.array(EndpointPortSchema).max(100).optional(),
  })
  .superRefine((slice, ctx) => {
    const [valid, text] = ADDRESS_CHECKS[slice.addressType]!;
    slice.endpoints.forEach((e, i) =>
      e.addresses.forEach((a, j) => {
        if (!valid(a)) report(ctx, ["endpoints", i, "addresses", j], "schema.format", `Invalid value: ${JSON.stringify(a)}: ${text}`);
      }),
    );
    const names = new Set<string>();
    (slice.ports ?? []).forEach((p, i) => {
      const name = p.name ?? "";
      if (name !== "") for (const m of nameProblems(name, "label")) report(ctx, ["ports", i, "name"], "schema.name", m);
      if (names.has(name)) report(ctx, ["ports", i, "name"], "schema.duplicate", `Duplicate value: ${JSON.stringify(name)}`);
      names.add(name);
    });
  });
export type EndpointSlice = z.infer<typeof EndpointSliceSchema>;

// ---------- Secret and ConfigMap ----------

const CONFIG_KEY_TEXT =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

function checkKeys(map: Record<string, unknown>, field: string, ctx: z.RefinementCtx): void {
  for (const k of Object.keys(map)) {
    if (k.length > 253) report(ctx, [field, k], "schema.config-key", `Invalid value: ${JSON.stringify(k)}: must be no more than 253 characters`);
    if (!P.CONFIG_KEY.test(k)) report(ctx, [field, k], "schema.config-key", `Invalid value: ${JSON.stringify(k)}: ${CONFIG_KEY_TEXT}`);
    if (k === "." || k === "..") report(ctx, [field, k], "schema.config-key", `Invalid value: ${JSON.stringify(k)}: must not be '${k}'`);
  }
}

function checkBase64(map: Record<string, string>, field: string, ctx: z.RefinementCtx): void {
  for (const [k, v] of Object.entries(map)) {
    if (!P.BASE64.test(v.replace(/\s+/g, ""))) {
      report(ctx, [field, k], "schema.base64", "illegal base64 data: the value must be base64-encoded");
    }
  }
}

function utf8ToBase64(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

export const SecretSchema = z
  .strictObject({
    ...objectShape("Secret"),
    metadata: metadataSchema("subdomain"),
    type: z.string().default("Opaque"),
    data: z.record(z.string(), z.string()).optional(),
    stringData: z.record(z.string(), z.string()).optional(),
    immutable: z.boolean().optional(),
  })
  .superRefine((s, ctx) => {
    if (s.data) {
      checkKeys(s.data, "data", ctx);
      checkBase64(s.data, "data", ctx);
    }
    if (s.stringData) checkKeys(s.stringData, "stringData", ctx);
    if (s.type === "kubernetes.io/tls") {
      for (const key of ["tls.crt", "tls.key"]) {
        if (s.data?.[key] === undefined && s.stringData?.[key] === undefined) report(ctx, ["data", key], "schema.required", "Required value");
      }
    }
  })
  // The API server merges stringData into data (stringData wins) and never returns stringData.
  .transform(({ stringData, ...rest }) => {
    if (!stringData) return rest;
    const data = { ...(rest.data ?? {}) };
    for (const [k, v] of Object.entries(stringData)) data[k] = utf8ToBase64(v);
    return { ...rest, data };
  });
export type Secret = z.infer<typeof SecretSchema>;

export const ConfigMapSchema = z
  .strictObject({
    ...objectShape("ConfigMap"),
    metadata: metadataSchema("subdomain"),
    data: z.record(z.string(), z.string()).optional(),
    binaryData: z.record(z.string(), z.string()).optional(),
    immutable: z.boolean().optional(),
  })
  .superRefine((c, ctx) => {
    if (c.data) checkKeys(c.data, "data", ctx);
    if (c.binaryData) {
      checkKeys(c.binaryData, "binaryData", ctx);
      checkBase64(c.binaryData, "binaryData", ctx);
      for (const k of Object.keys(c.binaryData)) {
        if (c.data && k in c.data) report(ctx, ["binaryData", k], "schema.duplicate", `Invalid value: ${JSON.stringify(k)}: duplicate of key present in data`);
      }
    }
  });
export type ConfigMap = z.infer<typeof ConfigMapSchema>;
