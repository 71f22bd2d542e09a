#!/usr/bin/env bash
# The regression gate for a pull request: a base commit and the checkout, on this machine, in one
# job:
#
#   scripts/ci-bench.sh [--quick] [--budget DURATION] [--rounds N] [--filter REGEX] [--out DIR] [BASE_REF]
#
# BASE_REF defaults to origin/$GITHUB_BASE_REF (set on pull requests), else origin/main, else
# main; the base is its merge base with HEAD: what the change started from. The checkout is the
# head as it is, uncommitted changes included.
#
# It runs `poolbench gate` (the head's): both sides built, every benchmark timed in interleaved
# base/head pairs of slots in fresh server processes, judged in Rust (reports/README.md, "The
# paired gate"). When the base predates the gate's serve mode (gate exit 4), it says so and falls
# back to comparing whole runs: each side's Criterion benches run group by group in alternating
# order, N times, compared by `poolbench compare` (reports/README.md, "Comparing runs").
#
#   --quick          pull-request mode (also POOLBENCH_CI_QUICK=1): the gate's budget 5m; in the
#                    fallback, 3 rounds instead of 5 and short Criterion settings
#   --budget D       the gate's measurement budget (default 5m with --quick, else 10m)
#   --rounds N       fallback only: run each side N times, in separate processes
#   --filter REGEX   only the benchmark ids matching REGEX (also POOLBENCH_CI_FILTER); in the
#                    fallback, the groups matching it (grep -E on ids such as pools/cpu-spin)
#   --out DIR        where the results go (default target/ci-bench): comparison.md (for the pull
#                    request), comparison.txt, comparison.json, and the gate's or the runs' files
#
# The base is built in a target directory of its own: it is different code, and a shared one
# would let the last build's worker program stand in for the other's.
#
# Exit code: the gate's. 0 no regression, 1 error, 2 regression, 3 inconclusive (the canary,
# head against head, flagged: the machine was too noisy; run again). The fallback's: compare's,
# 0, 1 or 2.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
# shellcheck source=scripts/bench-lib.sh
. "$root/scripts/bench-lib.sh"

quick=${POOLBENCH_CI_QUICK:-0}
rounds=
budget=
filter=${POOLBENCH_CI_FILTER:-}
out=$root/target/ci-bench
base_ref=
while [ $# -gt 0 ]; do
    case $1 in
    --quick) quick=1 ;;
    --rounds) rounds=${2:?--rounds needs a number}; shift ;;
    --budget) budget=${2:?--budget needs a duration such as 5m}; shift ;;
    --filter) filter=${2:?--filter needs a regular expression}; shift ;;
    --out) out=${2:?--out needs a directory}; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1; see $0 --help" ;;
    *) [ -z "$base_ref" ] || die "one BASE_REF only; see $0 --help"; base_ref=$1 ;;
    esac
    shift
done
rounds=$(rounds_or_default "$rounds" "$quick")

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
if [ "$code" != 4 ]; then
    cp "$out/gate/gate.md" "$out/comparison.md" 2>/dev/null || true
    cp "$out/gate/gate.txt" "$out/comparison.txt" 2>/dev/null || true
    cp "$out/gate/gate.json" "$out/comparison.json" 2>/dev/null || true
    if [ -f "$out/comparison.md" ]; then
        printf '\n<sub>scripts/ci-bench.sh: poolbench gate, base %s (merge base of %s), %s; budget %s; %s cores.</sub>\n' \
            "$(git rev-parse --short "$base")" "$base_ref" "$head_line" "$budget" "$(nproc)" >>"$out/comparison.md"
    fi
    echo "== exit code $code (0 no regression, 1 error, 2 regression, 3 inconclusive: run again)"
    exit "$code"
fi
echo "== the base $(git rev-parse --short "$base") predates the gate's serve mode: falling back to comparing whole runs (poolbench compare), $rounds round(s) per side"

scratch=$(mktemp -d)
cleanup() {
    git worktree remove --force "$scratch/base" >/dev/null 2>&1 || true
    rm -rf "$scratch"
}
trap cleanup EXIT
git worktree add --detach --quiet "$scratch/base" "$base"

base_target=${POOLBENCH_CI_BASE_TARGET:-$head_target/ci-gate/base-target}
echo "== building the head's benches"
head_exe=$(bench_exe "$root" "$head_target")
echo "== building the base's benches (in $base_target)"
base_exe=$(bench_exe "$scratch/base" "$base_target")

criterion=$out/criterion
mapfile -t criterion_args < <(criterion_settings "$quick")
mapfile -t groups < <({ bench_groups "$head_exe"; bench_groups "$base_exe"; } | sort -u | grep -E -- "${filter:-.}" || true)
[ "${#groups[@]}" -gt 0 ] || die "no benchmark group matches ${filter:-anything}"

total=$((${#groups[@]} * rounds * 2))
step=0
started=$SECONDS
for round in $(seq 1 "$rounds"); do
    index=0
    for group in "${groups[@]}"; do
        # Alternate which side goes first, so that a drift of the machine does not always favour one.
        if [ $(((index + round) % 2)) = 0 ]; then order=(base head); else order=(head base); fi
        for side in "${order[@]}"; do
            step=$((step + 1))
            printf '[%d/%d, %ds] %-4s round %d  %s\n' "$step" "$total" $((SECONDS - started)) "$side" "$round" "$group"
            if [ "$side" = base ]; then exe=$base_exe; else exe=$head_exe; fi
            run_group "$exe" "$out/run-$side" "$criterion" "$side-$round" "$group" "${criterion_args[@]}"
        done
        index=$((index + 1))
    done
done

bases=$(join_baselines base "$rounds")
heads=$(join_baselines head "$rounds")
compare() { "$poolbench" compare "$bases" "$heads" --criterion-dir "$criterion" "$@"; }
code=0
compare --format markdown >"$out/comparison.md" || code=$?
compare --format json >"$out/comparison.json" || true
compare --format table | tee "$out/comparison.txt" || true
printf '\n<sub>scripts/ci-bench.sh: the base predates poolbench gate, so whole runs were compared: base %s (merge base of %s), %s; %s mode, %d round(s) per side, interleaved; %s cores.</sub>\n' \
    "$(git rev-parse --short "$base")" "$base_ref" "$head_line" "$([ "$quick" = 1 ] && echo quick || echo full)" \
    "$rounds" "$(nproc)" >>"$out/comparison.md"
echo "== $out/comparison.md written; exit code $code (0 no regression, 1 error, 2 regression)"
exit "$code"
