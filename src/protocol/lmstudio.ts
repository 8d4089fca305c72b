// LM Studio's own REST model lists, checked loosely for the fields anyclaude reads.
import * as v from "valibot";

const Count = v.optional(v.nullable(v.number()));

// /api/v0/models (0.3+): every downloaded model; `state` tells the loaded one.
export const LmStudioV0Models = v.looseObject({
  data: v.array(
    v.looseObject({
      id: v.string(),
      type: v.optional(v.string()),
      state: v.optional(v.string()),
      loaded_context_length: Count,
    }),
  ),
});

// /api/v1/models (0.4+): loaded instances with their context, and what each model was trained for.
export const LmStudioV1Models = v.looseObject({
  models: v.array(
    v.looseObject({
      key: v.string(),
      type: v.optional(v.string()),
      loaded_instances: v.optional(v.array(v.looseObject({ id: v.string(), config: v.optional(v.looseObject({ context_length: Count })) })), []),
      capabilities: v.optional(v.looseObject({ trained_for_tool_use: v.optional(v.boolean()) })),
    }),
  ),
});
