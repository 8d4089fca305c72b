// `anyclaude restart`: stop (if running), then start and wait until healthy.
import { type CliContext, parseFlags } from "./cli-context";
import { ensureDaemon } from "./start";
import { stopDaemon } from "./stop";

export async function restart(context: CliContext): Promise<number> {
  const { values } = parseFlags(context.args, { config: { type: "string" } });
  await stopDaemon(context, values.config);
  await ensureDaemon(context, values.config);
  return 0;
}
