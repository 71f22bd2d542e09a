# Shared by scripts/ci-bench.sh's run-level fallback: build a checkout's Criterion bench,
# list its groups, choose the rounds and the Criterion settings, run one group into a named
# baseline. Source it; it defines functions only.
#
# Runs go straight to the bench executable (no cargo in between), from a scratch working
# directory, so that the report and history each run writes land there and not in the checkout.

# die MESSAGE...: print to stderr and exit 1.
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# bench_exe CHECKOUT TARGET_DIR: builds the checkout's benches (and the binaries they need, the
# process pools' worker among them) in TARGET_DIR and prints the path of the `main` bench.
bench_exe() {
    local checkout=$1 target=$2 exe
    exe=$(cd "$checkout" && CARGO_TARGET_DIR=$target cargo bench --no-run --message-format=json --bench main |
        grep '"kind":\["bench"\]' | grep -o '"executable":"[^"]*"' | tail -n 1 | sed 's/^"executable":"//; s/"$//') ||
        die "cannot build the benches of $checkout"
    [ -x "$exe" ] || die "building the benches of $checkout gave no executable"
    printf '%s\n' "$exe"
}

# bench_groups EXE: the benchmark groups EXE runs (the first two parts of each id), one a line.
bench_groups() {
    "$1" --bench --list 2>/dev/null | sed -n 's/: benchmark$//p' | awk -F/ 'NF >= 2 { print $1 "/" $2 } NF < 2 { print $1 }' | sort -u
}

# regex_of GROUP: a Criterion filter matching exactly the benchmarks of GROUP.
regex_of() {
    printf '^%s/' "$(printf '%s' "$1" | sed 's/[][\.*^$+?(){}|]/\\&/g')"
}

# run_group EXE WORKDIR CRITERION_DIR BASELINE GROUP [CRITERION_ARGS...]: runs GROUP's
# benchmarks and saves them as BASELINE in CRITERION_DIR. Output goes to WORKDIR/bench.log.
# The Python peers stay off (POOLBENCH_PYTHON=0): they are no Criterion baseline to compare.
run_group() {
    local exe=$1 workdir=$2 criterion=$3 baseline=$4 group=$5
    shift 5
    mkdir -p "$workdir"
    (cd "$workdir" && CRITERION_HOME=$criterion POOLBENCH_PYTHON=0 "$exe" --bench --noplot --save-baseline "$baseline" "$@" \
        "$(regex_of "$group")") >>"$workdir/bench.log" 2>&1 ||
        die "the benchmarks of $group failed for baseline $baseline; see $workdir/bench.log"
}

# rounds_or_default ROUNDS QUICK: ROUNDS, or when it is empty the default: more rounds are
# quieter and take longer, so three for a quick run (QUICK=1, a pull request), five for a full one.
rounds_or_default() {
    local rounds=${1:-$([ "$2" = 1 ] && echo 3 || echo 5)}
    case $rounds in *[!0-9]* | 0) die "--rounds $rounds: give a positive number" ;; esac
    printf '%s\n' "$rounds"
}

# criterion_settings QUICK: the Criterion settings of every run, one a line. None for a full run (the
# suites' own). For a quick run (QUICK=1), short ones, because quick runs come in several rounds:
# on a shared machine a whole run can come out slower than another of the same binary, and more
# runs give each side more chances of a clean one than more samples in one run would. They
# override the suites' own defaults (benches/suites/mod.rs, config()).
criterion_settings() {
    if [ "$1" = 1 ]; then
        printf '%s\n' --warm-up-time 0.3 --measurement-time 0.5 --sample-size 20 --nresamples 10000
    fi
}

# join_baselines PREFIX ROUNDS: PREFIX-1,PREFIX-2,...: the runs of one side, pooled by compare.
join_baselines() {
    local prefix=$1 rounds=$2 round list=
    for round in $(seq 1 "$rounds"); do
        list="${list:+$list,}$prefix-$round"
    done
    printf '%s\n' "$list"
}
