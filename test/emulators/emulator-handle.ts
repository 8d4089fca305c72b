// What a test holds of a running emulated server.
import type { Fault } from "./faults";
import type { PromptCache } from "./prompt-cache";

export type EmulatorHandle = {
  url: string; // the OpenAI base URL, http://127.0.0.1:PORT/v1
  port: number;
  requests: RecordedRequest[]; // every chat completion request, in arrival order
  cache: PromptCache;
  setFault(fault: Fault, times?: number): void;
  stop(): Promise<void>;
};

// One chat completion request as the server saw it. The prompt fields are filled once the
// request got as far as rendering its prompt (not for one refused earlier).
export type RecordedRequest = {
  body: any;
  headers: Record<string, string>;
  promptText?: string; // the rendered chat template
  generatedText?: string; // what the model generated (reasoning, turn, end-of-turn): the cache holds prompt + this
  promptTokens?: number;
  cachedTokens?: number;
};
