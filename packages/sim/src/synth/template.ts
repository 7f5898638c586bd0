/**
 * Value templates for synthetic requests: literal text with random segments.
 *   {int:1-5000}       a uniform integer, bounds included
 *   {uuid}             a version-4 UUID
 *   {hex:16}           16 hex digits
 *   {alnum:8}          8 lower-case letters or digits
 *   {choice:a|b|c*3}   one of the options; `*N` weights an option (default 1)
 *   {user}             the request's user key (empty for anonymous requests)
 * `{{` and `}}` are literal braces; any other brace outside a placeholder is an error.
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

function noArgument(name: string, arg: string | undefined): string | null {
  return arg === undefined ? null : `{${name}:${arg}}: {${name}} takes no argument`;
}

function parsePlaceholder(body: string): TemplatePart | string {
  const colon = body.indexOf(":");
  const name = colon < 0 ? body : body.slice(0, colon);
  const arg = colon < 0 ? undefined : body.slice(colon + 1);
  switch (name) {
    case "uuid":
    case "user":
      return noArgument(name, arg) ?? { kind: name };
    case "int": {
      const m = /^(-?\d+)-(-?\d+)$/.exec(arg ?? "");
      if (!m) return `{${body}}: expected {int:MIN-MAX}`;
      const min = Number(m[1]);
      const max = Number(m[2]);
      if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max)) return `{${body}}: bounds out of range`;
      if (min > max) return `{${body}}: MIN is above MAX`;
      return { kind: "int", min, max };
    }
    case "hex":
    case "alnum": {
      const length = Number(arg);
      if (arg === undefined || !/^\d+$/.test(arg) || length < 1 || length > 256) return `{${body}}: expected a length from 1 to 256`;
      return { kind: name, length };
    }
    case "choice": {
      if (!arg) return `{${body}}: expected {choice:A|B|...} with at least one option`;
      const options: string[] = [];
      const weights: number[] = [];
      for (const opt of arg.split("|")) {
        const m = /^(.*)\*(\d+(?:\.\d+)?)$/.exec(opt);
        const weight = m ? Number(m[2]) : 1;
        // A zero-weight option can never be drawn, not even through rounding.
        if (weight === 0) continue;
        options.push(m ? m[1]! : opt);
        weights.push(weight);
      }
      const total = weights.reduce((a, b) => a + b, 0);
      if (total <= 0) return `{${body}}: every option has weight 0`;
      return { kind: "choice", options, weights, total };
    }
    default:
      return `{${body}}: unknown placeholder (int, uuid, hex, alnum, choice, user)`;
  }
}

export function parseTemplate(text: string): TemplateResult {
  const template: Template = [];
  let literal = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if ((c === "{" || c === "}") && text[i + 1] === c) {
      literal += c;
      i += 2;
      continue;
    }
    if (c === "}") return { ok: false, message: `unmatched "}" at offset ${i} (write }} for a literal brace)` };
    if (c !== "{") {
      literal += c;
      i++;
      continue;
    }
    const end = text.indexOf("}", i + 1);
    const nested = text.indexOf("{", i + 1);
    if (end < 0 || (nested >= 0 && nested < end)) {
      return { ok: false, message: `unclosed "{" at offset ${i} (write {{ for a literal brace)` };
    }
    const part = parsePlaceholder(text.slice(i + 1, end));
    if (typeof part === "string") return { ok: false, message: part };
    if (literal) template.push({ kind: "text", text: literal });
    literal = "";
    template.push(part);
    i = end + 1;
  }
  if (literal) template.push({ kind: "text", text: literal });
  return { ok: true, template };
}

/** Every string a template's literal parts and choice options can contribute (for validation). */
export function templateLiterals(template: Template): string[] {
  return template.flatMap((p) => (p.kind === "text" ? [p.text] : p.kind === "choice" ? p.options : []));
}

const HEX = "0123456789abcdef";
const ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";
const TWO_32 = 2 ** 32;

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

/** A uniform integer in [min, max]. Alea draws carry 32 bits, so wider spans take a second draw. */
function int(min: number, max: number, rng: () => number): number {
  const span = max - min + 1;
  const u = span <= TWO_32 ? rng() : rng() + rng() / TWO_32;
  return min + Math.min(span - 1, Math.floor(u * span));
}

/**
 * Fill a template; draws from `rng` in template order (part of the byte-for-byte contract).
 * `escape` encodes what a placeholder produces (not the literal text); `afterQuery` tells it
 * whether a literal `?` came before, so a path template's query values are encoded as such.
 */
export function renderTemplate(
  template: Template,
  rng: () => number,
  user: string | undefined,
  escape?: (value: string, afterQuery: boolean) => string,
): string {
  let out = "";
  let afterQuery = false;
  for (const p of template) {
    let value: string;
    switch (p.kind) {
      case "text":
        out += p.text;
        if (!afterQuery && p.text.includes("?")) afterQuery = true;
        continue;
      case "int":
        value = String(int(p.min, p.max, rng));
        break;
      case "uuid":
        value = uuid(rng);
        break;
      case "hex":
        value = chars(HEX, p.length, rng);
        break;
      case "alnum":
        value = chars(ALNUM, p.length, rng);
        break;
      case "choice": {
        let target = rng() * p.total;
        let i = 0;
        while (i < p.options.length - 1 && target >= p.weights[i]!) target -= p.weights[i++]!;
        value = p.options[i]!;
        break;
      }
      case "user":
        value = user ?? "";
        break;
    }
    out += escape ? escape(value, afterQuery) : value;
  }
  return out;
}
