import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { makePng, toBase64 } from "../../test/support/make-images";
import { random, type Rng } from "../../test/support/fuzz-mutators";
import { deepFreeze } from "../memoize-by-identity";
import { MessagesRequest, type RequestMessage, type Tool } from "../protocol/anthropic";
import { normalizeContent } from "../translate/normalize-content";
import { normalizeRequest, type NormalizedRequest } from "./normalize-request";

// Seeded conversations with every kind of block normalize-content.ts rewrites (tool_reference
// blocks among them), each request read two ways: as the daemon reads a session's requests (the
// messages sent before are the same deep-frozen objects, conversation-cache.ts), and fresh, as a
// request nothing is known of. Memoizing per frozen message must change nothing of the result.

const TOOLS: Tool[] = [
  { name: "Bash", description: "Run a command", input_schema: { type: "object" } },
  { name: "ToolSearch", input_schema: { type: "object", properties: { query: { type: "string" } } } },
  { name: "WebFetch", description: "Fetch a URL", input_schema: { type: "object" }, defer_loading: true },
  { name: "mcp__notes__lookup", description: "Look up a note", input_schema: { type: "object" }, defer_loading: true },
  { name: "mcp__notes__write", input_schema: { type: "object" }, defer_loading: true },
];
const PNG = { type: "base64", media_type: "image/png", data: toBase64(makePng(64, 48)) };

function imageBlock(rng: Rng): object {
  return { type: "image", source: rng.pick([PNG, { type: "url", url: "https://example.com/a.png" }, { type: "file", file_id: "file_img" }]) };
}

function documentBlock(rng: Rng): object {
  const source = rng.pick([
    { type: "text", media_type: "text/plain", data: `notes ${rng.int(100)}` },
    { type: "base64", media_type: "text/markdown", data: Buffer.from("# md").toString("base64") },
    { type: "base64", media_type: "application/pdf", data: "JVBERi0xLjQK".repeat(50) },
    { type: "content", content: [{ type: "text", text: "part" }] },
    { type: "url", url: "https://example.com/a.pdf" },
    { type: "file", file_id: "file_doc" },
  ]);
  return rng.chance(0.5) ? { type: "document", title: "spec", source } : { type: "document", source };
}

// ToolSearch's results: a tool_reference (to a deferred tool, mostly) for each tool it loaded.
function toolReference(rng: Rng): object {
  return { type: "tool_reference", tool_name: rng.pick([...TOOLS.map((tool) => tool.name), "WebFetch", "mcp__notes__lookup", "mcp__notes__write", "Gone"]) };
}

function toolResultPart(rng: Rng): object {
  return rng.pick([
    () => ({ type: "text", text: `out ${rng.int(100)}` }),
    () => imageBlock(rng),
    () => toolReference(rng),
    () => documentBlock(rng),
    () => ({ type: "search_result", source: "https://docs", title: "Docs", content: [{ type: "text", text: "answer" }] }),
    () => ({ type: "web_fetch_tool_result", content: { url: "https://bun.sh", text: "Bun" } }),
    () => ({ type: "future_part" }),
  ])();
}

function userBlock(rng: Rng, toolUses: string[]): object {
  if (toolUses.length > 0 && rng.chance(0.5)) {
    const part = rng.chance(0.4) ? toolReference : toolResultPart;
    const content = rng.chance(0.2) ? "done" : Array.from({ length: 1 + rng.int(3) }, () => part(rng));
    return { type: "tool_result", tool_use_id: rng.pick(toolUses), content, ...(rng.chance(0.1) ? { is_error: true } : {}) };
  }
  return rng.pick([
    () => ({ type: "text", text: `question ${rng.int(1000)}`, ...(rng.chance(0.2) ? { cache_control: { type: "ephemeral" } } : {}) }),
    () => imageBlock(rng),
    () => documentBlock(rng),
    () => ({ type: "search_result", source: "https://docs", title: "Docs", content: [{ type: "text", text: "answer" }] }),
    () => ({ type: "container_upload", file_id: "file_up" }),
    () => ({ type: "hologram_2030", payload: 1 }),
  ])();
}

function assistantBlock(rng: Rng, toolUses: string[]): object {
  if (rng.chance(0.4)) {
    const id = `toolu_${toolUses.length}`;
    toolUses.push(id);
    return { type: "tool_use", id, name: rng.pick(TOOLS).name, input: { query: "select:WebFetch" } };
  }
  return rng.pick([
    () => ({ type: "text", text: `answer ${rng.int(1000)}` }),
    () => ({ type: "thinking", thinking: "hm", signature: "sig" }),
    () => ({ type: "redacted_thinking", data: "opaque" }),
    () => ({ type: "server_tool_use", id: `srv_${rng.int(100)}`, name: "web_search", input: { query: "bun" } }),
    () => ({
      type: "web_search_tool_result",
      tool_use_id: "srv_1",
      content: [{ type: "web_search_result", title: "Bun", url: "https://bun.sh", encrypted_content: "x" }],
    }),
  ])();
}

