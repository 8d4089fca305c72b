// An OpenAI-compatible backend's stream -> the events the stream converter takes. Prefill
// progress (mlx_lm.server's keepalive comments, llama-server's prompt_progress) rides on comments.
import * as v from "valibot";
import { ChatChunk } from "../protocol/openai";
import { readSseFrames } from "../sse/read-sse-frames";
import type { UpstreamEvent } from "../translate/create-stream-converter";
import { streamErrorEvent } from "./backend-error";
import { progressFromComment, progressFromPromptProgress } from "./prefill-progress";

export async function* readChatChunks(body: ReadableStream<Uint8Array>, backend: string): AsyncGenerator<UpstreamEvent> {
  for await (const frame of readSseFrames(body)) {
    if (frame.kind === "comment") {
      yield { kind: "comment", progress: progressFromComment(frame.text) };
      continue;
    }
    const event = toUpstreamEvent(frame.data, backend);
    if (event.kind === "chunk" && event.chunk.prompt_progress) yield { kind: "comment", progress: progressFromPromptProgress(event.chunk.prompt_progress) };
    yield event;
  }
}

function toUpstreamEvent(data: string, backend: string): UpstreamEvent {
  if (data.trim() === "[DONE]") return { kind: "done" };
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return { kind: "failure", errorType: "api_error", message: `backend "${backend}" sent a stream chunk that is not JSON: ${data.slice(0, 200)}` };
  }
  // llama.cpp and LM Studio report failures that happen once the stream began as a data chunk.
  if (typeof json === "object" && json !== null && "error" in json && json.error) return streamErrorEvent(backend, json.error);
  const parsed = v.safeParse(ChatChunk, json);
  if (!parsed.success) {
    return { kind: "failure", errorType: "api_error", message: `backend "${backend}" sent a malformed chunk: ${v.summarize(parsed.issues)}` };
  }
  return { kind: "chunk", chunk: parsed.output };
}
