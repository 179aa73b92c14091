# Rampart developer entry points. `make test` is what CI runs (.ci/run).
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test
MAKEFLAGS += --no-print-directory

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
export PATH := $(ROOT)/.tools/node/bin:$(ROOT)/.tools/bin:$(ROOT)/.tools/venv/bin:$(PATH)

BIN := $(ROOT)/node_modules/.bin
VITEST := $(BIN)/vitest run

.PHONY: setup lint test test-unit test-integration demo bench

## setup: install what is missing (Node 24, Debian packages, npm deps, moto, fake-gcs-server); idempotent
setup:
	bash tools/setup.sh

## lint: biome + typecheck
lint:
	$(BIN)/biome check .
	$(BIN)/tsc -p tsconfig.json

## test: setup, lint, unit tests, integration tests (services started by vitest globalSetup)
test: setup
	$(MAKE) lint
	bash tools/check-jobs-image.sh
	$(MAKE) test-unit
	$(MAKE) test-integration

test-unit:
	$(VITEST) --project unit

test-integration:
	$(VITEST) --project integration

demo: setup
	node scripts/demo.ts

bench:
	node bench/run.ts
