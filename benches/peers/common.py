"""Shared helpers of the harnesses (benches/peers, benches/scale): results file, timing, DuckDB
with the spatial extension loaded offline from the PyPI package, PostgreSQL connection (libpq
environment from run.sh), the shikong API, waiting for a server to settle, wrk reports, tile
addresses. Standard library at import time: benches/scale uses it without the peers' venv."""

import http.client
import importlib.util
import json
import math
import pathlib
import re
import statistics
import time
import urllib.parse


def record(results, step, **fields):
    """Appends one result (a JSON object) to the run's results file."""
    with open(results, "a", encoding="utf-8") as f:
        f.write(json.dumps({"step": step, **fields}, ensure_ascii=False) + "\n")


def read_results(results):
    with open(results, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def timed(fn):
    """Runs fn(), returns (seconds, its value)."""
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def median(values):
    return statistics.median(values)


def spatial_extension_dir():
    """The extension directory shipped by PyPI duckdb-ext-spatial: it holds
    v{duckdb version}/{platform}/spatial.duckdb_extension, so `LOAD spatial` finds it there
    without any download (autoinstall is switched off)."""
    spec = importlib.util.find_spec("duckdb_ext")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("duckdb-ext-spatial is not installed (benches/peers/requirements.txt)")
    return str(pathlib.Path(list(spec.submodule_search_locations)[0]) / "extensions")


def duckdb_connect(database=":memory:", read_only=False, threads=None):
    import duckdb

    config = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "extension_directory": spatial_extension_dir(),
    }
    if threads:
        config["threads"] = int(threads)
    con = duckdb.connect(database, read_only=read_only, config=config)
    con.execute("LOAD spatial")
    return con


def duckdb_versions():
    import duckdb

    con = duckdb_connect()
    spatial = con.execute(
        "SELECT extension_version FROM duckdb_extensions() WHERE extension_name = 'spatial'"
    ).fetchone()[0]
    return {"duckdb": duckdb.__version__, "spatial": spatial}


def pg_connect():
    """Connection to the private cluster started by run.sh (PGHOST/PGPORT/PGUSER set there)."""
    import psycopg

    return psycopg.connect(dbname="postgres", autocommit=True)


def month_bounds(month):
    """The dates of shikong's month semantics (sql/stats_by_division.sql): as-of (last day),
    first day, first day of next month, previous month's last and first day."""
    import datetime as dt

    year, mon = map(int, month.split("-"))
    first = dt.date(year, mon, 1)
    next_first = dt.date(year + mon // 12, mon % 12 + 1, 1)
    as_of = next_first - dt.timedelta(days=1)
    prev_last = first - dt.timedelta(days=1)
    prev_first = prev_last.replace(day=1)
    return {
        "as_of": as_of.isoformat(),
        "first": first.isoformat(),
        "next_first": next_first.isoformat(),
        "prev_as_of": prev_last.isoformat(),
        "prev_first": prev_first.isoformat(),
    }


def pg_parallel(cur, workers):
    """Allows `workers` parallel workers per gather and, when any, makes parallel plans free
    (the default costs keep these queries serial on 2 cores)."""
    cur.execute(f"SET max_parallel_workers_per_gather = {workers}")
    for setting in ("parallel_setup_cost", "parallel_tuple_cost", "min_parallel_table_scan_size"):
        cur.execute(f"SET {setting} = 0" if workers else f"RESET {setting}")


def describe_plan(node):
    """Node types of a PostgreSQL plan, children in brackets, outer first:
    'Gather(2 workers) [Nested Loop [Seq Scan on counties; Index Scan on points_geom]]'."""
    name = node["Node Type"]
    if "Workers Planned" in node:
        n = node['Workers Planned']
        name += f"({n} worker{'s' if n != 1 else ''})"
    if node.get("Index Name"):
        name += f" on {node['Index Name']}"
    elif node.get("Relation Name"):
        name += f" on {node['Relation Name']}"
    children = [describe_plan(c) for c in node.get("Plans", [])]
    return name + (" [" + "; ".join(children) + "]" if children else "")


def api_getter(base_url, token, timeout=120):
    """A GET of shikong's JSON API over one keep-alive connection with the bearer token;
    anything but 200 ends the run."""
    url = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    headers = {"Authorization": f"Bearer {token}"}

    def get(path):
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"GET {path}: HTTP {response.status} {body[:300]!r}")
        return json.loads(body)

    return get


def wait_idle(pid, limit_s=300):
    """Waits until the server's start-up work in the background (simplified boundaries,
    warm-up figures) is done: under 5 % of a core over a second, twice in a row. Returns the
    seconds waited."""
    def cpu():
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])

    quiet, started = 0, time.time()
    while quiet < 2 and time.time() - started < limit_s:
        before = cpu()
        time.sleep(1)
        quiet = quiet + 1 if cpu() - before < 5 else 0
    return time.time() - started


def parse_wrk(text):
    """Requests, requests/s, p50/p90/p99 (ms) and non-2xx answers of a `wrk --latency` report."""
    unit = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}

    def ms(value):
        number, suffix = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
        return round(float(number) * unit[suffix], 3)

    latency = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", text, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket = re.search(r"Socket errors: (.*)", text)
    return {
        "requests": int(re.search(r"(\d+) requests in", text).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
        "p50_ms": ms(latency["50"]), "p90_ms": ms(latency["90"]), "p99_ms": ms(latency["99"]),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket.group(1) if socket else None,
    }


def tile_of(lon, lat, z):
    """The Web-Mercator XYZ tile (x, y) holding a lon/lat point at zoom z."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    phi = math.radians(lat)
    y = int((1 - math.log(math.tan(phi) + 1 / math.cos(phi)) / math.pi) / 2 * n)
    return x, y
