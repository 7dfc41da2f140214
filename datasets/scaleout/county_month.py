#!/usr/bin/env python3
"""The heavy batch work of shikong on Apache Spark, over a `shikong export parquet` export.

Reads the Hive-partitioned GeoParquet records (province=…/month=…/) and the division
boundaries, assigns every point to its county (point-in-polygon against the leaf boundaries,
GEOS via shapely in each partition: a broadcast STRtree, the same boundaries shikong uses)
and counts records per county × kind × month with shikong's month semantics (in force on the
month's last day; events dated in the month). Writes Parquet that `shikong import-stats`
loads:

    OUT/county_kind_month/*.parquet   county_code, kind, month, records
    OUT/assignments/*.parquet         id, county_code (the engine's own assignment)
    OUT/run.json                      rows, seconds per stage, rows/s

Local mode (tests, one machine):
    python county_month.py EXPORT OUT --first-month 2023-11 --last-month 2026-10
A cluster (see README, "Scale-out"):
    spark-submit --master yarn --num-executors 200 --executor-cores 4 --executor-memory 8g \\
        county_month.py hdfs:///shikong/export hdfs:///shikong/out --first-month … --last-month …
"""

import argparse
import json
import os
import sys
import time
from datetime import date

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

BATCH = 20_000  # points per GEOS call inside a partition


def months(first: str, last: str) -> list[str]:
    y, m = map(int, first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def month_bounds(ym: str) -> tuple[date, date, date]:
    y, m = map(int, ym.split("-"))
    first = date(y, m, 1)
    nxt = date(y + 1, 1, 1) if m == 12 else date(y, m + 1, 1)
    return first, date.fromordinal(nxt.toordinal() - 1), nxt


# Per Python worker process (Spark reuses them): the boundaries' STRtree, built once.
_TREES = {}


def assign_partition(leaves, key):
    """A mapPartitions function: (id, lon, lat) rows → (id, county_code or None)."""

    def run(rows):
        import numpy as np
        import shapely

        if key not in _TREES:
            _TREES[key] = (
                [c for c, _ in leaves.value],
                shapely.STRtree(shapely.from_wkb([g for _, g in leaves.value])),
            )
        codes, tree = _TREES[key]

        def flush(batch):
            pts = shapely.points(np.array([(r[1], r[2]) for r in batch], dtype=float))
            point_idx, geom_idx = tree.query(pts, predicate="within")
            found = [None] * len(batch)
            for p, g in zip(point_idx, geom_idx):
                # Boundaries do not overlap; should two claim a point, keep the lowest code.
                if found[p] is None or codes[g] < found[p]:
                    found[p] = codes[g]
            return [(batch[i][0], found[i]) for i in range(len(batch))]

        batch = []
        for r in rows:
            batch.append((r.id, r.lon, r.lat))
            if len(batch) == BATCH:
                yield from flush(batch)
                batch = []
        if batch:
            yield from flush(batch)

    return run


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("export", help="directory written by `shikong export parquet`")
    ap.add_argument("out", help="output directory")
    ap.add_argument("--first-month", required=True)
    ap.add_argument("--last-month", required=True)
    ap.add_argument("--event-kinds", default="marriage", help="kinds counted in their month (comma-separated)")
    ap.add_argument("--master", default=None, help="Spark master (default: local[*] unless spark-submit sets one)")
    ap.add_argument("--partitions", type=int, default=0, help="shuffle partitions (default: 4 × cores)")
    a = ap.parse_args()

    # Python workers run this interpreter (its shapely and numpy), not whatever python3 is.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.appName("shikong-county-kind-month")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if a.master or not SparkSession.getActiveSession():
        builder = builder.master(a.master or "local[*]")
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    cores = spark.sparkContext.defaultParallelism
    spark.conf.set("spark.sql.shuffle.partitions", str(a.partitions or 4 * cores))
    stages = {}

    t = time.time()
    records = spark.read.parquet(f"{a.export}/records").select("id", "kind", "lon", "lat", "valid_from", "valid_to")
    leaves = (
        spark.read.parquet(f"{a.export}/divisions")
        .where("is_leaf")
        .select("code", "geometry")
        .collect()
    )
    broadcast = spark.sparkContext.broadcast([(int(r.code), bytes(r.geometry)) for r in leaves])
    stages["read_boundaries_s"] = time.time() - t

    # 1. Point → county.
    t = time.time()
    schema = T.StructType([T.StructField("id", T.LongType(), False), T.StructField("county_code", T.IntegerType(), True)])
    points = records.select("id", "lon", "lat").coalesce(4 * cores)
    assigned = spark.createDataFrame(points.rdd.mapPartitions(assign_partition(broadcast, a.export)), schema)
    assigned.write.mode("overwrite").parquet(f"{a.out}/assignments")
    assigned = spark.read.parquet(f"{a.out}/assignments")
    rows = assigned.count()
    stages["assign_s"] = time.time() - t

    # 2. County × kind × month counts.
    t = time.time()
    month_rows = []
    for ym in months(a.first_month, a.last_month):
        first, last, nxt = month_bounds(ym)
        month_rows.append((ym, first, last, nxt))
    month_df = spark.createDataFrame(
        month_rows, "month string, first_day date, last_day date, next_day date"
    )
    events = [k.strip() for k in a.event_kinds.split(",") if k.strip()]
    joined = records.join(assigned, "id").crossJoin(F.broadcast(month_df))
    in_month = F.when(
        F.col("kind").isin(events),
        (F.col("valid_from") >= F.col("first_day")) & (F.col("valid_from") < F.col("next_day")),
    ).otherwise(
        (F.col("valid_from") <= F.col("last_day"))
        & (F.col("valid_to").isNull() | (F.col("valid_to") > F.col("last_day")))
    )
    counts = (
        joined.where(in_month)
        .groupBy("county_code", "kind", "month")
        .agg(F.count(F.lit(1)).cast("long").alias("records"))
    )
    counts.coalesce(1).write.mode("overwrite").parquet(f"{a.out}/county_kind_month")
    stages["aggregate_s"] = time.time() - t

    summary = {
        "rows": rows,
        "cores": cores,
        "spark": spark.version,
        **{k: round(v, 3) for k, v in stages.items()},
        "assign_rows_per_s": round(rows / stages["assign_s"], 1),
        "assign_rows_per_s_per_core": round(rows / stages["assign_s"] / cores, 1),
        "aggregate_rows_per_s": round(rows / stages["aggregate_s"], 1),
    }
    with open(f"{a.out}/run.json", "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary))
    spark.stop()


if __name__ == "__main__":
    main()
