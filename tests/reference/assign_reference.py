#!/usr/bin/env python3
"""Independent reference for shikong's point→county assignment (GEOS via shapely).

    assign_reference.py points  --boundaries datasets/boundaries --out DIR [--n 100000]
        writes DIR/points.csv (id,lon,lat) and DIR/reference.csv (id,county_code)
    assign_reference.py compare --boundaries datasets/boundaries --points DIR/points.csv
                                --reference DIR/reference.csv --ours OURS.csv
        prints a JSON summary: agreement, and for every disagreement its distance (m)
        to the nearest boundary of the counties involved

The test points are deliberately hard: half lie near county borders (jittered boundary
vertices), the rest in 直辖市 and 省直辖县级 units and uniformly over China's bounding box
(many in the sea or abroad, which must stay unassigned).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape


def load_leaves(boundaries: Path) -> dict[str, shapely.Geometry]:
    """Leaf divisions (no children) of the embedded derivative, keyed by code."""
    with open(boundaries / "divisions.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    parents = {r["parent_code"] for r in rows if r["parent_code"]}
    leaves = {r["code"] for r in rows if r["code"] not in parents}
    geoms: dict[str, shapely.Geometry] = {}
    for level in ("province", "prefecture", "county"):
        with gzip.open(boundaries / f"{level}.geojson.gz", "rt", encoding="utf-8") as f:
            for feature in json.load(f)["features"]:
                code = feature["properties"]["code"]
                if code in leaves:
                    geoms[code] = shape(feature["geometry"])
    missing = leaves - set(geoms)
    if missing:
        raise SystemExit(f"no geometry for leaves {sorted(missing)[:5]}")
    return geoms


def make_points(geoms: dict[str, shapely.Geometry], n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    codes = sorted(geoms)
    parts = []
    # 50 %: near borders — random boundary vertices of random leaves, jittered by ~300 m,
    # one in ten by ~3 m.
    n_border = n // 2
    picks = rng.integers(0, len(codes), n_border)
    pts = []
    for i in picks:
        coords = shapely.get_coordinates(shapely.boundary(geoms[codes[i]]))
        pts.append(coords[rng.integers(0, len(coords))])
    pts = np.array(pts)
    sigma = np.where(rng.random(n_border) < 0.1, 0.00003, 0.003)[:, None]
    parts.append(pts + rng.normal(0.0, 1.0, (n_border, 2)) * sigma)
    # 15 %: inside the bounding boxes of the 直辖市 (北京, 天津, 上海, 重庆).
    special = [c for c in codes if c[:2] in ("11", "12", "31", "50")]
    parts.append(points_in_bboxes(rng, [geoms[c] for c in special], int(n * 0.15)))
    # 10 %: 省直辖县级 units (湖北 4290xx, 海南 4690xx, 新疆兵团 6590xx, 济源 419001).
    direct = [c for c in codes if c[:4] in ("4290", "4690", "6590") or c == "419001"]
    parts.append(points_in_bboxes(rng, [geoms[c] for c in direct], int(n * 0.10)))
    # The rest: uniform over China's bounding box.
    rest = n - sum(len(p) for p in parts)
    parts.append(np.column_stack([rng.uniform(73.0, 135.5, rest), rng.uniform(17.5, 54.0, rest)]))
    return np.round(np.vstack(parts), 7)


def points_in_bboxes(rng, geoms, n):
    bounds = np.array([g.bounds for g in geoms])
    which = rng.integers(0, len(geoms), n)
    b = bounds[which]
    return np.column_stack([rng.uniform(b[:, 0], b[:, 2]), rng.uniform(b[:, 1], b[:, 3])])


def reference_assign(geoms: dict[str, shapely.Geometry], points: np.ndarray) -> list[str]:
    codes = sorted(geoms)
    tree = shapely.STRtree([geoms[c] for c in codes])
    pts = shapely.points(points)
    point_idx, geom_idx = tree.query(pts, predicate="within")
    out = [""] * len(points)
    for p, g in zip(point_idx, geom_idx):
        # Overlaps are not expected in a topology-preserving derivative; keep the lowest code.
        if not out[p] or codes[g] < out[p]:
            out[p] = codes[g]
    return out


def cmd_points(args):
    geoms = load_leaves(args.boundaries)
    points = make_points(geoms, args.n, args.seed)
    ref = reference_assign(geoms, points)
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "points.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "lon", "lat"])
        for i, (x, y) in enumerate(points):
            w.writerow([i, f"{x:.7f}", f"{y:.7f}"])
    with open(args.out / "reference.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "county_code"])
        for i, code in enumerate(ref):
            w.writerow([i, code])
    assigned = sum(1 for c in ref if c)
    print(json.dumps({"points": len(points), "reference_assigned": assigned, "leaves": len(geoms)}))


def read_column(path: Path, column: str) -> dict[str, str]:
    with open(path, encoding="utf-8") as f:
        return {r["id"]: r[column] for r in csv.DictReader(f)}


def cmd_compare(args):
    geoms = load_leaves(args.boundaries)
    ours = read_column(args.ours, "county_code")
    ref = read_column(args.reference, "county_code")
    points = {}
    with open(args.points, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            points[r["id"]] = (float(r["lon"]), float(r["lat"]))
    if set(ours) != set(ref):
        raise SystemExit("ours and reference cover different ids")
    disagreements = []
    for pid, ref_code in ref.items():
        our_code = ours[pid]
        if our_code == ref_code:
            continue
        x, y = points[pid]
        pt = shapely.Point(x, y)
        involved = [c for c in (our_code, ref_code) if c]
        degrees = min(shapely.distance(pt, shapely.boundary(geoms[c])) for c in involved)
        # Degrees to metres, with the longitude shrink at this latitude (upper bound).
        metres = degrees * 111_320.0
        disagreements.append({"id": pid, "lon": x, "lat": y, "ours": our_code, "reference": ref_code,
                              "distance_m": metres, "distance_m_lon_scaled": metres * math.cos(math.radians(y))})
    total = len(ref)
    print(json.dumps({
        "total": total,
        "agree": total - len(disagreements),
        "agreement": (total - len(disagreements)) / total,
        "assigned_reference": sum(1 for c in ref.values() if c),
        "max_disagreement_distance_m": max((d["distance_m"] for d in disagreements), default=0.0),
        "disagreements": disagreements,
    }))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("points")
    p.add_argument("--boundaries", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=20240601)
    p.set_defaults(func=cmd_points)
    c = sub.add_parser("compare")
    c.add_argument("--boundaries", type=Path, required=True)
    c.add_argument("--points", type=Path, required=True)
    c.add_argument("--reference", type=Path, required=True)
    c.add_argument("--ours", type=Path, required=True)
    c.set_defaults(func=cmd_compare)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
