// A backend URL as anyclaude shows it (status, logs, errors, doctor, `config show`): a password in
// it (`http://user:secret@host`) and the values of query parameters that look like credentials
// (`?api_key=...`) are masked. The configured URL itself, credentials included, is what is called.
const SECRET_PARAM = /key|token|secret|password|auth|sig/i;
const MASK = "****";

export function redactUrl(url: string): string {
  if (!url.includes("@") && !url.includes("?")) return url; // the common case, no parsing
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/\/\/[^/@]*@/, `//${MASK}@`);
  }
  if (parsed.password) parsed.password = MASK;
  else if (parsed.username) parsed.username = MASK;
  for (const name of [...parsed.searchParams.keys()]) if (SECRET_PARAM.test(name)) parsed.searchParams.set(name, MASK);
  // URL adds a trailing slash to a bare origin; keep the configured form otherwise.
  const shown = parsed.toString();
  return !url.endsWith("/") && shown.endsWith("/") && parsed.pathname === "/" && !parsed.search ? shown.slice(0, -1) : shown;
}
