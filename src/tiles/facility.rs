//! The `facility` layer: facility points (institutions are public), clustered at low zoom.
//!
//! Below [`CLUSTER_MAX_ZOOM`] facilities falling in the same cell of a 64-unit grid (1/64 of
//! the tile) become one point at their mean position with `count` and summed `capacity`;
//! from that zoom on every facility is its own point with id, name, kind and capacity.

use super::geometry::{TileId, BUFFER};
use super::mvt::{encode_tile, point_commands, Layer, Value, EXTENT};
use crate::domain::Facility;
use std::collections::BTreeMap;

/// Name of the layer in the tile and in TileJSON.
pub const LAYER: &str = "facility";
/// First zoom at which facilities are drawn one by one.
pub const CLUSTER_MAX_ZOOM: u8 = 10;
/// Cluster grid cell, in tile units.
const CLUSTER_CELL: i32 = 64;

/// The encoded tile with the `facility` layer, or `None` when no facility falls in it.
pub fn facility_tile<'a>(
    facilities: impl Iterator<Item = &'a Facility>,
    tile: TileId,
) -> Option<Vec<u8>> {
    let bounds = tile.bounds_lonlat(BUFFER);
    let inside = facilities.filter(|f| {
        f.lon >= bounds.min().x
            && f.lon <= bounds.max().x
            && f.lat >= bounds.min().y
            && f.lat <= bounds.max().y
    });
    let mut layer = Layer::new(LAYER);
    let limit = f64::from(EXTENT) + BUFFER;
    let in_tile = |x: f64, y: f64| x >= -BUFFER && y >= -BUFFER && x <= limit && y <= limit;
    if tile.z >= CLUSTER_MAX_ZOOM {
        for f in inside {
            let p = tile.project(f.lon, f.lat);
            if !in_tile(p.x, p.y) {
                continue;
            }
            let properties = [
                ("name", Value::String(f.name.clone())),
                ("kind", Value::String(f.kind.id().to_string())),
                ("capacity", Value::Double(f64::from(f.capacity))),
                ("occupied", Value::Double(f64::from(f.occupied))),
                ("count", Value::Double(1.0)),
            ];
            layer.add_point(
                Some(f.id),
                &properties,
                &point_commands(&[[p.x.round() as i32, p.y.round() as i32]]),
            );
        }
    } else {
        // (grid cell) → (sum x, sum y, count, capacity), ordered so output is deterministic.
        let mut clusters: BTreeMap<(i32, i32), (f64, f64, u32, f64)> = BTreeMap::new();
        for f in inside {
            let p = tile.project(f.lon, f.lat);
            if !in_tile(p.x, p.y) {
                continue;
            }
            let cell = (
                (p.x as i32).div_euclid(CLUSTER_CELL),
                (p.y as i32).div_euclid(CLUSTER_CELL),
            );
            let c = clusters.entry(cell).or_default();
            c.0 += p.x;
            c.1 += p.y;
            c.2 += 1;
            c.3 += f64::from(f.capacity);
        }
        for (sx, sy, count, capacity) in clusters.into_values() {
            let n = f64::from(count);
            let point = [(sx / n).round() as i32, (sy / n).round() as i32];
            let properties = [
                ("count", Value::Double(n)),
                ("capacity", Value::Double(capacity)),
            ];
            layer.add_point(None, &properties, &point_commands(&[point]));
        }
    }
    (!layer.is_empty()).then(|| encode_tile(&[layer]))
}
