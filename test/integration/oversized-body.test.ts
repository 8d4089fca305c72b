// A body over maxBodyBytes, sent by a client that writes it all before it reads and asks for
// `Connection: close` (Python's urllib; issue 18, point 3): it reads the 413, never a broken pipe
// or a reset connection. Bun closes such a connection as soon as the answer is out.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { startStack, type Stack } from "../support/start-stack";

const SCRIPT = join(import.meta.dir, "../support/post-oversized-body.py");
const LIMIT = 1024 * 1024;

async function post(url: string, bytes: number, framing: "length" | "chunked"): Promise<any> {
  const child = Bun.spawn(["python3", SCRIPT, url, String(bytes), framing], { stdout: "pipe", stderr: "inherit" });
  const [, stdout] = await Promise.all([child.exited, new Response(child.stdout).text()]);
  return JSON.parse(stdout);
}

describe("Python's urllib sending 8 MB to a daemon that takes 1 MB", () => {
  let stack: Stack;
  beforeAll(
    async () => (stack = await startStack({ config: ({ mlx }) => ({ maxBodyBytes: LIMIT, backends: [{ name: "mlx-lm", kind: "mlx-lm", url: mlx }] }) })),
  );
  afterAll(() => stack.stop());

  const refusal = {
    status: 413,
    body: { type: "error", error: { type: "request_too_large", message: `the request body is larger than ${LIMIT} bytes (the daemon's "maxBodyBytes")` } },
  };

  test("with a Content-Length, reads the 413", async () => {
    expect(await post(stack.url, 8 * LIMIT, "length")).toEqual(refusal);
  });

  test("chunked, reads the 413", async () => {
    expect(await post(stack.url, 8 * LIMIT, "chunked")).toEqual(refusal);
  });
});
