// A failure the user should read as one clear line; only the entry point turns it into an exit.
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
