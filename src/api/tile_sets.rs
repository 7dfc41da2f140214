//! The tile sets served at `/tiles/{set}/{z}/{x}/{y}.mvt`: what each holds, which query
//! parameters it takes, its TileJSON, and how one tile is made from the in-memory state.
//! Shared by the HTTP routes and `shikong tiles export`, so an exported archive holds exactly
//! the tiles the server would send.

use super::error::ApiError;
use super::params::Params;
use super::routes::coverage::shared_request;
use super::routes::stats::{month_in_data, month_or_date};
use super::AppState;
use crate::analytics::county_coverage::{self, CoverageRequest};
use crate::analytics::{self, Measure, StatsRequest};
use crate::domain::{DivisionCode, Kind, Month, Scope, Unit};
use crate::tiles::{self, CoverageCell, DivisionSource, HexIndex, TileId, MAX_ZOOM};
use chrono::NaiveDate;
use rayon::prelude::*;
use serde_json::{json, Value};

/// China's bounds (west, south, east, north), with the South China Sea islands.
pub const CHINA_BOUNDS: [f64; 4] = [73.0, 3.0, 136.0, 54.0];
/// Centre shown first: lon, lat, zoom.
pub const CHINA_CENTER: (f64, f64, u8) = (104.0, 35.0, 3);

/// A tile set computed by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileSet {
    /// Divisions of the zoom's level with a statistic.
    Division,
    /// H3 hexagons with counts per kind.
    Hex,
    /// Facility points, clustered at low zoom.
    Facility,
    /// County coverage cells and service deserts.
    Coverage,
}

impl TileSet {
    /// Every set, in display order.
    pub const ALL: [TileSet; 4] = [
        TileSet::Division,
        TileSet::Hex,
        TileSet::Facility,
        TileSet::Coverage,
    ];

    /// Name in URLs and the layer name inside its tiles.
    pub const fn id(self) -> &'static str {
        match self {
            TileSet::Division => tiles::DIVISION_LAYER,
            TileSet::Hex => tiles::HEX_LAYER,
            TileSet::Facility => tiles::FACILITY_LAYER,
            TileSet::Coverage => tiles::COVERAGE_LAYER,
        }
    }

    /// The set named `id`.
    pub fn from_id(id: &str) -> Option<TileSet> {
        TileSet::ALL.into_iter().find(|s| s.id() == id)
    }

    /// Query parameters the set's tiles take.
    pub const fn params(self) -> &'static [&'static str] {
        match self {
            TileSet::Division => &["kind", "month", "date", "measure"],
            TileSet::Hex => &["kind", "month"],
            TileSet::Facility => &["kind", "date"],
            TileSet::Coverage => &["kinds", "facility_kind", "radius_km", "date", "min_demand"],
        }
    }

    /// Lowest zoom with features.
    pub const fn minzoom(self) -> u8 {
        match self {
            TileSet::Coverage => tiles::coverage::MIN_ZOOM,
            _ => 0,
        }
    }

    fn description(self) -> &'static str {
        match self {
            TileSet::Division => "行政区划 divisions with a statistic as `value` (kind, month or date, measure=count|rate|change): provinces to z3, prefectures z4–6, counties from z7",
            TileSet::Hex => "H3 hexagons with the month's count per kind (`count` = all asked kinds; one field per kind id); resolution 2 at z0 to 9 from z12; aggregates only",
            TileSet::Facility => "Facilities (institutions are public): clustered below z10 with `count` and `capacity`, one point each from z10 with id, name, kind, capacity, occupied",
            TileSet::Coverage => "County coverage from z8: H3 resolution-8 cells with demand, share within the radius of a facility, E2SFCA accessibility and the service-desert flag",
        }
    }

    fn fields(self) -> Value {
        match self {
            TileSet::Division => {
                json!({"code": "String", "name": "String", "level": "String", "value": "Number"})
            }
            TileSet::Hex => {
                let mut fields = json!({"h3": "String", "count": "Number"});
                for kind in Kind::ALL.into_iter().filter(|k| !k.is_facility()) {
                    fields[kind.id()] = json!("Number");
                }
                fields
            }
            TileSet::Facility => {
                json!({"name": "String", "kind": "String", "capacity": "Number", "occupied": "Number", "count": "Number"})
            }
            TileSet::Coverage => {
                json!({"h3": "String", "county": "String", "demand": "Number", "covered_share": "Number", "accessibility": "Number", "desert": "Boolean"})
            }
        }
    }

    /// The `vector_layers` entry of TileJSON.
    pub fn vector_layer(self) -> Value {
        json!({
            "id": self.id(),
            "description": self.description(),
            "minzoom": self.minzoom(),
            "maxzoom": MAX_ZOOM,
            "fields": self.fields(),
        })
    }
}

