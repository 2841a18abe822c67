#!/usr/bin/env bash
# Bounded fuzzing for the test command: each cargo-fuzz target in fuzz/ runs for
# FUZZ_SECONDS (default 15) from the committed seed corpus (fuzz/corpus/<target>, copied so the
# committed seeds stay as they are). Needs a nightly toolchain and cargo-fuzz (installed from
# crates.io when missing); without them it says SKIPPED and why. A crash fails the run; its
# input is left under fuzz/artifacts/<target>/ to become a regression test.
#   scripts/fuzz.sh                     every target, 15 s each
#   FUZZ_SECONDS=600 scripts/fuzz.sh sigv4
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/fuzz"
seconds="${FUZZ_SECONDS:-15}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(query_form json_body sigv4 message_attributes filter_policy)

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  echo "fuzz SKIPPED: no nightly Rust toolchain (cargo fuzz needs one)"
  exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz (crates.io)"
  if ! cargo install cargo-fuzz --locked --quiet >/tmp/sqs-local-cargo-fuzz-install.log 2>&1; then
    echo "fuzz SKIPPED: cargo-fuzz cannot be installed here (see /tmp/sqs-local-cargo-fuzz-install.log)"
    exit 0
  fi
fi

# Panics are what these targets look for (the code is safe Rust), so no sanitizer: it builds
# faster and runs more inputs in the time.
cargo +nightly fuzz build --sanitizer none 2>&1 | tail -n 3 || {
  echo "fuzz: the targets do not build"; exit 1; }
for target in "${targets[@]}"; do
  work="$(mktemp -d)"
  cp "corpus/$target"/* "$work"/
  log="$(mktemp)"
  if ! cargo +nightly fuzz run --sanitizer none "$target" "$work" -- \
      -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "fuzz: $target FAILED (input under fuzz/artifacts/$target/)"
    exit 1
  fi
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  echo "fuzz: $target ok, ${runs:-?} executions in ${seconds} s, corpus $(ls "$work" | wc -l) inputs"
  rm -rf "$work"
done
