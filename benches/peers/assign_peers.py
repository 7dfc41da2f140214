"""Point → county assignment by shikong and its peers, timed: the join alone (inputs already
loaded, indexes built) and, separately, the load. Each peer writes its (id, code) pairs for
agree.py; a point matched by several polygons keeps the lowest code there (shikong's rule).

  assign_peers.py shikong   --bin B --data-dir D --threads 1|all
  assign_peers.py duckdb    --threads 1,2
  assign_peers.py postgis   --workers 0,2
  assign_peers.py geopandas
"""

import argparse
import os
import pathlib
import re
import subprocess
import time

from common import (describe_plan, duckdb_connect, median, pg_connect, pg_parallel, record,
                    timed)

parser = argparse.ArgumentParser()
parser.add_argument("peer", choices=["shikong", "duckdb", "postgis", "geopandas"])
parser.add_argument("--work", required=True)
parser.add_argument("--points", type=int, required=True)
parser.add_argument("--results", required=True)
parser.add_argument("--repeats", type=int, default=1)
parser.add_argument("--bin")
parser.add_argument("--data-dir")
parser.add_argument("--threads", default="1")
parser.add_argument("--workers", default="0,2")
args = parser.parse_args()

work = pathlib.Path(args.work)
n = args.points
csv_in = work / f"points_{n}.csv"
parquet_in = work / f"points_{n}.parquet"
counties = work / "counties.parquet"
# Repeats stop early once the runs so far took this long (a slow peer at 10 M points runs once).
BUDGET_S = 60
JOIN = "SELECT p.id, c.code FROM points p JOIN counties c ON ST_Contains(c.geom, p.geom)"


def result(peer, threads, load_s, join_runs, pairs, **extra):
    join_s = median(join_runs)
    record(
        args.results,
        "assign",
        peer=peer,
        points=n,
        threads=threads,
        load_s=load_s,
        join_s=join_s,
        join_runs=join_runs,
        points_per_s=n / join_s,
        pairs=str(pairs) if pairs else None,
        **extra,
    )
    print(
        f"{peer:9} threads {threads!s:>3}: load {load_s:7.2f} s, join {join_s:8.3f} s "
        f"({n / join_s / 1e6:6.2f} M points/s; runs {', '.join(f'{t:.3f}' for t in join_runs)})"
    )


