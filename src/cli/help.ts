// `anyclaude --help`.
export const HELP = `anyclaude: Claude Code on local models, routed between LM Studio and mlx_lm.server

usage:
  anyclaude [-- CLAUDE_ARGS]          start the daemon if needed, then run claude against it
  anyclaude serve [--host H] [--port N] [--config FILE]
                                      run the daemon in the foreground
  anyclaude start | stop | restart    manage the background daemon
  anyclaude status [--json] [--url URL]
  anyclaude service install | uninstall | print [--platform darwin|linux]
  anyclaude config path | show | init | check [--config FILE]
  anyclaude route FILE.json [--json]  the routing decision for a request body
  anyclaude logs [-f]
  anyclaude --version | --help
`;