/// Who a tile is cut for: the scope whose numbers it may hold, and the suppression threshold
/// for viewers. Divisions, hexagons, facilities and coverage cells outside the scope carry
/// no figure (boundaries stay, as public geography).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Audience {
    /// Scope.
    pub scope: Scope,
    /// Counts 1..k−1 hidden (viewers).
    pub suppress_below: Option<u64>,
}

impl Audience {
    /// Everything, exact: exports by the operator.
    pub const FULL: Audience = Audience {
        scope: Scope::NATIONAL,
        suppress_below: None,
    };

    /// For cache keys.
    pub fn key(&self) -> String {
        format!("{}|{:?}", self.scope, self.suppress_below)
    }
}

/// A validated tile request: the set and what its tiles depend on.
#[derive(Debug, Clone)]
pub enum TileQuery {
    /// Statistic per division.
    Division {
        kinds: Vec<Kind>,
        month: Month,
        as_of: Option<NaiveDate>,
        measure: Measure,
    },
    /// Counts per hexagon.
    Hex { kinds: Vec<Kind>, month: Month },
    /// Facilities open on `date`.
    Facility { kind: Option<Kind>, date: NaiveDate },
    /// Coverage of the counties meeting the tile (`county` of the request is a placeholder).
    Coverage {
        request: CoverageRequest,
        min_demand: f64,
    },
}

/// Checks `params` for `set`.
pub fn parse(state: &AppState, set: TileSet, params: &Params) -> Result<TileQuery, ApiError> {
    Ok(match set {
        TileSet::Division => {
            let (month, as_of) = month_or_date(state, params)?;
            let id = params.get("measure").unwrap_or("count");
            let measure = Measure::from_id(id).ok_or_else(|| {
                ApiError::bad(
                    "measure",
                    format!("unknown measure {id:?}; use count, rate or change"),
                )
            })?;
            TileQuery::Division {
                kinds: params.kinds("kind")?,
                month,
                as_of,
                measure,
            }
        }
        TileSet::Hex => {
            let month = month_in_data(state, params, "month")?.unwrap_or(state.data().last_month);
            let mut kinds = params.kinds("kind")?;
            if let Some(kind) = kinds.iter().find(|k| k.is_facility()) {
                return Err(ApiError::bad(
                    "kind",
                    format!("{kind} is a facility kind; facilities are in the facility tile set"),
                ));
            }
            if kinds.is_empty() {
                kinds = Kind::ALL
                    .into_iter()
                    .filter(|k| k.unit() == Unit::Person)
                    .collect();
            }
            kinds.sort_unstable();
            TileQuery::Hex { kinds, month }
        }
        TileSet::Facility => {
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
            TileQuery::Facility { kind, date }
        }
        TileSet::Coverage => {
            // Any county stands in until the tile picks its counties.
            let placeholder: DivisionCode = "110101".parse().expect("a valid code");
            let mut request = shared_request(state, placeholder, params)?;
            request.kinds.sort_unstable();
            TileQuery::Coverage {
                request,
                min_demand: params.number("min_demand", 0.0..=1e6)?.unwrap_or(5.0),
            }
        }
    })
}

impl TileQuery {
    /// The set.
    pub fn set(&self) -> TileSet {
        match self {
            TileQuery::Division { .. } => TileSet::Division,
            TileQuery::Hex { .. } => TileSet::Hex,
            TileQuery::Facility { .. } => TileSet::Facility,
            TileQuery::Coverage { .. } => TileSet::Coverage,
        }
    }

