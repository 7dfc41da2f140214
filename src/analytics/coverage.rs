//! County coverage analytics (issue 7): the pure kernels behind the county page — nearest
//! facility, radius coverage, 2SFCA/E2SFCA accessibility, service deserts (服务盲区) and
//! maximal-covering site suggestion (选址). Plain functions over slices, free of I/O,
//! parallelised with rayon.
//!
//! Distances are great-circle (haversine) kilometres from [`haversine_km`]; every kernel and
//! every test reference uses that one function, so the indexed kernels equal an all-pairs
//! computation float for float.
//!
//! Why a 3-D R-tree of unit vectors rather than a lat/lon one: the straight-line (chord)
//! distance between unit vectors grows monotonically with the great-circle distance, so one
//! index answers both "within D km" and "nearest" queries anywhere on the sphere (no
//! antimeridian or pole special cases). The index only proposes candidates within a slightly
//! padded chord; the haversine distance decides.

use h3o::{CellIndex, LatLng, Resolution};
use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::RTree;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fmt;

/// Mean Earth radius (IUGG), km.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Largest accepted catchment radius, km: beyond a county's scale a straight-line catchment
/// means nothing, and a typo (e.g. metres for km) should fail loudly.
pub const MAX_RADIUS_KM: f64 = 500.0;

/// Demand points per rayon task: enough work to amortise scheduling.
const MIN_LEN: usize = 512;

/// Where people needing a service live: a 服务对象 location (or an aggregate of them) with its
/// demand weight (persons, or any non-negative measure in the unit of [`Supply::capacity`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DemandPoint {
    /// Longitude, degrees (WGS84).
    pub lon: f64,
    /// Latitude, degrees (WGS84).
    pub lat: f64,
    /// Demand, finite and non-negative.
    pub weight: f64,
}

/// A service facility, e.g. an 养老机构 elderly-care institution, with its capacity (beds,
/// places) in the unit of [`DemandPoint::weight`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Supply {
    /// Longitude, degrees (WGS84).
    pub lon: f64,
    /// Latitude, degrees (WGS84).
    pub lat: f64,
    /// Capacity, finite and non-negative.
    pub capacity: f64,
}

/// Which input slice a bad value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A demand point.
    Demand,
    /// An existing facility.
    Facility,
    /// A candidate site.
    Candidate,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Demand => "demand point",
            Role::Facility => "facility",
            Role::Candidate => "candidate site",
        })
    }
}

/// Invalid input to a coverage kernel. Kernels validate everything up front and never panic
/// on input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CoverageError {
    /// Radius not finite, not positive, or above [`MAX_RADIUS_KM`].
    #[error("radius must be a finite number of kilometres in (0, {MAX_RADIUS_KM}], got {0}")]
    InvalidRadius(f64),
    /// A coordinate that is not a finite longitude in [-180, 180] and latitude in [-90, 90].
    #[error("{role} {index}: ({lon}, {lat}) is not a finite longitude in [-180, 180] and latitude in [-90, 90]")]
    InvalidCoordinate {
        /// Which slice.
        role: Role,
        /// Position in that slice.
        index: usize,
        /// The longitude given.
        lon: f64,
        /// The latitude given.
        lat: f64,
    },
    /// A demand weight that is negative or not finite.
    #[error("demand point {index}: weight must be finite and non-negative, got {value}")]
    InvalidWeight {
        /// Position of the point.
        index: usize,
        /// The weight given.
        value: f64,
    },
    /// A facility capacity that is negative or not finite.
    #[error("facility {index}: capacity must be finite and non-negative, got {value}")]
    InvalidCapacity {
        /// Position of the facility.
        index: usize,
        /// The capacity given.
        value: f64,
    },
    /// Number of sites to choose outside 1..=candidates.
    #[error("cannot choose {k} sites from {candidates} candidates: need 1 <= k <= candidates")]
    InvalidSiteCount {
        /// Sites requested.
        k: usize,
        /// Candidates given.
        candidates: usize,
    },
    /// Distance-decay bands that do not describe a step function over (0, radius].
    #[error("distance-decay bands: {0}")]
    InvalidDecay(&'static str),
    /// A demand threshold that is negative or not finite.
    #[error("demand threshold must be finite and non-negative, got {0}")]
    InvalidThreshold(f64),
    /// Slices that must pair up have different lengths.
    #[error("{values} values but {keys} keys")]
    LengthMismatch {
        /// Length of the values.
        values: usize,
        /// Length of the keys.
        keys: usize,
    },
    /// More points or facilities than a pair list can index (2³² − 1).
    #[error("too many points or facilities for one call: split the region")]
    TooManyItems,
    /// A value to aggregate that is not finite.
    #[error("value {index} is not finite: {value}")]
    NonFiniteValue {
        /// Position of the value.
        index: usize,
        /// The value given.
        value: f64,
    },
}

/// Great-circle distance in km between two lon/lat points (haversine, [`EARTH_RADIUS_KM`]).
///
/// Exactly symmetric: `haversine_km(a, b) == haversine_km(b, a)` bit for bit.
pub fn haversine_km(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    distance_km(&Site::new(lon1, lat1), &Site::new(lon2, lat2))
}

/// A validated point in radians, with the cosine every distance needs precomputed.
#[derive(Debug, Clone, Copy)]
struct Site {
    phi: f64,
    lambda: f64,
    cos_phi: f64,
}

impl Site {
    fn new(lon: f64, lat: f64) -> Site {
        let phi = lat.to_radians();
        Site {
            phi,
            lambda: lon.to_radians(),
            cos_phi: phi.cos(),
        }
    }

    /// Unit vector, the R-tree coordinate.
    fn xyz(&self) -> [f64; 3] {
        let (sin_lambda, cos_lambda) = self.lambda.sin_cos();
        [
            self.cos_phi * cos_lambda,
            self.cos_phi * sin_lambda,
            self.phi.sin(),
        ]
    }
}

/// Haversine distance in km. `abs` on the differences makes it bit-symmetric, so
/// demand→facility and facility→demand queries agree exactly.
#[inline]
fn distance_km(a: &Site, b: &Site) -> f64 {
    let s_phi = ((a.phi - b.phi).abs() * 0.5).sin();
    let s_lambda = ((a.lambda - b.lambda).abs() * 0.5).sin();
    // Rounding can push h a hair above 1 for antipodes; asin would return NaN.
    let h = (s_phi * s_phi + a.cos_phi * b.cos_phi * (s_lambda * s_lambda)).min(1.0);
    2.0 * EARTH_RADIUS_KM * h.sqrt().asin()
}

/// Squared chord (unit sphere) that surely contains every point within `km` great-circle
/// distance. The padding (1e-9 relative + ~6 µm) dwarfs the rounding of either formula, so
/// the index never drops a pair the haversine test would keep.
#[inline]
fn chord_bound_2(km: f64) -> f64 {
    let angle = (km / EARTH_RADIUS_KM).min(std::f64::consts::PI);
    let chord = 2.0 * (angle * 0.5).sin() * (1.0 + 1e-9) + 1e-12;
    chord * chord
}

/// R-tree of unit vectors carrying the index of the point in its input slice.
type Tree = RTree<GeomWithData<[f64; 3], usize>>;

fn build_tree<'a>(sites: impl Iterator<Item = (usize, &'a Site)>) -> Tree {
    RTree::bulk_load(sites.map(|(i, s)| GeomWithData::new(s.xyz(), i)).collect())
}

/// Indices (into `sites`) of tree members within `radius_km` of `query` by haversine.
#[inline]
fn within<'a>(
    tree: &'a Tree,
    sites: &'a [Site],
    query: &'a Site,
    radius_km: f64,
    bound_2: f64,
) -> impl Iterator<Item = (usize, f64)> + 'a {
    tree.locate_within_distance(query.xyz(), bound_2)
        .filter_map(move |item| {
            let d = distance_km(query, &sites[item.data]);
            (d <= radius_km).then_some((item.data, d))
        })
}

/// Nearest tree member to `query` by haversine, ties to the lowest index. Walks the tree in
/// chord order and keeps going while a candidate's chord could still round to a tie.
fn nearest_in(tree: &Tree, sites: &[Site], query: &Site) -> Option<(usize, f64)> {
    let mut best: Option<(usize, f64)> = None;
    let mut bound_2 = f64::INFINITY;
    for (item, chord_2) in tree.nearest_neighbor_iter_with_distance_2(&query.xyz()) {
        if chord_2 > bound_2 {
            break;
        }
        let j = item.data;
        let d = distance_km(query, &sites[j]);
        let better = match best {
            None => true,
            Some((bj, bd)) => d < bd || (d == bd && j < bj),
        };
        if better {
            best = Some((j, d));
            bound_2 = chord_bound_2(d);
        }
    }
    best
}

