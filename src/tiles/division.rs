//! The `division` layer: the partition of the zoom's level, one polygon feature per
//! division meeting the tile, with its code, name, level and the statistic's value.

use super::geometry::{bbox_meets, tile_rings_world, to_world, TileId, BUFFER};
use super::mvt::{encode_tile, polygon_commands, Layer, Value};
use crate::domain::{DivisionCode, Level, Registry};
use crate::store::DivisionFacts;
use geo::MultiPolygon;
use rayon::prelude::*;
use std::collections::HashMap;

/// Name of the layer in the tile and in TileJSON.
pub const LAYER: &str = "division";

/// What the layer is drawn from: the tree, boundaries and their bounding boxes.
#[derive(Clone, Copy)]
pub struct DivisionSource<'a> {
    /// The division tree.
    pub registry: &'a Registry,
    /// The partition of each level with bounding boxes ([`LevelBoxes::new`]): the candidates
    /// of a tile without walking the tree.
    pub levels: &'a LevelBoxes,
    /// Boundaries in world Web-Mercator units by code ([`world_boundaries`],
    /// [`simplify_for_zoom`]).
    pub geometries: &'a HashMap<DivisionCode, MultiPolygon<f64>>,
}

/// The partition of each level (province, prefecture, county) in code order, each division
/// with its lon/lat bounding box (`None` when its facts are unknown: always a candidate).
pub struct LevelBoxes {
    levels: [Vec<(DivisionCode, Option<[f64; 4]>)>; 3],
}

impl LevelBoxes {
    /// Built once from the tree and the divisions' facts.
    pub fn new(registry: &Registry, facts: &HashMap<DivisionCode, DivisionFacts>) -> LevelBoxes {
        let level = |level: Level| {
            registry
                .partition(level, None)
                .into_iter()
                .map(|code| (code, facts.get(&code).map(|f| f.bbox)))
                .collect()
        };
        LevelBoxes {
            levels: [
                level(Level::Province),
                level(Level::Prefecture),
                level(Level::County),
            ],
        }
    }

    fn of(&self, level: Level) -> &[(DivisionCode, Option<[f64; 4]>)] {
        match level {
            Level::Province => &self.levels[0],
            Level::Prefecture => &self.levels[1],
            Level::County => &self.levels[2],
        }
    }
}

/// Highest zoom whose boundaries are simplified once and kept (beyond it a tile covers so
/// little that projecting the full boundary is cheap).
pub const PRESIMPLIFY_MAX_ZOOM: u8 = 9;

/// Boundaries simplified for zoom `z`: Douglas–Peucker in degrees with a tolerance of one
/// tile unit at the equator (Web Mercator stretches it to at most 1.7 units at China's
/// northern border), well inside the per-tile simplification of [`super::geometry`], so the
/// drawn shape stays within a pixel of the boundary. Only the level drawn at `z` matters, but
/// simplifying all is cheap and keeps the map simple. The result is in world Web-Mercator
/// units, ready for [`DivisionSource`].
pub fn simplify_for_zoom(
    geometries: &HashMap<DivisionCode, MultiPolygon<f64>>,
    z: u8,
) -> HashMap<DivisionCode, MultiPolygon<f64>> {
    use geo::Simplify;
    let tolerance = 360.0 / (f64::from(super::mvt::EXTENT) * f64::from(1u32 << z));
    geometries
        .par_iter()
        .map(|(code, g)| (*code, to_world(&g.simplify(tolerance))))
        .collect()
}

/// Lon/lat boundaries in world Web-Mercator units, unsimplified (the zooms beyond
/// [`PRESIMPLIFY_MAX_ZOOM`]): projected once, so that drawing a tile never projects.
pub fn world_boundaries(
    geometries: &HashMap<DivisionCode, MultiPolygon<f64>>,
) -> HashMap<DivisionCode, MultiPolygon<f64>> {
    geometries
        .par_iter()
        .map(|(code, g)| (*code, to_world(g)))
        .collect()
}

