# `make test` is the one command that runs every test; CI runs exactly it (.ci/run).
.PHONY: test lint unit test-tools compat console-test image-test fuzz postgres-test run bench static image

# The parts after the unit tests are independent: two at a time (the machine has two cores), each
# part's output printed whole when it ends.
test: lint unit
	$(MAKE) -j2 --output-sync=target compat postgres-test console-test image-test fuzz

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

unit: test-tools
	cargo test --workspace --all-targets

# Debian packages some tests use (promtool); installed when missing and possible.
test-tools:
	scripts/test-tools.sh

# The real clients against the static binary the container image ships (once more with its state
# in a throwaway PostgreSQL, when one can be started).
compat: static
	SQS_LOCAL_BIN=$(STATIC_BIN) compat-tests/run.sh

# The PostgreSQL backend: conformance suites and the crash test (node kills and database restarts)
# against a throwaway PostgreSQL (installed if missing; SKIPPED with the reason if it cannot run).
postgres-test:
	scripts/postgres-tests.sh

# The web console in headless Chromium (installed if missing; skipped with a message if it cannot run).
console-test: static
	SQS_LOCAL_BIN=$(STATIC_BIN) console-tests/run.sh

# Bounded fuzzing of the decoders (cargo fuzz, nightly; SKIPPED with a message without them).
fuzz:
	scripts/fuzz.sh

# The container image under podman (installed if missing; skipped with a message if it cannot run).
image-test: static
	docker/test-image.sh

run:
	cargo run --release

bench:
	cargo build --release --workspace
	./target/release/sqs-bench all

# A fully static x86-64 Linux binary (glibc linked in), stripped: runs in an empty root.
STATIC_TARGET := x86_64-unknown-linux-gnu
STATIC_BIN := target/$(STATIC_TARGET)/release/sqs-local
static:
	RUSTFLAGS="-C target-feature=+crt-static -C strip=symbols" \
		cargo build --release --locked --bin sqs-local --target $(STATIC_TARGET)
	@ls -l $(STATIC_BIN)

# The container image sqs-local:latest from the static binary (podman here, docker elsewhere).
CONTAINER ?= $(shell command -v podman >/dev/null 2>&1 && echo podman || echo docker)
image: static
	rm -rf target/image && mkdir -p target/image/data && cp $(STATIC_BIN) target/image/sqs-local
	$(CONTAINER) build $(if $(findstring podman,$(CONTAINER)),--format docker) --build-arg BINARY=prebuilt -f docker/Dockerfile -t sqs-local:latest .
