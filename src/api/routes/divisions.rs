//! Divisions: lists, one division with its lineage, and boundaries as GeoJSON.

use crate::api::error::ApiError;
use crate::api::openapi::allowed;
use crate::api::params::Params;
use crate::api::AppState;
use crate::domain::{DivisionCode, Level};
use crate::spatial::geojson::multipolygon_to_geojson;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use geo::Simplify;
use serde_json::{json, Value};
use std::sync::Arc;

/// The divisions a request names.
struct Selection {
    level: Option<Level>,
    parent: Option<DivisionCode>,
    codes: Vec<DivisionCode>,
}

/// `level` and `parent` → the divisions to list: the partition at `level` (under `parent`),
/// or without a level the parent's direct children (or the provinces).
fn select_divisions(state: &AppState, params: &Params) -> Result<Selection, ApiError> {
    let registry = state.registry();
    let level = params.level("level")?;
    let parent = params.division("parent", registry)?;
    let codes = match (level, parent) {
        (Some(level), parent) => registry.partition(level, parent),
        (None, Some(parent)) => registry.children(parent).to_vec(),
        (None, None) => registry.partition(Level::Province, None),
    };
    Ok(Selection {
        level,
        parent,
        codes,
    })
}

pub(super) async fn divisions(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(query.as_deref(), &allowed("/divisions"))?;
    let Selection {
        level,
        parent,
        codes,
    } = select_divisions(&state, &params)?;
    let registry = state.registry();
    let rows: Vec<Value> = codes
        .iter()
        .filter_map(|&code| registry.get(code))
        .map(|d| {
            let facts = state.facts(d.code);
            json!({
                "code": d.code, "name": d.name, "level": d.level, "parent": d.parent,
                "depth": d.depth, "is_leaf": d.is_leaf,
                "centroid": facts.map(|f| f.centroid),
                "bbox": facts.map(|f| f.bbox),
                "area_km2": facts.map(|f| (f.area_km2 * 10.0).round() / 10.0),
            })
        })
        .collect();
    Ok(Json(
        json!({"level": level, "parent": parent, "count": rows.len(), "divisions": rows}),
    ))
}

pub(super) async fn boundaries(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref(), &allowed("/boundaries"))?;
    let Selection {
        level,
        parent,
        codes,
    } = select_divisions(&state, &params)?;
    let level = level.unwrap_or(Level::Province);
    // Default tolerances keep a whole-country layer small enough for a browser.
    let default_tolerance = match level {
        Level::Province => 0.01,
        Level::Prefecture => 0.005,
        Level::County => 0.002,
    };
    let tolerance = params
        .number("tolerance", 0.0..=1.0)?
        .unwrap_or(default_tolerance);
    let key = (level, parent, (tolerance * 1e6).round() as u64);
    let cached = state
        .inner
        .boundary_cache
        .lock()
        .ok()
        .and_then(|cache| cache.get(&key).cloned());
    let body = match cached {
        Some(body) => body,
        None => {
            let worker = state.clone();
            let body = tokio::task::spawn_blocking(move || {
                Arc::new(feature_collection(&worker, &codes, tolerance))
            })
            .await?;
            if let Ok(mut cache) = state.inner.boundary_cache.lock() {
                cache.insert(key, body.clone());
            }
            body
        }
    };
    Ok((
        [(header::CONTENT_TYPE, "application/geo+json")],
        body.as_str().to_owned(),
    )
        .into_response())
}

fn feature_collection(state: &AppState, codes: &[DivisionCode], tolerance: f64) -> String {
    let registry = state.registry();
    let mut out = String::from(r#"{"type":"FeatureCollection","features":["#);
    let mut first = true;
    for &code in codes {
        let (Some(info), Some(geometry)) = (registry.get(code), state.inner.geometries.get(&code))
        else {
            continue;
        };
        let simplified = if tolerance > 0.0 {
            geometry.simplify(tolerance)
        } else {
            geometry.clone()
        };
        let properties =
            json!({"code": code, "name": info.name, "level": info.level, "parent": info.parent});
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(&format!(
            r#"{{"type":"Feature","id":{},"properties":{},"geometry":{}}}"#,
            code.get(),
            properties,
            multipolygon_to_geojson(&simplified, 5)
        ));
    }
    out.push_str("]}");
    out
}

/// Parses a division code from the path: 400 when malformed, 404 when unknown.
pub(super) fn path_division(state: &AppState, raw: &str) -> Result<DivisionCode, ApiError> {
    let code: DivisionCode = raw
        .parse()
        .map_err(|e| ApiError::bad("code", format!("{e}")))?;
    state
        .registry()
        .get(code)
        .map(|d| d.code)
        .ok_or_else(|| ApiError::not_found("code", format!("no division with code {code}")))
}

/// One division: its facts, the chain of parents, and its children.
pub(super) async fn division(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    Params::parse(query.as_deref(), &allowed("/divisions/{code}"))?;
    let code = path_division(&state, &raw)?;
    let registry = state.registry();
    let info = registry
        .get(code)
        .ok_or_else(|| ApiError::Internal(format!("{code} vanished")))?;
    let brief = |c: DivisionCode| {
        registry
            .get(c)
            .map(|d| json!({"code": d.code, "name": d.name, "level": d.level}))
    };
    let facts = state.facts(code);
    Ok(Json(json!({
        "code": info.code,
        "name": info.name,
        "level": info.level,
        "parent": info.parent,
        "depth": info.depth,
        "is_leaf": info.is_leaf,
        "lineage": registry.lineage(code).iter().map(|d| brief(d.code)).collect::<Vec<_>>(),
        "children": registry.children(code).iter().filter_map(|&c| brief(c)).collect::<Vec<_>>(),
        "centroid": facts.map(|f| f.centroid),
        "bbox": facts.map(|f| f.bbox),
        "area_km2": facts.map(|f| (f.area_km2 * 10.0).round() / 10.0),
        "population": facts.and_then(|f| f.population),
        "boundary": format!("/api/v1/divisions/{code}/boundary"),
    })))
}

/// `GET /api/v1/divisions/{code}/boundary`: the division's own boundary, simplified by
/// `tolerance` (degrees) or to about one pixel at `zoom`.
pub(super) async fn boundary(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref(), &allowed("/divisions/{code}/boundary"))?;
    let code = path_division(&state, &raw)?;
    let tolerance = match (
        params.number("tolerance", 0.0..=1.0)?,
        params.number("zoom", 0.0..=22.0)?,
    ) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad("zoom", "give tolerance or zoom, not both"))
        }
        (Some(t), None) => t,
        // A 256-px tile spans 360 / 2^zoom degrees of longitude.
        (None, Some(z)) => 360.0 / (256.0 * 2f64.powf(z)),
        (None, None) => 0.0,
    };
    let worker = state.clone();
    let body = tokio::task::spawn_blocking(move || {
        let collection = feature_collection(&worker, &[code], tolerance);
        // The collection holds exactly one feature: unwrap it.
        let start = collection.find("[{").map(|i| i + 1).unwrap_or(0);
        collection[start..collection.len().saturating_sub(2)].to_string()
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], body).into_response())
}
