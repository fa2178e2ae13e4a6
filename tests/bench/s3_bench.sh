#!/usr/bin/env bash
# Push and pull of one weight through the local Ceph RADOS Gateway, side by side with s3cmd's
# put and get of the same file against the same server (docs/PERFORMANCE.md, "Remotes").
#   tests/bench/s3_bench.sh [--size-mib 1024] [--runs 3] [--cli build/release/bin/tantra-model-manager]
# Needs Ceph's packages (tests/s3/README.md), s3cmd, GNU time and python3-numpy. Every run
# runs against a fresh cluster (nothing to skip or resume; the memory-backed OSD empty).
# The file is in the page cache before each run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
size_mib=1024
runs=3
cli=$here/../../build/release/bin/tantra-model-manager
while [[ $# -gt 0 ]]; do
    case $1 in
        --size-mib) size_mib=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --cli) cli=$2; shift 2 ;;
        *) echo "usage: $0 [--size-mib N] [--runs N] [--cli PATH]" >&2; exit 2 ;;
    esac
done
for tool in s3cmd /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "$0: needs $tool" >&2; exit 2; }
done
[[ -x $cli ]] || { echo "$0: no CLI at $cli (cmake --build --preset release)" >&2; exit 2; }

work=$(mktemp -d /tmp/tantra-s3bench-XXXXXX)
cleanup() {
    for d in "$work"/rgw*; do [[ -d $d ]] && "$here/../s3/rgw.sh" stop "$d" >/dev/null 2>&1; done
    rm -rf "$work"
}
trap cleanup EXIT
# A fresh cluster per run: the OSD keeps objects in memory, and RGW frees deleted objects'
# data only hours later, so reusing one cluster fills it and the later runs crawl.
start_cluster() {
    "$here/../s3/rgw.sh" start "$work/rgw$1" >/dev/null
    eval "$("$here/../s3/rgw.sh" env "$work/rgw$1")"
    local host=${S3_ENDPOINT#http://}
    cat > "$work/s3cfg" <<CFG
[default]
access_key = $S3_ACCESS_KEY
secret_key = $S3_SECRET_KEY
host_base = $host
host_bucket = $host
use_https = False
signature_v2 = False
CFG
}
s3=(s3cmd -c "$work/s3cfg" --no-progress)

/usr/bin/python3 - "$work/bench.safetensors" "$size_mib" <<'PY'
import json, struct, sys
import numpy as np
path, mib = sys.argv[1], int(sys.argv[2])
n = mib * (1 << 20) // 4
a = np.random.default_rng(0).standard_normal(n, dtype=np.float32)
h = json.dumps({"w": {"dtype": "F32", "shape": [n], "data_offsets": [0, a.nbytes]}}).encode()
h += b" " * (-len(h) % 8)
with open(path, "wb") as f:
    f.write(struct.pack("<Q", len(h))); f.write(h); a.tofile(f)
PY
"$cli" --root "$work/a" setup >/dev/null
"$cli" --root "$work/b" setup >/dev/null
"$cli" --root "$work/a" import "$work/bench.safetensors" --type bench --new-type --version v1 >/dev/null
file=$("$cli" --root "$work/a" list-weights bench --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["path"])')
file=$work/a/$file
bytes=$(stat -c %s "$file")

# wall seconds and peak RSS (KiB) of one command, after a sync so that no earlier writeback
# competes with it
timed() { sync; /usr/bin/time -f "%e %M" -o "$work/t" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }; cat "$work/t"; }
best() { sort -n | head -1; }

declare -A wall rss
record() { # name "seconds kib"
    local s=${2% *} k=${2#* }
    if [[ -z ${wall[$1]:-} ]] || awk "BEGIN{exit !($s < ${wall[$1]})}"; then wall[$1]=$s; rss[$1]=$k; fi
}
for ((r = 1; r <= runs; r++)); do
    start_cluster "$r"
    cat "$file" > /dev/null
    "$cli" --root "$work/a" remote add "run$r" "s3://$S3_BUCKET/run$r" --endpoint "$S3_ENDPOINT" --path-style >/dev/null
    "$cli" --root "$work/b" remote add "run$r" "s3://$S3_BUCKET/run$r" --endpoint "$S3_ENDPOINT" --path-style >/dev/null
    record push "$(timed "$cli" --root "$work/a" push bench_v1 --remote "run$r")"
    record "s3cmd put" "$(timed "${s3[@]}" put "$file" "s3://$S3_BUCKET/s3cmd$r/file")"
    record pull "$(timed "$cli" --root "$work/b" pull bench_v1 --remote "run$r")"
    record "s3cmd get" "$(timed "${s3[@]}" get --force "s3://$S3_BUCKET/s3cmd$r/file" "$work/got")"
    "$cli" --root "$work/b" remove bench_v1 >/dev/null
    rm -f "$work/got"
    "$here/../s3/rgw.sh" stop "$work/rgw$r" >/dev/null
done

printf '%s of %d MiB (%d bytes), best of %d runs, local RGW (memstore) at %s\n' "$(basename "$file")" "$size_mib" "$bytes" "$runs" "$S3_ENDPOINT"
printf '%-12s %9s %10s %12s\n' command wall MB/s "peak RSS"
for name in push "s3cmd put" pull "s3cmd get"; do
    printf '%-12s %8.2fs %10.0f %9.1f MB\n' "$name" "${wall[$name]}" "$(awk "BEGIN{print $bytes / ${wall[$name]} / 1e6}")" "$(awk "BEGIN{print ${rss[$name]} / 1024}")"
done
printf 'push / s3cmd put: %.2fx its speed;  pull / s3cmd get: %.2fx its speed\n' \
    "$(awk "BEGIN{print ${wall["s3cmd put"]} / ${wall[push]}}")" "$(awk "BEGIN{print ${wall["s3cmd get"]} / ${wall[pull]}}")"
