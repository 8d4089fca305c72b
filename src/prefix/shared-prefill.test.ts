import { describe, expect, test } from "bun:test";
import type { Segment } from "./prefix-chain";
import { MIN_SHARED_TOKENS, SharedPrefills, type Admit, type Release } from "./shared-prefill";

const HEAD: Segment = { hash: "head", tokens: 8_400 };
const ask = (last: string, extra: Partial<Admit> = {}): Admit => ({
  backend: "local",
  readyAt: "first-token",
  segments: [HEAD, { hash: last, tokens: 40 }],
  warmTokens: 0,
  boundMs: () => 60_000,
  ...extra,
});

// Which of these promises have settled, without waiting for the others.
async function settled(promises: Record<string, Promise<Release>>): Promise<Record<string, Release>> {
  const seen: Record<string, Release> = {};
  for (const [name, promise] of Object.entries(promises)) void promise.then((reason) => (seen[name] = reason));
  await Bun.sleep(5);
  return seen;
}

describe("shared prefills", () => {
  test("a follower waits for the leader's first token, then goes", async () => {
    const gate = new SharedPrefills();
    const leader = gate.admit(ask("agent 1"));
    const follower = gate.admit(ask("agent 2"));
    expect(leader.held).toBe(false);
    expect(follower.held).toBe(true);
    expect(follower.sharedTokens).toBe(8_400);
    expect(await settled({ follower: follower.ready })).toEqual({});
    leader.firstToken();
    expect(await follower.ready).toBe("leader-ready");
  });

  test("the leader's progress reaching the end of its prompt releases too", async () => {
    const gate = new SharedPrefills();
    const leader = gate.admit(ask("agent 1"));
    const follower = gate.admit(ask("agent 2"));
    leader.progress(4_000, 8_440);
    expect(await settled({ follower: follower.ready })).toEqual({});
    leader.progress(8_440, 8_440);
    expect(await follower.ready).toBe("leader-ready");
  });

  test("a request with nothing (or too little) in common is not held", async () => {
    const gate = new SharedPrefills();
    gate.admit(ask("agent 1"));
    const unrelated = gate.admit({ ...ask("x"), segments: [{ hash: "other head", tokens: 9_000 }] });
    const short = gate.admit({ ...ask("y"), segments: [{ hash: "small", tokens: MIN_SHARED_TOKENS - 1 }] });
    const shortFollower = gate.admit({
      ...ask("z"),
      segments: [
        { hash: "small", tokens: MIN_SHARED_TOKENS - 1 },
        { hash: "z", tokens: 5 },
      ],
    });
    const elsewhere = gate.admit({ ...ask("agent 2"), backend: "another" });
    for (const admission of [unrelated, short, shortFollower, elsewhere]) {
      expect(admission.held).toBe(false);
      expect(await admission.ready).toBe("not-held");
    }
  });

  test("a request already warm for as much as it shares is not held", () => {
    const gate = new SharedPrefills();
    gate.admit(ask("agent 1"));
    expect(gate.admit(ask("main thread", { warmTokens: 8_400 })).held).toBe(false);
  });

  test("once the leader's prefix is computed, new requests go at once", () => {
    const gate = new SharedPrefills();
    const leader = gate.admit(ask("agent 1"));
    leader.firstToken();
    expect(gate.admit(ask("agent 2")).held).toBe(false);
  });

  test("a leader that fails releases its followers at once", async () => {
    const gate = new SharedPrefills();
    const leader = gate.admit(ask("agent 1"));
    const followers = [gate.admit(ask("agent 2")), gate.admit(ask("agent 3"))];
    leader.end("failed");
    expect(await Promise.all(followers.map((follower) => follower.ready))).toEqual(["leader-failed", "leader-failed"]);
  });

  test("a leader cancelled by its client releases its followers at once", async () => {
    const gate = new SharedPrefills();
    const leader = gate.admit(ask("agent 1"));
    const follower = gate.admit(ask("agent 2"));
    leader.end("cancelled");
    expect(await follower.ready).toBe("leader-cancelled");
    expect(gate.size()).toBe(1); // the follower, now running
  });

  test("a follower goes when its bound is reached, whatever the leader does", async () => {
    const gate = new SharedPrefills();
    gate.admit(ask("agent 1"));
    const follower = gate.admit(ask("agent 2", { boundMs: () => 20 }));
    expect(await settled({ follower: follower.ready })).toEqual({});
    expect(await follower.ready).toBe("bound");
    expect(gate.counts.bound).toBe(1);
  });

  test("a follower whose client goes away stops waiting, and leads nobody", async () => {
    const gate = new SharedPrefills();
    const leader = gate.admit(ask("agent 1"));
    const client = new AbortController();
    const follower = gate.admit(ask("agent 2", { signal: client.signal }));
    client.abort();
    expect(await follower.ready).toBe("cancelled");
    leader.end("done");
    expect(gate.size()).toBe(0);
  });

  test("slot servers: followers go one at a time, each when the one before it ended", async () => {
    const gate = new SharedPrefills();
    const slot = { readyAt: "slot-free" as const };
    const leader = gate.admit(ask("agent 1", slot));
    const [second, third] = [gate.admit(ask("agent 2", slot)), gate.admit(ask("agent 3", slot))];
    leader.firstToken(); // the slot is still busy generating
    expect(await settled({ second: second.ready, third: third.ready })).toEqual({});
    leader.end("done");
    expect(await settled({ second: second.ready, third: third.ready })).toEqual({ second: "leader-ready" });
    // A request arriving now queues behind the running follower as well.
    const fourth = gate.admit(ask("agent 4", slot));
    expect(fourth.held).toBe(true);
    second.end("done");
    expect(await settled({ third: third.ready, fourth: fourth.ready })).toEqual({ third: "leader-ready" });
    third.end("done");
    expect(await fourth.ready).toBe("leader-ready");
  });
});
