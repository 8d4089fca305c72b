// The translated prompt of turn n+1, rendered by Qwen3's real chat template, starts with the
// rendered prompt of turn n plus the reply as the model generated it (less the think block,
// where the template drops it). Qwen3's template embeds a string `arguments` verbatim, so the
// arguments must go back byte for byte. Checked over many
// Claude-Code-shaped sessions: tool loops, parallel calls, thinking, mid-conversation system
// messages, images, trimmed replays, and a billing line that changes on every request.
import { describe, expect, test } from "bun:test";
import type { ContentBlock, Message, MessagesRequest } from "../../src/protocol/anthropic";
import { SessionReplay } from "../../src/prefix/replay-memory";
import { normalizeRequest } from "../../src/routing/normalize-request";
import { convertToOpenAIRequest } from "../../src/translate/convert-to-openai-request";
import type { Reply } from "../../src/translate/reply";
import { generatedTurn } from "../emulators/emulate-completion";
import { renderChatTemplate } from "../emulators/render-chat-template";
import { pythonJsonDumps } from "../emulators/python-json";
import { claudeCodeSystem, claudeCodeTools } from "../support/claude-code-fixture";

const TOOLS = claudeCodeTools();

// A small seeded generator: the same seed, the same session.
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => (state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  return { next, pick: <T>(items: T[]): T => items[Math.floor(next() * items.length)]!, chance: (p: number) => next() < p };
}

type Rng = ReturnType<typeof random>;

function translate(request: MessagesRequest, replay: SessionReplay) {
  const normalized = normalizeRequest(request, new Headers());
  return convertToOpenAIRequest(normalized.request, { backend: "lmstudio", model: "qwen", images: true, includeTools: true, cleanToolSchemas: true, replay })
    .body;
}

function render(request: MessagesRequest, replay: SessionReplay, addGenerationPrompt: boolean): string {
  const body = translate(request, replay);
  return renderChatTemplate("qwen3", body.messages, body.tools, { addGenerationPrompt });
}

// What the model generated after `request`'s prompt, as the emulators work it out.
function generated(request: MessagesRequest, replay: SessionReplay, prompt: string, reply: Reply): string {
  const body = translate(request, replay);
  return generatedTurn("qwen3", body.messages, body.tools, prompt, {
    reasoning: reply.thinking,
    text: reply.text,
    toolCalls: reply.toolCalls.map(({ name, arguments: args }) => ({ name, arguments: args })),
  });
}

// Qwen3's template drops the think blocks of turns before the last user query (a new question
// drops those of the whole tool loop before it, a real cost of the template), and an empty one
// always. The prefix is checked with them taken out; that they are kept in a tool loop, as well.
const withoutThink = (text: string) => text.replace(/<think>\n[\s\S]*?\n<\/think>\n\n/g, "");

// What the model generates for one turn: raw text and raw argument strings, as a server sends them.
function generateReply(rng: Rng, turn: number): Reply & { blocks: ContentBlock[] } {
  const toolCalls = rng.chance(0.6)
    ? Array.from({ length: rng.pick([1, 1, 2, 3]) }, (_, index) => {
        const args = rng.chance(0.5)
          ? { file_path: `/src/file${turn}_${index}.ts`, limit: 100 + index }
          : { command: `ls -la dir${index}`, description: "List files", timeout: 5000 };
        return { id: `toolu_${turn}_${index}`, name: rng.pick(["Read", "Bash", "Grep"]), arguments: pythonJsonDumps(args) };
      })
    : [];
  const text = rng.chance(0.7) || toolCalls.length === 0 ? `Step ${turn}: looking into it.${rng.chance(0.4) ? "\n" : ""}` : "";
  const thinking = rng.chance(0.4) ? `Turn ${turn}: think about it.` : "";
  // How Claude Code replays the turn: thinking with its signature, text trimmed, inputs parsed.
  const blocks: ContentBlock[] = [];
  if (thinking) blocks.push({ type: "thinking", thinking, signature: `sig-${turn}` });
  if (text) blocks.push({ type: "text", text: text.trimEnd() });
  for (const call of toolCalls) blocks.push({ type: "tool_use", id: call.id, name: call.name, input: JSON.parse(call.arguments) });
  return { text, thinking, toolCalls, stopReason: toolCalls.length ? "tool_use" : "end_turn", blocks };
}

