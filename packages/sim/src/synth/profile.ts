/** The `gwsim synth --profile` file: what traffic to make up, and its zod schema. */
import { isMap, isScalar, LineCounter, parseDocument, type Node as YamlNode } from "yaml";
import { z } from "zod";
import type { Diagnostic } from "@gwsim/core";
import { editDistance } from "@gwsim/core";
import { isIP } from "node:net";
import { literalPathProblem } from "./encode.js";
import { grpcNameProblem, hostTemplateProblem } from "./host.js";
import { isTimeZone } from "./time-zone.js";
import { parseTemplate, templateLiterals, type Template } from "./template.js";

const Scheme = z.enum(["http", "https", "tls", "tcp", "udp"]);
const Protocol = z.enum(["HTTP/1.1", "HTTP/2", "h2c", "websocket"]);

/** A header or query parameter: a template always sent, or a distribution with a presence probability. */
export const ValueSpecSchema = z.union([
  z.string(),
  z.strictObject({
    /** Chance the request carries it at all. */
    probability: z.number().min(0).max(1).default(1),
    /** A template (see template.ts). */
    value: z.string().optional(),
    /** Literal values with relative weights. */
    values: z.record(z.string(), z.number().nonnegative()).optional(),
  }),
], { error: 'expected a string (quote numbers: "3") or {probability, value} or {probability, values}' });
export type ValueSpec = z.infer<typeof ValueSpecSchema>;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const NS_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\/[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?$/;

const EntryPoint = {
  gateway: z.string().optional(),
  service: z.string().optional(),
  address: z.string().optional(),
  from: z.string().optional(),
  port: z.number().int().min(1).max(65535).optional(),
  scheme: Scheme.optional(),
  protocol: Protocol.optional(),
  host: z.string().optional(),
};

export const RequestClassSchema = z.strictObject({
  name: z.string().optional(),
  /** Relative share of the traffic. */
  share: z.number().nonnegative().default(1),
  ...EntryPoint,
  /** A method, or methods with relative weights (GET when absent). */
  method: z
    .union([z.string(), z.record(z.string(), z.number().nonnegative())], { error: "expected a method (GET) or methods with weights ({GET: 3, POST: 1})" })
    .optional(),
  /** Path template, e.g. `/items/{int:1-5000}`; may carry a fixed query ("/" when absent). */
  path: z.string().optional(),
  /** A gRPC call instead of method and path: `{service: pkg.Svc, method: "{choice:Get|List}"}` (templates). */
  grpc: z.strictObject({ service: z.string(), method: z.string() }).optional(),
  query: z.record(z.string(), ValueSpecSchema).default({}),
  headers: z.record(z.string(), ValueSpecSchema).default({}),
});
export type RequestClassSpec = z.infer<typeof RequestClassSchema>;

export const UsersSchema = z.strictObject({
  count: z.number().int().min(1).max(5_000_000),
  /**
   * How requests spread over users: `zipf` (rank k gets ∝ 1/k^exponent), `pareto` (each user's
   * activity drawn from a Pareto(alpha)), or `uniform`. The first two give heavy-tailed per-user counts.
   */
  distribution: z
    .discriminatedUnion("type", [
      z.strictObject({ type: z.literal("zipf"), exponent: z.number().positive().default(1.1) }),
      z.strictObject({ type: z.literal("pareto"), alpha: z.number().positive().default(1.2) }),
      z.strictObject({ type: z.literal("uniform") }),
    ])
    .default({ type: "zipf", exponent: 1.1 }),
  /** Share of requests without a user key. */
  anonymous: z.number().min(0).max(1).default(0),
  prefix: z.string().default("user-"),
});

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/; // RFC 9110 §5.6.2: method and field names
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/; // not allowed in a field value (RFC 9110 §5.5); HTAB is
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;
// uri-host (RFC 3986 §3.2.2): an IP literal or a reg-name, then an optional port.
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+)(?::(\d{1,5}))?$/;

/** The instants an RFC 3339 time (a four-digit year, in UTC) can name. */
export const FIRST_TIME_MS = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z
export const LAST_TIME_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

/**
 * Epoch milliseconds of an RFC 3339 time with its offset (fraction cut to milliseconds); NaN for
 * anything else: no local-time guess, and no rolling over as Date.parse does (Feb 30, 24:00).
 */
