/**
 * TCP keep-alive on the connections serve holds open while no byte may flow for a long time: client
 * connections, and the backend side of WebSocket tunnels and TCP / TLS-passthrough relays. A peer
 * that vanishes without a FIN or RST (a NAT entry or a mobile network gone, a host powered off)
 * is otherwise never noticed on an idle tunnel: nothing is sent, so nothing fails, and both
 * sockets of the tunnel stayed open for the life of the process. With keep-alive the kernel
 * probes an idle connection after TCP_KEEPALIVE_DELAY_MS and resets it when the probes go
 * unanswered (Linux: 9 probes 75 s apart, so about 12 minutes); a live but quiet peer answers
 * them and is never cut.
 */
import type { Socket } from "node:net";

/** Idle time before the first probe (implementation-specific; HAProxy's `option tcpka` leaves it to the system, 2 h on Linux). */
export const TCP_KEEPALIVE_DELAY_MS = 60_000;

export function keepAlive(socket: Socket): void {
  socket.setKeepAlive(true, TCP_KEEPALIVE_DELAY_MS);
}
