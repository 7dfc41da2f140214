#!/usr/bin/env bash
# End-to-end tile load test: the release server on the default dataset, a realistic list of
# tiles (z6–z10 around every county's centroid, sets mixed as a planner's map asks for them),
# and wrk (Debian) at fixed concurrency: p50/p99 latency and requests/s, uncached (tile cache
# off, every request renders) and cached (cache warmed by a first pass).
#
#   bash benches/load/tiles.sh            # default dataset in data/, 4 connections, 20 s each
#   RECORDS=10000000 DURATION=30s bash benches/load/tiles.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/shikong-target}"
records="${RECORDS:-3000000}"
data_dir="${DATA_DIR:-data}"
duration="${DURATION:-20s}"
connections="${CONNECTIONS:-4}"
port="${PORT:-18080}"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

if ! command -v wrk >/dev/null; then
  echo "== installing wrk (Debian)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --locked --quiet
bin="$CARGO_TARGET_DIR/release/shikong"
"$bin" --data-dir "$data_dir" init --records "$records" >/dev/null

start() { # $1 = tile cache MiB
  "$bin" --data-dir "$data_dir" serve --records "$records" --port "$port" --tile-cache-mb "$1" \
    --rate-limit 0 \
    2>"$work/server.log" &
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null && return 0
    sleep 0.2
  done
  echo "server did not start"; cat "$work/server.log"; exit 1
}

# The tile list: for each county centroid, the tiles under it at z6..z10; per tile one set,
# chosen as a planner's session would (division choropleth most, then hexagons, facilities).
start 0
# Tiles need sign-in: the first administrator's token the server wrote at its first start.
token="$(cat "$data_dir/admin.token")" || { echo "no $data_dir/admin.token"; exit 1; }
auth=(-H "Authorization: Bearer $token")
curl -sf "${auth[@]}" "http://127.0.0.1:$port/api/v1/divisions?level=county" >"$work/counties.json"
python3 - "$work/counties.json" "$work/paths.txt" <<'PY'
import json, random, sys
sys.path.insert(0, "benches/peers")
from common import tile_of
counties = json.load(open(sys.argv[1]))["divisions"]
random.seed(7)
paths = set()
for d in counties:
    if not d.get("centroid"):
        continue
    lon, lat = d["centroid"]
    for z in range(6, 11):
        x, y = tile_of(lon, lat, z)
        r = random.random()
        if r < 0.6:
            paths.add(f"/tiles/division/{z}/{x}/{y}.mvt?kind=dibao&measure=rate")
        elif r < 0.85:
            paths.add(f"/tiles/hex/{z}/{x}/{y}.mvt?kind=dibao")
        else:
            paths.add(f"/tiles/facility/{z}/{x}/{y}.mvt")
paths = sorted(paths)
random.shuffle(paths)
open(sys.argv[2], "w").write("\n".join(paths) + "\n")
print(f"{len(paths)} distinct tiles")
PY

report() { # $1 = label
  WRK_PATHS="$work/paths.txt" WRK_TOKEN="$token" wrk -t 2 -c "$connections" -d "$duration" \
    --latency -s benches/load/list.lua "http://127.0.0.1:$port" >"$work/wrk.txt"
  awk -v label="$1" '
    / 50%/ { p50 = $2 } / 99%/ { p99 = $2 } /Requests\/sec/ { rps = $2 }
    / Non-2xx/ { bad = $NF }
    END { printf "%-10s p50 %-9s p99 %-9s %s req/s%s\n", label, p50, p99, rps, (bad ? "  non-2xx: " bad : "") }' "$work/wrk.txt"
}

# Hex aggregates are per month and resolution, not per tile (like the stats snapshot): build
# them once per zoom so that "uncached" measures making tiles.
# The server simplifies boundaries per zoom band in the background after start; wait for it
# the same way (one division tile per zoom).
for z in 6 7 8 9 10; do
  for set in hex division; do
    p="$(grep -m1 "^/tiles/$set/$z/" "$work/paths.txt" || true)"
    [ -n "$p" ] && curl -s -o /dev/null "${auth[@]}" "http://127.0.0.1:$port$p"
  done
done
echo "== $(wc -l <"$work/paths.txt") tiles, $connections connections, $duration, $(nproc) cores, $records records"
report uncached
kill %1; wait 2>/dev/null || true
start 256
while read -r p; do curl -s -o /dev/null "${auth[@]}" "http://127.0.0.1:$port$p"; done <"$work/paths.txt"
report cached
