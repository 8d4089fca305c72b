import { describe, expect, test } from "bun:test";
import { FailedAttempts } from "./failed-attempts";

describe("FailedAttempts", () => {
  test("a few failures are free; then each waits longer, up to a cap; answers queue per address", () => {
    const attempts = new FailedAttempts();
    const delays = Array.from({ length: 12 }, () => attempts.fail("10.0.0.7", 0).delayMs);
    // All at once: each answer after the one before it.
    expect(delays.slice(0, 3)).toEqual([0, 0, 0]);
    expect(delays.slice(3, 6)).toEqual([100, 300, 700]);
    for (let index = 6; index < delays.length; index++) expect(delays[index]! - delays[index - 1]!).toBeLessThanOrEqual(3_000);
    expect(delays.at(-1)! - delays.at(-2)!).toBe(3_000);
    expect(attempts.fail("10.0.0.8", 0)).toEqual({ attempt: 1, delayMs: 0 }); // another address
  });

  test("one after another, each waited out: slowed to one a few seconds; the count decays", () => {
    const attempts = new FailedAttempts();
    let now = 0;
    let last = { attempt: 0, delayMs: 0 };
    for (let index = 0; index < 20; index++) {
      last = attempts.fail("10.0.0.7", now);
      now += last.delayMs;
    }
    expect(last).toEqual({ attempt: 20, delayMs: 3_000 });
    expect(attempts.fail("10.0.0.7", now + 10 * 60_000)).toEqual({ attempt: 1, delayMs: 0 }); // ten minutes later
  });
});

test("an address's queue holds at most 30 s of waiting: past it, failures are answered at once as rate limited", () => {
  const attempts = new FailedAttempts();
  const answers = Array.from({ length: 40 }, () => attempts.fail("10.0.0.7", 0));
  const queued = answers.filter((answer) => answer.overflowMs === undefined);
  expect(queued.at(-1)!.delayMs).toBeGreaterThan(30_000);
  expect(queued.at(-1)!.delayMs).toBeLessThanOrEqual(33_000);
  const overflowed = answers.slice(queued.length);
  expect(overflowed.length).toBeGreaterThan(20);
  for (const answer of overflowed) expect(answer).toMatchObject({ delayMs: 0, overflowMs: queued.at(-1)!.delayMs - 30_000 });
  expect(attempts.fail("10.0.0.7", 60_000).overflowMs).toBeUndefined(); // the queue drained
});
