// `anyclaude [--no-statusline] [-- claude args]`: make sure the daemon runs and a backend can
// serve, then run Claude Code against it, told about the local models, with anyclaude's status
// line unless told otherwise.
import { fetchStatus } from "../service/daemon-control";
import { checkBackends } from "./check-backends";
import { type CliContext, readConfig } from "./cli-context";
import { CliError } from "./cli-error";
import { claudeEnvironment, withCredentials } from "./claude-environment";
import { ensureDaemon } from "./start";
import { statusLineArgs } from "./statusline-setting";

// claude answers these without a model.
const NEEDS_NO_MODEL = new Set(["--version", "-v", "--help", "-h"]);

export async function launch(context: CliContext, options: { statusLine: boolean } = { statusLine: true }): Promise<number> {
  const claude = Bun.which("claude", { PATH: context.env.PATH ?? "" });
  if (!claude) throw new CliError("claude is not installed or not on PATH; install it with: npm install -g @anthropic-ai/claude-code");
  const url = await ensureDaemon(context);
  const { config } = readConfig(context);
  const report = await fetchStatus(url, { refresh: true, authToken: config.authToken });
  if (!report) throw new CliError(`anyclaude at ${url} did not report its status; see: anyclaude logs`);
  if (!context.args.some((arg) => NEEDS_NO_MODEL.has(arg))) checkBackends(report);
  const env = withCredentials(
    {
      ...context.env,
      ...claudeEnvironment(report, config, context.env),
      ANTHROPIC_BASE_URL: url,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: context.env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC ?? "1",
    },
    config.authToken,
  );
  const statusLine = options.statusLine ? statusLineArgs({ claudeArgs: context.args, env: context.env, cwd: process.cwd(), daemonUrl: url }) : [];
  const child = Bun.spawn([claude, ...statusLine, ...context.args], { env, stdio: ["inherit", "inherit", "inherit"] });
  // Ctrl-C reaches claude through the terminal's process group and only interrupts its turn;
  // we must not die under it. A SIGTERM aimed at us alone is passed on.
  const ignore = () => {};
  const forward = () => child.kill("SIGTERM");
  process.on("SIGINT", ignore);
  process.on("SIGTERM", forward);
  try {
    // A claude killed by a signal exits 128 + its number, as a shell reports it.
    return await child.exited;
  } finally {
    process.off("SIGINT", ignore);
    process.off("SIGTERM", forward);
  }
}
