//! Vector tiles over HTTP: `/tiles/division/{z}/{x}/{y}.mvt` and its TileJSON, outside
//! `/api/v1` so tile clients get plain paths. Tiles come from the shared LRU tile cache when
//! they can; responses carry a strong ETag and may be reused for five minutes.

use super::stats::month_in_data;
use crate::analytics::{self, Measure, StatsRequest};
use crate::api::error::ApiError;
use crate::api::params::Params;
use crate::api::AppState;
use crate::domain::{DivisionCode, Month};
use crate::tiles::{self, DivisionSource, TileId, TileKey, MAX_ZOOM};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Query parameters of the division layer.
const ALLOWED: &[&str] = &["kind", "month", "measure"];

/// Media type of an MVT tile.
const MVT: &str = "application/vnd.mapbox-vector-tile";

/// The statistic a request asks for, validated.
struct Statistic {
    kinds: Vec<crate::domain::Kind>,
    month: Month,
    measure: Measure,
}

fn statistic(state: &AppState, params: &Params) -> Result<Statistic, ApiError> {
    let month = month_in_data(state, params, "month")?.unwrap_or(state.data().last_month);
    let id = params.get("measure").unwrap_or("count");
    let measure = Measure::from_id(id).ok_or_else(|| {
        ApiError::bad(
            "measure",
            format!("unknown measure {id:?}; use count, rate or change"),
        )
    })?;
    Ok(Statistic {
        kinds: params.kinds("kind")?,
        month,
        measure,
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

/// `GET /tiles/division/{z}/{x}/{y}.mvt`: the division layer with the statistic as `value`.
pub(super) async fn division(
    State(state): State<AppState>,
    Path((z, x, y_mvt)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref(), ALLOWED)?;
    let tile = tile_id(&z, &x, &y_mvt)?;
    let statistic = statistic(&state, &params)?;
    let mut kinds: Vec<&str> = statistic.kinds.iter().map(|k| k.id()).collect();
    kinds.sort_unstable();
    let key = TileKey {
        set: tiles::DIVISION_LAYER,
        z: tile.z,
        x: tile.x,
        y: tile.y,
        params: format!(
            "{}|{}|{:?}",
            kinds.join(","),
            statistic.month,
            statistic.measure
        ),
        data_version: state.data().data_version.clone(),
    };
    let worker = state.clone();
    cached_tile(&state, key, move || {
        let request = StatsRequest {
            level: tiles::level_for_zoom(tile.z),
            parent: None,
            kinds: statistic.kinds,
            month: statistic.month,
            as_of: None,
        };
        let result = analytics::division_stats(
            worker.snapshot(),
            worker.registry(),
            worker.all_facts(),
            &request,
        )?;
        let values: HashMap<DivisionCode, f64> = result
            .rows
            .iter()
            .filter_map(|r| Some((r.code, statistic.measure.value(r)?)))
            .collect();
        let source = DivisionSource {
            registry: worker.registry(),
            geometries: &worker.inner.geometries,
            facts: worker.all_facts(),
        };
        Ok(tiles::division_tile(source, &values, tile))
    })
    .await
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

/// `GET /tiles/division.json`: TileJSON 3.0.0 of the division layer; the query (kind, month,
/// measure) is checked and carried into the tile URL.
pub(super) async fn division_tilejson(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(query.as_deref(), ALLOWED)?;
    statistic(&state, &params)?;
    // Absolute when the Host is known (clients resolve TileJSON URLs inconsistently).
    let origin = headers
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
        .unwrap_or_default();
    let suffix = query
        .filter(|q| !q.is_empty())
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    Ok(Json(json!({
        "tilejson": "3.0.0",
        "name": "shikong division",
        "description": "行政区划 divisions with a statistic as `value`: provinces to z3, prefectures to z6, counties beyond",
        "version": env!("CARGO_PKG_VERSION"),
        "scheme": "xyz",
        "tiles": [format!("{origin}/tiles/division/{{z}}/{{x}}/{{y}}.mvt{suffix}")],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": [73, 3, 136, 54],
        "center": [104, 35, 3],
        "vector_layers": [{
            "id": tiles::DIVISION_LAYER,
            "minzoom": 0,
            "maxzoom": MAX_ZOOM,
            "fields": {"code": "String", "name": "String", "level": "String", "value": "Number"},
        }],
    })))
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

/// `GET /tiles/facility/{z}/{x}/{y}.mvt?kind=&date=`: facility points, clustered below z10.
pub(super) async fn facility(
    State(state): State<AppState>,
    Path((z, x, y_mvt)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref(), &["kind", "date"])?;
    let tile = tile_id(&z, &x, &y_mvt)?;
    let kind = params.kind("kind")?;
    if let Some(kind) = kind.filter(|k| !k.is_facility()) {
        return Err(ApiError::bad(
            "kind",
            format!("{kind} is not a facility kind"),
        ));
    }
    let date = params
        .date("date")?
        .unwrap_or(state.data().last_month.last_day());
    let key = TileKey {
        set: tiles::FACILITY_LAYER,
        z: tile.z,
        x: tile.x,
        y: tile.y,
        params: format!("{}|{date}", kind.map(|k| k.id()).unwrap_or("")),
        data_version: state.data().data_version.clone(),
    };
    let worker = state.clone();
    cached_tile(&state, key, move || {
        let open = worker.facilities().all().iter().filter(|f| {
            kind.is_none_or(|k| f.kind == k) && crate::analytics::facilities::open_on(f, date)
        });
        Ok(tiles::facility_tile(open, tile))
    })
    .await
}
