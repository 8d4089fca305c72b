// Request bodies: JSON, or a 400 that says what is wrong with them.
import { invalidRequest } from "../api-error";

export async function readJsonBody(request: Request): Promise<unknown> {
  const text = await request.text();
  if (text.trim() === "") throw invalidRequest("the request body is empty; expected a JSON object");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidRequest(`the request body is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}
