// The launcher's check before it starts claude: can any backend serve Claude Code's main loop
// (which always carries tools)? If not, the same words a request would get, and no claude.
import type { StatusReport } from "../server/status-report";
import { CliError } from "./cli-error";

export function checkBackends(report: StatusReport): void {
  const up = report.backends.filter((backend) => backend.healthy);
  if (up.length === 0) {
    const problems = report.backends.map((backend) => backend.problem ?? `${backend.name} (${backend.kind} at ${backend.url}): ${backend.error ?? "down"}.`);
    throw new CliError(`no backend can serve Claude Code. ${problems.join(" ")}`);
  }
  if (!up.some((backend) => backend.tools)) {
    const names = up.map((backend) => `${backend.name} (${backend.model ?? "no model"})`).join(", ");
    throw new CliError(
      `no backend that is up takes tools, and Claude Code sends its tools with every request: ${names}. Load a model trained for tool use, or set "tools": true on a backend`,
    );
  }
}