export function parseRfc3339(text: string): number {
  const m = RFC3339.exec(text);
  if (!m) return Number.NaN;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000 + 1e-9) : 0;
  const offH = m[9] ? Number(m[9]) : 0;
  const offM = m[10] ? Number(m[10]) : 0;
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 59 || offH > 23 || offM > 59) return Number.NaN;
  const day = new Date(Date.UTC(2000, mo - 1, d));
  if (d < 1 || day.getUTCMonth() !== mo - 1 || (mo === 2 && d === 29 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)))) return Number.NaN;
  const utc = new Date(0);
  utc.setUTCFullYear(y, mo - 1, d); // Date.UTC maps years 0..99 to 1900..1999
  utc.setUTCHours(h, mi, sec, ms);
  return utc.getTime() - (m[8] === "-" ? -1 : 1) * (offH * 60 + offM) * 60_000;
}

export const SynthProfileSchema = z
  .strictObject({
    /** Entry point and host for classes that do not set their own. */
    defaults: z.strictObject(EntryPoint).default({}),
    /** Time of the first arrival window: RFC 3339 with Z or an offset (a time without one would depend on the machine's zone). */
    start: z
      .string()
      .refine((s) => Number.isFinite(parseRfc3339(s)), "expected an RFC 3339 time with Z or an offset, e.g. 2026-01-01T00:00:00Z")
      .refine((s) => !(parseRfc3339(s) < FIRST_TIME_MS || parseRfc3339(s) > LAST_TIME_MS), "must lie in years 0000 to 9999 UTC")
      .default("2026-01-01T00:00:00Z"),
    /** Mean arrival rate in requests per second, over a day. */
    rate: z.number().positive().default(10),
    /** Relative rate for each hour 0..23 (UTC, or local in `timeZone`): a daily shape; flat when absent. */
    daily: z.array(z.number().nonnegative()).length(24).optional(),
    /** An IANA time zone whose local hours `daily` follows (DST included); UTC hours when absent. */
    timeZone: z.string().optional(),
    users: UsersSchema.optional(),
    classes: z.array(RequestClassSchema).min(1),
  })
  .superRefine((p, ctx) => {
    const problem = (path: (string | number)[], message: string): void => void ctx.addIssue({ code: "custom", path, message });
    // A problem with a map key itself (a header name, a method) is reported at the key, not its value.
    const keyProblem = (path: (string | number)[], message: string): void => void ctx.addIssue({ code: "custom", path, message, params: { at: "key" } });
    if (p.daily && p.daily.every((x) => x === 0)) problem(["daily"], "every hour has rate 0");
    if (p.timeZone !== undefined && !isTimeZone(p.timeZone)) problem(["timeZone"], `unknown time zone ${JSON.stringify(p.timeZone)}: expected an IANA name such as Europe/Berlin or UTC`);
    else if (p.timeZone !== undefined && !p.daily) problem(["timeZone"], "a time zone places the daily shape's hours: set daily too");
    if (p.classes.length > 0 && p.classes.every((c) => c.share === 0)) problem(["classes"], "every class has share 0");
    if (p.users && !/^[\x21-\x7e]*$/.test(p.users.prefix)) problem(["users", "prefix"], "must be visible ASCII without spaces");
    const template = (text: string, path: (string | number)[]): Template | null => {
      const t = parseTemplate(text);
      if (!t.ok) return problem(path, t.message), null;
      if (!p.users && t.template.some((x) => x.kind === "user")) return problem(path, "{user} needs a users section"), null;
      return t.template;
    };
    const headerValue = (parts: Template, path: (string | number)[], report = problem): void => {
      for (const s of templateLiterals(parts))
        if (CONTROL.test(s)) return report(path, "control characters are not allowed in a header value (RFC 9110 §5.5)");
      // What can come first (or last): a part that may render empty ({user} when anonymous, an
      // empty option or text) lets the next one be the edge too.
      const edge = (ordered: Template, test: (s: string) => boolean): boolean => {
        for (const part of ordered) {
          const texts = part.kind === "text" ? [part.text] : part.kind === "choice" ? part.options : part.kind === "user" ? [""] : [];
          if (texts.some((t) => t !== "" && test(t))) return true;
          if (!texts.includes("") && !(part.kind === "text" && part.text === "")) return false;
        }
        return false;
      };
      if (edge(parts, (s) => /^[ \t]/.test(s)) || edge([...parts].reverse(), (s) => /[ \t]$/.test(s)))
        report(path, "a header value cannot start or end with a space or tab (RFC 9110 §5.5)");
    };
    const entryPoint = (e: Partial<Record<keyof typeof EntryPoint, unknown>>, at: (string | number)[]): void => {
      for (const k of ["gateway", "service"] as const)
        if (typeof e[k] === "string" && !NS_NAME.test(e[k])) problem([...at, k], "expected namespace/name (a DNS label, a slash, a DNS subdomain)");
      if (typeof e.from === "string" && !DNS_LABEL.test(e.from)) problem([...at, "from"], "expected a namespace (a DNS label)");
      if (typeof e.address === "string" && isIP(e.address) === 0) problem([...at, "address"], "expected an IP address");
      if (typeof e.host === "string" && /[{}]/.test(e.host)) {
        const t = template(e.host, [...at, "host"]);
        const problemText = t && hostTemplateProblem(t);
        if (problemText) problem([...at, "host"], problemText);
      } else if (typeof e.host === "string") {
        const m = HOST.exec(e.host);
        if (!m) problem([...at, "host"], "expected a host name or IP, with an optional :port (RFC 9110 §7.2 Host)");
        else if (m[1] !== undefined && Number(m[1]) > 65535) problem([...at, "host"], "port above 65535");
      }
    };
    entryPoint(p.defaults, ["defaults"]);
    p.classes.forEach((c, i) => {
      const at = ["classes", i];
      entryPoint(c, at);
      if (!(c.gateway ?? c.service ?? c.address ?? p.defaults.gateway ?? p.defaults.service ?? p.defaults.address)) {
        problem(at, "no entry point: set gateway, service or address here or in defaults");
      }
      if (c.grpc) {
        // A gRPC call is POST /service/method over HTTP/2 (PROTOCOL-HTTP2.md): method, path and a query do not apply.
        for (const k of ["method", "path"] as const) if (c[k] !== undefined) keyProblem([...at, k], `a gRPC class cannot set ${k} (grpc names the call: POST /service/method)`);
        if (Object.keys(c.query).length > 0) keyProblem([...at, "query"], "a gRPC class cannot set query (gRPC calls carry none)");
        const protocol = c.protocol ?? p.defaults.protocol;
        if (protocol === "HTTP/1.1" || protocol === "websocket") problem([...at, c.protocol ? "protocol" : "grpc"], `gRPC needs HTTP/2 or h2c, not ${protocol}${c.protocol ? "" : " (from defaults)"}`);
        // A stream scheme carries no HTTP request at all, so a gRPC call cannot ride on it.
        const scheme = c.scheme ?? p.defaults.scheme;
        if (scheme === "tcp" || scheme === "udp" || scheme === "tls") problem([...at, c.scheme ? "scheme" : "grpc"], `gRPC needs scheme http or https, not ${scheme}${c.scheme ? "" : " (from defaults)"}`);
        for (const k of ["service", "method"] as const) {
          const t = template(c.grpc[k], [...at, "grpc", k]);
          const why = t && grpcNameProblem(t, k);
          if (why) problem([...at, "grpc", k], why);
        }
      }
      const path = template(c.path ?? "/", [...at, "path"]);
      if (path) {
        const first = path[0];
        const rooted = first?.kind === "text" ? first.text.startsWith("/") : first?.kind === "choice" && first.options.every((o) => o.startsWith("/"));
        const literal = path.flatMap((x) => (x.kind === "text" ? [literalPathProblem(x.text)] : [])).find((x) => x !== null);
        if (!rooted) problem([...at, "path"], 'must start with "/"');
        else if (literal) problem([...at, "path"], literal);
      }
      for (const kind of ["query", "headers"] as const) {
        const seen = new Map<string, string>();
        for (const [name, spec] of Object.entries(c[kind])) {
          const where = [...at, kind, name];
          if (kind === "query" && name === "") keyProblem(where, "a query parameter needs a name");
          if (kind === "headers") {
            if (!TOKEN.test(name)) keyProblem(where, "not a valid header name (RFC 9110 §5.1: letters, digits and !#$%&'*+-.^_`|~)");
            else if (name.toLowerCase() === "host") keyProblem(where, "set the class's host instead of a Host header");
            const lower = name.toLowerCase();
            if (seen.has(lower)) keyProblem(where, `the same header as ${JSON.stringify(seen.get(lower))} (names are case-insensitive)`);
            seen.set(lower, name);
          }
          if (typeof spec === "string") {
            const t = template(spec, where);
            if (t && kind === "headers") headerValue(t, where);
          } else if ((spec.value === undefined) === (spec.values === undefined)) {
            problem(where, "set exactly one of value and values");
          } else if (spec.value !== undefined) {
            const t = template(spec.value, [...where, "value"]);
            if (t && kind === "headers") headerValue(t, [...where, "value"]);
          } else if (Object.values(spec.values!).every((w) => w === 0)) {
            problem([...where, "values"], "every value has weight 0");
          } else if (kind === "headers") {
            for (const v of Object.keys(spec.values!)) headerValue([{ kind: "text", text: v }], [...where, "values", v], keyProblem);
          }
        }
      }
      if (typeof c.method === "string") {
        if (!TOKEN.test(c.method)) problem([...at, "method"], "not a valid method (RFC 9110 §9.1: a token)");
      } else if (c.method) {
        if (Object.values(c.method).every((w) => w === 0)) problem([...at, "method"], "every method has weight 0");
        for (const m of Object.keys(c.method)) if (!TOKEN.test(m)) keyProblem([...at, "method", m], "not a valid method (RFC 9110 §9.1: a token)");
      }
    });
  });

