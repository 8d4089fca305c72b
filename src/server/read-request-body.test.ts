import { describe, expect, test } from "bun:test";
import { heapStats } from "bun:jsc";
import { mutateRequest, random, requestSeeds } from "../../test/support/fuzz-mutators";
import { ApiError } from "../api-error";
import { CountTokensRequest, MessagesRequest } from "../protocol/anthropic";
import { MAX_MESSAGES, MAX_NESTING, readRequestBody } from "./read-request-body";
import { ConversationCache } from "./conversation-cache";
import { scanJson } from "./scan-json";
import { ToolListCache } from "./tool-list-cache";

const bytes = (text: string) => new TextEncoder().encode(text);
// scanJson over a text: its spans are byte offsets, the same as the text's where it is ASCII.
const scan = (text: string) => scanJson(bytes(text), MAX_NESTING);

const post = (body: string) =>
  new Request("http://127.0.0.1/v1/messages", {
    method: "POST",
    headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) },
    body,
  });
const limits = () => ({ maxBytes: 64 * 1024 * 1024, toolLists: new ToolListCache() });

// The reference: no tool list ever known, so every body is parsed and validated whole.
const neverKnown = { knownEnd: () => -1, resolve: () => undefined } as unknown as ToolListCache;
const plainRead = (text: string) => read(text, { maxBytes: 64 * 1024 * 1024, toolLists: neverKnown });

async function read(text: string, shared = limits(), session?: string): Promise<{ output?: unknown; error?: string }> {
  try {
    return { output: await readRequestBody(post(text), MessagesRequest, shared, session) };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { error: error.message };
  }
}

const seed = requestSeeds().find((body) => Array.isArray(body.tools) && body.tools.length > 10)!;

describe("scanJson: the top-level members' text, and the nesting", () => {
  test("each member's span (in bytes) parses to the member's value", () => {
    const body = bytes(JSON.stringify({ ...seed, note: "é → 🙂" }));
    const { members, tooDeep } = scanJson(body, MAX_NESTING);
    expect(tooDeep).toBe(false);
    expect([...members!.keys()]).toEqual([...Object.keys(seed), "note"]);
    for (const [key, span] of members!)
      expect(JSON.parse(new TextDecoder().decode(body.subarray(span.start, span.end)))).toEqual({ ...seed, note: "é → 🙂" }[key]);
  });

  test("whitespace around values and keys, strings that look like keys or brackets", () => {
    const text = ' \n{ "model" : "tools" , "x": "\\"tools\\": [}", "tools" :[ {"name":"a,b"} ] }\n';
    const { members } = scan(text);
    expect(JSON.parse(text.slice(members!.get("tools")!.start, members!.get("tools")!.end))).toEqual([{ name: "a,b" }]);
    expect(JSON.parse(text.slice(members!.get("x")!.start, members!.get("x")!.end))).toBe('"tools": [}');
  });

  test("no members when a key repeats or is escaped, or the text is not an object", () => {
    expect(scan('{"tools":[],"tools":[1]}').members).toBeUndefined();
    expect(scan('{"tool\\u0073":[1]}').members).toBeUndefined();
    expect(scan('[{"tools":[]}]').members).toBeUndefined();
    expect(scan('"{\\"tools\\":[]}"').members).toBeUndefined();
  });

  test("nesting past the limit, counted outside strings only", () => {
    expect(scan(`${"[".repeat(513)}${"]".repeat(513)}`).tooDeep).toBe(true);
    expect(scan(`${"[".repeat(512)}${"]".repeat(512)}`).tooDeep).toBe(false);
    expect(scan(`{"a":"${"[".repeat(5000)}"}`).tooDeep).toBe(false);
  });
});

