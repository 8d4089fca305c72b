// What the daemon asks of the connection a request came on (Bun's server, start-server.ts; none
// when tests call app.handle in process): the peer's address, and its idle timeout.
//
// Bun's idleTimeout counts from the last byte the client sent, whatever the daemon writes
// (measured on Bun 1.4.5 with a raw socket and a 1 s timeout: a streamed response writing every
// second was cut after 4 s, as was a GET handler still waiting to answer; a POST handler that had
// read its body and waited 7 s was not, which nothing documents). It is what closes an idle
// keep-alive connection and a half-sent body; a reply that waits on its backend (a silent prefill
// of a whole reply, minutes; a stream between pings) is held open from the moment its body is
// read until it ends, then the timeout applies again (a setting made with server.timeout stays on
// the connection for its later requests: measured, held 25 s after the reply without the reset).
import type { Server } from "bun";

export type Connections = {
  peer(request: Request): string | undefined;
  hold(request: Request): void; // no idle timeout until release
  release(request: Request): void;
};

export const IN_PROCESS: Connections = { peer: () => undefined, hold() {}, release() {} };

// `server` is asked late: Bun.serve returns it only after its fetch handler is set.
export function bunConnections(server: () => Server<unknown> | undefined, idleTimeoutSeconds: number): Connections {
  const timeout = (request: Request, seconds: number) => {
    try {
      server()?.timeout(request, seconds);
    } catch {
      // The client has gone: there is no connection left to time out.
    }
  };
  return {
    peer: (request) => server()?.requestIP(request)?.address,
    hold: (request) => timeout(request, 0),
    release: (request) => timeout(request, idleTimeoutSeconds),
  };
}
