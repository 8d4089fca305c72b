// Production mode (issue 27): an error that escapes the app's own handler (here: its log line
// cannot be written, as on a full disk) is answered in Anthropic's shape, never with Bun's
// development page (51 KB of HTML with a stack trace).
import { afterAll, expect, test } from "bun:test";
import { resolveConfig } from "../../src/config/resolve-config";
import { logToFile } from "../../src/logger";
import { startServer } from "../../src/server/start-server";

const server = await startServer({ config: resolveConfig({ port: 0, prewarm: false, backends: [{ name: "none", kind: "openai", url: "http://127.0.0.1:9/v1" }] }, {}), fetch: (async () => Response.json({ data: [] })) as unknown as typeof fetch });
afterAll(() => server.stop());

test("an error the app's error handler cannot answer gets an Anthropic-shaped 500, no HTML, no stack", async () => {
  await Bun.sleep(200); // the startup lines logged
  logToFile({
    write() {
      throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    },
  });
  let response: Response;
  try {
    response = await fetch(`${server.url}/nowhere`); // refused, and the refusal's log line throws
  } finally {
    logToFile(process.stderr);
  }
  const text = await response.text();
  expect([response.status, response.headers.get("content-type")]).toEqual([500, "application/json;charset=utf-8"]);
  expect(JSON.parse(text)).toEqual({ type: "error", error: { type: "api_error", message: "anyclaude failed: ENOSPC: no space left on device, write" } });
  expect(text).not.toContain(" at ");
});
