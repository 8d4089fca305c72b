// The official Anthropic SDK as a script in Node and in Bun, as users run it (issue 18, point 1):
// Node's built-in fetch sends `Sec-Fetch-Mode: cors` on every request, and that alone is no browser.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { startStack, type Stack } from "../support/start-stack";

const SCRIPT = join(import.meta.dir, "../support/sdk-client-script.mjs");

async function runScript(runtime: string, args: string[]): Promise<{ exitCode: number; output: any }> {
  const child = Bun.spawn([runtime, SCRIPT, ...args], { stdout: "pipe", stderr: "inherit" });
  const [exitCode, stdout] = await Promise.all([child.exited, new Response(child.stdout).text()]);
  return { exitCode, output: JSON.parse(stdout) };
}

describe.each([
  ["node", "node"],
  ["bun", process.execPath],
])("the Anthropic SDK under %s", (_, runtime) => {
  let stack: Stack;
  let guarded: Stack;
  beforeAll(async () => {
    stack = await startStack();
    guarded = await startStack({ config: ({ mlx }) => ({ authToken: "s3cret", backends: [{ name: "mlx-lm", kind: "mlx-lm", url: mlx }] }) });
  });
  afterAll(() => Promise.all([stack.stop(), guarded.stop()]));

  test("creates and streams a message", async () => {
    const run = await runScript(runtime, [stack.url]);
    expect(run.output).toEqual({ created: [{ type: "text", text: "4" }], streamed: [{ type: "text", text: "4" }] });
    expect(run.exitCode).toBe(0);
  });

  test("with the daemon's authToken as its API key; a wrong key is a 401", async () => {
    expect((await runScript(runtime, [guarded.url, "s3cret"])).exitCode).toBe(0);
    const wrong = await runScript(runtime, [guarded.url, "sk-ant-someone-else"]);
    expect(wrong.output.status).toBe(401);
  });
});
