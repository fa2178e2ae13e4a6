#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS/3 each and fails on the first crash, leak, timeout,
# sanitizer report or broken invariant.
#   tests/fuzz/run-fuzzers.sh BUILD_DIR SECONDS
# BUILD_DIR is a build of the `fuzz` preset. Seeds are built from tests/fuzz/seeds in a
# temporary folder, so nothing in the source tree is written; when $TANTRA_CORPUS_DIR is set,
# its real files are added as extra read-only seeds. A crashing input is kept in
# BUILD_DIR/fuzz-artifacts for reproduction: `BUILD_DIR/bin/fuzz_header <file>`.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 BUILD_DIR SECONDS" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
per_target=$((seconds / 3))
((per_target >= 1)) || per_target=1

work=$(mktemp -d "${TMPDIR:-/tmp}/tantra-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"

# Little-endian u64, as the safetensors length prefix.
le64() {
    local n=$1 i
    for ((i = 0; i < 8; i++)); do
        printf "\\x$(printf %02x $(((n >> (8 * i)) & 255)))"
    done
}

# Header seeds are written as plain JSON; make each a whole file: length prefix, JSON, and as
# many data bytes as the largest data offset asks for.
mkdir -p "$work/header" "$work/index" "$work/pickle"
for json in "$here"/seeds/header/*.json; do
    size=$(stat -c %s "$json")
    data=$(grep -o '"data_offsets":\[[0-9]*,[0-9]*\]' "$json" | sed 's/.*,\([0-9]*\)\]/\1/' | sort -n | tail -1 || true)
    out="$work/header/$(basename "$json" .json).safetensors"
    { le64 "$size"; cat "$json"; head -c "${data:-0}" /dev/urandom; } > "$out"
done
cp "$here"/seeds/index/*.json "$work/index/"
cp "$here"/seeds/pickle/*.pkl "$work/pickle/"

header_extra=()
if [[ -n "${TANTRA_CORPUS_DIR:-}" ]]; then
    for d in valid invalid; do
        [[ -d "$TANTRA_CORPUS_DIR/$d" ]] && header_extra+=("$TANTRA_CORPUS_DIR/$d")
    done
    while IFS= read -r -d '' f; do
        cp "$f" "$work/index/corpus-$(basename "$(dirname "$f")")-$(basename "$f")"
    done < <(find "$TANTRA_CORPUS_DIR" -name '*.index.json' -print0)
    # The real checkpoints' pickles: data.pkl out of each zip, the legacy stream whole.
    if [[ -d "$TANTRA_CORPUS_DIR/pytorch" ]]; then
        n=0
        while IFS= read -r -d '' f; do
            n=$((n + 1))
            if unzip -Z1 "$f" >/dev/null 2>&1; then
                unzip -p "$f" '*/data.pkl' > "$work/pickle/corpus-$n.pkl" 2>/dev/null || true
            else
                head -c 65536 "$f" > "$work/pickle/corpus-$n.pkl"
            fi
        done < <(find "$TANTRA_CORPUS_DIR/pytorch" \( -name '*.pt' -o -name '*.bin' -o -name '*.pth' \) -print0)
    fi
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

status=0
run() {
    local target=$1 dict=$2
    shift 2
    local exe="$build/bin/$target"
    if [[ ! -x "$exe" ]]; then
        echo "FAIL: $exe not built (cmake --preset fuzz && cmake --build --preset fuzz)" >&2
        status=1
        return
    fi
    echo "=== $target: ${per_target}s"
    # The first folder receives new inputs; the others are only read.
    if "$exe" -max_total_time="$per_target" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
        -dict="$here/$dict" -print_final_stats=1 -artifact_prefix="$artifacts/$target-" \
        "$@" > "$work/$target.log" 2>&1; then
        grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' "$work/$target.log" || true
        echo "$target: no crash"
    else
        tail -n 60 "$work/$target.log" >&2
        echo "FAIL: $target crashed; input kept in $artifacts/" >&2
        status=1
    fi
}

run fuzz_header header.dict "$work/header" ${header_extra[@]+"${header_extra[@]}"}
run fuzz_index index.dict "$work/index"
run fuzz_pickle pickle.dict "$work/pickle"
exit $status
