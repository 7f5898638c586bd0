/**
 * Every x-kubernetes-validations rule on the spec of the Gateway API v1.6.1 CRDs (standard and
 * experimental channels, every served version), with the case that shows gwsim enforces it.
 * 198 (kind, location, message) triples; two of them are never reported for a manifest: a
 * transition rule, and a rule that only an enum error could break (which keeps the API server
 * from running any CEL rule of the object).
 */
import { describe, expect, it } from "vitest";
import type { Channel } from "./common.js";
import {
  backendTLSPolicy,
  check,
  errorsOf,
  gateway,
  grpcRoute,
  httpRoute,
  l4Route,
  listenerSet,
  svcRef,
  toYaml,
} from "./__tests__/helpers.js";
import { invalidCases } from "./__tests__/invalid-cases.js";

interface InlineCase {
  doc: object;
  /** Where the message must be reported. */
  path: string;
  channel?: Channel;
  /** Other violations the same input necessarily has (kubectl reports them too). */
  alsoCodes?: string[];
}

interface CelRule {
  kind: string;
  /** Where the rule sits in the CRD schema. */
  at: string;
  /** What the rule checks, in words. */
  rule: string;
  message: string;
  /** Channels/versions whose CRDs carry the rule. */
  servedIn: string;
  /** An inline case, the name of a case in invalid-cases.ts, or why no manifest can make it fail. */
  case: InlineCase | { ref: string; path: string } | { notExpressible: string };
}

const ALL = "standard+experimental";
const EXP = "experimental";
const STD = "standard";

// ---------- filters ----------

type Level = "rule" | "backendRef";
const filterPath = (level: Level, i = 0) => (level === "rule" ? `spec.rules[0].filters[${i}]` : `spec.rules[0].backendRefs[0].filters[${i}]`);
const filterAt = (level: Level) => (level === "rule" ? "spec.rules[].filters[]" : "spec.rules[].backendRefs[].filters[]");
const filtersAt = (level: Level) => (level === "rule" ? "spec.rules[].filters" : "spec.rules[].backendRefs[].filters");

function withFilters(kind: "HTTPRoute" | "GRPCRoute", level: Level, filters: object[], rule: object = {}): object {
  const build = kind === "HTTPRoute" ? httpRoute : grpcRoute;
  if (level === "rule") return build({ rules: [{ filters, ...rule }] });
  return build({ rules: [{ backendRefs: [{ ...svcRef, filters }], ...rule }] });
}

const FIELD_VALUES: Record<string, [string, object]> = {
  CORS: ["cors", { allowOrigins: ["https://a.example.com"] }],
  RequestHeaderModifier: ["requestHeaderModifier", { set: [{ name: "x-a", value: "1" }] }],
  ResponseHeaderModifier: ["responseHeaderModifier", { add: [{ name: "x-b", value: "2" }] }],
  RequestMirror: ["requestMirror", { backendRef: { name: "shadow", port: 80 } }],
  RequestRedirect: ["requestRedirect", { scheme: "https" }],
  URLRewrite: ["urlRewrite", { hostname: "b.example.com" }],
  ExtensionRef: ["extensionRef", { group: "example.com", kind: "Ext", name: "e" }],
  ExternalAuth: ["externalAuth", { protocol: "HTTP", backendRef: { name: "auth", port: 8080 }, http: {} }],
};

const filterOf = (type: string) => {
  const [field, value] = FIELD_VALUES[type]!;
  return { type, [field]: value };
};

function filterFieldRules(kind: "HTTPRoute" | "GRPCRoute", types: string[], servedIn: (t: string) => string): CelRule[] {
  const rules: CelRule[] = [];
  for (const level of ["rule", "backendRef"] as const) {
    for (const type of types) {
      const [field, value] = FIELD_VALUES[type]!;
      const other = type === "RequestHeaderModifier" ? "ResponseHeaderModifier" : "RequestHeaderModifier";
      rules.push({
        kind,
        at: filterAt(level),
        rule: `${field} only on a ${type} filter`,
        message: `filter.${field} must be nil if the filter.type is not ${type}`,
        servedIn: servedIn(type),
        case: { doc: withFilters(kind, level, [{ ...filterOf(other), [field]: value }]), path: `${filterPath(level)}.${field}` },
      });
      rules.push({
        kind,
        at: filterAt(level),
        rule: `a ${type} filter carries ${field}`,
        message: `filter.${field} must be specified for ${type} filter.type`,
        servedIn: servedIn(type),
        case: { doc: withFilters(kind, level, [{ type }]), path: filterPath(level) },
      });
    }
  }
  return rules;
}

