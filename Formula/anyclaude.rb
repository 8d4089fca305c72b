# Homebrew formula for anyclaude, written by `make release` from scripts/anyclaude.rb.in.
class Anyclaude < Formula
  desc "Run Claude Code on local models: routes between LM Studio and mlx_lm.server"
  homepage "https://github.com/anyclaude/anyclaude"
  version "0.1.0"
  license "MIT"

  on_macos do
    on_arm do
      url "https://github.com/anyclaude/anyclaude/releases/download/v0.1.0/anyclaude-0.1.0-darwin-arm64.tar.gz"
      sha256 "917cdfa58cd920cce9417d160ead6e1c0e940e4e752375cfacbe8aa2c8455272"
    end
    on_intel do
      url "https://github.com/anyclaude/anyclaude/releases/download/v0.1.0/anyclaude-0.1.0-darwin-x64.tar.gz"
      sha256 "803d8b2f2c0ffbc0fd7ffeb9365042b64f064ff19d7e797490f8dd7c31ef72f0"
    end
  end

  on_linux do
    url "https://github.com/anyclaude/anyclaude/releases/download/v0.1.0/anyclaude-0.1.0-linux-x64.tar.gz"
    sha256 "9803164d6ac2483af675064bc763a0f40f0bf4a720a6441f056a7ec46780312b"
  end

  def install
    bin.install "anyclaude"
  end

  # `brew services start anyclaude` runs the daemon at login, like `anyclaude service install`;
  # anyclaude start, stop and logs then work through it. The daemon writes and rotates its log
  # itself; the service keeps only what it could not log (a crash) apart.
  service do
    run [opt_bin/"anyclaude", "serve", "--log-file", var/"log/anyclaude.log"]
    keep_alive true
    error_log_path var/"log/anyclaude.stderr.log"
  end

  test do
    assert_match "anyclaude #{version}", shell_output("#{bin}/anyclaude --version")
    assert_match "ExecStart=", shell_output("#{bin}/anyclaude service print --platform linux")
  end
end