fn check_radius(radius_km: f64) -> Result<(), CoverageError> {
    if radius_km.is_finite() && radius_km > 0.0 && radius_km <= MAX_RADIUS_KM {
        Ok(())
    } else {
        Err(CoverageError::InvalidRadius(radius_km))
    }
}

fn check_coordinate(role: Role, index: usize, lon: f64, lat: f64) -> Result<(), CoverageError> {
    // Written positively so NaN fails every comparison and is rejected.
    if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) {
        Ok(())
    } else {
        Err(CoverageError::InvalidCoordinate {
            role,
            index,
            lon,
            lat,
        })
    }
}

fn is_amount(value: f64) -> bool {
    value.is_finite() && value >= 0.0
}

/// Validates demand points, reporting the first bad one.
fn check_demand(points: &[DemandPoint]) -> Result<(), CoverageError> {
    for (index, p) in points.iter().enumerate() {
        check_coordinate(Role::Demand, index, p.lon, p.lat)?;
        if !is_amount(p.weight) {
            return Err(CoverageError::InvalidWeight {
                index,
                value: p.weight,
            });
        }
    }
    Ok(())
}

/// Validates demand points and converts them.
fn demand_sites(points: &[DemandPoint]) -> Result<Vec<Site>, CoverageError> {
    check_demand(points)?;
    Ok(points
        .par_iter()
        .with_min_len(4096)
        .map(|p| Site::new(p.lon, p.lat))
        .collect())
}

/// Validates facilities (first bad one reported) and converts them.
fn facility_sites(facilities: &[Supply]) -> Result<Vec<Site>, CoverageError> {
    for (index, f) in facilities.iter().enumerate() {
        check_coordinate(Role::Facility, index, f.lon, f.lat)?;
        if !is_amount(f.capacity) {
            return Err(CoverageError::InvalidCapacity {
                index,
                value: f.capacity,
            });
        }
    }
    Ok(facilities.iter().map(|f| Site::new(f.lon, f.lat)).collect())
}

/// Σ weight in input order: a fixed order keeps totals identical run to run (a rayon sum's
/// grouping depends on work stealing).
fn total_weight(points: &[DemandPoint], mut take: impl FnMut(usize) -> bool) -> f64 {
    points
        .iter()
        .enumerate()
        .filter(|&(i, _)| take(i))
        .map(|(_, p)| p.weight)
        // An empty f64 sum is -0.0; `+ 0.0` makes it the 0 users expect to read.
        .sum::<f64>()
        + 0.0
}

fn share(part: f64, total: f64) -> f64 {
    if total > 0.0 {
        part / total + 0.0
    } else {
        0.0
    }
}

/// For every demand point, its nearest facility and the distance in km (`None` only when
/// there are no facilities). Ties go to the lowest facility index. Capacity is ignored.
pub fn nearest_facility(
    points: &[DemandPoint],
    facilities: &[Supply],
) -> Result<Vec<Option<(usize, f64)>>, CoverageError> {
    let demand = demand_sites(points)?;
    let supply = facility_sites(facilities)?;
    let tree = build_tree(supply.iter().enumerate());
    Ok(demand
        .par_iter()
        .with_min_len(MIN_LEN)
        .map(|s| nearest_in(&tree, &supply, s))
        .collect())
}

/// Radius coverage: which demand lies within the catchment of some facility.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// Σ weight of all demand points.
    pub total_demand: f64,
    /// Σ weight of covered points.
    pub covered_demand: f64,
    /// `covered_demand / total_demand` (0 when there is no demand).
    pub share: f64,
    /// Per demand point: within the radius of at least one facility.
    pub covered: Vec<bool>,
}

/// Flags of points within `radius_km` of any tree member.
fn covered_flags(demand: &[Site], tree: &Tree, supply: &[Site], radius_km: f64) -> Vec<bool> {
    let bound_2 = chord_bound_2(radius_km);
    demand
        .par_iter()
        .with_min_len(MIN_LEN)
        .map(|s| within(tree, supply, s, radius_km, bound_2).next().is_some())
        .collect()
}

/// Share of demand (weighted) within `radius_km` of any facility, whatever its capacity.
pub fn radius_coverage(
    points: &[DemandPoint],
    facilities: &[Supply],
    radius_km: f64,
) -> Result<Coverage, CoverageError> {
    check_radius(radius_km)?;
    let demand = demand_sites(points)?;
    let supply = facility_sites(facilities)?;
    let tree = build_tree(supply.iter().enumerate());
    let covered = covered_flags(&demand, &tree, &supply, radius_km);
    let total_demand = total_weight(points, |_| true);
    let covered_demand = total_weight(points, |i| covered[i]);
    Ok(Coverage {
        total_demand,
        covered_demand,
        share: share(covered_demand, total_demand),
        covered,
    })
}

/// Capacity-limited coverage: how much demand the facilities can actually serve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapacityCoverage {
    /// Σ weight of all demand points.
    pub total_demand: f64,
    /// Σ `served`.
    pub served_demand: f64,
    /// `served_demand / total_demand` (0 when there is no demand).
    pub share: f64,
    /// Per demand point: the part of its weight allotted to facilities.
    pub served: Vec<f64>,
    /// Per demand point: within the radius of some facility and wholly served.
    pub covered: Vec<bool>,
    /// Per facility: capacity left after allotment.
    pub unused_capacity: Vec<f64>,
}

/// Capacity-limited coverage by closest-first allotment: every (point, facility) pair within
/// `radius_km` is taken in order of increasing distance (ties by point, then facility index),
/// and allots `min(point's unserved demand, facility's unused capacity)`. So each facility
/// serves at most its capacity, to its nearest demand first; demand may be split between
/// facilities. A greedy rule, not an optimal transport.
pub fn capacity_coverage(
    points: &[DemandPoint],
    facilities: &[Supply],
    radius_km: f64,
) -> Result<CapacityCoverage, CoverageError> {
    check_radius(radius_km)?;
    let demand = demand_sites(points)?;
    let supply = facility_sites(facilities)?;
    let tree = build_tree(supply.iter().enumerate());
    let bound_2 = chord_bound_2(radius_km);
    if points.len() > u32::MAX as usize || facilities.len() > u32::MAX as usize {
        return Err(CoverageError::TooManyItems);
    }
    let in_reach = covered_flags(&demand, &tree, &supply, radius_km);
    // Only pairs that can move demand are sorted. Key: the distance's bits (a non-negative
    // float orders like its bits), then point, then facility; 16 integer bytes sort fast.
    let mut pairs: Vec<(u64, u32, u32)> = demand
        .par_iter()
        .enumerate()
        .with_min_len(MIN_LEN)
        .filter(|&(i, _)| points[i].weight > 0.0)
        .flat_map_iter(|(i, s)| {
            within(&tree, &supply, s, radius_km, bound_2)
                .filter(|&(j, _)| facilities[j].capacity > 0.0)
                .map(move |(j, d)| (d.to_bits(), i as u32, j as u32))
        })
        .collect();
    pairs.par_sort_unstable();
    let mut unserved: Vec<f64> = points.iter().map(|p| p.weight).collect();
    let mut unused_capacity: Vec<f64> = facilities.iter().map(|f| f.capacity).collect();
    for (_, i, j) in pairs {
        let (i, j) = (i as usize, j as usize);
        let amount = unserved[i].min(unused_capacity[j]);
        if amount > 0.0 {
            // Subtracting the smaller of the two zeroes it exactly.
            unserved[i] -= amount;
            unused_capacity[j] -= amount;
        }
    }
    let served: Vec<f64> = points
        .iter()
        .zip(&unserved)
        .map(|(p, u)| p.weight - u)
        .collect();
    let covered: Vec<bool> = in_reach
        .iter()
        .zip(&unserved)
        .map(|(&reach, &u)| reach && u == 0.0)
        .collect();
    let total_demand = total_weight(points, |_| true);
    let served_demand: f64 = served.iter().sum();
    Ok(CapacityCoverage {
        total_demand,
        served_demand,
        share: share(served_demand, total_demand),
        served,
        covered,
        unused_capacity,
    })
}

