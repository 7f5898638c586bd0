// JSON Lines in the CONTRACT request shape, plus `user` and `observed`.
import { addHeader, isObject, isoTime, type Headers } from "./common.js";
import type { LineParser, LineResult, TraceRecord } from "./types.js";

type Check = (v: unknown) => boolean;

const NS_NAME = /^[^/\s]+\/[^/\s]+$/;
// The last value that passed: a trace names the same gateway on every line.
let lastNsName = "";
const isNsName: Check = (v) => {
  if (typeof v !== "string") return false;
  if (v === lastNsName) return true;
  if (!NS_NAME.test(v)) return false;
  lastNsName = v;
  return true;
};
const BARE_NAME = /^[^/\s]+$/;
const isBareName: Check = (v) => typeof v === "string" && BARE_NAME.test(v);
const isPort: Check = (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535;
const oneOf = (...values: string[]): Check => (v) => typeof v === "string" && values.includes(v);

const SCHEMES = oneOf("http", "https", "tls", "tcp", "udp");
const PROTOCOLS = oneOf("HTTP/1.1", "HTTP/2", "h2c", "websocket");

// The same field rules as the CONTRACT's request; checked by hand, key by key, because this runs
// per line of traces with millions of lines (a switch on the key: JSON keys are interned strings).
function fieldProblem(key: string, v: unknown): string | null {
  switch (key) {
    case "path":
    case "method":
    case "host":
    case "user":
    case "address":
    case "from":
    case "sni":
    case "clientCertificate":
      return typeof v === "string" ? null : `${key}: must be a string`;
    case "gateway":
      return isNsName(v) ? null : `${key}: must be namespace/name`;
    case "service":
      // decide takes a bare Service name as default/<name> (docs/decisions.md, Mesh).
      return isNsName(v) || isBareName(v) ? null : `${key}: must be namespace/name or a name`;
    case "port":
      return isPort(v) ? null : `${key}: must be an integer from 1 to 65535`;
    case "scheme":
      return SCHEMES(v) ? null : `${key}: must be one of http, https, tls, tcp, udp`;
    case "protocol":
      return PROTOCOLS(v) ? null : `${key}: must be one of HTTP/1.1, HTTP/2, h2c, websocket`;
    default:
      return null;
  }
}

/** Header names seen to be lower-case already (a small vocabulary; the set is bounded). */
const lowerNames = new Set<string>();

function isLowerCase(name: string): boolean {
  if (lowerNames.has(name)) return true;
  if (name !== name.toLowerCase()) return false;
  if (lowerNames.size < 1024) lowerNames.add(name);
  return true;
}

function checkHeaders(v: unknown): Headers | string {
  if (!isObject(v)) return "headers: must be an object";
  let lowerCase = true;
  for (const name in v) {
    const value = v[name];
    if (typeof value !== "string" && !(Array.isArray(value) && value.every((x) => typeof x === "string")))
      return `headers.${name}: must be a string or a list of strings`;
    if (lowerCase && !isLowerCase(name)) lowerCase = false;
  }
  if (lowerCase) return v as Headers;
  const out: Headers = {};
  for (const [name, value] of Object.entries(v as Headers))
    if (typeof value === "string") addHeader(out, name, value);
    else for (const x of value) addHeader(out, name, x);
  return out;
}

function checkObserved(v: unknown): string | null {
  if (!isObject(v)) return "observed: must be an object";
  for (const k of ["backend", "upstreamHost", "cluster"] as const)
    if (v[k] !== undefined && v[k] !== null && typeof v[k] !== "string") return `observed.${k}: must be a string`;
  if (v.status !== undefined && v.status !== null && !Number.isInteger(v.status)) return "observed.status: must be an integer";
  if (v.grpcStatus !== undefined && v.grpcStatus !== null && !(Number.isInteger(v.grpcStatus) && (v.grpcStatus as number) >= 0 && (v.grpcStatus as number) <= 16))
    return "observed.grpcStatus: must be a gRPC status code (0 to 16)";
  return null;
}

/** `DDDD-DD-DDTDD:DD:DD.DDDZ`, the form isoTime writes (checked by hand: a regex test per line costs more). */
export function isCanonicalTime(v: string): boolean {
  if (v.length !== 24 || v.charCodeAt(23) !== 90 /* Z */) return false;
  for (let i = 0; i < 23; i++) {
    const c = v.charCodeAt(i);
    const want = i === 4 || i === 7 ? 45 /* - */ : i === 10 ? 84 /* T */ : i === 13 || i === 16 ? 58 /* : */ : i === 19 ? 46 /* . */ : 0;
    if (want !== 0 ? c !== want : c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * Why a JSON object is another log's line rather than a request, if it is: read with --format
 * jsonl, other JSON logs would give requests without their host (an Envoy line keeps it in
 * :authority) or for "/" (a HAR, a container runtime's line).
 */
function foreignLine(value: Record<string, unknown>, envoyKey: string | undefined): string | null {
  if (value.host !== undefined) return null;
  if (envoyKey !== undefined)
    return `not a request in gwsim's JSON Lines shape: an Envoy access log line (it has ${JSON.stringify(envoyKey)}); read it with --format envoy`;
  if (value.path !== undefined || value.grpc !== undefined) return null;
  if (isObject(value.log) && Array.isArray(value.log.entries)) return "not a request in gwsim's JSON Lines shape: a HAR document; read it with --format har";
  if (typeof value.log === "string" && typeof value.stream === "string")
    return "not a request in gwsim's JSON Lines shape: a container runtime (Docker json-file) log line; its log field holds the line";
  return null;
}

/** Checks one parsed JSON value; the object itself becomes the record (unknown fields are kept). */
export function checkJsonRecord(value: unknown): TraceRecord | string {
  if (!isObject(value)) return "not a JSON object";
  let envoyKey: string | undefined;
  let foreign = false;
  for (const key in value) {
    const v = value[key];
    // null is taken as absent: many exporters write every field.
    if (v === null) {
      delete value[key];
      continue;
    }
    switch (key) {
      case "headers": {
        const headers = checkHeaders(v);
        if (typeof headers === "string") return headers;
        value.headers = headers;
        break;
      }
      case "grpc":
        if (!isObject(v) || typeof v.service !== "string" || typeof v.method !== "string") return "grpc: must be {service, method} strings";
        break;
      case "time": {
        if (typeof v === "string" && isCanonicalTime(v)) break;
        const t = typeof v === "string" || typeof v === "number" ? isoTime(v) : undefined;
        if (t === undefined) return "time: must be RFC 3339 or epoch milliseconds";
        value.time = t;
        break;
      }
      case "observed": {
        const problem = checkObserved(v);
        if (problem) return problem;
        break;
      }
      // Keys of other logs: no request field has these names.
      case "start_time":
      case "response_code":
      case "upstream_host":
      case "upstream_cluster":
      case ":authority":
      case "authority":
      case "x-envoy-origin-path":
        envoyKey ??= key;
        break;
      case "log":
        foreign = true;
        break;
      default: {
        const problem = fieldProblem(key, v);
        if (problem !== null) return problem;
      }
    }
  }
  if (envoyKey !== undefined || foreign) {
    const problem = foreignLine(value, envoyKey);
    if (problem) return problem;
  }
  return value as TraceRecord;
}

export function jsonlParser(): LineParser {
  return {
    parse(line: string): LineResult {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (e) {
        return `invalid JSON: ${(e as Error).message}`;
      }
      return checkJsonRecord(value);
    },
  };
}
