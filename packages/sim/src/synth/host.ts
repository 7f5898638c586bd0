/**
 * Host and gRPC name templates: what their literal text and {choice} options may hold, so that
 * any accepted template renders a valid value (checked when the profile is read, never at draw time).
 */
import type { Template, TemplatePart } from "./template.js";

// A reg-name as DNS uses it (RFC 3986 §3.2.2, RFC 1123): letters, digits, "-" and ".". Percent
// escapes and sub-delims are legal in a reg-name but not in a DNS name, so they are refused.
const HOST_TEXT = /^[A-Za-z0-9.-]*$/;
const PORT_SUFFIX = /:(\d{1,5})$/;

const texts = (p: TemplatePart): string[] => (p.kind === "text" ? [p.text] : p.kind === "choice" ? p.options : []);
const mayBeEmpty = (p: TemplatePart): boolean => p.kind !== "int" && p.kind !== "uuid" && p.kind !== "hex" && p.kind !== "alnum" && texts(p).includes("");

/** A templated host, split into its name template and an optional literal port (`tenant-{int:1-9}.x:8443`). */
function splitPort(t: Template): { name: Template; port: string | null } {
  const last = t.at(-1);
  const m = last?.kind === "text" ? PORT_SUFFIX.exec(last.text) : null;
  if (!m || last?.kind !== "text") return { name: t, port: null };
  const rest = last.text.slice(0, m.index);
  return { name: [...t.slice(0, -1), ...(rest ? [{ kind: "text" as const, text: rest }] : [])], port: m[1]! };
}

/** Why a host template can render something that is not a host name with an optional port; null when it cannot. */
export function hostTemplateProblem(t: Template): string | null {
  const { name, port } = splitPort(t);
  if (port !== null && Number(port) > 65535) return "port above 65535";
  for (const p of name) {
    if (p.kind === "user") return "{user} cannot be part of a host (user keys may hold any visible character, and anonymous requests have none)";
    for (const s of texts(p)) {
      if (s.includes(":")) return "a port must be literal digits at the end of the host (e.g. :8443)";
      if (!HOST_TEXT.test(s)) return `${JSON.stringify(s)} cannot be part of a host name (letters, digits, "-" and "." only)`;
    }
  }
  if (name.every(mayBeEmpty) || name.length === 0) return "may render an empty host name";
  return null;
}

/** Hosts are case-insensitive and sent lower-case (RFC 3986 §3.2.2): literal text and options are folded once. */
export function lowerHostTemplate(t: Template): Template {
  return t.map((p) => (p.kind === "text" ? { ...p, text: p.text.toLowerCase() } : p.kind === "choice" ? { ...p, options: p.options.map((o) => o.toLowerCase()) } : p));
}

// gRPC names as GRPCMethodMatch validates them (apis/v1/grpcroute_types.go): a service is dotted
// identifiers (package.Service), a method one identifier.
const GRPC_NAME = {
  service: { re: /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/, what: "dotted identifiers (pkg.v1.Service)" },
  method: { re: /^[A-Za-z_][A-Za-z0-9_]*$/, what: "an identifier (letters, digits, _; not starting with a digit)" },
};
const MAX_RENDERINGS = 4096;

/**
 * Renderings of one part that stand for all of it. Literal text and {choice} options stand for
 * themselves. An {int} renders a digit run, or "-" and a digit run when MIN < 0; both name rules
 * treat every digit alike and accept a run of one digit wherever they accept a longer one (digits
 * sit only in the repeated [A-Za-z0-9_]*), so one non-negative value and one negative value of
 * the range decide for the whole range, however wide: the check is exact without enumerating it.
 */
function representatives(p: TemplatePart): string[] | null {
  if (p.kind === "text" || p.kind === "choice") return texts(p);
  if (p.kind !== "int") return null;
  const out: string[] = [];
  if (p.max >= 0) out.push(String(Math.max(p.min, 0)));
  if (p.min < 0) out.push(String(p.min));
  return out;
}

/**
 * Why a grpc.service or grpc.method template can render an invalid name; null when it cannot.
 * Literal text, {int} and {choice} are allowed; every combination of options and {int}
 * representatives is checked (at most 4096), which covers every name the template can render.
 */
export function grpcNameProblem(t: Template, field: "service" | "method"): string | null {
  let renderings = [""];
  for (const p of t) {
    const options = representatives(p);
    if (options === null) return `only literal text, {int:...} and {choice:...} can make a gRPC ${field} name`;
    const next = new Set<string>();
    for (const r of renderings) for (const s of options) next.add(r + s);
    if (next.size > MAX_RENDERINGS) return `more than ${MAX_RENDERINGS} combinations to check: list fewer options`;
    renderings = [...next];
  }
  const bad = renderings.find((r) => !GRPC_NAME[field].re.test(r));
  return bad === undefined ? null : `can render ${JSON.stringify(bad)}, not a gRPC ${field} name: expected ${GRPC_NAME[field].what}`;
}
