"""Tile serving, shikong against martin over PostGIS: the `division` choropleth layer (the
partition of the zoom's level with code, name, level and the month's count of one kind as
`value`), served by both from the same boundaries and the same figures.

  tiles.py postgis --kind K      loads the divisions into the private cluster: per zoom band the
                                 boundaries simplified as shikong simplifies them (Douglas-Peucker
                                 in degrees, one tile unit at the equator, z0-9; full from z10),
                                 in EPSG:3857 with a GiST index, the value computed there with
                                 county_month.sql (the records were loaded by aggregate.py), and
                                 the tile function martin publishes (ST_AsMVT / ST_AsMVTGeom)
  tiles.py paths --out DIR       the tile list: z4-z10 around every county's centroid, shuffled
  tiles.py agree --shikong URL --martin URL --token-file F
                                 fetches a sample of tiles from both, decodes them (PyPI
                                 mapbox-vector-tile) and compares features (ids, properties)
  tiles.py warm --url URL --paths FILE [--token-file F]
                                 requests every tile once (4 at a time): fills a tile cache
  tiles.py settle --pid PID      waits until the process's CPU time stops growing (shikong's
                                 background warm-up after start)
  tiles.py wrk --server S --cache on|off --file OUT
                                 parses one wrk --latency report into the results
"""

import argparse
import gzip
import json
import pathlib
import random
import re
import urllib.request

from common import month_bounds, parse_wrk, pg_connect, record, tile_of, wait_idle

parser = argparse.ArgumentParser()
parser.add_argument("step", choices=["postgis", "paths", "agree", "warm", "settle", "wrk"])
parser.add_argument("--work", required=True)
parser.add_argument("--results", required=True)
parser.add_argument("--kind", default="dibao")
parser.add_argument("--out")
parser.add_argument("--shikong")
parser.add_argument("--martin")
parser.add_argument("--token-file")
parser.add_argument("--sample", type=int, default=400)
parser.add_argument("--server")
parser.add_argument("--url")
parser.add_argument("--paths")
parser.add_argument("--pid", type=int)
parser.add_argument("--cache")
parser.add_argument("--file")
parser.add_argument("--connections", type=int)
parser.add_argument("--duration")
args = parser.parse_args()

work = pathlib.Path(args.work)
dataset = json.loads((work / "dataset.json").read_text())
EXTENT = 4096
# shikong's zoom bands: provinces to z3, prefectures z4-6, counties from z7 (depths 1, 2, 3);
# boundaries simplified per zoom to z9, full beyond.
PRESIMPLIFY_MAX_ZOOM = 9


def depth_for_zoom(z):
    return 1 if z <= 3 else 2 if z <= 6 else 3


