// The daemon's log, written by the daemon itself and rotated by size: launchd and systemd never
// rotate what they capture of a service's output, and the daemon runs for months. At the limit the
// file is renamed to anyclaude.log.1 (the older ones shifted to .2, the oldest removed) and a new
// one started; `anyclaude logs -f` follows across (src/cli/logs.ts). 0600: it names projects.
import { closeSync, fstatSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { ensurePrivateDir, makePrivate, PRIVATE_FILE_MODE } from "./private-files";

// One line per reply, ~200 bytes: 10 MB is tens of thousands of replies, weeks of daily use.
export const LOG_ROTATE_BYTES = 10 * 1024 * 1024;
// Two old files (anyclaude.log.1, .2): what came before a problem survives one rotation during
// it, and the log never takes more than 30 MB.
export const LOG_OLD_FILES = 2;

export class RotatingLogFile {
  private fd: number;
  private size: number;

  constructor(
    readonly path: string,
    private readonly limits = { maxBytes: LOG_ROTATE_BYTES, oldFiles: LOG_OLD_FILES },
  ) {
    ensurePrivateDir(dirname(path));
    this.fd = this.open();
    this.size = fstatSync(this.fd).size;
  }

  write(text: string): void {
    const bytes = Buffer.from(text);
    if (this.size > 0 && this.size + bytes.length > this.limits.maxBytes) this.rotate();
    writeSync(this.fd, bytes);
    this.size += bytes.length;
  }

  close(): void {
    closeSync(this.fd);
  }

  private rotate(): void {
    closeSync(this.fd);
    rmSync(`${this.path}.${this.limits.oldFiles}`, { force: true });
    for (let generation = this.limits.oldFiles - 1; generation >= 1; generation--)
      renameQuietly(`${this.path}.${generation}`, `${this.path}.${generation + 1}`);
    if (this.limits.oldFiles > 0) renameQuietly(this.path, `${this.path}.1`);
    else rmSync(this.path, { force: true });
    this.fd = this.open();
    this.size = 0;
  }

  private open(): number {
    const fd = openSync(this.path, "a", PRIVATE_FILE_MODE);
    makePrivate(this.path); // one an older version made 0644
    return fd;
  }
}

function renameQuietly(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}
