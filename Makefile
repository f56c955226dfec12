# Steward's entry points. `make help` lists them.
GO      ?= go
CONFIG  ?= examples/steward.yml
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: help run build test lint bench dashboards

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

run: ## run the daemon on SQLite with the example config (demo data if the store is empty)
	$(GO) run -ldflags "$(LDFLAGS)" ./cmd/steward serve --config.file $(CONFIG) --demo

build: ## build bin/steward
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/steward ./cmd/steward

test: ## run every test (PostgreSQL on 127.0.0.1:5432; with CI=true its tests must not skip)
	$(GO) test -race -count=1 ./...

lint: ## gofmt and go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...

dashboards: ## write the Grafana dashboards (dashboards/) and the Prometheus rules (mixin/)
	$(GO) run ./cmd/steward dashboards --output.dir dashboards --mixin.dir mixin

bench: ## Go benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./...