def postgis():
    template = (pathlib.Path(__file__).parent / "county_month.sql").read_text()
    county_month = template.format(kind=args.kind, **month_bounds(dataset["last_month"]))
    with pg_connect() as con, con.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        cur.execute(
            """
            DROP TABLE IF EXISTS division_source, division_shapes;
            CREATE TABLE division_source (
                code integer PRIMARY KEY, name text, level text, depth integer,
                is_leaf boolean, province_code integer, prefecture_code integer,
                county_code integer, wkt text)
            """
        )
        with open(work / "divisions.wkt.csv", "rb") as f, cur.copy(
            "COPY division_source FROM STDIN (FORMAT csv, HEADER true)"
        ) as copy:
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        # The statistic shikong draws: the county figures rolled up to the partition of each
        # level (a division's representative there is in its province/prefecture/county_code).
        cur.execute(f"CREATE TEMP TABLE county_n AS {county_month}")
        cur.execute(
            """
            CREATE TEMP TABLE division_value AS
            SELECT rep AS code, sum(coalesce(c.n, 0))::double precision AS value
            FROM division_source d
            -- A leaf above county depth represents itself at several levels: count it once.
            CROSS JOIN LATERAL (
                SELECT DISTINCT rep
                FROM (VALUES (d.province_code), (d.prefecture_code), (d.county_code)) v(rep)
            ) r
            LEFT JOIN county_n c ON c.code = d.code
            WHERE d.is_leaf
            GROUP BY rep
            """
        )
        cur.execute(
            """
            CREATE TABLE division_shapes (
                band integer, code integer, name text, level text, value double precision,
                geom geometry(MultiPolygon, 3857))
            """
        )
        for z in range(PRESIMPLIFY_MAX_ZOOM + 2):
            depth = depth_for_zoom(z)
            tolerance = 360.0 / (EXTENT * 2**z)
            shape = (
                "ST_GeomFromText(s.wkt, 4326)"
                if z > PRESIMPLIFY_MAX_ZOOM
                else f"ST_Simplify(ST_GeomFromText(s.wkt, 4326), {tolerance!r})"
            )
            cur.execute(
                f"""
                INSERT INTO division_shapes
                SELECT {z}, s.code, s.name, s.level, v.value,
                       ST_Multi(ST_Transform({shape}, 3857))
                FROM division_source s LEFT JOIN division_value v USING (code)
                WHERE s.depth = {depth} OR (s.is_leaf AND s.depth < {depth})
                """
            )
        cur.execute("DELETE FROM division_shapes WHERE geom IS NULL OR ST_IsEmpty(geom)")
        cur.execute("CREATE INDEX ON division_shapes USING gist (geom)")
        cur.execute("CREATE INDEX ON division_shapes (band)")
        cur.execute("ANALYZE division_shapes")
        # What martin serves: one function source, as its documentation shows them.
        cur.execute(
            f"""
            CREATE OR REPLACE FUNCTION division(z integer, x integer, y integer)
            RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
              SELECT ST_AsMVT(t, 'division', {EXTENT}, 'geom', 'id') FROM (
                SELECT s.code AS id, s.code::text AS code, s.name, s.level, s.value,
                       ST_AsMVTGeom(s.geom, ST_TileEnvelope(z, x, y), {EXTENT}, 64, true) AS geom
                FROM division_shapes s
                WHERE s.band = least(z, {PRESIMPLIFY_MAX_ZOOM + 1})
                  AND s.geom && ST_TileEnvelope(z, x, y, margin => 64.0 / {EXTENT})
              ) t WHERE t.geom IS NOT NULL
            $$
            """
        )
        cur.execute("SELECT count(*), sum(ST_NPoints(geom)) FROM division_shapes")
        rows, vertices = cur.fetchone()
    record(args.results, "tiles_postgis", kind=args.kind, month=dataset["last_month"],
           shapes=rows, vertices=int(vertices))
    print(f"PostGIS division shapes: {rows} (z0-{PRESIMPLIFY_MAX_ZOOM + 1}), {vertices} vertices")


def paths():
    import csv

    tiles = set()
    with open(work / "divisions.wkt.csv", encoding="utf-8") as f:
        csv.field_size_limit(1 << 30)
        for row in csv.DictReader(f):
            if row["is_leaf"] != "true":
                continue
            lon, lat = centroid_of(row["wkt"])
            for z in range(4, 11):
                tiles.add((z, *tile_of(lon, lat, z)))
    tiles = sorted(tiles)
    random.Random(7).shuffle(tiles)
    out = pathlib.Path(args.out)
    (out / "tiles.txt").write_text("".join(f"{z} {x} {y}\n" for z, x, y in tiles))
    (out / "paths_shikong.txt").write_text("".join(
        f"/tiles/division/{z}/{x}/{y}.mvt?kind={args.kind}&measure=count\n" for z, x, y in tiles))
    (out / "paths_martin.txt").write_text("".join(f"/division/{z}/{x}/{y}\n" for z, x, y in tiles))
    record(args.results, "tiles_list", tiles=len(tiles), zooms="4-10")
    print(f"{len(tiles)} distinct division tiles, z4-z10 around every county")


def centroid_of(wkt):
    """Mean of the first ring's vertices: a point inside or near the county, enough to pick
    the tiles a map of it shows."""
    numbers = re.findall(r"-?\d+\.?\d*", wkt[: wkt.find(")")])
    xs, ys = numbers[0::2], numbers[1::2]
    return sum(map(float, xs)) / len(xs), sum(map(float, ys)) / len(ys)


