/**
 * What `lint` reports: a configuration that is valid but likely wrong, with where it is and
 * how to fix it. Rule ids are stable (tests, SARIF and suppressions key on them); messages are prose.
 */
import type { Severity } from "../model/diagnostic.js";

export type LintRuleId =
  | "unreachable-rule"
  | "unreachable-match"
  | "conflict-by-age"
  | "conflict-by-name"
  | "route-not-attached"
  | "parent-ref-not-attached"
  | "hostname-matches-no-listener"
  | "listener-not-programmed"
  | "hostname-taken-by-other-listener"
  | "hostname-kind-clash"
  | "weight-rounds-to-zero"
  | "backend-port-not-found"
  | "backend-ref-not-permitted"
  | "rule-without-backend"
  | "grant-unused"
  | "grant-target-not-found"
  | "regex-shadows-prefix"
  | "xbackend-without-tls"
  | "tls-backend-without-policy"
  | "xbackend-not-accepted"
  | "backend-traffic-policy-not-applied"
  | "session-name-invalid"
  | "https-redirect-bypassed"
  | "redirect-loop"
  | "redirect-not-served"
  | "backend-not-found";

/** The object a finding is about, as Kubernetes names it (namespace absent for cluster-scoped kinds). */
export interface LintObjectRef {
  kind: string;
  namespace?: string;
  name: string;
}

/** Another place that explains the finding (the rule that wins, the listener that does not match...). */
export interface RelatedLocation {
  object: LintObjectRef;
  /** Field path inside the object, e.g. `spec.rules[0].matches[1]`; "" for the whole object. */
  path: string;
  file: string | null;
  line: number | null;
  column: number | null;
  message: string;
}

export interface Finding {
  rule: LintRuleId;
  severity: Severity;
  object: LintObjectRef;
  /** Field path inside the object; "" for the whole object. */
  path: string;
  /** Where the field is written (1-based), when the objects carry their source. */
  file: string | null;
  line: number | null;
  column: number | null;
  message: string;
  /** What to change, in words. */
  fix: string;
  related: RelatedLocation[];
}

export interface LintRuleInfo {
  id: LintRuleId;
  /** The severity findings of this rule usually have (a few downgrade, see each rule). */
  severity: Severity;
  summary: string;
  /** Longer explanation for documentation and SARIF `help`. */
  help: string;
}

