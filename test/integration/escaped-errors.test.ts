// Production mode (issue 27): an error that escapes the app's own handler is answered in
// Anthropic's shape, never with Bun's development page (51 KB of HTML with a stack trace). Seen
// when the error handler's own log line could not be written (a full disk); logging no longer
// throws (src/logger.ts), so Bun's `error` handler is the last line of defence, tested as it is.
import { expect, test } from "bun:test";
import { answerEscapedError } from "../../src/server/start-server";

test("an error the app's error handler cannot answer gets an Anthropic-shaped 500, no HTML, no stack", async () => {
  const response = answerEscapedError(Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" }));
  const text = await response.text();
  expect([response.status, response.headers.get("content-type")]).toEqual([500, "application/json;charset=utf-8"]);
  expect(JSON.parse(text)).toEqual({ type: "error", error: { type: "api_error", message: "anyclaude failed: ENOSPC: no space left on device, write" } });
  expect(text).not.toContain(" at ");
});
