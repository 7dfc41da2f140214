//! Vector tiles over HTTP: `/tiles/{set}/{z}/{x}/{y}.mvt` and `/tiles/{set}.json`
//! (TileJSON 3.0), outside `/api/v1` so tile clients get plain paths. Sets are those of
//! [`tile_sets`](crate::api::tile_sets) and any PMTiles archive given to `serve`. Computed
//! tiles come from the shared LRU tile cache when they can; responses carry a strong ETag and
//! may be reused for five minutes.

use crate::api::auth::Access;
use crate::api::error::ApiError;
use crate::api::params::Params;
use crate::api::tile_sets::{self, TileSet};
use crate::api::AppState;
use crate::domain::Role;
use crate::tiles::{TileId, TileKey, MAX_ZOOM};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

/// Media type of an MVT tile.
const MVT: &str = "application/vnd.mapbox-vector-tile";

/// `GET /tiles/{set}/{z}/{x}/{y}.mvt`: one tile of a computed set or of a served archive.
pub(super) async fn tile(
    State(state): State<AppState>,
    access: Access,
    Path((set, z, x, y_mvt)): Path<(String, String, String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(archive) = state.archive(&set).cloned() {
        // Archives are cut in advance for everyone: exact figures of the whole country.
        if !access.scope.is_national() || access.role < Role::Caseworker {
            return Err(ApiError::Forbidden(format!(
                "tile archive {set:?} holds exact national figures: ministry staff only / 仅限部级经办及以上"
            )));
        }
        Params::parse(query.as_deref(), &[])?;
        let tile = tile_id(&z, &x, &y_mvt)?;
        let stored = tokio::task::spawn_blocking(move || archive.get_compressed(tile))
            .await?
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        return Ok(match stored {
            None => StatusCode::NO_CONTENT.into_response(),
            // Archives hold gzip tiles: pass them on as they are when the client takes gzip.
            Some(gz) if accepts_gzip(&headers) => (
                [
                    (header::CONTENT_TYPE, MVT),
                    (header::CONTENT_ENCODING, "gzip"),
                ],
                gz,
            )
                .into_response(),
            Some(gz) => {
                let mut mvt = Vec::new();
                std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut mvt)
                    .map_err(|e| ApiError::Internal(format!("archive tile: {e}")))?;
                tile_response(&mvt)
            }
        });
    }
    let set = known_set(&state, &set)?;
    if set == TileSet::Coverage && access.role < Role::Caseworker {
        return Err(ApiError::Forbidden(
            "coverage cells show where individuals live: caseworkers and above / 权限不足".into(),
        ));
    }
    let params = Params::parse(query.as_deref(), set.params())?;
    let tile = tile_id(&z, &x, &y_mvt)?;
    let query = tile_sets::parse(&state, set, &params)?;
    let audience = tile_sets::Audience {
        scope: access.scope,
        suppress_below: access.suppress_below,
    };
    let key = TileKey {
        set: set.id(),
        z: tile.z,
        x: tile.x,
        y: tile.y,
        params: format!("{}|{}", query.cache_params(), audience.key()),
        data_version: state.data().data_version.clone(),
    };
    let worker = state.clone();
    cached_tile(&state, key, move || {
        tile_sets::render(&worker, &query, audience, tile)
    })
    .await
}

