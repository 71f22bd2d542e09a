#!/usr/bin/env bash
# Benchmarks a base commit and the checkout on this machine, in one job, and compares them:
#
#   scripts/ci-bench.sh [--quick] [--rounds N] [--filter REGEX] [--out DIR] [BASE_REF]
#
# BASE_REF defaults to origin/$GITHUB_BASE_REF (set on pull requests), else origin/main, else
# main; the base benchmarked is its merge base with HEAD: what the change started from. The
# checkout is benchmarked as it is, uncommitted changes included.
#
# Why both in one job: absolute times from another day or another runner differ by more than
# the regressions worth catching. Here base and head share the machine, and their runs are
# interleaved group by group, in alternating order (base then head, head then base, ...), so that
# a slow spell of the machine hits both sides, not one.
#
#   --quick          pull-request mode (also POOLBENCH_CI_QUICK=1): 3 rounds instead of 5, and
#                    0.3 s warm-up, 0.5 s measurement, 20 samples per benchmark (the suites'
#                    own settings otherwise: 0.2 s, 0.8 s, 20 samples, benches/suites/mod.rs)
#   --rounds N       run each side N times, in separate processes (default 3 with --quick,
#                    else 5): whole runs come out slower on a shared machine, so compare takes
#                    the run, not the sample, as the unit that repeats and tests across runs
#   --filter REGEX   only the groups matching REGEX (grep -E on group ids such as pools/cpu-spin;
#                    also POOLBENCH_CI_FILTER)
#   --out DIR        where the results go (default target/ci-bench): comparison.md (for the pull
#                    request), comparison.txt, comparison.json, the Criterion directory, logs
#
# The base is built in its own target directory ($POOLBENCH_CI_BASE_TARGET, default
# target/ci-base): it is different code, and a shared one would let the last build's worker
# program stand in for the other's. Both sides save Criterion baselines (base-N, head-N) in one
# Criterion directory, which `poolbench compare` (the head's) reads.
#
# Exit code: compare's. 0 no regression, 1 error, 2 regression.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
# shellcheck source=scripts/bench-lib.sh
. "$root/scripts/bench-lib.sh"

quick=${POOLBENCH_CI_QUICK:-0}
rounds=
filter=${POOLBENCH_CI_FILTER:-}
out=$root/target/ci-bench
base_ref=
while [ $# -gt 0 ]; do
    case $1 in
    --quick) quick=1 ;;
    --rounds) rounds=${2:?--rounds needs a number}; shift ;;
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

scratch=$(mktemp -d)
cleanup() {
    git worktree remove --force "$scratch/base" >/dev/null 2>&1 || true
    rm -rf "$scratch"
}
trap cleanup EXIT
git worktree add --detach --quiet "$scratch/base" "$base"

head_target=${CARGO_TARGET_DIR:-$root/target}
base_target=${POOLBENCH_CI_BASE_TARGET:-$root/target/ci-base}
echo "== building the head's benches and poolbench"
head_exe=$(bench_exe "$root" "$head_target")
CARGO_TARGET_DIR=$head_target cargo build --release --quiet --bin poolbench
poolbench=$head_target/release/poolbench
echo "== building the base's benches (in $base_target)"
base_exe=$(bench_exe "$scratch/base" "$base_target")

rm -rf "$out"
mkdir -p "$out"
# Absolute: the runs work in directories of their own.
out=$(cd "$out" && pwd)
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
head_line="head $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' with uncommitted changes')"
printf '\n<sub>scripts/ci-bench.sh: base %s (merge base of %s), %s; %s mode, %d round(s) per side, interleaved; %s cores.</sub>\n' \
    "$(git rev-parse --short "$base")" "$base_ref" "$head_line" "$([ "$quick" = 1 ] && echo quick || echo full)" \
    "$rounds" "$(nproc)" >>"$out/comparison.md"
echo "== $out/comparison.md written; exit code $code (0 no regression, 1 error, 2 regression)"
exit "$code"
