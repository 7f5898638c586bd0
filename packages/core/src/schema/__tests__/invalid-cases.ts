/**
 * Invalid documents, each breaking exactly one rule. The `#<` marker sits on the line the
 * diagnostic must point at: the offending field, or the closest enclosing one that exists.
 * parseManifests records where a field's value starts, so for a block map or list that is
 * the line after its key.
 */
import type { Channel } from "../common.js";
import { yaml } from "./helpers.js";

export interface InvalidCase {
  name: string;
  text: string;
  path: string;
  code: string;
  /** Exact message, where the wording is the point (CEL text, kubectl phrasing). */
  message?: string;
  channel?: Channel;
}

const GW = "apiVersion: gateway.networking.k8s.io/v1";

const manyListeners = Array.from({ length: 65 }, (_, i) => `    - {name: l${i}, port: ${1000 + i}, protocol: HTTP}`).join("\n");
const manyMatches = (n: number) => Array.from({ length: n }, (_, i) => `        - path: {value: /m${i}}`).join("\n");

export const invalidCases: InvalidCase[] = [
  // ---------- Gateway ----------
  {
    name: "duplicate listener names",
    text: yaml`
      ${GW}
      kind: Gateway
      metadata: {name: gw}
      spec:
        gatewayClassName: gwsim
        listeners:
        - name: web
          port: 80
          protocol: HTTP
        - name: web #<
          port: 8080
          protocol: HTTP
    `,
    path: "spec.listeners[1].name",
    code: "cel.unique-listener-names",
    message: "Listener name must be unique within the Gateway",
  },
  {
    name: "hostname on a TCP listener",
    text: yaml`
      ${GW}
      kind: Gateway
      metadata: {name: gw}
      spec:
        gatewayClassName: gwsim
        listeners:
        - name: db
          port: 5432
          protocol: TCP
          hostname: db.example.com #<
    `,
    path: "spec.listeners[0].hostname",
    code: "cel.listener-hostname-forbidden",
    message: "hostname must not be specified for protocols ['TCP', 'UDP']",
  },
  {
    name: "TLS listener without tls",
    text: yaml`
      ${GW}
      kind: Gateway
      metadata: {name: gw}
      spec:
        gatewayClassName: gwsim
        listeners:
        - name: tls #<
          port: 443
          protocol: TLS
    `,
    path: "spec.listeners[0]",
    code: "cel.listener-tls-mode-required",
    message: "tls mode must be set for protocol TLS",
  },
  {
    name: "tls on an HTTP listener",
    text: yaml`
      ${GW}
      kind: Gateway
      metadata: {name: gw}
      spec:
        gatewayClassName: gwsim
        listeners:
        - name: web
          port: 80
          protocol: HTTP
          tls: #<
            certificateRefs: [{name: cert}]
    `,
    path: "spec.listeners[0].tls",
    code: "cel.listener-tls-forbidden",
  },
  {
    name: "HTTPS listener with Passthrough",
    text: yaml`
      ${GW}
      kind: Gateway
      metadata: {name: gw}
      spec:
        gatewayClassName: gwsim
        listeners:
        - name: https
          port: 443
          protocol: HTTPS
          tls:
            mode: Passthrough #<
    `,
    path: "spec.listeners[0].tls.mode",
    code: "cel.listener-https-terminate",
    message: "tls mode must be Terminate for protocol HTTPS",
  },
  {
    name: "Terminate without certificateRefs or options",
    text: yaml`
      ${GW}
      kind: Gateway
      metadata: {name: gw}
      spec:
        gatewayClassName: gwsim
        listeners:
        - name: https
          port: 443
          protocol: HTTPS
          tls: #<
            mode: Terminate
    `,
    path: "spec.listeners[0].tls",
    code: "cel.listener-tls-certificates",
    message: "certificateRefs or options must be specified when mode is Terminate",
  },
  {
    name: "two listeners on the same port, protocol and hostname",
    text: yaml`
      ${GW}
      kind: Gateway
      metadata: {name: gw}
      spec:
        gatewayClassName: gwsim
        listeners:
        - {name: a, port: 80, protocol: HTTP, hostname: a.example.com}
        - {name: b, port: 80, protocol: HTTP, hostname: a.example.com} #<
    `,
    path: "spec.listeners[1]",
    code: "cel.unique-listener-port-protocol-hostname",
  },
  {
    name: "listener port 0",
    text: yaml`
      ${GW}
      kind: Gateway
      metadata: {name: gw}
      spec:
        gatewayClassName: gwsim
        listeners:
        - name: web
          port: 0 #<
          protocol: HTTP
    `,
    path: "spec.listeners[0].port",
    code: "schema.minimum",
    message: "Invalid value: 0: should be greater than or equal to 1",
  },
  {
    name: "listener port above 65535",
    text: yaml`
      ${GW}
      kind: Gateway
      metadata: {name: gw}
      spec:
        gatewayClassName: gwsim
        listeners:
        - name: web
          port: 70000 #<
          protocol: HTTP
    `,
    path: "spec.listeners[0].port",
    code: "schema.maximum",
  },
  {
    name: "listener port as a string",
    text: yaml`
      ${GW}
      kind: Gateway
      metadata: {name: gw}
      spec:
        gatewayClassName: gwsim
        listeners:
        - name: web
          port: "80" #<
          protocol: HTTP
    `,
    path: "spec.listeners[0].port",
    code: "schema.type",
    message: 'Invalid value: "80": must be of type integer',
  },
  {
    name: "upper-case listener hostname",
    text: yaml`
      ${GW}
      kind: Gateway
      metadata: {name: gw}
      spec:
        gatewayClassName: gwsim
        listeners:
        - name: web
          port: 80
          protocol: HTTP
          hostname: Foo.example.com #<
    `,
    path: "spec.listeners[0].hostname",
    code: "schema.pattern",
  },
  {
    name: "Gateway without listeners",
    text: yaml`
      ${GW}
      kind: Gateway
      metadata: {name: gw}
      spec: #<
        gatewayClassName: gwsim
    `,
    path: "spec.listeners",
    code: "schema.required",
    message: "Required value",
  },
  {
    name: "allowedRoutes.namespaces.from not in the enum",
    text: yaml`
      ${GW}
      kind: Gateway
      metadata: {name: gw}
      spec:
        gatewayClassName: gwsim
        listeners:
        - name: web
          port: 80
          protocol: HTTP
          allowedRoutes:
            namespaces:
              from: Others #<
    `,
    path: "spec.listeners[0].allowedRoutes.namespaces.from",
    code: "schema.enum",
    message: 'Unsupported value: "Others": supported values: "All", "Selector", "Same"',
  },
  {
    name: "65 listeners",
    text: yaml`
      ${GW}
      kind: Gateway
      metadata: {name: gw}
      spec:
        gatewayClassName: gwsim
        listeners: #<
    ${manyListeners}
    `,
    path: "spec.listeners",
    code: "schema.max-items",
    message: "Too many: 65: must have at most 64 items",
  },
  {
    name: "IPAddress address that is not an IP",
    text: yaml`
      ${GW}
      kind: Gateway
      metadata: {name: gw}
      spec:
        gatewayClassName: gwsim
        addresses:
        - type: IPAddress
          value: not-an-ip #<
        listeners:
        - {name: web, port: 80, protocol: HTTP}
    `,
    path: "spec.addresses[0].value",
    code: "schema.format",
  },
  {
    name: "frontend TLS configured twice for one port",
    text: yaml`
      ${GW}
      kind: Gateway
      metadata: {name: gw}
      spec:
        gatewayClassName: gwsim
        listeners:
        - {name: web, port: 80, protocol: HTTP}
        tls:
          frontend:
            default: {}
            perPort:
            - port: 443
              tls: {}
            - port: 443 #<
              tls: {}
    `,
    path: "spec.tls.frontend.perPort[1].port",
    code: "cel.unique-frontend-tls-port",
    message: "Port for TLS configuration must be unique within the Gateway",
  },
  {
    name: "infrastructure label key with a space",
    text: yaml`
      ${GW}
      kind: Gateway
      metadata: {name: gw}
      spec:
        gatewayClassName: gwsim
        infrastructure:
          labels:
            bad key: v #<
        listeners:
        - {name: web, port: 80, protocol: HTTP}
    `,
    path: "spec.infrastructure.labels.bad key",
    code: "cel.infrastructure-label-key",
  },
  // ---------- GatewayClass ----------
  {
    name: "controllerName without a path",
    text: yaml`
      ${GW}
      kind: GatewayClass
      metadata: {name: gwsim}
      spec:
        controllerName: example.com #<
    `,
    path: "spec.controllerName",
    code: "schema.pattern",
  },
  // ---------- HTTPRoute ----------
  {
    name: "ReplacePrefixMatch on an Exact match",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - matches:
          - path: {type: Exact, value: /api}
          filters:
          - type: URLRewrite
            urlRewrite:
              path: #<
                type: ReplacePrefixMatch
                replacePrefixMatch: /v2
          backendRefs: [{name: svc, port: 80}]
    `,
    path: "spec.rules[0].filters[0].urlRewrite.path",
    code: "cel.rewrite-replace-prefix-match",
    message: "When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified",
  },
  {
    name: "RequestRedirect and URLRewrite on one rule",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - filters:
          - type: RequestRedirect
            requestRedirect: {scheme: https}
          - type: URLRewrite #<
            urlRewrite: {hostname: b.example.com}
    `,
    path: "spec.rules[0].filters[1]",
    code: "cel.filter-redirect-and-rewrite",
    message: "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both",
  },
  {
    name: "Service backendRef without port",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - backendRefs:
          - name: svc #<
    `,
    path: "spec.rules[0].backendRefs[0].port",
    code: "cel.backendref-port-required",
    message: "Must have port for Service reference",
  },
  {
    name: "backendRef weight above 1000000",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - backendRefs:
          - name: svc
            port: 80
            weight: 1000001 #<
    `,
    path: "spec.rules[0].backendRefs[0].weight",
    code: "schema.maximum",
    message: "Invalid value: 1000001: should be less than or equal to 1000000",
  },
  {
    name: "negative backendRef weight",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - backendRefs:
          - {name: svc, port: 80, weight: -1} #<
    `,
    path: "spec.rules[0].backendRefs[0].weight",
    code: "schema.minimum",
  },
  {
    name: "header name with a space",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - matches:
          - headers:
            - name: x version #<
              value: "2"
    `,
    path: "spec.rules[0].matches[0].headers[0].name",
    code: "schema.pattern",
  },
  {
    name: "the same header matched twice",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - matches:
          - headers:
            - {name: version, value: "1"}
            - {name: version, value: "2"} #<
    `,
    path: "spec.rules[0].matches[0].headers[1]",
    code: "schema.duplicate",
    message: 'Duplicate value: map[string]interface {}{"name":"version"}',
  },
  {
    name: "method not in the enum",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - matches:
          - method: FETCH #<
    `,
    path: "spec.rules[0].matches[0].method",
    code: "schema.enum",
  },
  {
    name: "Exact path that is not absolute",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - matches:
          - path:
              type: Exact
              value: api #<
    `,
    path: "spec.rules[0].matches[0].path.value",
    code: "cel.path-match-absolute",
    message: "value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']",
  },
  {
    name: "PathPrefix with an empty segment",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - matches:
          - path: {value: /a//b} #<
    `,
    path: "spec.rules[0].matches[0].path.value",
    code: "cel.path-match-double-slash",
  },
  {
    name: "path regex that does not compile",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - matches:
          - path:
              type: RegularExpression
              value: /a( #<
    `,
    path: "spec.rules[0].matches[0].path.value",
    code: "schema.regex",
  },
  {
    name: "query regex with a lookbehind (not RE2)",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - matches:
          - queryParams:
            - type: RegularExpression
              name: q
              value: (?<=a)b #<
    `,
    path: "spec.rules[0].matches[0].queryParams[0].value",
    code: "schema.regex",
  },
  {
    name: "17 hostnames",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        hostnames: [${Array.from({ length: 17 }, (_, i) => `h${i}.example.com`).join(", ")}] #<
    `,
    path: "spec.hostnames",
    code: "schema.max-items",
  },
  {
    name: "hostname with an underscore",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        hostnames:
        - a_b.example.com #<
    `,
    path: "spec.hostnames[0]",
    code: "schema.pattern",
  },
  {
    name: "the same parent twice",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        parentRefs:
        - name: gw
        - name: gw #<
    `,
    path: "spec.parentRefs[1]",
    code: "cel.parentref-section-or-port-unique",
    message: "sectionName or port must be unique when parentRefs includes 2 or more references to the same parent",
  },
  {
    name: "RequestRedirect together with backendRefs",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - filters:
          - type: RequestRedirect #<
            requestRedirect: {scheme: https}
          backendRefs: [{name: svc, port: 80}]
    `,
    path: "spec.rules[0].filters[0]",
    code: "cel.redirect-with-backendrefs",
    message: "RequestRedirect filter must not be used together with backendRefs",
  },
  {
    name: "RequestHeaderModifier filter without its field",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - filters:
          - type: RequestHeaderModifier #<
    `,
    path: "spec.rules[0].filters[0]",
    code: "cel.filter-field-required",
    message: "filter.requestHeaderModifier must be specified for RequestHeaderModifier filter.type",
  },
  {
    name: "redirect status code 305",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - filters:
          - type: RequestRedirect
            requestRedirect:
              statusCode: 305 #<
    `,
    path: "spec.rules[0].filters[0].requestRedirect.statusCode",
    code: "schema.enum",
    message: "Unsupported value: 305: supported values: 301, 302, 303, 307, 308",
  },
  {
    name: "129 matches across rules",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules: #<
        - matches:
    ${manyMatches(64)}
        - matches:
    ${manyMatches(64)}
        - matches:
    ${manyMatches(1)}
    `,
    path: "spec.rules",
    code: "cel.max-total-matches",
  },
  {
    name: "17 rules",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules: #<
    ${Array.from({ length: 17 }, () => "    - {}").join("\n")}
    `,
    path: "spec.rules",
    code: "schema.max-items",
  },
  {
    name: "backendRequest timeout longer than the request timeout",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - timeouts:
            request: 1s
            backendRequest: 1500ms #<
    `,
    path: "spec.rules[0].timeouts.backendRequest",
    code: "cel.timeouts-backend-request",
    message: "backendRequest timeout cannot be longer than request timeout",
  },
  {
    name: "timeout with a space",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - timeouts:
            request: 10 s #<
    `,
    path: "spec.rules[0].timeouts.request",
    code: "schema.pattern",
  },
  {
    name: "two rules with the same name",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - name: a
        - name: a #<
    `,
    path: "spec.rules[1].name",
    code: "cel.rule-name-unique",
    message: "Rule name must be unique within the route",
  },
  {
    name: "CORS origin wildcard next to another origin",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - filters:
          - type: CORS
            cors:
              allowOrigins: ["*", "https://a.example.com"] #<
    `,
    path: "spec.rules[0].filters[0].cors.allowOrigins",
    code: "cel.cors-wildcard",
    message: "AllowOrigins cannot contain '*' alongside other origins",
  },
  {
    name: "mirror with both percent and fraction",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - filters:
          - type: RequestMirror
            requestMirror:
              backendRef: {name: shadow, port: 80}
              percent: 10
              fraction: {numerator: 1} #<
    `,
    path: "spec.rules[0].filters[0].requestMirror.fraction",
    code: "cel.mirror-percent-or-fraction",
  },
  {
    name: "mirror fraction above 1",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - filters:
          - type: RequestMirror
            requestMirror:
              backendRef: {name: shadow, port: 80}
              fraction: #<
                numerator: 5
                denominator: 4
    `,
    path: "spec.rules[0].filters[0].requestMirror.fraction",
    code: "cel.mirror-fraction",
    message: "numerator must be less than or equal to denominator",
  },
  {
    name: "retry on status 600",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        rules:
        - retry:
            codes:
            - 503
            - 600 #<
    `,
    path: "spec.rules[0].retry.codes[1]",
    code: "schema.maximum",
  },
  {
    name: "route name with capitals",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata:
        name: My_Route #<
      spec: {}
    `,
    path: "metadata.name",
    code: "schema.name",
  },
  {
    name: "label value with a slash",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata:
        name: r
        labels:
          app: a/b #<
      spec: {}
    `,
    path: "metadata.labels.app",
    code: "schema.label-value",
  },
  {
    name: "HTTPRoute at v1alpha2, which v1.6 does not serve",
    text: yaml`
      apiVersion: gateway.networking.k8s.io/v1alpha2 #<
      kind: HTTPRoute
      metadata: {name: r}
      spec: {}
    `,
    path: "apiVersion",
    code: "schema.unsupported-api-version",
  },
  // ---------- GRPCRoute ----------
  {
    name: "gRPC method match with neither service nor method",
    text: yaml`
      ${GW}
      kind: GRPCRoute
      metadata: {name: g}
      spec:
        rules:
        - matches:
          - method: #<
              type: Exact
    `,
    path: "spec.rules[0].matches[0].method",
    code: "cel.grpc-method-required",
    message: "One or both of 'service' or 'method' must be specified",
  },
  {
    name: "gRPC Exact service with a slash",
    text: yaml`
      ${GW}
      kind: GRPCRoute
      metadata: {name: g}
      spec:
        rules:
        - matches:
          - method:
              service: pkg/Svc #<
    `,
    path: "spec.rules[0].matches[0].method.service",
    code: "cel.grpc-method-service",
  },
  // ---------- TLSRoute, TCPRoute, UDPRoute ----------
  {
    name: "TLSRoute hostname that is an IP",
    text: yaml`
      ${GW}
      kind: TLSRoute
      metadata: {name: t}
      spec:
        hostnames:
        - 10.0.0.1 #<
        rules:
        - backendRefs: [{name: svc, port: 443}]
    `,
    path: "spec.hostnames[0]",
    code: "cel.tlsroute-hostname-ip",
    message: "Hostnames cannot contain an IP",
  },
  {
    name: "TLSRoute v1 without hostnames",
    text: yaml`
      ${GW}
      kind: TLSRoute
      metadata: {name: t}
      spec: #<
        rules:
        - backendRefs: [{name: svc, port: 443}]
    `,
    path: "spec.hostnames",
    code: "schema.required",
  },
  {
    name: "TCPRoute v1 with two rules",
    text: yaml`
      ${GW}
      kind: TCPRoute
      metadata: {name: t}
      spec:
        rules: #<
        - backendRefs: [{name: a, port: 5432}]
        - backendRefs: [{name: b, port: 5432}]
    `,
    path: "spec.rules",
    code: "schema.max-items",
  },
  {
    name: "TCPRoute rule without backends",
    text: yaml`
      ${GW}
      kind: TCPRoute
      metadata: {name: t}
      spec:
        rules:
        - backendRefs: [] #<
    `,
    path: "spec.rules[0].backendRefs",
    code: "schema.min-items",
    message: "Invalid value: 0: should have at least 1 items",
  },
  {
    name: "UDPRoute without rules",
    text: yaml`
      ${GW}
      kind: UDPRoute
      metadata: {name: u}
      spec: #<
        parentRefs: [{name: gw}]
    `,
    path: "spec.rules",
    code: "schema.required",
  },
  {
    name: "TCPRoute v1alpha2 under the standard channel",
    text: yaml`
      apiVersion: gateway.networking.k8s.io/v1alpha2 #<
      kind: TCPRoute
      metadata: {name: t}
      spec:
        rules:
        - backendRefs: [{name: a, port: 5432}]
    `,
    path: "apiVersion",
    code: "schema.unsupported-api-version",
    channel: "standard",
  },
  // ---------- ReferenceGrant, BackendTLSPolicy, ListenerSet ----------
  {
    name: "ReferenceGrant from without namespace",
    text: yaml`
      ${GW}
      kind: ReferenceGrant
      metadata: {name: g}
      spec:
        from:
        - group: gateway.networking.k8s.io #<
          kind: HTTPRoute
        to:
        - {group: "", kind: Service}
    `,
    path: "spec.from[0].namespace",
    code: "schema.required",
  },
  {
    name: "BackendTLSPolicy with CA refs and well-known CAs",
    text: yaml`
      ${GW}
      kind: BackendTLSPolicy
      metadata: {name: p}
      spec:
        targetRefs: [{group: "", kind: Service, name: svc}]
        validation:
          hostname: svc.example.com
          caCertificateRefs: [{group: "", kind: ConfigMap, name: ca}]
          wellKnownCACertificates: System #<
    `,
    path: "spec.validation.wellKnownCACertificates",
    code: "cel.btls-ca-exclusive",
    message: "must not contain both CACertificateRefs and WellKnownCACertificates",
  },
  {
    name: "Hostname SAN without hostname",
    text: yaml`
      ${GW}
      kind: BackendTLSPolicy
      metadata: {name: p}
      spec:
        targetRefs: [{group: "", kind: Service, name: svc}]
        validation:
          hostname: svc.example.com
          wellKnownCACertificates: System
          subjectAltNames:
          - type: Hostname #<
    `,
    path: "spec.validation.subjectAltNames[0].hostname",
    code: "cel.san-hostname",
  },
  {
    name: "BackendTLSPolicy targeting one Service twice",
    text: yaml`
      ${GW}
      kind: BackendTLSPolicy
      metadata: {name: p}
      spec:
        targetRefs:
        - {group: "", kind: Service, name: svc}
        - {group: "", kind: Service, name: svc} #<
        validation: {hostname: svc.example.com, wellKnownCACertificates: System}
    `,
    path: "spec.targetRefs[1]",
    code: "cel.target-section-name-unique",
  },
  {
    name: "ListenerSet parentRef without name",
    text: yaml`
      ${GW}
      kind: ListenerSet
      metadata: {name: ls}
      spec:
        parentRef: #<
          kind: Gateway
        listeners:
        - {name: web, port: 80, protocol: HTTP}
    `,
    path: "spec.parentRef.name",
    code: "schema.required",
  },
  // ---------- standard channel ----------
  {
    name: "standard channel: one parent on two ports without sectionName",
    text: yaml`
      ${GW}
      kind: HTTPRoute
      metadata: {name: r}
      spec:
        parentRefs:
        - {name: gw, port: 80}
        - {name: gw, port: 8080} #<
    `,
    path: "spec.parentRefs[1]",
    code: "cel.parentref-section-name-unique",
    message: "sectionName must be unique when parentRefs includes 2 or more references to the same parent",
    channel: "standard",
  },
  // ---------- core kinds ----------
  {
    name: "Service with an unnamed second port",
    text: yaml`
      apiVersion: v1
      kind: Service
      metadata: {name: svc}
      spec:
        ports:
        - {name: http, port: 80}
        - port: 443 #<
    `,
    path: "spec.ports[1].name",
    code: "schema.required",
  },
  {
    name: "Service port protocol HTTP",
    text: yaml`
      apiVersion: v1
      kind: Service
      metadata: {name: svc}
      spec:
        ports:
        - port: 80
          protocol: HTTP #<
    `,
    path: "spec.ports[0].protocol",
    code: "schema.enum",
  },
  {
    name: "Service name starting with a digit",
    text: yaml`
      apiVersion: v1
      kind: Service
      metadata:
        name: 1svc #<
      spec:
        ports: [{port: 80}]
    `,
    path: "metadata.name",
    code: "schema.name",
  },
  {
    // An address that is no IP at all gets a second error (ValidateEndpointIP): see core-kinds.test.ts.
    name: "EndpointSlice IPv6 slice with an IPv4 address",
    text: yaml`
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata: {name: svc-abc}
      addressType: IPv6
      endpoints:
      - addresses:
        - 10.0.0.3 #<
    `,
    path: "endpoints[0].addresses[0]",
    code: "schema.format",
  },
  {
    name: "TLS Secret without tls.key",
    text: yaml`
      apiVersion: v1
      kind: Secret
      metadata: {name: cert}
      type: kubernetes.io/tls
      data: #<
        tls.crt: Y2VydA==
    `,
    path: "data.tls.key",
    code: "schema.required",
  },
  {
    name: "Secret data that is not base64",
    text: yaml`
      apiVersion: v1
      kind: Secret
      metadata: {name: s}
      data:
        token: not base64! #<
    `,
    path: "data.token",
    code: "schema.base64",
  },
  {
    name: "ConfigMap key with a space",
    text: yaml`
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: ca}
      data:
        ca bundle: x #<
    `,
    path: "data.ca bundle",
    code: "schema.config-key",
  },
  {
    name: "Namespace name with a dot",
    text: yaml`
      apiVersion: v1
      kind: Namespace
      metadata:
        name: a.b #<
    `,
    path: "metadata.name",
    code: "schema.name",
  },
];
