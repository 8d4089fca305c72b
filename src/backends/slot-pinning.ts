// Pinning a backend's requests to slots (slot-assignment.ts), for servers that take `id_slot`:
// one table per backend, as many slots as its probe found, each slot held while its request runs.
import type { RequestTrace } from "../metrics/request-trace";
import { chainFor, type PrefixChain } from "../prefix/prefix-chain";
import type { BackendState } from "./backend-pool";
import { backendQuirks } from "./backend-quirks";
import { SlotAssignment } from "./slot-assignment";

const tables = new WeakMap<BackendState, SlotAssignment>();

function slotsOf(backend: BackendState): SlotAssignment | undefined {
  const count = backend.probe?.slots ?? 0;
  if (!backendQuirks(backend.config.kind).pinsSlots || count < 2) return undefined;
  let table = tables.get(backend);
  if (table?.size !== count) {
    table = new SlotAssignment(count);
    tables.set(backend, table);
  }
  return table;
}

// A function that picks the slot when the request goes (after any wait for a shared prefill);
// undefined for a backend that is not pinned.
export function slotPicker(backend: BackendState, chain: PrefixChain, withTools: boolean, trace: RequestTrace): (() => number | undefined) | undefined {
  const slots = slotsOf(backend);
  if (!slots) return undefined;
  // A conversation is known by its start: subagents of one Claude Code session are apart.
  const conversation = `${chain.headWithTools.hash}:${chain.messages[0]?.hash ?? ""}`;
  // A request that waited for a shared prefill (it has waitedMs) joins the slot that holds it.
  return () => (trace.ended ? undefined : slots.take(conversation, chainFor(chain, withTools), trace, trace.record.waitedMs !== undefined));
}
