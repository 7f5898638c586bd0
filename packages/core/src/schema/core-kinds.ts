/**
 * The Kubernetes core objects gwsim reads: Namespace, Service, EndpointSlice (discovery.k8s.io/v1),
 * Secret and ConfigMap. Only the fields routing needs are modelled; the rest pass through untouched.
 * Rules follow k8s.io/kubernetes pkg/apis/core/validation with the API server's wording.
 */
import { z } from "zod";
import { report } from "./issues.js";
import { dns1123LabelProblems, labelValueProblems, metadataSchema, nameProblems, nameRuleTexts, objectShape, qualifiedNameProblems } from "./metadata.js";
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
// Rules from pkg/apis/discovery/validation/validation.go (validateEndpoints, validatePorts).

/** An IP as Go's net.IP: 16 bytes, IPv4 as ::ffff:a.b.c.d; null when not an IP. */
function ipBytes(s: string): number[] | null {
  if (P.isIPv4(s)) return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...s.split(".").map(Number)];
  if (!P.isIPv6(s)) return null;
  // A dotted IPv4 tail stands for the last two groups.
  const lastColon = s.lastIndexOf(":");
  const tail = s.slice(lastColon + 1);
  const octets = tail.includes(".") ? tail.split(".").map(Number) : null;
  const text = octets ? `${s.slice(0, lastColon + 1)}${((octets[0]! << 8) | octets[1]!).toString(16)}:${((octets[2]! << 8) | octets[3]!).toString(16)}` : s;
  const groups = (part: string) => (part === "" ? [] : part.split(":").map((g) => parseInt(g, 16)));
  const [head, rest] = text.split("::") as [string, string | undefined];
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const words = [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

const isMappedIPv4 = (ip: number[]) => ip.slice(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff;

/**
 * Addresses an endpoint may not have, with Go net.IP's range tests
 * (pkg/apis/core/validation/validation.go ValidateEndpointIP, called for IPv4 and IPv6 slices).
 */
function endpointIPProblems(address: string): AddressProblem[] {
  const ip = ipBytes(address);
  if (!ip) return [invalid(address, "must be a valid IP address")];
  const v4 = isMappedIPv4(ip) ? ip.slice(12) : null;
  const out: string[] = [];
  const unspecified = v4 ? v4.every((b) => b === 0) : ip.every((b) => b === 0);
  const loopback = v4 ? v4[0] === 127 : ip.slice(0, 15).every((b) => b === 0) && ip[15] === 1;
  const linkLocal = v4 ? v4[0] === 169 && v4[1] === 254 : ip[0] === 0xfe && (ip[1]! & 0xc0) === 0x80;
  const linkLocalMulticast = v4 ? v4[0] === 224 && v4[1] === 0 && v4[2] === 0 : ip[0] === 0xff && (ip[1]! & 0x0f) === 0x02;
  if (unspecified) out.push(`may not be unspecified (${address})`);
  if (loopback) out.push("may not be in the loopback range (127.0.0.0/8, ::1/128)");
  if (linkLocal) out.push("may not be in the link-local range (169.254.0.0/16, fe80::/10)");
  if (linkLocalMulticast) out.push("may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)");
  // Its own code: `gwsim serve`, whose backends run on this machine, takes such addresses.
  return out.map((text) => ({ code: ENDPOINT_IP_RANGE, message: `Invalid value: ${JSON.stringify(address)}: ${text}` }));
}

/** An endpoint address in a range the API server refuses (loopback, link-local, unspecified). */
export const ENDPOINT_IP_RANGE = "schema.endpoint-ip-range";

type AddressProblem = { code: string; message: string };

const invalid = (value: string, text: string): AddressProblem => ({ code: "schema.format", message: `Invalid value: ${JSON.stringify(value)}: ${text}` });

/** apimachinery IsFullyQualifiedDomainName: an optional trailing dot, at least two labels. */
function fqdnProblems(name: string): AddressProblem[] {
  if (name === "") return [{ code: "schema.required", message: "Required value" }];
  const bare = name.endsWith(".") ? name.slice(0, -1) : name;
  const texts = nameRuleTexts(bare, "subdomain");
  if (texts.length > 0) return [invalid(bare, texts.join(","))];
  const labels = bare.split(".");
  if (labels.length < 2) return [invalid(bare, "should be a domain with at least two segments separated by dots")];
  const long = labels.find((l) => l.length > 63);
  return long === undefined ? [] : [invalid(long, "must be no more than 63 characters")];
}

const ADDRESS_CHECKS: Record<string, (a: string) => AddressProblem[]> = {
  // IsValidIPv4Address / IsValidIPv6Address, then ValidateEndpointIP, both reported.
  IPv4: (a) => {
    const ip = ipBytes(a);
    const wrongFamily = !ip || !isMappedIPv4(ip) ? [invalid(a, "must be a valid IPv4 address")] : [];
    return [...wrongFamily, ...endpointIPProblems(a)];
  },
  IPv6: (a) => {
    const ip = ipBytes(a);
    const wrongFamily = !ip || isMappedIPv4(ip) ? [invalid(a, "must be a valid IPv6 address")] : [];
    return [...wrongFamily, ...endpointIPProblems(a)];
  },
  FQDN: fqdnProblems,
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
    // maxPorts is 20000 in validation.go (100 is the limit on addresses per endpoint).
    ports: z.array(EndpointPortSchema).max(20000).optional(),
  })
  .superRefine((slice, ctx) => {
    const checkAddress = ADDRESS_CHECKS[slice.addressType]!;
    slice.endpoints.forEach((e, i) => {
      e.addresses.forEach((a, j) => {
        for (const p of checkAddress(a)) report(ctx, ["endpoints", i, "addresses", j], p.code, p.message);
      });
      // ValidateDNS1123Label on hostname, ValidateNodeName (a DNS subdomain) on nodeName.
      if (e.hostname !== undefined) for (const m of dns1123LabelProblems(e.hostname)) report(ctx, ["endpoints", i, "hostname"], "schema.name", m);
      if (e.nodeName !== undefined) for (const m of nameProblems(e.nodeName, "subdomain")) report(ctx, ["endpoints", i, "nodeName"], "schema.name", m);
    });
    const names = new Set<string>();
    (slice.ports ?? []).forEach((p, i) => {
      const name = p.name ?? "";
      if (name !== "") for (const m of dns1123LabelProblems(name)) report(ctx, ["ports", i, "name"], "schema.name", m);
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
