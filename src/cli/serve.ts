// `anyclaude serve`: the daemon in the foreground, until SIGINT or SIGTERM. With --log-file (as
// the service and `start` run it) it writes its log there itself and rotates it.
import { logger, logToFile } from "../logger";
import { RotatingLogFile } from "../rotating-log-file";
import { PortInUseError, startServer } from "../server/start-server";
import { currentPlatform, servicePaths } from "../service/service-paths";
import { type CliContext, parseFlags, readConfig } from "./cli-context";
import { CliError } from "./cli-error";

export async function serve(context: CliContext): Promise<number> {
  const { values } = parseFlags(context.args, {
    host: { type: "string" },
    port: { type: "string" },
    config: { type: "string" },
    "log-file": { type: "string" },
  });
  // First: a bad config is reported in the log the user is told to read.
  if (values["log-file"]) logToFile(new RotatingLogFile(values["log-file"]));
  const loaded = readConfig(context, values);
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    // The state directory is the log's (bench results and prewarm.json live there too).
    const stateDir = servicePaths(currentPlatform(), context.env).logDir;
    server = await startServer({ config: loaded.config, configPath: loaded.exists ? loaded.path : undefined, stateDir });
  } catch (error) {
    if (error instanceof PortInUseError) throw new CliError(error.message);
    throw error;
  }
  const signal = await new Promise<string>((resolve) => {
    for (const name of ["SIGINT", "SIGTERM"] as const) process.once(name, () => resolve(name));
  });
  logger.info(`${signal}: stopping`);
  await server.stop();
  return 0;
}
