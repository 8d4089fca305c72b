// Pinning a backend's requests to slots (slot-assignment.ts), for servers that take `id_slot`:
// one table per backend, as many slots as its probe found, each slot held while its request runs.
//
// Only where slots keep their prompts and the server restores into a slot from its RAM cache.
// llama-server with a unified KV cache (its default when not given --parallel: 4 slots) and a RAM
// prompt cache (--cache-ram, 8 GiB by default) saves every idle slot's prompt to that cache and
// clears the slot whenever a task starts (server-context.cpp, `cache_idle_slots`), then gives each
// request the slot it picks with the best match restored from the cache. A request pinned to a
// cleared slot skips that restore (get_available_slot: the empty slot's f_keep is 0/0, so no cache
// update) and computes its whole prompt: measured with Claude Code 2.1.337, four one-shot sessions
// pinned computed 11,793 tokens each, against 12,151, then 2,156 each, unpinned.
// Which kind of server it is shows in an experiment, once, when a probe finds it up: a prompt of
// ours computed in one idle slot, a one-token task in another, then /slots tells whether the first
// slot kept its prompt. Where it did, the prompt sent again to the slot that holds the one token
// tells whether the server restores from a RAM cache into a slot that held something else
// (measured here: 1,802 of 1,803 tokens restored into a slot that held "Hi"), and every empty slot
// gets a one-token prompt, so that a new conversation pinned there finds the shared system prompt
// and tools restored instead of computing them (an empty slot is never restored into). Without a
// RAM cache (--cache-ram 0) a new session either evicts another conversation or computes the
// shared part again: requests go unpinned, to the slot llama-server finds most similar, which is
// what a run of new sessions wants and what they cost sent straight to it. Requests that arrive
// meanwhile wait for the answer (a few tens of milliseconds).
import * as v from "valibot";
import { logger } from "../logger";
import type { RequestTrace } from "../metrics/request-trace";
import { chainFor, conversationKey, type PrefixChain } from "../prefix/prefix-chain";
import { LlamaServerCompletion, LlamaServerSlots } from "../protocol/llama-server";
import { redactUrl } from "../config/redact-url";
import type { BackendState } from "./backend-pool";
import { backendQuirks } from "./backend-quirks";
import { serverUrl } from "./backend-url";
import { authorization } from "./send-to-backend";
import { SlotAssignment } from "./slot-assignment";

// Each of the experiment's calls; they queue behind whatever the server is computing.
const EXPERIMENT_TIMEOUT_MS = 10_000;
const SEED = { prompt: "Hi", n_predict: 1, cache_prompt: true };
// A prompt of our own (GET /slots does not show a slot's prompt text), ~60 tokens.
const PROBE = { prompt: "anyclaude asks whether this server restores prompts from its RAM cache. ".repeat(4), n_predict: 1, cache_prompt: true };
// A request waits this long at most for the experiment's answer, then goes unpinned.
const WAIT_MS = 3_000;

// "unknown": not pinned until the experiment tells.
type Behaviour = "unknown" | "pinned" | "unpinned";
type Pinning = { assignment: SlotAssignment; behaviour: Behaviour; learning?: Promise<void> };

export type SlotPicker = { ready?: Promise<unknown>; pick: () => number | undefined };

const tables = new WeakMap<BackendState, Pinning>();

function pinningOf(backend: BackendState): Pinning | undefined {
  const count = backend.probe?.slots ?? 0;
  if (!backendQuirks(backend.config.kind).pinsSlots || count < 2) return undefined;
  let table = tables.get(backend);
  // A server found down may come back started otherwise: what was learned of it goes.
  if (table?.assignment.size !== count || backend.probe?.healthy === false) {
    table = { assignment: new SlotAssignment(count), behaviour: "unknown" };
    tables.set(backend, table);
  }
  return table;
}

// How the request picks its slot when it goes (after any wait for a shared prefill); undefined
// for a backend that is not pinned.
export function slotPicker(backend: BackendState, chain: PrefixChain, withTools: boolean, trace: RequestTrace, fetcher: typeof fetch): SlotPicker | undefined {
  const pinning = pinningOf(backend);
  if (!pinning || pinning.behaviour === "unpinned") return undefined;
  if (pinning.behaviour === "unknown") learnSlots(backend, fetcher); // before its first probe: now
  const conversation = conversationKey(chain); // subagents of one Claude Code session are apart
  const segments = chainFor(chain, withTools);
  return {
    ready: pinning.learning && Promise.race([pinning.learning, Bun.sleep(WAIT_MS)]),
    // A request that waited for a shared prefill (it has waitedMs) joins the slot that holds it.
    pick: () =>
      pinning.behaviour !== "pinned" || trace.ended ? undefined : pinning.assignment.take(conversation, segments, trace, trace.record.waitedMs !== undefined),
  };
}

