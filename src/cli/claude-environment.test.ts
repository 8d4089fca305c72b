import { expect, test } from "bun:test";
import { resolveConfig } from "../config/resolve-config";
import type { StatusReport } from "../server/status-report";
import { claudeEnvironment } from "./claude-environment";

const config = resolveConfig({}, {});
const withContext = (contextLength: number) =>
  ({ backends: [{ name: "lmstudio", kind: "lmstudio", healthy: true, tools: true, model: "qwen", contextLength }] }) as unknown as StatusReport;

// Claude Code 2.1.332 and 2.1.337, run here: CLAUDE_CODE_AUTO_COMPACT_WINDOW="24576" prints "reads as
// 24,576 tokens, so Claude Code treats it as the 100k minimum" on every run; 100000 prints nothing.
// scripts/measure-compaction.ts: where 2.1.337 compacts with each setting.
test("the compact window is set only where Claude Code takes it: the context from 100k up, else 100k and a percentage of it", () => {
  expect(claudeEnvironment(withContext(131_072), config, {})).toMatchObject({ CLAUDE_CODE_AUTO_COMPACT_WINDOW: "131072" });
  expect(claudeEnvironment(withContext(131_072), config, {}).CLAUDE_AUTOCOMPACT_PCT_OVERRIDE).toBeUndefined();
  expect(claudeEnvironment(withContext(100_000), config, {}).CLAUDE_CODE_AUTO_COMPACT_WINDOW).toBe("100000");
  // Compacting at ~75% of the real context: 30% of Claude Code's 80k effective window on 32k.
  expect(claudeEnvironment(withContext(32_768), config, {})).toMatchObject({
    CLAUDE_CODE_AUTO_COMPACT_WINDOW: "100000",
    CLAUDE_AUTOCOMPACT_PCT_OVERRIDE: "30",
    CLAUDE_CODE_MAX_CONTEXT_TOKENS: "32768",
  });
  expect(claudeEnvironment(withContext(24_576), config, {})).toMatchObject({
    CLAUDE_CODE_AUTO_COMPACT_WINDOW: "100000",
    CLAUDE_AUTOCOMPACT_PCT_OVERRIDE: "23",
  });
  // The user's own settings win.
  expect(claudeEnvironment(withContext(32_768), config, { CLAUDE_AUTOCOMPACT_PCT_OVERRIDE: "50" }).CLAUDE_AUTOCOMPACT_PCT_OVERRIDE).toBeUndefined();
});
