/**
 * HTTPPathModifier (ReplaceFullPath / ReplacePrefixMatch), shared by URLRewrite and
 * RequestRedirect. The slash rules follow the table in the ReplacePrefixMatch doc comment
 * (apis/v1/httproute_types.go, from GEP-726).
 */
import type { HTTPPathMatch, PathModifier } from "../../resolve/graph.js";
import { normalizePath } from "../normalize.js";

export type PathModification = { ok: true; path: string; note: string } | { ok: false; message: string };

export function modifyPath(path: string, modifier: PathModifier, pathMatch: HTTPPathMatch | null): PathModification {
  if (modifier.type === "ReplaceFullPath") {
    // An empty replacement cannot be sent as a request path; "/" is the empty path (RFC 9110 §4.2.3).
    const full = withLeadingSlash(modifier.replaceFullPath ?? "");
    return { ok: true, path: full, note: `path ${path} → ${full} (ReplaceFullPath)` };
  }
  if (modifier.type === "ReplacePrefixMatch") {
    if (!pathMatch || pathMatch.type !== "PathPrefix") {
      return { ok: false, message: "ReplacePrefixMatch needs a PathPrefix match (the spec rejects any other match type)" };
    }
    const replaced = replacePrefixMatch(path, pathMatch.value, modifier.replacePrefixMatch ?? "");
    if (replaced === null) return { ok: false, message: `path ${path} does not start with the matched prefix ${pathMatch.value}` };
    return { ok: true, path: replaced, note: `path ${path} → ${replaced} (ReplacePrefixMatch ${pathMatch.value} → ${JSON.stringify(modifier.replacePrefixMatch ?? "")})` };
  }
  return { ok: false, message: `unsupported path modifier type ${JSON.stringify(modifier.type)}` };
}

/**
 * Replaces the matched prefix, element-wise. A trailing `/` in the prefix and in the
 * replacement is ignored, so the request's own slash after the prefix is what separates the
 * replacement from the rest: `/foo/bar` with `/foo` → `/xyz/` is `/xyz/bar`, and `/foo/` with
 * `/foo` → `/xyz` is `/xyz/`. An empty result is `/`. Prefix `/` consumes no element: `/a`
 * with `/` → `/xyz` is `/xyz/a`, and `/` itself becomes `/xyz/` (its slash is the trailing
 * one). Returns null when the path does not start with the prefix element-wise.
 */
export function replacePrefixMatch(path: string, prefix: string, replacement: string): string | null {
  const matched = stripTrailingSlashes(normalizePath(prefix).path || prefix);
  if (!hasPathPrefix(path, matched)) return null;
  const rest = path.slice(matched.length); // "" or starts with "/"
  return withLeadingSlash(stripTrailingSlashes(replacement) + rest);
}

/** PathPrefix semantics: `/foo` matches `/foo`, `/foo/` and `/foo/bar`, never `/foobar`. */
export function hasPathPrefix(path: string, prefixWithoutTrailingSlash: string): boolean {
  const p = prefixWithoutTrailingSlash;
  return p === "" || path === p || (path.startsWith(p) && path[p.length] === "/");
}

function stripTrailingSlashes(s: string): string {
  return s.replace(/\/+$/, "");
}

function withLeadingSlash(s: string): string {
  return s.startsWith("/") ? s : "/" + s;
}
