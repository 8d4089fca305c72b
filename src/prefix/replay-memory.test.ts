// Issue 18: the replay memory was one map of tool-call ids across all sessions, so one session's
// ids replaced another's arguments, and a busy session pushed the others' out.
import { describe, expect, test } from "bun:test";
import type { Reply } from "../translate/reply";
import { questionKey, ReplayMemory } from "./replay-memory";

const reply = (calls: { id: string; arguments: string }[], text = ""): Reply => ({
  text,
  thinking: "",
  toolCalls: calls.map((call) => ({ ...call, name: "Read" })),
  stopReason: "tool_use",
});

describe("ReplayMemory", () => {
  test("the same tool-call id in two sessions replays each session's own bytes", () => {
    const memory = new ReplayMemory();
    // llama-server numbers its calls per reply: both sessions get call_0.
    memory.remember("session-a", reply([{ id: "call_0", arguments: '{"file_path": "/a"}' }], "Reading a.\n"));
    memory.remember("session-b", reply([{ id: "call_0", arguments: '{"file_path": "/b"}' }]));
    expect(memory.session("session-a").toolArguments("call_0", { file_path: "/a" })).toBe('{"file_path": "/a"}');
    expect(memory.session("session-b").toolArguments("call_0", { file_path: "/b" })).toBe('{"file_path": "/b"}');
    expect(memory.session("session-a").text("Reading a.")).toBe("Reading a.\n");
    expect(memory.session("session-b").text("Reading a.")).toBeUndefined();
    expect(memory.session("unknown").toolArguments("call_0", { file_path: "/a" })).toBeUndefined();
  });

  test("a session making many calls pushes out only its own oldest, and the sessions are bounded too", () => {
    const memory = new ReplayMemory({ sessions: 3, turnsPerSession: 100 });
    memory.remember("quiet", reply([{ id: "toolu_1", arguments: "{}" }]));
    for (let index = 0; index < 5_000; index++) memory.remember("busy", reply([{ id: `toolu_busy_${index}`, arguments: `{"n": ${index}}` }]));
    expect(memory.session("quiet").toolArguments("toolu_1", {})).toBe("{}");
    expect(memory.session("busy").toolArguments("toolu_busy_4999", { n: 4999 })).toBe('{"n": 4999}');
    expect(memory.session("busy").toolArguments("toolu_busy_4899", { n: 4899 })).toBeUndefined();
    for (const session of ["s1", "s2", "s3"]) memory.remember(session, reply([{ id: "toolu_1", arguments: "[]" }]));
    expect(memory.session("quiet").toolArguments("toolu_1", {})).toBeUndefined(); // least recently seen
    expect(memory.session("s3").toolArguments("toolu_1", [])).toBe("[]");
  });

  // What conversation-translations.ts asks instead of every earlier message's questions.
  test("each answer set, replaced or pushed out is a change, keyed as its question; from too long ago, none are known", () => {
    const memory = new ReplayMemory({ sessions: 1, turnsPerSession: 2 });
    expect(memory.session("s").changedSince(0)).toEqual([]); // no replies yet: nothing changes
    memory.remember("s", reply([{ id: "toolu_1", arguments: "{}" }], "  Reading.\n"));
    const session = memory.session("s");
    expect(session.changedSince(0)).toEqual(["toolu_1", questionKey(false, "\nReading. ")]);
    expect(session.text("\nReading. ")).toBe("  Reading.\n");
    const version = session.version;
    memory.remember(
      "s",
      reply([
        { id: "toolu_2", arguments: "{}" },
        { id: "toolu_1", arguments: '{"a": 1}' },
        { id: "toolu_3", arguments: "not JSON" },
      ]),
    );
    memory.remember("s", reply([{ id: "toolu_4", arguments: "{}" }])); // pushes out toolu_2
    expect(session.changedSince(version)).toEqual(["toolu_2", "toolu_1", "toolu_4", "toolu_2"]);
    expect(session.changedSince(session.version)).toEqual([]);
    for (let index = 0; index < 3_000; index++) memory.remember("s", reply([{ id: `toolu_more_${index}`, arguments: "{}" }]));
    expect(session.changedSince(version)).toBeUndefined();
    expect(session.changedSince(session.version - 2)).toEqual(["toolu_more_2999", "toolu_more_2997"]); // set, and the oldest pushed out
    // Pushed out and made again: another object, whose versions say nothing of the first's.
    memory.remember("other", reply([]));
    memory.remember("s", reply([]));
    expect(memory.session("s")).not.toBe(session);
  });

  // Issue 27: the remembered bytes went to the backend whatever the client sent back.
  test("the model's bytes replay only while the client's input is the value it was handed; otherwise the client's wins", () => {
    const memory = new ReplayMemory();
    memory.remember("s", {
      text: "",
      thinking: "",
      stopReason: "tool_use",
      toolCalls: [
        { id: "toolu_1", name: "Bash", arguments: '{"command":  "ls",\n "timeout": 1.0}' },
        // Typed for the client (settle-tool-calls.ts): compared as it was handed.
        { id: "toolu_2", name: "Search", arguments: '{"max": "5"}', clientJson: '{"max":5}' },
      ],
    });
    const session = memory.session("s");
    expect(session.toolArguments("toolu_1", { command: "ls", timeout: 1 })).toBe('{"command":  "ls",\n "timeout": 1.0}');
    expect(session.toolArguments("toolu_1", { timeout: 1, command: "ls" })).toBe('{"command":  "ls",\n "timeout": 1.0}'); // a JSON value: key order aside
    expect(session.toolArguments("toolu_1", { command: "ls -la", timeout: 1 })).toBeUndefined(); // a hook's updatedInput
    expect(session.toolArguments("toolu_1", { command: "ls" })).toBeUndefined();
    expect(session.toolArguments("toolu_1", { command: "ls", timeout: 1, extra: null })).toBeUndefined();
    expect(session.toolArguments("toolu_2", { max: 5 })).toBe('{"max": "5"}');
    expect(session.toolArguments("toolu_2", { max: "5" })).toBeUndefined();
  });

  // Issue 27: capped by count only, twenty 20 MB replies kept 474 MB.
  test("what all sessions keep stays under the byte bound, the least recently seen session's oldest answers let go first", () => {
    const memory = new ReplayMemory({ totalBytes: 1_000_000 });
    const big = (n: number) => `{"content": "${String(n).repeat(100_000)}"}`; // 100 KB and more
    memory.remember(
      "old",
      reply([
        { id: "toolu_old_1", arguments: big(1) },
        { id: "toolu_old_2", arguments: big(2) },
      ]),
    );
    for (let index = 0; index < 20; index++) {
      memory.remember("new", reply([{ id: `toolu_${index}`, arguments: big(3) }], `text ${index} `.repeat(1_000)));
      expect(memory.bytes).toBeLessThanOrEqual(1_000_000);
    }
    expect(memory.session("old").hasToolCall("toolu_old_1")).toBe(false);
    expect(memory.session("old").hasToolCall("toolu_old_2")).toBe(false);
    expect(memory.session("new").hasToolCall("toolu_19")).toBe(true);
    expect(memory.session("new").hasToolCall("toolu_10")).toBe(false);
    // One answer larger than the bound is not kept, and pushes out nothing.
    const before = memory.bytes;
    memory.remember("new", reply([{ id: "toolu_huge", arguments: `{"content": "${"x".repeat(2_000_000)}"}` }]));
    expect(memory.session("new").hasToolCall("toolu_huge")).toBe(false);
    expect(memory.bytes).toBe(before);
    expect(memory.session("new").hasToolCall("toolu_19")).toBe(true);
  });

  test("twenty 4 MB replies, each its own: the heap keeps about the bound's worth (84 MB before)", () => {
    const memory = new ReplayMemory();
    Bun.gc(true);
    const before = process.memoryUsage().heapUsed;
    for (let index = 0; index < 20; index++) {
      const args = `{"content": "${String.fromCharCode(97 + index).repeat(4 * 1024 * 1024)}"}`;
      memory.remember(
        `s${index % 3}`,
        reply(
          [
            { id: `toolu_${index}`, arguments: args },
            { id: `toolu_small_${index}`, arguments: "{}" },
          ],
          ` ${args} `,
        ),
      );
    }
    Bun.gc(true);
    expect(memory.bytes).toBeLessThanOrEqual(16 * 1024 * 1024);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(24 * 1024 * 1024);
    expect(memory.session("s1").toolArguments("toolu_small_19", {})).toBe("{}");
  });
});
