// The floor for bench-proxy: a Bun server that forwards each request's body as it is to the backend's
// /chat/completions and streams the answer back. What it adds is the second loopback hop itself,
// which no proxy avoids. Prints its URL, then serves until killed.
const backendUrl = Bun.argv[2]!;
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  idleTimeout: 0,
  async fetch(request) {
    const upstream = await fetch(`${backendUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: await request.text(),
    });
    return new Response(upstream.body, { status: upstream.status, headers: upstream.headers });
  },
});
process.stdout.write(`http://127.0.0.1:${server.port}\n`);
