import { describe, expect, test } from "bun:test";
import { resolveConfig } from "../config/resolve-config";
import { RequestTrace } from "../metrics/request-trace";
import { buildPrefixChain } from "../prefix/prefix-chain";
import { CacheModel } from "../prefix/cache-model";
import type { BackendState } from "./backend-pool";
import { slotPicker } from "./slot-pinning";

const config = resolveConfig({ backends: [{ name: "llama", kind: "openai", url: "http://127.0.0.1:9/v1" }], routing: { toolsBackend: "llama", defaultBackend: "llama" } }, {}).backends[0]!;
const backend = (): BackendState => ({ config, probe: { healthy: true, models: ["m"], slots: 4, at: 0 }, cache: new CacheModel(4, "slots"), stats: { requests: 0, promptTokens: 0, cachedTokens: 0 } });
const chain = (question: string) => buildPrefixChain({ system: "S", tools: [], messages: [{ role: "user", content: question }] });
const trace = () => new RequestTrace({ backend: "llama", route: "tools", estimatedTokens: 10 }, Date.now, () => {});

// The slots of llama-server 0.3.36 as GET /slots shows them (server_slot::to_json), after one
// reply in slot 0. A task that starts in a slot clears every other idle slot when the server
// `clears` (a unified KV cache with its RAM prompt cache: server-context.cpp, cache_idle_slots).
// `restores`: it has a RAM prompt cache (--cache-ram, on by default) and restores from it into a
// slot that held another prompt (cache_n in /completion's timings; 1,802 of 1,803 measured here).
function llamaServer(clears: boolean, restores = true) {
  const slots: { id: number; is_processing: boolean; id_task?: number; n_prompt_tokens?: number; prompt?: string }[] = [
    { id: 0, is_processing: false, id_task: 1, n_prompt_tokens: 5_000, prompt: "You are Claude Code. ".repeat(250) },
    { id: 1, is_processing: false },
    { id: 2, is_processing: false },
    { id: 3, is_processing: false },
  ];
  const asked: string[] = [];
  const fetcher = (async (url: string | URL | Request, init?: RequestInit) => {
    const path = new URL(String(url)).pathname;
    asked.push(`${init?.method ?? "GET"} ${path}`);
    if (path === "/slots") return Response.json(slots);
    const { id_slot, prompt } = JSON.parse(String(init?.body));
    if (clears) for (const slot of slots) if (slot.id !== id_slot) slot.n_prompt_tokens = slot.id_task === undefined ? undefined : 0;
    const restored = restores && slots[id_slot]!.n_prompt_tokens ? prompt.length - 1 : 0;
    Object.assign(slots[id_slot]!, { id_task: (slots[id_slot]!.id_task ?? 1) + 1, n_prompt_tokens: prompt.length });
    return Response.json({ content: "x", timings: { cache_n: restored, prompt_n: prompt.length - restored } });
  }) as typeof fetch;
  return { fetcher, asked };
}

async function firstReply(state: BackendState, fetcher: typeof fetch) {
  const first = trace();
  const picker = slotPicker(state, chain("one"), true, first, fetcher)!;
  expect(picker.pick()).toBeUndefined(); // not pinned before the server is known
  first.finish({ text: "", toolCalls: [], stopReason: "end_turn" } as never);
  await Bun.sleep(20);
}

describe("slot pinning on llama-server", () => {
  test("a server that clears idle slots into its RAM cache (its default: a unified KV cache) is never pinned", async () => {
    const state = backend();
    const server = llamaServer(true);
    await firstReply(state, server.fetcher);
    expect(server.asked).toEqual(["GET /slots", "POST /completion", "GET /slots"]);
    expect(slotPicker(state, chain("two"), true, trace(), server.fetcher)).toBeUndefined();
  });

  test("a server whose slots keep their prompts (--parallel given) is pinned, its empty slots seeded so it restores into them", async () => {
    const state = backend();
    const server = llamaServer(false);
    await firstReply(state, server.fetcher);
    // The seed, then the probe's three tasks, then the last empty slot seeded.
    expect(server.asked).toEqual(["GET /slots", "POST /completion", "GET /slots", "POST /completion", "POST /completion", "POST /completion", "POST /completion"]);
    // The first conversation is where the server put it: slot 0; a new one goes to a seeded slot.
    expect(slotPicker(state, chain("one"), true, trace(), server.fetcher)!.pick()).toBe(0);
    const other = slotPicker(state, chain("two"), true, trace(), server.fetcher)!.pick();
    expect(other).toBeNumber();
    expect(other).not.toBe(0);
  });

  test("without a RAM cache (--cache-ram 0) it is not pinned, and no slot is seeded", async () => {
    const state = backend();
    const server = llamaServer(false, false);
    await firstReply(state, server.fetcher);
    expect(server.asked).toEqual(["GET /slots", "POST /completion", "GET /slots", "POST /completion", "POST /completion", "POST /completion"]);
    expect(slotPicker(state, chain("two"), true, trace(), server.fetcher)).toBeUndefined();
  });

  test("a request that comes while the experiment runs waits for its answer", async () => {
    const state = backend();
    const server = llamaServer(true);
    const first = trace();
    slotPicker(state, chain("one"), true, first, server.fetcher);
    first.finish({ text: "", toolCalls: [], stopReason: "end_turn" } as never);
    const waiting = slotPicker(state, chain("two"), true, trace(), server.fetcher)!;
    expect(waiting.ready).toBeInstanceOf(Promise);
    await waiting.ready;
    expect(waiting.pick()).toBeUndefined();
    expect(slotPicker(state, chain("three"), true, trace(), server.fetcher)).toBeUndefined();
  });

  test("a server without /slots (--no-slots) is pinned, as before; what was learned goes when it is found down", async () => {
    const state = backend();
    const noSlots = (async () => new Response("This server does not support slots endpoint.", { status: 501 })) as unknown as typeof fetch;
    await firstReply(state, noSlots);
    expect(slotPicker(state, chain("two"), true, trace(), noSlots)!.pick()).toBeNumber();
    state.probe = { ...state.probe!, healthy: false };
    expect(slotPicker(state, chain("two"), true, trace(), noSlots)!.pick()).toBeUndefined();
  });

  test("a server too busy to answer the experiment is asked again after the next reply, and not pinned meanwhile", async () => {
    const state = backend();
    const server = llamaServer(true);
    let failing = true;
    const flaky = (async (url: string | URL | Request, init?: RequestInit) => (failing && String(url).endsWith("/completion") ? new Response("busy", { status: 503 }) : server.fetcher(url, init))) as typeof fetch;
    await firstReply(state, flaky);
    const meanwhile = slotPicker(state, chain("two"), true, trace(), flaky)!;
    expect(meanwhile.pick()).toBeUndefined();
    failing = false;
    await firstReply(state, flaky);
    expect(slotPicker(state, chain("three"), true, trace(), flaky)).toBeUndefined(); // learned: it clears
  });
});
