// Logging never fails what is logged: a log file that cannot be written loses lines, not replies.
import { afterEach, expect, test } from "bun:test";
import { resolveConfig } from "./config/resolve-config";
import { logger, logToFile } from "./logger";
import { createApp } from "./server/create-app";

const saved = logger.options.reporters;
afterEach(() => {
  logToFile(undefined);
  logger.setReporters(saved);
});

// A log file on a full disk, until `full` is set false.
function diskFile() {
  const file = { full: true, lines: [] as string[] };
  return Object.assign(file, {
    write(text: string) {
      if (file.full) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
      file.lines.push(text);
    },
  });
}

test("a log file whose write throws (ENOSPC): every streamed reply still ends; the loss is said once on stderr, and again when it recovers", async () => {
  const file = diskFile();
  const stderr: string[] = [];
  logToFile(file, { write: (text: string) => stderr.push(text) });
  const fetcher = (async (input: string | URL | Request) => {
    if (String(input).endsWith("/models")) return Response.json({ data: [{ id: "m" }] });
    const body = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "4" }, finish_reason: "stop" }] })}\n\ndata: [DONE]\n\n`;
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  }) as typeof fetch;
  const { app } = createApp({
    config: resolveConfig({ backends: [{ name: "llama", kind: "openai", url: "http://127.0.0.1:9/v1" }] }, {}),
    fetch: fetcher,
    version: "test",
  });
  for (let n = 0; n < 3; n++) {
    const response = await app.handle(
      new Request("http://localhost/v1/messages", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", max_tokens: 64, stream: true, messages: [{ role: "user", content: "2+2?" }] }),
      }),
    );
    expect(await response.text()).toContain("event: message_stop");
  }
  expect(stderr).toHaveLength(1);
  expect(stderr[0]).toContain("the log cannot be written (ENOSPC: no space left on device, write); its lines are lost until it can");
  file.full = false;
  logger.info("after the disk was cleared");
  expect(stderr).toHaveLength(2);
  expect(stderr[1]).toMatch(/the log can be written again; \d+ lines since .* lost/);
  expect(file.lines.join("")).toContain("after the disk was cleared");
  expect(file.lines.join("")).toContain("the log can be written again");
});

test("a line is cut at 2,000 characters, saying how much was cut", () => {
  const file = diskFile();
  file.full = false;
  logToFile(file);
  logger.warn(`backend error: ${"x".repeat(1_000_000)}`);
  const [line] = file.lines;
  expect(line!.length).toBeLessThan(2_200);
  expect(line).toContain(`[... ${1_000_000 + "backend error: ".length - 2_000} more characters cut]`);
});
