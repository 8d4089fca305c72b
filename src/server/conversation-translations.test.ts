// The upstream body of a request whose earlier messages' translation is reused from the request
// before must be, byte for byte, the body a whole translation gives: a backend's prompt cache holds
// the prefix it was sent, and one byte off loses it.
import { describe, expect, test } from "bun:test";
import { random, type Rng } from "../../test/support/fuzz-mutators";
import { deepFreeze } from "../memoize-by-identity";
import { ReplayMemory } from "../prefix/replay-memory";
import type { LocalRequest, Message } from "../protocol/anthropic";
import { convertToOpenAIRequest, type TranslationTarget } from "../translate/convert-to-openai-request";
import type { Reply } from "../translate/reply";
import { ConversationTranslations } from "./conversation-translations";

const SESSION = "alice/session";
const target: TranslationTarget = { backend: "local", model: "m", images: true, includeTools: false, cleanToolSchemas: false };

// One message of a Claude Code conversation: tool loops, text with and without the whitespace a
// model wrote around it, thinking, images, system messages (joined to the system prompt when they
// follow the first question, user text later), text outside Latin-1.
function nextMessage(rng: Rng, index: number, previous: Message | undefined): Message {
  const text = () => rng.pick(["Reading it.", "done", "é → 🙂", 'line\n\twith "quotes"', "x".repeat(rng.int(3_000))]);
  if (previous?.role === "assistant") {
    const uses = Array.isArray(previous.content) ? previous.content.flatMap((block) => (block.type === "tool_use" ? [block.id] : [])) : [];
    if (uses.length > 0)
      return {
        role: "user",
        content: uses.map((id) => ({
          type: "tool_result" as const,
          tool_use_id: id,
          content: rng.chance(0.3) ? [{ type: "text" as const, text: text() }] : text(),
          ...(rng.chance(0.1) ? { is_error: true } : {}),
        })),
      };
    return { role: "user", content: rng.chance(0.5) ? text() : [{ type: "text", text: text() }] };
  }
  if (index > 0 && rng.chance(0.15)) return { role: "system", content: text() };
  if (rng.chance(0.1))
    return {
      role: "user",
      content: [
        { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
        { type: "text", text: text() },
      ],
    };
  if (index === 0 || previous?.role !== "user") return { role: "user", content: text() };
  return {
    role: "assistant",
    content: [
      ...(rng.chance(0.3) ? [{ type: "thinking" as const, thinking: text(), signature: "sig" }] : []),
      // Sometimes with whitespace around it: the replay memory finds the model's text trimmed.
      { type: "text" as const, text: rng.chance(0.3) ? `\n answer ${index} ` : `answer ${index}` },
      ...Array.from({ length: rng.int(3) }, (_, call) => ({
        type: "tool_use" as const,
        id: `toolu_${index}_${call}`,
        name: "Read",
        input: { file_path: `/f/${index}`, n: call },
      })),
    ],
  };
}

// Claude Code moves its cache_control marker to the newest message every turn: a new object.
function marked(message: Message): Message {
  if (typeof message.content === "string") return message;
  const content = [...message.content];
  content[content.length - 1] = { ...content.at(-1)!, cache_control: { type: "ephemeral" } } as (typeof content)[number];
  return { ...message, content };
}

function wholeBody(request: LocalRequest, options: TranslationTarget): string {
  return JSON.stringify(convertToOpenAIRequest(structuredClone(request), options).body);
}

describe("a conversation translated once, its new messages after", () => {
  test("200 seeded growing conversations: every request's body is the whole translation's, byte for byte", () => {
    // The bytes of call toolu_<index>_<n>: the input the client sends back for it when `file` is its
    // index (replayed), another input when not (the client's wins).
    const reply = (id: string, text: string, file: number): Reply => ({
      text,
      thinking: "",
      toolCalls: [{ id, name: "Read", arguments: `{"file_path":  "/f/${file}", "n": ${Number(id.split("_")[2]) || 0}}` }],
      stopReason: "tool_use",
    });
    for (let seed = 1; seed <= 200; seed++) {
      const rng = random(seed);
      // Half with a memory so small that answers are pushed out (changes too), and the session
      // itself by another's reply (its memory then another object, or none).
      const small = rng.chance(0.5);
      const replayMemory = small ? new ReplayMemory({ sessions: 1, turnsPerSession: 1 + rng.int(4) }) : new ReplayMemory();
      const translations = new ConversationTranslations();
      const kept: Message[] = []; // frozen, as the conversation cache keeps them
      for (let turn = 0; turn < 24; turn++) {
        const added = nextMessage(rng, kept.length, kept.at(-1));
        // The model's own bytes for the turn just written, or later for one written and translated
        // before; its text with whitespace around it that the client trimmed.
        if (added.role === "assistant" || rng.chance(0.1)) {
          const id = rng.chance(0.5) ? `toolu_${kept.length}_0` : `toolu_${rng.int(kept.length + 1)}_${rng.int(2)}`;
          const index = Number(id.split("_")[1]);
          replayMemory.remember(
            SESSION,
            reply(
              id,
              `${rng.pick([" ", "\t", "\n\n"])}answer ${rng.chance(0.5) ? kept.length : rng.int(kept.length + 1)}${rng.pick(["\n", " ", ""])}`,
              rng.chance(0.7) ? index : rng.int(9),
            ),
          );
        }
        if (small && rng.chance(0.05)) replayMemory.remember("bob/session", reply("toolu_1_0", " answer 1\n", 0));
        // More changes than the memory keeps a record of: every answer is asked again.
        if (rng.chance(0.02)) for (let call = 0; call < 2_100; call++) replayMemory.remember(SESSION, reply(`toolu_burst_${call}`, "", call));
        // History rewritten (as a compaction does): a message replaced by another, asking other questions.
        if (kept.length > 1 && rng.chance(0.1)) kept[rng.int(kept.length)] = deepFreeze(structuredClone(kept[rng.int(kept.length)]!));
        const options = rng.chance(0.2) ? { ...target, images: false } : rng.chance(0.2) ? { ...target, contentKeepsSeparators: true } : target;
        const way = `${options.images} ${options.contentKeepsSeparators ?? false}`;
        const replay = replayMemory.session(SESSION);
        const request: LocalRequest = {
          model: "claude",
          max_tokens: 100,
          system: [{ type: "text", text: "You are Claude Code →" }],
          messages: [...kept, marked(added)],
        };
        let whole: string | Error;
        try {
          whole = wholeBody(request, { ...options, replay });
        } catch (error) {
          whole = error as Error;
        }
        const reused = () => JSON.stringify(convertToOpenAIRequest(request, { ...options, replay, reuse: translations.reuse(SESSION, way, replay) }).body);
        if (whole instanceof Error) expect(reused).toThrow(whole.message);
        else expect(reused()).toBe(whole);
        kept.push(deepFreeze(added));
      }
    }
  });

  test("a kept message is translated once, again for another way or when the replay memory answers otherwise", () => {
    const replayMemory = new ReplayMemory();
    const translations = new ConversationTranslations();
    const assistant = deepFreeze<Message>({
      role: "assistant",
      content: [
        { type: "text", text: "hi" },
        { type: "tool_use", id: "toolu_1", name: "Read", input: { a: 1 } },
      ],
    });
    const request: LocalRequest = {
      model: "claude",
      max_tokens: 100,
      messages: [deepFreeze<Message>({ role: "user", content: "q" }), assistant, { role: "user", content: "next" }],
    };
    const translate = (way: string) =>
      convertToOpenAIRequest(request, { ...target, reuse: translations.reuse(SESSION, way, replayMemory.session(SESSION)) }).body.messages[1];
    const first = translate("a");
    expect(translate("a")).toBe(first);
    expect(translate("b")).not.toBe(first);
    const again = translate("a");
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
    replayMemory.remember(SESSION, { text: "hi\n", thinking: "", toolCalls: [{ id: "toolu_1", name: "Read", arguments: '{"a": 1}' }], stopReason: "tool_use" });
    const replayed = translate("a");
    expect(replayed).not.toBe(again);
    expect(replayed).toMatchObject({ content: "hi\n", tool_calls: [{ function: { arguments: '{"a": 1}' } }] });
    expect(translate("a")).toBe(replayed);
  });

  test("a message not frozen is translated again: it may have changed in place", () => {
    const translations = new ConversationTranslations();
    const open: Message = { role: "user", content: "before" };
    const request: LocalRequest = { model: "claude", max_tokens: 100, messages: [open] };
    const translate = () =>
      convertToOpenAIRequest(request, { ...target, reuse: translations.reuse(SESSION, "a", new ReplayMemory().session(SESSION)) }).body.messages[0];
    expect(translate()).toEqual({ role: "user", content: "before" });
    open.content = "after";
    expect(translate()).toEqual({ role: "user", content: "after" });
  });
});
