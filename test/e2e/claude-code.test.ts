// The real Claude Code CLI, through the daemon, against the emulated backends: every release this
// build is tested with (the newest and the oldest supported), or npm's latest.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { claudeCodes, makeClaudeHome, runClaude as runAny, type RunOptions } from "../support/run-claude";
import { startStack, type Stack } from "../support/start-stack";

for (const claude of claudeCodes())
  describe(`Claude Code ${claude.version} through anyclaude`, () => {
    const runClaude = (args: string[], options: RunOptions) => runAny(args, { ...options, claude });
    let stack: Stack;
    const { home, workdir } = makeClaudeHome();
    beforeAll(async () => (stack = await startStack()));
    afterAll(() => stack.stop());

    test("creates a file with the Write tool, through LM Studio", async () => {
      const run = await runClaude(["-p", "Create a new file called test.txt with 'Hello World'", "--allowedTools", "Write"], {
        baseUrl: stack.url,
        home,
        workdir,
      });
      expect(run.stderr).toBe("");
      expect(run.exitCode).toBe(0);
      expect(existsSync(join(workdir, "test.txt"))).toBe(true);
      expect(readFileSync(join(workdir, "test.txt"), "utf8")).toBe("Hello World");
      // The tool loop went to the tools backend: the call, then the tool result.
      const toolTurn = stack.lmstudio.requests.find((request) => request.body.messages.some((message: any) => message.role === "tool"));
      expect(toolTurn).toBeDefined();
    });

    test("answers a plain question", async () => {
      const run = await runClaude(["-p", "What is 2+2?"], { baseUrl: stack.url, home, workdir });
      expect(run.exitCode).toBe(0);
      expect(run.stdout.trim()).toBe("4");
    });

    test("--continue follow-ups find their prefix in the backend's cache, the first one included", async () => {
      // Claude Code resumes with the model its transcript's replies carry: replies named after the
      // Claude model would turn "Opus 4.8 (1M context)" into "Opus 4.8" in the continued run's
      // system prompt. Named after the served model, the prompt stays as it was.
      for (const [question, answer] of [
        ["And what is 3+3?", "6"],
        ["And what is 4+4?", "8"],
      ] as const) {
        const before = stack.lmstudio.requests.length;
        const run = await runClaude(["-p", "--continue", question], { baseUrl: stack.url, home, workdir });
        expect(run.exitCode).toBe(0);
        expect(run.stdout.trim()).toBe(answer);
        const followUp = stack.lmstudio.requests.slice(before).find((request) => JSON.stringify(request.body.messages).includes(question))!;
        expect(followUp.cachedTokens! / followUp.promptTokens!).toBeGreaterThan(0.95);
      }
    });

    test("no billing line and no system message out of place reached a backend", () => {
      for (const request of [...stack.lmstudio.requests, ...stack.mlx.requests]) {
        expect(JSON.stringify(request.body)).not.toContain("x-anthropic-billing-header");
        expect(request.body.messages.slice(1).some((message: any) => message.role === "system")).toBe(false);
      }
    });
  });
