"""Agreement of every peer's assignment with shikong's, point by point: a peer's county for a
point is the lowest code among the polygons it matched (shikong's rule for a point in two
polygons). Counts the differing points and, for them, how far each lies from the border of
either county (a point on a shared border may rightly go either way)."""

import argparse
import pathlib

from common import duckdb_connect, read_results, record

parser = argparse.ArgumentParser()
parser.add_argument("--work", required=True)
parser.add_argument("--points", type=int, required=True)
parser.add_argument("--results", required=True)
args = parser.parse_args()

work = pathlib.Path(args.work)
n = args.points
con = duckdb_connect()
con.execute(
    f"CREATE TABLE counties AS SELECT code, ST_GeomFromWKB(wkb) AS geom "
    f"FROM read_parquet('{work}/counties.parquet')"
)
con.execute(
    f"CREATE TABLE points AS SELECT id, lon, lat FROM read_parquet('{work}/points_{n}.parquet')"
)


def source(path):
    path = str(path)
    if path.endswith(".parquet"):
        return f"read_parquet('{path}')"
    return f"read_csv('{path}', header = true, all_varchar = true)"


reference = work / f"shikong_{n}_all.csv"
con.execute(
    f"""CREATE TABLE shikong AS
        SELECT id::BIGINT AS id, nullif(county_code, '')::INTEGER AS code FROM {source(reference)}"""
)
if con.execute("SELECT count(*) FROM shikong").fetchone()[0] != n:
    raise SystemExit("shikong's output does not hold every point")

latest = {}
for r in read_results(args.results):
    if r["step"] == "assign" and r["points"] == n and r["peer"] != "shikong":
        latest[(r["peer"], r["threads"])] = r
for r in latest.values():
    con.execute(
        f"""CREATE OR REPLACE TABLE peer AS
            SELECT id::BIGINT AS id, min(code::INTEGER) AS code, count(*) AS matches
            FROM {source(r['pairs'])} GROUP BY 1"""
    )
    (differ, both, only_shikong, only_peer, multiple) = con.execute(
        """
        SELECT count(*) FILTER (WHERE s.code IS DISTINCT FROM p.code),
               count(*) FILTER (WHERE s.code <> p.code),
               count(*) FILTER (WHERE s.code IS NOT NULL AND p.code IS NULL),
               count(*) FILTER (WHERE s.code IS NULL AND p.code IS NOT NULL),
               count(*) FILTER (WHERE p.matches > 1)
        FROM shikong s LEFT JOIN peer p USING (id)
        """
    ).fetchone()
    # Distance of each differing point (first 10,000) to the nearest border of the counties
    # involved, in metres (degrees × 111,320 × cos(lat) east–west; a close upper bound).
    far = con.execute(
        """
        WITH d AS (
            SELECT pt.id, ST_Point(pt.lon, pt.lat) AS g, pt.lat, s.code AS a, p.code AS b
            FROM shikong s LEFT JOIN peer p USING (id) JOIN points pt USING (id)
            WHERE s.code IS DISTINCT FROM p.code
            ORDER BY pt.id LIMIT 10000
        )
        SELECT max(least(
                   coalesce(ST_Distance(ST_Boundary(ca.geom), d.g), 1e9),
                   coalesce(ST_Distance(ST_Boundary(cb.geom), d.g), 1e9)) * 111320)
        FROM d LEFT JOIN counties ca ON ca.code = d.a LEFT JOIN counties cb ON cb.code = d.b
        """
    ).fetchone()[0]
    record(
        args.results, "agree", peer=r["peer"], threads=r["threads"], points=n,
        differing=differ, different_county=both, only_shikong=only_shikong,
        only_peer=only_peer, multiple_matches=multiple, max_border_m=far,
    )
    print(
        f"{r['peer']:9} threads {r['threads']!s:>3}: {differ} differing points "
        f"({both} other county, {only_shikong} unassigned by the peer only, {only_peer} by "
        f"shikong only; {multiple} points in two polygons); farthest from a border "
        f"{far if far is None else round(far, 3)} m"
    )

# shikong on one thread must answer exactly as on all threads.
single = work / f"shikong_{n}_1.csv"
if single.exists():
    differ = con.execute(
        f"""SELECT count(*) FROM shikong s JOIN (
                SELECT id::BIGINT AS id, nullif(county_code, '')::INTEGER AS code
                FROM {source(single)}) t USING (id)
            WHERE s.code IS DISTINCT FROM t.code"""
    ).fetchone()[0]
    record(args.results, "agree", peer="shikong", threads=1, points=n, differing=differ,
           different_county=differ, only_shikong=0, only_peer=0, multiple_matches=0,
           max_border_m=None)
    print(f"shikong   threads   1: {differ} points differ from all threads")
