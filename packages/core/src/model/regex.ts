/**
 * The RegularExpression dialect gwsim accepts (the spec leaves it implementation-specific).
 *
 * Choice: the portable subset of RE2 and ECMAScript. A pattern must compile as an ECMAScript
 * RegExp with the `u` flag, and must not use lookaround or backreferences (RE2, which Envoy-
 * and most Gateway data planes use, rejects them). Matching is a full match of the whole value,
 * as Envoy's safe_regex does, so `/api/.*` does not match `/x/api/y`.
 */
export type RegexCheck = { ok: true; regex: RegExp } | { ok: false; message: string };

const NON_PORTABLE: [RegExp, string][] = [
  [/\(\?<?[=!]/, "lookaround assertions are not supported by RE2"],
  [/\\[1-9]|\\k</, "backreferences are not supported by RE2"],
];

const cache = new Map<string, RegexCheck>();

export function compileRegex(pattern: string): RegexCheck {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let result: RegexCheck;
  const nonPortable = NON_PORTABLE.find(([re]) => re.test(pattern));
  if (nonPortable) {
    result = { ok: false, message: `invalid regular expression ${JSON.stringify(pattern)}: ${nonPortable[1]}` };
  } else {
    try {
      result = { ok: true, regex: new RegExp(`^(?:${pattern})$`, "u") };
    } catch (e) {
      result = { ok: false, message: `invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}` };
    }
  }
  if (cache.size > 10_000) cache.clear();
  cache.set(pattern, result);
  return result;
}
