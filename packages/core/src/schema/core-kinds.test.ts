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
