import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { MessagesRequest, type RequestMessage, type Tool } from "../protocol/anthropic";
import { deepFreeze } from "../memoize-by-identity";
import { functionsBlock } from "./deferred-tools";
import { normalizeContent } from "./normalize-content";

const webFetch: Tool = {
  name: "WebFetch",
  description: "Fetches a URL",
  input_schema: { type: "object", properties: { url: { type: "string" } } },
  defer_loading: true,
};
const lookup: Tool = {
  name: "mcp__notes__lookup_note",
  description: "Look up a note",
  input_schema: { type: "object", properties: { title: { type: "string" } } },
  defer_loading: true,
};
const tools = new Map([webFetch, lookup].map((tool) => [tool.name, tool]));

// Through the request schema first, as the daemon reads them.
function parse(messages: unknown[]): RequestMessage[] {
  return v.parse(MessagesRequest, { model: "m", max_tokens: 1, messages }).messages;
}

const toolSearchCall = {
  role: "assistant",
  content: [{ type: "tool_use", id: "t1", name: "ToolSearch", input: { query: "select:WebFetch,mcp__notes__lookup_note" } }],
};

describe("normalizeContent", () => {
  test("plain messages come back as the same objects, with nothing to log", () => {
    const messages = parse([
      { role: "user", content: "hi" },
      { role: "assistant", content: [{ type: "text", text: "ok" }] },
    ]);
    const out = normalizeContent(messages, tools);
    expect(out.messages[0]).toBe(messages[0] as never);
    expect(out.messages[1]).toBe(messages[1] as never);
    expect(out.notes).toEqual([]);
  });

  test("tool_reference: the loaded tools' definitions in one <functions> block, where the reference stood; the loading order kept", () => {
    const messages = parse([
      { role: "user", content: "look it up" },
      toolSearchCall,
      {
        role: "user",
        content: [
          {
            type: "tool_result",
            tool_use_id: "t1",
            content: [
              { type: "tool_reference", tool_name: "mcp__notes__lookup_note" },
              { type: "tool_reference", tool_name: "WebFetch" },
            ],
          },
          { type: "text", text: "Tool loaded." },
        ],
      },
    ]);
    const out = normalizeContent(messages, tools);
    expect(out.messages[2]!.content).toEqual([
      { type: "tool_result", tool_use_id: "t1", content: [{ type: "text", text: functionsBlock([lookup, webFetch]) }] },
      { type: "text", text: "Tool loaded." },
    ]);
    expect(functionsBlock([lookup, webFetch])).toBe(
      `<functions>\n<function>{"description":"Look up a note","name":"mcp__notes__lookup_note","parameters":{"type":"object","properties":{"title":{"type":"string"}}}}</function>\n<function>{"description":"Fetches a URL","name":"WebFetch","parameters":{"type":"object","properties":{"url":{"type":"string"}}}}</function>\n</functions>`,
    );
    expect(out.loadedTools).toEqual(["mcp__notes__lookup_note", "WebFetch"]);
    expect(out.notes).toEqual([{ kind: "tool_reference", count: 2, lossy: false }]);
  });

  test("a message sent before (frozen) is rewritten once per tool map: the same frozen object, tools and notes on the next request", () => {
    const messages = deepFreeze(
      parse([
        { role: "user", content: "x" },
        toolSearchCall,
        { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: [{ type: "tool_reference", tool_name: "WebFetch" }] }] },
      ]),
    );
    const first = normalizeContent(messages, tools);
    const again = normalizeContent(messages, tools);
    expect(again.messages[2]).toBe(first.messages[2]!);
    expect(Object.isFrozen(first.messages[2]!.content[0])).toBe(true);
    expect(again).toEqual({ messages: first.messages, loadedTools: ["WebFetch"], notes: [{ kind: "tool_reference", count: 1, lossy: false }] });
    const otherList = normalizeContent(messages, new Map());
    expect(otherList.messages[2]).not.toBe(first.messages[2]!);
    expect(otherList.loadedTools).toEqual([]);
  });

  test("a tool_reference to a tool the request does not list becomes a clear placeholder", () => {
    const messages = parse([
      { role: "user", content: "x" },
      toolSearchCall,
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: [{ type: "tool_reference", tool_name: "Gone" }] }] },
    ]);
    const out = normalizeContent(messages, tools);
    expect(JSON.stringify(out.messages[2]!.content)).toContain("[tool Gone: its definition is not in this request's tool list]");
    expect(out.loadedTools).toEqual([]);
  });

  test("documents: text where it can be had, a placeholder that says what to do otherwise", () => {
    const messages = parse([
      {
        role: "user",
        content: [
          { type: "document", title: "notes", source: { type: "text", media_type: "text/plain", data: "hello" } },
          { type: "document", source: { type: "base64", media_type: "text/markdown", data: Buffer.from("# md").toString("base64") } },
          { type: "document", source: { type: "content", content: [{ type: "text", text: "part" }] } },
          { type: "document", title: "spec", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0xLjQK".repeat(100) } },
          { type: "document", source: { type: "url", url: "https://example.com/a.pdf" } },
          { type: "document", source: { type: "file", file_id: "file_01" } },
        ],
      },
    ]);
    const texts = (normalizeContent(messages, tools).messages[0]!.content as { text: string }[]).map((block) => block.text);
    expect(texts.slice(0, 3)).toEqual(["notes\n\nhello", "# md", "part"]);
    expect(texts[3]).toBe('[application/pdf document "spec", 1 KB: local models read only text; send its text instead]');
    expect(texts[4]).toBe("[document at https://example.com/a.pdf: not fetched; send its text instead]");
    expect(texts[5]).toContain("file_01");
  });

  test("search results, server tool calls and their results, uploads and images by file id read as text", () => {
    const messages = parse([
      {
        role: "user",
        content: [
          { type: "search_result", source: "https://docs", title: "Docs", content: [{ type: "text", text: "the answer" }] },
          { type: "container_upload", file_id: "file_02" },
          { type: "image", source: { type: "file", file_id: "file_03" } },
        ],
      },
      {
        role: "assistant",
        content: [
          { type: "server_tool_use", id: "srv_1", name: "web_search", input: { query: "bun" } },
          {
            type: "web_search_tool_result",
            tool_use_id: "srv_1",
            content: [{ type: "web_search_result", title: "Bun", url: "https://bun.sh", encrypted_content: "xyz" }],
          },
          { type: "text", text: "Bun is a runtime." },
        ],
      },
    ]);
    const out = normalizeContent(messages, tools);
    const texts = (message: number) => (out.messages[message]!.content as { text: string }[]).map((block) => block.text);
    expect(texts(0)).toEqual([
      "Docs (https://docs)\nthe answer",
      "[file file_02, uploaded to Anthropic's code-execution container: not available here]",
      "[image file_03: a file id of Anthropic's Files API, not available here]",
    ]);
    expect(texts(1)).toEqual([
      '[web_search ran on Anthropic\'s servers with {"query":"bun"}]',
      "[web_search_tool_result]\ntitle: Bun\nurl: https://bun.sh",
      "Bun is a runtime.",
    ]);
    expect(out.notes.map((note) => note.kind).sort()).toEqual([
      "container_upload",
      "image (file id)",
      "search_result",
      "server_tool_use",
      "web_search_tool_result",
    ]);
  });

  test("redacted thinking passes (templates drop past reasoning); a block type this build does not know is dropped and noted", () => {
    const messages = parse([
      {
        role: "user",
        content: [
          { type: "text", text: "a" },
          { type: "hologram_2030", payload: 1 },
        ],
      },
      {
        role: "assistant",
        content: [
          { type: "redacted_thinking", data: "opaque" },
          { type: "tool_use", id: "x", name: "Read", input: {} },
        ],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "x", content: [{ type: "text", text: "r" }, { type: "future_part" }] }] },
    ]);
    const out = normalizeContent(messages, tools);
    expect(out.messages[0]!.content).toEqual([{ type: "text", text: "a" }]);
    expect(out.messages[1]).toBe(messages[1] as never);
    expect(out.messages[2]!.content).toEqual([{ type: "tool_result", tool_use_id: "x", content: [{ type: "text", text: "r" }] }]);
    expect(out.notes).toEqual([
      { kind: "hologram_2030 (unknown)", count: 1, lossy: true },
      { kind: "future_part (unknown)", count: 1, lossy: true },
    ]);
  });

  test("a known block that is malformed is still refused, by field", () => {
    expect(() => parse([{ role: "user", content: [{ type: "tool_reference" }] }])).toThrow();
    expect(() => parse([{ role: "user", content: [{ type: "text" }] }])).toThrow();
  });
});
