# Tessera — `make help` lists every target.

SHELL := /bin/bash
# Build output lives outside the checkout so that fresh clones on the same
# machine reuse it (a cold RocksDB build takes a long while).
export CARGO_TARGET_DIR ?= $(HOME)/.cache/tessera/target
DATA_DIR ?= $(CURDIR)/data
TESSERA := $(CARGO_TARGET_DIR)/release/tessera

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

.PHONY: deps
deps: ## Install the system packages the build needs (Debian/Ubuntu)
	@bash scripts/install-deps.sh

.PHONY: build
build: deps ## Build the release binary
	cargo build --release --locked --bin tessera

.PHONY: run
run: build ## Build and start `tessera server` on 127.0.0.1:9000 (data in ./data)
	@mkdir -p "$(DATA_DIR)"
	$(TESSERA) server --data-dir "$(DATA_DIR)"

.PHONY: test
test: deps ## Run the whole test suite (unit, component and integration)
	@bash scripts/test.sh

.PHONY: lint
lint: ## cargo fmt --check and clippy with warnings denied
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

.PHONY: fmt
fmt: ## Format the code
	cargo fmt --all

.PHONY: deps-check
deps-check: ## Fail if a crate depends on a crate above it (see docs/design/architecture.md)
	@bash scripts/deps-check.sh

.PHONY: helm-check
helm-check: ## Lint, render and validate the Helm chart offline (Helm's Go SDK, Kubernetes schemas)
	@bash deploy/helm/check.sh

.PHONY: deploy-check
deploy-check: ## Check the compose files, Dockerfiles and healthcheck; build the images offline with a stand-in binary
	@bash deploy/check.sh

.PHONY: image
image: ## Build the tessera:local image from the release binary, pulling nothing (TESSERA_BIN to use another binary)
	@if [ -z "$$TESSERA_BIN" ]; then $(MAKE) --no-print-directory build; fi
	@bash deploy/docker/build-local.sh

.PHONY: lb-image
lb-image: ## Build the compose cluster's load balancer image (HAProxy), pulling nothing
	@bash deploy/docker/build-lb.sh

.PHONY: cluster-up
cluster-up: ## Start the compose cluster (3 meta, 6 storage, 2 gateways, LB); returns once S3 answers on :9000
	@docker image inspect $${TESSERA_LB_IMAGE:-tessera-lb:local} > /dev/null 2>&1 || bash deploy/docker/build-lb.sh
	@bash deploy/compose/cluster.sh up

.PHONY: cluster-down
cluster-down: ## Stop the compose cluster and remove its containers, network and volumes
	@bash deploy/compose/cluster.sh down

.PHONY: cluster-logs
cluster-logs: ## Follow the compose cluster's logs
	@bash deploy/compose/cluster.sh logs

.PHONY: bench
bench: build ## Benchmark tessera server against SeaweedFS in one run; writes docs/benchmarks.md (ARGS=--cluster, --quick)
	python3 scripts/bench/run.py $(ARGS)

.PHONY: test-cluster
test-cluster: ## Fault tests of the compose cluster through its LB (Docker; binary: TESSERA_BIN, default the debug build)
	@bin="$${TESSERA_BIN:-$(CARGO_TARGET_DIR)/debug/tessera}"; \
	  test -x "$$bin" || { echo "test-cluster: no binary at $$bin (make test builds it; or set TESSERA_BIN)" >&2; exit 1; }; \
	  TESSERA_BIN="$$bin" bash deploy/docker/build-local.sh
	@bash deploy/docker/build-lb.sh
	@bash tests/cluster/run.sh

.PHONY: clean
clean: ## Remove build output (the shared target directory too)
	cargo clean
