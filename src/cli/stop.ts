// `anyclaude stop`: through the service if installed, else the PID the running daemon reports.
import { logger } from "../logger";
import { fetchStatus, isHealthy, waitFor } from "../service/daemon-control";
import { ServiceManager } from "../service/service-manager";
import { currentPlatform } from "../service/service-paths";
import { type CliContext, daemonUrl, parseFlags, readConfig } from "./cli-context";
import { CliError } from "./cli-error";

const STOP_TIMEOUT_MS = 10_000;

export async function stop(context: CliContext): Promise<number> {
  const { values } = parseFlags(context.args, { config: { type: "string" } });
  await stopDaemon(context, values.config);
  return 0;
}

export async function stopDaemon(context: CliContext, configFile?: string): Promise<void> {
  const loaded = readConfig(context, { config: configFile });
  const url = daemonUrl(loaded);
  const service = new ServiceManager(currentPlatform(), context.env);
  if (service.isInstalled()) {
    service.stop();
    if (await waitFor(url, false, STOP_TIMEOUT_MS)) {
      logger.success("anyclaude stopped");
      return;
    }
  }
  // No service, or a daemon started outside it (before `service install`): the PID it reports.
  const status = await fetchStatus(url, { authToken: loaded.config.authToken });
  if (!status) {
    if (await isHealthy(url)) throw new CliError(`something answers at ${url} but not with an anyclaude status; stop it by hand`);
    logger.info(`anyclaude is not running at ${url}`);
    return;
  }
  signal(status.pid);
  if (!(await waitFor(url, false, STOP_TIMEOUT_MS)))
    throw new CliError(`anyclaude (pid ${status.pid}) still answers at ${url} after ${STOP_TIMEOUT_MS / 1000} s`);
  logger.success(`anyclaude stopped (pid ${status.pid})`);
}

function signal(pid: number): void {
  try {
    process.kill(pid, "SIGTERM");
  } catch (error) {
    // ESRCH: it exited meanwhile. EPERM: another user's daemon.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ESRCH") throw new CliError(`cannot stop anyclaude (pid ${pid}): ${code ?? String(error)}`);
  }
}
