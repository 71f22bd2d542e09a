#!/usr/bin/env bash
# Gates the working tree against the last landed main, on this machine: what .ci/run runs and what
# a team copies.
#
#   scripts/ci-gate.sh [--base REF] [--budget DURATION] [--filter REGEX] [--head-env KEY=VALUE] [--out DIR]
#
# The base: --base REF, else the commit named in $POOLBENCH_BASELINE_FILE (default
# ../shared/BASELINE beside the repository: kept current outside the project, read and never
# written here). When there is no such file, or it names a commit this clone does not have, the
# gate is skipped with a message saying so, and the script exits 0: a missing baseline is not the
# submission's fault.
#
# The selection (--filter, default $SELECTION below): every group's telling rows, so that a
# regression of any executor's per-task cost, start-up, codec or hand-off is seen within the
# budget: each executor in steady state on 10,000 small tasks and on CPU work, each end to end
# (start, map, stop), the process pool's codec, the round trips against the raw pipe, and one
# task alone. The whole suite would leave each benchmark too little time to be decided.
#
# --head-env KEY=VALUE goes to the head only: `--head-env POOLBENCH_INJECT_SLOWDOWN=1.2` slows its
# cpu-spin tasks by a fifth, to see the step fail.
#
# The verdict is poolbench gate's (reports/README.md, "The paired gate"): exit 0 no regression,
# 2 a regression (the table names it), 1 an error; 3 (inconclusive: the canary, head against head,
# flagged, or nothing was decided) is reported and passes, since a noisy machine is not a
# regression. A slowdown that is intended is accepted in poolbench-compare.toml, with its reason
# (`accept = true`, `base = "<commit>"`), reviewed like code.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"

SELECTION='^(task/cpu-spin/20000'
SELECTION+='|pools/squares-10k/(Sequential/1|Rayon/2|StdPool/2|ProcessPool/2|SpawnPerTask/2)'
SELECTION+='|pools/cpu-spin/(Rayon|StdPool|ProcessPool)/2'
SELECTION+='|startup/ex8-squares/(Rayon|StdPool|ProcessPool|SpawnPerTask)/2'
SELECTION+='|ipc/codec-squares/postcard/2'
SELECTION+='|ipc/round-trip/(pipe-floor/1|Rayon/2|StdPool/2|ProcessPool/2))$'

base=
budget=8m
filter=$SELECTION
head_env=()
out=$root/target/ci-gate
while [ $# -gt 0 ]; do
    case $1 in
    --base) base=${2:?--base needs a commit}; shift ;;
    --budget) budget=${2:?--budget needs a duration such as 8m}; shift ;;
    --filter) filter=${2:?--filter needs a regular expression}; shift ;;
    --head-env) head_env+=(--head-env "${2:?--head-env needs KEY=VALUE}"); shift ;;
    --out) out=${2:?--out needs a directory}; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "ci-gate.sh: unknown argument $1; see $0 --help" >&2; exit 1 ;;
    esac
    shift
done

if [ -z "$base" ]; then
    baseline_file=${POOLBENCH_BASELINE_FILE:-$root/../shared/BASELINE}
    if [ ! -f "$baseline_file" ]; then
        echo "ci-gate.sh: skipped: no baseline file at $baseline_file (set POOLBENCH_BASELINE_FILE, or give --base REF)"
        exit 0
    fi
    base=$(tr -d '[:space:]' <"$baseline_file")
    if [ -z "$base" ]; then
        echo "ci-gate.sh: skipped: $baseline_file is empty; it should name the last landed commit of main"
        exit 0
    fi
fi
if ! git cat-file -e "$base^{commit}" 2>/dev/null; then
    echo "ci-gate.sh: skipped: the base $base is not a commit of this clone's history (a shallow clone, or a" \
        "baseline from another repository); fetch it, or give --base REF"
    exit 0
fi

echo "ci-gate.sh: gating the working tree against $base on: $filter"
mkdir -p "$out"
set +e
cargo run --release --quiet --bin poolbench -- gate --base "$base" --filter "$filter" --budget "$budget" \
    --benchmark-budget 40s --max-rounds 40 --out "$out" "${head_env[@]}"
code=$?
set -e
case $code in
0) echo "ci-gate.sh: no regression against $base" ;;
2) echo "ci-gate.sh: a regression against $base: the table above names it (accept an intended one in" \
    "poolbench-compare.toml, with its reason)" >&2 ;;
3) echo "ci-gate.sh: inconclusive against $base (the machine was too noisy to decide): reported, not failed"
   code=0 ;;
*) echo "ci-gate.sh: poolbench gate failed with exit code $code" >&2 ;;
esac
exit $code
