// Two frameworks against anyclaude on the real servers, case by case (test/real/clients.ts):
// langchain-anthropic (PyPI) and the Vercel AI SDK (`ai` with `@ai-sdk/anthropic`, under Node).
import { expect } from "bun:test";
import { weatherShape } from "./client-checks";
import { clientCommand, describeClients, packageVersion, type Cases, type Client } from "./clients";
import { manifest } from "./real-servers";

// langchain's AIMessage, read back: content, tool_calls and response_metadata.
const lcAnswered = (value: any): void => {
  expect(value.stop_reason).toBe("end_turn");
  expect(typeof value.content === "string" ? value.content : value.content.map((part: any) => part.text ?? "").join("")).not.toBe("");
  expect(value.tool_calls).toEqual([]);
  expect(value.usage.input_tokens).toBeGreaterThan(0);
};
const lcCalled =
  (names: string[]) =>
  (value: any): void => {
    expect(value.stop_reason).toBe("tool_use");
    expect(value.tool_calls.length).toBeGreaterThan(0);
    for (const call of value.tool_calls) {
      expect(names).toContain(call.name);
      expect(call.args).toEqual({ city: expect.any(String) });
    }
  };

const LANGCHAIN: Cases = {
  plain: { asks: "plain text", check: lcAnswered },
  stream: { asks: "a stream, through the client's own accumulator", check: lcAnswered }, // the chunks merged by langchain's own AIMessageChunk addition
  "forced tool": { asks: "a forced tool", check: lcCalled(["get_weather"]), needs: "forcedTool" },
  "any tool": { asks: "any tool", check: lcCalled(["lookup_time", "get_weather"]), needs: "anyTool" },
  "with_structured_output (function_calling)": {
    asks: "structured output by a forced tool",
    check: (value) => expect(value.parsed).toEqual({ city: expect.any(String) }),
    needs: "forcedTool",
  },
  "with_structured_output (json_schema)": {
    asks: "structured output by schema",
    check: (value) => expect(value.parsed).toEqual(weatherShape),
    needs: "schema",
  },
  "stop sequence": {
    asks: "a stop sequence",
    check: (value) => {
      expect(value.stop_reason).toBe("stop_sequence");
      expect(value.stop_sequence).toBe(".");
      expect(value.content).toBe("Done");
    },
    needs: "stopSequence",
  },
  "count tokens": { asks: "token counts", check: (value) => expect(value.input_tokens).toBeGreaterThan(0) },
  "image to a text-only model": {
    asks: "an image, text-only model",
    check: (value) => {
      lcAnswered(value.first);
      lcAnswered(value.next);
    },
  },
  "tool result, two turns": {
    asks: "tool results, an agent loop",
    check: (value, path) => {
      if (path.holds.includes("forcedTool")) lcCalled(["GetWeather"])(value.first);
      lcAnswered(value.second);
    },
  },
};

// The Vercel AI SDK's result: text, finishReason (its own names: "stop", "tool-calls"), toolCalls.
const aiAnswered = (value: any): void => {
  expect(value.finishReason).toBe("stop");
  expect(value.text).not.toBe("");
  expect(value.usage.inputTokens).toBeGreaterThan(0);
};
const aiCalled =
  (names: string[]) =>
  (value: any): void => {
    expect(value.finishReason).toBe("tool-calls");
    expect(value.toolCalls.length).toBeGreaterThan(0);
    for (const call of value.toolCalls) {
      expect(names).toContain(call.toolName);
      expect(call.input).toEqual({ city: expect.any(String) });
    }
  };

const VERCEL: Cases = {
  plain: { asks: "plain text", check: aiAnswered },
  streamText: {
    asks: "a stream, through the client's own accumulator",
    check: (value) => {
      aiAnswered(value);
      expect(value.streamedText).toBe(value.text);
    },
  },
  "forced tool": { asks: "a forced tool", check: aiCalled(["get_weather"]), needs: "forcedTool" },
  "required tool": { asks: "any tool", check: aiCalled(["lookup_time", "get_weather"]), needs: "anyTool" },
  "structured output (outputFormat)": { asks: "structured output by schema", check: (value) => expect(value.output).toEqual(weatherShape), needs: "schema" },
  "structured output (jsonTool)": {
    asks: "structured output by a forced tool",
    check: (value) => expect(value.output).toEqual({ city: expect.any(String) }),
    needs: "forcedTool",
  }, // the SDK forces its "json" tool
  "stop sequence": {
    asks: "a stop sequence",
    check: (value) => {
      expect(value.finishReason).toBe("stop");
      expect(value.rawFinishReason).toBe("stop_sequence");
      expect(value.text).toBe("Done");
    },
    needs: "stopSequence",
  },
  "bad request": {
    asks: "a bad request",
    check: (value) => {
      expect(value.raised).toBe("APICallError");
      expect(value.status).toBe(400);
      expect(value.body).toEqual({ type: "error", error: { type: "invalid_request_error", message: expect.any(String) } });
    },
  },
  "image to a text-only model": {
    asks: "an image, text-only model",
    check: (value) => {
      aiAnswered(value.first);
      aiAnswered(value.next);
    },
  },
  // The SDK's own loop: step one is forced to call the weather tool, which runs; step two answers
  // with its result at hand.
  "agent loop": {
    asks: "tool results, an agent loop",
    check: (value) => {
      aiAnswered(value);
      expect(value.steps.map((step: any) => step.finishReason)).toEqual(["tool-calls", "stop"]);
      expect(value.steps[0].toolResults).toEqual(["Sunny, 21 C"]);
    },
    needs: "forcedTool",
  },
};

const CLIENTS: Client[] = [
  {
    client: "langchain-anthropic",
    version: () => manifest().clients.langchainAnthropic,
    command: () => clientCommand("langchain_anthropic_client.py", "python"),
    cases: LANGCHAIN,
  },
  {
    client: "Vercel AI SDK",
    version: () => `ai ${packageVersion("ai")}, @ai-sdk/anthropic ${packageVersion("@ai-sdk/anthropic")}`,
    command: () => clientCommand("vercel-ai.mjs", "node"),
    cases: VERCEL,
  },
];

describeClients("frameworks", CLIENTS);
