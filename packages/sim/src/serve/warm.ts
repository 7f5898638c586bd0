/**
 * Exit latency: undici parses HTTP/1.1 with llhttp compiled to WebAssembly. V8 compiles it
 * first with its baseline compiler (Liftoff) and recompiles the functions that turn hot with its
 * optimizing compiler (TurboFan) on background threads, while traffic flows. Node does not exit
 * before those background jobs end (its platform drains them after the event loop empties), so
 * a SIGTERM in the second after the first requests waited for them with nothing left open:
 * 0.1 s on an idle machine, 0.3-1.3 s on a loaded 2-core one. `--liftoff-only` would remove the
 * jobs but cost ~20% throughput; compiling the parser with the optimizing compiler at once, at
 * start (0.2 s, up to ~0.9 s loaded, before `gwsim: ready`), leaves no job to wait for.
 */
import net from "node:net";
import v8 from "node:v8";
import { Client } from "undici";

/**
 * Has V8 compile WebAssembly with the optimizing compiler only (`--no-liftoff`: no tier-up jobs
 * later) and makes undici compile its parser now, over one request to a throwaway loopback
 * listener. Process-wide, so for the `serve` command, not the library. Failures are ignored
 * (the parser then compiles on the first backend connection).
 */
export async function compileHttpParserNow(): Promise<void> {
  v8.setFlagsFromString("--no-liftoff");
  const server = net.createServer((socket) => {
    socket.on("error", () => undefined);
    socket.once("data", () => socket.end("HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n"));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as net.AddressInfo;
    // Bounded: a start never hangs on this.
    const client = new Client(`http://127.0.0.1:${port}`, { connectTimeout: 5000, headersTimeout: 5000, bodyTimeout: 5000 });
    try {
      const res = await client.request({ method: "GET", path: "/" });
      await res.body.dump();
    } finally {
      await client.destroy();
    }
  } catch {
    // Nothing to warm: no loopback here.
  } finally {
    server.close();
  }
}