function filterListRules(kind: "HTTPRoute" | "GRPCRoute", repeatable: string[], withRedirectRewrite: boolean): CelRule[] {
  const rules: CelRule[] = [];
  for (const level of ["rule", "backendRef"] as const) {
    if (withRedirectRewrite) {
      rules.push({
        kind,
        at: filtersAt(level),
        rule: "not both RequestRedirect and URLRewrite",
        message: "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both",
        servedIn: ALL,
        case: { doc: withFilters(kind, level, [filterOf("RequestRedirect"), filterOf("URLRewrite")]), path: filterPath(level, 1) },
      });
    }
    for (const type of repeatable) {
      rules.push({
        kind,
        at: filtersAt(level),
        rule: `at most one ${type} filter`,
        message: `${type} filter cannot be repeated`,
        servedIn: ALL,
        case: { doc: withFilters(kind, level, [filterOf(type), filterOf(type)]), path: filterPath(level, 1) },
      });
    }
  }
  return rules;
}

function corsRules(): CelRule[] {
  const rules: CelRule[] = [];
  const lists: [string, string[], string][] = [
    ["allowHeaders", ["*", "x-a"], "AllowHeaders cannot contain '*' alongside other methods"],
    ["allowMethods", ["*", "GET"], "AllowMethods cannot contain '*' alongside other methods"],
    ["allowOrigins", ["*", "https://a.example.com"], "AllowOrigins cannot contain '*' alongside other origins"],
  ];
  for (const level of ["rule", "backendRef"] as const) {
    for (const [field, value, message] of lists) {
      rules.push({
        kind: "HTTPRoute",
        at: `${filterAt(level)}.cors.${field}`,
        rule: `'*' alone in cors.${field}`,
        message,
        servedIn: ALL,
        case: { doc: withFilters("HTTPRoute", level, [{ type: "CORS", cors: { [field]: value } }]), path: `${filterPath(level)}.cors.${field}` },
      });
    }
  }
  return rules;
}

function mirrorRules(kind: "HTTPRoute" | "GRPCRoute"): CelRule[] {
  const rules: CelRule[] = [];
  const mirror = (m: object) => ({ type: "RequestMirror", requestMirror: { backendRef: { name: "shadow", port: 80 }, ...m } });
  for (const level of ["rule", "backendRef"] as const) {
    const at = `${filterAt(level)}.requestMirror`;
    const path = `${filterPath(level)}.requestMirror`;
    rules.push(
      {
        kind,
        at,
        rule: "percent or fraction, not both",
        message: "Only one of percent or fraction may be specified in HTTPRequestMirrorFilter",
        servedIn: ALL,
        case: { doc: withFilters(kind, level, [mirror({ percent: 5, fraction: { numerator: 1 } })]), path: `${path}.fraction` },
      },
      {
        kind,
        at: `${at}.backendRef`,
        rule: "a Service mirror backend has a port",
        message: "Must have port for Service reference",
        servedIn: ALL,
        case: { doc: withFilters(kind, level, [{ type: "RequestMirror", requestMirror: { backendRef: { name: "shadow" } } }]), path: `${path}.backendRef.port` },
      },
      {
        kind,
        at: `${at}.fraction`,
        rule: "fraction at most 1",
        message: "numerator must be less than or equal to denominator",
        servedIn: ALL,
        case: { doc: withFilters(kind, level, [mirror({ fraction: { numerator: 3, denominator: 2 } })]), path: `${path}.fraction` },
      },
    );
  }
  return rules;
}

function pathModifierRules(): CelRule[] {
  const rules: CelRule[] = [];
  const variants: [string, object, string, string][] = [
    ["ReplaceFullPath needs replaceFullPath", { type: "ReplaceFullPath" }, "replaceFullPath", "replaceFullPath must be specified when type is set to 'ReplaceFullPath'"],
    [
      "replaceFullPath only with ReplaceFullPath",
      { type: "ReplacePrefixMatch", replacePrefixMatch: "/p", replaceFullPath: "/f" },
      "replaceFullPath",
      "type must be 'ReplaceFullPath' when replaceFullPath is set",
    ],
    ["ReplacePrefixMatch needs replacePrefixMatch", { type: "ReplacePrefixMatch" }, "replacePrefixMatch", "replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'"],
    [
      "replacePrefixMatch only with ReplacePrefixMatch",
      { type: "ReplaceFullPath", replaceFullPath: "/f", replacePrefixMatch: "/p" },
      "replacePrefixMatch",
      "type must be 'ReplacePrefixMatch' when replacePrefixMatch is set",
    ],
  ];
  for (const level of ["rule", "backendRef"] as const) {
    for (const [type, field] of [
      ["RequestRedirect", "requestRedirect"],
      ["URLRewrite", "urlRewrite"],
    ] as const) {
      for (const [rule, path, broken, message] of variants) {
        rules.push({
          kind: "HTTPRoute",
          at: `${filterAt(level)}.${field}.path`,
          rule,
          message,
          servedIn: ALL,
          case: { doc: withFilters("HTTPRoute", level, [{ type, [field]: { path } }]), path: `${filterPath(level)}.${field}.path.${broken}` },
        });
      }
    }
  }
  return rules;
}