/// Distance decay of the enhanced 2SFCA: a step function over the catchment given as bands
/// `(upper bound as a fraction of the radius, weight)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecayBands {
    bands: Vec<(f64, f64)>,
}

impl DecayBands {
    /// Bands with strictly increasing upper fractions in (0, 1], the last exactly 1, and
    /// finite non-negative weights. A distance `d` takes the weight of the first band with
    /// `d <= fraction × radius`.
    pub fn new(bands: Vec<(f64, f64)>) -> Result<DecayBands, CoverageError> {
        if bands.is_empty() {
            return Err(CoverageError::InvalidDecay("at least one band is needed"));
        }
        let mut previous = 0.0;
        for &(fraction, weight) in &bands {
            if !(fraction > previous && fraction <= 1.0) {
                return Err(CoverageError::InvalidDecay(
                    "upper bounds must increase strictly within (0, 1]",
                ));
            }
            if !is_amount(weight) {
                return Err(CoverageError::InvalidDecay(
                    "weights must be finite and non-negative",
                ));
            }
            previous = fraction;
        }
        if previous != 1.0 {
            return Err(CoverageError::InvalidDecay(
                "the last band must end at the radius (fraction 1)",
            ));
        }
        Ok(DecayBands { bands })
    }

    /// The three Gaussian-derived bands of Luo & Qi (2009): 0–D/3 → 1.0, D/3–2D/3 → 0.68,
    /// 2D/3–D → 0.22.
    pub fn three_zones() -> DecayBands {
        DecayBands {
            bands: vec![(1.0 / 3.0, 1.0), (2.0 / 3.0, 0.68), (1.0, 0.22)],
        }
    }

    /// The bands as `(upper fraction of the radius, weight)`.
    pub fn bands(&self) -> &[(f64, f64)] {
        &self.bands
    }
}

/// Distance weighting inside the catchment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Decay {
    /// Weight 1 everywhere within the radius: classic 2SFCA.
    Binary,
    /// Step weights by distance band: E2SFCA.
    Bands(DecayBands),
}

/// The decay resolved to absolute km limits for one radius.
struct Weighting {
    limits: Vec<(f64, f64)>,
}

impl Weighting {
    fn new(decay: &Decay, radius_km: f64) -> Weighting {
        let limits = match decay {
            Decay::Binary => vec![(radius_km, 1.0)],
            Decay::Bands(bands) => bands
                .bands
                .iter()
                .map(|&(fraction, weight)| (fraction * radius_km, weight))
                .collect(),
        };
        Weighting { limits }
    }

    /// Weight at distance `d` (≤ radius; 0 beyond the last band).
    #[inline]
    fn weight(&self, d: f64) -> f64 {
        self.limits
            .iter()
            .find(|&&(limit, _)| d <= limit)
            .map_or(0.0, |&(_, w)| w)
    }
}

/// Floating-catchment accessibility.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Accessibility {
    /// Per facility, step 1: supply-to-demand ratio `R_j = S_j / Σ_k w_k·W(d_kj)` over demand
    /// within the radius; 0 when no weighted demand is in reach.
    pub ratio: Vec<f64>,
    /// Per demand point, step 2: `A_i = Σ_j R_j·W(d_ij)` over facilities within the radius
    /// (supply per unit of demand, e.g. beds per person).
    pub score: Vec<f64>,
}

/// Two-step floating catchment area (2SFCA, Luo & Wang 2003) with distance weighting `decay`.
///
/// Sums run in index order (k ascending in step 1, j ascending in step 2), so results are
/// reproducible and equal an all-pairs loop exactly. Memory grows with the number of
/// (point, facility) pairs within the radius; call it per county, not per country.
pub fn floating_catchment(
    points: &[DemandPoint],
    facilities: &[Supply],
    radius_km: f64,
    decay: &Decay,
) -> Result<Accessibility, CoverageError> {
    check_radius(radius_km)?;
    let demand = demand_sites(points)?;
    let supply = facility_sites(facilities)?;
    let weighting = Weighting::new(decay, radius_km);
    let tree = build_tree(supply.iter().enumerate());
    let bound_2 = chord_bound_2(radius_km);
    // One catchment query per demand point; both steps reuse its (j, W(d)) list.
    let reach: Vec<Vec<(usize, f64)>> = demand
        .par_iter()
        .with_min_len(MIN_LEN)
        .map(|s| {
            let mut list: Vec<(usize, f64)> = within(&tree, &supply, s, radius_km, bound_2)
                .map(|(j, d)| (j, weighting.weight(d)))
                .collect();
            list.sort_unstable_by_key(|&(j, _)| j);
            list
        })
        .collect();
    // Step 1, serial: walking points in order adds to each facility's sum in k order.
    let mut weighted_demand = vec![0.0; facilities.len()];
    for (point, list) in points.iter().zip(&reach) {
        for &(j, w) in list {
            weighted_demand[j] += point.weight * w;
        }
    }
    let ratio: Vec<f64> = facilities
        .iter()
        .zip(&weighted_demand)
        .map(|(f, &sum)| if sum > 0.0 { f.capacity / sum } else { 0.0 })
        .collect();
    let score = reach
        .par_iter()
        .with_min_len(MIN_LEN)
        .map(|list| list.iter().map(|&(j, w)| ratio[j] * w).sum())
        .collect();
    Ok(Accessibility { ratio, score })
}

/// Classic 2SFCA: [`floating_catchment`] with [`Decay::Binary`].
pub fn two_step_fca(
    points: &[DemandPoint],
    facilities: &[Supply],
    radius_km: f64,
) -> Result<Accessibility, CoverageError> {
    floating_catchment(points, facilities, radius_km, &Decay::Binary)
}

/// Enhanced 2SFCA (E2SFCA, Luo & Qi 2009): [`floating_catchment`] with stepped decay bands,
/// e.g. [`DecayBands::three_zones`].
pub fn enhanced_two_step_fca(
    points: &[DemandPoint],
    facilities: &[Supply],
    radius_km: f64,
    bands: &DecayBands,
) -> Result<Accessibility, CoverageError> {
    floating_catchment(points, facilities, radius_km, &Decay::Bands(bands.clone()))
}

/// Totals of the values sharing one key (an H3 cell, a division code).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyAggregate {
    /// The key.
    pub key: u64,
    /// Number of values.
    pub count: usize,
    /// Σ values, in input order.
    pub sum: f64,
    /// `sum / count`.
    pub mean: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

/// Groups `values[i]` by `keys[i]`; one row per key, in key order. For a demand-weighted mean
/// (e.g. accessibility per cell), aggregate `score × weight` and `weight` and divide the sums.
pub fn aggregate_by_key(values: &[f64], keys: &[u64]) -> Result<Vec<KeyAggregate>, CoverageError> {
    if values.len() != keys.len() {
        return Err(CoverageError::LengthMismatch {
            values: values.len(),
            keys: keys.len(),
        });
    }
    let mut groups: FxHashMap<u64, KeyAggregate> = FxHashMap::default();
    for (index, (&value, &key)) in values.iter().zip(keys).enumerate() {
        if !value.is_finite() {
            return Err(CoverageError::NonFiniteValue { index, value });
        }
        let group = groups.entry(key).or_insert(KeyAggregate {
            key,
            count: 0,
            sum: 0.0,
            mean: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        });
        group.count += 1;
        group.sum += value;
        group.min = group.min.min(value);
        group.max = group.max.max(value);
    }
    let mut rows: Vec<KeyAggregate> = groups
        .into_values()
        .map(|mut g| {
            g.mean = g.sum / g.count as f64;
            g
        })
        .collect();
    rows.sort_unstable_by_key(|g| g.key);
    Ok(rows)
}

/// H3 cell (as `u64`) of every demand point at `resolution`, e.g. as keys for
/// [`aggregate_by_key`].
pub fn h3_keys(points: &[DemandPoint], resolution: Resolution) -> Result<Vec<u64>, CoverageError> {
    for (index, p) in points.iter().enumerate() {
        check_coordinate(Role::Demand, index, p.lon, p.lat)?;
    }
    Ok(points
        .par_iter()
        .with_min_len(4096)
        .map(|p| cell_of(p.lon, p.lat, resolution))
        .collect())
}

