# xprov: `make run` serves the example store on http://127.0.0.1:9999; `make test` runs
# every test. Both install and build what they need first, on a fresh machine too.

NODE_MODULES := node_modules/.xprov-installed
SOURCES := $(shell find src scripts generated bench test -type f \( -name '*.ts' -o -name '*.js' -o -name '*.cjs' -o -name '*.json' \) 2>/dev/null) tsconfig.json package.json
STORE ?= examples/symmetric-key-payload.yaml

.PHONY: all install build generate check-generated test tools run bench clean

all: build

$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: $(NODE_MODULES)

# Type-check and compile everything (src, tests, scripts) into build/.
build/.stamp: $(NODE_MODULES) $(SOURCES)
	npx tsc -p tsconfig.json
	touch $@

# The shipped artifact: one bundle plus its V8 code cache (see scripts/bundle.ts).
dist/xprov.cjs: build/.stamp
	node build/scripts/bundle.js

build: dist/xprov.cjs

# Regenerates generated/ from openapi/ (commit the result).
generate: build/.stamp
	node build/scripts/generate.js generated
	$(MAKE) build

# Fails when generated/ is not what the spec produces (CI's drift check).
check-generated: build/.stamp
	@tmp=$$(mktemp -d) && node build/scripts/generate.js $$tmp && \
	if diff -ru generated $$tmp --exclude=README.md; then rm -rf $$tmp; echo "generated/ matches openapi/"; \
	else rm -rf $$tmp; echo "generated/ is stale: run 'make generate' and commit" >&2; exit 1; fi

# systemd-analyze and systemd-socket-activate, used by the tests of the shipped units and
# of socket activation. Installed from Debian when missing and running as root.
tools:
	@command -v systemd-analyze >/dev/null && command -v systemd-socket-activate >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null; \
	  else echo "install systemd (systemd-analyze, systemd-socket-activate) to run the tests" >&2; exit 1; fi; }

test: build tools check-generated
	npx mocha

run: build
	node bin/xprov.cjs serve --store $(STORE)

bench: build
	node build/bench/bench.js

clean:
	rm -rf build dist
