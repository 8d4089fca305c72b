// A backend for the load and overhead benchmarks: an OpenAI-compatible server that answers every
// completion with the same reply, `words` chunks `delayMs` apart, after reading the whole request
// (as a real server must). No tokenizer, no template, no prompt cache: its own cost stays small
// and constant, so what the benchmarks see on top of it is the proxy's.
import { startUrlProcess } from "./daemon-process";

export type StreamBackend = { url: string; requests(): number; stop(): Promise<void> };

export function startStreamBackend(options: { words: number; delayMs: number }): StreamBackend {
  let requests = 0;
  const model = "bench-model";
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: "chatcmpl-bench", object: "chat.completion.chunk", model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const usage = { prompt_tokens: 18_000, completion_tokens: options.words, prompt_tokens_details: { cached_tokens: 17_900 } };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      if (request.method === "GET") {
        if (path.endsWith("/models"))
          return Response.json({
            object: "list",
            data: [{ id: model, object: "model", type: "llm", state: "loaded", max_context_length: 262_144, loaded_context_length: 262_144 }],
          });
        return Response.json({ error: "not found" }, { status: 404 });
      }
      const body = (await request.json()) as { stream?: boolean };
      requests++;
      if (!body.stream) {
        await Bun.sleep(options.delayMs * options.words);
        return Response.json({
          id: "chatcmpl-bench",
          object: "chat.completion",
          model,
          choices: [{ index: 0, message: { role: "assistant", content: "word ".repeat(options.words) }, finish_reason: "stop" }],
          usage,
        });
      }
      const encoder = new TextEncoder();
      let sent = 0;
      return new Response(
        new ReadableStream({
          async pull(controller) {
            if (sent === 0) controller.enqueue(encoder.encode(chunk({ role: "assistant", content: "" })));
            if (sent < options.words) {
              if (options.delayMs > 0) await Bun.sleep(options.delayMs);
              controller.enqueue(encoder.encode(chunk({ content: "word " })));
              sent++;
              return;
            }
            controller.enqueue(
              encoder.encode(
                `${chunk({}, "stop")}data: ${JSON.stringify({ id: "chatcmpl-bench", object: "chat.completion.chunk", model, choices: [], usage })}\n\ndata: [DONE]\n\n`,
              ),
            );
            controller.close();
          },
        }),
        { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } },
      );
    },
  });
  return { url: `http://127.0.0.1:${server.port}/v1`, requests: () => requests, stop: async () => void server.stop(true) };
}

// The backend as a process of its own, as a real one is: a client and the backend sharing one
// event loop would make "direct" a call without a hop between processes.
export async function startStreamBackendProcess(options: { words: number; delayMs: number }): Promise<StreamBackend> {
  const child = await startUrlProcess([process.execPath, import.meta.path, String(options.words), String(options.delayMs)], "the bench backend");
  return { url: child.url, requests: () => Number.NaN, stop: async () => child.stop() };
}

if (import.meta.main) {
  const backend = startStreamBackend({ words: Number(Bun.argv[2]), delayMs: Number(Bun.argv[3]) });
  process.stdout.write(`${backend.url}\n`);
}
