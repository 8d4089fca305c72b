// `anyclaude doctor [--json]`: a line per check with its fix; exit 0 when Claude Code can work
// through anyclaude, 1 otherwise. `--json`: {"ok", "summary", "checks": [{"name", "ok", "required", "detail", "fix"}]}.
import type { Check } from "../doctor/check";
import { runDoctor } from "../doctor/run-doctor";
import { fetchStatus } from "../service/daemon-control";
import { VERSION } from "../version";
import { type CliContext, daemonUrl, parseFlags, readConfig } from "./cli-context";

export async function doctor(context: CliContext): Promise<number> {
  const { values } = parseFlags(context.args, { json: { type: "boolean" }, config: { type: "string" } });
  const loaded = readConfig(context, values);
  const url = daemonUrl(loaded);
  const report = await runDoctor({
    config: loaded.config,
    daemonUrl: url,
    status: await fetchStatus(url, { authToken: loaded.config.authToken }),
    version: VERSION,
    env: context.env,
  });
  if (values.json)
    process.stdout.write(
      `${JSON.stringify({ ok: report.ok, summary: report.summary, checks: report.checks.map((check) => ({ ...check, fix: check.fix ?? null })) }, null, 2)}\n`,
    );
  else process.stdout.write(`${report.checks.map(formatCheck).join("\n")}\n\n${report.summary}\n`);
  return report.ok ? 0 : 1;
}

// ✓ passed; ✗ failed and Claude Code needs it; ! failed, worth knowing.
function formatCheck(check: Check): string {
  const mark = check.ok ? "✓" : check.required ? "✗" : "!";
  return `${mark} ${check.name}: ${check.detail}${check.ok || !check.fix ? "" : `\n    fix: ${check.fix}`}`;
}