describe("readRequestBody: a tool list known by its text is parsed once, and nothing else changes", () => {
  test("requests that send the same list share one frozen array; another list is another array", async () => {
    const shared = limits();
    const first = await readRequestBody(post(JSON.stringify(seed)), MessagesRequest, shared);
    const second = await readRequestBody(post(JSON.stringify({ ...seed, messages: [{ role: "user", content: "next" }] })), MessagesRequest, shared);
    expect(second.tools).toBe(first.tools!);
    expect(Object.isFrozen(first.tools) && Object.isFrozen(first.tools![0]!.input_schema)).toBe(true);
    const tools = seed.tools as { name: string }[];
    const other = await readRequestBody(post(JSON.stringify({ ...seed, tools: tools.slice(1) })), MessagesRequest, shared);
    expect(other.tools).not.toBe(first.tools!);
    expect(other.tools).toEqual(first.tools!.slice(1));
    const counted = await readRequestBody(post(JSON.stringify({ ...seed, max_tokens: undefined })), CountTokensRequest, shared);
    expect(counted.tools).toBe(first.tools!);
  });

  test("the same request, or the same error, as reading the whole text: 1,000 mutated Claude Code requests", async () => {
    const rng = random(7);
    const seeds = requestSeeds();
    const shared = limits(); // known lists carried from case to case, as in a daemon
    let sharedLists = 0;
    for (let index = 0; index < 1_000; index++) {
      const { name, body } = mutateRequest(seeds[index % seeds.length]!, rng);
      const [ours, reference] = [await read(body, shared), await plainRead(body)];
      expect({ name, ...ours }).toEqual({ name, ...reference });
      if (ours.output) sharedLists += Object.isFrozen((ours.output as { tools?: unknown }).tools) ? 1 : 0;
    }
    expect(sharedLists).toBeGreaterThan(300); // the case under test did happen
  }, 60_000);

  test("text-level oddities around the tool list: duplicated, escaped, moved, padded", async () => {
    const text = JSON.stringify(seed);
    const tools = JSON.stringify(seed.tools);
    const { tools: _, ...rest } = seed;
    const cases = [
      `{"tools":[],${text.slice(1)}`, // JSON.parse keeps the last
      `${text.slice(0, -1)},"tools":[{"name":"Other","input_schema":{}}]}`,
      `{"tool\\u0073":[{"name":"Escaped","input_schema":{}}],${JSON.stringify(rest).slice(1)}`,
      `{"tools" : \n ${tools} \n,${JSON.stringify(rest).slice(1)}`,
      `${JSON.stringify(rest).slice(0, -1)},"tools":${tools}}`,
      `${JSON.stringify(rest).slice(0, -1)},"tools":${tools.slice(0, -1)}}`, // broken list
      `${JSON.stringify(rest).slice(0, -1)},"tools":{"name":"x"}}`, // not a list
    ];
    const shared = limits();
    await read(text, shared); // the list known
    for (const body of cases) expect(await read(body, shared)).toEqual(await plainRead(body));
  });
});

test("a known list is kept as its own text, not as a slice that keeps its request body alive", async () => {
  const heldBytes = async () => {
    await Bun.sleep(10);
    Bun.gc(true);
    const stats = heapStats();
    return stats.heapSize + stats.extraMemorySize;
  };
  // What reading eight requests of over 4 MB leaves held, with a cache and without one.
  const heldAfterReading = async (toolLists: ToolListCache) => {
    const before = await heldBytes();
    for (let index = 0; index < 8; index++) {
      const body = {
        ...seed,
        tools: [...(seed.tools as unknown[]), { name: `Tool${index}`, input_schema: {} }],
        messages: [{ role: "user", content: `${"x".repeat(4_000_000)}${index}` }],
      };
      await readRequestBody(post(JSON.stringify(body)), MessagesRequest, { maxBytes: 64 * 1024 * 1024, toolLists });
    }
    return (await heldBytes()) - before;
  };
  const withoutCache = await heldAfterReading(neverKnown);
  // Eight lists of ~60 KB and their parsed form, not eight bodies.
  expect((await heldAfterReading(new ToolListCache())) - withoutCache).toBeLessThan(10_000_000);
});

describe("readRequestBody: a body over the cap", () => {
  // Read to its end so the client can read the 413 (test/integration/oversized-body.test.ts), but
  // only up to the read limit: a client that never stops sending is cut off.
  test("is read and dropped up to 64 MB under a small cap, and no further", async () => {
    const megabyte = new Uint8Array(1024 * 1024);
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({ pull: (controller) => void (pulled++, controller.enqueue(megabyte)) });
    const request = new Request("http://127.0.0.1/v1/messages", { method: "POST", body: endless });
    const refused = readRequestBody(request, MessagesRequest, { maxBytes: 1000, toolLists: new ToolListCache() });
    await expect(refused).rejects.toMatchObject({ status: 413, type: "request_too_large" });
    expect(pulled).toBeGreaterThanOrEqual(64);
    expect(pulled).toBeLessThan(70);
  });

  test("announced larger than the read limit is refused unread", async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({ pull: (controller) => void (pulled++, controller.enqueue(new Uint8Array(1024))) });
    const request = new Request("http://127.0.0.1/v1/messages", {
      method: "POST",
      headers: { "content-length": String(65 * 1024 * 1024) },
      body,
      duplex: "half",
    } as RequestInit);
    await expect(readRequestBody(request, MessagesRequest, { maxBytes: 1000, toolLists: new ToolListCache() })).rejects.toMatchObject({ status: 413 });
    expect(pulled).toBeLessThanOrEqual(1); // a stream pulls once as it is made
  });
});

