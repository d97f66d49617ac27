# tspod: build, set up a host, test, benchmark. Run as root for setup/test/bench (namespaces,
# mounts and cgroups need it). See README.md.

SHELL := /bin/bash
APT_PACKAGES := busybox-static mmdebstrap containernetworking-plugins iptables iproute2 util-linux keyutils zstd \
                docker-registry skopeo apache2-utils openssl libseccomp-dev
BENCH_PACKAGES := runc crun

.PHONY: all deps build build-native build-ts system-deps setup install check lint test test-unit \
        test-integration bench clean

all: build

node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch node_modules

deps: node_modules

build-native: node_modules
	npm run --silent build:native

build-ts: node_modules
	npm run --silent build:ts

build: build-native build-ts

# Debian packages tspod uses at run time (busybox for the base image, mmdebstrap for the debian
# and nginx images, the standard CNI plugins for pod networking, zstd for zstd layers; keyutils for
# the keyring test), and what
# the registry tests run (docker-registry, skopeo, htpasswd from apache2-utils, openssl);
# libseccomp for seccomp filters.
system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  apt-get update || echo "apt-get update failed for some sources; trying with what is there"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi

include rootfs/Makefile.inc

# `tspod` on the PATH, pointing at this checkout.
install: build
	ln -sfn $(CURDIR)/bin/tspod /usr/local/bin/tspod

# Everything a fresh Debian host needs to run pods: packages, build, base images, the command.
setup: system-deps build images install

# typescript-eslint (eslint.config.js), then the layout: prettier (.prettierrc.json; `npm run
# format` rewrites the tree in it); no root, no build needed.
lint: node_modules
	npx eslint --max-warnings 0 .
	npx prettier --check --log-level warn '**/*.{ts,js,mjs}'

test-unit: build-ts
	npx vitest run --project unit

test-integration: build
	npx vitest run --project integration

# In stages, so a failure says where: the build typechecks (tsc), then the lint, the unit tests (no
# root) and the integration tests (root, the real kernel). Every stage runs even when one before it
# failed, so that one run tells all that is wrong; the stages that failed are named at the end.
test: build
	@failed=""; \
	echo "== lint"; { npx eslint --max-warnings 0 . && npx prettier --check --log-level warn '**/*.{ts,js,mjs}'; } || failed="$$failed lint"; \
	echo "== unit tests"; npx vitest run --project unit || failed="$$failed unit"; \
	echo "== integration tests"; npx vitest run --project integration || failed="$$failed integration"; \
	if [ -n "$$failed" ]; then echo "== failed:$$failed"; exit 1; fi

# Set up, then run every test: the one command of the README.
check: setup test

bench: setup
	@missing=$$(for p in $(BENCH_PACKAGES); do command -v $$p >/dev/null || echo $$p; done); \
	if [ -n "$$missing" ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing || echo "no $$missing: tspod is measured alone"; fi
	@status=0; node test/bench/startup.mjs || status=1; node test/bench/cni.mjs || status=1; node test/bench/logs.mjs || status=1; node test/bench/density.mjs || status=1; exit $$status

clean:
	rm -rf dist native/build rootfs/out