export type SynthProfile = z.infer<typeof SynthProfileSchema>;

export type ProfileResult = { ok: true; profile: SynthProfile; diagnostics: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

const KNOWN_KEYS = [
  ...new Set([
    ...["defaults", "start", "rate", "daily", "timeZone", "users", "classes"],
    ...Object.keys(EntryPoint),
    ...["name", "share", "method", "path", "grpc", "query", "headers", "probability", "value", "values"],
    ...["count", "distribution", "anonymous", "prefix", "type", "exponent", "alpha"],
  ]),
];

/** The profile field a misspelt key most likely meant (at most 2 edits away, or the same up to case). */
function nearestKey(key: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of KNOWN_KEYS) {
    const d = k.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

function pathText(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? String(p) : `.${String(p)}`;
  return out;
}

/** Parse a profile's YAML (or JSON) text; problems come back as diagnostics with lines and columns. */
export function parseSynthProfile(text: string, file = "<profile>"): ProfileResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): { line: number; column: number } => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const diag = (code: string, offset: number, path: string, message: string): Diagnostic => ({
    code,
    severity: "error",
    file,
    ...at(offset),
    path,
    message,
  });
  if (doc.errors.length > 0) {
    return { ok: false, diagnostics: doc.errors.map((e) => diag("synth.yaml", e.pos[0], "", e.message.split("\n")[0]!)) };
  }
  const parsed = SynthProfileSchema.safeParse(doc.toJS() ?? {});
  if (parsed.success) return { ok: true, profile: parsed.data, diagnostics: [] };
  const offsetOf = (path: readonly PropertyKey[]): number => {
    // The nearest node that exists (a missing field points at its parent).
    let p = [...path];
    let node: unknown;
    while (!(node = doc.getIn(p as unknown[], true)) && p.length > 0) p = p.slice(0, -1);
    return (node as YamlNode | undefined)?.range?.[0] ?? 0;
  };
  const keyOffset = (mapPath: readonly PropertyKey[], key: PropertyKey): number => {
    const map = doc.getIn(mapPath as unknown[], true);
    const pair = isMap(map) ? map.items.find((it) => isScalar(it.key) && it.key.value === key) : undefined;
    return (isScalar(pair?.key) ? pair.key.range?.[0] : undefined) ?? offsetOf([...mapPath, key]);
  };
  const diagnostics = parsed.error.issues.flatMap((issue) => {
    if (issue.code === "custom" && (issue.params as { at?: string } | undefined)?.at === "key") {
      return [diag("synth.profile", keyOffset(issue.path.slice(0, -1), issue.path.at(-1)!), pathText(issue.path), issue.message)];
    }
    if (issue.code === "unrecognized_keys") {
      // One diagnostic per unknown key, at the key itself: a typo must not pass silently.
      return issue.keys.map((key) => {
        const offset = keyOffset(issue.path, key);
        const near = nearestKey(key);
        // A key valid elsewhere (alpha under zipf) is out of place, not misspelt.
        const message = KNOWN_KEYS.includes(key)
          ? `field ${JSON.stringify(key)} does not belong here`
          : `unknown field ${JSON.stringify(key)}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ""}`;
        return diag("synth.profile", offset, pathText([...issue.path, key]), message);
      });
    }
    const missing = issue.code === "invalid_type" && doc.getIn(issue.path as unknown[]) === undefined;
    return [diag("synth.profile", offsetOf(issue.path), pathText(issue.path), missing ? `required (${issue.message})` : issue.message)];
  });
  return { ok: false, diagnostics };
}
