/** The `gwsim synth --profile` file: what traffic to make up, and its zod schema. */
import { LineCounter, parseDocument, type Node as YamlNode } from "yaml";
import { z } from "zod";
import type { Diagnostic } from "@gwsim/core";
import { parseTemplate } from "./template.js";

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
]);
export type ValueSpec = z.infer<typeof ValueSpecSchema>;

const EntryPoint = {
  gateway: z.string().regex(/^[^/]+\/[^/]+$/, "expected namespace/name").optional(),
  service: z.string().regex(/^[^/]+\/[^/]+$/, "expected namespace/name").optional(),
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
  /** A method, or methods with relative weights. */
  method: z.union([z.string(), z.record(z.string(), z.number().nonnegative())]).default("GET"),
  /** Path template, e.g. `/items/{int:1-5000}`; may carry a fixed query. */
  path: z.string().default("/"),
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

export const SynthProfileSchema = z
  .strictObject({
    /** Entry point and host for classes that do not set their own. */
    defaults: z.strictObject(EntryPoint).default({}),
    /** Time of the first arrival window (RFC 3339). */
    start: z
      .string()
      .refine((s) => Number.isFinite(Date.parse(s)), "expected an RFC 3339 time")
      .default("2026-01-01T00:00:00Z"),
    /** Mean arrival rate in requests per second, over a day. */
    rate: z.number().positive().default(10),
    /** Relative rate for each UTC hour 0..23 (a daily shape); flat when absent. */
    daily: z.array(z.number().nonnegative()).length(24).optional(),
    users: UsersSchema.optional(),
    classes: z.array(RequestClassSchema).min(1),
  })
  .superRefine((p, ctx) => {
    if (p.daily && p.daily.every((x) => x === 0)) ctx.addIssue({ code: "custom", path: ["daily"], message: "every hour has rate 0" });
    if (p.classes.every((c) => c.share === 0)) ctx.addIssue({ code: "custom", path: ["classes"], message: "every class has share 0" });
    const check = (text: string, path: (string | number)[]): void => {
      const t = parseTemplate(text);
      if (!t.ok) ctx.addIssue({ code: "custom", path, message: t.message });
    };
    p.classes.forEach((c, i) => {
      if (!(c.gateway ?? c.service ?? c.address ?? p.defaults.gateway ?? p.defaults.service ?? p.defaults.address)) {
        ctx.addIssue({ code: "custom", path: ["classes", i], message: "no entry point: set gateway, service or address here or in defaults" });
      }
      check(c.path, ["classes", i, "path"]);
      for (const kind of ["query", "headers"] as const) {
        for (const [name, spec] of Object.entries(c[kind])) {
          if (typeof spec === "string") check(spec, ["classes", i, kind, name]);
          else if ((spec.value === undefined) === (spec.values === undefined)) {
            ctx.addIssue({ code: "custom", path: ["classes", i, kind, name], message: "set exactly one of value and values" });
          } else if (spec.value !== undefined) check(spec.value, ["classes", i, kind, name, "value"]);
          else if (Object.values(spec.values!).every((w) => w === 0)) {
            ctx.addIssue({ code: "custom", path: ["classes", i, kind, name, "values"], message: "every value has weight 0" });
          }
        }
      }
      if (typeof c.method !== "string" && Object.values(c.method).every((w) => w === 0)) {
        ctx.addIssue({ code: "custom", path: ["classes", i, "method"], message: "every method has weight 0" });
      }
    });
  });

export type SynthProfile = z.infer<typeof SynthProfileSchema>;

export type ProfileResult = { ok: true; profile: SynthProfile; diagnostics: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

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
  const diagnostics = parsed.error.issues.map((issue) => {
    // The nearest node that exists (a missing field points at its parent).
    let path = [...issue.path];
    let node: unknown;
    while (!(node = doc.getIn(path as unknown[], true)) && path.length > 0) path = path.slice(0, -1);
    const offset = (node as YamlNode | undefined)?.range?.[0] ?? 0;
    return diag("synth.profile", offset, pathText(issue.path), issue.message);
  });
  return { ok: false, diagnostics };
}
