//! Facilities (养老机构, 救助管理机构, 殡葬服务机构) held in memory with a spatial index, for
//! listing and k-nearest search. Points are indexed as unit vectors on the sphere, where
//! straight-line (chord) distance orders points exactly as great-circle distance does, so the
//! R-tree's nearest-neighbour walk is exact — never all pairs.

use super::coverage::haversine_km;
use crate::domain::Facility;
use chrono::NaiveDate;
use rstar::primitives::GeomWithData;
use rstar::RTree;

/// Whether a facility is open on `date`.
pub fn open_on(facility: &Facility, date: NaiveDate) -> bool {
    facility.valid_from <= date && facility.valid_to.is_none_or(|to| to > date)
}

/// A facility found near a point.
#[derive(Debug, Clone)]
pub struct Nearby<'a> {
    /// Great-circle distance in km.
    pub distance_km: f64,
    /// The facility.
    pub facility: &'a Facility,
}

/// Facilities with a spatial index.
pub struct FacilityIndex {
    facilities: Vec<Facility>,
    tree: RTree<GeomWithData<[f64; 3], usize>>,
}

/// Unit vector of a point on the sphere.
fn unit_vector(lon: f64, lat: f64) -> [f64; 3] {
    let (lon, lat) = (lon.to_radians(), lat.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

impl FacilityIndex {
    /// Indexes facilities (sorted by id).
    pub fn new(mut facilities: Vec<Facility>) -> FacilityIndex {
        facilities.sort_by_key(|f| f.id);
        let points = facilities
            .iter()
            .enumerate()
            .map(|(i, f)| GeomWithData::new(unit_vector(f.lon, f.lat), i))
            .collect();
        FacilityIndex {
            facilities,
            tree: RTree::bulk_load(points),
        }
    }

    /// All facilities, by id.
    pub fn all(&self) -> &[Facility] {
        &self.facilities
    }

    /// The `k` nearest facilities to (lon, lat) passing `keep`, within `radius_km` if given,
    /// nearest first.
    pub fn nearest(
        &self,
        lon: f64,
        lat: f64,
        k: usize,
        radius_km: Option<f64>,
        keep: impl Fn(&Facility) -> bool,
    ) -> Vec<Nearby<'_>> {
        let query = unit_vector(lon, lat);
        let mut out = Vec::with_capacity(k);
        for item in self.tree.nearest_neighbor_iter(&query) {
            if out.len() == k {
                break;
            }
            let facility = &self.facilities[item.data];
            let distance_km = haversine_km(lon, lat, facility.lon, facility.lat);
            if radius_km.is_some_and(|r| distance_km > r) {
                break; // the walk is in distance order: nothing further is closer
            }
            if keep(facility) {
                out.push(Nearby {
                    distance_km: (distance_km * 1000.0).round() / 1000.0,
                    facility,
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn facility(id: u64, lon: f64, lat: f64) -> Facility {
        Facility {
            id,
            kind: crate::domain::Kind::ElderlyCare,
            name: format!("f{id}"),
            credit_code: String::new(),
            lon,
            lat,
            declared_code: 110_101,
            county_code: None,
            h3: None,
            capacity: 100,
            occupied: 50,
            valid_from: NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
            valid_to: None,
            batch_id: 1,
        }
    }

    #[test]
    fn haversine_matches_known_distances() {
        // 北京 → 上海 city centres: about 1,067 km.
        let d = haversine_km(116.4074, 39.9042, 121.4737, 31.2304);
        assert!((d - 1067.0).abs() < 5.0, "{d}");
        assert_eq!(haversine_km(100.0, 30.0, 100.0, 30.0), 0.0);
    }

    #[test]
    fn nearest_equals_brute_force() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let facilities: Vec<Facility> = (0..500)
            .map(|i| {
                facility(
                    i,
                    rng.random_range(100.0..120.0),
                    rng.random_range(20.0..45.0),
                )
            })
            .collect();
        let index = FacilityIndex::new(facilities.clone());
        for _ in 0..200 {
            let (lon, lat) = (rng.random_range(100.0..120.0), rng.random_range(20.0..45.0));
            let mut brute: Vec<(f64, u64)> = facilities
                .iter()
                .map(|f| (haversine_km(lon, lat, f.lon, f.lat), f.id))
                .collect();
            brute.sort_by(|a, b| a.0.total_cmp(&b.0));
            let got: Vec<u64> = index
                .nearest(lon, lat, 5, None, |_| true)
                .iter()
                .map(|n| n.facility.id)
                .collect();
            let want: Vec<u64> = brute.iter().take(5).map(|b| b.1).collect();
            assert_eq!(got, want);
            let within: Vec<u64> = index
                .nearest(lon, lat, 500, Some(300.0), |_| true)
                .iter()
                .map(|n| n.facility.id)
                .collect();
            let want: Vec<u64> = brute.iter().filter(|b| b.0 <= 300.0).map(|b| b.1).collect();
            assert_eq!(within, want);
        }
    }
}