function externalAuthRules(): CelRule[] {
  const rules: CelRule[] = [];
  const backendRef = { name: "auth", port: 8080 };
  const variants: [string, object, string, string][] = [
    ["GRPC protocol needs grpc", { protocol: "GRPC", backendRef }, "grpc", "grpc must be specified when protocol is set to 'GRPC'"],
    ["grpc only with GRPC protocol", { protocol: "HTTP", backendRef, http: {}, grpc: {} }, "protocol", "protocol must be 'GRPC' when grpc is set"],
    ["HTTP protocol needs http", { protocol: "HTTP", backendRef }, "http", "http must be specified when protocol is set to 'HTTP'"],
    ["http only with HTTP protocol", { protocol: "GRPC", backendRef, grpc: {}, http: {} }, "protocol", "protocol must be 'HTTP' when http is set"],
  ];
  for (const level of ["rule", "backendRef"] as const) {
    for (const [rule, auth, field, message] of variants) {
      rules.push({
        kind: "HTTPRoute",
        at: `${filterAt(level)}.externalAuth`,
        rule,
        message,
        servedIn: EXP,
        case: { doc: withFilters("HTTPRoute", level, [{ type: "ExternalAuth", externalAuth: auth }]), path: `${filterPath(level)}.externalAuth.${field}` },
      });
    }
    rules.push({
      kind: "HTTPRoute",
      at: `${filterAt(level)}.externalAuth.backendRef`,
      rule: "a Service auth backend has a port",
      message: "Must have port for Service reference",
      servedIn: EXP,
      case: {
        doc: withFilters("HTTPRoute", level, [{ type: "ExternalAuth", externalAuth: { protocol: "HTTP", http: {}, backendRef: { name: "auth" } } }]),
        path: `${filterPath(level)}.externalAuth.backendRef.port`,
      },
    });
  }
  return rules;
}

// ---------- matches, rules, parents ----------

const WHEN = "when type one of ['Exact', 'PathPrefix']";

function pathMatchRules(): CelRule[] {
  const rows: [string, object, string, string[]?][] = [
    ["absolute path", { type: "Exact", value: "api" }, `value must be an absolute path and start with '/' ${WHEN}`],
    ["no empty segment", { value: "/a//b" }, `must not contain '//' ${WHEN}`],
    ["no '.' segment", { value: "/a/./b" }, `must not contain '/./' ${WHEN}`],
    ["no '..' segment", { value: "/a/../b" }, `must not contain '/../' ${WHEN}`],
    ["no encoded slash (lower case)", { value: "/a%2fb" }, `must not contain '%2f' ${WHEN}`],
    ["no encoded slash (upper case)", { value: "/a%2Fb" }, `must not contain '%2F' ${WHEN}`],
    ["no fragment", { value: "/a#b" }, `must not contain '#' ${WHEN}`, ["cel.path-match-characters"]],
    ["no trailing '..' segment", { value: "/a/.." }, `must not end with '/..' ${WHEN}`],
    ["no trailing '.' segment", { value: "/a/." }, `must not end with '/.' ${WHEN}`],
    [
      "valid path characters",
      { type: "Exact", value: "/a b" },
      "must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$) for types ['Exact', 'PathPrefix']",
    ],
  ];
  const valueRules: CelRule[] = rows.map(([rule, path, message, alsoCodes]) => ({
    kind: "HTTPRoute",
    at: "spec.rules[].matches[].path",
    rule,
    message,
    servedIn: ALL,
    case: {
      doc: httpRoute({ rules: [{ matches: [{ path }] }] }),
      path: "spec.rules[0].matches[0].path.value",
      ...(alsoCodes ? { alsoCodes } : {}),
    },
  }));
  const typeRule: CelRule = {
    kind: "HTTPRoute",
    at: "spec.rules[].matches[].path",
    rule: "known path match type",
    message: "type must be one of ['Exact', 'PathPrefix', 'RegularExpression']",
    servedIn: ALL,
    case: { notExpressible: "only a type outside the enum breaks it, and that enum error keeps every CEL rule from running" },
  };
  // In the CRD's order: the type rule comes after the '/.' rule.
  return [...valueRules.slice(0, 9), typeRule, ...valueRules.slice(9)];
}

