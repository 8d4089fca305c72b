// The systemd user unit: runs `anyclaude serve` from login on, restarted when it fails.
export function renderSystemdUnit(options: { program: string[]; logFile: string }): string {
  return `[Unit]
Description=anyclaude: Claude Code on local models (LM Studio, mlx_lm.server)
After=network.target

[Service]
Type=simple
ExecStart=${options.program.map(quoteArg).join(" ")}
Restart=on-failure
RestartSec=2
StandardOutput=append:${options.logFile}
StandardError=append:${options.logFile}

[Install]
WantedBy=default.target
`;
}

function quoteArg(arg: string): string {
  return /[\s"\\]/.test(arg) ? `"${arg.replace(/(["\\])/g, "\\$1")}"` : arg;
}
