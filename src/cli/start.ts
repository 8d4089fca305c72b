// `anyclaude start`: through the installed service if there is one, else a detached `serve`;
// ready when /anyclaude/health answers.
import { logger } from "../logger";
import { isHealthy, startDetached, waitFor } from "../service/daemon-control";
import { selfCommand } from "../service/self-command";
import { ServiceManager } from "../service/service-manager";
import { currentPlatform } from "../service/service-paths";
import { type CliContext, daemonUrl, parseFlags, readConfig } from "./cli-context";
import { CliError } from "./cli-error";

const READY_TIMEOUT_MS = 15_000;

export async function start(context: CliContext): Promise<number> {
  const { values } = parseFlags(context.args, { config: { type: "string" } });
  await ensureDaemon(context, values.config);
  return 0;
}

export async function ensureDaemon(context: CliContext, configFile?: string): Promise<string> {
  const loaded = readConfig(context, { config: configFile });
  const url = daemonUrl(loaded);
  if (await isHealthy(url)) {
    logger.info(`anyclaude is running at ${url}`);
    return url;
  }
  const service = new ServiceManager(currentPlatform(), context.env);
  let tried: string;
  if (service.isInstalled()) {
    service.start();
    tried = service.describeStart();
  } else {
    const command = [...selfCommand(), "serve", ...(configFile ? ["--config", configFile] : [])];
    startDetached(command, service.paths.logFile, context.env);
    tried = command.join(" ");
  }
  if (!(await waitFor(url, true, READY_TIMEOUT_MS))) {
    throw new CliError(`anyclaude did not answer at ${url}/anyclaude/health within ${READY_TIMEOUT_MS / 1000} s (started with: ${tried}); read ${service.paths.logFile}`);
  }
  logger.success(`anyclaude started at ${url}`);
  return url;
}
