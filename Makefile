# xprov: `make run` serves the example store on http://127.0.0.1:9999; `make test` runs
# every test. Both install and build what they need first, on a fresh machine too.

NODE_MODULES := node_modules/.xprov-installed
SOURCES := $(shell find src scripts generated bench test -type f \( -name '*.ts' -o -name '*.js' -o -name '*.cjs' -o -name '*.json' \) 2>/dev/null) tsconfig.json package.json
STORE ?= examples/symmetric-key-payload.yaml

.PHONY: all install build generate check-generated docs check-docs lint lint-deps lint-spec test tools run bench deb clean

all: build

$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: $(NODE_MODULES)

# Type-check and compile everything (src, tests, scripts) into build/.
# tsc never deletes an output whose source went away: a moved test would still run
# from its stale copy, so the compiled tree is made anew (tsc compiles it all anyway).
build/.stamp: $(NODE_MODULES) $(SOURCES) tsconfig.client.json
	rm -rf build/src build/test build/scripts build/bench build/generated build/package.json
	npx tsc -p tsconfig.json
	npx tsc -p tsconfig.client.json
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

# Regenerates docs/configuration.md from docs/configuration.template.md and the SETTINGS
# table of src/config/config.ts (commit the result).
docs: build/.stamp
	node build/scripts/config-doc.js docs/configuration.md

# Fails when docs/configuration.md is not what the template and SETTINGS produce.
check-docs: build/.stamp
	@tmp=$$(mktemp) && node build/scripts/config-doc.js $$tmp && \
	if diff -u docs/configuration.md $$tmp; then rm -f $$tmp; echo "docs/configuration.md matches SETTINGS"; \
	else rm -f $$tmp; echo "docs/configuration.md is stale: run 'make docs' and commit" >&2; exit 1; fi

# Tools the tests run: systemd-analyze and systemd-socket-activate (the shipped units,
# socket activation), openssl (throwaway certificates: the DPS emulator's, and those
# of the certificate checks: expired, wrong key, wrong chain order...), swtpm and
# tpm2-tools (the TPM store's tests: a software TPM, and the tools xprov runs), and for
# the Debian package (test/packaging/deb.test.ts) dpkg-deb, lintian and debootstrap.
# Installed from Debian when missing and running as root.
tools:
	@missing=""; \
	for tool in systemd-analyze:systemd systemd-socket-activate:systemd openssl:openssl swtpm:swtpm swtpm_setup:swtpm-tools tpm2_nvread:tpm2-tools dpkg-deb:dpkg-dev lintian:lintian debootstrap:debootstrap unshare:util-linux; do \
	  command -v $${tool%%:*} >/dev/null || missing="$$missing $${tool##*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "install$$missing to run the tests" >&2; exit 1; fi; fi

# Biome: the linter (its recommended rules) and the formatter (biome.json); `npx biome
# check --write .` fixes what it can.
lint: $(NODE_MODULES)
	npx biome check --error-on-warnings .

# Fails when an import goes against the layer order, a command imports another command,
# or imports form a cycle (the rules and the layer order: .dependency-cruiser.cjs).
lint-deps: $(NODE_MODULES)
	npx depcruise src --config .dependency-cruiser.cjs --output-type err

# The spec as the ecosystem's tools see it: Spectral (spectral:oas, .spectral.yaml) and
# Redocly (recommended, redocly.yaml) over the Swagger 2.0 source and the OpenAPI 3
# document generated from it; a warning fails too. Offline: neither fetches anything
# (no remote $ref; Redocly's telemetry and update check are off).
SPEC_DOCS := openapi/external-provisioning.yaml generated/openapi.json
lint-spec: $(NODE_MODULES)
	npx spectral lint --quiet --fail-severity=warn $(SPEC_DOCS)
	@# Redocly exits 0 on warnings: its stylish report (stdout) lists only problems, so any line fails.
	@problems=$$(REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true npx redocly lint --format=stylish $(SPEC_DOCS) 2>/dev/null); \
	rc=$$?; if [ $$rc -ne 0 ] || [ -n "$$problems" ]; then printf '%s\n' "$$problems" >&2; \
	  echo "Redocly reports problems in the spec (a warning fails too: fix it, or turn its rule off in redocly.yaml with the reason)" >&2; exit 1; fi; \
	echo "the spec passes Spectral (spectral:oas) and Redocly (recommended)"

# MOCHA_ARGS: more mocha options, e.g. --ignore 'build/test/packaging/**' (.ci/run's second Node line).
test: build tools check-generated check-docs lint lint-deps lint-spec
	npx mocha $(MOCHA_ARGS)

# The examples are public, throwaway fakes, and git checks them out 0644, which xprov
# refuses for a store ("readable by others"): --insecure-permissions accepts them, with
# a warning in the log. A copy made 0600 would break the examples' relative PEM paths
# and hide edits to them. Never use the flag for a real store: fix its mode instead.
run: build
	node bin/xprov.cjs serve --store $(STORE) --insecure-permissions

# Under another Node line: PATH=/path/to/node/bin:$$PATH make bench (docs/node-versions.md).
bench: build
	node build/bench/bench.js

# The Debian package xprov_VERSION_all.deb, here (docs/packages.md).
deb: build
	packaging/deb/build.sh .

clean:
	rm -rf build dist xprov_*_all.deb
