# `make test` is the one command that runs every test; CI runs exactly it (.ci/run).
.PHONY: test lint unit compat run bench

test: lint unit compat

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

unit:
	cargo test --workspace --all-targets

compat:
	compat-tests/run.sh

run:
	cargo run --release

bench:
	cargo build --release --workspace
	./target/release/sqs-bench all
