//! Kinds of service objects (服务对象) that civil-affairs departments hold.

use serde::Serialize;

/// What one record of a kind stands for; decides how a month's statistic is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A person receiving a benefit over a validity interval (counted as of month end).
    Person,
    /// A facility open over an interval (counted as of month end).
    Facility,
    /// An organization registered over an interval (counted as of month end).
    Organization,
    /// A dated event such as a marriage registration (counted within the month).
    Event,
}

/// A kind of service object. The list and national scales follow the project's design notes
/// (public 2023–24 statistics), used to calibrate the synthetic default data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 城乡低保 minimum living allowance.
    Dibao,
    /// 特困供养 extreme-poverty support.
    Tekun,
    /// 低保边缘 / 刚性支出困难 low-income monitoring.
    LowIncome,
    /// 孤儿 orphans.
    Orphan,
    /// 事实无人抚养儿童 children without de-facto care.
    DeFactoOrphan,
    /// 困难残疾人生活补贴 living subsidy for disabled people in difficulty.
    DisabilityLiving,
    /// 重度残疾人护理补贴 care subsidy for severely disabled people.
    DisabilityCare,
    /// 养老机构 elderly-care institutions.
    ElderlyCare,
    /// 婚姻登记 marriage registrations.
    Marriage,
    /// 社会组织 social organizations.
    SocialOrg,
    /// 救助管理机构 relief-management stations.
    ReliefStation,
    /// 殡葬服务机构 funeral-service facilities.
    Funeral,
}

impl Kind {
    /// Every kind, in display order.
    pub const ALL: [Kind; 12] = [
        Kind::Dibao,
        Kind::Tekun,
        Kind::LowIncome,
        Kind::Orphan,
        Kind::DeFactoOrphan,
        Kind::DisabilityLiving,
        Kind::DisabilityCare,
        Kind::ElderlyCare,
        Kind::Marriage,
        Kind::SocialOrg,
        Kind::ReliefStation,
        Kind::Funeral,
    ];

    /// Stable identifier used in the database, the API and file names.
    pub const fn id(self) -> &'static str {
        match self {
            Kind::Dibao => "dibao",
            Kind::Tekun => "tekun",
            Kind::LowIncome => "low_income",
            Kind::Orphan => "orphan",
            Kind::DeFactoOrphan => "de_facto_orphan",
            Kind::DisabilityLiving => "disability_living",
            Kind::DisabilityCare => "disability_care",
            Kind::ElderlyCare => "elderly_care",
            Kind::Marriage => "marriage",
            Kind::SocialOrg => "social_org",
            Kind::ReliefStation => "relief_station",
            Kind::Funeral => "funeral",
        }
    }

    /// Chinese name as used in civil-affairs statistics.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Kind::Dibao => "城乡低保",
            Kind::Tekun => "特困供养",
            Kind::LowIncome => "低保边缘/刚性支出困难",
            Kind::Orphan => "孤儿",
            Kind::DeFactoOrphan => "事实无人抚养儿童",
            Kind::DisabilityLiving => "困难残疾人生活补贴",
            Kind::DisabilityCare => "重度残疾人护理补贴",
            Kind::ElderlyCare => "养老机构",
            Kind::Marriage => "婚姻登记",
            Kind::SocialOrg => "社会组织",
            Kind::ReliefStation => "救助管理机构",
            Kind::Funeral => "殡葬服务机构",
        }
    }

    /// English name.
    pub const fn name_en(self) -> &'static str {
        match self {
            Kind::Dibao => "Minimum living allowance",
            Kind::Tekun => "Extreme-poverty support",
            Kind::LowIncome => "Low-income monitoring",
            Kind::Orphan => "Orphans",
            Kind::DeFactoOrphan => "Children without de-facto care",
            Kind::DisabilityLiving => "Disability living subsidy",
            Kind::DisabilityCare => "Severe-disability care subsidy",
            Kind::ElderlyCare => "Elderly-care institutions",
            Kind::Marriage => "Marriage registrations",
            Kind::SocialOrg => "Social organizations",
            Kind::ReliefStation => "Relief-management stations",
            Kind::Funeral => "Funeral-service facilities",
        }
    }

    /// What one record stands for.
    pub const fn unit(self) -> Unit {
        match self {
            Kind::ElderlyCare | Kind::ReliefStation | Kind::Funeral => Unit::Facility,
            Kind::SocialOrg => Unit::Organization,
            Kind::Marriage => Unit::Event,
            _ => Unit::Person,
        }
    }

    /// Approximate national scale (public 2023–24 statistics): people, facilities or
    /// organizations in force at a date, or events per year for [`Unit::Event`].
    pub const fn national_scale(self) -> u64 {
        match self {
            Kind::Dibao => 40_000_000,
            Kind::Tekun => 4_700_000,
            Kind::LowIncome => 20_000_000,
            Kind::Orphan => 150_000,
            Kind::DeFactoOrphan => 350_000,
            Kind::DisabilityLiving => 12_000_000,
            Kind::DisabilityCare => 16_000_000,
            Kind::ElderlyCare => 41_000,
            Kind::Marriage => 7_700_000,
            Kind::SocialOrg => 880_000,
            Kind::ReliefStation => 1_500,
            Kind::Funeral => 4_000,
        }
    }

    /// Parses an identifier as returned by [`Kind::id`].
    pub fn from_id(id: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.id() == id)
    }

    /// Whether its records are people identified by an ID number (persons and events).
    pub const fn is_person(self) -> bool {
        matches!(self.unit(), Unit::Person | Unit::Event)
    }

    /// Records of this kind live in the facilities table rather than service_objects.
    pub const fn is_facility(self) -> bool {
        matches!(self.unit(), Unit::Facility)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for kind in Kind::ALL {
            assert_eq!(Kind::from_id(kind.id()), Some(kind));
            assert!(seen.insert(kind.id()));
        }
        assert_eq!(Kind::from_id("DIBAO"), None);
        assert_eq!(Kind::from_id(""), None);
    }

    #[test]
    fn facility_kinds_are_the_facility_unit() {
        let facilities: Vec<_> = Kind::ALL.into_iter().filter(|k| k.is_facility()).collect();
        assert_eq!(
            facilities,
            [Kind::ElderlyCare, Kind::ReliefStation, Kind::Funeral]
        );
    }
}
