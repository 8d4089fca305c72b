// The Claude Code releases this build was tested with: `make test` runs the Claude Code suites
// against both (scripts/claude-code.ts installs them), `make test-claude-latest` against whatever
// npm calls latest today. Claude Code updates itself, so `doctor` warns when the installed one is
// newer than `newest`: its requests may have changed shape since.
export const TESTED_CLAUDE_CODE = { oldest: "2.1.197", newest: "2.1.337" } as const;

// "2.1.332 (Claude Code)" -> [2, 1, 332]; undefined when there is no version in it.
export function parseVersion(text: string): number[] | undefined {
  const match = /(\d+)\.(\d+)\.(\d+)/.exec(text);
  return match ? match.slice(1).map(Number) : undefined;
}

export function compareVersions(a: number[], b: number[]): number {
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}