// What is known of a backend's slots, for `status`: undefined where none are pinned.
export function slotPinningView(backend: BackendState): Behaviour | "learning" | undefined {
  const pinning = pinningOf(backend);
  return pinning && (pinning.learning ? "learning" : pinning.behaviour);
}

// Runs the experiment on a backend whose slots are not known yet (a probe found it up).
export function learnSlots(backend: BackendState, fetcher: typeof fetch): void {
  const pinning = pinningOf(backend);
  if (!pinning || pinning.learning || pinning.behaviour !== "unknown") return;
  pinning.learning = experiment(backend, pinning, fetcher)
    .catch((error: unknown) =>
      error instanceof NoSlotsEndpoint
        ? { behaviour: "pinned" as const, why: "it does not tell its slots (--no-slots?)" }
        : { behaviour: "unknown" as const, why: `asked again (${error instanceof Error ? error.message : String(error)})` },
    )
    .then(({ behaviour, why }) => {
      pinning.behaviour = behaviour;
      if (behaviour !== "unknown")
        logger.info(`backend ${backend.config.name} at ${redactUrl(backend.config.url)}: requests go ${behaviour} to its slots: ${why}`);
    })
    .finally(() => (pinning.learning = undefined));
}

type Finding = { behaviour: Behaviour; why: string };

async function experiment(backend: BackendState, pinning: Pinning, fetcher: typeof fetch): Promise<Finding> {
  const ask = llamaServerApi(backend, fetcher);
  const idle = v
    .parse(LlamaServerSlots, await ask("/slots"))
    .filter((slot) => !slot.is_processing)
    .sort((a, b) => (a.n_prompt_tokens ?? 0) - (b.n_prompt_tokens ?? 0));
  const [probed, seeded] = idle;
  if (!probed || !seeded) return { behaviour: "unknown", why: "busy: asked again" };
  await ask("/completion", { ...PROBE, id_slot: probed.id });
  await ask("/completion", { ...SEED, id_slot: seeded.id });
  const after = v.parse(LlamaServerSlots, await ask("/slots"));
  const kept = after.find((slot) => slot.id === probed.id);
  if (!kept || kept.is_processing) return { behaviour: "unknown", why: "busy: asked again" };
  if (!kept.n_prompt_tokens)
    return {
      behaviour: "unpinned",
      why: "it clears idle slots into its RAM cache (a unified KV cache, its default) and restores each request's best match itself",
    };
  // The seeded slot holds a token the probe does not start with: the probe's prompt is restored
  // there from the RAM cache (the probed slot was copied there when the seed's task started), or
  // computed again.
  const again = v.parse(LlamaServerCompletion, await ask("/completion", { ...PROBE, id_slot: seeded.id }));
  const { assignment } = pinning;
  assignment.restoresFromCache = (again.timings?.cache_n ?? 0) > 0;
  if (!assignment.restoresFromCache)
    return { behaviour: "unpinned", why: "it has no RAM cache to restore from (--cache-ram 0): it puts a new session where the shared prompt is" };
  for (const slot of after.filter((candidate) => !candidate.is_processing && !candidate.n_prompt_tokens))
    await ask("/completion", { ...SEED, id_slot: slot.id });
  // Each slot holds our probe or a token, or a prompt from before: nothing a conversation shares.
  for (const slot of after) assignment.place(slot.id, undefined, []);
  return { behaviour: "pinned", why: "its slots keep their prompts (--parallel given) and it restores from its RAM cache into them" };
}

type LlamaServerApi = (path: string, body?: object) => Promise<unknown>;

// GET /slots refused: started with --no-slots (HTTP 501), or not llama-server after all.
class NoSlotsEndpoint extends Error {}

// GET (no body) or POST one of llama-server's own endpoints, as JSON.
function llamaServerApi(backend: BackendState, fetcher: typeof fetch): LlamaServerApi {
  const headers = { "content-type": "application/json", ...authorization(backend.config) };
  return async (path, body) => {
    const response = await fetcher(serverUrl(backend.config.url, path), {
      method: body ? "POST" : "GET",
      headers,
      body: body && JSON.stringify(body),
      signal: AbortSignal.timeout(EXPERIMENT_TIMEOUT_MS),
    });
    if (!response.ok && path === "/slots" && (response.status === 501 || response.status === 404))
      throw new NoSlotsEndpoint(`${path}: HTTP ${response.status}`);
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response.json();
  };
}
