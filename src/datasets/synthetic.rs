//! Deterministic synthetic service objects, calibrated to national scales and spread over the
//! real county polygons by a population proxy.
//!
//! - Kind totals follow [`Kind::national_scale`], scaled so the whole run is `records` rows.
//!   Facility kinds are scaled 20× more generously (capped at the national count), so that
//!   even a demo-sized dataset has facilities in most counties for coverage analysis.
//! - Province shares follow the 2020 census; within a province, [`county_weight`]; kinds of
//!   need (低保, 特困, …) lean rural, registrations and organizations lean urban.
//! - Points cluster around a few "towns" per county (Zipf-weighted, Gaussian spread) and are
//!   re-drawn until they fall inside the county, so every point lies in its real polygon.
//! - Validity intervals: arrivals uniform in time, durations exponential with a kind-specific
//!   mean (monthly churn = 1/mean), history long enough that the first month is in steady state.
//! - ID numbers are valid 18-digit numbers (real county as region, MOD 11-2 check); only
//!   their HMAC and masked form leave this module.
//!
//! The same options and key always give the same rows, whatever the number of threads.

use super::population::{estimate_populations, CountyType};
use crate::domain::identity::{make_credit_code, make_id_number, mask_id_number, PersonHasher};
use crate::domain::{DivisionCode, Facility, Kind, Month, Registry, ServiceObject, Unit};
use crate::spatial::CountyIndex;
use chrono::{Days, NaiveDate};
use geo::{BoundingRect, ChamberlainDuquetteArea, InteriorPoint, MultiPolygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::collections::HashMap;

/// Seed of the embedded default dataset.
pub const DEFAULT_SEED: u64 = 20_240_601;

/// Options for [`generate`].
#[derive(Debug, Clone)]
pub struct SyntheticOptions {
    /// Total rows (service objects + facilities).
    pub records: u64,
    /// Seed of every random choice.
    pub seed: u64,
    /// Last month of the window.
    pub last_month: Month,
    /// Months in the window (at least 1).
    pub months: u32,
}

impl Default for SyntheticOptions {
    fn default() -> Self {
        SyntheticOptions {
            records: 3_000_000,
            seed: DEFAULT_SEED,
            last_month: Month::new(2026, 10).expect("valid month"),
            months: 36,
        }
    }
}

impl SyntheticOptions {
    /// First month of the window.
    pub fn first_month(&self) -> Month {
        self.last_month.plus_months(1 - self.months.max(1) as i32)
    }
}

/// Rows per kind for a run.
pub fn plan(options: &SyntheticOptions) -> Vec<(Kind, u64)> {
    let months = f64::from(options.months.max(1));
    // Rows a kind produces per unit of stock over the window: those in force at the start
    // plus the arrivals during it.
    let natural = |kind: Kind| -> f64 {
        let scale = kind.national_scale() as f64;
        match kind.unit() {
            Unit::Event => scale * months / 12.0,
            _ => scale * (months + mean_duration_months(kind)) / mean_duration_months(kind),
        }
    };
    let boost = |kind: Kind| if kind.is_facility() { 20.0 } else { 1.0 };
    let total: f64 = Kind::ALL.iter().map(|&k| natural(k) * boost(k)).sum();
    let factor = options.records as f64 / total;
    // Facilities first (boosted, capped at the national count), then the rest of the rows
    // shared among the other kinds by their natural sizes, largest remainder first, so the
    // plan sums to exactly `records`.
    let facility = |k: Kind| (natural(k) * factor * boost(k)).min(natural(k)).floor() as u64;
    let facilities: u64 = Kind::ALL
        .iter()
        .filter(|k| k.is_facility())
        .map(|&k| facility(k))
        .sum();
    let rest = options.records.saturating_sub(facilities);
    let others: f64 = Kind::ALL
        .iter()
        .filter(|k| !k.is_facility())
        .map(|&k| natural(k))
        .sum();
    let wanted: Vec<f64> = Kind::ALL
        .iter()
        .map(|&k| {
            if k.is_facility() {
                facility(k) as f64
            } else {
                natural(k) / others * rest as f64
            }
        })
        .collect();
    let mut counts: Vec<u64> = wanted.iter().map(|w| w.floor() as u64).collect();
    let mut order: Vec<usize> = (0..counts.len())
        .filter(|&i| !Kind::ALL[i].is_facility())
        .collect();
    order.sort_by(|&a, &b| {
        (wanted[b] - wanted[b].floor()).total_cmp(&(wanted[a] - wanted[a].floor()))
    });
    let missing = options.records.saturating_sub(counts.iter().sum()) as usize;
    for &i in order.iter().cycle().take(missing) {
        counts[i] += 1;
    }
    Kind::ALL.into_iter().zip(counts).collect()
}

/// Mean time in force, in months (monthly churn is its inverse).
fn mean_duration_months(kind: Kind) -> f64 {
    match kind {
        Kind::Dibao => 48.0,
        Kind::Tekun => 72.0,
        Kind::LowIncome => 36.0,
        Kind::Orphan => 60.0,
        Kind::DeFactoOrphan => 48.0,
        Kind::DisabilityLiving | Kind::DisabilityCare => 60.0,
        Kind::SocialOrg => 120.0,
        Kind::ElderlyCare | Kind::ReliefStation | Kind::Funeral => 240.0,
        Kind::Marriage => 1.0,
    }
}

/// How much a kind leans to urban (>1) or rural (<1) units.
fn urban_factor(kind: Kind, county: CountyType) -> f64 {
    let urban = county.is_urban();
    match kind {
        Kind::Dibao | Kind::Tekun | Kind::LowIncome | Kind::Orphan | Kind::DeFactoOrphan => {
            if urban {
                0.6
            } else {
                1.3
            }
        }
        Kind::SocialOrg | Kind::Marriage => {
            if urban {
                1.4
            } else {
                0.8
            }
        }
        _ => 1.0,
    }
}

/// A leaf division prepared for drawing points.
struct County {
    code: DivisionCode,
    name: String,
    /// Town centres with cumulative weights.
    towns: Vec<(f64, f64, f64)>,
    /// Spread of points around a town, in degrees.
    sigma: f64,
    bbox: geo::Rect<f64>,
    ctype: CountyType,
    weight: f64,
}

/// One generated chunk.
#[derive(Debug, Default)]
pub struct Chunk {
    /// Persons, organizations and events.
    pub objects: Vec<ServiceObject>,
    /// Facilities.
    pub facilities: Vec<Facility>,
}

const CHUNK: u64 = 50_000;

/// Generates the rows of `options`, handing chunks to `sink` in a deterministic order.
/// Counties without census population (香港, 澳门, 台湾) get none.
pub fn generate(
    options: &SyntheticOptions,
    registry: &Registry,
    geometries: &HashMap<DivisionCode, MultiPolygon<f64>>,
    index: &CountyIndex,
    hasher: &PersonHasher,
    batch_id: u64,
    mut sink: impl FnMut(Chunk) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let counties = prepare_counties(options.seed, registry, geometries, index);
    anyhow::ensure!(
        !counties.is_empty(),
        "no populated counties to generate into"
    );
    // Cumulative county weights per kind.
    let tables: HashMap<Kind, Vec<f64>> = Kind::ALL
        .iter()
        .map(|&kind| {
            let mut acc = 0.0;
            let cumulative = counties
                .iter()
                .map(|c| {
                    acc += c.weight * urban_factor(kind, c.ctype);
                    acc
                })
                .collect();
            (kind, cumulative)
        })
        .collect();
    let window_start = options.first_month().first_day();
    let window_end = options.last_month.next().first_day();
    let mut tasks = Vec::new();
    let mut next_id = 1u64;
    for (kind, count) in plan(options) {
        let mut done = 0;
        while done < count {
            let n = CHUNK.min(count - done);
            tasks.push((kind, next_id, n, tasks.len() as u64));
            next_id += n;
            done += n;
        }
    }
    let ctx = Context {
        options,
        counties: &counties,
        tables: &tables,
        index,
        hasher,
        batch_id,
        window_start,
        window_end,
    };
    // Generate a few chunks at a time in parallel, hand them over in order.
    let group = rayon::current_num_threads().max(1) * 2;
    for tasks in tasks.chunks(group) {
        let chunks: Vec<Chunk> = tasks
            .par_iter()
            .map(|&(kind, first_id, n, task)| ctx.chunk(kind, first_id, n, task))
            .collect();
        for chunk in chunks {
            sink(chunk)?;
        }
    }
    Ok(())
}

fn prepare_counties(
    seed: u64,
    registry: &Registry,
    geometries: &HashMap<DivisionCode, MultiPolygon<f64>>,
    index: &CountyIndex,
) -> Vec<County> {
    let leaves: Vec<_> = registry
        .leaves()
        .filter_map(|d| Some((d, geometries.get(&d.code)?)))
        .collect();
    let areas: HashMap<DivisionCode, f64> = leaves
        .par_iter()
        .map(|(d, g)| (d.code, g.chamberlain_duquette_unsigned_area() / 1e6))
        .collect();
    // Each county draws records in proportion to its estimated population; counties outside
    // the census provinces have none and get no records.
    let population = estimate_populations(registry, &areas);
    leaves
        .par_iter()
        .filter_map(|(d, geometry)| {
            let people = *population.get(&d.code)?;
            let area_km2 = areas[&d.code];
            let ctype = CountyType::from_name(&d.name);
            let bbox = geometry.bounding_rect()?;
            let mut rng = ChaCha8Rng::seed_from_u64(
                seed ^ u64::from(d.code.get()).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            );
            let n_towns = if ctype.is_urban() { 4 } else { 8 };
            let mut towns = Vec::with_capacity(n_towns);
            let mut acc = 0.0;
            for rank in 0..n_towns {
                let point = (0..2_000)
                    .map(|_| {
                        (
                            rng.random_range(bbox.min().x..=bbox.max().x),
                            rng.random_range(bbox.min().y..=bbox.max().y),
                        )
                    })
                    .find(|&(x, y)| index.county_contains(d.code, x, y))
                    .or_else(|| {
                        let p = geometry.interior_point()?;
                        index
                            .county_contains(d.code, p.x(), p.y())
                            .then_some((p.x(), p.y()))
                    });
                if let Some((x, y)) = point {
                    // Zipf: the county seat dominates.
                    acc += 1.0 / (rank as f64 + 1.0);
                    towns.push((x, y, acc));
                }
            }
            let sigma_km = (area_km2.sqrt() / 10.0).clamp(0.4, 6.0);
            Some(County {
                code: d.code,
                name: d.name.clone(),
                towns,
                sigma: sigma_km / 111.0,
                bbox,
                ctype,
                weight: people as f64,
            })
        })
        .filter(|c| !c.towns.is_empty())
        .collect()
}

struct Context<'a> {
    options: &'a SyntheticOptions,
    counties: &'a [County],
    tables: &'a HashMap<Kind, Vec<f64>>,
    index: &'a CountyIndex,
    hasher: &'a PersonHasher,
    batch_id: u64,
    window_start: NaiveDate,
    window_end: NaiveDate,
}

