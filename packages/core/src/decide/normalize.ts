/**
 * Path, query and header normalization: the one place where gwsim defines how the gateway
 * sees a request before matching and forwarding. (Work in progress: signatures are final.)
 */

export interface NormalizedPath {
  /** Normalized path, always starting with `/` when ok. */
  path: string;
  /** Raw query string without the leading `?` ("" when none). */
  query: string;
  /** False when the gateway would answer 400 Bad Request. */
  ok: boolean;
  reason?: string;
}

export function normalizePath(pathAndQuery: string): NormalizedPath {
  const q = pathAndQuery.indexOf("?");
  const path = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
  const query = q < 0 ? "" : pathAndQuery.slice(q + 1);
  return path.startsWith("/") ? { path, query, ok: true } : { path, query, ok: false, reason: "path must start with /" };
}

/** Query parameters in the order sent, names and values percent-decoded. */
export type QueryParams = [name: string, value: string][];

export function parseQuery(query: string): QueryParams {
  if (query === "") return [];
  return query.split("&").map((p) => {
    const eq = p.indexOf("=");
    return eq < 0 ? [p, ""] : [p.slice(0, eq), p.slice(eq + 1)];
  });
}

/** The value a query param match compares against, or undefined when absent. */
export function queryValue(params: QueryParams, name: string): string | undefined {
  return params.find(([n]) => n === name)?.[1];
}

/** Request headers with lower-case names; values as sent (one string or several). */
export type Headers = Record<string, string | string[]>;

export function lowerCaseHeaders(headers: Record<string, string | string[]> | undefined): Headers {
  const out: Headers = {};
  for (const [k, v] of Object.entries(headers ?? {})) out[k.toLowerCase()] = v;
  return out;
}

/** The value a header match compares against, or undefined when absent. */
export function headerValue(headers: Headers, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(",") : v;
}
