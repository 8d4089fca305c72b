// Who may talk to the daemon.
// - Browsers never. A web page could POST to it (a text/plain POST needs no CORS preflight) or
//   reach it by DNS rebinding (evil.example resolving to 127.0.0.1). A browser is known by its
//   Origin header, or by a Sec-Fetch-Site naming another site (an <img> or no-cors fetch sends no
//   Origin); a rebinding page by a Host that is not this daemon's address. Not by Sec-Fetch-Mode:
//   Node's built-in fetch (so the Anthropic SDK on Node) sends `cors` on every request.
// - With tokens (required off loopback), every endpoint but the health probe wants one, as
//   x-api-key or Authorization: Bearer, compared in constant time. Each token names a person
//   ("authTokens", "authToken" as "default"): what the daemon keeps of a conversation is that
//   person's alone (normalize-request.ts scopes the session by it).
import { createHash, timingSafeEqual } from "node:crypto";
import { hostname } from "node:os";
import { ApiError } from "../api-error";
import type { Person } from "../config/config-schema";
import { isLoopback } from "../config/resolve-config";

// check: the name of the person whose token the request carries; undefined for a daemon without
// tokens and for the open endpoints.
export type Gate = { check(request: Request, path: string): string | undefined };

// Needs no token: what `anyclaude start` and service managers poll, and Claude Code's probe of
// the base URL (HEAD: no body, tells nothing the health probe does not).
const OPEN = new Set(["GET /anyclaude/health", "HEAD /"]);

export function createGate(options: { host: string; persons: readonly Person[] }): Gate {
  const persons = options.persons.map(({ name, token }) => ({ name, digest: digest(token) }));
  const ownHost = hostChecker(options.host, persons.length > 0);
  return {
    check(request, path) {
      const headers = request.headers;
      const mark = browserMark(headers);
      if (mark) throw refused(`requests from web browsers are refused (the request has ${mark})`);
      const host = headers.get("host");
      if (host && !ownHost(host)) throw refused(`requests for another host ("${host.slice(0, 100)}") are refused: this daemon answers only at its own address`);
      if (persons.length === 0 || OPEN.has(`${request.method} ${path}`)) return undefined;
      // Either header may hold it: Claude Code sends the user's ANTHROPIC_API_KEY as x-api-key beside
      // ANTHROPIC_AUTH_TOKEN as Bearer. Both are compared with every token, to the end, so the time
      // taken tells neither which header nor which person matched.
      const presented = [headers.get("x-api-key"), headers.get("authorization")?.replace(/^Bearer\s+/i, "")].map((value) => digest(value ?? ""));
      let person: string | undefined;
      for (const candidate of persons) {
        for (const value of presented) if (timingSafeEqual(value, candidate.digest) && person === undefined) person = candidate.name;
      }
      if (person === undefined)
        throw new ApiError(
          401,
          "authentication_error",
          "this anyclaude daemon requires its authToken (or one of its authTokens) as x-api-key or Authorization: Bearer",
        );
      return person;
    },
  };
}

// The header that shows a browser sent the request, as the refusal names it.
function browserMark(headers: Headers): string | undefined {
  if (headers.has("origin")) return "an Origin header";
  const site = headers.get("sec-fetch-site")?.toLowerCase();
  if (site === "cross-site" || site === "same-site") return `Sec-Fetch-Site: ${site}`;
  return undefined;
}

// Equal-length digests: timingSafeEqual wants equal lengths, and the token's length stays secret.
function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

function refused(message: string): ApiError {
  return new ApiError(403, "permission_error", message);
}

// Loopback names and addresses always; the configured listen host; listening on every interface,
// the machine's own names and any IP address (a rebinding page comes with a name of its own).
// With an authToken a foreign name is let through to the token check: a rebinding page cannot
// know the token, and a container's `host.docker.internal` is a legitimate name for the host.
function hostChecker(listenHost: string, hasToken: boolean): (host: string) => boolean {
  const wildcard = listenHost === "0.0.0.0" || listenHost === "::";
  const names = new Set(["localhost", listenHost.toLowerCase(), ...(wildcard ? [hostname().toLowerCase(), `${hostname().toLowerCase()}.local`] : [])]);
  return (host) => {
    if (hasToken) return true;
    const name = stripPort(host.toLowerCase());
    return names.has(name) || isLoopback(name) || (wildcard && isIpAddress(name));
  };
}

function stripPort(host: string): string {
  if (host.startsWith("[")) return host.slice(1, host.indexOf("]") > 0 ? host.indexOf("]") : undefined);
  const colon = host.lastIndexOf(":");
  return colon > 0 && host.indexOf(":") === colon ? host.slice(0, colon) : host;
}

function isIpAddress(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || (name.includes(":") && /^[0-9a-f:.]+$/.test(name));
}
