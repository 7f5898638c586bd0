/**
 * Value templates for synthetic requests: literal text with random segments.
 *   {int:1-5000}       a uniform integer, bounds included
 *   {uuid}             a version-4 UUID
 *   {hex:16}           16 hex digits
 *   {alnum:8}          8 letters or digits
 *   {choice:a|b|c*3}   one of the options; `*N` weights an option (default 1)
 *   {user}             the request's user key (empty for anonymous requests)
 */
export type TemplatePart =
  | { kind: "text"; text: string }
  | { kind: "int"; min: number; max: number }
  | { kind: "uuid" }
  | { kind: "hex"; length: number }
  | { kind: "alnum"; length: number }
  | { kind: "choice"; options: string[]; weights: number[]; total: number }
  | { kind: "user" };

export type Template = TemplatePart[];

export type TemplateResult = { ok: true; template: Template } | { ok: false; message: string };

const PLACEHOLDER = /\{([^{}]*)\}/g;

function parsePlaceholder(body: string): TemplatePart | string {
  const colon = body.indexOf(":");
  const name = colon < 0 ? body : body.slice(0, colon);
  const arg = colon < 0 ? "" : body.slice(colon + 1);
  switch (name) {
    case "uuid":
      return { kind: "uuid" };
    case "user":
      return { kind: "user" };
    case "int": {
      const m = /^(-?\d+)-(-?\d+)$/.exec(arg);
      if (!m) return `{int:${arg}}: expected {int:MIN-MAX}`;
      const min = Number(m[1]);
      const max = Number(m[2]);
      if (min > max) return `{int:${arg}}: MIN is above MAX`;
      if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max)) return `{int:${arg}}: bounds out of range`;
      return { kind: "int", min, max };
    }
    case "hex":
    case "alnum": {
      const length = Number(arg);
      if (!/^\d+$/.test(arg) || length < 1 || length > 256) return `{${name}:${arg}}: expected a length from 1 to 256`;
      return { kind: name, length };
    }
    case "choice": {
      const options: string[] = [];
      const weights: number[] = [];
      for (const opt of arg.split("|")) {
        const m = /^(.*)\*(\d+(?:\.\d+)?)$/.exec(opt);
        options.push(m ? m[1]! : opt);
        weights.push(m ? Number(m[2]) : 1);
      }
      const total = weights.reduce((a, b) => a + b, 0);
      if (total <= 0) return `{choice:${arg}}: every option has weight 0`;
      return { kind: "choice", options, weights, total };
    }
    default:
      return `{${body}}: unknown placeholder (int, uuid, hex, alnum, choice, user)`;
  }
}

export function parseTemplate(text: string): TemplateResult {
  const template: Template = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (m.index! > last) template.push({ kind: "text", text: text.slice(last, m.index) });
    const part = parsePlaceholder(m[1]!);
    if (typeof part === "string") return { ok: false, message: part };
    template.push(part);
    last = m.index! + m[0].length;
  }
  if (last < text.length) template.push({ kind: "text", text: text.slice(last) });
  return { ok: true, template };
}

const HEX = "0123456789abcdef";
const ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";

function chars(alphabet: string, length: number, rng: () => number): string {
  let s = "";
  for (let i = 0; i < length; i++) s += alphabet[Math.floor(rng() * alphabet.length)];
  return s;
}

function uuid(rng: () => number): string {
  const h = chars(HEX, 32, rng).split("");
  h[12] = "4";
  h[16] = HEX[8 + Math.floor(rng() * 4)]!;
  const s = h.join("");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** Fill a template; draws from `rng` in template order (part of the byte-for-byte contract). */
export function renderTemplate(template: Template, rng: () => number, user: string | undefined): string {
  let out = "";
  for (const p of template) {
    switch (p.kind) {
      case "text":
        out += p.text;
        break;
      case "int":
        out += String(p.min + Math.floor(rng() * (p.max - p.min + 1)));
        break;
      case "uuid":
        out += uuid(rng);
        break;
      case "hex":
        out += chars(HEX, p.length, rng);
        break;
      case "alnum":
        out += chars(ALNUM, p.length, rng);
        break;
      case "choice": {
        let target = rng() * p.total;
        let i = 0;
        while (i < p.options.length - 1 && target >= p.weights[i]!) target -= p.weights[i++]!;
        out += p.options[i];
        break;
      }
      case "user":
        out += user ?? "";
        break;
    }
  }
  return out;
}
