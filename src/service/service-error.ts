// A service manager that refused or failed (launchctl, systemctl, brew services): one line for the
// user, which the CLI's entry point prints before it exits 1.
export class ServiceError extends Error {}
