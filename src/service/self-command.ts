// How to start this same program again: the compiled binary alone, or bun with the entry script.
export function selfCommand(): string[] {
  // Compiled binaries run their embedded entry point from Bun's virtual /$bunfs filesystem.
  const compiled = Bun.main.startsWith("/$bunfs/") || Bun.main.startsWith("B:\\~BUN");
  return compiled ? [process.execPath] : [process.execPath, Bun.main];
}
