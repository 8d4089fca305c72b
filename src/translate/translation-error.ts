// A request the target backend cannot take as it stands (an image for a text-only server, a PDF).
// The server turns it into a 400 invalid_request_error that names the field.
export class TranslationError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
