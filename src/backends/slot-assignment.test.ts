import { describe, expect, test } from "bun:test";
import type { Segment } from "../prefix/prefix-chain";
import { SlotAssignment } from "./slot-assignment";

const seg = (hash: string, tokens: number): Segment => ({ hash, tokens });
const SYSTEM = seg("system+tools", 5_800);
const session = (name: string, turns = 1) => [SYSTEM, seg(`${name}-task`, 700), ...Array.from({ length: turns - 1 }, (_, turn) => seg(`${name}-turn${turn}`, 20))];

function clock() {
  let time = 1_000_000;
  return { now: () => time, advance: (ms: number) => void (time += ms) };
}

describe("llama-server slot assignment", () => {
  test("interleaved sessions each keep a slot of their own: a follow-up lands where its conversation is", () => {
    const time = clock();
    const slots = new SlotAssignment(4, time.now);
    const first = ["a", "b", "c", "d"].map((name) => { const taken = slots.take(name, session(name))!; taken.release(); time.advance(1); return taken.slot; });
    expect(new Set(first).size).toBe(4);
    ["a", "b", "c", "d"].forEach((name, index) => {
      const taken = slots.take(name, session(name, 2))!;
      expect(taken.slot).toBe(first[index]!);
      taken.release();
    });
  });

  test("requests that share a long prefix and short tails share a slot (parallel agents: one prefill)", () => {
    const slots = new SlotAssignment(4, clock().now);
    const leader = slots.take("agent-1", [SYSTEM, seg("agent-1", 20)])!;
    leader.release();
    const follower = slots.take("agent-2", [SYSTEM, seg("agent-2", 20)])!;
    expect(follower.slot).toBe(leader.slot);
  });

  test("a busy slot is never taken; with every slot busy, none is pinned", () => {
    const slots = new SlotAssignment(2, clock().now);
    const one = slots.take("a", session("a"))!;
    const two = slots.take("a", session("a"))!;
    expect(two.slot).not.toBe(one.slot);
    expect(slots.take("a", session("a"))).toBeUndefined();
    one.release();
    one.release(); // twice is once
    expect(slots.take("b", session("b"))?.slot).toBe(one.slot);
  });

  test("a conversation idle past its time gives its slot up before a live one does", () => {
    const time = clock();
    const slots = new SlotAssignment(2, time.now);
    slots.take("old", session("old"))!.release();
    time.advance(11 * 60_000);
    const live = slots.take("live", session("live"))!;
    live.release();
    time.advance(1_000);
    const next = slots.take("new", session("new"))!;
    expect(next.slot).not.toBe(live.slot);
  });
});
