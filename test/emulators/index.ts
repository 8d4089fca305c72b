// Emulated local backends for tests, end-to-end runs and the cache benchmark.
export { startLmStudioServer, LMSTUDIO_DEFAULT_MODEL, type LmStudioOptions } from "./lmstudio-server";
export { startMlxLmServer, MLX_DEFAULT_MODEL, type MlxLmOptions } from "./mlx-lm-server";
export type { EmulatorHandle, RecordedRequest } from "./emulator-handle";
export type { Fault } from "./faults";
export { PromptCache, type CachePolicy } from "./prompt-cache";
export { renderChatTemplate, TemplateError, type ChatTemplateName, type TemplateMessage } from "./render-chat-template";
export {
  defaultRespond,
  scriptedModel,
  textOf,
  type ChatBody,
  type Respond,
  type ScriptedReply,
  type ScriptedToolCall,
  type ScriptOptions,
} from "./scripted-model";
export { encodeTokens } from "./encode-tokens";
