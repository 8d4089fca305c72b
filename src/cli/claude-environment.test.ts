import { expect, test } from "bun:test";
import { resolveConfig } from "../config/resolve-config";
import type { StatusReport } from "../server/status-report";
import { claudeEnvironment } from "./claude-environment";

const config = resolveConfig({}, {});
const withContext = (contextLength: number) =>
  ({ backends: [{ name: "lmstudio", kind: "lmstudio", healthy: true, tools: true, model: "qwen", contextLength }] }) as unknown as StatusReport;

// Claude Code 2.1.332 and 2.1.337, run here: CLAUDE_CODE_AUTO_COMPACT_WINDOW="24576" prints "reads as
// 24,576 tokens, so Claude Code treats it as the 100k minimum" on every run; 100000 prints nothing.
test("the compact window is set only where Claude Code takes it: from 100k tokens up", () => {
  expect(claudeEnvironment(withContext(131_072), config, {}).CLAUDE_CODE_AUTO_COMPACT_WINDOW).toBe("131072");
  expect(claudeEnvironment(withContext(100_000), config, {}).CLAUDE_CODE_AUTO_COMPACT_WINDOW).toBe("100000");
  expect(claudeEnvironment(withContext(99_999), config, {}).CLAUDE_CODE_AUTO_COMPACT_WINDOW).toBeUndefined();
  expect(claudeEnvironment(withContext(24_576), config, {})).toMatchObject({ CLAUDE_CODE_MAX_CONTEXT_TOKENS: "24576" });
});
