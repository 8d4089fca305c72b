// What the emulated servers' prompt caches report, since that is how anyclaude's cache behaviour
// is measured: exact replays hit everything, re-serialized ones do not, reasoning costs the
// reply, and one cache slot thrashes where ten do not.
import { describe, expect, test } from "bun:test";
import { encodeTokens, startLmStudioServer, startMlxLmServer, type EmulatorHandle, type RecordedRequest } from "./index";
import { postChat } from "./raw-http-request";

const WRITE_TOOL = { type: "function", function: { name: "Write", description: "write a file", parameters: { type: "object" } } };
const SYSTEM = { role: "system", content: `You are a coding agent.\nWorking directory: /tmp/project\n${"Follow the rules. ".repeat(200)}` };

async function ask(emulator: EmulatorHandle, messages: object[], extra: object = {}): Promise<any> {
  return (await postChat(emulator.url, { messages, tools: [WRITE_TOOL], max_tokens: 1000, ...extra })).json();
}

// What the server holds after a request: its prompt and everything the model generated.
const heldAfter = (request: RecordedRequest) => request.promptTokens! + encodeTokens(request.generatedText!).length;

describe("prompt cache, as the servers report it", () => {
  for (const start of [startMlxLmServer, startLmStudioServer]) {
    test(`${start.name}: a follow-up that replays the reply byte for byte finds all of the last turn`, async () => {
      const emulator = await start();
      const question = [SYSTEM, { role: "user", content: "Explain closures in one paragraph please" }];
      const first = await ask(emulator, question);
      const followUp = [...question, { role: "assistant", content: first.choices[0].message.content }, { role: "user", content: "And generators?" }];
      const second = await ask(emulator, followUp, { stream: false });
      const [turn1, turn2] = emulator.requests;
      expect(turn1!.cachedTokens).toBe(0);
      expect(turn2!.cachedTokens).toBe(heldAfter(turn1!));
      // mlx-lm reports it; LM Studio does not (see lmstudio-server.test.ts).
      if (start === startMlxLmServer) expect(second.usage.prompt_tokens_details.cached_tokens).toBe(turn2!.cachedTokens);
      expect(emulator.cache.totalPromptTokens).toBe(turn1!.promptTokens! + turn2!.promptTokens!);
      expect(emulator.cache.totalCachedTokens).toBe(turn2!.cachedTokens!);
      await emulator.stop();
    });
  }

  test("tool-call arguments re-serialized by the client: missed only where the template embeds the string as sent", async () => {
    // Qwen3 thinks first, and its template keeps the reasoning of a tool loop's turns when the
    // client sends it back (as reasoning_content); an empty think would be dropped there.
    const cases = [
      [startLmStudioServer, "qwen3", false], // Qwen3's template embeds a string verbatim
      [startMlxLmServer, "qwen3", true], // mlx-lm json.loads it; the template dumps it with tojson
      [startLmStudioServer, "qwen3-coder", true], // rendered value by value (LM Studio parsing it: an assumption)
      [startMlxLmServer, "qwen3-coder", true],
    ] as const;
    for (const [start, chatTemplate, hitsWhenReserialized] of cases) {
      const emulator = await start({ chatTemplate, reasoning: chatTemplate === "qwen3" });
      const turn1 = [SYSTEM, { role: "user", content: "Create a new file called b.txt with 'y'" }];
      const reply = (await ask(emulator, turn1)).choices[0].message;
      const call = reply.tool_calls[0];
      const reasoning = reply.reasoning_content ?? reply.reasoning;
      const next = (args: string) => [
        ...turn1,
        {
          role: "assistant",
          content: null,
          ...(reasoning ? { reasoning_content: reasoning } : {}),
          tool_calls: [{ ...call, function: { ...call.function, arguments: args } }],
        },
        { role: "tool", tool_call_id: call.id, content: "ok" },
      ];
      await ask(emulator, next(call.function.arguments));
      await ask(emulator, next(JSON.stringify(JSON.parse(call.function.arguments)))); // compact, as JSON.stringify writes it
      const [first, exact, reserialized] = emulator.requests;
      expect(exact!.cachedTokens).toBe(heldAfter(first!));
      expect(reserialized!.cachedTokens! >= heldAfter(first!)).toBe(hitsWhenReserialized);
      await emulator.stop();
    }
  });

  test("a reply with reasoning: Qwen3's template drops it once a user message follows, so the cache ends where the reply began", async () => {
    const emulator = await startMlxLmServer({ reasoning: true });
    const question = [SYSTEM, { role: "user", content: "What is 6*7?" }];
    const first = await ask(emulator, question);
    await ask(emulator, [...question, { role: "assistant", content: first.choices[0].message.content }, { role: "user", content: "Thanks" }]);
    const [turn1, turn2] = emulator.requests;
    expect(turn1!.generatedText).toStartWith("<think>\n");
    expect(turn2!.cachedTokens).toBe(turn1!.promptTokens);
    await emulator.stop();
  });

  test("two conversations taking turns: one cache slot (mlx-lm <= 0.28.3) thrashes, ten (0.28.4+) keep both", async () => {
    const results: Record<number, number[]> = {};
    for (const cacheSlots of [1, 10]) {
      const emulator = await startMlxLmServer({ cacheSlots });
      const a = [SYSTEM, { role: "user", content: "Conversation A: what does the parser do?" }];
      const b = [SYSTEM, { role: "user", content: "Conversation B: how is the config loaded?" }];
      const replyA = await ask(emulator, a);
      const replyB = await ask(emulator, b);
      await ask(emulator, [...a, { role: "assistant", content: replyA.choices[0].message.content }, { role: "user", content: "And the lexer?" }]);
      await ask(emulator, [...b, { role: "assistant", content: replyB.choices[0].message.content }, { role: "user", content: "And its defaults?" }]);
      const [a1, b1, a2, b2] = emulator.requests;
      results[cacheSlots] = [a2!.cachedTokens!, b2!.cachedTokens!];
      if (cacheSlots === 10) expect(results[10]).toEqual([heldAfter(a1!), heldAfter(b1!)]);
      else expect(a2!.cachedTokens!).toBeLessThan(heldAfter(a1!)); // only the shared system prompt survived B
      await emulator.stop();
    }
    expect(results[1]![0]!).toBeLessThan(results[10]![0]!);
  });

  test("LM Studio's llama.cpp slots: a new conversation sharing most of a slot's prompt takes that slot over", async () => {
    const emulator = await startLmStudioServer({ cacheSlots: 4 });
    const a = [SYSTEM, { role: "user", content: "Conversation A" }];
    const replyA = await ask(emulator, a);
    await ask(emulator, [SYSTEM, { role: "user", content: "Conversation B" }]); // > 50% similar to A's slot: reuses it
    await ask(emulator, [...a, { role: "assistant", content: replyA.choices[0].message.content }, { role: "user", content: "More" }]);
    const [a1, b1, a2] = emulator.requests;
    expect(b1!.cachedTokens).toBeGreaterThan(b1!.promptTokens! / 2); // the shared system prompt
    expect(a2!.cachedTokens).toBeLessThan(heldAfter(a1!)); // A's own turn is gone although three slots stood empty
    await emulator.stop();
  });
});
