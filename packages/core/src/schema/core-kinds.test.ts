import { describe, expect, it } from "vitest";
import { check, errorsOf, yaml } from "./__tests__/helpers.js";

/** A Service with one port; `port` is the YAML flow mapping of that port. */
function service(port: string, spec = ""): string {
  return yaml`
    apiVersion: v1
    kind: Service
    metadata: {name: svc}
    spec:
      ports: [${port}]
  ` + spec;
}

// pkg/apis/core/v1/defaults.go SetDefaults_Service compares with Go zero values, so "" and 0
// are unset there and are defaulted before validation.
describe("Service defaults: empty values count as unset, as in the API server", () => {
  const cases: { name: string; port: string; spec?: string; type?: string; want: Record<string, unknown> }[] = [
    { name: "absent targetPort", port: "{port: 80}", want: { port: 80, protocol: "TCP", targetPort: 80 } },
    { name: "targetPort 0", port: "{port: 8080, targetPort: 0}", want: { port: 8080, protocol: "TCP", targetPort: 8080 } },
    { name: 'targetPort ""', port: '{port: 8080, targetPort: ""}', want: { port: 8080, protocol: "TCP", targetPort: 8080 } },
    { name: "targetPort kept", port: "{port: 80, targetPort: 9000}", want: { port: 80, protocol: "TCP", targetPort: 9000 } },
    { name: "named targetPort kept", port: "{port: 80, targetPort: http-alt}", want: { port: 80, protocol: "TCP", targetPort: "http-alt" } },
    { name: 'protocol ""', port: '{port: 53, protocol: ""}', want: { port: 53, protocol: "TCP", targetPort: 53 } },
    { name: "protocol UDP kept", port: "{port: 53, protocol: UDP}", want: { port: 53, protocol: "UDP", targetPort: 53 } },
    { name: 'type ""', port: "{port: 80}", spec: '  type: ""\n', type: "ClusterIP", want: { port: 80, protocol: "TCP", targetPort: 80 } },
    { name: "type absent", port: "{port: 80}", type: "ClusterIP", want: { port: 80, protocol: "TCP", targetPort: 80 } },
    { name: "type NodePort kept", port: "{port: 80}", spec: "  type: NodePort\n", type: "NodePort", want: { port: 80, protocol: "TCP", targetPort: 80 } },
  ];

  it.each(cases)("$name", (c) => {
    const { resources, diagnostics } = check(service(c.port, c.spec));
    expect(diagnostics).toEqual([]);
    const svc = resources[0] as unknown as { spec: { type: string; ports: unknown[] } };
    expect(svc.spec.ports).toEqual([c.want]);
    if (c.type) expect(svc.spec.type).toBe(c.type);
  });

  const invalid: { name: string; port: string; spec?: string; path: string; code: string; message: string }[] = [
    {
      name: "targetPort out of range",
      port: "{port: 80, targetPort: 70000}",
      path: "spec.ports[0].targetPort",
      code: "schema.port",
      message: "Invalid value: 70000: must be between 1 and 65535, inclusive",
    },
    {
      name: "negative targetPort",
      port: "{port: 80, targetPort: -1}",
      path: "spec.ports[0].targetPort",
      code: "schema.port",
      message: "Invalid value: -1: must be between 1 and 65535, inclusive",
    },
    {
      name: "protocol in lower case",
      port: "{port: 80, protocol: tcp}",
      path: "spec.ports[0].protocol",
      code: "schema.enum",
      message: 'Unsupported value: "tcp": supported values: "TCP", "UDP", "SCTP"',
    },
    {
      name: "unknown type",
      port: "{port: 80}",
      spec: "  type: Headless\n",
      path: "spec.type",
      code: "schema.enum",
      message: 'Unsupported value: "Headless": supported values: "ClusterIP", "NodePort", "LoadBalancer", "ExternalName"',
    },
    {
      name: "port 0 is not defaulted",
      port: "{port: 0}",
      path: "spec.ports[0].port",
      code: "schema.port",
      message: "Invalid value: 0: must be between 1 and 65535, inclusive",
    },
  ];

  it.each(invalid)("still rejected: $name", (c) => {
    const { resources, diagnostics } = check(service(c.port, c.spec));
    expect(errorsOf(diagnostics).map((d) => ({ path: d.path, code: d.code, message: d.message }))).toEqual([
      { path: c.path, code: c.code, message: c.message },
    ]);
    expect(resources).toEqual([]);
  });
});

