// A loopback server in front of a real one, for what the tests put between a client and it: each
// request is handed over with the URL it is for on the real server (same path and query).
export type PassThrough = { url: string; stop(): void };

export function passThrough(upstreamRoot: string, handle: (request: Request, target: string) => Response | Promise<Response>): PassThrough {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    fetch(request) {
      const url = new URL(request.url);
      return handle(request, `${upstreamRoot}${url.pathname}${url.search}`);
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
}
