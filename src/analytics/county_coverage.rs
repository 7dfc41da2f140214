//! "How well are a county's people covered by services, and where are the gaps?" — demand
//! from the as-of snapshot, supply from open facilities in and around the county, answered
//! with the coverage kernels.

use super::coverage::{
    aggregate_by_key, capacity_coverage, enhanced_two_step_fca, h3_keys, maximal_covering,
    radius_coverage, service_deserts, DecayBands, DemandPoint, Desert, SitePlan, Supply,
};
use super::facilities::{open_on, FacilityIndex};
use super::AnalyticsError;
use crate::domain::{DivisionCode, Kind};
use crate::store::Store;
use chrono::NaiveDate;
use h3o::Resolution;
use serde::Serialize;
use std::collections::BTreeMap;

/// Resolution of desert cells and candidate sites (≈0.74 km², ~0.5 km across).
pub const CELL_RESOLUTION: Resolution = Resolution::Eight;

/// What a coverage question is about.
#[derive(Debug, Clone)]
pub struct CoverageRequest {
    /// The county-level unit.
    pub county: DivisionCode,
    /// Kinds whose people are the demand.
    pub kinds: Vec<Kind>,
    /// Facility kind that serves them.
    pub facility_kind: Kind,
    /// Catchment radius, km.
    pub radius_km: f64,
    /// Snapshot date.
    pub date: NaiveDate,
}

/// Demand and supply for one request.
pub struct Inputs {
    /// People (weight 1 each).
    pub demand: Vec<DemandPoint>,
    /// Open facilities of the kind within reach of the county (including just across its
    /// border: people use the nearest home, wherever it is registered).
    pub supply: Vec<Supply>,
}

/// Loads demand and supply.
pub fn inputs(
    store: &Store,
    facilities: &FacilityIndex,
    bbox: [f64; 4],
    r: &CoverageRequest,
) -> Result<Inputs, AnalyticsError> {
    let mut demand = Vec::new();
    for &kind in &r.kinds {
        demand.extend(
            store
                .demand_points(r.county, kind, r.date)?
                .into_iter()
                .map(|(lon, lat)| DemandPoint {
                    lon,
                    lat,
                    weight: 1.0,
                }),
        );
    }
    // Facilities within the county's box grown by the radius (1° latitude ≈ 111 km; longitude
    // degrees shrink with latitude, so grow by the larger amount).
    let dlat = r.radius_km / 111.0;
    let dlon = r.radius_km / (111.0 * bbox[3].abs().max(bbox[1].abs()).to_radians().cos().max(0.1));
    let supply = facilities
        .all()
        .iter()
        .filter(|f| f.kind == r.facility_kind && open_on(f, r.date))
        .filter(|f| {
            f.lon >= bbox[0] - dlon
                && f.lon <= bbox[2] + dlon
                && f.lat >= bbox[1] - dlat
                && f.lat <= bbox[3] + dlat
        })
        .map(|f| Supply {
            lon: f.lon,
            lat: f.lat,
            capacity: f64::from(f.capacity),
        })
        .collect();
    Ok(Inputs { demand, supply })
}

/// Summary of a county's coverage.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageSummary {
    /// People counted as demand.
    pub demand: usize,
    /// Facilities within reach of the county.
    pub facilities: usize,
    /// Their capacity.
    pub capacity: f64,
    /// Share of demand within the radius of any facility.
    pub radius_coverage: f64,
    /// Share of demand that capacity can serve (closest first).
    pub capacity_coverage: f64,
    /// E2SFCA accessibility (places per person, distance-weighted): mean over people.
    pub accessibility_mean: f64,
    /// Median.
    pub accessibility_median: f64,
    /// Share of people with accessibility 0 (no facility in reach).
    pub no_access_share: f64,
}

/// One H3 cell's figures.
#[derive(Debug, Clone, Serialize)]
pub struct CellCoverage {
    /// H3 cell (resolution [`CELL_RESOLUTION`]) as hex.
    pub cell: String,
    /// Cell centre longitude.
    pub lon: f64,
    /// Cell centre latitude.
    pub lat: f64,
    /// People in the cell.
    pub demand: usize,
    /// Share of them within the radius of a facility.
    pub covered_share: f64,
    /// Mean E2SFCA accessibility.
    pub accessibility_mean: f64,
}