describe("readRequestBody: the messages a session sent before are read once, and nothing else changes", () => {
  const seeds = requestSeeds().filter((body) => Array.isArray(body.messages) && body.messages.length > 1);
  const conversational = () => {
    const conversations = new ConversationCache();
    let matched = 0;
    const match = conversations.match.bind(conversations);
    conversations.match = (...args) => {
      const found = match(...args);
      if (found) matched++;
      return found;
    };
    return { shared: { ...limits(), conversations }, matched: () => matched, conversations };
  };

  test("the next turn reuses the known messages (frozen, the same objects) and reads only the new ones", async () => {
    const { shared, matched } = conversational();
    const seed = seeds[0]!;
    const messages = seed.messages as unknown[];
    const first = (await read(JSON.stringify({ ...seed, messages: messages.slice(0, -1) }), shared, "s")).output as { messages: object[] };
    const next = (await read(JSON.stringify(seed), shared, "s")).output as { messages: object[] };
    expect(matched()).toBe(1);
    expect(next.messages.slice(0, -1)).toEqual(first.messages);
    expect(next.messages[0]).toBe(first.messages[0]!);
    expect(Object.isFrozen(next.messages[0])).toBe(true);
    expect(next).toEqual((await plainRead(JSON.stringify(seed))).output as never);
    // Another session, or no session, reuses nothing.
    await read(JSON.stringify(seed), shared, "other");
    await read(JSON.stringify(seed), shared);
    expect(matched()).toBe(1);
  });

  test("the same request, or the same error, as reading the whole text: 1,500 mutated next turns of Claude Code sessions", async () => {
    const rng = random(20);
    const { shared, matched } = conversational();
    for (let index = 0; index < 1_500; index++) {
      const seed = seeds[index % seeds.length]!;
      const messages = seed.messages as unknown[];
      const session = `s${index % 5}`;
      // The turn before: the conversation a few messages shorter, as it was sent.
      const before = JSON.stringify({ ...seed, messages: messages.slice(0, Math.max(1, messages.length - 1 - rng.int(3))) });
      await read(before, shared, session);
      const { name, body } = rng.chance(0.5) ? textMutation(JSON.stringify(seed), rng) : mutateRequest(seed, rng);
      const [ours, reference] = [await read(body, shared, session), await plainRead(body)];
      expect({ name, ...ours }).toEqual({ name, ...reference });
    }
    expect(matched()).toBeGreaterThan(500); // the case under test did happen
  }, 120_000);

  test("a tool_result that answers a tool_use only a dropped message held is refused, as a whole read refuses it", async () => {
    const { shared, matched } = conversational();
    const use = (id: string) => ({ role: "assistant", content: [{ type: "tool_use", id, name: "Read", input: {} }] });
    const result = (id: string) => ({ role: "user", content: [{ type: "tool_result", tool_use_id: id, content: "x" }] });
    const body = (messages: unknown[]) => JSON.stringify({ model: "m", max_tokens: 10, messages });
    const start = [{ role: "user", content: "go" }, use("a"), result("a"), use("b"), result("b")];
    await read(body(start), shared, "s");
    // The last two messages dropped, a new one answering "b": the known messages hold "b" no more.
    const orphan = body([...start.slice(0, 3), { role: "assistant", content: "ok" }, result("b")]);
    expect(await read(orphan, shared, "s")).toEqual(await plainRead(orphan));
    expect((await read(orphan, shared, "s")).error).toContain('answers tool_use id "b"');
    // Answering "a", which a kept message holds, and "c", declared again after being dropped.
    await read(body(start), shared, "s");
    const answered = body([...start.slice(0, 3), use("c"), result("c"), result("a")]);
    await read(body([...start.slice(0, 3), use("c")]), shared, "s");
    expect(await read(answered, shared, "s")).toEqual(await plainRead(answered));
    expect((await read(answered, shared, "s")).output).toBeDefined();
    expect(matched()).toBeGreaterThanOrEqual(4);
  });

  test("held bytes are bounded: 12 MB in all, the oldest sessions let go; a session past 2 MB not kept", async () => {
    const { shared, conversations } = conversational();
    const seed = seeds[0]!;
    const withMessage = (chars: number) =>
      JSON.stringify({ ...seed, messages: [...(seed.messages as unknown[]), { role: "user", content: "x".repeat(chars) }] });
    const long = withMessage(1_000_000);
    for (let index = 0; index < 20; index++) await read(long, shared, `s${index}`);
    expect(conversations.size.bytes).toBeLessThanOrEqual(12 * 1024 * 1024);
    expect(conversations.size.sessions).toBeGreaterThan(5); // the newest ones kept...
    expect(conversations.size.sessions).toBeLessThan(20); // ...not all twenty
    const before = conversations.size.sessions;
    await read(withMessage(3_000_000), shared, "huge");
    expect(conversations.size.sessions).toBe(before);
  });
});

