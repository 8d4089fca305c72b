// `anyclaude stop`: through the service if installed, else the PID the running daemon reports.
import { logger } from "../logger";
import { fetchStatus, waitFor } from "../service/daemon-control";
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
  const url = daemonUrl(readConfig(context, { config: configFile }));
  const service = new ServiceManager(currentPlatform(), context.env);
  if (service.isInstalled()) service.stop();
  else {
    const status = await fetchStatus(url);
    if (!status) {
      logger.info(`anyclaude is not running at ${url}`);
      return;
    }
    process.kill(status.pid, "SIGTERM");
  }
  if (!(await waitFor(url, false, STOP_TIMEOUT_MS))) throw new CliError(`anyclaude still answers at ${url} after ${STOP_TIMEOUT_MS / 1000} s`);
  logger.success("anyclaude stopped");
}
