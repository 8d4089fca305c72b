// The JSON a fake fetch was sent: the daemon sends its upstream bodies as bytes (serialize-body.ts).
export function sentJson(init: RequestInit | undefined): any {
  const body = init?.body;
  return JSON.parse(typeof body === "string" ? body : new TextDecoder().decode(body as Uint8Array));
}
