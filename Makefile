# `make test` is the one command that runs every test; CI runs exactly it (.ci/run).
.PHONY: test lint unit compat run bench

test: lint unit compat

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings

unit:
	cargo test --all-targets

compat:
	compat-tests/run.sh

run:
	cargo run --release

bench:
	cargo run --release --bin sqs-bench -- all
