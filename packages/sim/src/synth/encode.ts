/**
 * Percent-encoding for values a template draws ({choice} options, {user}): they are data, so every
 * byte outside the set a URI allows there is encoded (RFC 3986 §2.1, UTF-8), `%` included.
 */

// pchar (RFC 3986 §3.3) plus "/": a {choice:/a|/b/c} value may span segments.
const PATH_SAFE = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;
const PATH_BYTE = new Set([..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/"].map((c) => c.charCodeAt(0)));
// A query value or name: what encodeURIComponent leaves, so `&`, `=`, `+` and `#` are encoded.
const QUERY_SAFE = /^[A-Za-z0-9\-._~!'()*]*$/;
const QUERY_BYTE = new Set([..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!'()*"].map((c) => c.charCodeAt(0)));

const encoder = new TextEncoder();

function encodeBytes(value: string, safe: ReadonlySet<number>): string {
  let out = "";
  // TextEncoder turns a lone surrogate into U+FFFD instead of throwing as encodeURIComponent does.
  for (const b of encoder.encode(value)) out += safe.has(b) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  return out;
}

export function encodePathValue(value: string): string {
  return PATH_SAFE.test(value) ? value : encodeBytes(value, PATH_BYTE);
}

export function encodeQueryValue(value: string): string {
  return QUERY_SAFE.test(value) ? value : encodeBytes(value, QUERY_BYTE);
}

/** A placeholder's value in a path template: path rules before the first literal `?`, query rules after. */
export function encodeInPath(value: string, afterQuery: boolean): string {
  return afterQuery ? encodeQueryValue(value) : encodePathValue(value);
}

/** Characters a path template's literal text may hold as written: pchar, "/", "?" and %XX escapes. */
export function literalPathProblem(text: string): string | null {
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "%") {
      if (!/^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) return `"%" must start a %XX escape (write %25 for a literal %)`;
      i += 2;
      continue;
    }
    if (c === "#") return `"#" starts a fragment, which is never sent (write %23)`;
    if (!PATH_BYTE.has(c.charCodeAt(0)) && c !== "?") {
      return `${JSON.stringify(c)} is not allowed in a request target as written (percent-encode it, or draw it with {choice:...}, whose values are encoded)`;
    }
  }
  return null;
}
