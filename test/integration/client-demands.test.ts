// What clients other than Claude Code demand of a reply (issue 28), through the whole app on the
// openai kind in front of a fake llama-server that keeps the real one's rules (llama.cpp 0.3.36,
// tools/server/server-common.cpp): tool_choice only as a string (an object is taken as "auto"),
// response_format json_schema constrains the content, `verbose` adds `__verbose` with the stop word.
import { describe, expect, test } from "bun:test";
import { resolveConfig } from "../../src/config/resolve-config";
import { createApp } from "../../src/server/create-app";
import { sentJson } from "../support/sent-body";

type Completion = { content: string; finish?: string; verbose?: object };
type Model = (body: any) => Completion;

// The model behind the fake server: what it writes when nothing constrains it, and the server's
// answer to a constrained one.
function llamaServer(model: Model) {
  const sent: any[] = [];
  const fetcher = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    if (url.endsWith("/props"))
      return Response.json({ default_generation_settings: { n_ctx: 32768 }, total_slots: 1, chat_template_caps: { supports_tools: true } });
    if (url.endsWith("/v1/models")) return Response.json({ data: [{ id: "qwen3-coder.gguf" }] });
    if (!url.endsWith("/chat/completions")) return new Response("not found", { status: 404 });
    const body = sentJson(init);
    sent.push(body);
    const { content, finish = "stop", verbose } = model(body);
    const usage = { prompt_tokens: 40, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 0 } };
    if (!body.stream)
      return Response.json({
        choices: [{ message: { role: "assistant", content }, finish_reason: finish }],
        usage,
        ...(verbose ? { __verbose: verbose } : {}),
      });
    const chunks = [
      { choices: [{ index: 0, delta: { content }, finish_reason: null }] },
      { choices: [{ index: 0, delta: {}, finish_reason: finish }], ...(verbose ? { __verbose: verbose } : {}) },
      { choices: [], usage },
    ];
    return new Response(chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join("") + "data: [DONE]\n\n", {
      headers: { "content-type": "text/event-stream" },
    });
  }) as typeof fetch;
  const config = resolveConfig({ backends: [{ name: "llama", kind: "openai", url: "http://127.0.0.1:9/v1", tools: true }], routing: { mode: "llama" } }, {});
  const { app } = createApp({ config, fetch: fetcher, version: "test" });
  const post = (body: object) =>
    app.handle(new Request("http://localhost/v1/messages", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }));
  return { post, sent };
}

const sseEvents = (text: string): any[] =>
  text
    .split("\n\n")
    .filter(Boolean)
    .map((frame) => JSON.parse(/^data: (.*)$/m.exec(frame)![1]!));

const TOOLS = [
  { name: "get_weather", description: "Weather in a city", input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } },
  {
    name: "get_time",
    description: "Time in a city",
    input_schema: { type: "object", properties: { city: { type: "string" }, format: { type: "string", format: "time" } }, required: ["city"] },
  },
];
const ask = (extra: object) => ({ model: "claude-sonnet-4-5", max_tokens: 256, messages: [{ role: "user", content: "Paris?" }], ...extra });

// As llama-server: an object tool_choice is "Wrong type supplied" and read as "auto", so the model
// answers in prose; a response_format schema makes the content that JSON.
const weatherModel: Model = (body) => {
  if (typeof body.tool_choice === "object") return { content: "It is sunny in Paris." };
  if (body.response_format?.type === "json_schema") return { content: '{"city": "Paris"}' };
  return { content: "It is sunny in Paris." };
};

describe("a forced tool on llama-server (tool_choice {type: tool})", () => {
  test("streamed: a tool_use of the named tool, stop_reason tool_use; the tool list upstream as without the choice", async () => {
    const { post, sent } = llamaServer(weatherModel);
    const events = sseEvents(await (await post(ask({ stream: true, tools: TOOLS, tool_choice: { type: "tool", name: "get_time" } }))).text());
    const start = events.find((event) => event.type === "content_block_start");
    expect(start.content_block).toEqual({ type: "tool_use", id: expect.stringMatching(/^toolu_/), name: "get_time", input: {} });
    expect(
      JSON.parse(
        events
          .filter((event) => event.type === "content_block_delta")
          .map((event) => event.delta.partial_json)
          .join(""),
      ),
    ).toEqual({ city: "Paris" });
    expect(events.find((event) => event.type === "message_delta").delta.stop_reason).toBe("tool_use");
    expect(sent[0].tool_choice).toBe("none");
    expect(sent[0].response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "get_time", schema: sent[0].tools[1].function.parameters, strict: true },
    });
    await post(ask({ stream: true, tools: TOOLS }));
    expect(JSON.stringify(sent[1].tools)).toBe(JSON.stringify(sent[0].tools));
  });

  test("not streamed: the message holds the tool_use with its parsed input", async () => {
    const { post } = llamaServer(weatherModel);
    const message: any = await (await post(ask({ tools: TOOLS, tool_choice: { type: "tool", name: "get_weather", disable_parallel_tool_use: true } }))).json();
    expect(message.content).toEqual([{ type: "tool_use", id: expect.stringMatching(/^toolu_/), name: "get_weather", input: { city: "Paris" } }]);
    expect(message.stop_reason).toBe("tool_use");
  });

  test("any and none go as llama-server's strings", async () => {
    const { post, sent } = llamaServer(() => ({ content: "ok" }));
    await post(ask({ tools: TOOLS, tool_choice: { type: "any", disable_parallel_tool_use: true } }));
    await post(ask({ tools: TOOLS, tool_choice: { type: "none" } }));
    expect(sent.map(({ tool_choice, parallel_tool_calls }) => ({ tool_choice, parallel_tool_calls }))).toEqual([
      { tool_choice: "required", parallel_tool_calls: false },
      { tool_choice: "none", parallel_tool_calls: undefined },
    ]);
  });
});

