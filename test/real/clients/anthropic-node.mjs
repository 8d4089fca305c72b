// The official TypeScript SDK (@anthropic-ai/sdk), used as its documentation shows, against the
// Messages API at argv[2], in whichever runtime runs this file (Node or Bun). Runs every case of
// the client suite and prints one JSON object: for each case what the SDK returned, or what it threw.
import Anthropic from "@anthropic-ai/sdk";
import { jsonSchemaOutputFormat } from "@anthropic-ai/sdk/helpers/json-schema";
import { ASK, MADE_UP_CALL, MODEL, PNG_BASE64, TOOLS, WEATHER_SCHEMA, runCases } from "./cases.mjs";

const client = new Anthropic({ baseURL: process.argv[2], apiKey: "client-suite", maxRetries: 0, timeout: 120_000 });
const ask = [{ role: "user", content: ASK }];
const weather = { type: "tool", name: "get_weather" };

const message = (reply) => ({ id: reply.id, stop_reason: reply.stop_reason, stop_sequence: reply.stop_sequence, content: reply.content, usage: { input_tokens: reply.usage.input_tokens, output_tokens: reply.usage.output_tokens } });

async function stream(params) {
  const events = client.messages.stream(params);
  let text = "";
  events.on("text", (delta) => (text += delta));
  return { ...message(await events.finalMessage()), streamed_text: text };
}

async function parse() {
  const reply = await client.messages.parse({ model: MODEL, max_tokens: 128, messages: ask, output_config: { format: jsonSchemaOutputFormat(WEATHER_SCHEMA) } });
  return { ...message(reply), parsed_output: reply.parsed_output ?? null };
}

async function badRequest() {
  try {
    await client.messages.create({ model: MODEL, max_tokens: 64, messages: [] });
    return { raised: null };
  } catch (error) {
    if (!(error instanceof Anthropic.APIError)) throw error;
    return { raised: error.constructor.name, badRequestError: error instanceof Anthropic.BadRequestError, status: error.status, body: error.error };
  }
}

async function image() {
  const picture = { type: "image", source: { type: "base64", media_type: "image/png", data: PNG_BASE64 } };
  const first = [{ role: "user", content: [picture, { type: "text", text: "What is in this picture?" }] }];
  const reply = await client.messages.create({ model: MODEL, max_tokens: 64, messages: first });
  // The session goes on: the next turn resends the picture in its history, as Claude Code does.
  const history = [...first, { role: "assistant", content: reply.content }, { role: "user", content: "And now?" }];
  return { first: message(reply), next: message(await client.messages.create({ model: MODEL, max_tokens: 64, messages: history })) };
}

async function toolLoop() {
  const first = await client.messages.create({ model: MODEL, max_tokens: 128, messages: ask, tools: TOOLS, tool_choice: weather });
  // Where no call came (a server that cannot force one), the turn is written as if it had, so
  // that the tool result is still tried.
  const turn = first.content.some((block) => block.type === "tool_use") ? first.content : [MADE_UP_CALL];
  const results = turn.filter((block) => block.type === "tool_use").map((call) => ({ type: "tool_result", tool_use_id: call.id, content: "Sunny, 21 C" }));
  const history = [...ask, { role: "assistant", content: turn }, { role: "user", content: results }];
  const second = await client.messages.create({ model: MODEL, max_tokens: 64, messages: history, tools: TOOLS });
  return { first: message(first), second: message(second) };
}

await runCases({
  plain: async () => message(await client.messages.create({ model: MODEL, max_tokens: 64, messages: ask })),
  stream: () => stream({ model: MODEL, max_tokens: 64, messages: ask }),
  "forced tool": async () => message(await client.messages.create({ model: MODEL, max_tokens: 128, messages: ask, tools: TOOLS, tool_choice: weather })),
  "forced tool, streamed": () => stream({ model: MODEL, max_tokens: 128, messages: ask, tools: TOOLS, tool_choice: weather }),
  "any tool": async () => message(await client.messages.create({ model: MODEL, max_tokens: 128, messages: ask, tools: TOOLS, tool_choice: { type: "any" } })),
  "structured output (messages.parse)": parse,
  "stop sequence": async () => message(await client.messages.create({ model: MODEL, max_tokens: 64, messages: ask, stop_sequences: ["."] })),
  count_tokens: async () => ({ input_tokens: (await client.messages.countTokens({ model: MODEL, messages: ask, tools: TOOLS })).input_tokens }),
  "bad request": badRequest,
  "image to a text-only model": image,
  "tool result, two turns": toolLoop,
});
