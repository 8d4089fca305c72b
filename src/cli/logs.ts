// `anyclaude logs [-f]`: the daemon's log; -f keeps printing what is appended.
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { ServiceManager } from "../service/service-manager";
import { currentPlatform } from "../service/service-paths";
import { type CliContext, parseFlags } from "./cli-context";
import { CliError } from "./cli-error";

export async function logs(context: CliContext): Promise<number> {
  const { values } = parseFlags(context.args, { follow: { type: "boolean", short: "f" } });
  const { logFile } = new ServiceManager(currentPlatform(), context.env).paths;
  if (!existsSync(logFile)) throw new CliError(`no log yet at ${logFile} (the daemon writes it when started with: anyclaude start)`);
  let offset = copyFrom(logFile, 0);
  let inode = statSync(logFile).ino;
  while (values.follow) {
    await Bun.sleep(500);
    // Between a rotation and the daemon's first line the file may not exist yet.
    if (!existsSync(logFile)) continue;
    // A rotated log is a new file (or, truncated, a shorter one): start over from its beginning.
    const { ino, size } = statSync(logFile);
    if (ino !== inode || size < offset) offset = 0;
    inode = ino;
    offset = copyFrom(logFile, offset);
  }
  return 0;
}

function copyFrom(file: string, offset: number): number {
  const size = statSync(file).size;
  if (size <= offset) return offset;
  const buffer = Buffer.alloc(size - offset);
  const fd = openSync(file, "r");
  readSync(fd, buffer, 0, buffer.length, offset);
  closeSync(fd);
  process.stdout.write(buffer);
  return size;
}
