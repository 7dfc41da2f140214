#!/usr/bin/env bash
# End-to-end comparison with peers (issue 11): point → county assignment and the county×kind×
# month statistic, shikong against DuckDB spatial, PostGIS and GeoPandas on the same inputs,
# with per-point / per-county agreement; division tiles, shikong against martin over PostGIS,
# same tiles, wrk at fixed concurrency. Writes benches/RESULTS.md.
#
#   bash benches/peers/run.sh                          # 1,000,000 points, 3,000,000 records
#   POINTS=1000000,10000000 bash benches/peers/run.sh  # RECORDS defaults to max(3M, points)
#
# Installs its peers itself: PyPI packages pinned in benches/peers/requirements.txt in a venv
# (PEERS_VENV, default ~/.cache/shikong-peers-venv; reinstalled when the file changes) and
# Debian postgresql-15-postgis-3, run as a private throw-away cluster in a temp dir on a free
# port (as the `postgres` OS user; stopped on exit); martin (cargo install, pinned, into
# PEERS_BIN, default ~/.cache/shikong-peers-bin; built once) and Debian wrk. Other knobs:
# CONNECTIONS and DURATION (wrk, default 4 and 20s per run), DATA_DIR (default data),
# KIND (the kind timed in the statistic, default dibao), REPEATS (runs per fast assignment
# timing, default 5, fewer once a minute is spent; PostGIS and GeoPandas run once), PORT (the shikong server, default 18090),
# SKIP_BUILD=1 (use the release binary as built, no cargo build), KEEP_WORK=1 (keep the temp
# dir with the inputs, every peer's output and results.jsonl).
set -euo pipefail
cd "$(dirname "$0")/../.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/shikong-target}"
points_list="${POINTS:-1000000}"
largest="$(tr ',' '\n' <<<"$points_list" | sort -n | tail -1)"
records="${RECORDS:-$((largest > 3000000 ? largest : 3000000))}"
data_dir="${DATA_DIR:-data}"
venv="${PEERS_VENV:-$HOME/.cache/shikong-peers-venv}"
kind="${KIND:-dibao}"
repeats="${REPEATS:-5}"
port="${PORT:-18090}"
pg_version=15
pgbin="/usr/lib/postgresql/$pg_version/bin"
here=benches/peers
work="$(mktemp -d)"
pgdir="$(mktemp -d)"
results="$work/results.jsonl"
server=""

cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  [ -n "${martin_server:-}" ] && kill "$martin_server" 2>/dev/null || true
  if [ -f "$pgdir/data/postmaster.pid" ]; then
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$pgdir"
  if [ -n "${KEEP_WORK:-}" ]; then echo "inputs, outputs and results kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

load_at_start="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- 1. The peers ---------------------------------------------------------------------------
if [ ! -x "$pgbin/initdb" ] || [ ! -e "/usr/lib/postgresql/$pg_version/lib/postgis-3.so" ]; then
  echo "== installing PostgreSQL $pg_version + PostGIS 3 (Debian)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    "postgresql-$pg_version" "postgresql-$pg_version-postgis-3" >/dev/null
fi
if ! cmp -s "$here/requirements.txt" "$venv/requirements.txt" 2>/dev/null; then
  echo "== creating the peers' Python environment in $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$venv/requirements.txt"
fi
py="$venv/bin/python"

echo "== starting a private PostgreSQL cluster"
pg_port="$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
chown postgres:postgres "$pgdir"
runuser -u postgres -- "$pgbin/initdb" -D "$pgdir/data" -U postgres -A trust -E UTF8 \
  --no-locale >/dev/null
# A throw-away benchmark cluster: durability off, memory for 2 cores / 24 GiB.
cat >>"$pgdir/data/postgresql.conf" <<CONF
listen_addresses = ''
port = $pg_port
unix_socket_directories = '$pgdir'
shared_buffers = 4GB
work_mem = 256MB
maintenance_work_mem = 2GB
effective_cache_size = 16GB
max_wal_size = 16GB
fsync = off
synchronous_commit = off
full_page_writes = off
max_worker_processes = 8
max_parallel_workers = 2
max_parallel_maintenance_workers = 2
CONF
runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w start >/dev/null
export PGHOST="$pgdir" PGPORT="$pg_port" PGUSER=postgres

