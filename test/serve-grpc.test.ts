/**
 * gRPC through `gwsim serve` with @grpc/grpc-js clients and servers: GRPCRoutes route each call
 * by service, method and metadata to the right backend (unary and all three streaming kinds),
 * weights split as the core draws them, and a call the gateway answers itself gets the
 * grpc-status the core decides. Real sockets on 127.0.0.1; the real core decides.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorld, decide, parseManifests, type Decision, type GatewayRequest, type World } from "../packages/core/src/index.js";
import { startServe, type LiveGateway } from "../packages/sim/src/serve/index.js";
import { client, ECHO, grpc, NOPE, SERVICE, startGrpcBackend, unaryCall, type EchoClient, type GrpcBackend, type Reply } from "./helpers/grpc.js";
import { EXAMPLE_CERT, EXAMPLE_KEY } from "./helpers/example-cert.js";
import { backendTLS, edgeGateway } from "./helpers/gateway-yaml.js";

const BACKENDS = ["unary", "canary", "stream", "a", "b"] as const;

const WORLD = `${edgeGateway(`
  - {name: h2c, protocol: HTTP, port: 80}`)}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: echo, namespace: app}
spec:
  parentRefs: [{name: edge}]
  hostnames: [grpc.example.com]
  rules:
  - matches:
    - method: {service: ${SERVICE}, method: Unary}
      headers: [{name: x-canary, value: "true"}]
    backendRefs: [{name: canary, port: 9000}]
  - matches:
    - method: {service: ${SERVICE}, method: Unary}
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {add: [{name: x-route, value: echo-unary}]}
    backendRefs: [{name: unary, port: 9000}]
  - matches:
    - method: {service: ${SERVICE}, method: Count}
    - method: {service: ${SERVICE}, method: Sum}
    - method: {service: ${SERVICE}, method: Chat}
    - method: {service: ${SERVICE}, method: Fail}
    backendRefs: [{name: stream, port: 9000}]
  - matches:
    - method: {service: ${SERVICE}, method: Weighted}
    backendRefs: [{name: a, port: 9000, weight: 70}, {name: b, port: 9000, weight: 30}]
  - matches:
    - method: {service: ${SERVICE}, method: Broken}
    backendRefs: [{name: gone, port: 9000}]
${BACKENDS.map(
  (name) => `---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: app}
spec:
  ports: [{name: grpc, port: 9000${name === "unary" ? ", appProtocol: kubernetes.io/h2c" : ""}}]`,
).join("\n")}
`;

/** The GatewayRequest a grpc-js call through the gateway amounts to. */
function callRequest(service: string, method: string, host = "grpc.example.com", headers: Record<string, string> = {}): GatewayRequest {
  return { gateway: "app/edge", port: 80, scheme: "http", protocol: "HTTP/2", host, method: "POST", path: `/${service}/${method}`, headers: { "content-type": "application/grpc", ...headers }, grpc: { service, method } };
}