// A person record, with a keyword llama.cpp's grammar converter rejects.
const PERSON = {
  type: "object",
  properties: { name: { type: "string" }, born: { type: "string", format: "date" } },
  required: ["name", "born"],
  additionalProperties: false,
};
const personModel: Model = (body) => ({ content: body.response_format ? '{"name":"Ada","born":"1815-12-10"}' : "Ada Lovelace was born in 1815." });

describe("structured output (output_config.format, the SDKs' messages.parse)", () => {
  test("goes to llama-server as response_format json_schema, the schema cleaned; the reply's text is the JSON", async () => {
    const { post, sent } = llamaServer(personModel);
    const message: any = await (await post(ask({ output_config: { effort: "low", format: { type: "json_schema", schema: PERSON } } }))).json();
    expect(JSON.parse(message.content[0].text)).toEqual({ name: "Ada", born: "1815-12-10" });
    expect(sent[0].response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "response", schema: { ...PERSON, properties: { name: { type: "string" }, born: { type: "string" } } }, strict: true },
    });
  });

  test("streamed, and under the beta's older name output_format", async () => {
    const { post, sent } = llamaServer(personModel);
    const events = sseEvents(await (await post(ask({ stream: true, output_format: { type: "json_schema", schema: PERSON } }))).text());
    const text = events
      .filter((event) => event.type === "content_block_delta")
      .map((event) => event.delta.text)
      .join("");
    expect(JSON.parse(text)).toEqual({ name: "Ada", born: "1815-12-10" });
    expect(sent[0].response_format.json_schema.schema.required).toEqual(["name", "born"]);
  });

  test("a format that is not a JSON schema is refused by field", async () => {
    const { post } = llamaServer(personModel);
    const response = await post(ask({ output_config: { format: { type: "yaml" } } }));
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("output_config");
  });
});

// As llama-server: it stops on the first stop word the text reaches and leaves it out; with
// `verbose` its final chunk says which (stop_type "word", stopping_word).
const countingModel: Model = (body) => {
  const full = "1, 2, 3, 4, 5";
  const hit = (body.stop ?? [])
    .map((word: string) => ({ word, at: full.indexOf(word) }))
    .filter(({ at }: { at: number }) => at >= 0)
    .sort((a: { at: number }, b: { at: number }) => a.at - b.at)[0];
  if (!hit) return { content: full, ...(body.verbose ? { verbose: { stop_type: "eos", stopping_word: "" } } : {}) };
  return { content: full.slice(0, hit.at), ...(body.verbose ? { verbose: { stop_type: "word", stopping_word: hit.word, prompt: "<the whole prompt>" } } : {}) };
};

describe("a stop sequence that ended the reply", () => {
  test("streamed: stop_reason stop_sequence and which one, in message_delta", async () => {
    const { post, sent } = llamaServer(countingModel);
    const events = sseEvents(await (await post(ask({ stream: true, stop_sequences: ["9", "4"] }))).text());
    expect(events.find((event) => event.type === "message_delta").delta).toEqual({ stop_reason: "stop_sequence", stop_sequence: "4" });
    expect(sent[0]).toMatchObject({ stop: ["9", "4"], verbose: true });
  });

  test("whole: the same in the message; a reply that ended on its own is end_turn", async () => {
    const { post, sent } = llamaServer(countingModel);
    const stopped: any = await (await post(ask({ stop_sequences: ["3"] }))).json();
    expect({ stop_reason: stopped.stop_reason, stop_sequence: stopped.stop_sequence, text: stopped.content[0].text }).toEqual({
      stop_reason: "stop_sequence",
      stop_sequence: "3",
      text: "1, 2, ",
    });
    const ended: any = await (await post(ask({ stop_sequences: ["9"] }))).json();
    expect({ stop_reason: ended.stop_reason, stop_sequence: ended.stop_sequence }).toEqual({ stop_reason: "end_turn", stop_sequence: null });
    // Without stop sequences nothing more is asked of the server.
    await post(ask({}));
    expect(sent[2].verbose).toBeUndefined();
  });
});
