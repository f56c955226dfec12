# Steward's entry points. `make help` lists them.
GO      ?= go
CONFIG  ?= examples/steward.yml
# LISTEN is where make run listens: this machine only, since the example
# config turns no authentication on. LISTEN=:9470 opens it to the network.
LISTEN  ?= 127.0.0.1:9470
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: help run build test test-unit lint bench dashboards fuzz

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

run: ## run the daemon on 127.0.0.1:9470, SQLite, the example config (demo data if the store is empty)
	$(GO) run -ldflags "$(LDFLAGS)" ./cmd/steward serve --config.file $(CONFIG) --web.listen-address $(LISTEN) --demo

build: ## build bin/steward and bin/steward-bench (the benchmark, see BENCHMARKS.md)
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/steward ./cmd/steward
	$(GO) build -o bin/steward-bench ./cmd/steward-bench

test: ## run every test (PostgreSQL on 127.0.0.1:5432; with CI=true its tests must not skip)
	$(GO) test -race -count=1 -timeout 40m ./...

# The integration tests (internal/integration) run the whole daemon and the
# steward binary against PostgreSQL, Prometheus, VictoriaMetrics,
# Alertmanager and Chromium, and take minutes; the unit run leaves them out,
# and -short skips the steward-bench run (cmd/steward-bench) and the import
# of whole public datasets (cmd/steward).
test-unit: ## run the fast tests: every package but internal/integration, with -short (PostgreSQL still on 127.0.0.1:5432)
	$(GO) test -race -count=1 -short $$($(GO) list ./... | grep -v '/internal/integration$$')

# golangci-lint, pinned; `go run` builds it once into the module cache.
GOLANGCI_LINT ?= $(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0

lint: ## gofmt, go vet and golangci-lint with the linters .golangci.yml names (and why)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(GOLANGCI_LINT) run --timeout 15m ./...

dashboards: ## write the Grafana dashboards (dashboards/) and the Prometheus rules (mixin/)
	$(GO) run ./cmd/steward dashboards --output.dir dashboards --mixin.dir mixin

# BENCH_RECORDS sizes `make bench`: incidents, and as many changes. The
# reference dataset of BENCHMARKS.md is 1000000 (about 8 minutes on 2 cores).
BENCH_RECORDS ?= 100000

bench: ## Go benchmarks, then steward-bench on BENCH_RECORDS incidents and changes (default 100000; reference 1000000)
	$(GO) test -run '^$$' -bench . -benchmem $$($(GO) list ./... | grep -v '/scorecard$$')
	$(GO) test -run '^$$' -bench . -benchmem ./scorecard -bench.records=$(BENCH_RECORDS)
	$(MAKE) build
	bin/steward-bench --records $(BENCH_RECORDS)

FUZZTIME ?= 10s

# Packages are those whose tests declare a Fuzz function (listing every
# package with go test -list would compile them all first). Go 1.26's fuzz
# coordinator can fail a target with a bare "context deadline exceeded"
# when -fuzztime ends while a worker is still busy (golang/go#75804, fixed
# in Go 1.27): a target that fails so without writing a failing input under
# testdata/fuzz is run once more; any other failure stops at once.
fuzz: ## run every Fuzz target of the module for FUZZTIME each (default 10s), one at a time
	@set -e; out=$$(mktemp); trap 'rm -f $$out' EXIT; \
	for pkg in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$target ($(FUZZTIME))"; \
	    if $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg >$$out 2>&1; then cat $$out; continue; fi; \
	    cat $$out; \
	    if ! grep -q '^    context deadline exceeded$$' $$out || [ -n "$$(git status --porcelain -- $$pkg/testdata/fuzz/$$target)" ]; then exit 1; fi; \
	    echo "fuzz $$pkg $$target: stopped at its deadline with no failing input; once more"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done
