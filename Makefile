# Engagement Desk: `make run` opens the app, `make test` runs every check.
# Both install what is missing first (Debian/Ubuntu packages, tauri-driver, npm packages).

SHELL := /bin/bash
.DEFAULT_GOAL := help

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SYSTEM_PACKAGES := libwebkit2gtk-4.1-dev libssl-dev librsvg2-dev libayatana-appindicator3-dev \
	build-essential pkg-config file webkit2gtk-driver xvfb xauth imagemagick
TAURI_DRIVER_VERSION := 2.1.0
CARGO_BIN := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin
export PATH := $(CARGO_BIN):$(PATH)
APP := target/debug/engagement-desk

.PHONY: help run test deps system-deps tauri-driver ui-deps ui build fmt-check clippy \
	ui-check ui-test rust-test rust-build rust-test-only core-has-no-tauri bindings fmt clean package \
	package-check demo bench

help:
	@echo "make run    install what is missing, build, and open the app on the default database"
	@echo "make test   install what is missing, then rustfmt, clippy, svelte-check, Vitest,"
	@echo "            cargo test (unit, scenario, CLI) and the end-to-end tests in a real window"
	@echo "make bindings  regenerate ui/src/lib/bindings from the Rust types"
	@echo "make package   build a release .deb (Tauri bundler) into target/release/bundle/deb/"
	@echo "make package-check  install that .deb, check the CLI and that the window starts, remove it"
	@echo "make demo   make a new demo database ($(DEMO_YEARS) year(s); DEMO_YEARS=5 for five) and open the app on it"
	@echo "make bench  release builds; time the desk on 1- and 5-year demo databases and the start-up"
	@echo "            against a minimal Tauri window; prints the table (README: Performance)"

deps: system-deps tauri-driver ui-deps

# Installs only the Debian packages that are missing, so a prepared machine skips apt.
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing system packages:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

tauri-driver:
	@if ! command -v tauri-driver >/dev/null 2>&1; then \
		cargo install tauri-driver --locked --version $(TAURI_DRIVER_VERSION); \
	fi

ui/node_modules/.installed: ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund
	@touch $@

ui-deps: ui/node_modules/.installed

ui: ui-deps
	cd ui && npm run build

build: system-deps ui
	cargo build --workspace

run: deps build
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ] && command -v xvfb-run >/dev/null; then \
		echo "no display: running under xvfb-run"; xvfb-run -a $(APP); \
	else \
		$(APP); \
	fi

fmt:
	cargo fmt --all

fmt-check:
	cargo fmt --all -- --check

clippy: ui
	cargo clippy --workspace --all-targets -- -D warnings

ui-check: ui-deps
	cd ui && npm run check

ui-test: ui-deps
	cd ui && npm test

# The domain crate must stay free of Tauri (it is shared by the app, the CLI and the tests).
core-has-no-tauri:
	@if cargo tree -p engagement-desk-core -e normal,build --prefix none | grep -E '^tauri' ; then \
		echo "engagement-desk-core depends on tauri"; exit 1; \
	else echo "core crate: no tauri in its dependency tree"; fi

# Builds the binary first: the CLI and end-to-end tests run the real executable.
rust-test: rust-build rust-test-only

rust-build: ui
	cargo build --workspace --bins --tests

rust-test-only:
	cargo test --workspace --no-fail-fast

# Each phase is timed (scripts/phase.sh); the table at the end says where the time went.
PHASE := scripts/phase.sh
SUBMAKE := $(MAKE) --no-print-directory
test:
	@mkdir -p target && : > target/test-phases.txt
	@$(PHASE) "install what is missing" $(SUBMAKE) deps
	@$(PHASE) "rustfmt --check" $(SUBMAKE) fmt-check
	@$(PHASE) "core has no tauri" $(SUBMAKE) core-has-no-tauri
	@$(PHASE) "svelte-check" $(SUBMAKE) ui-check
	@$(PHASE) "vitest" $(SUBMAKE) ui-test
	@$(PHASE) "ui build + clippy" $(SUBMAKE) clippy
	@$(PHASE) "cargo build (app, tests)" $(SUBMAKE) rust-build
	@$(PHASE) "cargo test (unit, stories, cli, e2e)" $(SUBMAKE) rust-test-only
	@echo "make test: every check passed. Where the time went:"
	@cat target/test-phases.txt
	@awk '{ total += $$(NF-1) } END { printf "%-34s %6d s\n", "total", total }' target/test-phases.txt

# A release build bundled as a .deb by the Tauri bundler. Bundling is off in tauri.conf.json so
# debug builds and `make test` never bundle; it is switched on for this build only.
package: deps ui
	cd src-tauri && ../ui/node_modules/.bin/tauri build --bundles deb --config '{"bundle":{"active":true}}'
	@deb=$$(ls -1t target/release/bundle/deb/*.deb | head -n 1); \
		echo "built: $$deb ($$(du -h "$$deb" | cut -f1))"

# Installs the .deb, checks the CLI, the desktop entry and that the window starts, removes it.
package-check: package
	scripts/package-check.sh

# A new demo database each time, so its staff passwords are the ones just printed.
DEMO_YEARS ?= 1
DEMO_DB := target/demo/demo-$(DEMO_YEARS)y.db
demo: deps build
	@mkdir -p target/demo
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm $(DEMO_DB).lock
	$(APP) --db $(DEMO_DB) demo --years $(DEMO_YEARS)
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ] && command -v xvfb-run >/dev/null; then \
		echo "no display: running under xvfb-run"; xvfb-run -a $(APP) --db $(DEMO_DB); \
	else \
		$(APP) --db $(DEMO_DB); \
	fi

# Release builds of the app, the minimal window (the floor) and the harness in one cargo
# run, so they share compiled dependencies; then the whole table (README: Performance).
# CARGO_TARGET_DIR, when set, is where the release binaries are (the results stay in target/).
RELEASE := $(or $(CARGO_TARGET_DIR),target)/release
bench: deps ui
	cargo build --release -p engagement-desk -p minimal-window -p engagement-desk-bench
	$(RELEASE)/engagement-desk-bench run --app $(RELEASE)/engagement-desk \
		--minimal $(RELEASE)/minimal-window --work target/bench

bindings:
	UPDATE_BINDINGS=1 cargo test -p engagement-desk-core bindings

clean:
	cargo clean
	rm -rf ui/dist ui/node_modules
