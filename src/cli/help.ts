// `anyclaude --help`.
export const HELP = `anyclaude: Claude Code on local models, routed between LM Studio and mlx_lm.server

usage:
  anyclaude [--no-statusline] [-- CLAUDE_ARGS]
                                      start the daemon if needed, then run claude against it
                                      (with anyclaude's status line unless you have your own)
  anyclaude serve [--host H] [--port N] [--config FILE] [--log-file FILE]
                                      run the daemon in the foreground (logging to FILE,
                                      rotated at 10 MB, instead of stderr)
  anyclaude start | stop | restart    manage the background daemon
  anyclaude status [--json] [--url URL]
  anyclaude doctor [--json]           check the daemon, each backend, claude and the service
  anyclaude bench [--backend NAME] [--json] [--queries N] [--tokens N]
                                      the KV-cache test: a cold query, follow-ups, no-system baseline
  anyclaude statusline [--url URL]    for Claude Code's statusLine: one line about the session
  anyclaude service install | uninstall | print [--platform darwin|linux]
  anyclaude config path | show | init | check [--config FILE]
  anyclaude route FILE.json [--json]  the routing decision for a request body
  anyclaude logs [-f]
  anyclaude --version | --help
`;
