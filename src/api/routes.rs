//! Route handlers. Each parses and validates its parameters first (a bad one is a 400 before
//! any work), then runs database work on the blocking pool.

use super::error::ApiError;
use super::params::Params;
use super::AppState;
use crate::analytics::{self, StatsRequest};
use crate::domain::{DivisionCode, Kind, Level};
use crate::spatial::geojson::multipolygon_to_geojson;
use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use geo::Simplify;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::services::{ServeDir, ServeFile};

pub(super) fn routes(web_dir: PathBuf) -> Router<AppState> {
    let api = Router::new()
        .route("/meta", get(meta))
        .route("/divisions", get(divisions))
        .route("/boundaries", get(boundaries))
        .route("/stats", get(stats))
        .fallback(no_route);
    let router = Router::new()
        .route("/health", get(health))
        .nest("/api/v1", api);
    if web_dir.join("index.html").is_file() {
        let index = ServeFile::new(web_dir.join("index.html"));
        router.fallback_service(ServeDir::new(&web_dir).fallback(index))
    } else {
        router.fallback(web_missing)
    }
}

async fn no_route(uri: Uri) -> ApiError {
    ApiError::NoRoute(uri.path().to_string())
}

async fn web_missing() -> Response {
    let page = "<!doctype html><meta charset=utf-8><title>shikong</title>\
        <p>前端尚未构建。Web front end not built: run <code>./run</code> (or <code>npm ci --prefix web &amp;&amp; npm run --prefix web build</code>).</p>\
        <p>API: <a href=\"/api/v1/meta\">/api/v1/meta</a></p>";
    (StatusCode::SERVICE_UNAVAILABLE, Html(page)).into_response()
}

async fn health(State(state): State<AppState>) -> Json<Value> {
    let data = state.data();
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "data_version": data.data_version,
        "records": data.records,
    }))
}

async fn meta(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    Params::parse(query.as_deref(), &[])?;
    let data = state.data();
    let kinds: Vec<Value> = Kind::ALL
        .iter()
        .map(|k| json!({"id": k.id(), "name_zh": k.name_zh(), "name_en": k.name_en(), "unit": k.unit()}))
        .collect();
    let levels: Vec<Value> = Level::ALL
        .iter()
        .map(|l| json!({"id": l.id(), "name_zh": l.name_zh()}))
        .collect();
    Ok(Json(json!({
        "kinds": kinds,
        "levels": levels,
        "months": {"first": data.first_month, "last": data.last_month, "default": data.last_month},
        "data_version": data.data_version,
        "records": data.records,
    })))
}

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

async fn divisions(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(query.as_deref(), &["level", "parent"])?;
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

async fn boundaries(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref(), &["level", "parent", "tolerance"])?;
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

async fn stats(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<analytics::StatsResult>, ApiError> {
    let params = Params::parse(query.as_deref(), &["level", "parent", "kind", "month"])?;
    let data = state.data();
    let request = StatsRequest {
        level: params.level("level")?.unwrap_or(Level::Province),
        parent: params.division("parent", state.registry())?,
        kind: params.kind("kind")?,
        month: params.month("month")?.unwrap_or(data.last_month),
    };
    let worker = state.clone();
    let result = tokio::task::spawn_blocking(move || {
        analytics::division_stats(worker.store(), worker.registry(), &request)
    })
    .await??;
    Ok(Json(result))
}