impl Context<'_> {
    fn chunk(&self, kind: Kind, first_id: u64, n: u64, task: u64) -> Chunk {
        let mut rng = ChaCha8Rng::seed_from_u64(
            self.options
                .seed
                .wrapping_add(task.wrapping_mul(0xA076_1D64_78BD_642F)),
        );
        let mut chunk = Chunk::default();
        let table = &self.tables[&kind];
        let total = *table.last().expect("non-empty table");
        for id in first_id..first_id + n {
            let r = rng.random_range(0.0..total);
            let ci = table
                .partition_point(|&w| w <= r)
                .min(self.counties.len() - 1);
            let county = &self.counties[ci];
            let (lon, lat) = self.draw_point(&mut rng, county);
            let assignment = self.index.assign(lon, lat);
            let (valid_from, valid_to) = self.interval(&mut rng, kind);
            // A small share is declared under a neighbouring code: a quality finding to surface.
            let declared = if rng.random_bool(0.002) {
                let j = if ci + 1 < self.counties.len() {
                    ci + 1
                } else {
                    ci.saturating_sub(1)
                };
                self.counties[j].code
            } else {
                county.code
            };
            let county_code = assignment.county.map(|c| c.get());
            let h3 = assignment.cell.map(u64::from);
            if kind.is_facility() {
                chunk.facilities.push(self.facility(
                    &mut rng,
                    kind,
                    id,
                    county,
                    declared,
                    (lon, lat),
                    county_code,
                    h3,
                    valid_from,
                    valid_to,
                ));
                continue;
            }
            let (person_hash, person_masked, credit_code) = if kind == Kind::SocialOrg {
                let kind_code = ["51", "52", "53"][rng.random_range(0..3)];
                (
                    None,
                    None,
                    Some(make_credit_code(kind_code, county.code.get(), id)),
                )
            } else {
                // A few people are held under two kinds, or twice in one kind in different
                // places (what 数据比对 is for): they draw their ID from a small shared pool.
                let shared = matches!(
                    kind,
                    Kind::Dibao
                        | Kind::Tekun
                        | Kind::LowIncome
                        | Kind::DisabilityLiving
                        | Kind::DisabilityCare
                ) && rng.random_bool(SHARED_ID_SHARE);
                let id_number = if shared {
                    self.shared_id_number(rng.random_range(0..SHARED_ID_POOL))
                } else {
                    self.id_number(&mut rng, kind, county.code, valid_from)
                };
                (
                    Some(self.hasher.hash_id_number(&id_number)),
                    Some(mask_id_number(&id_number)),
                    None,
                )
            };
            chunk.objects.push(ServiceObject {
                id,
                kind,
                lon,
                lat,
                declared_code: declared.get(),
                county_code,
                h3,
                valid_from,
                valid_to,
                person_hash,
                person_masked,
                credit_code,
                attrs: attributes(&mut rng, kind, county.ctype),
                batch_id: self.batch_id,
            });
        }
        chunk
    }

    fn draw_point(&self, rng: &mut ChaCha8Rng, county: &County) -> (f64, f64) {
        let r = rng.random_range(0.0..county.towns.last().expect("towns").2);
        let town = county
            .towns
            .iter()
            .find(|t| t.2 > r)
            .unwrap_or(&county.towns[0]);
        for _ in 0..32 {
            let (dx, dy) = gaussian_pair(rng);
            let lon = town.0 + dx * county.sigma / town.1.to_radians().cos();
            let lat = town.1 + dy * county.sigma;
            if county.bbox.min().x <= lon
                && lon <= county.bbox.max().x
                && self.index.county_contains(county.code, lon, lat)
            {
                return (lon, lat);
            }
        }
        (town.0, town.1)
    }

    fn interval(&self, rng: &mut ChaCha8Rng, kind: Kind) -> (NaiveDate, Option<NaiveDate>) {
        let window_days = (self.window_end - self.window_start).num_days() as f64;
        if kind.unit() == Unit::Event {
            let day = self.window_start + Days::new(rng.random_range(0.0..window_days) as u64);
            return (day, Some(day + Days::new(1)));
        }
        let mean_days = mean_duration_months(kind) * 30.44;
        let history = 3.0 * mean_days;
        loop {
            let start = rng.random_range(-history..window_days);
            let duration = -mean_days * (1.0 - rng.random::<f64>()).ln();
            let end = start + duration.max(1.0);
            if end <= 0.0 {
                continue; // ended before the window: never visible, draw again
            }
            // Whole days; an interval lasts at least one day and ends inside the window at the
            // earliest on its second day, so every record is visible in some month.
            let from_day = start.floor();
            let to_day = end.floor().max(from_day + 1.0).max(1.0);
            let from = offset(self.window_start, from_day);
            let to = (to_day < window_days).then(|| offset(self.window_start, to_day));
            return (from, to);
        }
    }

    /// The `j`-th ID number of the shared pool: adults born 1940–1974 across all counties.
    fn shared_id_number(&self, j: u32) -> String {
        let county = self.counties[(j as usize * 7919) % self.counties.len()].code;
        let birth = NaiveDate::from_ymd_opt(1940, 1, 1).expect("valid date")
            + Days::new(u64::from(j) * 7919 % (35 * 365));
        make_id_number(county.get(), birth, (j % 1000) as u16)
    }

    fn id_number(
        &self,
        rng: &mut ChaCha8Rng,
        kind: Kind,
        county: DivisionCode,
        valid_from: NaiveDate,
    ) -> String {
        let age_years = match kind {
            Kind::Orphan | Kind::DeFactoOrphan => rng.random_range(0.0..17.5),
            Kind::Tekun if rng.random_bool(0.7) => rng.random_range(60.0..96.0),
            Kind::Tekun => rng.random_range(18.0..60.0),
            Kind::Marriage => rng.random_range(20.0..46.0),
            Kind::DisabilityLiving | Kind::DisabilityCare => rng.random_range(5.0..90.0),
            _ => rng.random_range(0.0..92.0),
        };
        let birth = offset(valid_from, -age_years * 365.25);
        // Most people were born in the county that now serves them.
        let region = if rng.random_bool(0.9) {
            county
        } else {
            self.counties[rng.random_range(0..self.counties.len())].code
        };
        make_id_number(region.get(), birth, rng.random_range(0..1000))
    }

    #[allow(clippy::too_many_arguments)]
    fn facility(
        &self,
        rng: &mut ChaCha8Rng,
        kind: Kind,
        id: u64,
        county: &County,
        declared: DivisionCode,
        (lon, lat): (f64, f64),
        county_code: Option<u32>,
        h3: Option<u64>,
        valid_from: NaiveDate,
        valid_to: Option<NaiveDate>,
    ) -> Facility {
        let (suffix, capacity) = match kind {
            Kind::ElderlyCare => {
                let names = ["敬老院", "养老院", "颐养中心", "社会福利院", "护理院"];
                // Log-normal around ≈195 beds, the national average (8 M beds / 41,000).
                let beds = (150.0 * (0.7 * gaussian_pair(rng).0).exp())
                    .round()
                    .clamp(10.0, 2_000.0);
                (names[rng.random_range(0..names.len())], beds as u32)
            }
            Kind::ReliefStation => ("救助管理站", rng.random_range(20..200)),
            _ => (
                ["殡仪馆", "公墓", "殡葬服务中心"][rng.random_range(0..3)],
                rng.random_range(10..500),
            ),
        };
        let occupied = (f64::from(capacity) * rng.random_range(0.3..0.95)).round() as u32;
        Facility {
            id,
            kind,
            name: format!("{}第{}{}", county.name, id % 97 + 1, suffix),
            credit_code: make_credit_code("52", county.code.get(), id),
            lon,
            lat,
            declared_code: declared.get(),
            county_code,
            h3,
            capacity,
            occupied,
            valid_from,
            valid_to,
            batch_id: self.batch_id,
        }
    }
}

