//! Service objects and facilities: filtered, keyset-paginated lists and nearest search.

use crate::analytics::facilities::open_on;
use crate::api::auth::Access;
use crate::api::error::ApiError;
use crate::api::openapi::allowed;
use crate::api::params::Params;
use crate::api::AppState;
use crate::domain::{Facility, Kind};
use crate::store::ObjectFilter;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// Largest page.
const MAX_LIMIT: u64 = 1_000;
/// Largest search radius, km.
const MAX_RADIUS_KM: f64 = 500.0;

/// `GET /api/v1/objects`: persons, organizations and events, id order, `after` = last id seen.
pub(super) async fn objects(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref(), &allowed("/objects"))?;
    let kind = params.kind("kind")?;
    if let Some(kind) = kind.filter(|k| k.is_facility()) {
        return Err(ApiError::bad(
            "kind",
            format!("{kind} is a facility kind: use /api/v1/facilities"),
        ));
    }
    let near = params.point("near")?;
    let radius = params.number("radius_km", 0.0..=MAX_RADIUS_KM)?;
    let near = match (near, radius) {
        (Some((lon, lat)), Some(r)) => Some((lon, lat, r)),
        (None, None) => None,
        (Some(_), None) => return Err(ApiError::bad("radius_km", "near needs radius_km")),
        (None, Some(_)) => return Err(ApiError::bad("near", "radius_km needs near=lon,lat")),
    };
    // status: active (in force on the date), ended (by the date), or all; a date alone means
    // active, and active or ended without a date use the last day with data.
    let date = params.date("date")?;
    let last_day = state.data().last_month.last_day();
    let (as_of, ended) = match params.get("status") {
        None => (date, false),
        Some("active") => (Some(date.unwrap_or(last_day)), false),
        Some("ended") => (Some(date.unwrap_or(last_day)), true),
        Some("all") => (None, false),
        Some(other) => {
            return Err(ApiError::bad(
                "status",
                format!("unknown status {other:?}; use active, ended or all"),
            ))
        }
    };
    let filter = ObjectFilter {
        division: params.division("code", state.registry())?,
        kind,
        as_of,
        ended,
        bbox: params.bbox("bbox")?,
        near,
        after: params.integer("after", 0..=u64::MAX >> 1)?.unwrap_or(0),
        limit: params.integer("limit", 1..=MAX_LIMIT)?.unwrap_or(100) as u32,
    };
    let limit = filter.limit as usize;
    let worker = state.clone();
    let rows = tokio::task::spawn_blocking(move || worker.store().objects_page(&filter))
        .await?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let next_after = (rows.len() == limit)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let count = rows.len();
    Ok((
        [(crate::api::auth::ROWS_HEADER, count.to_string())],
        Json(json!({"count": count, "next_after": next_after, "objects": rows})),
    )
        .into_response())
}

fn facility_json(f: &Facility, distance_km: Option<f64>) -> Value {
    let mut v = json!({
        "id": f.id, "kind": f.kind, "name": f.name, "credit_code": f.credit_code,
        "lon": f.lon, "lat": f.lat,
        "county_code": f.county_code.map(|c| format!("{c:06}")),
        "capacity": f.capacity, "occupied": f.occupied,
        "occupancy": if f.capacity > 0 { Some((f.occupied as f64 / f.capacity as f64 * 1000.0).round() / 1000.0) } else { None },
        "valid_from": f.valid_from.to_string(),
        "valid_to": f.valid_to.map(|d| d.to_string()),
    });
    if let Some(d) = distance_km {
        v["distance_km"] = json!(d);
    }
    v
}

/// Filters shared by the facility routes.
struct FacilityFilter {
    kind: Option<Kind>,
    date: Option<chrono::NaiveDate>,
}

impl FacilityFilter {
    fn parse(params: &Params) -> Result<FacilityFilter, ApiError> {
        let kind = params.kind("kind")?;
        if let Some(kind) = kind.filter(|k| !k.is_facility()) {
            return Err(ApiError::bad(
                "kind",
                format!("{kind} is not a facility kind: use /api/v1/objects"),
            ));
        }
        Ok(FacilityFilter {
            kind,
            date: params.date("date")?,
        })
    }

    fn keeps(&self, f: &Facility) -> bool {
        self.kind.is_none_or(|k| f.kind == k) && self.date.is_none_or(|d| open_on(f, d))
    }
}

/// `GET /api/v1/facilities`: facilities with capacity and occupancy, id order.
pub(super) async fn facilities(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(query.as_deref(), &allowed("/facilities"))?;
    let filter = FacilityFilter::parse(&params)?;
    let division = params.division("code", state.registry())?;
    let bbox = params.bbox("bbox")?;
    let after = params.integer("after", 0..=u64::MAX >> 1)?.unwrap_or(0);
    let limit = params.integer("limit", 1..=MAX_LIMIT)?.unwrap_or(100) as usize;
    let registry = state.registry();
    let in_division = |f: &Facility| match (division, f.county_code) {
        (None, _) => true,
        (Some(code), Some(county)) => crate::domain::DivisionCode::new(county)
            .map(|c| registry.lineage(c).iter().any(|d| d.code == code))
            .unwrap_or(false),
        (Some(_), None) => false,
    };
    let in_bbox = |f: &Facility| {
        bbox.is_none_or(|b| f.lon >= b[0] && f.lon <= b[2] && f.lat >= b[1] && f.lat <= b[3])
    };
    let page: Vec<Value> = state
        .facilities()
        .all()
        .iter()
        .filter(|f| f.id > after && filter.keeps(f) && in_bbox(f) && in_division(f))
        .take(limit)
        .map(|f| facility_json(f, None))
        .collect();
    let next_after = (page.len() == limit)
        .then(|| page.last().map(|v| v["id"].clone()))
        .flatten();
    Ok(Json(
        json!({"count": page.len(), "next_after": next_after, "facilities": page}),
    ))
}

/// `GET /api/v1/facilities/nearest`: the k nearest facilities to a point (great-circle).
pub(super) async fn nearest(
    State(state): State<AppState>,
    access: Access,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(query.as_deref(), &allowed("/facilities/nearest"))?;
    let lon = params
        .number("lon", -180.0..=180.0)?
        .ok_or_else(|| ApiError::bad("lon", "lon is required"))?;
    let lat = params
        .number("lat", -90.0..=90.0)?
        .ok_or_else(|| ApiError::bad("lat", "lat is required"))?;
    let k = params.integer("k", 1..=100)?.unwrap_or(5) as usize;
    let radius = params.number("radius_km", 0.0..=MAX_RADIUS_KM)?;
    let filter = FacilityFilter::parse(&params)?;
    let found: Vec<Value> = state
        .facilities()
        .nearest(lon, lat, k, radius, |f| {
            // Only facilities in the caller's scope (the route has no division parameter).
            filter.keeps(f)
                && (access.scope.is_national()
                    || f.county_code
                        .is_some_and(|c| access.covers_raw(c, state.registry())))
        })
        .iter()
        .map(|n| facility_json(n.facility, Some(n.distance_km)))
        .collect();
    Ok(Json(
        json!({"lon": lon, "lat": lat, "count": found.len(), "facilities": found}),
    ))
}
