# ucvm — see README.md. `make demo` runs the main job, `make test` the tests.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go
BIN := bin

.PHONY: all build deps test test-short demo bench fuzz clean

all: build

deps:
	./scripts/deps.sh

build:
	$(GO) build -o $(BIN)/ucvm ./cmd/ucvm

# The whole suite: unit, fuzz seeds, real FUSE mounts and QEMU boots.
test: deps
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m ./...

# Quick loop for development: no root-only or QEMU tests.
test-short:
	$(GO) test -short ./...

demo: deps build
	./scripts/demo.sh

bench: deps build
	./bench/run.sh

clean:
	rm -rf $(BIN)