/// Share of adult person records whose ID comes from the shared pool.
const SHARED_ID_SHARE: f64 = 0.003;
/// Size of the shared pool of ID numbers.
const SHARED_ID_POOL: u32 = 20_000;

fn attributes(rng: &mut ChaCha8Rng, kind: Kind, ctype: CountyType) -> String {
    match kind {
        Kind::Dibao => {
            let rural = !ctype.is_urban() || rng.random_bool(0.2);
            let household = rng.random_range(1..6);
            // Monthly benefit in yuan per person, rural standards lower than urban.
            let amount = if rural {
                rng.random_range(400..700)
            } else {
                rng.random_range(600..1100)
            };
            format!(
                r#"{{"area":"{}","household_size":{household},"monthly_amount":{amount}}}"#,
                if rural { "rural" } else { "urban" }
            )
        }
        Kind::Tekun => format!(
            r#"{{"care":"{}"}}"#,
            if rng.random_bool(0.25) {
                "centralized"
            } else {
                "dispersed"
            }
        ),
        Kind::LowIncome => format!(
            r#"{{"category":"{}"}}"#,
            if rng.random_bool(0.6) {
                "edge"
            } else {
                "rigid_expense"
            }
        ),
        Kind::Orphan | Kind::DeFactoOrphan => {
            format!(
                r#"{{"placement":"{}"}}"#,
                if rng.random_bool(0.15) {
                    "institution"
                } else {
                    "kinship"
                }
            )
        }
        Kind::DisabilityLiving | Kind::DisabilityCare => {
            format!(r#"{{"grade":{}}}"#, rng.random_range(1..5))
        }
        Kind::Marriage => format!(
            r#"{{"type":"{}","cross_province":{}}}"#,
            if rng.random_bool(0.75) {
                "marriage"
            } else {
                "divorce"
            },
            rng.random_bool(0.05)
        ),
        Kind::SocialOrg => "{}".to_string(),
        _ => "{}".to_string(),
    }
}

fn offset(base: NaiveDate, days: f64) -> NaiveDate {
    let days = days.floor() as i64;
    if days >= 0 {
        base + Days::new(days as u64)
    } else {
        base - Days::new(days.unsigned_abs())
    }
}

/// Two independent standard normal draws (Box–Muller).
fn gaussian_pair(rng: &mut ChaCha8Rng) -> (f64, f64) {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    let r = (-2.0 * u1.ln()).sqrt();
    let theta = std::f64::consts::TAU * u2;
    (r * theta.cos(), r * theta.sin())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_sums_to_records_and_keeps_proportions() {
        for records in [1_000, 200_000, 3_000_000, 100_000_000] {
            let options = SyntheticOptions {
                records,
                ..Default::default()
            };
            let plan = plan(&options);
            assert_eq!(plan.iter().map(|p| p.1).sum::<u64>(), records, "{records}");
            let get = |k: Kind| plan.iter().find(|p| p.0 == k).unwrap().1;
            assert!(get(Kind::Dibao) > get(Kind::Tekun));
            // Facilities never exceed the national stock plus its arrivals over the window.
            let cap = Kind::ElderlyCare.national_scale() as f64 * (36.0 + 240.0) / 240.0;
            assert!(get(Kind::ElderlyCare) as f64 <= cap, "{records}");
        }
    }

    #[test]
    fn generation_is_deterministic_and_points_lie_in_their_county() {
        let boundaries = crate::datasets::load_embedded().unwrap();
        let index = CountyIndex::build(
            boundaries
                .registry
                .leaves()
                .map(|d| (d.code, &boundaries.geometries[&d.code])),
        );
        let hasher = PersonHasher::new(b"test-key-0123456789abcdef").unwrap();
        let options = SyntheticOptions {
            records: 30_000,
            ..Default::default()
        };
        let run = || {
            let mut rows = Vec::new();
            let mut facilities = Vec::new();
            generate(
                &options,
                &boundaries.registry,
                &boundaries.geometries,
                &index,
                &hasher,
                1,
                |c| {
                    rows.extend(c.objects);
                    facilities.extend(c.facilities);
                    Ok(())
                },
            )
            .unwrap();
            (rows, facilities)
        };
        let (a, fa) = run();
        let (b, fb) = run();
        assert_eq!(a.len() + fa.len(), 30_000);
        assert!(
            a == b && fa == fb,
            "same options and key give the same rows"
        );
        let window_start = options.first_month().first_day();
        for r in &a {
            let county = DivisionCode::new(
                r.county_code
                    .expect("every synthetic point lies inside China"),
            )
            .unwrap();
            assert!(index.county_contains(county, r.lon, r.lat));
            assert!(r
                .valid_to
                .is_none_or(|to| to > r.valid_from && to > window_start));
            if let Some(masked) = &r.person_masked {
                assert_eq!(masked.len(), 18);
                assert!(masked.contains("**********"));
            }
        }
        // Declared and geometric codes agree except for the injected ~0.2 % quality findings.
        let mismatched = a
            .iter()
            .filter(|r| r.county_code != Some(r.declared_code))
            .count();
        assert!(
            mismatched * 100 < a.len(),
            "{mismatched} mismatches of {}",
            a.len()
        );
    }

    #[test]
    fn window_is_the_last_36_months() {
        let options = SyntheticOptions::default();
        assert_eq!(options.first_month().to_string(), "2023-11");
    }
}
