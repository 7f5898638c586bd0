/**
 * The string formats of the Gateway API (apis/v1/shared_types.go kubebuilder markers) and of
 * Kubernetes itself (apimachinery validation). Written as JavaScript regexes that accept exactly
 * the same strings as the Go/OpenAPI patterns they stand for.
 */

const LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const SUBDOMAIN = `${LABEL}(\\.${LABEL})*`;

/** Hostname: optional leading `*.` wildcard label, then an RFC 1123 subdomain. */
export const HOSTNAME = new RegExp(`^(\\*\\.)?${SUBDOMAIN}$`);
/** PreciseHostname: no wildcard. */
export const PRECISE_HOSTNAME = new RegExp(`^${SUBDOMAIN}$`);
/** SectionName, listener names, rule names: an RFC 1123 subdomain. */
export const SECTION_NAME = PRECISE_HOSTNAME;
/** Group: empty (core) or an RFC 1123 subdomain. */
export const GROUP = new RegExp(`^$|^${SUBDOMAIN}$`);
export const KIND = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
/** Namespace: an RFC 1123 label. */
export const NAMESPACE = new RegExp(`^${LABEL}$`);
/** GatewayController: `domain/path`. */
export const CONTROLLER_NAME = new RegExp(`^${SUBDOMAIN}\\/[A-Za-z0-9\\/\\-._~%!$&'()*+,;=:]+$`);
/** HTTPHeaderName / HeaderName (RFC 7230 token). */
export const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
/** Header values: visible ASCII, single spaces or tabs inside (experimental channel only). */
export const HEADER_VALUE = /^[!-~]+([\t ]?[!-~]+)*$/;
/** Duration (GEP-2257): up to four `<1-5 digits><unit>` groups. */
export const DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
/** Listener protocol: a token, or a domain-prefixed name. */
export const PROTOCOL = new RegExp(`^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|${SUBDOMAIN}\\/[A-Za-z0-9]+$`);
/** AddressType: a core type or a domain-prefixed one. */
export const ADDRESS_TYPE = new RegExp(`^Hostname|IPAddress|NamedAddress|${SUBDOMAIN}\\/[A-Za-z0-9\\/\\-._~%!$&'()*+,;=:]+$`);
/** HTTP path characters allowed in Exact/PathPrefix matches and in ExternalAuth paths. */
export const HTTP_PATH = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$/;
/** CORS origin: `*`, or scheme://host[:port] with an optional wildcard first label. */
export const CORS_ORIGIN = /(^\*$)|(^(http(s)?):\/\/(((\*\.)?([a-zA-Z0-9\-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)$)/;
/** gRPC service name (case-insensitive in the CRD's `(?i)`). */
export const GRPC_SERVICE = /^\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$/i;
export const GRPC_METHOD = /^[A-Za-z_][A-Za-z_0-9]*$/;
/** BackendTLSPolicy subjectAltNames URI (RFC 3986 shape with a scheme and an authority). */
export const SAN_URI = /^(([^:/?#]+):)(\/\/([^/?#]*))([^?#]*)(\?([^#]*))?(#(.*))?/;
/** wellKnownCACertificates: `System`, or a domain-prefixed implementation-specific name. */
export const WELL_KNOWN_CA = new RegExp(`^(System|(${SUBDOMAIN}/([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]))$`);

// ---- Kubernetes apimachinery ----

export const DNS1123_LABEL = NAMESPACE;
export const DNS1123_SUBDOMAIN = PRECISE_HOSTNAME;
export const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** Label/annotation key: optional DNS subdomain prefix, then a name of up to 63 characters. */
export const QUALIFIED_NAME = new RegExp(`^(${SUBDOMAIN}/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$`);
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** IANA service name, as a Service targetPort or an EndpointSlice port name may be. */
export const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]?[a-z0-9])*$/;
/** Keys of ConfigMap and Secret data. */
export const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
export const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function isIPv4(s: string): boolean {
  const parts = s.split(".");
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

/** RFC 4291 text form, with `::` compression and an optional dotted IPv4 tail; no zone. */
export function isIPv6(s: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(s)) return false;
  let text = s;
  if (s.includes(".")) {
    // An IPv4 tail stands for the last two groups.
    const lastColon = s.lastIndexOf(":");
    if (lastColon < 0 || !isIPv4(s.slice(lastColon + 1))) return false;
    text = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const hex = /^[0-9A-Fa-f]{1,4}$/;
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const halves = text.split("::");
  if (halves.length > 2) return false;
  if (halves.length === 2) {
    const all = [...groups(halves[0]!), ...groups(halves[1]!)];
    return all.length <= 7 && all.every((g) => hex.test(g));
  }
  const all = groups(text);
  return all.length === 8 && all.every((g) => hex.test(g));
}

export function isIP(s: string): boolean {
  return isIPv4(s) || isIPv6(s);
}