# --- 2. Data --------------------------------------------------------------------------------
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --locked --quiet
# A private copy: every figure of the run comes from one binary, whatever rebuilds meanwhile.
cp "$CARGO_TARGET_DIR/release/shikong" "$work/shikong"
bin="$work/shikong"
shikong_version="$("$bin" --version) ($(git describe --always --dirty 2>/dev/null || echo "?"))"
echo "== shikong database: $records records in $data_dir"
"$bin" --data-dir "$data_dir" init --records "$records" >/dev/null
echo "== writing the peers' inputs"
"$py" "$here/prepare.py" --db "$data_dir/shikong.duckdb" --out "$work" --points "$points_list" \
  --results "$results"

# --- 3. Point → county assignment -----------------------------------------------------------
for n in $(tr ',' '\n' <<<"$points_list" | sort -n | uniq); do
  echo "== point → county, $n points"
  common=(--work "$work" --points "$n" --results "$results")
  for threads in 1 all; do
    "$py" "$here/assign_peers.py" shikong "${common[@]}" --repeats "$repeats" --bin "$bin" \
      --data-dir "$data_dir" --threads "$threads"
  done
  "$py" "$here/assign_peers.py" duckdb "${common[@]}" --repeats "$repeats" --threads "1,$(nproc)"
  "$py" "$here/assign_peers.py" postgis "${common[@]}" --workers "0,$(nproc)"
  "$py" "$here/assign_peers.py" geopandas "${common[@]}"
  "$py" "$here/agree.py" "${common[@]}"
done

# --- 4. County × kind × month ---------------------------------------------------------------
echo "== county × kind × month, kind $kind, the data's last month"
agg=(--work "$work" --results "$results" --kind "$kind")
"$py" "$here/aggregate.py" duckdb "${agg[@]}" --db "$data_dir/shikong.duckdb" \
  --threads "1,$(nproc)"
"$py" "$here/aggregate.py" postgis "${agg[@]}" --workers "0,$(nproc)"
wait_up() { # $1 = URL answering once up, $2 = pid, $3 = name, $4 = log, $5 = seconds
  for _ in $(seq 1 $(($5 * 5))); do
    curl -sf "$1" >/dev/null && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.2
  done
  echo "$3 did not start"; cat "$4"; exit 1
}
start_server() { # extra serve options
  "$bin" --data-dir "$data_dir" serve --records "$records" --port "$port" "$@" \
    >"$work/server.log" 2>&1 &
  server=$!
  wait_up "http://127.0.0.1:$port/health" "$server" "the shikong server" "$work/server.log" 300
}
stop_server() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }
start_server
token_file="$data_dir/admin.token"
if [ ! -s "$token_file" ]; then
  # Users exist but the first administrator's token file is gone: a token of our own.
  stop_server
  "$bin" --data-dir "$data_dir" user add "peers-bench-$(date +%s)" --scope 000000 --role admin \
    | tail -1 >"$work/token"
  token_file="$work/token"
  start_server
fi
token="$(cat "$token_file")"
"$py" "$here/aggregate.py" api "${agg[@]}" --repeats 20 --url "http://127.0.0.1:$port" \
  --token-file "$token_file" --server-pid "$server"
stop_server
"$py" "$here/aggregate.py" compare "${agg[@]}"

# --- 5. Tile serving: shikong vs martin over PostGIS ------------------------------------------
martin_version=1.14.0 # the newest martin the project's toolchain (rustc 1.95) builds
martin_root="${PEERS_BIN:-$HOME/.cache/shikong-peers-bin}"
martin="$martin_root/bin/martin"
if ! "$martin" --version 2>/dev/null | grep -qF "$martin_version"; then
  echo "== installing martin $martin_version (cargo install, PostgreSQL source only; built once)"
  CARGO_TARGET_DIR="$martin_root/target" cargo install "martin@$martin_version" --locked \
    --no-default-features --features postgres --root "$martin_root" --quiet
  rm -rf "$martin_root/target"