/// H3 cell of a validated coordinate.
fn cell_of(lon: f64, lat: f64, resolution: Resolution) -> u64 {
    // Validated coordinates are finite, the only thing LatLng::new rejects; the fallback
    // is unreachable but keeps this panic-free.
    LatLng::new(lat, lon).map_or(0, |ll| u64::from(ll.to_cell(resolution)))
}

/// A service desert (服务盲区): an H3 cell with enough demand and no facility capacity
/// within the radius of its centre.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Desert {
    /// The H3 cell index (`CellIndex::try_from` turns it back into a cell).
    pub cell: u64,
    /// Longitude of the cell centre.
    pub lon: f64,
    /// Latitude of the cell centre.
    pub lat: f64,
    /// Σ weight of the demand points in the cell, all of it unmet.
    pub demand: f64,
    /// Number of demand points in the cell.
    pub points: usize,
    /// Distance from the centre to the nearest facility with capacity, if any.
    pub nearest_km: Option<f64>,
}

/// Service deserts: H3 cells at `resolution` (7 ≈ 5 km² or 8 ≈ 0.7 km² suit a county) whose
/// demand is at least `min_demand` and whose centre has no facility with positive capacity
/// within `radius_km`. Ranked by unmet demand, largest first (ties by cell index).
pub fn service_deserts(
    points: &[DemandPoint],
    facilities: &[Supply],
    resolution: Resolution,
    radius_km: f64,
    min_demand: f64,
) -> Result<Vec<Desert>, CoverageError> {
    check_radius(radius_km)?;
    if !is_amount(min_demand) {
        return Err(CoverageError::InvalidThreshold(min_demand));
    }
    check_demand(points)?;
    let supply = facility_sites(facilities)?;
    let keys = h3_keys(points, resolution)?;
    // Serial in input order: each cell's sum is reproducible.
    let mut cells: FxHashMap<u64, (f64, usize)> = FxHashMap::default();
    for (point, &key) in points.iter().zip(&keys) {
        let cell = cells.entry(key).or_insert((0.0, 0));
        cell.0 += point.weight;
        cell.1 += 1;
    }
    let tree = build_tree(
        supply
            .iter()
            .enumerate()
            .filter(|&(j, _)| facilities[j].capacity > 0.0),
    );
    let heavy: Vec<(u64, f64, usize)> = cells
        .into_iter()
        .filter(|&(_, (demand, _))| demand >= min_demand)
        .map(|(key, (demand, n))| (key, demand, n))
        .collect();
    let mut deserts: Vec<Desert> = heavy
        .par_iter()
        .filter_map(|&(key, demand, n)| {
            let centre = LatLng::from(CellIndex::try_from(key).ok()?);
            let site = Site::new(centre.lng(), centre.lat());
            let nearest = nearest_in(&tree, &supply, &site);
            match nearest {
                Some((_, d)) if d <= radius_km => None,
                _ => Some(Desert {
                    cell: key,
                    lon: centre.lng(),
                    lat: centre.lat(),
                    demand,
                    points: n,
                    nearest_km: nearest.map(|(_, d)| d),
                }),
            }
        })
        .collect();
    deserts.sort_unstable_by(|a, b| b.demand.total_cmp(&a.demand).then(a.cell.cmp(&b.cell)));
    Ok(deserts)
}

/// One suggested site.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteChoice {
    /// Index into the candidates.
    pub candidate: usize,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Demand newly covered by this site, given the existing facilities and earlier choices.
    pub gain: f64,
}

/// Result of the maximal-covering site suggestion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SitePlan {
    /// Chosen sites in the order chosen (marginal gains non-increasing).
    pub chosen: Vec<SiteChoice>,
    /// Σ weight of all demand points.
    pub total_demand: f64,
    /// Demand covered by the existing facilities.
    pub covered_before: f64,
    /// Demand covered by existing facilities and chosen sites together.
    pub covered_after: f64,
    /// `covered_before / total_demand` (0 when there is no demand).
    pub share_before: f64,
    /// `covered_after / total_demand` (0 when there is no demand).
    pub share_after: f64,
}

/// Heap entry of the lazy greedy: an upper bound of a candidate's gain, computed when
/// `round` sites had been chosen.
#[derive(Debug)]
struct Bound {
    gain: f64,
    candidate: usize,
    round: usize,
}

