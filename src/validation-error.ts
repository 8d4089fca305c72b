// Valibot issues -> a 400 that names the field, as in messages[2].content[0].type.
import * as v from "valibot";
import { invalidRequest, type ApiError } from "./api-error";

export function validationError(issues: [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]]): ApiError {
  const { key, message } = locateIssue(issues[0]);
  return invalidRequest(`${key || "body"}: ${message}`);
}

// The field an issue is about ("backends[1].url") and what is wrong with it.
export function locateIssue(issue: v.BaseIssue<unknown>): { key: string; message: string } {
  const { path, message } = deepestIssue(issue, []);
  return { key: formatPath(path), message };
}

type Key = string | number;

// A union (string | blocks) fails as a whole; the branch that got furthest names the real field.
// Valibot gives branch issues a path relative to the union's own input.
function deepestIssue(issue: v.BaseIssue<unknown>, parent: Key[]): { path: Key[]; message: string } {
  const own = (issue.path ?? []).map((item) => item.key as Key);
  const path = startsWith(own, parent) ? own : [...parent, ...own];
  let best = { path, message: issue.message };
  for (const branch of issue.issues ?? []) {
    const candidate = deepestIssue(branch, path);
    if (candidate.path.length > best.path.length) best = candidate;
  }
  return best;
}

function startsWith(path: Key[], prefix: Key[]): boolean {
  return prefix.length <= path.length && prefix.every((key, index) => path[index] === key);
}

function formatPath(path: Key[]): string {
  return path.reduce<string>((out, key) => (typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${key}` : key), "");
}