fi
if ! command -v wrk >/dev/null; then
  echo "== installing wrk (Debian)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
connections="${CONNECTIONS:-4}"
duration="${DURATION:-20s}"
martin_port="$((port + 1))"
tiles=(--work "$work" --results "$results" --kind "$kind")
echo "== division tiles: PostGIS source for martin, tile list"
"$py" "$here/tiles.py" postgis "${tiles[@]}"
"$py" "$here/tiles.py" paths "${tiles[@]}" --out "$work"
martin_server=""
start_martin() { # $1 = tile cache MiB (0 = off)
  cat >"$work/martin.yaml" <<YAML
listen_addresses: "127.0.0.1:$martin_port"
worker_processes: $(nproc)
cache_size_mb: $1
postgres:
  connection_string: "postgresql:///postgres?host=$pgdir&port=$pg_port&user=postgres"
  auto_publish: false
  functions:
    division:
      schema: public
      function: division
      minzoom: 0
      maxzoom: 14
YAML
  "$martin" --config "$work/martin.yaml" >"$work/martin.log" 2>&1 &
  martin_server=$!
  wait_up "http://127.0.0.1:$martin_port/catalog" "$martin_server" martin "$work/martin.log" 60
}
stop_martin() { kill "$martin_server"; wait "$martin_server" 2>/dev/null || true; martin_server=""; }
load() { # $1 = server, $2 = cache on|off, $3 = base URL, $4 = paths file, $5 = bearer token or ""
  WRK_PATHS="$4" WRK_TOKEN="$5" wrk -t 2 -c "$connections" -d "$duration" --latency \
    -s benches/load/list.lua "$3" >"$work/wrk.out"
  "$py" "$here/tiles.py" wrk "${tiles[@]}" --server "$1" --cache "$2" --file "$work/wrk.out" \
    --connections "$connections" --duration "$duration"
}
shikong_url="http://127.0.0.1:$port"
martin_url="http://127.0.0.1:$martin_port"
for cache in off on; do
  mb=$([ "$cache" = on ] && echo 512 || echo 0)
  echo "== division tiles, cache $cache, $connections connections, $duration per server"
  start_server --rate-limit 0 --tile-cache-mb "$mb"
  "$py" "$here/tiles.py" settle "${tiles[@]}" --pid "$server"
  start_martin "$mb"
  if [ "$cache" = off ]; then
    "$py" "$here/tiles.py" agree "${tiles[@]}" --shikong "$shikong_url" --martin "$martin_url" \
      --token-file "$token_file"
  else
    "$py" "$here/tiles.py" warm "${tiles[@]}" --url "$shikong_url" \
      --paths "$work/paths_shikong.txt" --token-file "$token_file"
    "$py" "$here/tiles.py" warm "${tiles[@]}" --url "$martin_url" --paths "$work/paths_martin.txt"
  fi
  # One server at a time under load: the other idles, the machine is the load test's.
  load shikong "$cache" "$shikong_url" "$work/paths_shikong.txt" "$token"
  load martin "$cache" "$martin_url" "$work/paths_martin.txt" ""
  stop_martin
  stop_server
done

# --- 6. The report --------------------------------------------------------------------------
"$py" "$here/report.py" --results "$results" --out benches/RESULTS.md \
  --shikong-version "$shikong_version" \
  --command "POINTS=$points_list RECORDS=$records bash benches/peers/run.sh" \
  --load-at-start "$load_at_start" \
  --martin-version "$("$martin" --version | awk '{print $NF}')" \
  --wrk-version "$(wrk -v 2>&1 | head -1 | awk '{print $2}')"
echo "== wrote benches/RESULTS.md"
