"""County × kind × month statistic for the data's last month: timed for one kind (shikong's
API warm, median of --repeats HTTP requests; the peers' SQL, median of --repeats queries) and
figures for every kind, compared per county.

  aggregate.py duckdb  --db FILE --threads 1,2
  aggregate.py postgis --workers 0,2          (loads the records into the private cluster)
  aggregate.py api     --url URL --token-file FILE
  aggregate.py compare
"""

import argparse
import json
import pathlib
import time

from common import (api_getter, describe_plan, duckdb_connect, median, month_bounds, pg_connect,
                    pg_parallel, record, timed, wait_idle)

parser = argparse.ArgumentParser()
parser.add_argument("source", choices=["duckdb", "postgis", "api", "compare"])
parser.add_argument("--work", required=True)
parser.add_argument("--results", required=True)
parser.add_argument("--kind", default="dibao")
parser.add_argument("--repeats", type=int, default=5)
parser.add_argument("--db")
parser.add_argument("--threads", default="1,2")
parser.add_argument("--workers", default="0,2")
parser.add_argument("--url")
parser.add_argument("--token-file")
parser.add_argument("--server-pid", type=int)
args = parser.parse_args()

work = pathlib.Path(args.work)
dataset = json.loads((work / "dataset.json").read_text())
month = dataset["last_month"]
bounds = month_bounds(month)
template = (pathlib.Path(__file__).parent / "county_month.sql").read_text()


def sql(kind):
    return template.format(kind=kind, **bounds)


def kinds_of(run):
    return [k for (k,) in run("SELECT kind FROM kinds ORDER BY kind")]


def figures_of(rows):
    """{code or 'unassigned': [n, n_prev, entered, exited]} without all-zero rows."""
    out = {}
    for code, *values in rows:
        key = "unassigned" if code is None else str(code)
        if any(values):
            out[key] = [int(v) for v in values]
    return out


def save(source, figures):
    (work / f"figures_{source}.json").write_text(json.dumps(figures))


def time_queries(run, label, threads, **extra):
    query = sql(args.kind)
    run(query)  # warm
    runs = []
    for _ in range(args.repeats):
        t, _ = timed(lambda: run(query))
        runs.append(t)
    record(args.results, "aggregate", peer=label, threads=threads, kind=args.kind, month=month,
           ms=median(runs) * 1000, runs_ms=[r * 1000 for r in runs], **extra)
    print(f"{label:9} threads {threads!s:>3}: {median(runs) * 1000:9.1f} ms "
          f"(median of {len(runs)}: {', '.join(f'{r * 1000:.1f}' for r in runs)})")


def duckdb_source():
    figures = None
    for threads in [int(t) for t in args.threads.split(",")]:
        con = duckdb_connect(args.db, read_only=True, threads=threads)
        run = lambda q: con.execute(q).fetchall()  # noqa: E731
        time_queries(run, "duckdb", threads)
        if figures is None:
            figures = {k: figures_of(run(sql(k))) for k in kinds_of(run)}
        con.close()
    save("duckdb", figures)


def postgis_source():
    conn = pg_connect()
    cur = conn.cursor()
    tables = {
        "service_objects": "kind text, county_code integer, valid_from date, valid_to date",
        "facilities": "kind text, county_code integer, valid_from date, valid_to date",
        "kinds": "kind text PRIMARY KEY, is_event boolean",
        "divisions": "code integer, county_code integer, valid_to date",
    }

    def load():
        for table, columns in tables.items():
            cur.execute(f"DROP TABLE IF EXISTS {table}")
            cur.execute(f"CREATE UNLOGGED TABLE {table} ({columns})")
            with open(work / f"{table}.csv", "rb") as f, cur.copy(
                f"COPY {table} FROM STDIN (FORMAT csv, HEADER true)"
            ) as copy:
                while chunk := f.read(1 << 20):
                    copy.write(chunk)
        cur.execute("CREATE INDEX ON divisions (code)")
        for table in tables:
            cur.execute(f"VACUUM ANALYZE {table}")

    load_s, _ = timed(load)
    record(args.results, "aggregate_load", peer="postgis", load_s=load_s)

    def run(q):
        cur.execute(q)
        return cur.fetchall()

    for workers in [int(w) for w in args.workers.split(",")]:
        pg_parallel(cur, workers)
        cur.execute(f"EXPLAIN (FORMAT JSON) {sql(args.kind)}")
        plan = describe_plan(cur.fetchone()[0][0]["Plan"])
        time_queries(run, "postgis", workers if workers else 1, parallel_workers=workers,
                     load_s=load_s, plan=plan)
    figures = {k: figures_of(run(sql(k))) for k in kinds_of(run)}
    save("postgis", figures)


