//! Tile encoding: the `division` layer for a province-level tile (z3 over most of China) and
//! a county-level tile (z8 over Beijing), from the real boundaries — projection, per-zoom
//! simplification, clipping and MVT encoding, no cache; and the `hex` layer cut from a
//! month's hexagon aggregate of 3 M people (z8 → resolution 6, z12 → resolution 9, over
//! Beijing). Run: `cargo bench --bench tiles`.

use criterion::{criterion_group, criterion_main, Criterion};
use shikong::datasets;
use shikong::domain::DivisionCode;
use shikong::store::DivisionFacts;
use shikong::tiles::division::LevelBoxes;
use shikong::tiles::{division_tile, DivisionSource, TileId};
use std::collections::HashMap;
use std::hint::black_box;

fn bench_tiles(c: &mut Criterion) {
    let boundaries = datasets::load_embedded().expect("boundaries");
    let rows = shikong::bootstrap::division_rows(&boundaries);
    let facts: HashMap<DivisionCode, DivisionFacts> = rows
        .iter()
        .map(|r| {
            (
                r.code,
                DivisionFacts {
                    centroid: [r.centroid.0, r.centroid.1],
                    bbox: r.bbox,
                    area_km2: r.area_km2,
                    population: r.population,
                },
            )
        })
        .collect();
    let values: HashMap<DivisionCode, f64> = rows
        .iter()
        .map(|r| (r.code, f64::from(r.code.get() % 1000)))
        .collect();
    // As the server keeps them: projected to world Web-Mercator once (full boundaries, as
    // drawn beyond z9; lower zooms draw pre-simplified ones).
    let world = shikong::tiles::division::world_boundaries(&boundaries.geometries);
    let levels = LevelBoxes::new(&boundaries.registry, &facts);
    let source = || DivisionSource {
        registry: &boundaries.registry,
        levels: &levels,
        geometries: &world,
    };
    let mut group = c.benchmark_group("division_tile");
    group.sample_size(20);
    for (name, z, x, y) in [
        ("province_z3_6_3", 3, 6, 3),
        ("county_z8_beijing", 8, 210, 97),
        ("county_z10_hangzhou", 10, 853, 421),
    ] {
        let tile = TileId::new(z, x, y).expect("tile");
        let bytes = division_tile(source(), &values, tile)
            .map(|b| b.len())
            .unwrap_or(0);
        eprintln!("{name}: {bytes} bytes");
        group.bench_function(name, |b| {
            b.iter(|| black_box(division_tile(source(), &values, tile)))
        });
    }
    group.finish();
}

/// Hexagon tiles over Beijing from 3 M points spread like a city (dense centre, long tail).
fn bench_hex(c: &mut Criterion) {
    use rand::{Rng, SeedableRng};
    use shikong::analytics::snapshot::CellCount;
    use shikong::domain::Kind;
    use shikong::tiles::{hex_tile, resolution_for_zoom, HexIndex};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let points: Vec<(f64, f64)> = (0..3_000_000)
        .map(|_| {
            let r: f64 = rng.random::<f64>().powi(2) * 1.5;
            let a: f64 = rng.random::<f64>() * std::f64::consts::TAU;
            (116.40 + r * a.cos(), 39.91 + r * a.sin() * 0.8)
        })
        .collect();
    let mut group = c.benchmark_group("hex_tile");
    group.sample_size(20);
    for (name, z, x, y) in [
        ("z8_beijing", 8u32, 210u32, 97u32),
        ("z12_beijing", 12, 3372, 1551),
    ] {
        let tile = TileId::new(z, x, y).expect("tile");
        let resolution = resolution_for_zoom(tile.z);
        let mut cells: Vec<u64> = points
            .iter()
            .map(|&(lon, lat)| {
                u64::from(
                    h3o::LatLng::new(lat, lon)
                        .expect("valid")
                        .to_cell(resolution),
                )
            })
            .collect();
        cells.sort_unstable();
        let mut counts: Vec<CellCount> = Vec::new();
        for cell in cells {
            match counts.last_mut() {
                Some(last) if u64::from(last.cell) == cell => last.count += 1,
                _ => counts.push(CellCount {
                    cell: h3o::CellIndex::try_from(cell).expect("cell"),
                    kind: 0,
                    count: 1,
                }),
            }
        }
        let index = HexIndex::new(vec![Kind::Dibao], &counts);
        let bytes = hex_tile(&index, tile).map(|b| b.len()).unwrap_or(0);
        eprintln!(
            "hex {name}: {} cells in the aggregate, tile {bytes} bytes",
            index.len()
        );
        group.bench_function(name, |b| b.iter(|| black_box(hex_tile(&index, tile))));
    }
    group.finish();
}

criterion_group!(benches, bench_tiles, bench_hex);
criterion_main!(benches);
