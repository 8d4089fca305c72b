import { describe, expect, test } from "bun:test";
import { IdleCollector } from "./collect-when-idle";

describe("IdleCollector", () => {
  test("collects once, a few seconds after the last request in flight ended; never while one runs", async () => {
    let collections = 0;
    const idle = new IdleCollector({ collect: () => collections++, idleMs: 20 });
    idle.started();
    idle.started();
    idle.ended();
    await Bun.sleep(40);
    expect(collections).toBe(0); // one still in flight
    idle.ended();
    idle.started(); // a new one before the idle time passed
    await Bun.sleep(40);
    expect(collections).toBe(0);
    idle.ended();
    await Bun.sleep(40);
    expect(collections).toBe(1);
  });

  test("while busy, collects after every so many prompt tokens read, and only past the resident memory set", () => {
    let busy = 0;
    let resident = 200;
    const idle = new IdleCollector({
      collect: () => undefined,
      idleMs: 20,
      busyTokens: 100,
      busyRss: 150,
      collectBusy: () => busy++,
      residentBytes: () => resident,
    });
    idle.started(60);
    expect(busy).toBe(0);
    idle.started(60); // 120 read since the last collection
    expect(busy).toBe(1);
    idle.started(99);
    expect(busy).toBe(1);
    idle.started(1);
    expect(busy).toBe(2);
    resident = 100; // a daemon that holds little: nothing to give back
    idle.started(500);
    expect(busy).toBe(2);
    resident = 151;
    idle.started(100);
    expect(busy).toBe(3);
    for (let request = 0; request < 6; request++) idle.ended();
  });
});
