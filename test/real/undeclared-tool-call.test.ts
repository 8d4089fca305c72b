// The `callsUndeclaredTools` quirk (src/backends/backend-quirks.ts), tried on the real servers:
// does a server parse a call to a tool the request does not declare, as a loaded deferred tool is
// on mlx-lm (src/translate/deferred-tools.ts)? The Qwen3 thinking test model calls Bash on its own
// when the question ends in <tool_call>; the request declares only Read. Sent straight to each
// server's chat completions, as anyclaude translates it.
import { afterAll, expect, test } from "bun:test";
import { describeReal, startLlamaServer, startMlxLmServer, type RealServer } from "./real-servers";

const READ = {
  type: "function",
  function: {
    name: "Read",
    description: "Read a file",
    parameters: { type: "object", properties: { file_path: { type: "string" } }, required: ["file_path"] },
  },
};
const ASK = { model: "default_model", max_tokens: 64, tools: [READ], messages: [{ role: "user", content: "List the files. <tool_call>" }] };

async function ask(server: RealServer): Promise<{ status: number; body: any }> {
  const response = await fetch(`${server.url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(ASK),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

describeReal("a call to a tool the request does not declare", () => {
  const servers: RealServer[] = [];
  afterAll(async () => {
    for (const server of servers) await server.stop();
  });

  test("mlx_lm.server 0.32.2 parses it (its json_tools parser takes any name): callsUndeclaredTools", async () => {
    const mlx = await startMlxLmServer("qwen3-thinking", "0.32.2");
    servers.push(mlx);
    const { status, body } = await ask(mlx);
    expect(status).toBe(200);
    expect(body.choices[0].message.tool_calls.map((call: any) => call.function.name)).toEqual(["Bash"]);
    expect(JSON.parse(body.choices[0].message.tool_calls[0].function.arguments)).toEqual({ command: "ls" });
  }, 300_000);

  test("llama-server does not: its grammar steers the call into a declared tool, so loaded tools are declared to it", async () => {
    const llama = await startLlamaServer("qwen3-thinking");
    servers.push(llama);
    const { status, body } = await ask(llama);
    // Its lazy grammar starts at <tool_call> and allows only the declared names: the model meant
    // Bash and was steered into Read.
    expect(status).toBe(200);
    expect(body.choices[0].message.tool_calls.map((call: any) => call.function.name)).toEqual(["Read"]);
  }, 300_000);
});
