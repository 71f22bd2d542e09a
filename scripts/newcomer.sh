#!/usr/bin/env bash
# A newcomer's path, literally as README's "Benchmark your own code" writes it: a fresh package
# outside poolbench's workspace (cargo new), the Cargo.toml lines README shows, the workload of
# examples/own-workload as the user's library, README's bench file word for word. It must build,
# run each benchmark once, accept Criterion's own flags (--save-baseline), document, and install
# the poolbench command as README says.
# Usage: scripts/newcomer.sh [WORK_DIR]   (default: a temporary directory, removed at the end)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-}"
if [[ -z "$work" ]]; then
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
fi

# The fenced block of kind $1 (toml, rust) in README's "Benchmark your own code" section.
readme_block() {
    awk -v kind="$1" '
        /^## / { inside = ($0 == "## Benchmark your own code") }
        inside && $1 == "```" kind { block = 1; next }
        inside && block && $1 == "```" { exit }
        inside && block { sub(/^   /, ""); print }
    ' "$root/README.md"
}

mkdir -p "$work" && cd "$work"
cargo new --quiet --lib own-workload
cd own-workload
toml="$(readme_block toml)"
if [[ -z "$toml" ]]; then
    echo "error: README's 'Benchmark your own code' has no toml block; scripts/newcomer.sh reads it" >&2
    exit 1
fi
# README's path to poolbench is a placeholder for wherever the user keeps it: here, this checkout.
# cargo new wrote an empty [dependencies] table; README's lines replace it.
sed -i '/^\[dependencies\]$/d' Cargo.toml
printf '%s\n' "${toml//..\/poolbench/$root}" >>Cargo.toml
# What the user's own library needs besides poolbench (README leaves that to them).
cargo add --quiet serde --features derive
cargo add --quiet serde_json
cp "$root/examples/own-workload/src/lib.rs" src/lib.rs
mkdir -p benches
readme_block rust >benches/orders.rs
# The same versions as the example, and its build directory: only this package is compiled anew.
cp "$root/examples/own-workload/Cargo.lock" Cargo.lock
export CARGO_TARGET_DIR="$root/examples/own-workload/target"

cargo bench -- --test
cargo bench -- --save-baseline newcomer --warm-up-time 0.05 --measurement-time 0.1 --sample-size 10 \
    'orders/totals/(Sequential|ProcessPool)' >/dev/null
cargo doc --quiet --no-deps
# With poolbench in [dev-dependencies], as README once said, this one panicked inside cargo.
cargo doc --quiet --no-deps -p poolbench
# README's way to get the `poolbench` command (`cargo install --path ../poolbench --bin
# poolbench`), its path this checkout, installed into the work directory; its build reuses the
# release artefacts the benches just built.
cargo install --quiet --path "$root" --bin poolbench --root "$work/bin"
"$work/bin/bin/poolbench" gate --help | grep -q -- '--base' || {
    echo "error: the poolbench command README installs has no 'gate --base'" >&2
    exit 1
}
echo "newcomer: README's steps build, bench (--test, --save-baseline), document and install the poolbench command in $work"