/** An EndpointSlice of one endpoint; `endpoint` and `ports` are YAML flow values. */
function slice(addressType: string, endpoint: string, ports = "[{name: http, port: 80}]"): string {
  return yaml`
    apiVersion: discovery.k8s.io/v1
    kind: EndpointSlice
    metadata: {name: svc-abc}
    addressType: ${addressType}
    endpoints: [${endpoint}]
    ports: ${ports}
  `;
}

// pkg/apis/discovery/validation/validation.go validateEndpoints: IsValidIPv4Address /
// IsValidIPv6Address and ValidateEndpointIP (both reported), IsFullyQualifiedDomainName for FQDN,
// ValidateDNS1123Label for hostname.
describe("EndpointSlice validation matches the API server", () => {
  const accepted: { name: string; type: string; endpoint: string }[] = [
    { name: "IPv4", type: "IPv4", endpoint: "{addresses: [10.0.0.1, 192.168.1.255]}" },
    { name: "IPv4 next to the loopback range", type: "IPv4", endpoint: "{addresses: [126.255.255.255, 128.0.0.1]}" },
    { name: "IPv4 multicast outside 224.0.0.0/24", type: "IPv4", endpoint: "{addresses: [224.0.1.1]}" },
    { name: "IPv6", type: "IPv6", endpoint: '{addresses: ["2001:db8::1", "fd00::a"]}' },
    { name: "IPv6 next to link-local", type: "IPv6", endpoint: '{addresses: ["fec0::1", "fe7f::1"]}' },
    { name: "IPv6 global multicast", type: "IPv6", endpoint: '{addresses: ["ff0e::1"]}' },
    { name: "FQDN", type: "FQDN", endpoint: "{addresses: [db.example.com]}" },
    { name: "FQDN with a trailing dot", type: "FQDN", endpoint: "{addresses: [db.example.com.]}" },
    { name: "FQDN of two labels", type: "FQDN", endpoint: "{addresses: [example.com]}" },
    { name: "hostname a DNS label", type: "IPv4", endpoint: "{addresses: [10.0.0.1], hostname: pod-0}" },
    { name: "nodeName a DNS subdomain", type: "IPv4", endpoint: "{addresses: [10.0.0.1], nodeName: node-1.zone-a}" },
  ];

  it.each(accepted)("accepts $name", (c) => {
    const { resources, diagnostics } = check(slice(c.type, c.endpoint));
    expect(diagnostics).toEqual([]);
    expect(resources).toHaveLength(1);
  });

  it("accepts 20000 ports (the API's maxPorts), rejects 20001", () => {
    const ports = (n: number) => `[${Array.from({ length: n }, (_, i) => `{name: p${i}, port: ${(i % 65535) + 1}}`).join(", ")}]`;
    expect(check(slice("IPv4", "{addresses: [10.0.0.1]}", ports(101))).diagnostics).toEqual([]);
    expect(check(slice("IPv4", "{addresses: [10.0.0.1]}", ports(20000))).diagnostics).toEqual([]);
    const tooMany = errorsOf(check(slice("IPv4", "{addresses: [10.0.0.1]}", ports(20001))).diagnostics);
    expect(tooMany.map((d) => [d.path, d.code, d.message])).toEqual([["ports", "schema.max-items", "Too many: 20001: must have at most 20000 items"]]);
  });

  const at = "endpoints[0].addresses[0]";
  const rejected: { name: string; type: string; endpoint: string; want: [string, string, string][] }[] = [
    {
      name: "IPv4 unspecified",
      type: "IPv4",
      endpoint: "{addresses: [0.0.0.0]}",
      want: [[at, "schema.endpoint-ip-range", 'Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)']],
    },
    {
      name: "IPv4 loopback",
      type: "IPv4",
      endpoint: "{addresses: [127.1.2.3]}",
      want: [[at, "schema.endpoint-ip-range", 'Invalid value: "127.1.2.3": may not be in the loopback range (127.0.0.0/8, ::1/128)']],
    },
    {
      name: "IPv4 link-local",
      type: "IPv4",
      endpoint: "{addresses: [169.254.169.254]}",
      want: [[at, "schema.endpoint-ip-range", 'Invalid value: "169.254.169.254": may not be in the link-local range (169.254.0.0/16, fe80::/10)']],
    },
    {
      name: "IPv4 link-local multicast",
      type: "IPv4",
      endpoint: "{addresses: [224.0.0.251]}",
      want: [[at, "schema.endpoint-ip-range", 'Invalid value: "224.0.0.251": may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)']],
    },
    {
      name: "IPv6 unspecified",
      type: "IPv6",
      endpoint: '{addresses: ["::"]}',
      want: [[at, "schema.endpoint-ip-range", 'Invalid value: "::": may not be unspecified (::)']],
    },
    {
      name: "IPv6 loopback",
      type: "IPv6",
      endpoint: '{addresses: ["::1"]}',
      want: [[at, "schema.endpoint-ip-range", 'Invalid value: "::1": may not be in the loopback range (127.0.0.0/8, ::1/128)']],
    },
    {
      name: "IPv6 link-local",
      type: "IPv6",
      endpoint: '{addresses: ["fe80::1"]}',
      want: [[at, "schema.endpoint-ip-range", 'Invalid value: "fe80::1": may not be in the link-local range (169.254.0.0/16, fe80::/10)']],
    },
    {
      name: "IPv6 link-local multicast (Go tests the scope nibble: ff12:: too)",
      type: "IPv6",
      endpoint: '{addresses: ["ff12::fb"]}',
      want: [[at, "schema.endpoint-ip-range", 'Invalid value: "ff12::fb": may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)']],
    },
    {
      name: "IPv4-mapped IPv6 in an IPv6 slice",
      type: "IPv6",
      endpoint: '{addresses: ["::ffff:10.0.0.1"]}',
      want: [[at, "schema.format", 'Invalid value: "::ffff:10.0.0.1": must be a valid IPv6 address']],
    },
    {
      name: "IPv4-mapped loopback in an IPv6 slice",
      type: "IPv6",
      endpoint: '{addresses: ["::ffff:127.0.0.1"]}',
      want: [
        [at, "schema.format", 'Invalid value: "::ffff:127.0.0.1": must be a valid IPv6 address'],
        [at, "schema.endpoint-ip-range", 'Invalid value: "::ffff:127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)'],
      ],
    },
    {
      name: "IPv6 loopback in an IPv4 slice",
      type: "IPv4",
      endpoint: '{addresses: ["::1"]}',
      want: [
        [at, "schema.format", 'Invalid value: "::1": must be a valid IPv4 address'],
        [at, "schema.endpoint-ip-range", 'Invalid value: "::1": may not be in the loopback range (127.0.0.0/8, ::1/128)'],
      ],
    },
    {
      name: "not an IP",
      type: "IPv4",
      endpoint: "{addresses: [10.0.0.300]}",
      want: [
        [at, "schema.format", 'Invalid value: "10.0.0.300": must be a valid IPv4 address'],
        [at, "schema.format", 'Invalid value: "10.0.0.300": must be a valid IP address'],
      ],
    },
    {
      name: "FQDN of one label",
      type: "FQDN",
      endpoint: "{addresses: [db]}",
      want: [[at, "schema.format", 'Invalid value: "db": should be a domain with at least two segments separated by dots']],
    },
    {
      name: "FQDN of one label and a trailing dot",
      type: "FQDN",
      endpoint: '{addresses: ["db."]}',
      want: [[at, "schema.format", 'Invalid value: "db": should be a domain with at least two segments separated by dots']],
    },
    {
      name: "FQDN with upper case",
      type: "FQDN",
      endpoint: "{addresses: [DB.example.com]}",
      want: [
        [
          at,
          "schema.format",
          `Invalid value: "DB.example.com": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
        ],
      ],
    },
    {
      name: "FQDN with a label over 63 characters",
      type: "FQDN",
      endpoint: `{addresses: [${"a".repeat(64)}.example.com]}`,
      want: [[at, "schema.format", `Invalid value: "${"a".repeat(64)}": must be no more than 63 characters`]],
    },
    {
      name: "empty FQDN",
      type: "FQDN",
      endpoint: '{addresses: [""]}',
      want: [[at, "schema.required", "Required value"]],
    },
    {
      name: "hostname with dots",
      type: "IPv4",
      endpoint: "{addresses: [10.0.0.1], hostname: pod.example}",
      want: [["endpoints[0].hostname", "schema.name", 'Invalid value: "pod.example": must not contain dots']],
    },
    {
      name: "hostname with upper case",
      type: "IPv4",
      endpoint: "{addresses: [10.0.0.1], hostname: Pod-0}",
      want: [
        [
          "endpoints[0].hostname",
          "schema.name",
          `Invalid value: "Pod-0": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
        ],
      ],
    },
    {
      name: "nodeName with an underscore",
      type: "IPv4",
      endpoint: "{addresses: [10.0.0.1], nodeName: node_1}",
      want: [
        [
          "endpoints[0].nodeName",
          "schema.name",
          `Invalid value: "node_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
        ],
      ],
    },
  ];

  it.each(rejected)("rejects $name", (c) => {
    const { resources, diagnostics } = check(slice(c.type, c.endpoint));
    expect(errorsOf(diagnostics).map((d) => [d.path, d.code, d.message])).toEqual(c.want);
    expect(resources).toEqual([]);
  });
});
