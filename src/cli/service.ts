// `anyclaude service install|uninstall|print [--platform darwin|linux]`.
import { logger } from "../logger";
import { selfCommand } from "../service/self-command";
import { ServiceManager } from "../service/service-manager";
import { currentPlatform, type Platform } from "../service/service-paths";
import { type CliContext, parseFlags } from "./cli-context";
import { CliError } from "./cli-error";

export async function service(context: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(context.args, { platform: { type: "string" } });
  const platform = readPlatform(values.platform);
  const manager = new ServiceManager(platform, context.env);
  const [action] = positionals;
  switch (action) {
    case "print":
      process.stdout.write(manager.render(selfCommand()));
      return 0;
    case "install":
      manager.install(selfCommand());
      logger.success(`installed ${manager.paths.serviceFile}; logs in ${manager.paths.logFile}`);
      return 0;
    case "uninstall":
      if (!manager.isInstalled()) {
        logger.info(`no anyclaude service is installed (${manager.paths.serviceFile})`);
        return 0;
      }
      manager.uninstall();
      logger.success(`removed ${manager.paths.serviceFile}`);
      return 0;
    default:
      throw new CliError(`usage: anyclaude service install|uninstall|print [--platform darwin|linux]`, 2);
  }
}

function readPlatform(value: string | undefined): Platform {
  if (value === undefined) return currentPlatform();
  if (value === "darwin" || value === "linux") return value;
  throw new CliError(`--platform must be darwin or linux, not "${value}"`, 2);
}
