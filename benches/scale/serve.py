"""The serve stage of benches/scale/run.sh, against the running server:

  serve.py --base URL --token T --pid PID --work DIR --results FILE
      times the county×kind×month statistic (every county, one kind, the last month; median
      of 20 warm requests, then the same at province level and for all kinds together) and
      writes the tile list for wrk (z4–z10 around every county: division choropleth and
      hexagons)
  serve.py --settle --pid PID --results FILE
      waits until the server's background warm-up (boundaries per zoom, governance results)
      is done: its CPU time stops growing; records how long that took and the memory then
  serve.py --wrk FILE --pid PID --results FILE --connections N --duration D
      parses the wrk report; records the server's peak RSS over the whole serve stage
"""

import argparse
import json
import pathlib
import random
import statistics
import sys
import time

# The harnesses' shared helpers (standard library only at import).
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "peers"))
from common import api_getter, parse_wrk, tile_of, wait_idle  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--base")
parser.add_argument("--token")
parser.add_argument("--pid", required=True)
parser.add_argument("--work")
parser.add_argument("--results", required=True)
parser.add_argument("--wrk")
parser.add_argument("--settle", action="store_true")
parser.add_argument("--connections")
parser.add_argument("--duration")
args = parser.parse_args()


def record(**fields):
    with open(args.results, "a", encoding="utf-8") as f:
        f.write(json.dumps(fields) + "\n")
    print(json.dumps(fields))


def memory():
    status = dict(line.split(":", 1) for line in open(f"/proc/{args.pid}/status"))
    mib = lambda key: round(int(status[key].split()[0]) / 1024, 1)  # noqa: E731
    return {"rss_mib": mib("VmRSS"), "peak_rss_mib": mib("VmHWM")}


def statistic():
    get = api_getter(args.base, args.token, timeout=600)

    meta = get("/api/v1/meta")
    month = meta["months"]["last"]
    for label, path in [
        ("aggregate_county", f"/api/v1/stats?level=county&kind=dibao&month={month}"),
        ("aggregate_province", f"/api/v1/stats?level=province&kind=dibao&month={month}"),
        ("aggregate_county_all_kinds", f"/api/v1/stats?level=county&month={month}"),
    ]:
        started = time.perf_counter()
        doc = get(path)
        first = time.perf_counter() - started
        runs = []
        for _ in range(20):
            started = time.perf_counter()
            get(path)
            runs.append(time.perf_counter() - started)
        record(stage=label, path=path, rows=len(doc["rows"]), first_ms=round(first * 1000, 1),
               median_ms=round(statistics.median(runs) * 1000, 1),
               total=sum(r.get("count") or 0 for r in doc["rows"]))

    counties = get("/api/v1/divisions?level=county")["divisions"]
    rng = random.Random(7)
    paths = set()
    for d in counties:
        if not d.get("centroid"):
            continue
        lon, lat = d["centroid"]
        for z in range(4, 11):
            x, y = tile_of(lon, lat, z)
            if rng.random() < 0.6:
                paths.add(f"/tiles/division/{z}/{x}/{y}.mvt?kind=dibao&measure=count")
            else:
                paths.add(f"/tiles/hex/{z}/{x}/{y}.mvt?kind=dibao")
    paths = sorted(paths)
    rng.shuffle(paths)
    with open(f"{args.work}/paths.txt", "w") as f:
        f.write("\n".join(paths) + "\n")
    record(stage="tile_list", tiles=len(paths), **memory())


def load_report():
    record(stage="tiles", connections=args.connections, duration=args.duration,
           **parse_wrk(open(args.wrk).read()), **memory())


def settle():
    waited = wait_idle(args.pid, limit_s=3600)
    record(stage="serve_warm", wall_s=round(waited, 1), **memory())


if args.settle:
    settle()
elif args.wrk:
    load_report()
else:
    statistic()
