// Pinning a backend's requests to slots (slot-assignment.ts), for servers that take `id_slot`:
// one table per backend, as many slots as its probe found, each slot held while its request runs.
//
// Only where slots keep their prompts. llama-server with a unified KV cache (its default when not
// given --parallel: 4 slots) and a RAM prompt cache (--cache-ram, 8 GiB by default) saves every
// idle slot's prompt to that cache and clears the slot whenever a task starts
// (server-context.cpp, `cache_idle_slots`), then gives each request the slot it picks with the
// best match restored from the cache. A request pinned to a cleared slot skips that restore
// (get_available_slot: the empty slot's f_keep is 0/0, so no cache update) and computes its whole
// prompt: measured with Claude Code 2.1.337, four one-shot sessions pinned computed 11,793 tokens
// each, against 12,151, then 2,156 each, unpinned.
// Which kind of server it is shows in an experiment, once: after the first reply (sent unpinned),
// a one-token task pinned to another slot starts; then /slots tells whether the reply's slot kept
// its prompt. Requests that arrive meanwhile wait for the answer (a few tens of milliseconds).
import * as v from "valibot";
import { logger } from "../logger";
import type { RequestTrace } from "../metrics/request-trace";
import { chainFor, conversationKey, type PrefixChain, type Segment } from "../prefix/prefix-chain";
import { LlamaServerSlots } from "../protocol/llama-server";
import { redactUrl } from "../config/redact-url";
import type { BackendState } from "./backend-pool";
import { backendQuirks } from "./backend-quirks";
import { serverRoot } from "./backend-url";
import { SlotAssignment } from "./slot-assignment";

const EXPERIMENT_TIMEOUT_MS = 3_000;
// A request waits this long at most for the experiment's answer, then goes unpinned.
const WAIT_MS = 1_500;

type Slots = v.InferOutput<typeof LlamaServerSlots>;
// "unknown": not pinned until the experiment tells; "keeps": pinned; "clears": never pinned.
type Behaviour = "unknown" | "keeps" | "clears";
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
  if (!pinning || pinning.behaviour === "clears") return undefined;
  const conversation = conversationKey(chain); // subagents of one Claude Code session are apart
  const segments = chainFor(chain, withTools);
  if (pinning.behaviour === "unknown") {
    trace.listen({ firstToken() {}, progress() {}, end: (state) => state === "done" && learn(backend, pinning, fetcher, conversation, segments) });
  }
  return {
    ready: pinning.learning && Promise.race([pinning.learning, Bun.sleep(WAIT_MS)]),
    // A request that waited for a shared prefill (it has waitedMs) joins the slot that holds it.
    pick: () => (pinning.behaviour !== "keeps" || trace.ended ? undefined : pinning.assignment.take(conversation, segments, trace, trace.record.waitedMs !== undefined)),
  };
}

function learn(backend: BackendState, pinning: Pinning, fetcher: typeof fetch, conversation: string, segments: readonly Segment[]): void {
  if (pinning.learning || pinning.behaviour !== "unknown") return;
  pinning.learning = experiment(backend, pinning, fetcher, conversation, segments)
    .catch(() => "keeps" as const) // no /slots (--no-slots) or no answer: pinned, as before this was known
    .then((behaviour) => {
      pinning.behaviour = behaviour;
      if (behaviour === "clears") logger.info(`backend ${backend.config.name} at ${redactUrl(backend.config.url)} keeps idle slots' prompts in its RAM cache, not in its slots: its requests go unpinned, for it to restore each one's best match`);
    })
    .finally(() => (pinning.learning = undefined));
}

// The reply's slot (the idle one that ran the latest task) and another idle slot, the emptiest;
// a one-token task pinned to that one; then whether the reply's slot still holds its prompt.
async function experiment(backend: BackendState, pinning: Pinning, fetcher: typeof fetch, conversation: string, segments: readonly Segment[]): Promise<Behaviour> {
  const root = serverRoot(backend.config.url);
  const headers: Record<string, string> = { "content-type": "application/json", ...(backend.config.apiKey ? { authorization: `Bearer ${backend.config.apiKey}` } : {}) };
  const ask = async (path: string, body?: object) => {
    const response = await fetcher(`${root}${path}`, { method: body ? "POST" : "GET", headers, body: body && JSON.stringify(body), signal: AbortSignal.timeout(EXPERIMENT_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response.json();
  };
  const before = v.parse(LlamaServerSlots, await ask("/slots"));
  const idle = before.filter((slot) => !slot.is_processing);
  const replied = latestTask(idle);
  const other = idle.filter((slot) => slot !== replied).sort((a, b) => (a.n_prompt_tokens ?? 0) - (b.n_prompt_tokens ?? 0))[0];
  if (!replied?.n_prompt_tokens || !other) return "unknown"; // busy: asked again after another reply
  await ask("/completion", { prompt: "Hi", n_predict: 1, id_slot: other.id, cache_prompt: true });
  const after = v.parse(LlamaServerSlots, await ask("/slots")).find((slot) => slot.id === replied.id);
  if (!after || after.is_processing || after.id_task !== replied.id_task) return "unknown";
  if (after.n_prompt_tokens === 0) return "clears";
  pinning.assignment.place(replied.id, conversation, segments);
  return "keeps";
}

function latestTask(slots: Slots): Slots[number] | undefined {
  return slots.reduce<Slots[number] | undefined>((latest, slot) => (slot.id_task !== undefined && slot.id_task > (latest?.id_task ?? -1) ? slot : latest), undefined);
}
