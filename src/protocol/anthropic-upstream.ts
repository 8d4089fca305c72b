// The Messages API as local servers answer it (LM Studio 0.4.1+, llama.cpp, Ollama, vLLM): what
// anyclaude reads when it relays a backend of kind "anthropic", and what `bench` reads from the
// daemon.
import * as v from "valibot";

const UpstreamUsage = v.optional(
  v.looseObject({
    input_tokens: v.optional(v.nullable(v.number())),
    output_tokens: v.optional(v.nullable(v.number())),
    cache_read_input_tokens: v.optional(v.nullable(v.number())),
  }),
);

export const UpstreamStreamEvent = v.looseObject({
  type: v.string(),
  message: v.optional(v.looseObject({ usage: UpstreamUsage })),
  content_block: v.optional(v.looseObject({ type: v.string(), id: v.optional(v.string()), name: v.optional(v.string()) })),
  delta: v.optional(
    v.looseObject({
      type: v.optional(v.string()),
      text: v.optional(v.string()),
      thinking: v.optional(v.string()),
      partial_json: v.optional(v.string()),
      signature: v.optional(v.string()),
      stop_reason: v.optional(v.nullable(v.string())),
      stop_sequence: v.optional(v.nullable(v.string())),
    }),
  ),
  index: v.optional(v.number()),
  usage: UpstreamUsage,
  error: v.optional(v.looseObject({ type: v.optional(v.string()), message: v.optional(v.string()) })),
});

export const UpstreamMessage = v.looseObject({
  content: v.array(
    v.looseObject({
      type: v.string(),
      text: v.optional(v.string()),
      thinking: v.optional(v.string()),
      id: v.optional(v.string()),
      name: v.optional(v.string()),
      input: v.optional(v.unknown()),
    }),
  ),
  stop_reason: v.optional(v.nullable(v.string())),
  stop_sequence: v.optional(v.nullable(v.string())),
  usage: UpstreamUsage,
});

export type UpstreamStreamEvent = v.InferOutput<typeof UpstreamStreamEvent>;
export type UpstreamMessage = v.InferOutput<typeof UpstreamMessage>;
