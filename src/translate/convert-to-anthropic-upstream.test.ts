import { describe, expect, test } from "bun:test";
import type { LocalRequest } from "../protocol/anthropic";
import { convertToAnthropicUpstream } from "./convert-to-anthropic-upstream";

const target = { model: "qwen3", includeTools: true, cleanToolSchemas: true, images: true };
const SCHEMA = { type: "object", properties: { url: { type: "string", format: "uri" } } };
const request = (extra: Partial<LocalRequest>): LocalRequest =>
  ({ model: "claude-sonnet-4-5", max_tokens: 64, messages: [{ role: "user", content: "hi" }], ...extra }) as LocalRequest;

describe("convertToAnthropicUpstream", () => {
  test("structured output goes through as output_config.format, without Claude Code's effort, the schema cleaned", () => {
    const body = convertToAnthropicUpstream(request({ output_config: { effort: "medium", format: { type: "json_schema", schema: SCHEMA } } }), target);
    expect(body.output_config).toEqual({ format: { type: "json_schema", schema: { type: "object", properties: { url: { type: "string" } } } } });
  });

  test("the beta's output_format goes under the current name; output_config without a format does not go", () => {
    expect(
      convertToAnthropicUpstream(request({ output_format: { type: "json_schema", schema: SCHEMA } }), { ...target, cleanToolSchemas: false }).output_config,
    ).toEqual({ format: { type: "json_schema", schema: SCHEMA } });
    expect(convertToAnthropicUpstream(request({ output_config: { effort: "medium" } }), target).output_config).toBeUndefined();
  });
});