/// Radius coverage, capacity coverage and E2SFCA accessibility, for the county and per cell.
pub fn summary(
    inputs: &Inputs,
    radius_km: f64,
) -> Result<(CoverageSummary, Vec<CellCoverage>), AnalyticsError> {
    let radius = radius_coverage(&inputs.demand, &inputs.supply, radius_km)?;
    let capacity = capacity_coverage(&inputs.demand, &inputs.supply, radius_km)?;
    let access = enhanced_two_step_fca(
        &inputs.demand,
        &inputs.supply,
        radius_km,
        &DecayBands::three_zones(),
    )?;
    // `+ 0.0` turns the -0.0 of empty sums into 0.
    let round = |x: f64| (x * 1e6).round() / 1e6 + 0.0;
    let keys = h3_keys(&inputs.demand, CELL_RESOLUTION)?;
    let covered: Vec<f64> = radius
        .covered
        .iter()
        .map(|&c| if c { 1.0 } else { 0.0 })
        .collect();
    let covered_by_cell = aggregate_by_key(&covered, &keys)?;
    let access_by_cell = aggregate_by_key(&access.score, &keys)?;
    let cells = covered_by_cell
        .iter()
        .zip(&access_by_cell)
        .filter_map(|(c, a)| {
            let cell = h3o::CellIndex::try_from(c.key).ok()?;
            let centre = h3o::LatLng::from(cell);
            Some(CellCoverage {
                cell: cell.to_string(),
                lon: round(centre.lng()),
                lat: round(centre.lat()),
                demand: c.count,
                covered_share: round(c.mean),
                accessibility_mean: round(a.mean),
            })
        })
        .collect();
    let mut scores = access.score.clone();
    scores.sort_by(f64::total_cmp);
    let n = scores.len();
    let summary = CoverageSummary {
        demand: n,
        facilities: inputs.supply.len(),
        capacity: inputs.supply.iter().map(|s| s.capacity).sum::<f64>() + 0.0,
        radius_coverage: round(radius.share),
        capacity_coverage: round(capacity.share),
        accessibility_mean: if n > 0 {
            round(scores.iter().sum::<f64>() / n as f64)
        } else {
            0.0
        },
        accessibility_median: if n > 0 { round(scores[n / 2]) } else { 0.0 },
        no_access_share: if n > 0 {
            round(scores.iter().filter(|&&s| s == 0.0).count() as f64 / n as f64)
        } else {
            0.0
        },
    };
    Ok((summary, cells))
}

/// Cells with at least `min_demand` people and no capacity within the radius, worst first.
pub fn deserts(
    inputs: &Inputs,
    radius_km: f64,
    min_demand: f64,
) -> Result<Vec<Desert>, AnalyticsError> {
    Ok(service_deserts(
        &inputs.demand,
        &inputs.supply,
        CELL_RESOLUTION,
        radius_km,
        min_demand,
    )?)
}

/// Greedy maximal-covering choice of up to `k` new sites among the centres of the cells where
/// the demand lives.
/// `candidates` replaces them with sites the user proposes (e.g. plots the county owns).
pub fn suggest(
    inputs: &Inputs,
    radius_km: f64,
    k: usize,
    candidates: Option<Vec<(f64, f64)>>,
) -> Result<SitePlan, AnalyticsError> {
    let candidates = candidates.unwrap_or_else(|| {
        let mut cells: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
        for p in &inputs.demand {
            if let Ok(ll) = h3o::LatLng::new(p.lat, p.lon) {
                let cell = ll.to_cell(CELL_RESOLUTION);
                cells.entry(u64::from(cell)).or_insert_with(|| {
                    let c = h3o::LatLng::from(cell);
                    (c.lng(), c.lat())
                });
            }
        }
        cells.into_values().collect()
    });
    if candidates.is_empty() {
        // No demand, nothing to site: the plan is empty, not an error.
        let now = radius_coverage(&inputs.demand, &inputs.supply, radius_km)?;
        return Ok(SitePlan {
            chosen: Vec::new(),
            total_demand: now.total_demand,
            covered_before: now.covered_demand,
            covered_after: now.covered_demand,
            share_before: now.share,
            share_after: now.share,
        });
    }
    // Asking for more sites than there are candidate cells gets them all.
    let k = k.min(candidates.len());
    Ok(maximal_covering(
        &inputs.demand,
        &inputs.supply,
        &candidates,
        radius_km,
        k,
    )?)
}
