// What the official SDKs' cases must return (test/real/clients/anthropic_python.py and
// anthropic-node.mjs print the same shape: the SDK's Message read back as plain values), written
// from the Messages API's documentation: the fields a client reads and the values it branches on.
import { expect } from "bun:test";
import type { Cases } from "./clients";

type Block = { type: string; text?: string; name?: string; input?: unknown; id?: string };
type Message = { stop_reason: string; stop_sequence: string | null; content: Block[]; usage: { input_tokens: number; output_tokens: number } };

const textOf = (message: Message) =>
  message.content
    .filter((block) => block.type === "text")
    .map((block) => block.text)
    .join("");
const calls = (message: Message) => message.content.filter((block) => block.type === "tool_use");

function answered(message: Message): void {
  expect(message.stop_reason).toBe("end_turn");
  expect(textOf(message).length).toBeGreaterThan(0);
  expect(message.usage.input_tokens).toBeGreaterThan(0);
  expect(message.usage.output_tokens).toBeGreaterThan(0);
}

// A call of one of the suite's tools (clients/cases.*), its input what the schema asks.
function called(message: Message, name?: string): void {
  expect(message.stop_reason).toBe("tool_use");
  expect(calls(message).length).toBeGreaterThan(0);
  for (const call of calls(message)) {
    expect(name ? [name] : ["lookup_time", "get_weather"]).toContain(call.name!);
    expect(call.input).toEqual({ city: expect.any(String) });
  }
}

export const weatherShape = { sky: expect.stringMatching(/^(sunny|rainy)$/), windy: expect.any(Boolean) };

export const SDK_CHECKS: Cases = {
  plain: { asks: "plain text", check: answered },
  stream: {
    asks: "a stream, through the client's own accumulator",
    check: (value) => {
      answered(value);
      expect(value.streamed_text).toBe(textOf(value)); // the text events add up to the final message
    },
  },
  "forced tool": { asks: "a forced tool", check: (value) => called(value, "get_weather"), needs: "forcedTool" },
  "forced tool, streamed": { asks: "a forced tool", check: (value) => called(value, "get_weather"), needs: "forcedTool" },
  "any tool": { asks: "any tool", check: (value) => called(value), needs: "anyTool" },
  "structured output (messages.parse)": {
    asks: "structured output by schema",
    check: (value) => expect(value.parsed_output).toEqual(weatherShape),
    needs: "schema",
  },
  "stop sequence": {
    asks: "a stop sequence",
    check: (value) => {
      expect(value.stop_reason).toBe("stop_sequence");
      expect(value.stop_sequence).toBe(".");
      expect(textOf(value)).toBe("Done"); // the model writes "Done."; the sequence itself is left out
    },
    needs: "stopSequence",
  },
  count_tokens: { asks: "token counts", check: (value) => expect(value.input_tokens).toBeGreaterThan(0) },
  "bad request": {
    asks: "a bad request",
    check: (value) => {
      expect(value.raised).toBe("BadRequestError");
      expect(value.status).toBe(400);
      expect(value.body).toEqual({ type: "error", error: { type: "invalid_request_error", message: expect.any(String) } });
    },
  },
  "image to a text-only model": {
    asks: "an image, text-only model",
    check: (value) => {
      answered(value.first);
      answered(value.next);
    },
  },
  "tool result, two turns": {
    asks: "tool results, an agent loop",
    // The first turn's forced call where the server can be made to write it; the tool result
    // (of that call, or of one written for it) goes back everywhere.
    check: (value, path) => {
      if (path.holds.includes("forcedTool")) called(value.first, "get_weather");
      answered(value.second);
    },
  },
};