def fetch(url, token=None):
    headers = {"Accept-Encoding": "gzip"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as response:
        body = response.read()
        if response.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return body


def features_of(body):
    import mapbox_vector_tile

    if not body:
        return {}
    layers = mapbox_vector_tile.decode(body, default_options={"y_coord_down": True})
    out = {}
    for feature in layers.get("division", {}).get("features", []):
        props = feature["properties"]
        out[feature["id"]] = (
            props.get("code"), props.get("name"), props.get("level"), props.get("value"),
            vertices_of(feature["geometry"]["coordinates"]),
        )
    return out


def vertices_of(coordinates):
    if coordinates and isinstance(coordinates[0], (int, float)):
        return 1
    return sum(vertices_of(c) for c in coordinates)


def agree():
    token = pathlib.Path(args.token_file).read_text().strip()
    tiles = [tuple(map(int, line.split())) for line in (work / "tiles.txt").read_text().splitlines()]
    sample = tiles[: args.sample]
    differing_tiles = only_shikong = only_martin = property_mismatch = same = 0
    vertices = {"shikong": 0, "martin": 0}
    examples = []
    for z, x, y in sample:
        ours = features_of(fetch(
            f"{args.shikong}/tiles/division/{z}/{x}/{y}.mvt?kind={args.kind}&measure=count", token))
        theirs = features_of(fetch(f"{args.martin}/division/{z}/{x}/{y}"))
        a, b = set(ours), set(theirs)
        mismatched = [i for i in a & b if ours[i][:4] != theirs[i][:4]]
        only_shikong += len(a - b)
        only_martin += len(b - a)
        property_mismatch += len(mismatched)
        same += len(a & b) - len(mismatched)
        vertices["shikong"] += sum(f[4] for f in ours.values())
        vertices["martin"] += sum(f[4] for f in theirs.values())
        if a != b or mismatched:
            differing_tiles += 1
            if len(examples) < 5:
                examples.append({"tile": f"{z}/{x}/{y}", "only_shikong": sorted(a - b)[:5],
                                 "only_martin": sorted(b - a)[:5],
                                 "mismatched": [(ours[i][:4], theirs[i][:4]) for i in mismatched[:3]]})
    record(args.results, "tiles_agree", tiles=len(sample), differing_tiles=differing_tiles,
           same_features=same, only_shikong=only_shikong, only_martin=only_martin,
           property_mismatch=property_mismatch, vertices_shikong=vertices["shikong"],
           vertices_martin=vertices["martin"], examples=examples)
    print(f"{len(sample)} tiles compared: {same} features alike, {only_shikong} only in shikong's, "
          f"{only_martin} only in martin's, {property_mismatch} with other properties; "
          f"vertices {vertices['shikong']} vs {vertices['martin']}")
    for e in examples:
        print("  differs:", e)


def warm():
    from concurrent.futures import ThreadPoolExecutor

    token = pathlib.Path(args.token_file).read_text().strip() if args.token_file else None
    paths = pathlib.Path(args.paths).read_text().split()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda p: fetch(args.url + p, token), paths))
    print(f"warmed {len(paths)} tiles of {args.url}")


def settle():
    print(f"server settled after {wait_idle(args.pid):.0f} s")


def load_report():
    r = parse_wrk(pathlib.Path(args.file).read_text())
    record(args.results, "tiles_load", server=args.server, cache=args.cache,
           connections=args.connections, duration=args.duration, **r)
    print(f"{args.server:8} cache {args.cache:3}: {r['rps']:9.1f} req/s, p50 {r['p50_ms']:.2f} ms, "
          f"p99 {r['p99_ms']:.2f} ms, {r['requests']} requests"
          + (f", {r['non_2xx']} non-2xx" if r["non_2xx"] else ""))


{"postgis": postgis, "paths": paths, "agree": agree, "warm": warm, "settle": settle,
 "wrk": load_report}[args.step]()