function nextUserTurn(rng: Rng, reply: ReturnType<typeof generateReply>, turn: number): Message[] {
  const results: ContentBlock[] = reply.toolCalls.map((call) =>
    rng.pick<ContentBlock>([
      { type: "tool_result", tool_use_id: call.id, content: `output of ${call.name} #${turn}` },
      { type: "tool_result", tool_use_id: call.id, content: [{ type: "text", text: `lines for ${call.id}` }], is_error: rng.chance(0.3) },
    ]),
  );
  const extra: ContentBlock[] = rng.chance(0.3) ? [{ type: "image", source: { type: "base64", media_type: "image/png", data: `iVBOR${turn}` } }] : [];
  const user: Message = results.length
    ? { role: "user", content: [...results, ...extra] }
    : {
        role: "user",
        content: [{ type: "text", text: `<system-reminder>turn ${turn}</system-reminder>` }, { type: "text", text: `Question ${turn}?` }, ...extra],
      };
  return rng.chance(0.3) ? [user, { role: "system", content: `Reminder after turn ${turn}: ${rng.next().toString(36)}` }] : [user];
}

describe("prefix stability", () => {
  test("turn n+1 extends turn n plus the generated reply, over 40 seeded sessions of 8 turns", () => {
    let reasoningKept = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const rng = random(seed);
      const replay = new SessionReplay();
      let messages: Message[] = [
        {
          role: "user",
          content: [
            { type: "text", text: "<system-reminder>context</system-reminder>" },
            { type: "text", text: "Fix the failing test" },
          ],
        },
        { role: "system", content: "Available agent types: ..." },
      ];
      for (let turn = 1; turn <= 8; turn++) {
        const request: MessagesRequest = {
          model: "claude-opus-5-5",
          max_tokens: 32000,
          system: claudeCodeSystem(rng.next().toString(36)),
          tools: TOOLS,
          messages,
        };
        const prompt = render(request, replay, true);
        const reply = generateReply(rng, turn);
        replay.remember(reply);
        const turnText = generated(request, replay, prompt, reply);
        messages = [...messages, { role: "assistant", content: reply.blocks }, ...nextUserTurn(rng, reply, turn)];
        const next = render({ ...request, system: claudeCodeSystem(rng.next().toString(36)), messages }, replay, true);
        if (reply.thinking && next.startsWith(prompt + turnText)) reasoningKept++;
        const [actual, expected] = [withoutThink(next), withoutThink(prompt + turnText)];
        if (!actual.startsWith(expected)) {
          let at = 0;
          while (actual[at] === expected[at]) at++;
          throw new Error(`seed ${seed}, turn ${turn}: diverges at ${at}: ${JSON.stringify(actual.slice(at - 80, at + 80))}`);
        }
      }
    }
    expect(reasoningKept).toBeGreaterThan(10); // tool loops replay their reasoning (reasoning_content)
  });

  test("without the replay memory the same sessions diverge (the test can fail)", () => {
    const replay = new SessionReplay();
    const messages: Message[] = [{ role: "user", content: "Read two files" }];
    const request: MessagesRequest = { model: "m", max_tokens: 100, system: claudeCodeSystem("a"), tools: TOOLS, messages };
    const prompt = render(request, replay, true);
    const call = { id: "toolu_x", name: "Read", arguments: '{"file_path": "/a.ts"}' };
    const turnText = withoutThink(generated(request, replay, prompt, { text: "", thinking: "", toolCalls: [call], stopReason: "tool_use" } as Reply));
    const next = render(
      {
        ...request,
        messages: [
          ...messages,
          { role: "assistant", content: [{ type: "tool_use", id: call.id, name: call.name, input: { file_path: "/a.ts" } }] },
          { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: "x" }] },
        ],
      },
      replay,
      true,
    );
    expect(next.startsWith(prompt + turnText)).toBe(false);
  });

  test("two sessions with different billing lines render the same prefix up to their first user message", () => {
    const first = (nonce: string, question: string) =>
      render(
        { model: "m", max_tokens: 100, system: claudeCodeSystem(nonce), tools: TOOLS, messages: [{ role: "user", content: question }] },
        new SessionReplay(),
        true,
      );
    const a = first("00001", "What does main.ts do?");
    const b = first("f00ba", "Add a test for the parser");
    const firstUser = a.indexOf("<|im_start|>user");
    expect(firstUser).toBeGreaterThan(50_000); // system prompt and 24 tools
    expect(a.slice(0, firstUser + "<|im_start|>user\n".length)).toBe(b.slice(0, firstUser + "<|im_start|>user\n".length));
    expect(a).not.toContain("x-anthropic-billing-header");
  });
});
