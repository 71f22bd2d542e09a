#!/usr/bin/env bash
# Measures the regression gate on this machine, as the README reports it:
#
#   scripts/gate-check.sh [--quick] [--rounds N] [--filter REGEX] [--factor F] [--out DIR] [--rejudge]
#                         [--smoke]
#
# - A/A: the checkout benchmarked twice (runs a and b); `poolbench compare a b` with the default
#   settings must flag (regressed or improved) at most 5% of the benchmarks it judges, and none
#   as a regression.
# - Injected slowdown: a third run (slow) with POOLBENCH_INJECT_SLOWDOWN=F (default 1.2: cpu-spin
#   tasks take 20% longer, see src/workload/cpu_spin.rs); `poolbench compare a slow` must exit 2
#   and flag no benchmark outside cpu-spin as regressed. How many cpu-spin benchmarks it flagged
#   is printed: not all can be (SpawnPerTask's time is mostly process spawns, so 20% more spin
#   is about 4% more time, under the 5% threshold), and other benchmarks it flags either way are
#   counted as false alarms.
#
# --rejudge compares the runs already in --out again, without benchmarking: for a change to the
# gate's rule, judged on the same measurements.
#
# --smoke is what .ci/run uses: the whole path runs (benchmarks, baselines, compare's table and
# JSON) and must work (compare exits 0 or 2 and judges every benchmark), and the two checks above
# are printed but do not decide the exit code. They are measurements of the machine's noise, and
# speed is measured, never asserted in a test (reports/README.md, "Measured, not assumed", has
# what a loaded runner did to a real 3x slowdown). The verdict logic itself
# is tested on known samples in tests/compare.rs.
#
# The three runs are interleaved group by group in rotating order, as scripts/ci-bench.sh runs
# base and head, so the figures describe the gate CI uses. Options as for scripts/ci-bench.sh;
# the default filter is every group. Exit code 0 when both checks pass (with --smoke: when the
# path works), 1 otherwise.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
# shellcheck source=scripts/bench-lib.sh
. "$root/scripts/bench-lib.sh"

quick=0
rounds=
filter=
factor=1.2
out=$root/target/gate-check
rejudge=0
smoke=0
while [ $# -gt 0 ]; do
    case $1 in
    --quick) quick=1 ;;
    --rounds) rounds=${2:?--rounds needs a number}; shift ;;
    --filter) filter=${2:?--filter needs a regular expression}; shift ;;
    --factor) factor=${2:?--factor needs a number}; shift ;;
    --out) out=${2:?--out needs a directory}; shift ;;
    --rejudge) rejudge=1 ;;
    --smoke) smoke=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1; see $0 --help" ;;
    esac
    shift
done
rounds=$(rounds_or_default "$rounds" "$quick")

target=${CARGO_TARGET_DIR:-$root/target}
echo "== building the benches and poolbench"
exe=$(bench_exe "$root" "$target")
cargo build --release --quiet --bin poolbench
poolbench=$target/release/poolbench

if [ "$rejudge" = 1 ]; then
    [ -d "$out/criterion" ] || die "--rejudge: no runs in $out/criterion; run $0 without --rejudge first"
else
    rm -rf "$out"
    mkdir -p "$out"
fi
# Absolute: the runs work in directories of their own.
out=$(cd "$out" && pwd)
criterion=$out/criterion
mapfile -t criterion_args < <(criterion_settings "$quick")
mapfile -t groups < <(bench_groups "$exe" | grep -E -- "${filter:-.}" || true)
[ "${#groups[@]}" -gt 0 ] || die "no benchmark group matches ${filter:-anything}"

