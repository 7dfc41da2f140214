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
import http.client
import json
import math
import os
import random
import re
import statistics
import time
import urllib.parse

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
    url = urllib.parse.urlsplit(args.base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
    headers = {"Authorization": f"Bearer {args.token}"}

    def get(path):
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"GET {path}: HTTP {response.status} {body[:300]!r}")
        return json.loads(body)

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
            n = 2**z
            x = int((lon + 180) / 360 * n)
            phi = math.radians(lat)
            y = int((1 - math.log(math.tan(phi) + 1 / math.cos(phi)) / math.pi) / 2 * n)
            if rng.random() < 0.6:
                paths.add(f"/tiles/division/{z}/{x}/{y}.mvt?kind=dibao&measure=count")
            else:
                paths.add(f"/tiles/hex/{z}/{x}/{y}.mvt?kind=dibao")
    paths = sorted(paths)
    rng.shuffle(paths)
    with open(f"{args.work}/paths.txt", "w") as f:
        f.write("\n".join(paths) + "\n")
    record(stage="tile_list", tiles=len(paths), **memory())


def parse_wrk():
    text = open(args.wrk).read()
    unit = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}

    def ms(value):
        number, suffix = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
        return round(float(number) * unit[suffix], 2)

    latency = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", text, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    record(stage="tiles", connections=args.connections, duration=args.duration,
           requests=int(re.search(r"(\d+) requests in", text).group(1)),
           rps=float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
           p50_ms=ms(latency["50"]), p90_ms=ms(latency["90"]), p99_ms=ms(latency["99"]),
           non_2xx=int(errors.group(1)) if errors else 0, **memory())


def settle():
    def cpu_s():
        fields = open(f"/proc/{args.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    started = time.perf_counter()
    last = cpu_s()
    while True:
        time.sleep(2)
        now = cpu_s()
        if now - last < 0.1:  # under 5% of one core over 2 s
            break
        last = now
    record(stage="serve_warm", wall_s=round(time.perf_counter() - started, 1), cpu_s=round(now, 1),
           **memory())


if args.settle:
    settle()
elif args.wrk:
    parse_wrk()
else:
    statistic()
