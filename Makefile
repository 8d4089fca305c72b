# Everything a fresh machine with Node and npm needs: Bun itself comes from npm.
BUN := node_modules/.bin/bun
SOURCES := $(shell find src -name '*.ts') package.json

.PHONY: install build run test format test-real test-claude-latest claude-code real-servers fuzz bench bench-cache bench-proxy bench-load release clean

install: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

build: dist/anyclaude

# --bytecode: the code ships compiled for JSC, and the daemon is healthy in ~40 ms instead of ~100
# (ESM, for main.ts's top-level await).
dist/anyclaude: node_modules/.installed $(SOURCES)
	$(BUN) build --compile --minify --sourcemap --bytecode --format=esm src/cli/main.ts --outfile dist/anyclaude

# Where `make run` installs anyclaude: PREFIX/bin, which should be on PATH.
PREFIX ?= $(HOME)/.local

# Builds the binary, installs it into PREFIX/bin, and starts it as a background daemon (through
# the service when installed); a daemon of an older build is restarted with this one. Without a
# claude on PATH, this checkout's own (the devDependency the tests run) is linked next to it.
run: build
	@scripts/install.sh dist/anyclaude "$(PREFIX)"
	@if ! PATH="$(PREFIX)/bin:$$PATH" command -v claude >/dev/null; then \
	  ln -sf "$(CURDIR)/node_modules/.bin/claude" "$(PREFIX)/bin/claude" && \
	  echo "linked $(PREFIX)/bin/claude to this checkout's Claude Code ($$(node_modules/.bin/claude --version))"; \
	fi
	@"$(PREFIX)/bin/anyclaude" start

# The real-server suite (test/real/) needs llama-server, mlx_lm.server, vLLM and test models: set up
# once into ~/.cache/anyclaude-real (ANYCLAUDE_SKIP_REAL=1 skips them, saying so).
# The Claude Code suites run the releases this build is tested with (src/doctor/tested-claude-code.ts),
# installed once into ~/.cache/anyclaude-claude-code.
test: node_modules/.installed
	@node_modules/.bin/biome ci --colors=off . >/dev/null 2>&1 || { node_modules/.bin/biome ci --colors=off . 2>&1 | tail -n 40; echo "the sources are not formatted: make format"; echo "0 passed, 1 failed"; exit 1; }
	@$(BUN) scripts/claude-code.ts tested || { echo "Claude Code could not be installed (see above)"; echo "0 passed, 1 failed"; exit 1; }
	@if [ "$$ANYCLAUDE_SKIP_REAL" != 1 ]; then scripts/real/setup.sh || { echo "the real servers could not be set up (see above)"; echo "0 passed, 1 failed"; exit 1; }; fi
	PATH="$(CURDIR)/node_modules/.bin:$$PATH" $(BUN) scripts/run-tests.ts

# The formatter make test checks (Biome, biome.json): rewrites the sources in place.
format: node_modules/.installed
	node_modules/.bin/biome format --write .

claude-code: node_modules/.installed
	$(BUN) scripts/claude-code.ts tested

# The Claude Code suites (emulated and real servers) against whatever npm calls latest today: a
# release that changes the request is caught the day it appears.
test-claude-latest: real-servers
	$(BUN) scripts/claude-code.ts latest
	PATH="$(CURDIR)/node_modules/.bin:$$PATH" $(BUN) scripts/run-tests.ts test/e2e/claude-code.test.ts test/e2e/tool-search.test.ts test/real/claude-code.test.ts test/real/tool-search.test.ts test/real/claude-code-agents.test.ts test/real/vllm.test.ts

real-servers: node_modules/.installed
	scripts/real/setup.sh

# Only the real-server suite, then its figures as the README's tables.
test-real: real-servers claude-code
	PATH="$(CURDIR)/node_modules/.bin:$$PATH" $(BUN) scripts/run-tests.ts test/real
	$(BUN) scripts/real/report.ts

# The fuzz test of `make test` (2,000 cases, seed 12), larger: FUZZ_CASES=N FUZZ_SEED=S.
FUZZ_CASES ?= 20000
FUZZ_SEED ?= 12
fuzz: node_modules/.installed
	ANYCLAUDE_FUZZ_CASES=$(FUZZ_CASES) ANYCLAUDE_FUZZ_SEED=$(FUZZ_SEED) $(BUN) test --timeout=3600000 test/integration/fuzz.test.ts

bench: bench-cache bench-proxy bench-load

bench-cache: node_modules/.installed
	$(BUN) scripts/bench-cache.ts

# The compiled binary against claude-code-router 2.0.0 (installed into .tmp/ by npm on first use).
bench-proxy: dist/anyclaude
	$(BUN) scripts/bench-proxy.ts

# 64 streaming clients for 60 s (BENCH_CLIENTS, BENCH_SECONDS): latency added, errors, memory.
bench-load: dist/anyclaude
	$(BUN) scripts/bench-load.ts

release: node_modules/.installed
	PATH="$(CURDIR)/node_modules/.bin:$$PATH" scripts/release.sh

clean:
	rm -rf dist .tmp
