//! County coverage: summary, service deserts (GeoJSON), and suggested new sites.

use super::divisions::path_division;
use crate::analytics::county_coverage::{self, CoverageRequest, Inputs};
use crate::api::error::ApiError;
use crate::api::openapi::allowed;
use crate::api::params::Params;
use crate::api::AppState;
use crate::domain::Kind;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// Largest catchment radius served, km (a county's services, not a province's).
const MAX_RADIUS_KM: f64 = 100.0;

/// The parameters every coverage route shares.
fn request(state: &AppState, raw_code: &str, params: &Params) -> Result<CoverageRequest, ApiError> {
    let county = path_division(state, raw_code)?;
    if !state.registry().get(county).is_some_and(|d| d.is_leaf) {
        return Err(ApiError::bad(
            "code",
            format!("{county} is not a county-level unit; coverage is computed per county (use /coverage?parent= for a summary over counties)"),
        ));
    }
    shared_request(state, county, params)
}

/// The demand/supply/radius/date parameters, for `county`.
pub(crate) fn shared_request(
    state: &AppState,
    county: crate::domain::DivisionCode,
    params: &Params,
) -> Result<CoverageRequest, ApiError> {
    let mut kinds = params.kinds("kinds")?;
    if let Some(kind) = kinds.iter().find(|k| k.is_facility()) {
        return Err(ApiError::bad(
            "kinds",
            format!("{kind} is not a person, organization or event kind"),
        ));
    }
    if kinds.is_empty() {
        kinds.push(Kind::Tekun);
    }
    let facility_kind = params.kind("facility_kind")?.unwrap_or(Kind::ElderlyCare);
    if !facility_kind.is_facility() {
        return Err(ApiError::bad(
            "facility_kind",
            format!("{facility_kind} is not a facility kind"),
        ));
    }
    let radius_km = params
        .number("radius_km", 0.0..=MAX_RADIUS_KM)?
        .unwrap_or(10.0);
    if radius_km <= 0.0 {
        return Err(ApiError::bad(
            "radius_km",
            "radius_km must be greater than 0",
        ));
    }
    let date = params
        .date("date")?
        .unwrap_or(state.data().last_month.last_day());
    Ok(CoverageRequest {
        county,
        kinds,
        facility_kind,
        radius_km,
        date,
    })
}

async fn load(state: &AppState, r: &CoverageRequest) -> Result<Inputs, ApiError> {
    let bbox = state
        .facts(r.county)
        .map(|f| f.bbox)
        .ok_or_else(|| ApiError::Internal(format!("no facts for {}", r.county)))?;
    let (worker, r) = (state.clone(), r.clone());
    Ok(tokio::task::spawn_blocking(move || {
        county_coverage::inputs(worker.store(), &worker.facilities(), bbox, &r)
    })
    .await??)
}

fn describe(state: &AppState, r: &CoverageRequest) -> Value {
    json!({
        "code": r.county,
        "name": state.registry().get(r.county).map(|d| d.name.clone()),
        "kinds": r.kinds, "facility_kind": r.facility_kind, "radius_km": r.radius_km, "date": r.date.to_string(),
    })
}

/// `GET /api/v1/coverage/{code}`: radius coverage, capacity coverage, E2SFCA accessibility.
pub(super) async fn summary(
    State(state): State<AppState>,
    Path(code): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(query.as_deref(), &allowed("/coverage/{code}"))?;
    let r = request(&state, &code, &params)?;
    let inputs = load(&state, &r).await?;
    let radius = r.radius_km;
    let (summary, cells) =
        tokio::task::spawn_blocking(move || county_coverage::summary(&inputs, radius)).await??;
    let mut out = describe(&state, &r);
    out["summary"] =
        serde_json::to_value(summary).map_err(|e| ApiError::Internal(e.to_string()))?;
    out["cells"] = serde_json::to_value(cells).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(out))
}

