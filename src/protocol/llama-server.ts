// llama.cpp's llama-server `GET /props`, checked loosely for the fields anyclaude reads.
import * as v from "valibot";

export const LlamaServerProps = v.looseObject({
  default_generation_settings: v.optional(v.looseObject({ n_ctx: v.optional(v.number()) })),
  chat_template_caps: v.optional(v.looseObject({ supports_tools: v.optional(v.boolean()) })),
  total_slots: v.optional(v.number()),
  modalities: v.optional(v.looseObject({ vision: v.optional(v.boolean()) })),
});
