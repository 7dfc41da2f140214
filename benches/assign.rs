//! Point → county assignment and H3 binning throughput over the real boundaries, all cores (rayon).
//!
//! Two workloads of 1,000,000 points each:
//! - `synthetic`: points as the default dataset places them (clustered around towns, all
//!   inside China): the realistic case, mostly H3-cache hits;
//! - `border`: points within ~300 m of county borders: the worst case, all exact tests.
//!
//! Run: `cargo bench --bench assign` (criterion reports time per 1M points and points/s).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use shikong::bootstrap::leaf_geometries;
use shikong::datasets::{self, SyntheticOptions};
use shikong::domain::identity::PersonHasher;
use shikong::spatial::{h3_cells, CountyIndex};
use std::hint::black_box;

const POINTS: usize = 1_000_000;

fn bench_assign(c: &mut Criterion) {
    let boundaries = datasets::load_embedded().expect("embedded boundaries");
    let started = std::time::Instant::now();
    let index = CountyIndex::build(leaf_geometries(
        &boundaries.registry,
        &boundaries.geometries,
    ));
    eprintln!(
        "index: {} counties, {:.1}% of land grid cells direct, built in {:.2} s",
        index.len(),
        100.0 * index.cache_ratio(),
        started.elapsed().as_secs_f64()
    );

    let hasher = PersonHasher::new(b"benchmark-key-0123456789").expect("key");
    let options = SyntheticOptions {
        records: POINTS as u64,
        ..Default::default()
    };
    let mut synthetic = Vec::with_capacity(POINTS);
    datasets::generate(
        &options,
        &boundaries.registry,
        &boundaries.geometries,
        &index,
        &hasher,
        1,
        |chunk| {
            synthetic.extend(chunk.objects.iter().map(|o| (o.lon, o.lat)));
            synthetic.extend(chunk.facilities.iter().map(|f| (f.lon, f.lat)));
            Ok(())
        },
    )
    .expect("generate");

    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let vertices: Vec<(f64, f64)> = leaf_geometries(&boundaries.registry, &boundaries.geometries)
        .flat_map(|(_, g)| {
            g.iter().flat_map(|p| {
                p.exterior()
                    .coords()
                    .map(|c| (c.x, c.y))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let border: Vec<(f64, f64)> = (0..POINTS)
        .map(|_| {
            let (x, y) = vertices[rng.random_range(0..vertices.len())];
            (
                x + rng.random_range(-0.003..0.003),
                y + rng.random_range(-0.003..0.003),
            )
        })
        .collect();

    let mut group = c.benchmark_group("assign_1m");
    group.throughput(Throughput::Elements(POINTS as u64));
    group.sample_size(10);
    for (name, points) in [("synthetic", &synthetic), ("border", &border)] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || (),
                |_| black_box(index.locate_all(black_box(points))),
                BatchSize::SmallInput,
            )
        });
    }
    // H3 binning (resolution 9) of the same points, all cores: the other half of ingest.
    group.bench_function("h3_res9_synthetic", |b| {
        b.iter(|| black_box(h3_cells(black_box(&synthetic))))
    });
    group.finish();

    // The pieces of one assignment, single-threaded, to see where time goes.
    let mut pieces = c.benchmark_group("assign_pieces_1m_single_thread");
    pieces.throughput(Throughput::Elements(POINTS as u64));
    pieces.sample_size(10);
    pieces.bench_function("h3_cell_res9", |b| {
        b.iter(|| {
            synthetic
                .iter()
                .filter_map(|&(lon, lat)| h3o::LatLng::new(lat, lon).ok())
                .map(|ll| u64::from(ll.to_cell(h3o::Resolution::Nine)))
                .fold(0u64, |a, c| a ^ c)
        })
    });
    pieces.bench_function("exact_only", |b| {
        b.iter(|| {
            synthetic
                .iter()
                .filter(|&&(lon, lat)| index.locate_exact(lon, lat).is_some())
                .count()
        })
    });
    pieces.bench_function("assign_single_thread", |b| {
        b.iter(|| {
            synthetic
                .iter()
                .filter(|&&(lon, lat)| index.locate(lon, lat).is_some())
                .count()
        })
    });
    pieces.finish();
}

criterion_group!(benches, bench_assign);
criterion_main!(benches);
