// `anyclaude start`: through the installed service if there is one, else a detached `serve`;
// ready when /anyclaude/health answers.
import { homedir } from "node:os";
import { resolve } from "node:path";
import { logger } from "../logger";
import { fetchStatus, isHealthy, lastLogLine, rotateLog, startDetached, waitFor } from "../service/daemon-control";
import { selfCommand } from "../service/self-command";
import { ServiceManager } from "../service/service-manager";
import { currentPlatform } from "../service/service-paths";
import { BUILD_ID, VERSION } from "../version";
import { type CliContext, daemonUrl, parseFlags, readConfig } from "./cli-context";
import { CliError } from "./cli-error";
import { stopDaemon } from "./stop";

// A cold start binds in well under a second; slow shared machines get room.
const READY_TIMEOUT_MS = 15_000;

// `start` replaces a daemon of another build (`make run` after a change, an upgrade); the
// launcher only says so, rather than cut off the requests of sessions already running.
export async function start(context: CliContext): Promise<number> {
  const { values } = parseFlags(context.args, { config: { type: "string" } });
  await ensureDaemon(context, values.config, { replaceOtherBuild: true });
  return 0;
}

export async function ensureDaemon(context: CliContext, configFile?: string, options: { replaceOtherBuild?: boolean } = {}): Promise<string> {
  const loaded = readConfig(context, { config: configFile });
  const url = daemonUrl(loaded);
  if (await isHealthy(url)) {
    const running = await fetchStatus(url, { authToken: loaded.config.authToken });
    const other =
      running && (running.version !== VERSION || running.build !== BUILD_ID) ? `${running.version} (build ${running.build ?? "unknown"})` : undefined;
    if (!other) {
      logger.info(`anyclaude is running at ${url}`);
      return url;
    }
    if (!options.replaceOtherBuild) {
      logger.warn(`anyclaude at ${url} runs ${other}, not this ${VERSION} (build ${BUILD_ID}); to use this one: anyclaude restart`);
      return url;
    }
    logger.info(`anyclaude at ${url} runs ${other}; restarting it with ${VERSION} (build ${BUILD_ID})`);
    await stopDaemon(context, configFile);
  }
  const service = new ServiceManager(currentPlatform(), context.env);
  const { logFile } = service.paths;
  let tried: string;
  let exited = (): number | undefined => undefined;
  if (service.isInstalled()) {
    rotateLog(logFile);
    service.start();
    tried = service.describeStart();
  } else {
    // The detached daemon runs from the home directory, so a relative --config must be made absolute.
    const command = [...selfCommand(), "serve", ...(configFile ? ["--config", resolve(configFile)] : [])];
    const daemon = startDetached(command, { logFile, env: context.env, cwd: context.env.HOME || homedir() });
    tried = command.join(" ");
    exited = daemon.exitCode;
  }
  if (!(await waitFor(url, true, READY_TIMEOUT_MS, () => exited() !== undefined))) {
    const code = exited();
    if (code !== undefined) {
      const why = lastLogLine(logFile);
      throw new CliError(`anyclaude exited (code ${code}) before answering at ${url}${why ? `: ${why}` : ""}; see ${logFile}`);
    }
    throw new CliError(`anyclaude did not answer at ${url}/anyclaude/health within ${READY_TIMEOUT_MS / 1000} s (started with: ${tried}); read ${logFile}`);
  }
  logger.success(`anyclaude started at ${url}`);
  return url;
}
