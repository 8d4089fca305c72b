// One count_tokens put to a backend that counts tokens itself (backend-quirks.ts countTokensPath),
// within a short limit: Claude Code asks often, and the calibrated estimate answers when it cannot.
import * as v from "valibot";
import type { BackendConfig } from "../config/config-schema";
import { TokenCount } from "../protocol/llama-server";
import { backendQuirks } from "./backend-quirks";
import { apiUrl } from "./backend-url";
import { authorization } from "./send-to-backend";

// A count; "unsupported": the server has no such endpoint, never to be asked again; undefined: no
// count this time (busy, slow, an error).
export type AskedCount = number | "unsupported" | undefined;

export async function askTokenCount(backend: BackendConfig, body: unknown, options: { fetcher: typeof fetch; timeoutMs: number }): Promise<AskedCount> {
  const path = backendQuirks(backend.kind).countTokensPath;
  if (!path) return "unsupported";
  try {
    const response = await options.fetcher(apiUrl(backend, path), {
      method: "POST",
      headers: { "content-type": "application/json", ...authorization(backend) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    if (!response.ok) {
      await response.body?.cancel();
      return response.status === 404 || response.status === 405 || response.status === 501 ? "unsupported" : undefined;
    }
    const parsed = v.safeParse(TokenCount, await response.json());
    return parsed.success ? parsed.output.input_tokens : "unsupported";
  } catch {
    return undefined;
  }
}