// Edits to the text of a conversation's next turn where the known messages end: formatting, a
// changed last message, broken or odd JSON around the array.
function textMutation(text: string, rng: ReturnType<typeof random>): { name: string; body: string } {
  const arrayEnd = findArrayEnd(text, text.indexOf("[", text.indexOf('"messages"')));
  const kinds = {
    spaced: () => `${text.slice(0, arrayEnd)} \n ${text.slice(arrayEnd)}`,
    "trailing-comma": () => `${text.slice(0, arrayEnd)},${text.slice(arrayEnd)}`,
    "extra-bracket": () => `${text.slice(0, arrayEnd + 1)}]${text.slice(arrayEnd + 1)}`,
    "empty-tail": () => `${text.slice(0, arrayEnd)},{}${text.slice(arrayEnd)}`,
    "bad-message": () => `${text.slice(0, arrayEnd)},{"role":"robot","content":"x"}${text.slice(arrayEnd)}`,
    "orphan-result": () =>
      `${text.slice(0, arrayEnd)},{"role":"user","content":[{"type":"tool_result","tool_use_id":"nope","content":"x"}]}${text.slice(arrayEnd)}`,
    "empty-content": () => `${text.slice(0, arrayEnd)},{"role":"user","content":""},{"role":"assistant","content":"ok"}${text.slice(arrayEnd)}`,
    nbsp: () => `${text.slice(0, arrayEnd)}\u00a0${text.slice(arrayEnd)}`,
    "duplicate-key": () => `${text.slice(0, -1)},"messages":[{"role":"user","content":"other"}]}`,
    truncated: () => text.slice(0, arrayEnd - rng.int(50)),
    "last-changed": () => `${text.slice(0, arrayEnd - 1)},"extra":1}${text.slice(arrayEnd)}`,
    "deep-tail": () => `${text.slice(0, arrayEnd)},{"role":"user","content":${"[".repeat(600)}${"]".repeat(600)}}${text.slice(arrayEnd)}`,
  };
  const name = rng.pick(Object.keys(kinds) as (keyof typeof kinds)[]);
  return { name, body: kinds[name]() };
}

// The index of the bracket that closes the array opened at `open`.
function findArrayEnd(text: string, open: number): number {
  let depth = 0;
  for (let index = open; index < text.length; index++) {
    const code = text[index];
    if (code === '"') {
      for (index++; text[index] !== '"'; index++) if (text[index] === "\\") index++;
    } else if (code === "[" || code === "{") depth++;
    else if (code === "]" || code === "}") {
      if (--depth === 0) return index;
    }
  }
  return -1;
}

describe("readRequestBody: more messages than any local context takes", () => {
  const turns = (count: number) => Array.from({ length: count }, (_, index) => ({ role: index % 2 ? "assistant" : "user", content: `turn ${index}` }));
  const body = (count: number) => JSON.stringify({ model: "m", max_tokens: 5, messages: turns(count) });

  test("refused as a prompt too long, before it is parsed: whole, and with the session's earlier messages known", async () => {
    expect((await read(body(MAX_MESSAGES))).error).toBeUndefined();
    expect((await read(body(MAX_MESSAGES + 1))).error).toBe(
      `prompt is too long: the request holds ${MAX_MESSAGES + 1} messages, more than the ${MAX_MESSAGES} a local model's context can take`,
    );
    const shared = { ...limits(), conversations: new ConversationCache() };
    expect((await read(body(MAX_MESSAGES - 1), shared, "s")).error).toBeUndefined();
    expect((await read(body(MAX_MESSAGES + 1), shared, "s")).error).toStartWith(`prompt is too long: the request holds ${MAX_MESSAGES + 1} messages`);
  });
});
