/**
 * The Host of a request, checked before routing. RFC 9112 §3.2: a server MUST answer 400 to an
 * HTTP/1.1 request with more than one Host line or an invalid one. RFC 9113 §8.3.1: an HTTP/2
 * request whose `host` names another origin than its `:authority` is malformed. Whether a host is
 * valid is the core's reading (splitHostPort, what decide reads the Host with), so serve refuses
 * exactly the hosts `gwsim route` answers 400 BadRequest, and never decides them.
 */
import { splitHostPort } from "@gwsim/core";
import { absoluteTarget } from "./request.js";

/** Why the request's Host / :authority must be answered 400, or null when the core may judge it. */
export function hostRefusal(rawHeaders: readonly string[], h2: boolean, scheme: "http" | "https", target?: string): string | null {
  let authority: string | undefined;
  let host: string | undefined;
  let hosts = 0;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name === ":authority") authority = rawHeaders[i + 1];
    else if (name.length === 4 && name.toLowerCase() === "host") {
      hosts++;
      host ??= rawHeaders[i + 1];
    }
  }
  // A field that is not a list is sent once (RFC 9110 §5.3); HTTP/1.1 makes it a MUST-400.
  if (hosts > 1) return `more than one Host header (${h2 ? "RFC 9110 §5.3" : "RFC 9112 §3.2"})`;
  const rfc = h2 ? "RFC 9113 §8.3.1" : "RFC 9112 §3.2";
  // An absolute-form target's authority is what the request is routed by (RFC 9112 §3.2.2), so it
  // is checked as a Host would be; the Host field beside it still must be one valid line.
  const absolute = h2 ? null : absoluteTarget(target);
  if (absolute) {
    const fromTarget = splitHostPort(absolute.authority);
    if (!fromTarget.ok) return `${fromTarget.reason ?? "invalid authority"} in the request target (RFC 9112 §3.2.2)`;
  }
  const fromAuthority = authority === undefined ? null : splitHostPort(authority);
  if (fromAuthority && !fromAuthority.ok) return `${fromAuthority.reason ?? "invalid :authority"} (${rfc})`;
  const fromHost = host === undefined ? null : splitHostPort(host);
  if (fromHost && !fromHost.ok) return `${fromHost.reason ?? "invalid host"} (${rfc})`;
  if (fromAuthority && fromHost) {
    // Compared as RFC 3986 §6.2.3 normalizes: host case-insensitive, no port = the scheme's.
    const standard = scheme === "https" ? 443 : 80;
    if (fromAuthority.host !== fromHost.host || (fromAuthority.port ?? standard) !== (fromHost.port ?? standard)) {
      return `host ${JSON.stringify(host)} and :authority ${JSON.stringify(authority)} differ (RFC 9113 §8.3.1)`;
    }
  }
  return null;
}
