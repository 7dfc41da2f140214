//! Route handlers. Each parses and validates its parameters first (a bad one is a 400 before
//! any work), then runs database work on the blocking pool.

mod access;
mod batches;
pub(super) mod coverage;
mod divisions;
mod governance;

pub(super) use governance::warm as warm_governance;
mod objects;
pub(super) mod stats;
mod tiles;

use super::error::ApiError;
use super::openapi::allowed;
use super::params::Params;
use super::AppState;
use crate::domain::{Kind, Level};
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::middleware;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::path::PathBuf;
use tower_http::services::{ServeDir, ServeFile};

/// Largest upload accepted by `POST /api/v1/batches`.
pub(super) const UPLOAD_LIMIT_BYTES: usize = 2 << 30;

/// The batch ledger, uploads and data governance, outside the ETag layer (the ledger,
/// declarations and reference lists change without a new data version) and with the
/// upload's own body limit.
pub(super) fn ledger_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/declarations",
            get(governance::declarations).post(governance::declare),
        )
        .route("/api/v1/reconciliation", get(governance::reconciliation))
        .route("/api/v1/stats/imported", get(stats::imported))
        .route("/api/v1/quality", get(governance::quality))
        .route("/api/v1/quality/trend", get(governance::quality_trend))
        .route("/api/v1/compare", get(governance::compare))
        .route(
            "/api/v1/reference-lists",
            get(governance::reference_lists)
                .post(governance::upload_reference_list)
                .layer(axum::extract::DefaultBodyLimit::max(UPLOAD_LIMIT_BYTES)),
        )
        .route(
            "/api/v1/batches",
            get(batches::list)
                .post(batches::upload)
                .layer(axum::extract::DefaultBodyLimit::max(UPLOAD_LIMIT_BYTES)),
        )
        .route("/api/v1/batches/{batch}", get(batches::one))
        .route("/api/v1/users", get(access::list).post(access::add))
        .route(
            "/api/v1/users/{name}",
            axum::routing::delete(access::revoke),
        )
        .route("/api/v1/audit", get(access::audit))
        .route("/api/v1/batches/{batch}/problems", get(batches::problems))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            UPLOAD_LIMIT_BYTES,
        ))
}

/// Sign-in for the web: the login page, session cookie, who is signed in.
pub(super) fn auth_routes() -> Router<AppState> {
    Router::new()
        .route("/auth/login", axum::routing::post(super::auth::login))
        .route("/auth/logout", axum::routing::post(super::auth::logout))
        .route("/auth/me", get(super::auth::me))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(4096))
}

pub(super) fn routes(state: AppState, web_dir: PathBuf) -> Router<AppState> {
    let api = Router::new()
        .route("/meta", get(meta))
        .route("/openapi.json", get(openapi_document))
        .route("/divisions", get(divisions::divisions))
        .route("/divisions/{code}", get(divisions::division))
        .route("/divisions/{code}/boundary", get(divisions::boundary))
        .route("/boundaries", get(divisions::boundaries))
        .route("/stats", get(stats::stats))
        .route("/stats/top", get(stats::top))
        .route("/stats/series", get(stats::series))
        .route("/reports/county-table", get(stats::county_table))
        .route("/coverage", get(coverage::over_counties))
        .route("/coverage/{code}", get(coverage::summary))
        .route("/coverage/{code}/deserts", get(coverage::deserts))
        .route("/coverage/{code}/suggest", get(coverage::suggest))
        .route("/objects", get(objects::objects))
        .route("/facilities", get(objects::facilities))
        .route("/facilities/nearest", get(objects::nearest))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            super::caching::etag,
        ))
        .fallback(no_route);
    let tile_routes = Router::new()
        .route("/tiles/{file}", get(tiles::tilejson))
        .route("/tiles/styles/{file}", get(tiles::style))
        .route("/tiles/{set}/{z}/{x}/{y_mvt}", get(tiles::tile))
        .route_layer(middleware::from_fn_with_state(
            state,
            super::caching::tile_etag,
        ));
    let router = Router::new()
        .route("/health", get(health))
        .merge(tile_routes)
        .nest("/api/v1", api);
    if web_dir.join("index.html").is_file() {
        let index = ServeFile::new(web_dir.join("index.html")).precompressed_gzip();
        // Pages with their own paths; their assets are referenced from the site root.
        let router = router
            .route_service(
                "/dashboard",
                ServeFile::new(web_dir.join("dashboard.html")).precompressed_gzip(),
            )
            .route_service(
                "/county/{code}",
                ServeFile::new(web_dir.join("county.html")).precompressed_gzip(),
            )
            .route_service(
                "/login",
                ServeFile::new(web_dir.join("login.html")).precompressed_gzip(),
            )
            .route_service(
                "/governance",
                ServeFile::new(web_dir.join("governance.html")).precompressed_gzip(),
            );
        // The build writes a gzip copy of each script and stylesheet: sent as is to clients
        // that take gzip, instead of compressing ~1 MB of MapLibre on every first visit.
        router.fallback_service(ServeDir::new(&web_dir).precompressed_gzip().fallback(index))
    } else {
        router.fallback(web_missing)
    }
}

/// Content type of CSV downloads (UTF-8; each writer puts a BOM first for spreadsheets).
pub(super) const CSV: &str = "text/csv; charset=utf-8";
/// Content type of XLSX downloads.
pub(super) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A file download: `body` as `content_type`, saved as `file_name`.
pub(super) fn attachment(content_type: &str, file_name: &str, body: impl IntoResponse) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, content_type.to_string()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

async fn openapi_document() -> Json<Value> {
    Json(super::openapi::document())
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

/// Liveness for anyone (no sign-in): no figures.
async fn health(State(state): State<AppState>) -> Json<Value> {
    let data = state.data();
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "data_version": data.data_version,
    }))
}

async fn meta(
    State(state): State<AppState>,
    access: super::auth::Access,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    Params::parse(query.as_deref(), &allowed("/meta"))?;
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
        // The whole database's size: the ministry's figure only.
        "records": access.scope.is_national().then_some(data.records),
    })))
}
