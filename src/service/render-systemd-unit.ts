// The systemd user unit: runs `anyclaude serve` from login on, restarted when it fails. Its log
// the daemon writes itself (serve --log-file); what it could not log (a crash) goes to the journal.
export function renderSystemdUnit(options: { program: string[] }): string {
  return `[Unit]
Description=anyclaude: Claude Code on local models (LM Studio, mlx_lm.server)
After=network.target

[Service]
Type=simple
ExecStart=${options.program.map(quoteArg).join(" ")}
Restart=on-failure
RestartSec=2

[Install]
WantedBy=default.target
`;
}

// systemd splits ExecStart like a shell would on quotes, and expands %-specifiers everywhere.
function quoteArg(arg: string): string {
  const escaped = escapePercent(arg);
  return /[\s"\\]/.test(escaped) ? `"${escaped.replace(/(["\\])/g, "\\$1")}"` : escaped;
}

function escapePercent(text: string): string {
  return text.replaceAll("%", "%%");
}
