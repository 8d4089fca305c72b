// A Claude Code conversation that grows as one does: its real system prompt and tool list, then
// tool loops (a Read and its result, a line of text), the cache_control marker on the last user
// message only, as Claude Code moves it every turn. `turn(n)` is the request of the n-th turn.
import type { MessagesRequest } from "../../src/protocol/anthropic";
import { recordedRequest } from "../../test/support/claude-code-fixture";

type Message = MessagesRequest["messages"][number];

export function growingConversation(options: { resultChars: number; seed?: string }) {
  const base = recordedRequest("tool-loop-2").body;
  const first = base.messages[0]!;
  const turns: Message[] = [];
  const marked = (message: Message): Message => {
    if (typeof message.content === "string")
      return { ...message, content: [{ type: "text", text: message.content, cache_control: { type: "ephemeral" } }] } as Message;
    const content = [...message.content];
    content[content.length - 1] = { ...content.at(-1)!, cache_control: { type: "ephemeral" } } as (typeof content)[number];
    return { ...message, content } as Message;
  };
  const line = (index: number) => `${String(index).padStart(5)}\tconst value${index} = compute(${index}, "${options.seed ?? "x"}"); // keeps the loop short`;
  const addTurn = (index: number) => {
    const id = `toolu_${options.seed ?? "x"}_${index}`;
    const lines: string[] = [];
    for (let at = 0; lines.join("\n").length < options.resultChars; at++) lines.push(line(index * 1000 + at));
    turns.push({
      role: "assistant",
      content: [
        { type: "text", text: `Reading part ${index}.` },
        { type: "tool_use", id, name: "Read", input: { file_path: `/repo/src/file-${index}.ts` } },
      ],
    } as Message);
    turns.push({ role: "user", content: [{ type: "tool_result", tool_use_id: id, content: lines.join("\n") }] } as Message);
  };
  return {
    // The body of the request after `count` tool loops, as Claude Code sends it.
    turn(count: number): MessagesRequest {
      while (turns.length < 2 * count) addTurn(turns.length / 2);
      const messages = [first, ...turns.slice(0, 2 * count)];
      messages[messages.length - 1] = marked(messages.at(-1)!);
      return { ...base, stream: false, messages };
    },
  };
}

// The first turn whose body is at least `bytes` long.
export function turnOfSize(conversation: ReturnType<typeof growingConversation>, bytes: number): number {
  let count = 0;
  while (JSON.stringify(conversation.turn(count)).length < bytes) count += 1;
  return count;
}
