// How far a backend is through computing a prompt, from what each server sends meanwhile:
// - mlx_lm.server writes `: keepalive N/M` SSE comments, N of the M prompt tokens it had to
//   compute (the cached ones left out), after each prefill step (mlx_lm/server.py);
// - llama-server, asked with `return_progress: true`, sends chunks with `prompt_progress`
//   {total, cache, processed}, where `processed` counts the cached tokens too
//   (tools/server/server-task.cpp, result_prompt_progress).
import type { PromptProgress } from "../protocol/openai";

// Of the tokens that had to be computed: `processed` of `total`.
export type PrefillProgress = { processed: number; total: number };

const KEEPALIVE = /^\s*keepalive (\d+)\/(\d+)\s*$/;

export function progressFromComment(text: string): PrefillProgress | undefined {
  const match = KEEPALIVE.exec(text);
  return match ? { processed: Number(match[1]), total: Number(match[2]) } : undefined;
}

export function progressFromPromptProgress(progress: PromptProgress): PrefillProgress {
  return { processed: Math.max(0, progress.processed - progress.cache), total: Math.max(0, progress.total - progress.cache) };
}
