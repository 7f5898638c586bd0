/** The literal text at either end of a regular expression, for building strings it may match. */

/** Characters of the regex before its first metacharacter (escapes of punctuation unescaped). */
export function literalStart(pattern: string): string {
  let out = "";
  for (let i = pattern.startsWith("^") ? 1 : 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\") {
      const n = pattern[i + 1];
      if (n !== undefined && /[^A-Za-z0-9]/.test(n)) {
        out += n;
        i++;
        continue;
      }
      break;
    }
    if ("^$.*+?()[]{}|".includes(c)) {
      // A quantifier applies to the previous character, which is then not certain.
      if ("*?{".includes(c)) out = out.slice(0, -1);
      break;
    }
    out += c;
  }
  return out;
}

/** The literal characters at the end of a regex (`\.png$` → `.png`). */
export function literalTail(pattern: string): string {
  const p = pattern.endsWith("$") ? pattern.slice(0, -1) : pattern;
  let out = "";
  for (let i = p.length - 1; i >= 0; i--) {
    const c = p[i]!;
    const escaped = i > 0 && p[i - 1] === "\\";
    if (escaped) {
      out = c + out;
      i--;
      continue;
    }
    if ("^$.*+?()[]{}|\\".includes(c)) break;
    out = c + out;
  }
  return out;
}

