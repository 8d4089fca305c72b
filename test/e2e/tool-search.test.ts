// Claude Code's tool search through anyclaude, with the newest release and the emulated backends:
// the model loads an MCP server's tool with ToolSearch, then calls it. Nothing is refused, so
// Claude Code keeps tool search on; the servers' tool lists never gain a deferred tool where it
// would break their cache (mlx-lm: never; a server that parses declared tools only: at the end).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ChatBody, Respond } from "../emulators";
import { textOf } from "../emulators/scripted-model";
import { makeClaudeHome, newestClaudeCode, runClaude } from "../support/run-claude";
import { startStack, type Stack } from "../support/start-stack";

const MCP_SERVER = resolve(import.meta.dir, "../support/notes-mcp-server.mjs");
const LOOKUP = "mcp__notes__lookup_note";

// The model: load the tool, call it, then say what the note holds. (Claude Code follows a
// ToolSearch result with a "Tool loaded." user text: the newest tool result decides.)
const toolSearcher: Respond = (body) => {
  const result = textOf(body.messages.findLast((message) => message.role === "tool") ?? { role: "tool" });
  if (result.includes("buy milk")) return { text: "Your shopping note says: buy milk." };
  if (result.includes(`"name":"${LOOKUP}"`)) return { toolCalls: [{ name: LOOKUP, arguments: '{"title": "shopping"}' }] };
  return { toolCalls: [{ name: "ToolSearch", arguments: `{"query": "select:${LOOKUP}"}` }] };
};

const toolNames = (body: ChatBody) => (body.tools ?? []).map((tool) => tool.function.name);

for (const kind of ["lmstudio", "mlx-lm"] as const) {
  describe(`tool search with Claude Code ${newestClaudeCode().version}, through ${kind}`, () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({
        mlx: { respond: toolSearcher },
        lmstudio: { respond: toolSearcher },
        config: ({ mlx, lmstudio }) => ({
          backends: [
            kind === "lmstudio"
              ? { name: "lmstudio", kind: "lmstudio", url: lmstudio, tools: true }
              : { name: "mlx-lm", kind: "mlx-lm", url: mlx, tools: true },
          ],
        }),
      });
    });
    afterAll(() => stack.stop());

    test("an MCP server's deferred tool is loaded with ToolSearch and called; nothing is refused", async () => {
      const { home, workdir } = makeClaudeHome();
      const config = join(home, "mcp.json");
      writeFileSync(config, JSON.stringify({ mcpServers: { notes: { command: "node", args: [MCP_SERVER] } } }));
      const run = await runClaude(["-p", "Look up my shopping note", "--mcp-config", config, "--allowedTools", LOOKUP], { baseUrl: stack.url, home, workdir });
      expect(run.stderr).toBe("");
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toContain("buy milk");

      const requests = (kind === "lmstudio" ? stack.lmstudio : stack.mlx).requests.map((request) => request.body as ChatBody);
      expect(requests).toHaveLength(3);
      const [first, loaded, called] = requests.map(toolNames);
      expect(first).toContain("ToolSearch");
      expect(first).not.toContain("DeferredToolPlaceholder");
      expect(first).not.toContain(LOOKUP);
      if (kind === "mlx-lm") {
        expect(loaded).toEqual(first!);
        expect(called).toEqual(first!);
      } else {
        expect(loaded).toEqual([...first!, LOOKUP]);
        expect(called).toEqual(loaded!);
      }
      const toolResult = requests[1]!.messages.find((message) => message.role === "tool");
      expect(textOf(toolResult!)).toStartWith(`<functions>\n<function>{"description":"Look up one of the user's notes by its title","name":"${LOOKUP}"`);
    });
  });
}