def shikong():
    # "assigned N points in S s (R M points/s), U unassigned[; H3 cells in S s (R M points/s)]":
    # the county assignment, and (when the binary times it apart) the H3 binning after it.
    pattern = re.compile(
        r"assigned (\d+) points in ([0-9.]+) s \(([0-9.]+) M points/s\), (\d+) unassigned"
        r"(?:; H3 cells in ([0-9.]+) s)?"
    )
    env = dict(os.environ)
    env.pop("RAYON_NUM_THREADS", None)
    if args.threads != "all":
        env["RAYON_NUM_THREADS"] = args.threads
    out = work / f"shikong_{n}_{args.threads}.csv"
    runs, walls, h3 = [], [], []
    while len(runs) < args.repeats and sum(walls) < BUDGET_S:
        started = time.perf_counter()
        done = subprocess.run(
            [args.bin, "--data-dir", args.data_dir,
             "assign", "--input", str(csv_in), "--output", str(out)],
            env=env, capture_output=True, text=True,
        )
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"shikong assign failed:\n{done.stderr}")
        found = pattern.search(done.stderr)
        if not found or int(found.group(1)) != n:
            raise SystemExit(f"unexpected shikong assign output:\n{done.stderr}")
        runs.append(float(found.group(2)))
        h3.append(float(found.group(5)) if found.group(5) else None)
        walls.append(wall)
        unassigned = int(found.group(4))
    i = sorted(range(len(runs)), key=runs.__getitem__)[(len(runs) - 1) // 2]
    result(
        "shikong",
        args.threads,
        # The rest of the command: read and validate the CSV, open the database, build the
        # index, write the output CSV (and the H3 binning, when timed apart).
        walls[i] - runs[i] - (h3[i] or 0),
        runs,
        out,
        unassigned=unassigned,
        wall_s=walls[i],
        h3_s=h3[i],
    )


def duckdb_peer():
    for threads in [int(t) for t in args.threads.split(",")]:
        con = duckdb_connect(threads=threads)
        load_s, _ = timed(lambda: (
            con.execute(
                f"CREATE TABLE counties AS SELECT code, ST_GeomFromWKB(wkb) AS geom "
                f"FROM read_parquet('{counties}')"
            ),
            con.execute(
                f"CREATE TABLE points AS SELECT id, ST_Point(lon, lat) AS geom "
                f"FROM read_parquet('{parquet_in}')"
            ),
        ))
        plan = "\n".join(r[1] for r in con.execute(f"EXPLAIN {JOIN}").fetchall())
        operator = "SPATIAL_JOIN" if "SPATIAL_JOIN" in plan else (
            "PIECEWISE_MERGE_JOIN" if "PIECEWISE" in plan else
            "BLOCKWISE_NL_JOIN" if "BLOCKWISE" in plan else "NESTED_LOOP_JOIN" if "NESTED" in plan
            else "other")
        runs = []
        while len(runs) < args.repeats and sum(runs) < BUDGET_S:
            con.execute("DROP TABLE IF EXISTS pairs")
            t, _ = timed(lambda: con.execute(f"CREATE TABLE pairs AS {JOIN}"))
            runs.append(t)
        pairs = work / f"duckdb_{n}_{threads}.parquet"
        con.execute(f"COPY pairs TO '{pairs}' (FORMAT parquet)")
        result("duckdb", threads, load_s, runs, pairs, plan=operator)
        con.close()


def postgis():
    conn = pg_connect()
    cur = conn.cursor()
    cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    def load_points():
        cur.execute("DROP TABLE IF EXISTS points")
        cur.execute(
            "CREATE UNLOGGED TABLE points (id bigint, lon float8, lat float8, "
            "geom geometry(Point, 4326) GENERATED ALWAYS AS "
            "(ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED)"
        )
        with open(csv_in, "rb") as f, cur.copy(
            "COPY points (id, lon, lat) FROM STDIN (FORMAT csv, HEADER true)"
        ) as copy:
            while chunk := f.read(1 << 20):
                copy.write(chunk)

    def load_counties():
        import pyarrow.parquet as pq

        cur.execute("DROP TABLE IF EXISTS counties")
        cur.execute(
            "CREATE UNLOGGED TABLE counties (code integer, wkb bytea, "
            "geom geometry(Geometry, 4326) GENERATED ALWAYS AS "
            "(ST_SetSRID(ST_GeomFromWKB(wkb), 4326)) STORED)"
        )
        table = pq.read_table(counties)
        with cur.copy("COPY counties (code, wkb) FROM STDIN") as copy:
            for code, wkb in zip(table["code"].to_pylist(), table["wkb"].to_pylist()):
                copy.write_row((code, wkb))

    copy_s, _ = timed(lambda: (load_counties(), load_points()))
    index_s, _ = timed(lambda: [cur.execute(s) for s in (
        "CREATE INDEX counties_geom ON counties USING gist (geom)",
        "CREATE INDEX points_geom ON points USING gist (geom)",
        "VACUUM ANALYZE counties",
        "VACUUM ANALYZE points",
    )])
    for workers in [int(w) for w in args.workers.split(",")]:
        cur.execute(f"SET max_parallel_workers_per_gather = {workers}")
        # The planner's default costs keep a 2,875-row outer scan serial; with workers allowed,
        # make a parallel plan free so that it can spread the counties over the workers.
        pg_parallel(cur, workers)
        cur.execute("DROP TABLE IF EXISTS pg_pairs")
        cur.execute(f"EXPLAIN (FORMAT JSON) CREATE UNLOGGED TABLE pg_pairs AS {JOIN}")
        plan = cur.fetchone()[0][0]["Plan"]
        runs = []
        for _ in range(args.repeats):
            cur.execute("DROP TABLE IF EXISTS pg_pairs")
            t, _ = timed(lambda: cur.execute(f"CREATE UNLOGGED TABLE pg_pairs AS {JOIN}"))
            runs.append(t)
        pairs = work / f"postgis_{n}_{workers}.csv"
        with open(pairs, "wb") as f, cur.copy(
            "COPY pg_pairs TO STDOUT (FORMAT csv, HEADER true)"
        ) as copy:
            for chunk in copy:
                f.write(chunk)
        result(
            "postgis", workers if workers else 1, copy_s + index_s, runs, pairs,
            plan=describe_plan(plan), copy_s=copy_s, index_s=index_s,
            parallel_workers=workers,
        )
    cur.execute("DROP TABLE IF EXISTS pg_pairs")
    cur.execute("DROP TABLE IF EXISTS points")


def geopandas_peer():
    import geopandas as gpd
    import pandas as pd
    import shapely

    def load():
        frame = pd.read_parquet(parquet_in)
        points = gpd.GeoDataFrame(
            {"id": frame["id"]}, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
            crs="EPSG:4326",
        )
        shapes = pd.read_parquet(counties)
        polygons = gpd.GeoDataFrame(
            {"code": shapes["code"]}, geometry=shapely.from_wkb(shapes["wkb"]), crs="EPSG:4326"
        )
        return points, polygons

    load_s, (points, polygons) = timed(load)
    # sjoin(predicate="within") queries the left frame's STRtree with the polygons
    # ("contains"); build both trees before timing, as the other peers' indexes are.
    index_s, _ = timed(lambda: (points.sindex, polygons.sindex))
    runs = []
    for _ in range(args.repeats):
        t, joined = timed(lambda: gpd.sjoin(points, polygons, predicate="within", how="inner"))
        runs.append(t)
    pairs = work / f"geopandas_{n}_1.parquet"
    joined[["id", "code"]].to_parquet(pairs, index=False)
    result("geopandas", 1, load_s + index_s, runs, pairs, index_s=index_s)


{"shikong": shikong, "duckdb": duckdb_peer, "postgis": postgis,
 "geopandas": geopandas_peer}[args.peer]()
