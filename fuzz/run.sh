#!/usr/bin/env bash
# Build the libFuzzer targets of fuzz/ and run each for SECONDS (default 25).
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# Works on the stable toolchain: the coverage instrumentation that
# `cargo fuzz` adds (SanitizerCoverage through -Cpasses=sancov-module) needs
# no nightly feature. With FUZZ_ASAN=1 the targets are also built with
# AddressSanitizer, which needs -Zsanitizer (nightly, or stable with
# RUSTC_BOOTSTRAP=1). Equivalent to `cargo +nightly fuzz run TARGET --
# -max_total_time=SECONDS` where cargo-fuzz is available.
#
# Corpora grow in fuzz/corpus/TARGET (seeded from fuzz/seeds/TARGET and, for
# geotiff_read, sar-core's GDAL-written test GeoTIFFs); a crash
# is saved in fuzz/artifacts/TARGET and makes the script fail. A summary line
# per target (executions, coverage, corpus size) is printed at the end.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-25}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(geotiff_read metadata_text)

flags="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4"
flags+=" -Cllvm-args=-sanitizer-coverage-inline-8bit-counters"
flags+=" -Cllvm-args=-sanitizer-coverage-pc-table"
flags+=" -Cllvm-args=-sanitizer-coverage-trace-compares"
flags+=" --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
if [ "${FUZZ_ASAN:-0}" = 1 ]; then
  export RUSTC_BOOTSTRAP=1
  flags+=" -Zsanitizer=address"
fi
host=$(rustc -vV | sed -n 's/^host: //p')
# --target keeps the flags off build scripts and proc-macros.
RUSTFLAGS="$flags" cargo build --release --target "$host" --bins
bin="${CARGO_TARGET_DIR:-target}/$host/release"

status=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  [ -d "seeds/$t" ] && cp -n seeds/"$t"/* "corpus/$t/" 2>/dev/null || true
  if [ "$t" = geotiff_read ]; then
    # Seeds: the GDAL-written test files of sar-core (every layout and type).
    for f in ../crates/sar-core/tests/data/geotiff/*.tif; do
      [ "$(wc -c <"$f")" -lt 65536 ] && cp -n "$f" "corpus/$t/" 2>/dev/null || true
    done
  fi
  log="artifacts/$t/last_run.log"
  if ! "$bin/$t" "corpus/$t" -max_total_time="$secs" -rss_limit_mb=1024 \
      -malloc_limit_mb=512 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="artifacts/$t/" >"$log" 2>&1; then
    status=1
    echo "error: $t found a crash:"; tail -40 "$log"
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  cov=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW)' "$log" | tail -1 | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
  echo "$t: ${secs} s, ${execs:-?} executions, coverage ${cov:-?} edges, corpus $(ls "corpus/$t" | wc -l) files, $(ls "artifacts/$t" | grep -vc last_run.log || true) crash files"
done
exit $status
