// A request put to an OpenAI-compatible backend (mlx-lm, LM Studio, llama.cpp, vLLM, Ollama).
import * as v from "valibot";
import { endedWithoutReply, malformedResponse } from "../backends/backend-error";
import { readChatChunks } from "../backends/read-chat-chunks";
import { sendToBackend } from "../backends/send-to-backend";
import { UpstreamWatch } from "../backends/upstream-watch";
import type { BackendConfig } from "../config/config-schema";
import { ChatCompletion, type ChatRequest } from "../protocol/openai";
import { convertFromOpenAICompletion } from "../translate/convert-from-openai-completion";
import { streamConverter } from "../translate/create-stream-converter";
import { whenReady, type BackendCall, type CallContext } from "./backend-call";
import { readJson, streamReply } from "./stream-reply";

export function callChatCompletions(backend: BackendConfig, body: ChatRequest, context: CallContext): BackendCall {
  const watch = new UpstreamWatch(backend, context.fetcher, context.readLimits);
  const upstream = whenReady(context, () =>
    sendToBackend(backend, {
      path: "/chat/completions",
      body: withSlot(body, context.pickSlot?.()),
      stream: Boolean(body.stream),
      signal: context.signal,
      watch,
      fetcher: context.fetcher,
    }),
  );
  return {
    upstream,
    streamResponse: (daemon) =>
      streamReply(
        upstream,
        { backend: backend.name, trace: context.trace, watch, decode: (stream) => readChatChunks(stream, backend.name), converter: streamConverter(context) },
        daemon,
      ),
    async readMessage(response) {
      const parsed = v.safeParse(ChatCompletion, await readJson(response));
      if (!parsed.success) throw malformedResponse(backend, v.summarize(parsed.issues));
      if (!answers(parsed.output)) throw endedWithoutReply(backend);
      return convertFromOpenAICompletion(parsed.output, context);
    },
  };
}

// A choice that brings nothing (no content, no tool call, no finish reason) is no reply at all.
function answers(completion: ChatCompletion): boolean {
  const { message, finish_reason } = completion.choices[0]!;
  return Boolean(finish_reason || message.content || message.reasoning || message.reasoning_content || message.tool_calls?.length);
}

function withSlot(body: ChatRequest, slot: number | undefined): ChatRequest {
  return slot === undefined ? body : { ...body, id_slot: slot };
}
