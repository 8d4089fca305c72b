// The state directory holds what must stay the user's own: prewarm.json keeps whole system
// prompts (CLAUDE.md included) and tool lists, the log names projects and errors. The directory
// is 0700 and such files 0600, also when an older version made them 0755 and 0644.
import { chmodSync, mkdirSync, readdirSync, unlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { chmod, rename, unlink, writeFile } from "node:fs/promises";

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(dir, PRIVATE_DIR_MODE);
}

// An existing file made private; false when there is none.
export function makePrivate(path: string): boolean {
  try {
    chmodSync(path, PRIVATE_FILE_MODE);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

// Written whole to a temporary file, made private before it holds anything, then renamed over the
// old one: a reader sees the old file or the new, never half of one, and never a readable one.
export async function writePrivateFile(path: string, text: string, temporary = `${path}.${process.pid}.tmp`): Promise<void> {
  try {
    await unlink(temporary).catch(() => undefined); // a stale one would keep its mode
    await writeFile(temporary, "", { mode: PRIVATE_FILE_MODE });
    await chmod(temporary, PRIVATE_FILE_MODE); // whatever the umask
    await writeFile(temporary, text);
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

// The temporary files writePrivateFile left beside `path` when its process was killed mid-write
// (`prewarm.json.<pid>.tmp`), removed; those of a process still running are its own.
export function removeStaleTemporaries(path: string): void {
  const dir = dirname(path);
  const pattern = new RegExp(`^${basename(path).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.(\\d+)\\.tmp$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // no directory yet: nothing left behind
  }
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (!pid || isRunning(pid)) continue;
    try {
      unlinkSync(join(dir, name));
    } catch {
      // Not ours to remove (another user's directory): it stays, and is tried again next start.
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // someone else's process
  }
}