runs=(a b slow)
total=$((${#groups[@]} * rounds * ${#runs[@]}))
step=0
started=$SECONDS
for round in $(seq 1 "$rounds"); do
    [ "$rejudge" = 0 ] || break
    index=0
    for group in "${groups[@]}"; do
        # Rotate the order (a b slow, b slow a, slow a b) so that no run always goes first.
        shift_by=$(((index + round) % 3))
        order=("${runs[@]:shift_by}" "${runs[@]:0:shift_by}")
        for run in "${order[@]}"; do
            step=$((step + 1))
            printf '[%d/%d, %ds] %-4s round %d  %s\n' "$step" "$total" $((SECONDS - started)) "$run" "$round" "$group"
            if [ "$run" = slow ]; then
                POOLBENCH_INJECT_SLOWDOWN=$factor run_group "$exe" "$out/run-$run" "$criterion" "$run-$round" "$group" "${criterion_args[@]}"
            else
                run_group "$exe" "$out/run-$run" "$criterion" "$run-$round" "$group" "${criterion_args[@]}"
            fi
        done
        index=$((index + 1))
    done
done

# compare NAME BASE NEW: the table to the terminal and NAME.txt, the JSON to NAME.json; prints
# nothing else and returns compare's exit code.
compare() {
    local name=$1 code=0
    "$poolbench" compare "$(join_baselines "$2" "$rounds")" "$(join_baselines "$3" "$rounds")" \
        --criterion-dir "$criterion" --format json >"$out/$name.json" || code=$?
    "$poolbench" compare "$(join_baselines "$2" "$rounds")" "$(join_baselines "$3" "$rounds")" \
        --criterion-dir "$criterion" >"$out/$name.txt" || true
    return "$code"
}
# verdicts FILE: "id verdict" per benchmark, from compare's JSON (ids have no spaces).
verdicts() {
    awk -F'"' '/^      "id": / { id = $4 } /^      "verdict": / { print id, $4 }' "$1"
}

aa_code=0
compare aa a b || aa_code=$?
slow_code=0
compare slowdown a slow || slow_code=$?
[ "$aa_code" != 1 ] && [ "$slow_code" != 1 ] || die "poolbench compare failed; see $out/aa.txt and $out/slowdown.txt"

judged=$(verdicts "$out/aa.json" | grep -cE ' (regressed|improved|unchanged)$' || true)
aa_flagged=$(verdicts "$out/aa.json" | grep -cE ' (regressed|improved)$' || true)
aa_regressed=$(verdicts "$out/aa.json" | grep -c ' regressed$' || true)
spin=$(verdicts "$out/slowdown.json" | grep -c '/cpu-spin/' || true)
spin_flagged=$(verdicts "$out/slowdown.json" | grep '/cpu-spin/' | grep -c ' regressed$' || true)
others_flagged=$(verdicts "$out/slowdown.json" | grep -v '/cpu-spin/' | grep -cE ' (regressed|improved)$' || true)
others=$(verdicts "$out/slowdown.json" | grep -v '/cpu-spin/' | grep -cE ' (regressed|improved|unchanged)$' || true)
others_regressed=$(verdicts "$out/slowdown.json" | grep -v '/cpu-spin/' | grep -c ' regressed$' || true)

echo
echo "== A/A (same checkout twice)"
sed -n '/^benchmark/,/^result:/p' "$out/aa.txt"
echo
echo "== injected slowdown x$factor"
sed -n '/^benchmark/,/^result:/p' "$out/slowdown.txt"
echo
mode=$([ "$quick" = 1 ] && echo quick || echo full)
spent=$([ "$rejudge" = 1 ] && echo "runs rejudged" || echo "$((SECONDS - started)) s of benchmarks")
echo "== gate-check ($mode mode, $rounds round(s), ${#groups[@]} groups, $(nproc) cores, $spent)"
pass=1
limit=$((judged * 5))  # 5% of judged, compared as flagged * 100 <= judged * 5
echo "A/A: $aa_flagged of $judged benchmarks flagged ($aa_regressed regressed); allowed: at most 5% and no regression"
if [ $((aa_flagged * 100)) -gt "$limit" ] || [ "$aa_regressed" -gt 0 ] || [ "$aa_code" != 0 ]; then pass=0; fi
echo "slowdown x$factor: $spin_flagged of $spin cpu-spin benchmarks flagged as regressed; $others_flagged of $others others flagged (false alarms), $others_regressed of them as regressed; required: some cpu-spin flagged, exit 2, no other regressed"
if [ "$spin" = 0 ]; then
    echo "(no cpu-spin benchmark in the groups run: the slowdown check cannot pass)"
fi
if [ "$spin" = 0 ] || [ "$spin_flagged" = 0 ] || [ "$slow_code" != 2 ] || [ "$others_regressed" != 0 ]; then pass=0; fi
echo "(tables and JSON in $out)"
if [ "$smoke" = 1 ]; then
    # Every benchmark the runs measured must have been judged, in both comparisons.
    measured=$(verdicts "$out/aa.json" | wc -l)
    unjudged=$(cat "$out/aa.json" "$out/slowdown.json" | grep -cE '^      "verdict": "(new|missing)"' || true)
    if [ "$measured" = 0 ] || [ "$unjudged" != 0 ]; then
        echo "gate-check --smoke: FAIL: $measured benchmarks compared, $unjudged new or missing on one side"
        exit 1
    fi
    echo "gate-check --smoke: the path works ($measured benchmark(s) judged in both comparisons);" \
        "the checks above $([ "$pass" = 1 ] && echo passed || echo "did not pass on this run's noise") (informational)"
    exit 0
fi
if [ "$pass" = 1 ]; then echo "gate-check: PASS"; else echo "gate-check: FAIL"; fi
[ "$pass" = 1 ]
