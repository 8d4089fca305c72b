export { startLmStudioServer, LMSTUDIO_DEFAULT_MODEL, type LmStudioOptions } from "./lmstudio-server";
export { startMlxLmServer, MLX_DEFAULT_MODEL, type EmulatorHandle, type MlxLmOptions } from "./mlx-lm-server";
export { PromptCache } from "./prompt-cache";
export { renderChatTemplate } from "./render-chat-template";
export { defaultRespond, type Respond, type ScriptedReply } from "./scripted-model";
export { tokenize } from "./tokenize";
export type { Fault, RecordedRequest } from "./faults";
