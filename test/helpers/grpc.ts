/**
 * gRPC backends and clients for live tests, with @grpc/grpc-js and a hand-written service
 * definition (JSON messages, no .proto file): `gwsim.test.Echo` with one method of each kind.
 * Each backend answers with its name and the metadata it received. Bound to 127.0.0.1:0.
 */
import * as grpc from "@grpc/grpc-js";

export const SERVICE = "gwsim.test.Echo";

export interface Reply {
  backend: string;
  /** What the backend received: the request's text and selected metadata. */
  text: string;
  metadata: Record<string, string>;
  authority: string;
  /** For Sum: the total of the streamed numbers; for Count: the position. */
  n?: number;
}

const serialize = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const deserialize = (bytes: Buffer): unknown => JSON.parse(bytes.toString("utf8"));

function method(name: string, requestStream: boolean, responseStream: boolean): grpc.MethodDefinition<unknown, unknown> {
  return {
    path: `/${SERVICE}/${name}`,
    requestStream,
    responseStream,
    requestSerialize: serialize,
    requestDeserialize: deserialize,
    responseSerialize: serialize,
    responseDeserialize: deserialize,
    originalName: name,
  };
}

/** The service as routes see it: Unary, Weighted, Broken, Missing, Fail (unary), Count (server stream), Sum (client stream), Chat (bidi). */
export const ECHO: grpc.ServiceDefinition = {
  Unary: method("Unary", false, false),
  Weighted: method("Weighted", false, false),
  Broken: method("Broken", false, false),
  Missing: method("Missing", false, false),
  Fail: method("Fail", false, false),
  Count: method("Count", false, true),
  Sum: method("Sum", true, false),
  Chat: method("Chat", true, true),
};

/** Another service no route serves. */
export const NOPE: grpc.ServiceDefinition = {
  Call: { ...method("Call", false, false), path: "/gwsim.test.Nope/Call" },
};

const SHOWN = ["x-route", "x-canary", "x-tenant"];

function shown(md: grpc.Metadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of SHOWN) {
    const v = md.get(k);
    if (v.length) out[k] = v.map(String).join(",");
  }
  return out;
}

export interface GrpcBackend {
  name: string;
  address: string;
  calls: number;
  close(): Promise<void>;
}

/** A backend; with `tls` it serves gRPC over TLS with that certificate. */
export async function startGrpcBackend(name: string, tls?: { cert: string; key: string }): Promise<GrpcBackend> {
  const server = new grpc.Server();
  const backend: GrpcBackend = { name, address: "", calls: 0, close: () => new Promise<void>((r) => server.tryShutdown(() => r())) };
  const reply = (call: { metadata: grpc.Metadata; getHost(): string }, text: string, n?: number): Reply => ({
    backend: name,
    text,
    metadata: shown(call.metadata),
    authority: call.getHost(),
    ...(n === undefined ? {} : { n }),
  });
  const unary: grpc.handleUnaryCall<{ text: string }, Reply> = (call, callback) => {
    backend.calls++;
    callback(null, reply(call, call.request.text));
  };
  server.addService(ECHO, {
    Unary: unary,
    Weighted: unary,
    Broken: unary,
    Missing: unary,
    // The backend's own error: a Trailers-Only answer with its status and message.
    Fail: ((call: grpc.ServerUnaryCall<{ text: string }, Reply>, callback: grpc.sendUnaryData<Reply>) => {
      backend.calls++;
      callback({ code: grpc.status.PERMISSION_DENIED, details: `${name} says no to ${call.request.text}` });
    }) as grpc.handleUnaryCall<unknown, unknown>,
    Count: ((call: grpc.ServerWritableStream<{ text: string; n: number }, Reply>) => {
      backend.calls++;
      for (let i = 1; i <= call.request.n; i++) call.write(reply(call, call.request.text, i));
      call.end();
    }) as grpc.handleServerStreamingCall<unknown, unknown>,
    Sum: ((call: grpc.ServerReadableStream<{ n: number }, Reply>, callback: grpc.sendUnaryData<Reply>) => {
      backend.calls++;
      let total = 0;
      call.on("data", (m: { n: number }) => (total += m.n));
      call.on("end", () => callback(null, reply(call, "sum", total)));
    }) as grpc.handleClientStreamingCall<unknown, unknown>,
    Chat: ((call: grpc.ServerDuplexStream<{ text: string }, Reply>) => {
      backend.calls++;
      call.on("data", (m: { text: string }) => call.write(reply(call, m.text)));
      call.on("end", () => call.end());
    }) as grpc.handleBidiStreamingCall<unknown, unknown>,
  });
  const credentials = tls ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }], false) : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", credentials, (e, p) => (e ? reject(e) : resolve(p))));
  backend.address = `127.0.0.1:${port}`;
  return backend;
}

export type EchoClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

/** A client of `service` through `port`, sending `authority` as :authority. */
export function client(port: number, authority: string, service: grpc.ServiceDefinition = ECHO): EchoClient {
  const Ctor = grpc.makeGenericClientConstructor(service, "Echo");
  return new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { "grpc.default_authority": authority }) as unknown as EchoClient;
}

export interface CallResult<T> {
  error: grpc.ServiceError | null;
  value: T | null;
}

/** A unary call, bounded by a deadline; errors are returned, not thrown. */
export function unaryCall<T = Reply>(c: EchoClient, methodName: string, request: unknown, metadata: Record<string, string> = {}, ms = 5000): Promise<CallResult<T>> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  return new Promise((resolve) => {
    c[methodName]!(request, md, { deadline: Date.now() + ms }, (error: grpc.ServiceError | null, value: T) => resolve({ error, value: error ? null : value }));
  });
}

export { grpc };