    /// A normalised form of the query, for cache keys: equal for requests that must give
    /// equal tiles.
    pub fn cache_params(&self) -> String {
        let ids = |kinds: &[Kind]| {
            let mut ids: Vec<&str> = kinds.iter().map(|k| k.id()).collect();
            ids.sort_unstable();
            ids.join(",")
        };
        match self {
            TileQuery::Division {
                kinds,
                month,
                as_of,
                measure,
            } => format!("{}|{month}|{as_of:?}|{measure:?}", ids(kinds)),
            TileQuery::Hex { kinds, month } => format!("{}|{month}", ids(kinds)),
            TileQuery::Facility { kind, date } => {
                format!("{}|{date}", kind.map(|k| k.id()).unwrap_or(""))
            }
            TileQuery::Coverage {
                request,
                min_demand,
            } => format!(
                "{}|{}|{}|{}|{min_demand}",
                ids(&request.kinds),
                request.facility_kind.id(),
                request.radius_km,
                request.date
            ),
        }
    }
}

/// Makes one tile (`None` = no feature). Blocking: run it off the async runtime.
pub fn render(
    state: &AppState,
    query: &TileQuery,
    audience: Audience,
    tile: TileId,
) -> Result<Option<Vec<u8>>, ApiError> {
    let registry = state.registry();
    let in_scope = |code: Option<DivisionCode>| match (audience.scope.code(), code) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(_), Some(code)) => audience.scope.covers(code, registry),
    };
    match query {
        TileQuery::Division {
            kinds,
            month,
            as_of,
            measure,
        } => {
            let level = tiles::level_for_zoom(tile.z);
            let key = format!(
                "{}|{level:?}|{}|{}",
                query.cache_params(),
                state.data().data_version,
                audience.scope
            );
            let values = state.division_values(key, || -> Result<_, ApiError> {
                let request = StatsRequest {
                    level,
                    parent: None,
                    kinds: kinds.clone(),
                    month: *month,
                    as_of: *as_of,
                };
                let result = analytics::division_stats(
                    &state.snapshot(),
                    state.registry(),
                    state.all_facts(),
                    &request,
                )?;
                Ok(result
                    .rows
                    .iter()
                    .filter(|r| in_scope(Some(r.code)))
                    .filter_map(|r| Some((r.code, measure.value(r)?)))
                    .collect())
            })?;
            let source = DivisionSource {
                registry: state.registry(),
                levels: state.level_boxes(),
                geometries: state.geometries_for_zoom(tile.z),
            };
            let hidden: std::collections::HashSet<DivisionCode> = match audience.suppress_below {
                None => std::collections::HashSet::new(),
                Some(k) => {
                    let mask = state.disclosure(kinds, *month, *as_of, k);
                    values
                        .keys()
                        .copied()
                        .filter(|&code| match measure {
                            Measure::Change => mask.flows_hidden(Some(code)),
                            Measure::Count | Measure::Rate => mask.count_hidden(Some(code)),
                        })
                        .collect()
                }
            };
            Ok(tiles::division_tile_marked(source, &values, &hidden, tile))
        }
        TileQuery::Hex { kinds, month } => {
            let resolution = tiles::resolution_for_zoom(tile.z);
            let key = format!(
                "{}|{}|{resolution}|{}",
                query.cache_params(),
                state.data().data_version,
                audience.key()
            );
            let index = state.hex_index(key, || {
                let counts = state
                    .snapshot()
                    .cell_counts_where(kinds, *month, resolution, in_scope);
                let index = HexIndex::new(kinds.clone(), &counts);
                match audience.suppress_below {
                    Some(k) => index.suppressed(u32::try_from(k).unwrap_or(u32::MAX)),
                    None => index,
                }
            });
            Ok(tiles::hex_tile(&index, tile))
        }
        TileQuery::Facility { kind, date } => {
            let facilities = state.facilities();
            let open = facilities.all().iter().filter(|f| {
                kind.is_none_or(|k| f.kind == k)
                    && analytics::facilities::open_on(f, *date)
                    && in_scope(f.county_code.and_then(|c| DivisionCode::new(c).ok()))
            });
            Ok(tiles::facility_tile(open, tile))
        }
        TileQuery::Coverage {
            request,
            min_demand,
        } => {
            if tile.z < tiles::coverage::MIN_ZOOM {
                return Ok(None);
            }
            let bounds = tile.bounds_lonlat(tiles::geometry::BUFFER);
            let cache_params = query.cache_params();
            let counties: Vec<DivisionCode> = state
                .registry()
                .leaves()
                .map(|d| d.code)
                .filter(|&code| in_scope(Some(code)))
                .filter(|code| {
                    state
                        .facts(*code)
                        .is_some_and(|f| tiles::geometry::bbox_meets(f.bbox, &bounds))
                })
                .collect();
            let per_county: Vec<std::sync::Arc<Vec<CoverageCell>>> = counties
                .par_iter()
                .map(|&county| county_cells(state, request, *min_demand, &cache_params, county))
                .collect::<Result<_, _>>()?;
            let cells: Vec<CoverageCell> =
                per_county.iter().flat_map(|c| c.iter().cloned()).collect();
            Ok(tiles::coverage_tile(&cells, tile))
        }
    }
}

