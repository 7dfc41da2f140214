//! Population proxy used to distribute synthetic service objects.
//!
//! Province totals are the 7th national census (2020) resident populations of the 31
//! provinces (`datasets/population/census2020_provinces.csv`, see PROVENANCE). No county-level
//! table ships with a registry package, so within a province each leaf division gets a weight
//! from its type (urban district, county-level city, county, banner…) and its area; see
//! [`county_weight`].

use crate::domain::{DivisionCode, Registry};
use std::collections::HashMap;

const CENSUS_CSV: &str = include_str!("../../datasets/population/census2020_provinces.csv");

/// Resident population per province code (31 provinces; 香港/澳门/台湾 are not in the census
/// table and get no synthetic records).
pub fn province_population() -> HashMap<DivisionCode, u64> {
    CENSUS_CSV
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut fields = line.split(',');
            let code = fields.next()?.parse().ok()?;
            let _name = fields.next()?;
            let population = fields.next()?.trim().parse().ok()?;
            Some((code, population))
        })
        .collect()
}

/// How a leaf division's type shapes its share of people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountyType {
    /// 市辖区 urban district.
    District,
    /// 县级市 county-level city (and prefecture-level cities without counties).
    City,
    /// 县 / 自治县 county.
    County,
    /// 旗 / 自治旗 banner (pastoral, sparse).
    Banner,
    /// 林区 / 特区 forest or special area (sparse).
    Special,
}

impl CountyType {
    /// Classifies by the name's suffix, the way GB/T 2260 names encode the type.
    pub fn from_name(name: &str) -> CountyType {
        if name.ends_with('区') && !name.ends_with("林区") && !name.ends_with("特区") {
            CountyType::District
        } else if name.ends_with('市') {
            CountyType::City
        } else if name.ends_with('旗') {
            CountyType::Banner
        } else if name.ends_with('县') {
            CountyType::County
        } else {
            CountyType::Special
        }
    }

    /// Whether the type is predominantly urban.
    pub fn is_urban(self) -> bool {
        matches!(self, CountyType::District | CountyType::City)
    }
}

/// Relative population weight of a leaf within its province: urban units are denser, and
/// larger units hold more people but far less than proportionally (area^0.3), which keeps
/// vast western counties from dominating their province.
pub fn county_weight(kind: CountyType, area_km2: f64) -> f64 {
    let base = match kind {
        CountyType::District => 1.6,
        CountyType::City => 1.3,
        CountyType::County => 1.0,
        CountyType::Banner => 0.5,
        CountyType::Special => 0.3,
    };
    base * area_km2.max(1.0).powf(0.3)
}

/// Estimated resident population of every division in the 31 census provinces: the
/// province's census total shared among its leaves by [`county_weight`], summed upwards.
/// Divisions outside the census table (香港, 澳门, 台湾) are absent.
pub fn estimate_populations(
    registry: &Registry,
    area_km2: &HashMap<DivisionCode, f64>,
) -> HashMap<DivisionCode, u64> {
    let census = province_population();
    let weight = |code: DivisionCode, name: &str| {
        county_weight(
            CountyType::from_name(name),
            area_km2.get(&code).copied().unwrap_or(1.0),
        )
    };
    let mut province_weight: HashMap<DivisionCode, f64> = HashMap::new();
    for leaf in registry.leaves() {
        *province_weight.entry(leaf.code.province()).or_default() += weight(leaf.code, &leaf.name);
    }
    let mut out: HashMap<DivisionCode, u64> = HashMap::new();
    for leaf in registry.leaves() {
        let province = leaf.code.province();
        let Some(&total) = census.get(&province) else {
            continue;
        };
        let share = weight(leaf.code, &leaf.name) / province_weight[&province];
        let people = (total as f64 * share).round() as u64;
        for ancestor in registry.lineage(leaf.code) {
            *out.entry(ancestor.code).or_default() += people;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn census_table_is_complete() {
        let p = province_population();
        assert_eq!(p.len(), 31);
        // The 2020 census: 1,409,778,724 residents in the 31 provinces (plus 2,000,000 active
        // military personnel, who belong to no province).
        assert_eq!(p.values().sum::<u64>(), 1_409_778_724);
        assert_eq!(p[&"440000".parse().unwrap()], 126_012_510);
    }

    #[test]
    fn estimates_add_up_to_the_census() {
        let b = crate::datasets::load_embedded().unwrap();
        let areas = b
            .geometries
            .iter()
            .map(|(c, g)| {
                (
                    *c,
                    geo::ChamberlainDuquetteArea::chamberlain_duquette_unsigned_area(g) / 1e6,
                )
            })
            .collect();
        let estimates = estimate_populations(&b.registry, &areas);
        let census = province_population();
        for (province, total) in &census {
            let estimate = estimates[province] as i64;
            assert!(
                (estimate - *total as i64).abs() < 100,
                "{province}: {estimate} vs {total}"
            );
        }
        assert!(!estimates.contains_key(&"710000".parse().unwrap()));
        // A prefecture is the sum of its children.
        let hangzhou: DivisionCode = "330100".parse().unwrap();
        let children: u64 = b
            .registry
            .children(hangzhou)
            .iter()
            .map(|c| estimates[c])
            .sum();
        assert_eq!(estimates[&hangzhou], children);
    }

    #[test]
    fn county_types_from_names() {
        assert_eq!(CountyType::from_name("东城区"), CountyType::District);
        assert_eq!(CountyType::from_name("神农架林区"), CountyType::Special);
        assert_eq!(CountyType::from_name("义乌市"), CountyType::City);
        assert_eq!(
            CountyType::from_name("达尔罕茂明安联合旗"),
            CountyType::Banner
        );
        assert_eq!(
            CountyType::from_name("长白朝鲜族自治县"),
            CountyType::County
        );
        assert!(
            county_weight(CountyType::District, 100.0) > county_weight(CountyType::Banner, 100.0)
        );
    }
}