/// `GET /api/v1/coverage/{code}/deserts`: H3 cells (resolution 8) with demand and no
/// capacity within the radius, as GeoJSON, worst first.
pub(super) async fn deserts(
    State(state): State<AppState>,
    Path(code): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref(), &allowed("/coverage/{code}/deserts"))?;
    let r = request(&state, &code, &params)?;
    let min_demand = params.number("min_demand", 0.0..=1e6)?.unwrap_or(5.0);
    let inputs = load(&state, &r).await?;
    let radius = r.radius_km;
    let deserts =
        tokio::task::spawn_blocking(move || county_coverage::deserts(&inputs, radius, min_demand))
            .await??;
    let features: Vec<Value> = deserts
        .iter()
        .enumerate()
        .filter_map(|(rank, d)| {
            let cell = h3o::CellIndex::try_from(d.cell).ok()?;
            let mut ring: Vec<[f64; 2]> = cell
                .boundary()
                .iter()
                .map(|ll| [ll.lng(), ll.lat()])
                .collect();
            ring.push(ring[0]);
            Some(json!({
                "type": "Feature",
                "properties": {
                    "cell": format!("{:x}", d.cell), "rank": rank + 1, "demand": d.demand,
                    "nearest_km": d.nearest_km,
                },
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }))
        })
        .collect();
    let body =
        json!({"type": "FeatureCollection", "request": describe(&state, &r), "features": features});
    Ok((
        [(header::CONTENT_TYPE, "application/geo+json")],
        body.to_string(),
    )
        .into_response())
}

/// `GET /api/v1/coverage/{code}/suggest?k=`: k new sites (greedy maximal covering) among the
/// centres of cells where the demand lives, with the coverage each adds.
pub(super) async fn suggest(
    State(state): State<AppState>,
    Path(code): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(query.as_deref(), &allowed("/coverage/{code}/suggest"))?;
    let r = request(&state, &code, &params)?;
    let k = params.integer("k", 1..=50)?.unwrap_or(5) as usize;
    let candidates = params.get("candidates").map(parse_candidates).transpose()?;
    let inputs = load(&state, &r).await?;
    let radius = r.radius_km;
    let plan = tokio::task::spawn_blocking(move || {
        county_coverage::suggest(&inputs, radius, k, candidates)
    })
    .await??;
    let mut out = describe(&state, &r);
    out["plan"] = serde_json::to_value(plan).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(out))
}

/// `GET /api/v1/coverage?parent=`: the coverage summary of every county-level unit under a
/// province or prefecture, computed county by county in parallel.
pub(super) async fn over_counties(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(query.as_deref(), &allowed("/coverage"))?;
    let parent = params
        .division("parent", state.registry())?
        .ok_or_else(|| {
            ApiError::bad(
                "parent",
                "parent (a province or prefecture code) is required",
            )
        })?;
    if state.registry().get(parent).is_some_and(|d| d.is_leaf) {
        return Err(ApiError::bad(
            "parent",
            format!("{parent} is a county-level unit: use /coverage/{parent}"),
        ));
    }
    let counties = state
        .registry()
        .partition(crate::domain::Level::County, Some(parent));
    let requests: Vec<CoverageRequest> = counties
        .iter()
        .map(|&c| shared_request(&state, c, &params))
        .collect::<Result<_, _>>()?;
    let worker = state.clone();
    let rows = tokio::task::spawn_blocking(move || {
        use rayon::prelude::*;
        requests
            .par_iter()
            .map(|r| {
                let bbox = worker.facts(r.county).map(|f| f.bbox).unwrap_or([0.0; 4]);
                let inputs =
                    county_coverage::inputs(worker.store(), &worker.facilities(), bbox, r)?;
                let (summary, _) = county_coverage::summary(&inputs, r.radius_km)?;
                let name = worker.registry().get(r.county).map(|d| d.name.clone());
                Ok(json!({"code": r.county, "name": name, "summary": summary}))
            })
            .collect::<Result<Vec<Value>, crate::analytics::AnalyticsError>>()
    })
    .await??;
    let first = state.registry().get(parent).map(|d| d.name.clone());
    Ok(Json(
        json!({"parent": parent, "name": first, "count": rows.len(), "counties": rows}),
    ))
}

/// Most candidate sites a request may propose.
const MAX_CANDIDATES: usize = 500;

/// `lon,lat;lon,lat;…` → sites, each a valid WGS84 coordinate.
fn parse_candidates(text: &str) -> Result<Vec<(f64, f64)>, ApiError> {
    let sites: Vec<&str> = text.split(';').filter(|s| !s.trim().is_empty()).collect();
    if sites.is_empty() || sites.len() > MAX_CANDIDATES {
        return Err(ApiError::bad(
            "candidates",
            format!("candidates must list 1 to {MAX_CANDIDATES} sites as lon,lat;lon,lat"),
        ));
    }
    sites
        .iter()
        .map(|site| {
            let parts: Vec<Option<f64>> = site
                .split(',')
                .map(|v| v.trim().parse::<f64>().ok().filter(|x| x.is_finite()))
                .collect();
            match parts[..] {
                [Some(lon), Some(lat)]
                    if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) =>
                {
                    Ok((lon, lat))
                }
                _ => Err(ApiError::bad(
                    "candidates",
                    format!("{site:?} is not lon,lat in degrees"),
                )),
            }
        })
        .collect()
}
