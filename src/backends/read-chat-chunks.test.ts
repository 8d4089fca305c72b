import { describe, expect, test } from "bun:test";
import { byteStream, fixtureSse } from "../../test/support/replay-chunks";
import type { PrefillProgress } from "./prefill-progress";
import { readChatChunks } from "./read-chat-chunks";

async function progressOf(fixture: string): Promise<(PrefillProgress | undefined)[]> {
  const progress = [];
  for await (const event of readChatChunks(byteStream(fixtureSse(fixture)), "test")) if (event.kind === "comment") progress.push(event.progress);
  return progress;
}

describe("prefill progress in a backend's stream", () => {
  test("mlx_lm.server's keepalive comments carry N of M computed tokens", async () => {
    expect(await progressOf("mlx-lm-keepalive-comments-during-prefill")).toEqual([
      { processed: 2048, total: 18490 },
      { processed: 8192, total: 18490 },
      { processed: 16384, total: 18490 },
    ]);
  });

  // tools/server/server-context.cpp fills prompt_progress with the whole prompt: cached tokens
  // count in `total` and `processed`, and only the rest is work.
  test("llama-server's prompt_progress (return_progress) becomes progress of the uncached tokens", async () => {
    expect(await progressOf("llama-cpp-prompt-progress-and-timings")).toEqual([
      { processed: 0, total: 18000 },
      { processed: 9000, total: 18000 },
      { processed: 18000, total: 18000 },
    ]);
  });
});