/// One county's coverage cells, from the coverage cache (keyed by the county and the
/// query's `cache_params`) or computed.
fn county_cells(
    state: &AppState,
    request: &CoverageRequest,
    min_demand: f64,
    cache_params: &str,
    county: DivisionCode,
) -> Result<std::sync::Arc<Vec<CoverageCell>>, ApiError> {
    let request = CoverageRequest {
        county,
        ..request.clone()
    };
    let key = format!("{county}|{cache_params}|{}", state.data().data_version);
    state.coverage_cells(key, || -> Result<Vec<CoverageCell>, ApiError> {
        let bbox = state
            .facts(county)
            .map(|f| f.bbox)
            .ok_or_else(|| ApiError::Internal(format!("no facts for {county}")))?;
        let inputs = county_coverage::inputs(state.store(), &state.facilities(), bbox, &request)?;
        if inputs.demand.is_empty() {
            return Ok(Vec::new());
        }
        let (_, cells) = county_coverage::summary(&inputs, request.radius_km)?;
        let deserts: std::collections::HashSet<u64> =
            county_coverage::deserts(&inputs, request.radius_km, min_demand)?
                .into_iter()
                .map(|d| d.cell)
                .collect();
        Ok(cells
            .into_iter()
            .filter_map(|c| {
                let cell: h3o::CellIndex = c.cell.parse().ok()?;
                Some(CoverageCell {
                    cell,
                    county,
                    demand: c.demand as f64,
                    covered_share: c.covered_share,
                    accessibility: c.accessibility_mean,
                    desert: deserts.contains(&u64::from(cell)),
                })
            })
            .collect())
    })
}

/// TileJSON 3.0.0 of one or more sets whose tiles are at `tile_url`.
pub fn tilejson(name: &str, sets: &[TileSet], tile_url: String) -> Value {
    let [w, s, e, n] = CHINA_BOUNDS;
    json!({
        "tilejson": "3.0.0",
        "name": format!("shikong {name}"),
        "description": sets.iter().map(|s| s.description()).collect::<Vec<_>>().join(" / "),
        "version": env!("CARGO_PKG_VERSION"),
        "attribution": "行政区划边界: datasets/PROVENANCE.md",
        "scheme": "xyz",
        "tiles": [tile_url],
        "minzoom": sets.iter().map(|s| s.minzoom()).min().unwrap_or(0),
        "maxzoom": MAX_ZOOM,
        "bounds": [w, s, e, n],
        "center": [CHINA_CENTER.0, CHINA_CENTER.1, CHINA_CENTER.2],
        "vector_layers": sets.iter().map(|s| s.vector_layer()).collect::<Vec<_>>(),
    })
}
