//! County coverage kernels on one county-sized case, all cores (rayon).
//!
//! 50,000 demand points and 200 facilities over ~60 × 60 km around (116.4, 39.9), radius
//! 10 km. Demand clusters around 30 towns (70 %) over a rural background (30 %); facilities
//! crowd the central town (70 %) as they do in practice, so the outer towns are the gaps the
//! site suggestion has to fill. Candidates: a 45 × 45 grid (2,025 sites, ~1.3 km apart).
//!
//! Run: `cargo bench --bench coverage`. Targets on 2 cores: coverage and 2SFCA < 100 ms,
//! MCLP k = 10 < 1 s.

use criterion::{criterion_group, criterion_main, Criterion};
use h3o::Resolution;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use shikong::analytics::coverage::{
    capacity_coverage, enhanced_two_step_fca, maximal_covering, nearest_facility, radius_coverage,
    service_deserts, two_step_fca, DecayBands, DemandPoint, Supply,
};
use std::hint::black_box;

const POINTS: usize = 50_000;
const FACILITIES: usize = 200;
const RADIUS_KM: f64 = 10.0;
const CENTRE: (f64, f64) = (116.4, 39.9);
/// Half the side of the square, in degrees: 30 km east–west at 39.9° N, 30 km north–south.
const HALF_LON: f64 = 30.0 / 85.3;
const HALF_LAT: f64 = 30.0 / 111.2;

/// A normal deviate (Box–Muller), so the bench needs no extra crate.
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u: f64 = rng.random_range(f64::EPSILON..1.0);
    let v: f64 = rng.random_range(0.0..1.0);
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// A point `sigma_km` around `(lon, lat)`, clamped to the square.
fn around(rng: &mut ChaCha8Rng, (lon, lat): (f64, f64), sigma_km: f64) -> (f64, f64) {
    (
        (lon + normal(rng) * sigma_km / 85.3).clamp(CENTRE.0 - HALF_LON, CENTRE.0 + HALF_LON),
        (lat + normal(rng) * sigma_km / 111.2).clamp(CENTRE.1 - HALF_LAT, CENTRE.1 + HALF_LAT),
    )
}

fn uniform(rng: &mut ChaCha8Rng) -> (f64, f64) {
    (
        CENTRE.0 + rng.random_range(-HALF_LON..HALF_LON),
        CENTRE.1 + rng.random_range(-HALF_LAT..HALF_LAT),
    )
}

fn county() -> (Vec<DemandPoint>, Vec<Supply>, Vec<(f64, f64)>) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut towns = vec![CENTRE];
    towns.extend((0..29).map(|_| uniform(&mut rng)));
    let points = (0..POINTS)
        .map(|_| {
            let (lon, lat) = if rng.random_bool(0.7) {
                let town = towns[rng.random_range(0..towns.len())];
                around(&mut rng, town, 1.5)
            } else {
                uniform(&mut rng)
            };
            DemandPoint {
                lon,
                lat,
                weight: rng.random_range(1..=3) as f64,
            }
        })
        .collect();
    let facilities = (0..FACILITIES)
        .map(|_| {
            let (lon, lat) = if rng.random_bool(0.7) {
                around(&mut rng, CENTRE, 5.0)
            } else {
                let town = towns[rng.random_range(0..10)];
                around(&mut rng, town, 1.0)
            };
            Supply {
                lon,
                lat,
                capacity: rng.random_range(20.0..200.0),
            }
        })
        .collect();
    let side = 45;
    let candidates = (0..side * side)
        .map(|i| {
            let (x, y) = ((i % side) as f64, (i / side) as f64);
            (
                CENTRE.0 - HALF_LON + (x + 0.5) * 2.0 * HALF_LON / side as f64,
                CENTRE.1 - HALF_LAT + (y + 0.5) * 2.0 * HALF_LAT / side as f64,
            )
        })
        .collect();
    (points, facilities, candidates)
}

fn bench_coverage(c: &mut Criterion) {
    let (points, facilities, candidates) = county();
    let bands = DecayBands::three_zones();

    // What the case looks like, once, so the timings can be read against it.
    let coverage = radius_coverage(&points, &facilities, RADIUS_KM).expect("coverage");
    let capacity = capacity_coverage(&points, &facilities, RADIUS_KM).expect("capacity");
    let plan = maximal_covering(&points, &facilities, &candidates, RADIUS_KM, 10).expect("mclp");
    let deserts =
        service_deserts(&points, &facilities, Resolution::Eight, RADIUS_KM, 20.0).expect("deserts");
    eprintln!(
        "case: {} points, {} facilities, {} candidates, radius {RADIUS_KM} km; covered {:.1} %, \
         capacity-served {:.1} %; MCLP k=10 {:.1} % -> {:.1} %; {} desert cells (res 8, >= 20)",
        points.len(),
        facilities.len(),
        candidates.len(),
        100.0 * coverage.share,
        100.0 * capacity.share,
        100.0 * plan.share_before,
        100.0 * plan.share_after,
        deserts.len(),
    );

    let mut group = c.benchmark_group("coverage_county_50k");
    group.sample_size(10);
    group.bench_function("nearest_facility", |b| {
        b.iter(|| black_box(nearest_facility(black_box(&points), &facilities)))
    });
    group.bench_function("radius_coverage", |b| {
        b.iter(|| black_box(radius_coverage(black_box(&points), &facilities, RADIUS_KM)))
    });
    group.bench_function("capacity_coverage", |b| {
        b.iter(|| {
            black_box(capacity_coverage(
                black_box(&points),
                &facilities,
                RADIUS_KM,
            ))
        })
    });
    group.bench_function("two_step_fca", |b| {
        b.iter(|| black_box(two_step_fca(black_box(&points), &facilities, RADIUS_KM)))
    });
    group.bench_function("enhanced_two_step_fca", |b| {
        b.iter(|| {
            black_box(enhanced_two_step_fca(
                black_box(&points),
                &facilities,
                RADIUS_KM,
                &bands,
            ))
        })
    });
    group.bench_function("service_deserts_res8", |b| {
        b.iter(|| {
            black_box(service_deserts(
                black_box(&points),
                &facilities,
                Resolution::Eight,
                RADIUS_KM,
                20.0,
            ))
        })
    });
    group.bench_function("maximal_covering_k10_2025_candidates", |b| {
        b.iter(|| {
            black_box(maximal_covering(
                black_box(&points),
                &facilities,
                &candidates,
                RADIUS_KM,
                10,
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, bench_coverage);
criterion_main!(benches);
