import { describe, expect, test } from "bun:test";
import { IdleCollector } from "./collect-when-idle";

describe("IdleCollector", () => {
  test("collects once, a few seconds after the last request in flight ended; never while one runs", async () => {
    let collections = 0;
    const idle = new IdleCollector(() => collections++, 20);
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
});
