// `anyclaude doctor`: every check, from the config straight to the backends (and to the daemon
// when it runs), and the verdict: Claude Code can work through anyclaude when claude is installed
// and at least one backend that takes tools passes all of its checks.
import { takesTools } from "../backends/backend-pool";
import { probeBackend } from "../backends/probe-backend";
import type { Config } from "../config/config-schema";
import type { StatusReport } from "../server/status-report";
import { compareVersions, parseVersion, TESTED_CLAUDE_CODE } from "./tested-claude-code";
import { ServiceManager } from "../service/service-manager";
import { currentPlatform } from "../service/service-paths";
import type { Check } from "./check";
import { checkBackend } from "./check-backend";
import { checkPrewarm } from "./check-prewarm";
import { redactUrl } from "../config/redact-url";

export type DoctorOptions = {
  config: Config;
  daemonUrl: string;
  status: StatusReport | undefined;
  version: string;
  env: Record<string, string | undefined>;
  fetcher?: typeof fetch;
};
export type DoctorReport = { ok: boolean; checks: Check[]; summary: string };

const CLAUDE_VERSION_TIMEOUT_MS = 10_000;

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const perBackend = await Promise.all(
    options.config.backends.map(async (backend) => {
      const seen = options.status?.backends.find((entry) => entry.name === backend.name);
      const probe = await probeBackend(backend, options.fetcher ?? fetch);
      const checks = checkBackend(backend, probe, seen?.reportsCachedTokens);
      // Whether the daemon has warmed Claude Code's prefix there (only the running daemon knows).
      const prewarm = probe.healthy ? checkPrewarm(backend.name, seen?.prewarm, Date.now()) : undefined;
      return { backend, probe, checks: prewarm ? [...checks, prewarm] : checks };
    }),
  );
  const { claude, version: claudeVersion } = await claudeCheck(options.env);
  const checks = [
    daemonCheck(options),
    ...perBackend.flatMap((entry) => entry.checks),
    claude,
    ...(claudeVersion ? [testedVersionCheck(claudeVersion)] : []),
    serviceCheck(options.env),
  ];
  const serving = perBackend
    .filter((entry) => takesTools({ config: entry.backend, probe: entry.probe }) && entry.checks.every((check) => check.ok || !check.required))
    .map((entry) => entry.backend.name);
  const ok = claude.ok && serving.length > 0;
  const summary = ok
    ? `Claude Code can work through anyclaude: ${serving.join(", ")} can serve its requests`
    : `Claude Code cannot work through anyclaude: ${claude.ok ? "no backend that takes tools answers with a model loaded and enough context" : "claude is not installed"}`;
  return { ok, checks, summary };
}

function daemonCheck({ status, daemonUrl, version, config }: DoctorOptions): Check {
  const name = "daemon";
  if (!status)
    return { name, ok: false, required: false, detail: `not running at ${daemonUrl}`, fix: "anyclaude start (or just run anyclaude, which starts it)" };
  const detail = `anyclaude ${status.version} at ${daemonUrl} (pid ${status.pid})`;
  if (status.version !== version) return { name, ok: false, required: false, detail: `${detail}, not this binary's ${version}`, fix: "anyclaude restart" };
  const configured = config.backends.map((backend) => `${backend.name}=${redactUrl(backend.url)}`).join(" ");
  const running = status.backends.map((backend) => `${backend.name}=${backend.url}`).join(" ");
  if (configured !== running)
    return {
      name,
      ok: false,
      required: false,
      detail: `${detail} runs with other backends than the config (${running})`,
      fix: "anyclaude restart, to load the config",
    };
  return {
    name,
    ok: true,
    required: false,
    detail: `${detail}; it sees ${status.backends.filter((backend) => backend.healthy).length} of ${status.backends.length} backends up`,
  };
}

async function claudeCheck(env: Record<string, string | undefined>): Promise<{ claude: Check; version?: number[] }> {
  const fix = "npm install -g @anthropic-ai/claude-code";
  const path = Bun.which("claude", { PATH: env.PATH ?? "" });
  if (!path) return { claude: { name: "claude", ok: false, required: true, detail: "claude is not on PATH", fix } };
  try {
    const child = Bun.spawn([path, "--version"], { env, stdout: "pipe", stderr: "ignore", stdin: "ignore", timeout: CLAUDE_VERSION_TIMEOUT_MS });
    const output = (await new Response(child.stdout).text()).trim().split("\n")[0];
    if ((await child.exited) !== 0 || !output) return { claude: { name: "claude", ok: false, required: true, detail: `${path} --version failed`, fix } };
    return { claude: { name: "claude", ok: true, required: true, detail: `${output} at ${path}` }, version: parseVersion(output) };
  } catch (error) {
    return {
      claude: { name: "claude", ok: false, required: true, detail: `${path} does not run: ${error instanceof Error ? error.message : String(error)}`, fix },
    };
  }
}

// Claude Code updates itself, and a new release may send requests this build has not seen.
function testedVersionCheck(installed: number[]): Check {
  const { oldest, newest } = TESTED_CLAUDE_CODE;
  const name = "claude version";
  const range = `this build was tested with Claude Code ${oldest} to ${newest}`;
  const version = installed.join(".");
  if (compareVersions(installed, parseVersion(newest)!) > 0) {
    return {
      name,
      ok: false,
      required: false,
      detail: `${version} is newer than ${newest}: ${range}, and a newer release may send requests it has not seen`,
      fix: `update anyclaude; if a request is refused (anyclaude logs), pin Claude Code meanwhile: npm install -g @anthropic-ai/claude-code@${newest}`,
    };
  }
  if (compareVersions(installed, parseVersion(oldest)!) < 0) {
    return {
      name,
      ok: false,
      required: false,
      detail: `${version} is older than ${oldest}: ${range}`,
      fix: "claude update (or npm install -g @anthropic-ai/claude-code)",
    };
  }
  return { name, ok: true, required: false, detail: `${version}: ${range}` };
}

function serviceCheck(env: Record<string, string | undefined>): Check {
  const manager = new ServiceManager(currentPlatform(), env);
  if (manager.isInstalled()) return { name: "service", ok: true, required: false, detail: `installed (${manager.paths.serviceFile})` };
  return {
    name: "service",
    ok: false,
    required: false,
    detail: "not installed: the daemon runs only when started",
    fix: "anyclaude service install, to start it at login",
  };
}
