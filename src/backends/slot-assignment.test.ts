import { describe, expect, test } from "bun:test";
import type { Segment } from "../prefix/prefix-chain";
import { SlotAssignment } from "./slot-assignment";

const seg = (hash: string, tokens: number): Segment => ({ hash, tokens });
const SYSTEM = seg("system+tools", 5_800);
const session = (name: string, turns = 1) => [
  SYSTEM,
  seg(`${name}-task`, 700),
  ...Array.from({ length: turns - 1 }, (_, turn) => seg(`${name}-turn${turn}`, 20)),
];

// A request's trace, as far as the slots ask: running until ended.
const request = () => ({ ended: false });
const ended = { ended: true };

function clock() {
  let time = 1_000_000;
  return { now: () => time, advance: (ms: number) => void (time += ms) };
}

describe("llama-server slot assignment", () => {
  test("interleaved sessions each keep a slot of their own: a follow-up lands where its conversation is", () => {
    const time = clock();
    const slots = new SlotAssignment(4, time.now);
    const first = ["a", "b", "c", "d"].map((name) => {
      const slot = slots.take(name, session(name), ended)!;
      time.advance(1);
      return slot;
    });
    expect(new Set(first).size).toBe(4);
    ["a", "b", "c", "d"].forEach((name, index) => expect(slots.take(name, session(name, 2), ended)).toBe(first[index]!));
  });

  test("requests that share a long prefix and short tails share a slot (parallel agents: one prefill)", () => {
    const slots = new SlotAssignment(4, clock().now);
    const leader = slots.take("agent-1", [SYSTEM, seg("agent-1", 20)], ended)!;
    expect(slots.take("agent-2", [SYSTEM, seg("agent-2", 20)], ended)).toBe(leader);
  });

  test("a request that waited for a shared prefill joins the slot that computed it, even over a live conversation's part", () => {
    const slots = new SlotAssignment(2, clock().now);
    const leader = slots.take("agent-1", [SYSTEM, seg("agent-1", 900)], ended)!;
    expect(slots.take("agent-2", [SYSTEM, seg("agent-2", 900)], ended)).not.toBe(leader);
    expect(slots.take("agent-3", [SYSTEM, seg("agent-3", 900)], ended, true)).toBe(leader);
  });

  test("a busy slot is never taken; with every slot busy, none is pinned; a slot is free once its request has ended", () => {
    const slots = new SlotAssignment(2, clock().now);
    const first = request();
    const one = slots.take("a", session("a"), first)!;
    const two = slots.take("a", session("a"), request())!;
    expect(two).not.toBe(one);
    expect(slots.take("a", session("a"), request())).toBeUndefined();
    first.ended = true; // asked, not told: free for whoever asks next, whatever it was told first
    expect(slots.take("b", session("b"), request())).toBe(one);
  });

  test("a conversation idle past its time gives its slot up before a live one does", () => {
    const time = clock();
    const slots = new SlotAssignment(2, time.now);
    slots.take("old", session("old"), ended);
    time.advance(11 * 60_000);
    const live = slots.take("live", session("live"), ended);
    time.advance(1_000);
    expect(slots.take("new", session("new"), ended)).not.toBe(live);
  });

  // A llama-server with a RAM prompt cache restores a request's best match into a slot holding a
  // prompt it shares little with, after saving that prompt there (get_available_slot).
  describe("with a RAM prompt cache", () => {
    test("a new conversation goes to a seeded slot: the shared prompt restored, the other conversation kept", () => {
      const slots = new SlotAssignment(2, clock().now);
      slots.restoresFromCache = true;
      const a = slots.take("a", session("a"), ended)!;
      slots.place(1 - a, undefined, []);
      expect(slots.take("b", session("b"), ended)).toBe(1 - a);
      expect(slots.take("a", session("a", 2), ended)).toBe(a);
    });

    test("an empty slot is not restored into: a new conversation shares the slot that holds the shared prompt rather than compute it", () => {
      const slots = new SlotAssignment(2, clock().now);
      slots.restoresFromCache = true;
      const light = [SYSTEM, seg("light-task", 20)];
      const a = slots.take("a", light, ended)!;
      expect(slots.take("b", [SYSTEM, seg("b-task", 20)], ended)).toBe(a);
    });

    test("a slot whose conversation the request shares nothing with is no eviction: that prompt is saved first", () => {
      const slots = new SlotAssignment(1, clock().now);
      slots.restoresFromCache = true;
      slots.take("other", [seg("other system", 5_000), seg("other-task", 700)], ended);
      expect(slots.take("a", session("a"), ended)).toBe(0);
    });
  });
});