impl PartialEq for Bound {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Bound {}

impl Ord for Bound {
    /// Largest gain first; among equal gains the lowest candidate index, as a plain greedy
    /// scanning candidates in order would pick.
    fn cmp(&self, other: &Self) -> Ordering {
        self.gain
            .total_cmp(&other.gain)
            .then(other.candidate.cmp(&self.candidate))
    }
}

impl PartialOrd for Bound {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Maximal-covering location (MCLP), greedy: picks up to `k` candidate sites, each time the
/// one that newly covers the most demand within `radius_km`, given the existing facilities
/// (any capacity) and the sites already picked. Stops early when no candidate adds coverage.
///
/// Lazy greedy (Minoux 1978): coverage gains only shrink as sites are added, so a stale gain
/// is an upper bound and only the top of the heap is ever re-evaluated. The picks equal those
/// of a plain greedy (ties to the lowest candidate index), and the covered demand is at least
/// (1 − 1/e) of the best possible with `k` sites.
pub fn maximal_covering(
    points: &[DemandPoint],
    existing: &[Supply],
    candidates: &[(f64, f64)],
    radius_km: f64,
    k: usize,
) -> Result<SitePlan, CoverageError> {
    check_radius(radius_km)?;
    if k == 0 || k > candidates.len() {
        return Err(CoverageError::InvalidSiteCount {
            k,
            candidates: candidates.len(),
        });
    }
    for (index, &(lon, lat)) in candidates.iter().enumerate() {
        check_coordinate(Role::Candidate, index, lon, lat)?;
    }
    let demand = demand_sites(points)?;
    let supply = facility_sites(existing)?;
    let supply_tree = build_tree(supply.iter().enumerate());
    let mut covered = covered_flags(&demand, &supply_tree, &supply, radius_km);
    let total_demand = total_weight(points, |_| true);
    let covered_before = total_weight(points, |i| covered[i]);

    // Per candidate: the still-uncovered points it reaches, ascending (fixed sum order).
    let open = build_tree(demand.iter().enumerate().filter(|&(i, _)| !covered[i]));
    let bound_2 = chord_bound_2(radius_km);
    let mut reach: Vec<Vec<usize>> = candidates
        .par_iter()
        .map(|&(lon, lat)| {
            let site = Site::new(lon, lat);
            let mut list: Vec<usize> = within(&open, &demand, &site, radius_km, bound_2)
                .map(|(i, _)| i)
                .collect();
            list.sort_unstable();
            list
        })
        .collect();
    let gain_of = |list: &[usize], covered: &[bool]| -> f64 {
        list.iter()
            .filter(|&&i| !covered[i])
            .map(|&i| points[i].weight)
            .sum()
    };
    let mut heap: BinaryHeap<Bound> = reach
        .iter()
        .enumerate()
        .map(|(candidate, list)| Bound {
            gain: gain_of(list, &covered),
            candidate,
            round: 0,
        })
        .collect();
    let mut chosen = Vec::with_capacity(k);
    while chosen.len() < k {
        let Some(top) = heap.pop() else { break };
        if top.round == chosen.len() {
            // Fresh bound on top: no other candidate can beat it.
            if top.gain <= 0.0 {
                break;
            }
            for &i in &reach[top.candidate] {
                covered[i] = true;
            }
            let (lon, lat) = candidates[top.candidate];
            chosen.push(SiteChoice {
                candidate: top.candidate,
                lon,
                lat,
                gain: top.gain,
            });
        } else {
            // Dropping covered points keeps later re-evaluations short; the sum over the
            // rest is the same as over the full list with covered points skipped.
            let list = &mut reach[top.candidate];
            list.retain(|&i| !covered[i]);
            heap.push(Bound {
                gain: gain_of(list, &covered),
                candidate: top.candidate,
                round: chosen.len(),
            });
        }
    }
    let covered_after = total_weight(points, |i| covered[i]);
    Ok(SitePlan {
        chosen,
        total_demand,
        covered_before,
        covered_after,
        share_before: share(covered_before, total_demand),
        share_after: share(covered_after, total_demand),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Kilometres per degree along a great circle.
    const KM_PER_DEGREE: f64 = EARTH_RADIUS_KM * std::f64::consts::PI / 180.0;

    fn point(lon: f64, lat: f64, weight: f64) -> DemandPoint {
        DemandPoint { lon, lat, weight }
    }

    fn facility(lon: f64, lat: f64, capacity: f64) -> Supply {
        Supply { lon, lat, capacity }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
    }

    /// A county-like random instance around Beijing (±0.3°, ~50 × 65 km), with a few
    /// co-located points and facilities so that exact ties occur.
    fn random_instance(seed: u64, n: usize, m: usize) -> (Vec<DemandPoint>, Vec<Supply>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut points: Vec<DemandPoint> = (0..n)
            .map(|_| {
                point(
                    116.4 + rng.random_range(-0.3..0.3),
                    39.9 + rng.random_range(-0.3..0.3),
                    rng.random_range(0..5) as f64 * 0.5,
                )
            })
            .collect();
        let mut facilities: Vec<Supply> = (0..m)
            .map(|_| {
                facility(
                    116.4 + rng.random_range(-0.3..0.3),
                    39.9 + rng.random_range(-0.3..0.3),
                    rng.random_range(0.0..30.0),
                )
            })
            .collect();
        if m >= 2 {
            facilities[1].lon = facilities[0].lon;
            facilities[1].lat = facilities[0].lat;
            for p in points.iter_mut().take(5) {
                p.lon = facilities[0].lon;
                p.lat = facilities[0].lat;
            }
        }
        (points, facilities)
    }

    // ---- all-pairs references, with the same distance function ----

    fn brute_nearest(points: &[DemandPoint], facilities: &[Supply]) -> Vec<Option<(usize, f64)>> {
        points
            .iter()
            .map(|p| {
                let mut best: Option<(usize, f64)> = None;
                for (j, f) in facilities.iter().enumerate() {
                    let d = haversine_km(p.lon, p.lat, f.lon, f.lat);
                    if best.is_none_or(|(_, bd)| d < bd) {
                        best = Some((j, d));
                    }
                }
                best
            })
            .collect()
    }

    fn brute_covered(points: &[DemandPoint], facilities: &[Supply], r: f64) -> Vec<bool> {
        points
            .iter()
            .map(|p| {
                facilities
                    .iter()
                    .any(|f| haversine_km(p.lon, p.lat, f.lon, f.lat) <= r)
            })
            .collect()
    }

    fn brute_fca(
        points: &[DemandPoint],
        facilities: &[Supply],
        r: f64,
        decay: &Decay,
    ) -> (Vec<f64>, Vec<f64>) {
        let w = Weighting::new(decay, r);
        let ratio: Vec<f64> = facilities
            .iter()
            .map(|f| {
                let mut sum = 0.0;
                for p in points {
                    let d = haversine_km(p.lon, p.lat, f.lon, f.lat);
                    if d <= r {
                        sum += p.weight * w.weight(d);
                    }
                }
                if sum > 0.0 {
                    f.capacity / sum
                } else {
                    0.0
                }
            })
            .collect();
        let score = points
            .iter()
            .map(|p| {
                let mut sum = 0.0;
                for (j, f) in facilities.iter().enumerate() {
                    let d = haversine_km(p.lon, p.lat, f.lon, f.lat);
                    if d <= r {
                        sum += ratio[j] * w.weight(d);
                    }
                }
                sum
            })
            .collect();
        (ratio, score)
    }

    /// Demand covered by existing facilities plus `sites`, summed in index order.
    fn brute_covered_demand(
        points: &[DemandPoint],
        existing: &[Supply],
        sites: &[(f64, f64)],
        r: f64,
    ) -> f64 {
        let mut all = existing.to_vec();
        all.extend(sites.iter().map(|&(lon, lat)| facility(lon, lat, 0.0)));
        let covered = brute_covered(points, &all, r);
        points
            .iter()
            .zip(&covered)
            .filter(|(_, &c)| c)
            .map(|(p, _)| p.weight)
            .sum()
    }

    /// Best coverage over every k-subset of candidates.
    fn exhaustive_best(
        points: &[DemandPoint],
        existing: &[Supply],
        candidates: &[(f64, f64)],
        r: f64,
        k: usize,
    ) -> (f64, Vec<Vec<usize>>) {
        fn subsets(
            n: usize,
            k: usize,
            start: usize,
            current: &mut Vec<usize>,
            out: &mut Vec<Vec<usize>>,
        ) {
            if current.len() == k {
                out.push(current.clone());
                return;
            }
            for i in start..n {
                current.push(i);
                subsets(n, k, i + 1, current, out);
                current.pop();
            }
        }
        let mut all = Vec::new();
        subsets(candidates.len(), k, 0, &mut Vec::new(), &mut all);
        let mut best = f64::NEG_INFINITY;
        let mut argmax = Vec::new();
        for subset in all {
            let sites: Vec<(f64, f64)> = subset.iter().map(|&c| candidates[c]).collect();
            let value = brute_covered_demand(points, existing, &sites, r);
            if value > best {
                best = value;
                argmax = vec![subset];
            } else if value == best {
                argmax.push(subset);
            }
        }
        (best, argmax)
    }

    /// Plain (non-lazy) greedy: re-evaluates every candidate every round.
    fn plain_greedy(
        points: &[DemandPoint],
        existing: &[Supply],
        candidates: &[(f64, f64)],
        r: f64,
        k: usize,
    ) -> Vec<(usize, f64)> {
        let mut covered = brute_covered(points, existing, r);
        let mut chosen = Vec::new();
        for _ in 0..k {
            let mut best: Option<(usize, f64)> = None;
            for (c, &(lon, lat)) in candidates.iter().enumerate() {
                let gain: f64 = points
                    .iter()
                    .enumerate()
                    .filter(|&(i, p)| !covered[i] && haversine_km(p.lon, p.lat, lon, lat) <= r)
                    .map(|(_, p)| p.weight)
                    .sum();
                if best.is_none_or(|(_, g)| gain > g) {
                    best = Some((c, gain));
                }
            }
            let Some((c, gain)) = best else { break };
            if gain <= 0.0 {
                break;
            }
            let (lon, lat) = candidates[c];
            for (i, p) in points.iter().enumerate() {
                if haversine_km(p.lon, p.lat, lon, lat) <= r {
                    covered[i] = true;
                }
            }
            chosen.push((c, gain));
        }
        chosen
    }

    // ---- distance ----

    #[test]
    fn haversine_matches_known_distances_and_is_symmetric() {
        // One degree of latitude is R·π/180 = 111.195 km.
        assert!(close(haversine_km(116.4, 39.0, 116.4, 40.0), KM_PER_DEGREE));
        // One degree of longitude on the equator, likewise.
        assert!(close(haversine_km(0.0, 0.0, 1.0, 0.0), KM_PER_DEGREE));
        // Beijing (116.407, 39.904) – Shanghai (121.474, 31.230): ≈ 1067 km.
        let d = haversine_km(116.407, 39.904, 121.474, 31.230);
        assert!((d - 1067.0).abs() < 3.0, "{d}");
        assert_eq!(d, haversine_km(121.474, 31.230, 116.407, 39.904));
        assert_eq!(haversine_km(116.4, 39.9, 116.4, 39.9), 0.0);
        // Antipodes: half the circumference, not NaN.
        assert!(close(
            haversine_km(0.0, 0.0, 180.0, 0.0),
            180.0 * KM_PER_DEGREE
        ));
        // Across the antimeridian is short.
        assert!(close(haversine_km(179.5, 0.0, -179.5, 0.0), KM_PER_DEGREE));
    }

    // ---- nearest ----

    #[test]
    fn nearest_hand_built() {
        // Facilities on the equator at lon −1 and +1 (111.2 km apart from lon 0).
        let facilities = [facility(-1.0, 0.0, 1.0), facility(1.0, 0.0, 1.0)];
        let points = [
            point(-0.8, 0.0, 1.0), // 0.2° from F0
            point(0.7, 0.0, 1.0),  // 0.3° from F1
            point(0.0, 0.0, 1.0),  // exactly 1° from both: tie → lower index F0
        ];
        let nearest = nearest_facility(&points, &facilities).unwrap();
        let (j0, d0) = nearest[0].unwrap();
        assert_eq!(j0, 0);
        assert!((d0 - 0.2 * KM_PER_DEGREE).abs() < 1e-9);
        let (j1, d1) = nearest[1].unwrap();
        assert_eq!(j1, 1);
        assert!((d1 - 0.3 * KM_PER_DEGREE).abs() < 1e-9);
        assert_eq!(nearest[2].map(|(j, _)| j), Some(0));
        // No facilities: no nearest.
        assert_eq!(nearest_facility(&points, &[]).unwrap(), vec![None; 3]);
        assert!(nearest_facility(&[], &facilities).unwrap().is_empty());
    }

    #[test]
    fn nearest_equals_all_pairs() {
        for seed in 0..6 {
            let (points, facilities) = random_instance(seed, 1500, 1 + 15 * seed as usize);
            assert_eq!(
                nearest_facility(&points, &facilities).unwrap(),
                brute_nearest(&points, &facilities),
                "seed {seed}"
            );
        }
    }

    // ---- coverage ----

    #[test]
    fn coverage_hand_built() {
        // One facility at (0, 0), radius 50 km; 1° = 111.2 km.
        let facilities = [facility(0.0, 0.0, 1.0)];
        let points = [
            point(0.3, 0.0, 2.0), // 33.4 km: covered
            point(0.5, 0.0, 3.0), // 55.6 km: not
            point(0.0, 0.4, 5.0), // 44.5 km: covered
        ];
        let c = radius_coverage(&points, &facilities, 50.0).unwrap();
        assert_eq!(c.covered, vec![true, false, true]);
        assert_eq!(c.total_demand, 10.0);
        assert_eq!(c.covered_demand, 7.0);
        assert_eq!(c.share, 0.7);
        // No facilities, no demand: nothing covered, no division by zero.
        let none = radius_coverage(&points, &[], 50.0).unwrap();
        assert_eq!((none.covered_demand, none.share), (0.0, 0.0));
        let empty = radius_coverage(&[], &facilities, 50.0).unwrap();
        assert_eq!((empty.total_demand, empty.share), (0.0, 0.0));
    }

    #[test]
    fn coverage_equals_all_pairs_including_the_boundary() {
        for seed in 0..6 {
            let (points, facilities) = random_instance(100 + seed, 1500, 2 + 10 * seed as usize);
            for r in [1.0, 5.0, 12.5] {
                let c = radius_coverage(&points, &facilities, r).unwrap();
                let expected = brute_covered(&points, &facilities, r);
                assert_eq!(c.covered, expected, "seed {seed} r {r}");
                let sum: f64 = points
                    .iter()
                    .zip(&expected)
                    .filter(|(_, &e)| e)
                    .map(|(p, _)| p.weight)
                    .sum();
                assert_eq!(c.covered_demand, sum);
            }
        }
        // A point exactly at the radius (as this function measures it) is covered.
        let p = point(116.5, 39.95, 1.0);
        let f = facility(116.4, 39.9, 1.0);
        let d = haversine_km(p.lon, p.lat, f.lon, f.lat);
        assert!(radius_coverage(&[p], &[f], d).unwrap().covered[0]);
        assert!(
            !radius_coverage(&[p], &[f], d * (1.0 - 1e-12))
                .unwrap()
                .covered[0]
        );
    }

    #[test]
    fn capacity_coverage_hand_built() {
        // F0 at (0, 0) with 4 places; radius 30 km. A (11.1 km, 3 people) is nearest and is
        // served in full; B (22.2 km, 3) gets the remaining 1; C (33.4 km) is out of reach.
        let facilities = [facility(0.0, 0.0, 4.0)];
        let points = [
            point(0.2, 0.0, 3.0),
            point(0.1, 0.0, 3.0),
            point(0.3, 0.0, 1.0),
        ];
        let c = capacity_coverage(&points, &facilities, 30.0).unwrap();
        assert_eq!(c.served, vec![1.0, 3.0, 0.0]);
        assert_eq!(c.covered, vec![false, true, false]);
        assert_eq!(c.unused_capacity, vec![0.0]);
        assert_eq!((c.total_demand, c.served_demand), (7.0, 4.0));
        // Enough capacity: equals plain coverage.
        let big = [facility(0.0, 0.0, 100.0)];
        let c = capacity_coverage(&points, &big, 30.0).unwrap();
        let plain = radius_coverage(&points, &big, 30.0).unwrap();
        assert_eq!(c.covered, plain.covered);
        assert_eq!(c.served_demand, plain.covered_demand);
        assert_eq!(c.unused_capacity, vec![94.0]);
    }

    #[test]
    fn capacity_coverage_equals_all_pairs_greedy_and_conserves_capacity() {
        for seed in 0..4 {
            let (points, facilities) = random_instance(200 + seed, 800, 25);
            let r = 6.0;
            let c = capacity_coverage(&points, &facilities, r).unwrap();
            // Reference: all pairs within r, same closest-first order.
            let mut pairs = Vec::new();
            for (i, p) in points.iter().enumerate() {
                for (j, f) in facilities.iter().enumerate() {
                    let d = haversine_km(p.lon, p.lat, f.lon, f.lat);
                    if d <= r {
                        pairs.push((d, i, j));
                    }
                }
            }
            pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
            let mut unserved: Vec<f64> = points.iter().map(|p| p.weight).collect();
            let mut unused: Vec<f64> = facilities.iter().map(|f| f.capacity).collect();
            for (_, i, j) in pairs {
                let x = unserved[i].min(unused[j]);
                unserved[i] -= x;
                unused[j] -= x;
            }
            assert_eq!(c.unused_capacity, unused, "seed {seed}");
            for (i, p) in points.iter().enumerate() {
                assert_eq!(c.served[i], p.weight - unserved[i]);
                assert!(c.served[i] <= p.weight);
            }
            for (f, u) in facilities.iter().zip(&c.unused_capacity) {
                assert!(*u >= 0.0 && *u <= f.capacity);
            }
            let used: f64 = facilities.iter().map(|f| f.capacity).sum::<f64>()
                - c.unused_capacity.iter().sum::<f64>();
            assert!((used - c.served_demand).abs() < 1e-9 * c.total_demand.max(1.0));
        }
    }

    // ---- 2SFCA / E2SFCA ----

    /// F0 (0°, 0°) 10 places, F1 (1°, 0°) 6 places, radius 60 km (1° = 111.2 km).
    /// P0 at 0.2° (22.2 km from F0, 88.9 from F1), weight 4;
    /// P1 at 0.5° (55.6 km from both), weight 2;
    /// P2 at 0.9° (100.1 km from F0, 11.1 from F1), weight 1.
    fn two_facility_case() -> (Vec<DemandPoint>, Vec<Supply>) {
        (
            vec![
                point(0.2, 0.0, 4.0),
                point(0.5, 0.0, 2.0),
                point(0.9, 0.0, 1.0),
            ],
            vec![facility(0.0, 0.0, 10.0), facility(1.0, 0.0, 6.0)],
        )
    }

    #[test]
    fn two_step_fca_hand_computed() {
        let (points, facilities) = two_facility_case();
        let a = two_step_fca(&points, &facilities, 60.0).unwrap();
        // R0 = 10 / (4 + 2) = 5/3; R1 = 6 / (2 + 1) = 2.
        assert!(close(a.ratio[0], 5.0 / 3.0) && close(a.ratio[1], 2.0));
        // A0 = R0; A1 = R0 + R1 = 11/3; A2 = R1.
        assert!(close(a.score[0], 5.0 / 3.0));
        assert!(close(a.score[1], 11.0 / 3.0));
        assert!(close(a.score[2], 2.0));
        // 2SFCA conserves supply: Σ w_i·A_i = Σ S_j when every facility has demand in reach.
        let allotted: f64 = points.iter().zip(&a.score).map(|(p, s)| p.weight * s).sum();
        assert!(close(allotted, 16.0));
    }

    #[test]
    fn enhanced_two_step_fca_hand_computed() {
        let (points, facilities) = two_facility_case();
        let a =
            enhanced_two_step_fca(&points, &facilities, 60.0, &DecayBands::three_zones()).unwrap();
        // Bands 0–20 km → 1, 20–40 → 0.68, 40–60 → 0.22.
        // P0–F0 22.2 km → 0.68; P1–F0, P1–F1 55.6 km → 0.22; P2–F1 11.1 km → 1.
        let r0 = 10.0 / (4.0 * 0.68 + 2.0 * 0.22); // 10 / 3.16
        let r1 = 6.0 / (2.0 * 0.22 + 1.0 * 1.0); // 6 / 1.44
        assert!(close(a.ratio[0], r0) && close(a.ratio[1], r1));
        assert!(close(a.score[0], 0.68 * r0));
        assert!(close(a.score[1], 0.22 * r0 + 0.22 * r1));
        assert!(close(a.score[2], r1));
    }

    #[test]
    fn floating_catchment_edge_cases() {
        // A facility with nobody in reach has ratio 0; a point with no facility scores 0.
        let points = [point(0.0, 0.0, 1.0), point(5.0, 0.0, 0.0)];
        let facilities = [facility(0.0, 0.1, 3.0), facility(10.0, 0.0, 7.0)];
        let a = two_step_fca(&points, &facilities, 20.0).unwrap();
        assert_eq!(a.ratio, vec![3.0, 0.0]);
        assert_eq!(a.score, vec![3.0, 0.0]);
        // A zero-weight point next to a facility: the facility has no weighted demand.
        let a = two_step_fca(&[point(10.0, 0.0, 0.0)], &facilities, 20.0).unwrap();
        assert_eq!((a.ratio[1], a.score[0]), (0.0, 0.0));
    }

    #[test]
    fn floating_catchment_equals_all_pairs() {
        let custom = DecayBands::new(vec![(0.25, 1.0), (0.5, 0.5), (1.0, 0.1)]).unwrap();
        for seed in 0..5 {
            let (points, facilities) = random_instance(300 + seed, 1200, 3 + 12 * seed as usize);
            for decay in [
                Decay::Binary,
                Decay::Bands(DecayBands::three_zones()),
                Decay::Bands(custom.clone()),
            ] {
                for r in [4.0, 10.0] {
                    let a = floating_catchment(&points, &facilities, r, &decay).unwrap();
                    let (ratio, score) = brute_fca(&points, &facilities, r, &decay);
                    assert_eq!(a.ratio, ratio, "seed {seed} r {r} {decay:?}");
                    assert_eq!(a.score, score, "seed {seed} r {r} {decay:?}");
                }
            }
        }
    }

    // ---- aggregation and deserts ----

    #[test]
    fn aggregate_by_key_sums_and_means() {
        let rows = aggregate_by_key(&[1.0, 2.0, 4.0, 8.0], &[7, 3, 7, 7]).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0],
            KeyAggregate {
                key: 3,
                count: 1,
                sum: 2.0,
                mean: 2.0,
                min: 2.0,
                max: 2.0
            }
        );
        assert_eq!((rows[1].key, rows[1].count, rows[1].sum), (7, 3, 13.0));
        assert_eq!((rows[1].min, rows[1].max), (1.0, 8.0));
        assert!(close(rows[1].mean, 13.0 / 3.0));
        assert!(aggregate_by_key(&[], &[]).unwrap().is_empty());
    }

    #[test]
    fn h3_keys_agree_with_h3o() {
        let points = [point(116.4, 39.9, 1.0), point(121.47, 31.23, 1.0)];
        let keys = h3_keys(&points, Resolution::Eight).unwrap();
        for (p, &key) in points.iter().zip(&keys) {
            let cell = CellIndex::try_from(key).unwrap();
            assert_eq!(cell.resolution(), Resolution::Eight);
            assert_eq!(
                cell,
                LatLng::new(p.lat, p.lon)
                    .unwrap()
                    .to_cell(Resolution::Eight)
            );
        }
    }

    #[test]
    fn service_deserts_hand_built() {
        // Town A (116.0, 40.0): 3 people, a facility 2 km away. Town B (116.5, 40.0), 43 km
        // east: 5 people, only a zero-capacity facility next to it. Town C (116.5, 40.3):
        // 2 people, nothing. Radius 10 km, res 7 (cells ≈ 2.4 km across), threshold 2.
        let a = (116.0, 40.0);
        let b = (116.5, 40.0);
        let c = (116.5, 40.3);
        let mut points = Vec::new();
        for _ in 0..3 {
            points.push(point(a.0, a.1, 1.0));
        }
        for _ in 0..5 {
            points.push(point(b.0, b.1, 1.0));
        }
        points.push(point(c.0, c.1, 2.0));
        points.push(point(116.0, 40.6, 1.0)); // a lone person: below the threshold
        let facilities = [facility(116.02, 40.0, 50.0), facility(116.5, 40.001, 0.0)];
        let deserts = service_deserts(&points, &facilities, Resolution::Seven, 10.0, 2.0).unwrap();
        let cell = |(lon, lat): (f64, f64)| {
            u64::from(LatLng::new(lat, lon).unwrap().to_cell(Resolution::Seven))
        };
        assert_eq!(
            deserts.iter().map(|d| d.cell).collect::<Vec<_>>(),
            vec![cell(b), cell(c)]
        );
        assert_eq!((deserts[0].demand, deserts[0].points), (5.0, 5));
        assert_eq!((deserts[1].demand, deserts[1].points), (2.0, 1));
        // B's nearest capacity is town A's facility, ~42 km west.
        let nearest = deserts[0].nearest_km.unwrap();
        assert!((nearest - 42.0).abs() < 3.0, "{nearest}");
        // The reported centre is the cell's, within a cell of the town.
        assert!(haversine_km(deserts[0].lon, deserts[0].lat, b.0, b.1) < 2.0);
        // With no facility at all, every heavy cell is a desert with no nearest.
        let all = service_deserts(&points, &[], Resolution::Seven, 10.0, 2.0).unwrap();
        assert_eq!(all.len(), 3);
        assert!(all.iter().all(|d| d.nearest_km.is_none()));
        assert_eq!(all[0].cell, cell(b));
    }

    // ---- site suggestion ----

    #[test]
    fn maximal_covering_unique_optimum() {
        // Three clusters 0.5° (55.6 km) apart with demand 5, 3 and 2; radius 10 km. Candidates:
        // one per cluster, plus a decoy between clusters 0 and 1 reaching neither. An
        // existing facility already covers cluster 2. With k = 2 the unique optimum is
        // {cluster 0, cluster 1} = 5 + 3 newly covered; greedy must find it, in that order.
        let points = [
            point(0.0, 0.0, 2.5),
            point(0.01, 0.0, 2.5),
            point(0.5, 0.0, 3.0),
            point(1.0, 0.0, 1.0),
            point(1.0, 0.01, 1.0),
        ];
        let existing = [facility(1.0, 0.005, 1.0)];
        let candidates = [(0.25, 0.0), (1.0, 0.0), (0.5, 0.01), (0.005, 0.0)];
        let plan = maximal_covering(&points, &existing, &candidates, 10.0, 2).unwrap();
        let picked: Vec<(usize, f64)> = plan.chosen.iter().map(|c| (c.candidate, c.gain)).collect();
        assert_eq!(picked, vec![(3, 5.0), (2, 3.0)]);
        assert_eq!(
            (plan.total_demand, plan.covered_before, plan.covered_after),
            (10.0, 2.0, 10.0)
        );
        assert_eq!(plan.share_after, 1.0);
        let (best, argmax) = exhaustive_best(&points, &existing, &candidates, 10.0, 2);
        assert_eq!(argmax, vec![vec![2, 3]]);
        assert_eq!(best, plan.covered_after);
        // Asking for more sites than add coverage stops early.
        let plan = maximal_covering(&points, &existing, &candidates, 10.0, 4).unwrap();
        assert_eq!(plan.chosen.len(), 2);
    }

    #[test]
    fn maximal_covering_within_the_greedy_bound_of_exhaustive_search() {
        let bound = 1.0 - (-1.0f64).exp();
        for seed in 0..12 {
            let mut rng = ChaCha8Rng::seed_from_u64(400 + seed);
            let (points, existing) = random_instance(400 + seed, 120, 2);
            let candidates: Vec<(f64, f64)> = (0..9)
                .map(|_| {
                    (
                        116.4 + rng.random_range(-0.3..0.3),
                        39.9 + rng.random_range(-0.3..0.3),
                    )
                })
                .collect();
            for k in 1..=3 {
                let r = 9.0;
                let plan = maximal_covering(&points, &existing, &candidates, r, k).unwrap();
                let (best, _) = exhaustive_best(&points, &existing, &candidates, r, k);
                let gained = plan.covered_after - plan.covered_before;
                let optimum = best - plan.covered_before;
                assert!(gained <= optimum + 1e-9, "seed {seed} k {k}");
                assert!(
                    gained >= bound * optimum - 1e-9,
                    "seed {seed} k {k}: {gained} vs {optimum}"
                );
                // After-coverage is what the chosen sites really cover.
                let sites: Vec<(f64, f64)> = plan.chosen.iter().map(|c| (c.lon, c.lat)).collect();
                assert_eq!(
                    plan.covered_after,
                    brute_covered_demand(&points, &existing, &sites, r)
                );
            }
        }
    }

    #[test]
    fn greedy_can_miss_the_optimum_but_stays_in_bound() {
        // The textbook case: the middle candidate M covers half of each of two clusters
        // (4 + 4 = 8), the side candidates L and R cover one whole cluster each (7 each:
        // a shared half of 4 plus 3 of their own). Greedy takes M then one side (8 + 3 = 11);
        // the optimum {L, R} covers 14. 11 ≥ (1 − 1/e)·14 ≈ 8.85.
        let points = [
            point(-0.1, 0.0, 3.0),  // L only
            point(-0.02, 0.0, 4.0), // L and M
            point(0.02, 0.0, 4.0),  // R and M
            point(0.1, 0.0, 3.0),   // R only
        ];
        // Radius 5 km ≈ 0.045°; L at −0.06 reaches −0.1 (4.4 km) and −0.02 (4.4 km).
        let candidates = [(-0.06, 0.0), (0.0, 0.0), (0.06, 0.0)];
        let plan = maximal_covering(&points, &[], &candidates, 5.0, 2).unwrap();
        assert_eq!(plan.chosen[0].candidate, 1);
        assert_eq!(plan.covered_after, 11.0);
        let (best, argmax) = exhaustive_best(&points, &[], &candidates, 5.0, 2);
        assert_eq!((best, argmax), (14.0, vec![vec![0, 2]]));
        assert!(plan.covered_after >= (1.0 - (-1.0f64).exp()) * best);
    }

    #[test]
    fn lazy_greedy_equals_plain_greedy() {
        for seed in 0..4 {
            let mut rng = ChaCha8Rng::seed_from_u64(500 + seed);
            let (points, existing) = random_instance(500 + seed, 1500, 4);
            let candidates: Vec<(f64, f64)> = (0..60)
                .map(|_| {
                    (
                        116.4 + rng.random_range(-0.3..0.3),
                        39.9 + rng.random_range(-0.3..0.3),
                    )
                })
                .collect();
            let plan = maximal_covering(&points, &existing, &candidates, 6.0, 12).unwrap();
            let lazy: Vec<(usize, f64)> =
                plan.chosen.iter().map(|c| (c.candidate, c.gain)).collect();
            assert_eq!(
                lazy,
                plain_greedy(&points, &existing, &candidates, 6.0, 12),
                "seed {seed}"
            );
            assert!(plan.chosen.windows(2).all(|w| w[0].gain >= w[1].gain));
            // Before/after agree with radius coverage of the same facilities.
            let before = radius_coverage(&points, &existing, 6.0).unwrap();
            assert_eq!(plan.covered_before, before.covered_demand);
            let mut after = existing.clone();
            after.extend(plan.chosen.iter().map(|c| facility(c.lon, c.lat, 0.0)));
            let after = radius_coverage(&points, &after, 6.0).unwrap();
            assert_eq!(plan.covered_after, after.covered_demand);
        }
    }

    // ---- validation ----

    #[test]
    fn bad_input_is_a_typed_error_not_a_panic() {
        let points = [point(116.4, 39.9, 1.0)];
        let facilities = [facility(116.41, 39.9, 1.0)];
        let candidates = [(116.42, 39.9)];
        for r in [f64::NAN, f64::INFINITY, -1.0, 0.0, 500.1, 1e9] {
            let radius_error = |e: Option<CoverageError>| matches!(e, Some(CoverageError::InvalidRadius(x)) if x.to_bits() == r.to_bits());
            assert!(radius_error(radius_coverage(&points, &facilities, r).err()));
            assert!(radius_error(
                capacity_coverage(&points, &facilities, r).err()
            ));
            assert!(radius_error(two_step_fca(&points, &facilities, r).err()));
            assert!(radius_error(
                maximal_covering(&points, &facilities, &candidates, r, 1).err()
            ));
            assert!(radius_error(
                service_deserts(&points, &facilities, Resolution::Eight, r, 0.0).err()
            ));
        }
        assert!(radius_coverage(&points, &facilities, MAX_RADIUS_KM).is_ok());

        let bad_point = [point(116.4, 39.9, 1.0), point(f64::NAN, 39.9, 1.0)];
        assert!(matches!(
            nearest_facility(&bad_point, &facilities),
            Err(CoverageError::InvalidCoordinate {
                role: Role::Demand,
                index: 1,
                ..
            })
        ));
        assert!(matches!(
            radius_coverage(&[point(116.4, 91.0, 1.0)], &facilities, 5.0),
            Err(CoverageError::InvalidCoordinate {
                role: Role::Demand,
                index: 0,
                ..
            })
        ));
        assert!(matches!(
            two_step_fca(&points, &[facility(116.4, f64::INFINITY, 1.0)], 5.0),
            Err(CoverageError::InvalidCoordinate {
                role: Role::Facility,
                index: 0,
                ..
            })
        ));
        assert!(matches!(
            maximal_covering(
                &points,
                &facilities,
                &[(116.4, 39.9), (f64::NAN, 0.0)],
                5.0,
                1
            ),
            Err(CoverageError::InvalidCoordinate {
                role: Role::Candidate,
                index: 1,
                ..
            })
        ));
        assert!(matches!(
            h3_keys(&[point(181.0, 0.0, 1.0)], Resolution::Seven),
            Err(CoverageError::InvalidCoordinate { .. })
        ));
        assert!(matches!(
            radius_coverage(&[point(116.4, 39.9, -1.0)], &facilities, 5.0),
            Err(CoverageError::InvalidWeight { index: 0, .. })
        ));
        assert!(matches!(
            radius_coverage(&[point(116.4, 39.9, f64::NAN)], &facilities, 5.0),
            Err(CoverageError::InvalidWeight { .. })
        ));
        assert!(matches!(
            capacity_coverage(&points, &[facility(116.4, 39.9, f64::NAN)], 5.0),
            Err(CoverageError::InvalidCapacity { index: 0, .. })
        ));
        assert_eq!(
            maximal_covering(&points, &facilities, &candidates, 5.0, 0).unwrap_err(),
            CoverageError::InvalidSiteCount {
                k: 0,
                candidates: 1
            }
        );
        assert_eq!(
            maximal_covering(&points, &facilities, &candidates, 5.0, 2).unwrap_err(),
            CoverageError::InvalidSiteCount {
                k: 2,
                candidates: 1
            }
        );
        assert!(matches!(
            maximal_covering(&points, &facilities, &[], 5.0, 1),
            Err(CoverageError::InvalidSiteCount {
                k: 1,
                candidates: 0
            })
        ));
        for bands in [
            vec![],
            vec![(0.5, 1.0)],
            vec![(0.5, 1.0), (0.4, 0.5), (1.0, 0.1)],
            vec![(0.0, 1.0), (1.0, 0.5)],
            vec![(0.5, f64::NAN), (1.0, 0.5)],
            vec![(0.5, 1.0), (1.0, -0.5)],
            vec![(f64::NAN, 1.0), (1.0, 0.5)],
            vec![(0.5, 1.0), (1.5, 0.5)],
        ] {
            assert!(
                matches!(
                    DecayBands::new(bands.clone()),
                    Err(CoverageError::InvalidDecay(_))
                ),
                "{bands:?}"
            );
        }
        for threshold in [-1.0, f64::NAN] {
            assert!(matches!(
                service_deserts(&points, &facilities, Resolution::Seven, 5.0, threshold),
                Err(CoverageError::InvalidThreshold(_))
            ));
        }
        assert_eq!(
            aggregate_by_key(&[1.0], &[1, 2]).unwrap_err(),
            CoverageError::LengthMismatch { values: 1, keys: 2 }
        );
        assert!(matches!(
            aggregate_by_key(&[1.0, f64::NAN], &[1, 2]),
            Err(CoverageError::NonFiniteValue { index: 1, .. })
        ));
        // Messages name the problem.
        let message = CoverageError::InvalidRadius(-1.0).to_string();
        assert!(
            message.contains("radius") && message.contains("-1"),
            "{message}"
        );
        let message = CoverageError::InvalidCoordinate {
            role: Role::Candidate,
            index: 3,
            lon: f64::NAN,
            lat: 0.0,
        }
        .to_string();
        assert!(message.starts_with("candidate site 3"), "{message}");
    }
}
