// The body sent on is handed back once sent (release-bytes.ts). That relies on Bun's fetch taking
// a copy of a body as it takes it: a server that reads slowly must still get every byte, and so
// must the second try after a reset, which sends the same body again.
import { afterAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { resolveConfig } from "../config/resolve-config";
import { sendToBackend } from "./send-to-backend";
import { serializeBody } from "./serialize-body";
import { UpstreamWatch } from "./upstream-watch";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

// Reads each body a chunk at a time, a millisecond apart, and answers with the digest of what came.
const slowReader = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    const hash = createHash("sha256");
    for await (const chunk of request.body!) {
      hash.update(chunk);
      await Bun.sleep(1);
    }
    return Response.json({ digest: hash.digest("hex") });
  },
});
afterAll(() => slowReader.stop(true));

const [backend] = resolveConfig({ backends: [{ name: "slow", kind: "openai", url: `http://127.0.0.1:${slowReader.port}/v1` }] }, {}).backends;
// ~3 MB, its messages in many pieces: what serializeBody joins.
const body = {
  model: "m",
  messages: Array.from({ length: 600 }, (_, index) => ({ role: index % 2 ? "assistant" : "user", content: `${index} ${"word ".repeat(1_000)}` })),
};
const expected = sha256(serializeBody(body));

async function send(fetcher: typeof fetch): Promise<string> {
  const response = await sendToBackend(backend!, {
    path: "/chat/completions",
    body,
    stream: false,
    signal: new AbortController().signal,
    watch: new UpstreamWatch(backend!, fetcher),
    fetcher,
  });
  return ((await response.json()) as { digest: string }).digest;
}

describe("the body sent on, handed back once sent (Bun's fetch copies it)", () => {
  test("a server that reads slowly gets every byte", async () => {
    expect(await send(fetch)).toBe(expected);
  });

  test("the second try after a reset before any answer sends the whole body again", async () => {
    let calls = 0;
    const resetOnce = (async (input: string, init?: RequestInit) => {
      if (calls++ === 0) throw Object.assign(new Error("The socket connection was closed unexpectedly"), { code: "ECONNRESET" });
      return fetch(input, init);
    }) as typeof fetch;
    expect(await send(resetOnce)).toBe(expected);
    expect(calls).toBe(2);
  });
});