describe("serve: gRPC through GRPCRoutes (grpc-js clients and servers)", () => {
  let world: World;
  let gw: LiveGateway;
  let port: number;
  const backends = new Map<string, GrpcBackend>();
  const records: { decision: Decision; observed: { backend?: string; status: number } }[] = [];
  const clients: EchoClient[] = [];
  const echo = (authority = "grpc.example.com") => {
    const c = client(port, authority);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    const { objects, diagnostics } = parseManifests(WORLD, { file: "grpc.yaml" });
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    world = buildWorld(objects);
    const endpoints = new Map<string, string[]>();
    for (const name of BACKENDS) {
      const b = await startGrpcBackend(name);
      backends.set(name, b);
      endpoints.set(`app/${name}:9000`, [b.address]);
    }
    gw = await startServe({
      world,
      objects,
      endpoints,
      decide,
      seed: 7,
      listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]),
      record: (line) => void records.push(JSON.parse(line)),
    });
    port = gw.addresses()[0]!.address.port;
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await gw?.close({ drainMs: 0 });
    await Promise.all([...backends.values()].map((b) => b.close()));
  });

  it("routes a unary call by service and method, with the rule's metadata filter", async () => {
    const r = await unaryCall(echo(), "Unary", { text: "hello" }, { "x-tenant": "t1" });
    expect(r.error).toBeNull();
    expect(r.value).toMatchObject({ backend: "unary", text: "hello", authority: "grpc.example.com", metadata: { "x-route": "echo-unary", "x-tenant": "t1" } });
  });

  it("a header match sends the same method elsewhere", async () => {
    const r = await unaryCall(echo(), "Unary", { text: "canary?" }, { "x-canary": "true" });
    expect(r.value?.backend).toBe("canary");
    expect(r.value?.metadata["x-route"]).toBeUndefined();
  });

  it("server streaming: every message of the stream arrives, in order", async () => {
    const call = echo().Count!({ text: "tick", n: 50 }, new grpc.Metadata(), { deadline: Date.now() + 5000 }) as grpc.ClientReadableStream<Reply>;
    const got: Reply[] = [];
    call.on("data", (m: Reply) => got.push(m));
    const status = await new Promise<grpc.StatusObject>((resolve) => call.on("status", resolve));
    expect(status.code).toBe(grpc.status.OK);
    expect(got.map((m) => m.n)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(new Set(got.map((m) => m.backend))).toEqual(new Set(["stream"]));
  });

  it("client streaming: the streamed messages reach the backend, its one answer comes back", async () => {
    const result = await new Promise<{ error: grpc.ServiceError | null; value: Reply | null }>((resolve) => {
      const call = echo().Sum!(new grpc.Metadata(), { deadline: Date.now() + 5000 }, (error: grpc.ServiceError | null, value: Reply) => resolve({ error, value })) as grpc.ClientWritableStream<{ n: number }>;
      for (let i = 1; i <= 100; i++) call.write({ n: i });
      call.end();
    });
    expect(result.error).toBeNull();
    expect(result.value).toMatchObject({ backend: "stream", n: 5050 });
  });

  it("bidirectional streaming: messages echo both ways, a 1 MiB message included", async () => {
    const call = echo().Chat!(new grpc.Metadata(), { deadline: Date.now() + 10_000 }) as grpc.ClientDuplexStream<{ text: string }, Reply>;
    const sent = ["one", "two", "x".repeat(1024 * 1024), "four"];
    const got: string[] = [];
    call.on("data", (m: Reply) => got.push(m.text));
    const status = new Promise<grpc.StatusObject>((resolve) => call.on("status", resolve));
    for (const text of sent) call.write({ text });
    call.end();
    expect((await status).code).toBe(grpc.status.OK);
    expect(got).toEqual(sent);
  });

  it("a status the backend answers with (Trailers-Only) reaches the client with its message", async () => {
    const r = await unaryCall(echo(), "Fail", { text: "this" });
    expect(r.error?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(r.error?.details).toBe("stream says no to this");
  });

  it("weights: each call lands on the backend the core drew for it, near 70/30", async () => {
    const c = echo();
    const before = records.length;
    const seen: string[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await unaryCall(c, "Weighted", { text: String(i) });
      expect(r.error).toBeNull();
      seen.push(r.value!.backend);
    }
    const drawn = records.slice(before).map((x) => x.decision.backend?.name);
    expect(seen).toEqual(drawn);
    const a = seen.filter((s) => s === "a").length;
    // 70% of 200 with a 99.9% binomial margin (±3.3 σ, σ ≈ 6.5).
    expect(a).toBeGreaterThan(140 - 22);
    expect(a).toBeLessThan(140 + 22);
    expect(backends.get("a")!.calls + backends.get("b")!.calls).toBe(200);
  });

  it.each([
    { title: "an unknown service", service: "gwsim.test.Nope", method: "Call", host: "grpc.example.com", want: grpc.status.UNIMPLEMENTED },
    { title: "a method no rule matches", service: SERVICE, method: "Missing", host: "grpc.example.com", want: grpc.status.UNIMPLEMENTED },
    { title: "a host no GRPCRoute serves", service: SERVICE, method: "Unary", host: "other.example.com", want: grpc.status.UNIMPLEMENTED },
    { title: "a rule whose backend does not exist", service: SERVICE, method: "Broken", host: "grpc.example.com", want: grpc.status.UNAVAILABLE },
  ])("$title: the call gets the grpc-status the core decides ($want)", async ({ service, method, host, want }) => {
    const expected = decide(world, callRequest(service, method, host), { seed: 7, index: 0 });
    expect(expected.outcome).not.toBe("forward");
    expect(expected.grpcStatus).toBe(want);
    const c = client(port, host, service === SERVICE ? ECHO : NOPE);
    clients.push(c);
    const total = () => [...backends.values()].reduce((n, b) => n + b.calls, 0);
    const before = total();
    const r = await unaryCall(c, method, { text: "x" });
    expect(r.error?.code).toBe(want);
    expect(total()).toBe(before);
  });

  it("the record holds each call as a gRPC request with its decision and the backend observed", () => {
    const unary = records.find((x) => x.decision.route?.kind === "GRPCRoute" && x.observed.backend === "app/unary:9000");
    expect(unary).toBeDefined();
    expect((unary as unknown as GatewayRequest).grpc).toEqual({ service: SERVICE, method: "Unary" });
    expect((unary as unknown as GatewayRequest).protocol).toBe("HTTP/2");
  });
});