/** Every rule, in the order the docs list them. */
export const LINT_RULES: readonly LintRuleInfo[] = [
  {
    id: "unreachable-rule",
    severity: "error",
    summary: "a route rule no request can ever reach",
    help:
      "Every match of the rule is covered by a match that takes precedence on every hostname the rule serves: " +
      "an earlier match whose path covers this one's and whose method, header and query conditions are a subset. " +
      "Found from the compiled precedence order, not by sampling requests; GRPCRoutes alike, by service, method and headers.",
  },
  {
    id: "unreachable-match",
    severity: "warning",
    summary: "a match no request can reach (the rule is still reached through its other matches)",
    help: "As unreachable-rule, for one match of a rule that has others. A match covered by another match of the same rule is redundant (info).",
  },
  {
    id: "conflict-by-age",
    severity: "warning",
    summary: "two routes with identical matches: the older route wins, only because it is older",
    help:
      "Precedence ties between identical matches fall to the oldest creationTimestamp. Deleting and re-creating the " +
      "older route (a redeploy, a restore, a new cluster) hands its traffic to the other one.",
  },
  {
    id: "conflict-by-name",
    severity: "warning",
    summary: "two routes with identical matches and the same age: the alphabetically first namespace/name wins",
    help: "Precedence ties between identical matches of routes with the same (or no) creationTimestamp fall to namespace/name order.",
  },
  {
    id: "route-not-attached",
    severity: "error",
    summary: "a route that attaches to no Gateway, ListenerSet or Service",
    help: "None of the route's parentRefs is accepted (see the route's status), so the route serves no traffic at all.",
  },
  {
    id: "parent-ref-not-attached",
    severity: "warning",
    summary: "a parentRef that attaches to nothing while the route's other parentRefs do",
    help: "The parentRef's Accepted condition is False; the route serves traffic only through its other parents.",
  },
  {
    id: "hostname-matches-no-listener",
    severity: "warning",
    summary: "a route hostname that intersects no listener the route attaches to",
    help:
      "Requests for that hostname never reach the route. When no hostname of the route intersects a listener, the " +
      "route does not attach (error).",
  },
  {
    id: "listener-not-programmed",
    severity: "error",
    summary: "a listener that is not programmed and takes no traffic",
    help:
      "A listener whose hostname, port or protocol conflicts with another (a ListenerSet's with its Gateway's), whose " +
      "certificate refs are not permitted or invalid, or whose protocol is not supported (warning: it may be another " +
      "implementation's). Certificate Secrets missing from the manifests are not reported (they are often kept out of git).",
  },
  {
    id: "hostname-taken-by-other-listener",
    severity: "warning",
    summary: "a route hostname whose requests a more specific listener on the same port takes",
    help:
      "A request goes to the listener with the most specific hostname that matches it (HTTP: the Host; HTTPS: the SNI). " +
      "A route attached only to a `*` or wildcard listener never sees the hostnames another listener on the port names " +
      "more precisely, unless it is attached to that listener too.",
  },
  {
    id: "hostname-kind-clash",
    severity: "warning",
    summary: "an HTTPRoute and a GRPCRoute on the same hostname of a listener: the newer one is silently left off it",
    help:
      "A listener accepts an HTTPRoute or a GRPCRoute for a hostname, never both (GRPCRoute spec.hostnames, GEP-1016): " +
      "the older route (creationTimestamp, then namespace/name) keeps the listener and the other is not attached there, " +
      "for any of its hostnames. Reported when the losing route's parentRef still attaches to another listener, so its " +
      "status says Accepted and nothing shows the listener it lost.",
  },
  {
    id: "weight-rounds-to-zero",
    severity: "warning",
    summary: "a backend weight that common data planes round to zero",
    help:
      "NGINX Gateway Fabric turns weights into split_clients percentages floored to 0.01% (the last backendRef takes " +
      "the remainder), so a non-last backend with less than 0.01% of the weight gets nothing (warning). Istio up to " +
      "1.14 turned them into whole percents: each the integer part, the points left over to the largest remainders " +
      "(ties to the earlier backendRef), so a backend under 1% may get 0% (info). These are replay's --precision ngf " +
      "and percent; the fix names the weight from which on the backend keeps a share.",
  },
  {
    id: "backend-port-not-found",
    severity: "error",
    summary: "a backendRef to a port the Service does not have, or to another port than the XBackend's spec.port",
    help:
      "The backend is invalid (ResolvedRefs False, BackendNotFound) and its share of requests answers 500. " +
      "An XBackend has one port (spec.port): a backendRef port that differs names nothing to connect to. " +
      "For a RequestMirror's backendRef only the copies are lost (warning): nothing is mirrored.",
  },
  {
    id: "backend-ref-not-permitted",
    severity: "error",
    summary: "a cross-namespace backendRef that no ReferenceGrant permits (for an XBackend: that none can)",
    help:
      "A backendRef to a Service in another namespace needs a ReferenceGrant in the Service's namespace (GEP-709). " +
      "Without one the backend is invalid (ResolvedRefs False, RefNotPermitted) and its share of requests answers 500. " +
      "Reported when the Service is in the manifests linted (its namespace's grants are then expected there too). " +
      "An XBackend must be in the namespace of the routes that reference it (GEP-4894), grant or not: always reported.",
  },
  {
    id: "rule-without-backend",
    severity: "error",
    summary: "a rule that sends its requests to no backend: no backendRefs, or every weight 0",
    help:
      "A rule whose backendRefs are missing or all weigh 0, and that neither redirects nor keeps sessions, answers 500 " +
      "to every request it matches (TLS, TCP and UDP routes refuse the connection). Rules with a RequestRedirect or " +
      "an ExtensionRef filter (which may answer by itself), and weight-0 rules with sessionPersistence (draining " +
      "sessions, GEP-1619), are left alone.",
  },
  {
    id: "grant-unused",
    severity: "warning",
    summary: "a ReferenceGrant (or one of its from/to entries) that no reference uses",
    help:
      "No object of the granted kind in the granted namespace refers to an object the grant exposes, so the grant " +
      "grants nothing: a typo in a kind or namespace, a grant in the wrong namespace, or a leftover. " +
      "Info instead of warning when the manifests hold no object the grant admits (the referrers are linted elsewhere).",
  },
  {
    id: "grant-target-not-found",
    severity: "warning",
    summary: "a ReferenceGrant `to` entry that names an object that does not exist",
    help:
      "Reported when the manifests declare objects of that kind in the grant's namespace but none with that name " +
      "(so a grant for Secrets kept out of the manifests is not reported).",
  },
  {
    id: "regex-shadows-prefix",
    severity: "warning",
    summary: "a RegularExpression path that takes requests a more specific PathPrefix was written for",
    help:
      "gwsim ranks RegularExpression paths above every PathPrefix (the spec leaves regex precedence to the " +
      "implementation), so a broad regex takes requests under a prefix it was not written for; other data planes " +
      "may order them differently. Reported with a path that both match.",
  },
  {
    id: "xbackend-without-tls",
    severity: "warning",
    summary: "an XBackend (external hostname) that the gateway reaches without TLS",
    help:
      "XBackend spec.tls: \"ExternalHostname backends SHOULD have TLS configured; the lack of TLS for external " +
      "hostnames should be considered insecure and a security risk\" (apisx/v1alpha1 xbackend_types.go, GEP-4894). " +
      "Reported for an XBackend without spec.tls (warning) and one whose tls.mode is None (info: cleartext on purpose).",
  },
  {
    id: "tls-backend-without-policy",
    severity: "warning",
    summary: "a backendRef to a Service port that serves TLS, which the gateway reaches in cleartext (no BackendTLSPolicy)",
    help:
      "The Service port says it serves TLS (appProtocol https, wss or kubernetes.io/wss, else a port named https or https-*), " +
      "and no BackendTLSPolicy applies to it (none targets the Service, or each names another port in sectionName). " +
      "The gateway then sends its requests in cleartext to a TLS server, which rejects them (GEP-1911: kubernetes.io/wss " +
      "behind an HTTPRoute needs a BackendTLSPolicy). Port 443 with no appProtocol or name is a weaker sign (info). " +
      "Checked for HTTPRoutes and GRPCRoutes (Gateway and mesh) and TLSRoutes on a Terminate listener; a BackendTLSPolicy " +
      "that applies but is not accepted fails the requests another way (500) and is not reported here.",
  },
  {
    id: "xbackend-not-accepted",
    severity: "error",
    summary: "an XBackend gwsim cannot connect to as written: every request routed to it answers 500",
    help:
      "The XBackend is Accepted=False (an IP address as externalHostname.hostname, a CA ref of another kind, " +
      "wellKnownCACertificates other than System, a client certificate Secret in another namespace without a " +
      "ReferenceGrant, a CA or client certificate that does not parse). The route's reference resolves, so the " +
      "route looks fine; the XBackend's share of its traffic answers 500. Warning when no route sends to it yet. " +
      "A CA ConfigMap or Secret missing from the manifests is not reported (they are often kept out of git).",
  },
  {
    id: "backend-traffic-policy-not-applied",
    severity: "warning",
    summary: "an XBackendTrafficPolicy, or one of its targetRefs, that applies to nothing",
    help:
      "A targetRef names no Service or XBackend of the policy's namespace in the manifests (TargetNotFound when none " +
      "is left), or the policy loses a conflict: an older XBackendTrafficPolicy (creationTimestamp, then " +
      "namespace/name, GEP-713) already targets one of its backends, so this one is Accepted=False, Conflicted, and " +
      "its sessionPersistence and retryConstraint apply nowhere. The finding names the older policy.",
  },
  {
    id: "session-name-invalid",
    severity: "error",
    summary: "a sessionPersistence sessionName that is not a cookie or header name",
    help:
      "The CRD takes any sessionName up to 128 characters, but a Cookie session's name must be an RFC 6265 cookie-name " +
      "and a Header session's an RFC 9110 field-name (both a token: letters, digits and !#$%&'*+-.^_`|~, no spaces, " +
      "no = or ;). With another name clients cannot send the session back, so no session persists; gwsim serve keeps " +
      "no session for such a rule (it sends no Set-Cookie or header). Checked on route rules and XBackendTrafficPolicies.",
  },
  {
    id: "https-redirect-bypassed",
    severity: "warning",
    summary: "a route served in cleartext on an HTTP listener whose catch-all route redirects to https",
    help:
      "An HTTP listener's catch-all HTTPRoute redirects every request to https, and a route meant for the HTTPS listener " +
      "is attached to the HTTP listener too (a parentRef without sectionName attaches to every listener that admits it). " +
      "Its hostname is more specific than the redirect's, and hostname precedence comes first, so plain-http requests for " +
      "it are served in cleartext instead of redirected. Reported only when decide serves a witness request over http.",
  },
  {
    id: "redirect-loop",
    severity: "error",
    summary: "a RequestRedirect that leads back to a URL it already redirected: clients loop",
    help:
      "Followed with decide: a witness request reaches the rule, and each Location is requested again on the same Gateway " +
      "(its scheme, host, port and path; method and headers as before) until a URL comes back. The usual cause is an " +
      "http-to-https redirect route attached without sectionName, so it also answers on the HTTPS listener and sends " +
      "https://host/x to itself. Reported at the redirect filter, once per rule and listener.",
  },
  {
    id: "redirect-not-served",
    severity: "warning",
    summary: "a RequestRedirect to a URL of the same host that the Gateway answers 404 or refuses",
    help:
      "As redirect-loop, the Location is requested again on the same Gateway; when it keeps the host (a scheme, port or " +
      "path change) and the Gateway answers it 404 or refuses the connection, clients are redirected to a URL that does " +
      "not work. The usual cause is an http-to-https redirect whose site route is attached to the HTTP listener only. " +
      "Checked for redirect rules of routes that name the host exactly (a wildcard or catch-all redirect is left alone: " +
      "the hosts it serves over https are not known).",
  },
  {
    id: "backend-not-found",
    severity: "warning",
    summary: "a backendRef to a Service missing from the manifests while one of that name is in another namespace, or one a typo away in its own",
    help:
      "The Service is not in the manifests, so the ref is BackendNotFound and its share of the rule's traffic answers 500. " +
      "A Service missing from the manifests alone is not reported (it may be deployed from elsewhere); this rule speaks only " +
      "when the namespace has a Service whose name is one or two edits away (a letter changed, added, dropped or two swapped) " +
      "and no other is as close, which is most likely what was meant, or when a ref in the route's own namespace names a " +
      "Service that is in another namespace (the namespace left out).",
  },
];

export const LINT_RULE_IDS: readonly LintRuleId[] = LINT_RULES.map((r) => r.id);
