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
// Which kind of server it is shows in an experiment, once: after the first reply (sent unpinned),
// a one-token task pinned to another slot starts; then /slots tells whether the reply's slot kept
// its prompt. Where it did, a prompt of ours computed in a third slot and sent again to the slot
// seeded with one token tells whether the server restores from a RAM cache into a slot that held
// something else (measured here: 1,802 of 1,803 tokens restored into a slot that held "Hi"), and
// every empty slot gets a one-token prompt, so that a new conversation pinned there finds the
// shared system prompt and tools restored instead of computing them (an empty slot is never
// restored into). Without a RAM cache (--cache-ram 0) a new session either evicts another
// conversation or computes the shared part again: requests go unpinned, to the slot llama-server
// finds most similar, which is what a run of new sessions wants and what they cost sent straight
// to it. Requests that arrive meanwhile wait for the answer (a few tens of milliseconds).
import * as v from "valibot";
import { logger } from "../logger";
import type { RequestTrace } from "../metrics/request-trace";
import { chainFor, conversationKey, type PrefixChain, type Segment } from "../prefix/prefix-chain";
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

type Slots = v.InferOutput<typeof LlamaServerSlots>;
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
  const conversation = conversationKey(chain); // subagents of one Claude Code session are apart
  const segments = chainFor(chain, withTools);
  if (pinning.behaviour === "unknown") {
    trace.listen({ firstToken() {}, progress() {}, end: (state) => state === "done" && learn(backend, pinning, fetcher, conversation, segments) });
  }
  return {
    ready: pinning.learning && Promise.race([pinning.learning, Bun.sleep(WAIT_MS)]),
    // A request that waited for a shared prefill (it has waitedMs) joins the slot that holds it.
    pick: () => (pinning.behaviour !== "pinned" || trace.ended ? undefined : pinning.assignment.take(conversation, segments, trace, trace.record.waitedMs !== undefined)),
  };
}

function learn(backend: BackendState, pinning: Pinning, fetcher: typeof fetch, conversation: string, segments: readonly Segment[]): void {
  if (pinning.learning || pinning.behaviour !== "unknown") return;
  pinning.learning = experiment(backend, pinning, fetcher, conversation, segments)
    .catch((error: unknown) =>
      error instanceof NoSlotsEndpoint
        ? { behaviour: "pinned" as const, why: "it does not tell its slots (--no-slots?)" }
        : { behaviour: "unknown" as const, why: `asked again after another reply (${error instanceof Error ? error.message : String(error)})` },
    )
    .then(({ behaviour, why }) => {
      pinning.behaviour = behaviour;
      if (behaviour !== "unknown") logger.info(`backend ${backend.config.name} at ${redactUrl(backend.config.url)}: requests go ${behaviour} to its slots: ${why}`);
    })
    .finally(() => (pinning.learning = undefined));
}

// The reply's slot (the idle one that ran the latest task) and another idle slot, the emptiest;
// a one-token task pinned to that one; then whether the reply's slot still holds its prompt.
type Finding = { behaviour: Behaviour; why: string };

async function experiment(backend: BackendState, pinning: Pinning, fetcher: typeof fetch, conversation: string, segments: readonly Segment[]): Promise<Finding> {
  const ask = llamaServerApi(backend, fetcher);
  const idle = v.parse(LlamaServerSlots, await ask("/slots")).filter((slot) => !slot.is_processing);
  const replied = latestTask(idle);
  const other = idle.filter((slot) => slot !== replied).sort((a, b) => (a.n_prompt_tokens ?? 0) - (b.n_prompt_tokens ?? 0))[0];
  const busy = { behaviour: "unknown" as const, why: "busy: asked again after another reply" };
  if (!replied?.n_prompt_tokens || !other) return busy;
  await ask("/completion", { ...SEED, id_slot: other.id });
  const after = v.parse(LlamaServerSlots, await ask("/slots"));
  const kept = after.find((slot) => slot.id === replied.id);
  if (!kept || kept.is_processing || kept.id_task !== replied.id_task) return busy;
  if (kept.n_prompt_tokens === 0) return { behaviour: "unpinned", why: "it clears idle slots into its RAM cache (a unified KV cache, its default) and restores each request's best match itself" };
  const { assignment } = pinning;
  assignment.place(replied.id, conversation, segments);
  assignment.place(other.id, undefined, []);
  const spare = after.filter((slot) => !slot.is_processing && slot.id !== replied.id && slot.id !== other.id).sort((a, b) => (a.n_prompt_tokens ?? 0) - (b.n_prompt_tokens ?? 0))[0];
  assignment.restoresFromCache = spare ? await restores(ask, spare.id, other.id) : true; // too few slots to tell: its default, a RAM cache
  if (!assignment.restoresFromCache) return { behaviour: "unpinned", why: "it has no RAM cache to restore from (--cache-ram 0): it puts a new session where the shared prompt is" };
  if (spare) assignment.place(spare.id, undefined, []);
  for (const slot of after.filter((candidate) => !candidate.is_processing && !candidate.n_prompt_tokens && ![replied.id, other.id, spare?.id].includes(candidate.id))) {
    await ask("/completion", { ...SEED, id_slot: slot.id });
    assignment.place(slot.id, undefined, []);
  }
  return { behaviour: "pinned", why: "its slots keep their prompts (--parallel given) and it restores from its RAM cache into them" };
}

// The probe computed in `spare`; a task elsewhere, at whose start the idle `spare` is copied to the
// RAM cache; the probe again in `seeded`, which holds a prompt it shares nothing with: restored
// from the cache there, or computed again.
async function restores(ask: LlamaServerApi, spare: number, seeded: number): Promise<boolean> {
  await ask("/completion", { ...PROBE, id_slot: spare });
  await ask("/completion", { ...SEED, id_slot: seeded });
  const again = v.parse(LlamaServerCompletion, await ask("/completion", { ...PROBE, id_slot: seeded }));
  return (again.timings?.cache_n ?? 0) > 0;
}

type LlamaServerApi = (path: string, body?: object) => Promise<unknown>;

// GET /slots refused: started with --no-slots (HTTP 501), or not llama-server after all.
class NoSlotsEndpoint extends Error {}

// GET (no body) or POST one of llama-server's own endpoints, as JSON.
function llamaServerApi(backend: BackendState, fetcher: typeof fetch): LlamaServerApi {
  const headers = { "content-type": "application/json", ...authorization(backend.config) };
  return async (path, body) => {
    const response = await fetcher(serverUrl(backend.config.url, path), { method: body ? "POST" : "GET", headers, body: body && JSON.stringify(body), signal: AbortSignal.timeout(EXPERIMENT_TIMEOUT_MS) });
    if (!response.ok && path === "/slots" && (response.status === 501 || response.status === 404)) throw new NoSlotsEndpoint(`${path}: HTTP ${response.status}`);
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response.json();
  };
}

function latestTask(slots: Slots): Slots[number] | undefined {
  return slots.reduce<Slots[number] | undefined>((latest, slot) => (slot.id_task !== undefined && slot.id_task > (latest?.id_task ?? -1) ? slot : latest), undefined);
}
