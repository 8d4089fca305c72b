// llama.cpp's llama-server `GET /props`, checked loosely for the fields anyclaude reads.
import * as v from "valibot";

export const LlamaServerProps = v.looseObject({
  default_generation_settings: v.optional(v.looseObject({ n_ctx: v.optional(v.number()) })),
  chat_template_caps: v.optional(v.looseObject({ supports_tools: v.optional(v.boolean()) })),
  total_slots: v.optional(v.number()),
  modalities: v.optional(v.looseObject({ vision: v.optional(v.boolean()) })),
});

// Its token counts (POST /v1/messages/count_tokens, /v1/chat/completions/input_tokens).
export const TokenCount = v.looseObject({ input_tokens: v.number() });

// `GET /slots`: per slot, whether it runs a task, the last task it ran and how many tokens it holds
// (tools/server/server-context.cpp, server_slot::to_json; 0.3.36 leaves out the prompt's text).
export const LlamaServerSlots = v.array(
  v.looseObject({ id: v.number(), is_processing: v.optional(v.boolean()), id_task: v.optional(v.number()), n_prompt_tokens: v.optional(v.number()) }),
);

// `POST /completion`'s answer: how many of the prompt's tokens came from a cache.
export const LlamaServerCompletion = v.looseObject({ timings: v.optional(v.looseObject({ cache_n: v.optional(v.number()) })) });