/// The partition level drawn at zoom `z`: provinces to z3, prefectures to z6, then counties.
pub const fn level_for_zoom(z: u8) -> Level {
    match z {
        0..=3 => Level::Province,
        4..=6 => Level::Prefecture,
        _ => Level::County,
    }
}

/// The encoded tile with the `division` layer for `tile`, or `None` when no division meets
/// it. `values` holds the statistic by code; a division without one gets no `value`.
pub fn division_tile(
    source: DivisionSource<'_>,
    values: &HashMap<DivisionCode, f64>,
    tile: TileId,
) -> Option<Vec<u8>> {
    division_tile_marked(source, values, &std::collections::HashSet::new(), tile)
}

/// [`division_tile`] where the divisions in `suppressed` carry `suppressed = true` instead
/// of a value (small-count suppression for viewers).
pub fn division_tile_marked(
    source: DivisionSource<'_>,
    values: &HashMap<DivisionCode, f64>,
    suppressed: &std::collections::HashSet<DivisionCode>,
    tile: TileId,
) -> Option<Vec<u8>> {
    let level = level_for_zoom(tile.z);
    let bounds = tile.bounds_lonlat(BUFFER);
    let candidates: Vec<DivisionCode> = source
        .levels
        .of(level)
        .iter()
        .filter(|(_, bbox)| bbox.is_none_or(|b| bbox_meets(b, &bounds)))
        .map(|&(code, _)| code)
        .collect();
    // Projection, simplification and clipping are the work: spread them over the cores.
    let features: Vec<(DivisionCode, Vec<u32>)> = candidates
        .par_iter()
        .filter_map(|code| {
            let geometry = source.geometries.get(code)?;
            let commands = polygon_commands(&tile_rings_world(geometry, &tile));
            (!commands.is_empty()).then_some((*code, commands))
        })
        .collect();
    let mut layer = Layer::new(LAYER);
    for (code, commands) in features {
        let Some(info) = source.registry.get(code) else {
            continue;
        };
        let mut properties = vec![
            ("code", Value::String(code.to_string())),
            ("name", Value::String(info.name.clone())),
            ("level", Value::String(info.level.id().to_string())),
        ];
        if suppressed.contains(&code) {
            properties.push(("suppressed", Value::Bool(true)));
        } else if let Some(&v) = values.get(&code) {
            properties.push(("value", Value::Double(v)));
        }
        layer.add_polygon(Some(u64::from(code.get())), &properties, &commands);
    }
    (!layer.is_empty()).then(|| encode_tile(&[layer]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn zoom_picks_the_level() {
        assert_eq!(level_for_zoom(0), Level::Province);
        assert_eq!(level_for_zoom(3), Level::Province);
        assert_eq!(level_for_zoom(4), Level::Prefecture);
        assert_eq!(level_for_zoom(6), Level::Prefecture);
        assert_eq!(level_for_zoom(7), Level::County);
        assert_eq!(level_for_zoom(14), Level::County);
    }

    #[test]
    fn draws_provinces_that_meet_the_tile() {
        let code: DivisionCode = "110000".parse().unwrap();
        let registry =
            Registry::build([(code, "北京市".to_string(), Level::Province, None)]).unwrap();
        let geometries = world_boundaries(&HashMap::from([(
            code,
            MultiPolygon(vec![polygon![
                (x: 115.4, y: 39.4), (x: 117.5, y: 39.4), (x: 117.5, y: 41.1), (x: 115.4, y: 41.1)
            ]]),
        )]));
        let facts = HashMap::new();
        let levels = LevelBoxes::new(&registry, &facts);
        let source = DivisionSource {
            registry: &registry,
            levels: &levels,
            geometries: &geometries,
        };
        let values = HashMap::from([(code, 42.0)]);
        let tile = division_tile(source, &values, TileId::new(3, 6, 3).unwrap()).unwrap();
        assert!(tile.windows(6).any(|w| w == b"110000"));
        assert!(tile.windows(5).any(|w| w == b"value"));
        // The open Pacific holds nothing.
        assert!(division_tile(source, &values, TileId::new(5, 31, 12).unwrap()).is_none());
    }
}
