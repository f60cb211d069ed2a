#!/usr/bin/env bash
# A short, bounded fuzzing run of the sheets parsers, for CI or by hand:
#   bash crates/sheets/fuzz/run.sh [seconds per target, default 20]
# Needs the nightly toolchain and cargo-fuzz (installed here when missing). The first run
# builds the crate and its dependencies in release mode with AddressSanitizer (about 5 min on
# 2 cores); each target then runs for the given time. A crash stops the script with the
# input saved under fuzz/artifacts/<target>/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
seconds="${1:-20}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

for target in to_unicode decode_bytes read_csv; do
    echo "==> fuzz $target for ${seconds}s"
    mkdir -p "corpus/$target"
    cargo +nightly fuzz run "$target" -O "corpus/$target" seeds -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=4096
done
