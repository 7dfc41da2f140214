//! Records as they flow from generation or ingest into the store.

use super::Kind;
use chrono::NaiveDate;

/// A person, organization or event record (服务对象), ready to store. Never carries a raw
/// ID number: only its keyed hash and masked form.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceObject {
    /// Unique id within the database.
    pub id: u64,
    /// Kind (never a facility kind).
    pub kind: Kind,
    /// Longitude, in the boundaries' datum.
    pub lon: f64,
    /// Latitude, in the boundaries' datum.
    pub lat: f64,
    /// Division code the record was declared under.
    pub declared_code: u32,
    /// Leaf division containing the point, if any.
    pub county_code: Option<u32>,
    /// H3 cell of the point at resolution 9.
    pub h3: Option<u64>,
    /// First day in force (or the event date).
    pub valid_from: NaiveDate,
    /// First day no longer in force; `None` while still in force.
    pub valid_to: Option<NaiveDate>,
    /// HMAC-SHA256 of the person's ID number (persons and events).
    pub person_hash: Option<String>,
    /// Masked ID number, e.g. `3301**********1234`.
    pub person_masked: Option<String>,
    /// 统一社会信用代码 (organizations).
    pub credit_code: Option<String>,
    /// Kind-specific attributes as a JSON object.
    pub attrs: String,
    /// Batch that brought the record in.
    pub batch_id: u64,
}

/// A service facility (养老机构, 救助管理机构, 殡葬服务机构): public, with capacity.
#[derive(Debug, Clone, PartialEq)]
pub struct Facility {
    /// Unique id within the database.
    pub id: u64,
    /// Kind (a facility kind).
    pub kind: Kind,
    /// Name.
    pub name: String,
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Longitude, in the boundaries' datum.
    pub lon: f64,
    /// Latitude, in the boundaries' datum.
    pub lat: f64,
    /// Division code the facility was declared under.
    pub declared_code: u32,
    /// Leaf division containing the point, if any.
    pub county_code: Option<u32>,
    /// H3 cell of the point at resolution 9.
    pub h3: Option<u64>,
    /// Capacity (beds for elderly care, places otherwise).
    pub capacity: u32,
    /// Places in use.
    pub occupied: u32,
    /// Opening day.
    pub valid_from: NaiveDate,
    /// Closing day, if closed.
    pub valid_to: Option<NaiveDate>,
    /// Batch that brought the record in.
    pub batch_id: u64,
}
