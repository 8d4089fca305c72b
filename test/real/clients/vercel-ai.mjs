// The Vercel AI SDK (`ai` with `@ai-sdk/anthropic`), used as its documentation shows, against the
// Messages API at argv[2]. Runs every case of the client suite and prints one JSON object: for each
// case what the SDK returned, or what it threw.
import { createAnthropic } from "@ai-sdk/anthropic";
import { APICallError, Output, generateText, jsonSchema, stepCountIs, streamText, tool } from "ai";
import { ASK, MODEL, PNG_BASE64, TOOLS, WEATHER_SCHEMA, runCases } from "./cases.mjs";

const anthropic = createAnthropic({ baseURL: `${process.argv[2]}/v1`, apiKey: "client-suite" });
const model = anthropic(MODEL);
const common = { model, maxRetries: 0, maxOutputTokens: 128 };
// The suite's tools, without `execute`: the SDK returns their calls.
const tools = Object.fromEntries(TOOLS.map(({ name, description, input_schema }) => [name, tool({ description, inputSchema: jsonSchema(input_schema) })]));

const result = (reply) => ({ text: reply.text, finishReason: reply.finishReason, rawFinishReason: reply.rawFinishReason, toolCalls: reply.toolCalls.map(({ toolName, input }) => ({ toolName, input })), usage: { inputTokens: reply.usage.inputTokens, outputTokens: reply.usage.outputTokens } });

async function stream() {
  const reply = streamText({ ...common, prompt: ASK });
  let text = "";
  for await (const delta of reply.textStream) text += delta;
  return { text: await reply.text, streamedText: text, finishReason: await reply.finishReason, usage: await reply.usage };
}

async function structured(mode, schema) {
  const reply = await generateText({ ...common, prompt: ASK, output: Output.object({ schema: jsonSchema(schema) }), providerOptions: { anthropic: { structuredOutputMode: mode } } });
  return { ...result(reply), output: reply.output };
}

async function badRequest() {
  try {
    // A second tool result, for a call no earlier message holds: the SDK sends it, the API refuses it.
    const call = { type: "tool-call", toolCallId: "toolu_asked", toolName: "get_weather", input: { city: "Paris" } };
    const answer = (toolCallId) => ({ type: "tool-result", toolCallId, toolName: "get_weather", output: { type: "text", value: "Sunny" } });
    const messages = [{ role: "user", content: ASK }, { role: "assistant", content: [call] }, { role: "tool", content: [answer("toolu_asked"), answer("toolu_never_asked")] }];
    await generateText({ ...common, tools, messages });
    return { raised: null };
  } catch (error) {
    if (!APICallError.isInstance(error)) throw error;
    return { raised: error.constructor.name, status: error.statusCode, body: JSON.parse(error.responseBody ?? "null") };
  }
}

async function image() {
  const first = [{ role: "user", content: [{ type: "file", data: Buffer.from(PNG_BASE64, "base64"), mediaType: "image/png" }, { type: "text", text: "What is in this picture?" }] }];
  const reply = await generateText({ ...common, messages: first });
  const next = await generateText({ ...common, messages: [...first, ...reply.response.messages, { role: "user", content: "And now?" }] });
  return { first: result(reply), next: result(next) };
}

// The SDK's own agent loop: the weather tool runs, its result goes back, the model answers.
async function agentLoop() {
  const weather = tool({ description: "The weather in a city", inputSchema: jsonSchema(TOOLS[1].input_schema), execute: async () => "Sunny, 21 C" });
  const reply = await generateText({
    ...common,
    prompt: ASK,
    tools: { lookup_time: tools.lookup_time, get_weather: weather },
    stopWhen: stepCountIs(3),
    prepareStep: ({ stepNumber }) => (stepNumber === 0 ? { toolChoice: { type: "tool", toolName: "get_weather" } } : { toolChoice: "auto" }),
  });
  return { ...result(reply), steps: reply.steps.map((step) => ({ finishReason: step.finishReason, toolCalls: step.toolCalls.map((call) => call.toolName), toolResults: step.toolResults.map((entry) => entry.output) })) };
}

const CITY = TOOLS[1].input_schema;
await runCases({
  plain: async () => result(await generateText({ ...common, prompt: ASK })),
  streamText: stream,
  "forced tool": async () => result(await generateText({ ...common, prompt: ASK, tools, toolChoice: { type: "tool", toolName: "get_weather" } })),
  "required tool": async () => result(await generateText({ ...common, prompt: ASK, tools, toolChoice: "required" })),
  "structured output (outputFormat)": () => structured("outputFormat", WEATHER_SCHEMA),
  "structured output (jsonTool)": () => structured("jsonTool", CITY),
  "stop sequence": async () => result(await generateText({ ...common, prompt: ASK, stopSequences: ["."] })),
  "bad request": badRequest,
  "image to a text-only model": image,
  "agent loop": agentLoop,
});