function conversation(rng: Rng, length: number): object[] {
  const toolUses: string[] = [];
  return Array.from({ length }, (_, index) => {
    const role = index % 2 === 0 ? "user" : "assistant";
    if (role === "user" && rng.chance(0.15)) return { role, content: `plain ${index}` };
    const block = role === "user" ? userBlock : assistantBlock;
    return { role, content: Array.from({ length: 1 + rng.int(3) }, () => block(rng, toolUses)) };
  });
}

function parse(body: object) {
  return v.parse(MessagesRequest, structuredClone(body));
}

// One session's requests, each one message longer: the result of each read both ways. Most send
// the tool list before (the same frozen list, tool-list-cache.ts), some a list of their own.
function session(seed: number) {
  const rng = random(seed);
  const messages = conversation(rng, 12 + rng.int(12));
  const withTools = rng.chance(0.8);
  const head = { model: "m", max_tokens: 1, system: "You are a test.", ...(rng.chance(0.3) ? { tool_choice: { type: rng.pick(["auto", "any"]) } } : {}) };
  const sharedTools = deepFreeze(parse({ ...head, tools: TOOLS, messages: [{ role: "user", content: "x" }] }).tools!);
  const requests: { known: NormalizedRequest; fresh: NormalizedRequest; sent: RequestMessage[]; tools: Tool[]; sameTools: boolean }[] = [];
  let kept: RequestMessage[] = [];
  for (let length = 1; length <= messages.length; length++) {
    const sameTools = withTools && rng.chance(0.8);
    const tools = !withTools ? [] : sameTools || rng.chance(0.5) ? TOOLS : TOOLS.filter((tool) => tool.name !== "WebFetch");
    const body = { ...head, messages: messages.slice(0, length), ...(withTools ? { tools } : {}) };
    const read = parse(body);
    if (sameTools) read.tools = sharedTools;
    read.messages = deepFreeze([...kept, ...read.messages.slice(kept.length)]); // as conversation-cache.ts hands them over
    kept = read.messages;
    requests.push({
      known: normalizeRequest(read, new Headers()),
      fresh: normalizeRequest(parse(body), new Headers()),
      sent: kept,
      tools,
      sameTools: sameTools || !withTools,
    });
  }
  return requests;
}

describe("normalizeRequest on messages sent before (frozen, memoized per message)", () => {
  for (const seed of [1, 2, 3, 7, 42, 1234, 99991, 31337]) {
    test(`seed ${seed}: the same result as for a request read fresh`, () => {
      for (const { known, fresh, sent, tools } of session(seed)) {
        expect(known).toStrictEqual(fresh);
        expect([...known.loadedTools.keys()]).toEqual([...fresh.loadedTools.keys()]);
        // What is summed over messages, as if it were all one message: nothing to sum.
        const blocks = sent.flatMap((message) => (typeof message.content === "string" ? [] : message.content));
        const whole = normalizeContent([{ role: "user", content: blocks }], new Map(tools.map((tool) => [tool.name, tool])));
        expect(known.contentNotes).toEqual(whole.notes);
        expect([...known.loadedTools.keys()]).toEqual(whole.loadedTools);
      }
    });
  }

  test("a message sent before comes back as the same object with the same tool list, rewritten or not", () => {
    let rewritten = 0;
    for (const seed of [1, 2, 3, 7, 42]) {
      const requests = session(seed);
      for (const [index, { known, sent, sameTools }] of requests.entries()) {
        const previous = requests[index - 1];
        if (!previous || !sameTools || !previous.sameTools) continue;
        for (const [position, message] of previous.known.request.messages.entries()) {
          expect(known.request.messages[position]).toBe(message);
          if (message !== sent[position]) rewritten++;
        }
      }
    }
    expect(rewritten).toBeGreaterThan(0); // messages normalize-content.ts rebuilt (tool_reference, documents, ...) among them
  });
});

describe("what a request needs of its backend, looked at once per message sent before", () => {
  const ask = { role: "user", content: [{ type: "text", text: "look" }] };
  const call = { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Bash", input: {} }] };
  const image = { type: "image", source: PNG };
  const cases: [string, object[], { usesTools: boolean; hasImages: boolean }][] = [
    ["text only", [ask], { usesTools: false, hasImages: false }],
    ["an image", [{ role: "user", content: [image] }], { usesTools: false, hasImages: true }],
    ["a tool call", [ask, call], { usesTools: true, hasImages: false }],
    [
      "an image inside a tool result",
      [ask, call, { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: [image] }] }],
      { usesTools: true, hasImages: true },
    ],
  ];
  for (const [name, messages, needs] of cases) {
    test(name, () => {
      const frozen = deepFreeze(parse({ model: "m", max_tokens: 1, messages }));
      for (const request of [parse({ model: "m", max_tokens: 1, messages }), frozen, frozen]) {
        const { usesTools, hasImages } = normalizeRequest(request, new Headers());
        expect({ usesTools, hasImages }).toEqual(needs);
      }
    });
  }
});