def api_source():
    if args.server_pid:
        wait_idle(args.server_pid)
    token = pathlib.Path(args.token_file).read_text().strip()
    get = api_getter(args.url, token)

    meta = get("/api/v1/meta")
    if meta["months"]["last"] != month:
        raise SystemExit(f"the API's last month {meta['months']['last']} is not the database's {month}")
    kinds = sorted(k["id"] for k in meta["kinds"])

    def stats_path(kind, level="county"):
        return f"/api/v1/stats?level={level}&kind={kind}&month={month}"

    def time_requests(path):
        for _ in range(3):  # warm
            get(path)
        runs = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            get(path)
            runs.append(time.perf_counter() - started)
        return runs

    runs = time_requests(stats_path(args.kind))
    record(args.results, "aggregate", peer="shikong", threads="all", kind=args.kind,
           month=month, ms=median(runs) * 1000, runs_ms=[r * 1000 for r in runs])
    print(f"shikong   threads all: {median(runs) * 1000:9.1f} ms (median of {len(runs)})")
    # The same scan answered at province level (34 rows of JSON instead of ~2,900): how much
    # of the time is building and sending the county rows.
    runs = time_requests(stats_path(args.kind, "province"))
    record(args.results, "aggregate_province", peer="shikong", ms=median(runs) * 1000,
           runs_ms=[r * 1000 for r in runs])
    print(f"shikong   level=province: {median(runs) * 1000:9.1f} ms (median of {len(runs)})")

    figures = {}
    for kind in kinds:
        doc = get(stats_path(kind))
        if doc.get("suppressed"):
            raise SystemExit("the API suppressed figures: the token is not an administrator's")
        rows = [(r["code"], r["count"], r["previous"], r["entered"], r["exited"])
                for r in doc["rows"]]
        rows.append((None, doc.get("unassigned") or 0, 0, 0, 0))
        figures[kind] = figures_of(rows)
    save("shikong", figures)


def compare():
    reference = json.loads((work / "figures_shikong.json").read_text())
    for peer in ("duckdb", "postgis"):
        path = work / f"figures_{peer}.json"
        if not path.exists():
            continue
        figures = json.loads(path.read_text())
        cells = differing = 0
        examples = []
        for kind in sorted(set(reference) | set(figures)):
            a, b = reference.get(kind, {}), figures.get(kind, {})
            for code in sorted(set(a) | set(b)):
                x = a.get(code, [0, 0, 0, 0])
                y = b.get(code, [0, 0, 0, 0])
                if code == "unassigned":  # the API reports only the count there
                    x, y = x[:1], y[:1]
                cells += 1
                if x != y:
                    differing += 1
                    if len(examples) < 5:
                        examples.append(f"{kind} {code}: shikong {x}, {peer} {y}")
        total = sum(v[0] for k in figures.values() for v in k.values())
        record(args.results, "aggregate_agree", peer=peer, kinds=len(reference), cells=cells,
               differing=differing, examples=examples, total=total)
        print(f"{peer}: {differing} of {cells} county×kind cells differ from shikong's API "
              f"({len(reference)} kinds, month {month}){'; ' + '; '.join(examples) if examples else ''}")


{"duckdb": duckdb_source, "postgis": postgis_source, "api": api_source,
 "compare": compare}[args.source]()
