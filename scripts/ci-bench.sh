#!/usr/bin/env bash
# The regression gate for a pull request: a base commit and the checkout, on this machine, in one
# job:
#
#   scripts/ci-bench.sh [--quick] [--budget DURATION] [--filter REGEX] [--out DIR] [BASE_REF]
#
# BASE_REF defaults to origin/$GITHUB_BASE_REF (set on pull requests), else origin/main, else
# main; the base is its merge base with HEAD: what the change started from. The checkout is the
# head as it is, uncommitted changes included.
#
# It runs `poolbench gate` (the head's): both sides built, every benchmark timed in interleaved
# base/head pairs of slots in fresh server processes, judged in Rust (reports/README.md, "The
# paired gate"). A base whose benches predate the gate's serve mode cannot be gated (exit 4): gate
# against a newer base.
#
#   --quick          pull-request mode (also POOLBENCH_CI_QUICK=1): the gate's budget 5m
#   --budget D       the gate's measurement budget (default 5m with --quick, else 10m)
#   --filter REGEX   only the benchmark ids matching REGEX (also POOLBENCH_CI_FILTER)
#   --out DIR        where the results go (default target/ci-bench): comparison.md (for the pull
#                    request), comparison.txt, comparison.json (the versioned verdicts document,
#                    "format": "poolbench-verdicts"), and the gate's files in gate/
#
# Exit code: the gate's. 0 no regression, 1 error, 2 regression, 3 inconclusive (the canary,
# head against head, flagged: the machine was too noisy; run again), 4 a base without serve mode.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"

die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

quick=${POOLBENCH_CI_QUICK:-0}
budget=
filter=${POOLBENCH_CI_FILTER:-}
out=$root/target/ci-bench
base_ref=
while [ $# -gt 0 ]; do
    case $1 in
    --quick) quick=1 ;;
    --budget) budget=${2:?--budget needs a duration such as 5m}; shift ;;
    --filter) filter=${2:?--filter needs a regular expression}; shift ;;
    --out) out=${2:?--out needs a directory}; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1; see $0 --help" ;;
    *) [ -z "$base_ref" ] || die "one BASE_REF only; see $0 --help"; base_ref=$1 ;;
    esac
    shift
done

if [ -z "$base_ref" ]; then
    for candidate in "origin/${GITHUB_BASE_REF:-main}" origin/main main; do
        if git rev-parse --verify --quiet "$candidate^{commit}" >/dev/null; then
            base_ref=$candidate
            break
        fi
    done
    [ -n "$base_ref" ] || die "no origin/main or main to compare with; give BASE_REF"
fi
base=$(git merge-base HEAD "$base_ref") || die "no merge base between HEAD and $base_ref (a shallow clone? fetch with --depth 0)"
echo "== base: $base_ref, merge base $(git rev-parse --short "$base"); head: $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' + uncommitted changes')"

head_target=${CARGO_TARGET_DIR:-$root/target}
echo "== building poolbench (the head's)"
CARGO_TARGET_DIR=$head_target cargo build --release --quiet --bin poolbench
poolbench=$head_target/release/poolbench

rm -rf "$out"
mkdir -p "$out"
# Absolute: the runs work in directories of their own.
out=$(cd "$out" && pwd)

[ -n "$budget" ] || budget=$([ "$quick" = 1 ] && echo 5m || echo 10m)
head_line="head $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' with uncommitted changes')"
gate_args=(gate --base "$base" --budget "$budget" --out "$out/gate" --work-dir "$head_target/ci-gate")
[ -z "$filter" ] || gate_args+=(--filter "$filter")
code=0
"$poolbench" "${gate_args[@]}" || code=$?
cp "$out/gate/gate.md" "$out/comparison.md" 2>/dev/null || true
cp "$out/gate/gate.txt" "$out/comparison.txt" 2>/dev/null || true
cp "$out/gate/gate.json" "$out/comparison.json" 2>/dev/null || true
if [ -f "$out/comparison.md" ]; then
    printf '\n<sub>scripts/ci-bench.sh: poolbench gate, base %s (merge base of %s), %s; budget %s; %s cores.</sub>\n' \
        "$(git rev-parse --short "$base")" "$base_ref" "$head_line" "$budget" "$(nproc)" >>"$out/comparison.md"
fi
echo "== exit code $code (0 no regression, 1 error, 2 regression, 3 inconclusive: run again, 4 a base without serve mode)"
exit "$code"
