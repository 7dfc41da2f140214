//! Tile encoding: the `division` layer for a province-level tile (z3 over most of China) and
//! a county-level tile (z8 over Beijing), from the real boundaries — projection, per-zoom
//! simplification, clipping and MVT encoding, no cache. Run: `cargo bench --bench tiles`.

use criterion::{criterion_group, criterion_main, Criterion};
use shikong::datasets;
use shikong::domain::DivisionCode;
use shikong::store::DivisionFacts;
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
    let source = || DivisionSource {
        registry: &boundaries.registry,
        geometries: &boundaries.geometries,
        facts: &facts,
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

criterion_group!(benches, bench_tiles);
criterion_main!(benches);
