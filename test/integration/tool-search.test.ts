// Claude Code 2.1.332's tool search, as recorded (test/fixtures/claude-code-2.1.332/): turn 1 lists
// its core tools, ToolSearch and a deferred placeholder; the model calls ToolSearch; turn 2 holds
// the tool_reference results and lists the loaded tools in their alphabetical places; turn 3 calls
// the loaded MCP tool. Translated for each kind of server and rendered with Qwen3-Coder's real
// template: the tool list a server sees never changes where it is rendered (mlx-lm), or grows only
// at its end (servers that parse calls to declared tools only), and each turn's prompt extends
// the last one's but for what Claude Code itself rewrites.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import * as v from "valibot";
import { MessagesRequest as MessagesRequestSchema, type MessagesRequest } from "../../src/protocol/anthropic";
import { normalizeRequest } from "../../src/routing/normalize-request";
import { convertToAnthropicUpstream } from "../../src/translate/convert-to-anthropic-upstream";
import { convertToOpenAIRequest } from "../../src/translate/convert-to-openai-request";
import { encodeTokens } from "../emulators/encode-tokens";
import { renderChatTemplate } from "../emulators/render-chat-template";

function turn(n: number): MessagesRequest {
  const text = readFileSync(new URL(`../fixtures/claude-code-2.1.332/tool-search-mcp-turn${n}.request.json`, import.meta.url), "utf8");
  return v.parse(MessagesRequestSchema, JSON.parse(text).body);
}

const turns = [1, 2, 3].map(turn);

function translated(request: MessagesRequest, declareLoaded: boolean) {
  const normalized = normalizeRequest(request, new Headers());
  const local = declareLoaded ? { ...normalized.request, tools: [...normalized.toolsWithLoaded] } : normalized.request;
  return convertToOpenAIRequest(local, { backend: "b", model: "qwen", images: false, includeTools: true, cleanToolSchemas: declareLoaded }).body;
}

// Qwen3-Coder's template iterates a call's arguments as a mapping: servers parse them first.
function prompt(request: MessagesRequest, declareLoaded: boolean): string {
  const body = translated(request, declareLoaded);
  const messages = body.messages.map((message) =>
    "tool_calls" in message && message.tool_calls
      ? {
          ...message,
          tool_calls: message.tool_calls.map((call) => ({ ...call, function: { ...call.function, arguments: JSON.parse(call.function.arguments) } })),
        }
      : message,
  );
  return renderChatTemplate("qwen3-coder", messages, body.tools, { addGenerationPrompt: false });
}

const commonPrefix = (a: string, b: string) => {
  let index = 0;
  while (index < a.length && a[index] === b[index]) index++;
  return index;
};
const newTokens = (before: string, after: string) => encodeTokens(after.slice(commonPrefix(before, after))).length;
const toolNames = (body: ReturnType<typeof translated>) => (body.tools ?? []).map((tool) => tool.function.name);

describe("Claude Code 2.1.332's tool search", () => {
  test("every turn is taken: tool_reference blocks become the loaded tools' definitions", () => {
    for (const request of turns) expect(() => normalizeRequest(request, new Headers())).not.toThrow();
    const toolMessage = translated(turns[1]!, false).messages.find((message) => message.role === "tool")!;
    expect(toolMessage.content).toStartWith(
      '<functions>\n<function>{"description":"Look up one of the user\'s notes by its title","name":"mcp__notes__lookup_note"',
    );
    expect(toolMessage.content).toContain('"name":"WebFetch"');
  });

  test("mlx-lm (it parses calls to undeclared tools): the same tool list every turn, no deferred tool in it", () => {
    const lists = turns.map((request) => translated(request, false).tools);
    expect(lists[1]).toEqual(lists[0]!);
    expect(lists[2]).toEqual(lists[0]!);
    expect(toolNames(translated(turns[0]!, false))).toEqual([
      "Agent",
      "Bash",
      "Edit",
      "ListAgents",
      "Read",
      "ReportFindings",
      "ScheduleWakeup",
      "Skill",
      "ToolSearch",
      "Workflow",
      "Write",
    ]);
  });

  test("servers that parse calls to declared tools only: the loaded tools follow the others, in loading order", () => {
    const names = turns.map((request) => toolNames(translated(request, true)));
    expect(names[1]).toEqual([...names[0]!, "mcp__notes__lookup_note", "WebFetch"]);
    expect(names[2]).toEqual(names[1]!);
  });

  test("each turn's prompt extends the last one's: a loaded tool costs its own tokens, not the prompt before it", () => {
    const [one, two, three] = turns.map((request) => prompt(request, false));
    expect(two!.startsWith(one!)).toBe(true);
    expect(three!.startsWith(two!)).toBe(true);
    expect(newTokens(one!, two!)).toBeLessThan(500);
    // Declaring the loaded tools recomputes the prompt after the tool list once, when they load.
    const [oneDeclared, twoDeclared, threeDeclared] = turns.map((request) => prompt(request, true));
    expect(twoDeclared!.slice(0, commonPrefix(oneDeclared!, twoDeclared!))).toContain("<name>Write</name>");
    expect(threeDeclared!.startsWith(twoDeclared!)).toBe(true);
  });

  test("the anthropic kind: no deferred tool, loaded ones declared at the end, no system message mid-conversation", () => {
    const normalized = normalizeRequest(turns[1]!, new Headers());
    const body = convertToAnthropicUpstream(
      { ...normalized.request, tools: [...normalized.toolsWithLoaded] },
      { model: "qwen", includeTools: true, cleanToolSchemas: true, images: true },
    );
    expect((body.tools as { name: string; defer_loading?: boolean }[]).map((tool) => tool.name).slice(-3)).toEqual([
      "Write",
      "mcp__notes__lookup_note",
      "WebFetch",
    ]);
    expect((body.tools as { defer_loading?: boolean }[]).some((tool) => "defer_loading" in tool)).toBe(false);
    // The session's context (the environment, the deferred tools' names) leads the messages as
    // user text, ahead of the first question (src/translate/system-prompt.ts).
    const messages = body.messages as { role: string; content: unknown }[];
    expect(messages.map((message) => message.role)).toEqual(["user", "user", "assistant", "user"]);
    expect(JSON.stringify(messages[0]!.content)).toContain("The following deferred tools are now available via ToolSearch");
    expect(body.system).not.toContain("The following deferred tools are now available via ToolSearch");
    expect(JSON.stringify(body.messages)).not.toContain("tool_reference");
  });
});
