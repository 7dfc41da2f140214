"""Writes the peers' inputs once from a shikong database (opened read-only):

  points_N.csv / points_N.parquet   id, lon, lat: N stored record locations (service objects
                                    and facilities) in a fixed pseudo-random order (hash of
                                    table and id), so each smaller size is a prefix of the larger
  counties.parquet                  code, wkb: the leaf divisions' current boundaries, the
                                    units shikong assigns points to (is_leaf, valid_to IS NULL)
  counties.wkt.csv                  code, wkt: the same as WKT
  divisions.wkt.csv                 every current division (all levels) with its depth, leaf
                                    flag, representatives and boundary as WKT: the tile peer's
                                    source (martin over PostGIS)
  service_objects.csv, facilities.csv, kinds.csv, divisions.csv
                                    the columns the county×kind×month statistic reads, for
                                    loading into PostgreSQL
  dataset.json                      sizes and the months of the data
"""

import argparse
import json
import pathlib

from common import duckdb_connect, record

parser = argparse.ArgumentParser()
parser.add_argument("--db", required=True)
parser.add_argument("--out", required=True)
parser.add_argument("--points", required=True, help="comma-separated sizes")
parser.add_argument("--results", required=True)
args = parser.parse_args()

out = pathlib.Path(args.out)
sizes = sorted({int(n) for n in args.points.split(",")})
con = duckdb_connect(args.db, read_only=True)

meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
stored = con.execute(
    "SELECT (SELECT count(*) FROM service_objects) + (SELECT count(*) FROM facilities)"
).fetchone()[0]
if sizes[-1] > stored:
    raise SystemExit(f"{sizes[-1]} points asked for but the database holds {stored} records")

con.execute(
    f"""
    CREATE TEMP TABLE sample AS
    SELECT row_number() OVER (ORDER BY h, src, oid) AS id, lon, lat
    FROM (
        SELECT hash('s', id) AS h, 's' AS src, id AS oid, lon, lat FROM service_objects
        UNION ALL
        SELECT hash('f', id), 'f', id, lon, lat FROM facilities
    )
    ORDER BY h, src, oid
    LIMIT {sizes[-1]}
    """
)
for n in sizes:
    query = f"SELECT id, lon, lat FROM sample WHERE id <= {n} ORDER BY id"
    con.execute(f"COPY ({query}) TO '{out}/points_{n}.csv' (HEADER, DELIMITER ',')")
    con.execute(f"COPY ({query}) TO '{out}/points_{n}.parquet' (FORMAT parquet)")
# The CSV must carry the very same doubles as the Parquet file (every peer sees one input).
mismatch = con.execute(
    f"""
    SELECT count(*) FROM read_parquet('{out}/points_{sizes[-1]}.parquet') p
    JOIN read_csv('{out}/points_{sizes[-1]}.csv', columns = {{'id': 'BIGINT', 'lon': 'DOUBLE', 'lat': 'DOUBLE'}}, header = true) c
      USING (id)
    WHERE p.lon <> c.lon OR p.lat <> c.lat
    """
).fetchone()[0]
if mismatch:
    raise SystemExit(f"{mismatch} points differ between the CSV and Parquet copies")

leaves = """
    SELECT code, ST_GeomFromGeoJSON(geometry) AS geom
    FROM divisions
    WHERE is_leaf AND valid_to IS NULL
    ORDER BY code
"""
con.execute(f"CREATE TEMP TABLE leaves AS {leaves}")
con.execute(
    f"COPY (SELECT code, ST_AsWKB(geom)::BLOB AS wkb FROM leaves ORDER BY code) "
    f"TO '{out}/counties.parquet' (FORMAT parquet)"
)
con.execute(
    f"COPY (SELECT code, ST_AsText(geom) AS wkt FROM leaves ORDER BY code) "
    f"TO '{out}/counties.wkt.csv' (HEADER)"
)
con.execute(
    f"""
    COPY (
        SELECT code, name, level, depth, is_leaf, province_code, prefecture_code, county_code,
               ST_AsText(ST_GeomFromGeoJSON(geometry)) AS wkt
        FROM divisions WHERE valid_to IS NULL ORDER BY code
    ) TO '{out}/divisions.wkt.csv' (HEADER)
    """
)
counties, vertices = con.execute("SELECT count(*), sum(ST_NPoints(geom)) FROM leaves").fetchone()

for table in ("service_objects", "facilities"):
    con.execute(
        f"COPY (SELECT kind, county_code, valid_from, valid_to FROM {table}) "
        f"TO '{out}/{table}.csv' (HEADER)"
    )
con.execute(f"COPY (SELECT kind, is_event FROM kinds) TO '{out}/kinds.csv' (HEADER)")
con.execute(
    f"COPY (SELECT code, county_code, valid_to FROM divisions) TO '{out}/divisions.csv' (HEADER)"
)

dataset = {
    "records": stored,
    "records_meta": int(meta.get("records", 0)),
    "seed": meta.get("seed"),
    "first_month": meta.get("first_month"),
    "last_month": meta.get("last_month"),
    "counties": counties,
    "vertices": int(vertices),
    "points": sizes,
}
(out / "dataset.json").write_text(json.dumps(dataset))
record(args.results, "dataset", **dataset)
print(
    f"{stored} records; points {', '.join(map(str, sizes))}; "
    f"{counties} counties ({vertices} vertices)"
)