/// The computed set named `name`, else a 404 listing what there is.
fn known_set(state: &AppState, name: &str) -> Result<TileSet, ApiError> {
    TileSet::from_id(name).ok_or_else(|| {
        let mut sets: Vec<&str> = TileSet::ALL.iter().map(|s| s.id()).collect();
        sets.extend(state.archive_names());
        ApiError::not_found(
            "set",
            format!("no tile set {name:?}; sets: {}", sets.join(", ")),
        )
    })
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f64>().ok())
                    == Some(0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

/// Styles shipped in `tiles/styles/`, by file name.
const STYLES: &[(&str, &str)] = &[(
    "shikong.json",
    include_str!("../../../tiles/styles/shikong.json"),
)];

/// `GET /tiles/styles/{file}`: a MapLibre style with its source URLs made absolute for the
/// requesting host (style sources must be absolute URLs).
pub(super) async fn style(
    Path(file): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    Params::parse(query.as_deref(), &[])?;
    let text = STYLES
        .iter()
        .find(|(name, _)| *name == file)
        .map(|(_, text)| *text)
        .ok_or_else(|| ApiError::not_found("style", format!("no style {file:?}")))?;
    let mut style: Value =
        serde_json::from_str(text).map_err(|e| ApiError::Internal(format!("style: {e}")))?;
    let origin = origin(&headers);
    if let Some(sources) = style["sources"].as_object_mut() {
        for source in sources.values_mut() {
            if let Some(url) = source["url"].as_str().filter(|u| u.starts_with('/')) {
                source["url"] = format!("{origin}{url}").into();
            }
        }
    }
    Ok(Json(style))
}

/// `scheme://host` of the request when the Host header is usable, else empty (relative).
fn origin(headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .map(|host| {
            let scheme = headers
                .get("x-forwarded-proto")
                .and_then(|h| h.to_str().ok())
                .filter(|s| matches!(*s, "http" | "https"))
                .unwrap_or("http");
            format!("{scheme}://{host}")
        })
        .unwrap_or_default()
}

/// `GET /tiles/{set}.json`: TileJSON 3.0.0 of a set (its query is checked and carried into
/// the tile URL), or of a served archive (from its metadata).
pub(super) async fn tilejson(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let name = file.strip_suffix(".json").ok_or_else(|| {
        ApiError::not_found(
            "set",
            format!("{file:?}: TileJSON is at /tiles/{{set}}.json"),
        )
    })?;
    // Absolute when the Host is known (clients resolve TileJSON URLs inconsistently).
    let origin = origin(&headers);
    if let Some(archive) = state.archive(name) {
        Params::parse(query.as_deref(), &[])?;
        let mut doc = archive.metadata.clone();
        let b = &archive.bounds;
        doc["tilejson"] = "3.0.0".into();
        doc["scheme"] = "xyz".into();
        doc["tiles"] = serde_json::json!([format!("{origin}/tiles/{name}/{{z}}/{{x}}/{{y}}.mvt")]);
        doc["minzoom"] = b.min_zoom.into();
        doc["maxzoom"] = b.max_zoom.into();
        doc["bounds"] = serde_json::json!(b.bbox);
        doc["center"] = serde_json::json!([b.center.0, b.center.1, b.center.2]);
        return Ok(Json(doc));
    }
    let set = known_set(&state, name)?;
    let params = Params::parse(query.as_deref(), set.params())?;
    tile_sets::parse(&state, set, &params)?;
    let suffix = query
        .filter(|q| !q.is_empty())
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    Ok(Json(tile_sets::tilejson(
        set.id(),
        &[set],
        format!("{origin}/tiles/{name}/{{z}}/{{x}}/{{y}}.mvt{suffix}"),
    )))
}

/// The cached tile for `key`, or `make` run on the blocking pool and cached (empty = no
/// features), as a response.
async fn cached_tile(
    state: &AppState,
    key: TileKey,
    make: impl FnOnce() -> Result<Option<Vec<u8>>, ApiError> + Send + 'static,
) -> Result<Response, ApiError> {
    if let Some(cached) = state.tile_cache().get(&key) {
        return Ok(tile_response(&cached));
    }
    let tile = std::sync::Arc::new(
        tokio::task::spawn_blocking(make)
            .await??
            .unwrap_or_default(),
    );
    state.tile_cache().insert(key, tile.clone());
    Ok(tile_response(&tile))
}

/// An encoded tile, or 204 for a tile with no features.
fn tile_response(tile: &[u8]) -> Response {
    if tile.is_empty() {
        StatusCode::NO_CONTENT.into_response()
    } else {
        ([(header::CONTENT_TYPE, MVT)], tile.to_vec()).into_response()
    }
}

/// Parses `{z}/{x}/{y}.mvt` path segments into a tile, each bad part a 400 naming it.
fn tile_id(z: &str, x: &str, y_mvt: &str) -> Result<TileId, ApiError> {
    let y = y_mvt
        .strip_suffix(".mvt")
        .ok_or_else(|| ApiError::bad("y", format!("tile must end in .mvt, got {y_mvt:?}")))?;
    let (z, x, y) = (
        coordinate("z", z)?,
        coordinate("x", x)?,
        coordinate("y", y)?,
    );
    TileId::new(z, x, y).map_err(|e| {
        let param = if z > u32::from(MAX_ZOOM) {
            "z"
        } else if x >> z != 0 {
            "x"
        } else {
            "y"
        };
        ApiError::bad(param, e.to_string())
    })
}

/// A path segment as a whole number, else a 400 naming it.
fn coordinate(name: &str, value: &str) -> Result<u32, ApiError> {
    value
        .parse::<u32>()
        .ok()
        .filter(|_| value.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            ApiError::bad(
                name,
                format!("{name} must be a whole number, got {value:?}"),
            )
        })
}
