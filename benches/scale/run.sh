#!/usr/bin/env bash
# 10⁸ records on one machine (issue 11): generate, assign, aggregate and serve with the release
# binary, wall time and peak resident memory (RSS) of every stage. Writes benches/SCALE.md.
#
#   bash benches/scale/run.sh                       # 100,000,000 records
#   RECORDS=10000000 bash benches/scale/run.sh      # a smaller rehearsal
#
# Knobs: DATA_DIR (default ~/.cache/shikong-scale-data; the database is rebuilt), PORT
# (default 18095), CONNECTIONS and DURATION (wrk, default 4 and 20s), SKIP_BUILD=1, OUT (the
# report, default benches/SCALE.md). Needs python3 and wrk (Debian; installed when missing).
set -euo pipefail
cd "$(dirname "$0")/../.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/shikong-target}"
records="${RECORDS:-100000000}"
data_dir="${DATA_DIR:-$HOME/.cache/shikong-scale-data}"
port="${PORT:-18095}"
connections="${CONNECTIONS:-4}"
duration="${DURATION:-20s}"
out="${OUT:-benches/SCALE.md}"
here=benches/scale
work="$(mktemp -d)"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

if ! command -v wrk >/dev/null; then
  echo "== installing wrk (Debian)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --locked --quiet
cp "$CARGO_TARGET_DIR/release/shikong" "$work/shikong"
bin="$work/shikong"
version="$("$bin" --version) ($(git describe --always --dirty 2>/dev/null || echo "?"))"
load_at_start="$(cut -d' ' -f1-3 /proc/loadavg)"
stages="$work/stages.jsonl"
measure() { python3 "$here/measure.py" "$stages" "$@"; }

mkdir -p "$data_dir"
echo "== 1. generate $records records into $data_dir"
measure generate -- "$bin" --data-dir "$data_dir" init --force --records "$records"
du -sb "$data_dir/shikong.duckdb" | awk '{print "{\"stage\": \"database\", \"bytes\": " $1 "}"}' >>"$stages"

echo "== 2. assign: every stored record to its county and H3 cell again"
measure assign -- "$bin" --data-dir "$data_dir" assign

echo "== 3. serve: start (loads the records' intervals), aggregate, tiles"
started=$(date +%s.%N)
"$bin" --data-dir "$data_dir" serve --records "$records" --port "$port" --rate-limit 0 \
  --tile-cache-mb 0 >"$work/server.log" 2>&1 &
server=$!
until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do
  kill -0 "$server" 2>/dev/null || { echo "server died"; cat "$work/server.log"; exit 1; }
  sleep 0.5
done
ready=$(date +%s.%N)
python3 - "$started" "$ready" "$server" >>"$stages" <<'PY'
import json, sys
started, ready, pid = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
status = dict(l.split(":", 1) for l in open(f"/proc/{pid}/status"))
print(json.dumps({"stage": "serve_start", "wall_s": round(ready - started, 2),
                  "rss_mib": round(int(status["VmRSS"].split()[0]) / 1024, 1)}))
PY
tail -1 "$stages"
python3 "$here/serve.py" --settle --pid "$server" --results "$stages"
token="$(cat "$data_dir/admin.token")"
base="http://127.0.0.1:$port"
python3 "$here/serve.py" --base "$base" --token "$token" --pid "$server" --work "$work" \
  --results "$stages"
WRK_PATHS="$work/paths.txt" WRK_TOKEN="$token" wrk -t 2 -c "$connections" -d "$duration" \
  --latency -s benches/load/list.lua "$base" | tee "$work/wrk.out"
python3 "$here/serve.py" --wrk "$work/wrk.out" --pid "$server" --results "$stages" \
  --connections "$connections" --duration "$duration"
kill "$server"; wait "$server" 2>/dev/null || true; server=""

python3 "$here/report.py" --stages "$stages" --out "$out" --version "$version" \
  --records "$records" --load-at-start "$load_at_start" \
  --command "RECORDS=$records bash benches/scale/run.sh"
echo "== wrote $out"