describe("serve: gRPC to a TLS backend (BackendTLSPolicy, HTTP/2 over TLS)", () => {
  const CERT = EXAMPLE_CERT;
  const KEY = EXAMPLE_KEY;
  const world = (hostname: string) => `${edgeGateway(`[{name: h2c, protocol: HTTP, port: 80}]`)}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: secure, namespace: app}
spec:
  parentRefs: [{name: edge}]
  rules:
  - backendRefs: [{name: grpcs, port: 9443}]
---
apiVersion: v1
kind: Service
metadata: {name: grpcs, namespace: app}
spec: {ports: [{name: grpcs, port: 9443}]}
---
${backendTLS("grpcs", hostname, CERT)}`;
  let backend: GrpcBackend;
  const gateways: LiveGateway[] = [];
  const clients: EchoClient[] = [];

  beforeAll(async () => {
    backend = await startGrpcBackend("grpcs", { cert: CERT, key: KEY });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(gateways.map((g) => g.close({ drainMs: 0 })));
    await backend?.close();
  });

  async function serveWorld(hostname: string): Promise<number> {
    const { objects, diagnostics } = parseManifests(world(hostname), { file: "grpcs.yaml" });
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const gw = await startServe({ world: buildWorld(objects), objects, endpoints: new Map([["app/grpcs:9443", [backend.address]]]), decide, listen: new Map([["80", { host: "127.0.0.1", port: 0 }]]) });
    gateways.push(gw);
    return gw.addresses()[0]!.address.port;
  }

  it("a call reaches the TLS backend verified with the policy's CA and hostname", async () => {
    const c = client(await serveWorld("store.example.com"), "any.example.com");
    clients.push(c);
    const r = await unaryCall(c, "Unary", { text: "secure" });
    expect(r.error).toBeNull();
    expect(r.value).toMatchObject({ backend: "grpcs", text: "secure" });
  });

  it("a certificate that does not match the policy's hostname: UNAVAILABLE, never an unverified call", async () => {
    const before = backend.calls;
    const c = client(await serveWorld("other.example.com"), "any.example.com");
    clients.push(c);
    const r = await unaryCall(c, "Unary", { text: "x" });
    expect(r.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(backend.calls).toBe(before);
  });
});