function httpRuleRules(): CelRule[] {
  const prefixPath = (field: string) => ({ [field]: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/v2" } } });
  const exact = { matches: [{ path: { type: "Exact", value: "/v1" } }] };
  return [
    {
      kind: "HTTPRoute",
      at: "spec.rules[]",
      rule: "redirect rules have no backends",
      message: "RequestRedirect filter must not be used together with backendRefs",
      servedIn: ALL,
      case: { ref: "RequestRedirect together with backendRefs", path: "spec.rules[0].filters[0]" },
    },
    {
      kind: "HTTPRoute",
      at: "spec.rules[]",
      rule: "redirect ReplacePrefixMatch needs a single PathPrefix match",
      message: "When using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified",
      servedIn: ALL,
      case: {
        doc: httpRoute({ rules: [{ ...exact, filters: [{ type: "RequestRedirect", ...prefixPath("requestRedirect") }] }] }),
        path: "spec.rules[0].filters[0].requestRedirect.path",
      },
    },
    {
      kind: "HTTPRoute",
      at: "spec.rules[]",
      rule: "rewrite ReplacePrefixMatch needs a single PathPrefix match",
      message: "When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified",
      servedIn: ALL,
      case: { ref: "ReplacePrefixMatch on an Exact match", path: "spec.rules[0].filters[0].urlRewrite.path" },
    },
    {
      kind: "HTTPRoute",
      at: "spec.rules[]",
      rule: "backendRef redirect ReplacePrefixMatch needs a single PathPrefix match",
      message: "Within backendRefs, when using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified",
      servedIn: ALL,
      case: {
        doc: httpRoute({
          rules: [{ matches: [{ path: { value: "/a" } }, { path: { value: "/b" } }], backendRefs: [{ ...svcRef, filters: [{ type: "RequestRedirect", ...prefixPath("requestRedirect") }] }] }],
        }),
        path: "spec.rules[0].backendRefs[0].filters[0].requestRedirect.path",
      },
    },
    {
      kind: "HTTPRoute",
      at: "spec.rules[]",
      rule: "backendRef rewrite ReplacePrefixMatch needs a single PathPrefix match",
      message: "Within backendRefs, When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified",
      servedIn: ALL,
      case: {
        doc: httpRoute({ rules: [{ ...exact, backendRefs: [{ ...svcRef, filters: [{ type: "URLRewrite", ...prefixPath("urlRewrite") }] }] }] }),
        path: "spec.rules[0].backendRefs[0].filters[0].urlRewrite.path",
      },
    },
  ];
}

const matchesN = (n: number, make: (i: number) => object) => Array.from({ length: n }, (_, i) => make(i));

function budgetRule(kind: "HTTPRoute" | "GRPCRoute"): CelRule {
  const match = kind === "HTTPRoute" ? (i: number) => ({ path: { value: `/m${i}` } }) : (i: number) => ({ method: { service: "pkg.Svc", method: `M${i}` } });
  const build = kind === "HTTPRoute" ? httpRoute : grpcRoute;
  return {
    kind,
    at: "spec.rules",
    rule: "at most 128 matches in all rules",
    message: "While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than 128",
    servedIn: ALL,
    case: { doc: build({ rules: [{ matches: matchesN(64, match) }, { matches: matchesN(64, match) }, { matches: matchesN(1, match) }] }), path: "spec.rules" },
  };
}

function ruleNameRule(kind: string, doc: object, servedIn = EXP): CelRule {
  return { kind, at: "spec.rules", rule: "rule names unique", message: "Rule name must be unique within the route", servedIn, case: { doc, path: "spec.rules[1].name" } };
}

function sessionRules(kind: "HTTPRoute" | "GRPCRoute"): CelRule[] {
  const build = kind === "HTTPRoute" ? httpRoute : grpcRoute;
  return [
    {
      kind,
      at: "spec.rules[].sessionPersistence",
      rule: "permanent cookies expire",
      message: "AbsoluteTimeout must be specified when cookie lifetimeType is Permanent",
      servedIn: EXP,
      case: { doc: build({ rules: [{ sessionPersistence: { cookieConfig: { lifetimeType: "Permanent" } } }] }), path: "spec.rules[0].sessionPersistence.absoluteTimeout" },
    },
    {
      kind,
      at: "spec.rules[].sessionPersistence",
      rule: "cookieConfig only for cookies",
      message: "cookieConfig can only be set with type Cookie",
      servedIn: EXP,
      case: { doc: build({ rules: [{ sessionPersistence: { type: "Header", cookieConfig: {} } }] }), path: "spec.rules[0].sessionPersistence.cookieConfig" },
    },
  ];
}

function parentRefRules(kind: string, make: (parentRefs: object[]) => object): CelRule[] {
  return [
    {
      kind,
      at: "spec.parentRefs",
      rule: "repeated parent: all or none name a section",
      message: "sectionName must be specified when parentRefs includes 2 or more references to the same parent",
      servedIn: STD,
      case: { doc: make([{ name: "gw", sectionName: "a" }, { name: "gw" }]), path: "spec.parentRefs[1]", channel: "standard" },
    },
    {
      kind,
      at: "spec.parentRefs",
      rule: "repeated parent: distinct sections",
      message: "sectionName must be unique when parentRefs includes 2 or more references to the same parent",
      servedIn: STD,
      case: { doc: make([{ name: "gw", sectionName: "a" }, { name: "gw", sectionName: "a" }]), path: "spec.parentRefs[1]", channel: "standard" },
    },
    {
      kind,
      at: "spec.parentRefs",
      rule: "repeated parent: all or none name a section, all or none a port",
      message: "sectionName or port must be specified when parentRefs includes 2 or more references to the same parent",
      servedIn: EXP,
      case: { doc: make([{ name: "gw", port: 80 }, { name: "gw" }]), path: "spec.parentRefs[1]" },
    },
    {
      kind,
      at: "spec.parentRefs",
      rule: "repeated parent: distinct (section, port)",
      message: "sectionName or port must be unique when parentRefs includes 2 or more references to the same parent",
      servedIn: EXP,
      case: { doc: make([{ name: "gw", port: 80 }, { name: "gw", port: 80 }]), path: "spec.parentRefs[1]" },
    },
  ];
}

function backendPortRule(kind: string, doc: object, path: string, servedIn = ALL): CelRule {
  return { kind, at: "spec.rules[].backendRefs[]", rule: "a Service backend has a port", message: "Must have port for Service reference", servedIn, case: { doc, path } };
}

// ---------- the table ----------

const HTTP_TYPES = ["CORS", "RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "RequestRedirect", "URLRewrite", "ExtensionRef", "ExternalAuth"];
const GRPC_TYPES = ["RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "ExtensionRef"];

function grpcMethodRules(): CelRule[] {
  const doc = (method: object) => grpcRoute({ rules: [{ matches: [{ method }] }] });
  return [
    {
      kind: "GRPCRoute",
      at: "spec.rules[].matches[].method",
      rule: "service or method named",
      message: "One or both of 'service' or 'method' must be specified",
      servedIn: ALL,
      case: { ref: "gRPC method match with neither service nor method", path: "spec.rules[0].matches[0].method" },
    },
    {
      kind: "GRPCRoute",
      at: "spec.rules[].matches[].method",
      rule: "Exact service is a dotted name",
      message: "service must only contain valid characters (matching ^(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*$)",
      servedIn: ALL,
      case: { doc: doc({ service: "pkg.9svc" }), path: "spec.rules[0].matches[0].method.service" },
    },
    {
      kind: "GRPCRoute",
      at: "spec.rules[].matches[].method",
      rule: "Exact method is an identifier",
      message: "method must only contain valid characters (matching ^[A-Za-z_][A-Za-z_0-9]*$)",
      servedIn: ALL,
      case: { doc: doc({ service: "pkg.Svc", method: "Get-All" }), path: "spec.rules[0].matches[0].method.method" },
    },
  ];
}

function listenerRules(kind: "Gateway" | "ListenerSet"): CelRule[] {
  const make = kind === "Gateway" ? (listeners: object[]) => gateway({ listeners }) : (listeners: object[]) => listenerSet({ listeners });
  const cert = { certificateRefs: [{ name: "cert" }] };
  return [
    {
      kind,
      at: "spec.listeners",
      rule: "no tls on HTTP, TCP, UDP",
      message: "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']",
      servedIn: ALL,
      case: { doc: make([{ name: "tcp", port: 9000, protocol: "TCP", tls: cert }]), path: "spec.listeners[0].tls" },
    },
    {
      kind,
      at: "spec.listeners",
      rule: "HTTPS terminates",
      message: "tls mode must be Terminate for protocol HTTPS",
      servedIn: ALL,
      case: { doc: make([{ name: "https", port: 443, protocol: "HTTPS", tls: { mode: "Passthrough" } }]), path: "spec.listeners[0].tls.mode" },
    },
    {
      kind,
      at: "spec.listeners",
      rule: "TLS listeners set tls.mode",
      message: "tls mode must be set for protocol TLS",
      servedIn: ALL,
      case: { doc: make([{ name: "tls", port: 443, protocol: "TLS" }]), path: "spec.listeners[0]" },
    },
    {
      kind,
      at: "spec.listeners",
      rule: "no hostname on TCP, UDP",
      message: "hostname must not be specified for protocols ['TCP', 'UDP']",
      servedIn: ALL,
      case: { doc: make([{ name: "dns", port: 53, protocol: "UDP", hostname: "dns.example.com" }]), path: "spec.listeners[0].hostname" },
    },
    {
      kind,
      at: "spec.listeners",
      rule: "listener names unique",
      message: "Listener name must be unique within the Gateway",
      servedIn: ALL,
      case: { doc: make([{ name: "a", port: 80, protocol: "HTTP" }, { name: "a", port: 81, protocol: "HTTP" }]), path: "spec.listeners[1].name" },
    },
    {
      kind,
      at: "spec.listeners",
      rule: "(port, protocol, hostname) unique",
      message: "Combination of port, protocol and hostname must be unique for each listener",
      servedIn: ALL,
      case: { doc: make([{ name: "a", port: 80, protocol: "HTTP" }, { name: "b", port: 80, protocol: "HTTP" }]), path: "spec.listeners[1]" },
    },
    {
      kind,
      at: "spec.listeners[].tls",
      rule: "Terminate needs certificates or options",
      message: "certificateRefs or options must be specified when mode is Terminate",
      servedIn: ALL,
      case: { doc: make([{ name: "https", port: 443, protocol: "HTTPS", tls: {} }]), path: "spec.listeners[0].tls" },
    },
  ];
}

function gatewayRules(): CelRule[] {
  const long = `${"a".repeat(253)}/x`;
  const keyForm = (what: "Label" | "Annotation") =>
    `${what} keys must be in the form of an optional DNS subdomain prefix followed by a required name segment of up to 63 characters.`;
  const prefix = (what: string) => `If specified, the ${what} key's prefix must be a DNS subdomain not longer than 253 characters in total.`;
  return [
    {
      kind: "Gateway",
      at: "spec.addresses",
      rule: "IP addresses unique",
      message: "IPAddress values must be unique",
      servedIn: ALL,
      case: { doc: gateway({ addresses: [{ value: "10.0.0.1" }, { type: "IPAddress", value: "10.0.0.1" }] }), path: "spec.addresses[1].value" },
    },
    {
      kind: "Gateway",
      at: "spec.addresses",
      rule: "hostname addresses unique",
      message: "Hostname values must be unique",
      servedIn: ALL,
      case: { doc: gateway({ addresses: [{ type: "Hostname", value: "gw.example.com" }, { type: "Hostname", value: "gw.example.com" }] }), path: "spec.addresses[1].value" },
    },
    {
      kind: "Gateway",
      at: "spec.addresses[]",
      rule: "hostname address is a hostname",
      message:
        "Hostname value must be empty or contain only valid characters (matching ^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)",
      servedIn: ALL,
      case: { doc: gateway({ addresses: [{ type: "Hostname", value: "GW.example.com" }] }), path: "spec.addresses[0].value" },
    },
    {
      kind: "Gateway",
      at: "spec.infrastructure.annotations",
      rule: "annotation keys are qualified names",
      message: keyForm("Annotation"),
      servedIn: ALL,
      case: { doc: gateway({ infrastructure: { annotations: { "-x": "v" } } }), path: "spec.infrastructure.annotations.-x" },
    },
    {
      kind: "Gateway",
      at: "spec.infrastructure.annotations",
      rule: "annotation key prefix under 253",
      message: prefix("annotation"),
      servedIn: ALL,
      case: { doc: gateway({ infrastructure: { annotations: { [long]: "v" } } }), path: `spec.infrastructure.annotations.${long}` },
    },
    {
      kind: "Gateway",
      at: "spec.infrastructure.labels",
      rule: "label keys are qualified names",
      message: keyForm("Label"),
      servedIn: ALL,
      case: { ref: "infrastructure label key with a space", path: "spec.infrastructure.labels.bad key" },
    },
    {
      kind: "Gateway",
      at: "spec.infrastructure.labels",
      rule: "label key prefix under 253",
      message: prefix("label"),
      servedIn: ALL,
      case: { doc: gateway({ infrastructure: { labels: { [long]: "v" } } }), path: `spec.infrastructure.labels.${long}` },
    },
    ...listenerRules("Gateway"),
    {
      kind: "Gateway",
      at: "spec.tls.frontend.perPort",
      rule: "one frontend TLS entry per port",
      message: "Port for TLS configuration must be unique within the Gateway",
      servedIn: ALL,
      case: { ref: "frontend TLS configured twice for one port", path: "spec.tls.frontend.perPort[1].port" },
    },
  ];
}

function l4Rules(kind: "TCPRoute" | "UDPRoute" | "TLSRoute"): CelRule[] {
  const rules: CelRule[] = [
    ...parentRefRules(kind, (parentRefs) => l4Route(kind, { parentRefs })),
    backendPortRule(kind, l4Route(kind, { rules: [{ backendRefs: [{ name: "svc" }] }] }), "spec.rules[0].backendRefs[0].port"),
    ruleNameRule(
      kind,
      l4Route(kind, { rules: [{ name: "a", backendRefs: [svcRef] }, { name: "a", backendRefs: [svcRef] }] }, "gateway.networking.k8s.io/v1alpha2"),
      "experimental v1alpha2",
    ),
  ];
  if (kind === "TLSRoute") {
    rules.push(
      {
        kind,
        at: "spec.hostnames",
        rule: "no IP hostnames",
        message: "Hostnames cannot contain an IP",
        servedIn: `${ALL} v1, experimental v1alpha3`,
        case: { ref: "TLSRoute hostname that is an IP", path: "spec.hostnames[0]" },
      },
      {
        kind,
        at: "spec.hostnames",
        rule: "RFC 1123 hostnames",
        message: "Hostnames must be valid based on RFC-1123",
        servedIn: `${ALL} v1, experimental v1alpha3`,
        case: { doc: l4Route(kind, { hostnames: ["Upper.example.com"] }), path: "spec.hostnames[0]", alsoCodes: ["schema.pattern"] },
      },
      {
        kind,
        at: "spec.hostnames",
        rule: "wildcard only as the first label",
        message: "Wildcards on hostnames must be the first label, and the rest of hostname must be valid based on RFC-1123",
        servedIn: `${ALL} v1, experimental v1alpha3`,
        case: { doc: l4Route(kind, { hostnames: ["a.*.example.com"] }), path: "spec.hostnames[0]", alsoCodes: ["schema.pattern"] },
      },
    );
  }
  return rules;
}

function backendTLSPolicyRules(): CelRule[] {
  const san = (s: object) => backendTLSPolicy({ validation: { hostname: "svc.example.com", wellKnownCACertificates: "System", subjectAltNames: [s] } });
  const target = { group: "", kind: "Service", name: "svc" };
  return [
    {
      kind: "BackendTLSPolicy",
      at: "spec.targetRefs",
      rule: "repeated target: all or none name a section",
      message: "sectionName must be specified when targetRefs includes 2 or more references to the same target",
      servedIn: ALL,
      case: { doc: backendTLSPolicy({ targetRefs: [{ ...target, sectionName: "https" }, target] }), path: "spec.targetRefs[1]" },
    },
    {
      kind: "BackendTLSPolicy",
      at: "spec.targetRefs",
      rule: "repeated target: distinct sections",
      message: "sectionName must be unique when targetRefs includes 2 or more references to the same target",
      servedIn: ALL,
      case: { ref: "BackendTLSPolicy targeting one Service twice", path: "spec.targetRefs[1]" },
    },
    {
      kind: "BackendTLSPolicy",
      at: "spec.validation",
      rule: "CA refs or well-known CAs, not both",
      message: "must not contain both CACertificateRefs and WellKnownCACertificates",
      servedIn: ALL,
      case: { ref: "BackendTLSPolicy with CA refs and well-known CAs", path: "spec.validation.wellKnownCACertificates" },
    },
    {
      kind: "BackendTLSPolicy",
      at: "spec.validation",
      rule: "CA refs or well-known CAs, one of them",
      message: "must specify either CACertificateRefs or WellKnownCACertificates",
      servedIn: ALL,
      case: { doc: backendTLSPolicy({ validation: { hostname: "svc.example.com" } }), path: "spec.validation" },
    },
    {
      kind: "BackendTLSPolicy",
      at: "spec.validation.subjectAltNames[]",
      rule: "Hostname SAN has a hostname",
      message: "SubjectAltName element must contain Hostname, if Type is set to Hostname",
      servedIn: ALL,
      case: { ref: "Hostname SAN without hostname", path: "spec.validation.subjectAltNames[0].hostname" },
    },
    {
      kind: "BackendTLSPolicy",
      at: "spec.validation.subjectAltNames[]",
      rule: "hostname only on a Hostname SAN",
      message: "SubjectAltName element must not contain Hostname, if Type is not set to Hostname",
      servedIn: ALL,
      case: { doc: san({ type: "URI", uri: "spiffe://example.com/a", hostname: "a.example.com" }), path: "spec.validation.subjectAltNames[0].hostname" },
    },
    {
      kind: "BackendTLSPolicy",
      at: "spec.validation.subjectAltNames[]",
      rule: "URI SAN has a uri",
      message: "SubjectAltName element must contain URI, if Type is set to URI",
      servedIn: ALL,
      case: { doc: san({ type: "URI" }), path: "spec.validation.subjectAltNames[0].uri" },
    },
    {
      kind: "BackendTLSPolicy",
      at: "spec.validation.subjectAltNames[]",
      rule: "uri only on a URI SAN",
      message: "SubjectAltName element must not contain URI, if Type is not set to URI",
      servedIn: ALL,
      case: { doc: san({ type: "Hostname", hostname: "a.example.com", uri: "spiffe://example.com/a" }), path: "spec.validation.subjectAltNames[0].uri" },
    },
  ];
}

const celRules: CelRule[] = [
  {
    kind: "GatewayClass",
    at: "spec.controllerName",
    rule: "controllerName immutable",
    message: "Value is immutable",
    servedIn: ALL,
    case: { notExpressible: "a transition rule (self == oldSelf): it compares an update with the stored object; a set of manifests has no previous version" },
  },
  ...gatewayRules(),
  ...listenerRules("ListenerSet"),
  // HTTPRoute
  ...filterFieldRules("HTTPRoute", HTTP_TYPES, (t) => (t === "ExternalAuth" ? EXP : ALL)),
  ...filterListRules("HTTPRoute", ["CORS", "RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite"], true),
  ...corsRules(),
  ...mirrorRules("HTTPRoute"),
  ...pathModifierRules(),
  ...externalAuthRules(),
  ...pathMatchRules(),
  ...httpRuleRules(),
  budgetRule("HTTPRoute"),
  ruleNameRule("HTTPRoute", httpRoute({ rules: [{ name: "a" }, { name: "a" }] })),
  {
    kind: "HTTPRoute",
    at: "spec.rules[].timeouts",
    rule: "backendRequest within request",
    message: "backendRequest timeout cannot be longer than request timeout",
    servedIn: ALL,
    case: { ref: "backendRequest timeout longer than the request timeout", path: "spec.rules[0].timeouts.backendRequest" },
  },
  ...sessionRules("HTTPRoute"),
  ...parentRefRules("HTTPRoute", (parentRefs) => httpRoute({ parentRefs })),
  backendPortRule("HTTPRoute", httpRoute({ rules: [{ backendRefs: [{ name: "svc" }] }] }), "spec.rules[0].backendRefs[0].port"),
  // GRPCRoute
  ...filterFieldRules("GRPCRoute", GRPC_TYPES, () => ALL),
  ...filterListRules("GRPCRoute", ["RequestHeaderModifier", "ResponseHeaderModifier"], false),
  ...mirrorRules("GRPCRoute"),
  ...parentRefRules("GRPCRoute", (parentRefs) => grpcRoute({ parentRefs })),
  budgetRule("GRPCRoute"),
  ruleNameRule("GRPCRoute", grpcRoute({ rules: [{ name: "a" }, { name: "a" }] })),
  ...sessionRules("GRPCRoute"),
  ...grpcMethodRules(),
  backendPortRule("GRPCRoute", grpcRoute({ rules: [{ backendRefs: [{ name: "svc" }] }] }), "spec.rules[0].backendRefs[0].port"),
  // TCPRoute, UDPRoute, TLSRoute
  ...l4Rules("TCPRoute"),
  ...l4Rules("UDPRoute"),
  ...l4Rules("TLSRoute"),
  ...backendTLSPolicyRules(),
];

const key = (r: CelRule) => `${r.kind} ${r.at} | ${r.message}`;

describe("CEL rules of the v1.6.1 CRDs", () => {
  it("lists each of the 198 spec rules once", () => {
    expect(new Set(celRules.map(key)).size).toBe(celRules.length);
    expect(celRules).toHaveLength(198);
    const perKind = Object.fromEntries(
      [...new Set(celRules.map((r) => r.kind))].map((k) => [k, celRules.filter((r) => r.kind === k).length]),
    );
    expect(perKind).toEqual({
      GatewayClass: 1,
      Gateway: 15,
      ListenerSet: 7,
      HTTPRoute: 108,
      GRPCRoute: 38,
      TCPRoute: 6,
      UDPRoute: 6,
      TLSRoute: 9,
      BackendTLSPolicy: 8,
    });
  });

  it("leaves out only a transition rule (it needs the previous object) and the rule an enum error shadows", () => {
    expect(celRules.filter((r) => "notExpressible" in r.case).map(key)).toEqual([
      "GatewayClass spec.controllerName | Value is immutable",
      "HTTPRoute spec.rules[].matches[].path | type must be one of ['Exact', 'PathPrefix', 'RegularExpression']",
    ]);
  });

  it("reports the type enum, not the shadowed CEL rule, for an unknown path match type", () => {
    const { diagnostics } = check(toYaml([httpRoute({ rules: [{ matches: [{ path: { type: "Prefix", value: "/" } }] }] })]));
    expect(errorsOf(diagnostics).map((d) => [d.path, d.code])).toEqual([
      ["spec.rules[0].matches[0].path.type", "schema.enum"],
      ["", "schema.cel-not-checked"],
    ]);
  });

  const inline = celRules.filter((r): r is CelRule & { case: InlineCase } => "doc" in r.case);
  it.each(inline)("$kind $at: $message", (r) => {
    const { diagnostics } = check(toYaml([r.case.doc]), { channel: r.case.channel ?? "experimental" });
    const errors = errorsOf(diagnostics);
    const hit = errors.filter((d) => d.message === r.message);
    expect(hit.map((d) => d.path)).toEqual([r.case.path]);
    expect(hit[0]!.code).toMatch(/^cel\./);
    const others = errors.filter((d) => d.message !== r.message).map((d) => d.code);
    expect(others).toEqual(r.case.alsoCodes ?? []);
  });

  const byRef = celRules.filter((r): r is CelRule & { case: { ref: string; path: string } } => "ref" in r.case);
  it.each(byRef)("$kind $at: $message (invalid-cases: $case.ref)", (r) => {
    const c = invalidCases.find((x) => x.name === r.case.ref);
    expect(c, `invalid case "${r.case.ref}"`).toBeDefined();
    const errors = errorsOf(check(c!.text, { channel: c!.channel ?? "experimental" }).diagnostics);
    expect(errors.map((d) => [d.path, d.message])).toEqual([[r.case.path, r.message]]);
  });
});
