//! The OpenAPI 3.1 document, generated from the same route table the router and the
//! parameter validation use ([`ROUTES`]), so the document cannot list a parameter the server
//! rejects or miss one it accepts (a test walks the table against the live server).

use crate::domain::{Kind, Level, Role};
use serde_json::{json, Map, Value};

/// What a query or path parameter holds.
#[derive(Debug, Clone, Copy)]
pub enum ParamType {
    /// A 6-digit division code.
    Code,
    /// `province | prefecture | county`.
    Level,
    /// A kind id.
    Kind,
    /// Comma-separated kind ids.
    Kinds,
    /// `YYYY-MM`.
    Month,
    /// `YYYY-MM-DD`.
    Date,
    /// A number.
    Number,
    /// A whole number.
    Integer,
    /// `lon,lat`.
    Point,
    /// `min_lon,min_lat,max_lon,max_lat`.
    Bbox,
    /// Free text.
    Text,
    /// One of the listed words.
    Enum(&'static [&'static str]),
}

/// One documented parameter.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// Name.
    pub name: &'static str,
    /// Value type.
    pub kind: ParamType,
    /// What it does (English; Chinese terms where they are the names users know).
    pub doc: &'static str,
}

const fn p(name: &'static str, kind: ParamType, doc: &'static str) -> Param {
    Param { name, kind, doc }
}

/// One GET route under `/api/v1`.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// Path, with `{code}` for a division code in the path.
    pub path: &'static str,
    /// Tag grouping routes in the document.
    pub tag: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// Query parameters (all optional).
    pub query: &'static [Param],
    /// Content types it can answer with besides JSON.
    pub formats: &'static [&'static str],
}

const LEVEL: Param = p(
    "level",
    ParamType::Level,
    "Partition level; default province.",
);
const PARENT: Param = p(
    "parent",
    ParamType::Code,
    "Only divisions under this one (drill-down 全国→省→市→县).",
);
const KIND: Param = p(
    "kind",
    ParamType::Kind,
    "Service-object kind; default all kinds.",
);
const KINDS: Param = p(
    "kind",
    ParamType::Kinds,
    "Service-object kinds counted together, comma-separated; default all kinds.",
);
const AS_OF: Param = p(
    "date",
    ParamType::Date,
    "As-of date instead of `month` (month to date): records in force on it.",
);
const MONTH: Param = p(
    "month",
    ParamType::Month,
    "Month; default the last month with data.",
);
const DATE: Param = p(
    "date",
    ParamType::Date,
    "As-of date: records in force on it.",
);
const LIMIT: Param = p(
    "limit",
    ParamType::Integer,
    "Page size, 1–1000; default 100.",
);
const AFTER: Param = p(
    "after",
    ParamType::Integer,
    "Keyset cursor: the last id of the previous page (next_after).",
);
const BBOX: Param = p("bbox", ParamType::Bbox, "Bounding box in WGS84 degrees.");
const COVERAGE: [Param; 4] = [
    p(
        "kinds",
        ParamType::Kinds,
        "Demand kinds, comma-separated; default tekun (特困).",
    ),
    p(
        "facility_kind",
        ParamType::Kind,
        "Supply facility kind; default elderly_care (养老机构).",
    ),
    p(
        "radius_km",
        ParamType::Number,
        "Catchment radius in km, (0, 100]; default 10.",
    ),
    DATE,
];

/// Every GET route under `/api/v1` (besides `openapi.json` itself).
pub const ROUTES: &[Route] = &[
    Route { path: "/meta", tag: "meta", summary: "Kinds, levels and the months with data", query: &[], formats: &[] },
    Route {
        path: "/divisions",
        tag: "divisions",
        summary: "Divisions of a level (under a parent), or a parent's children",
        query: &[LEVEL, PARENT],
        formats: &[],
    },
    Route {
        path: "/divisions/{code}",
        tag: "divisions",
        summary: "One division: lineage, children, centroid, bbox, area, estimated population",
        query: &[],
        formats: &[],
    },
    Route {
        path: "/divisions/{code}/boundary",
        tag: "divisions",
        summary: "One division's boundary as a GeoJSON Feature",
        query: &[
            p("tolerance", ParamType::Number, "Simplification tolerance in degrees, 0–1; default 0 (as stored)."),
            p("zoom", ParamType::Number, "Web-map zoom 0–22: simplify to about one 256-px tile pixel at that zoom."),
        ],
        formats: &["application/geo+json"],
    },
    Route {
        path: "/boundaries",
        tag: "divisions",
        summary: "Division boundaries as a GeoJSON FeatureCollection, simplified",
        query: &[LEVEL, PARENT, p("tolerance", ParamType::Number, "Simplification tolerance in degrees, 0–1.")],
        formats: &["application/geo+json"],
    },
    Route {
        path: "/stats",
        tag: "statistics",
        summary: "Per division for a month: count, previous, change, entered (新增), exited (退出), rate per 10k",
        query: &[
            LEVEL,
            PARENT,
            KINDS,
            MONTH,
            AS_OF,
            p("format", ParamType::Enum(&["json", "csv", "xlsx"]), "Response format."),
            p(
                "boundaries",
                ParamType::Enum(&["current", "month"]),
                "Divisions of the rows: current (default, today's, comparable across months) or month (those in force in the month: a county renamed since under its code and name of then, with current_code; one that absorbed others since with its parts).",
            ),
        ],
        formats: &["text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
    },
    Route {
        path: "/stats/top",
        tag: "statistics",
        summary: "Top or bottom divisions by a measure",
        query: &[
            LEVEL,
            PARENT,
            KINDS,
            MONTH,
            AS_OF,
            p("measure", ParamType::Enum(&["count", "rate", "change"]), "Ranking measure; default count."),
            p("order", ParamType::Enum(&["desc", "asc"]), "desc = top, asc = bottom."),
            p("n", ParamType::Integer, "How many, 1–500; default 10."),
        ],
        formats: &[],
    },
    Route {
        path: "/stats/series",
        tag: "statistics",
        summary: "Monthly series of one division (or the country)",
        query: &[
            p("code", ParamType::Code, "Division; default the whole country."),
            KINDS,
            p("from", ParamType::Month, "First month; default 35 months before `to`."),
            p("to", ParamType::Month, "Last month; default the last month with data."),
        ],
        formats: &[],
    },
    Route {
        path: "/reports/county-table",
        tag: "statistics",
        summary: "只报一次 table: one row per county-level unit, one column per kind",
        query: &[PARENT, MONTH, p("format", ParamType::Enum(&["json", "csv", "xlsx"]), "Response format.")],
        formats: &["text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
    },
    Route {
        path: "/objects",
        tag: "records",
        summary: "Service objects (persons, organizations, events), keyset-paginated; ID numbers only masked",
        query: &[
            p("code", ParamType::Code, "Within this division (any level)."),
            KIND,
            DATE,
            p(
                "status",
                ParamType::Enum(&["active", "ended", "all"]),
                "active: in force on `date` (default the last day with data); ended: ended by it; all: any time. Without status, `date` alone means active.",
            ),
            BBOX,
            p("near", ParamType::Point, "Centre lon,lat for a radius search (needs radius_km)."),
            p("radius_km", ParamType::Number, "Radius in km, up to 500 (needs near)."),
            LIMIT,
            AFTER,
        ],
        formats: &[],
    },
    Route {
        path: "/facilities",
        tag: "records",
        summary: "Facilities with capacity and occupancy",
        query: &[p("code", ParamType::Code, "Within this division (any level)."), KIND, DATE, BBOX, LIMIT, AFTER],
        formats: &[],
    },
    Route {
        path: "/facilities/nearest",
        tag: "records",
        summary: "The k nearest facilities to a point (great-circle)",
        query: &[
            p("lon", ParamType::Number, "Longitude (required)."),
            p("lat", ParamType::Number, "Latitude (required)."),
            p("k", ParamType::Integer, "How many, 1–100; default 5."),
            p("radius_km", ParamType::Number, "Only within this distance."),
            KIND,
            DATE,
        ],
        formats: &[],
    },
    Route {
        path: "/batches",
        tag: "ingest",
        summary: "The batch ledger (批次台账), newest first; POST uploads a file as a new batch",
        query: &[p("province", ParamType::Code, "Only batches declared by this province."), LIMIT],
        formats: &[],
    },
    Route {
        path: "/batches/{batch}",
        tag: "ingest",
        summary: "One batch: ledger row and problems per reason",
        query: &[],
        formats: &[],
    },
    Route {
        path: "/batches/{batch}/problems",
        tag: "ingest",
        summary: "问题数据反馈: every rejected row and finding with line, field, masked value, reason",
        query: &[
            p("severity", ParamType::Enum(&["error", "finding"]), "Only errors or only findings."),
            p("format", ParamType::Enum(&["json", "csv", "xlsx"]), "Response format; CSV and XLSX hold every row."),
            p("limit", ParamType::Integer, "JSON page size, 1–10000; default 1000."),
            p("offset", ParamType::Integer, "JSON page offset."),
        ],
        formats: &["text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
    },
    Route {
        path: "/stats/imported",
        tag: "stats",
        summary: "Aggregates a distributed engine computed over an export (shikong import-stats), per division, beside shikong's own",
        query: &[
            p("source", ParamType::Text, "Name given at import; default spark."),
            LEVEL,
            PARENT,
            KIND,
            MONTH,
        ],
        formats: &[],
    },
    Route {
        path: "/declarations",
        tag: "governance",
        summary: "部省对账: counts (and identity checksums) provinces declared; POST declares",
        query: &[p("month", ParamType::Month, "Only this month."), p("kind", ParamType::Kind, "Only this kind.")],
        formats: &[],
    },
    Route {
        path: "/reconciliation",
        tag: "governance",
        summary: "部省对账: received vs declared per province and kind — missing, extra, duplicates, cross-province duplicates, checksum",
        query: &[MONTH, KIND, p("format", ParamType::Enum(&["json", "csv"]), "Response format.")],
        formats: &["text/csv"],
    },
    Route {
        path: "/quality",
        tag: "governance",
        summary: "数据质量: score per division and kind — completeness, validity, uniqueness, declared-vs-geometric agreement, timeliness",
        query: &[LEVEL, PARENT, KIND, MONTH],
        formats: &[],
    },
    Route {
        path: "/quality/trend",
        tag: "governance",
        summary: "数据质量 trend: a division's (or the country's) score per month",
        query: &[
            p("code", ParamType::Code, "Division; default the whole country."),
            KIND,
            p("month", ParamType::Month, "Last month of the trend; default the last month with data."),
            p("months", ParamType::Integer, "Months, 1–36; default 12."),
        ],
        formats: &[],
    },
    Route {
        path: "/compare",
        tag: "governance",
        summary: "数据比对 on hashed ID numbers: people in two kinds, held twice, or on a reference list past its date; counts per division and masked rows",
        query: &[
            p("check", ParamType::Enum(&["overlap", "duplicate", "reference"]), "What to compare; default overlap."),
            p("kind", ParamType::Kind, "Kind listed (a kind of people); default dibao (reference: every person kind)."),
            p("other", ParamType::Kind, "overlap: the kind compared with; default tekun."),
            p("list", ParamType::Integer, "reference: the reference-list id (required)."),
            MONTH,
            LEVEL,
            PARENT,
            LIMIT,
            p("offset", ParamType::Integer, "Row page offset."),
            p("format", ParamType::Enum(&["json", "csv"]), "Response format; CSV holds every row."),
        ],
        formats: &["text/csv"],
    },
    Route {
        path: "/reference-lists",
        tag: "governance",
        summary: "Reference lists for 数据比对 (e.g. 死亡人员名单); POST uploads one",
        query: &[],
        formats: &[],
    },
    Route {
        path: "/users",
        tag: "access",
        summary: "Users within the caller's scope (admin); POST creates one and returns its token once, DELETE /users/{name} revokes",
        query: &[],
        formats: &[],
    },
    Route {
        path: "/audit",
        tag: "access",
        summary: "The audit log (admin): reads of person-level data, writes, sign-ins, refusals, failed authentication; newest first",
        query: &[
            p("user", ParamType::Text, "Only this user."),
            p("event", ParamType::Enum(&["read", "write", "login", "denied", "auth_failed"]), "Only this event."),
            p("from", ParamType::Date, "From this day (UTC, inclusive)."),
            p("to", ParamType::Date, "Up to this day (UTC, inclusive)."),
            p("before", ParamType::Integer, "Keyset cursor: entries older than this id (next_before)."),
            LIMIT,
        ],
        formats: &[],
    },
    Route {
        path: "/coverage",
        tag: "coverage",
        summary: "Coverage summary of every county-level unit under a province or prefecture",
        query: &[
            p("parent", ParamType::Code, "Province or prefecture (required)."),
            COVERAGE[0],
            COVERAGE[1],
            COVERAGE[2],
            COVERAGE[3],
        ],
        formats: &[],
    },
    Route {
        path: "/coverage/{code}",
        tag: "coverage",
        summary: "County coverage: radius coverage, capacity-limited coverage, E2SFCA accessibility",
        query: &COVERAGE,
        formats: &[],
    },
    Route {
        path: "/coverage/{code}/deserts",
        tag: "coverage",
        summary: "Service-desert H3 cells (resolution 8) as GeoJSON, worst first",
        query: &[
            COVERAGE[0],
            COVERAGE[1],
            COVERAGE[2],
            COVERAGE[3],
            p("min_demand", ParamType::Number, "Least demand for a cell to count; default 5."),
        ],
        formats: &["application/geo+json"],
    },
    Route {
        path: "/coverage/{code}/suggest",
        tag: "coverage",
        summary: "k new sites by greedy maximal covering, with the coverage each adds",
        query: &[COVERAGE[0], COVERAGE[1], COVERAGE[2], COVERAGE[3], p("k", ParamType::Integer, "Sites, 1–50; default 5."),
            p(
                "candidates",
                ParamType::Point,
                "Proposed sites `lon,lat;lon,lat;…` (up to 500) instead of the centres of the cells where the demand lives.",
            )],
        formats: &[],
    },
];

/// Who may call a route, and whether its division parameters are limited to the caller's
/// scope. Enforced in one place, [`crate::api::auth`], before any handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// The lowest role allowed.
    pub role: Role,
    /// Whether it returns person-level rows (each read is written to the audit log).
    pub person_level: bool,
    /// Whether its division parameters (`code`, `parent`, `province`, `{code}`) must lie in
    /// the caller's scope (absent ones default to the scope). Boundaries and the division
    /// tree are public geography and are not scoped.
    pub scoped: bool,
}

/// Public geography and metadata.
pub const GEOGRAPHY: Policy = Policy {
    role: Role::Viewer,
    person_level: false,
    scoped: false,
};
/// Aggregates: viewers see them with small counts suppressed.
pub const AGGREGATE: Policy = Policy {
    role: Role::Viewer,
    person_level: false,
    scoped: true,
};
/// Exact figures for staff (no suppression): coverage, quality, reports.
pub const CASEWORK: Policy = Policy {
    role: Role::Caseworker,
    person_level: false,
    scoped: true,
};
/// Masked person-level rows.
pub const PERSON_LEVEL: Policy = Policy {
    role: Role::Caseworker,
    person_level: true,
    scoped: true,
};
/// Ingest, governance, users, audit.
pub const ADMIN: Policy = Policy {
    role: Role::Admin,
    person_level: false,
    scoped: true,
};
/// Person-level rows of governance (comparison matches, problem rows).
pub const ADMIN_PERSON_LEVEL: Policy = Policy {
    role: Role::Admin,
    person_level: true,
    scoped: true,
};

/// The policy of a route (a path of [`ROUTES`] or `/users/{name}`); `None` = no such route,
/// refused.
pub fn policy(path: &str) -> Option<Policy> {
    Some(match path {
        "/meta"
        | "/openapi.json"
        | "/divisions"
        | "/divisions/{code}"
        | "/divisions/{code}/boundary"
        | "/boundaries" => GEOGRAPHY,
        "/stats" | "/stats/top" | "/stats/series" | "/facilities" | "/facilities/nearest" => {
            AGGREGATE
        }
        "/reports/county-table"
        | "/stats/imported"
        | "/quality"
        | "/quality/trend"
        | "/coverage"
        | "/coverage/{code}"
        | "/coverage/{code}/deserts"
        | "/coverage/{code}/suggest" => CASEWORK,
        "/objects" => PERSON_LEVEL,
        "/batches" | "/batches/{batch}" | "/declarations" | "/reconciliation"
        | "/reference-lists" | "/users" | "/users/{name}" | "/audit" => ADMIN,
        "/batches/{batch}/problems" | "/compare" => ADMIN_PERSON_LEVEL,
        _ => return None,
    })
}

/// The route template (`/coverage/{code}`) a concrete path under `/api/v1` matches.
pub fn template(path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.split('/').collect();
    ROUTES
        .iter()
        .map(|r| r.path)
        .chain(["/openapi.json", "/users/{name}"])
        .find(|t| {
            let pattern: Vec<&str> = t.split('/').collect();
            pattern.len() == segments.len()
                && pattern
                    .iter()
                    .zip(&segments)
                    .all(|(p, s)| *p == *s || (p.starts_with('{') && !s.is_empty()))
        })
}

/// The names a route accepts, for [`super::params::Params::parse`].
pub fn allowed(path: &str) -> Vec<&'static str> {
    ROUTES
        .iter()
        .find(|r| r.path == path)
        .map(|r| r.query.iter().map(|q| q.name).collect())
        .unwrap_or_default()
}

fn schema(kind: ParamType) -> Value {
    match kind {
        ParamType::Code => {
            json!({"type": "string", "pattern": "^[1-8][0-9]{5}$", "examples": ["330100"]})
        }
        ParamType::Level => {
            json!({"type": "string", "enum": Level::ALL.iter().map(|l| l.id()).collect::<Vec<_>>()})
        }
        ParamType::Kind => {
            json!({"type": "string", "enum": Kind::ALL.iter().map(|k| k.id()).collect::<Vec<_>>()})
        }
        ParamType::Kinds => json!({"type": "string", "examples": ["tekun,dibao"]}),
        ParamType::Month => {
            json!({"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$", "examples": ["2025-06"]})
        }
        ParamType::Date => json!({"type": "string", "format": "date"}),
        ParamType::Number => json!({"type": "number"}),
        ParamType::Integer => json!({"type": "integer", "minimum": 0}),
        ParamType::Point => json!({"type": "string", "examples": ["120.16,30.25"]}),
        ParamType::Bbox => json!({"type": "string", "examples": ["120.0,30.0,120.5,30.5"]}),
        ParamType::Enum(words) => json!({"type": "string", "enum": words}),
        ParamType::Text => json!({"type": "string"}),
    }
}

/// `POST /api/v1/batches`: the file is the body.
fn upload_operation(error: &Value) -> Value {
    let q = |name: &str, kind: ParamType, doc: &str, required: bool| json!({"name": name, "in": "query", "required": required, "description": doc, "schema": schema(kind)});
    json!({
        "tags": ["ingest"],
        "summary": "Upload a file of service objects as one batch: every row validated; the batch lands whole or not at all",
        "operationId": "batches_upload",
        "parameters": [
            q("kind", ParamType::Kind, "Kind of every row (required); columns per datasets/contracts.", true),
            q("province", ParamType::Code, "Declaring province: rows of other provinces are rejected.", false),
            q("month", ParamType::Month, "Month the file reports: rows not in force in it are rejected.", false),
            q("replace", ParamType::Enum(&["true", "false"]), "Replace the province×kind×month slice (needs province and month).", false),
            q("format", ParamType::Enum(&["csv", "geojson", "parquet", "xlsx", "xls"]), "Default: from Content-Type or the first bytes.", false),
            q("encoding", ParamType::Enum(&["auto", "utf-8", "gb18030", "utf-16"]), "CSV text encoding; default auto.", false),
            q("crs", ParamType::Enum(&["wgs84", "gcj02", "bd09"]), "Coordinate system of the points; default wgs84.", false),
            q("tolerance_m", ParamType::Number, "Metres a point may lie outside its declared county without a finding; default 1000.", false),
            q("file_name", ParamType::Text, "File name for the ledger.", false),
            q("check", ParamType::Enum(&["true", "false"]), "Check only (预检): validate every row and keep the problem report, store no record; the ledger row says checked.", false),
        ],
        "requestBody": {"required": true, "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "contentMediaType": "application/octet-stream"}}}},
            "application/geo+json": {"schema": {"type": "object"}},
            "application/vnd.apache.parquet": {"schema": {"type": "string", "contentMediaType": "application/vnd.apache.parquet"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "contentMediaType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}},
        }},
        "responses": {
            "201": {"description": "Committed: every row landed", "content": {"application/json": {"schema": {"type": "object"}}}},
            "200": {"description": "The same file was already committed: nothing loaded again; or (check=true) every row passed, nothing stored", "content": {"application/json": {"schema": {"type": "object"}}}},
            "422": {"description": "Rejected (or checked) with rows in error, nothing landed; the report says which and why", "content": {"application/json": {"schema": {"type": "object"}}}},
            "400": {"description": "A parameter is missing or malformed", "content": {"application/json": {"schema": error}}},
            "413": {"description": "The file is larger than the server accepts", "content": {"application/json": {"schema": error}}},
        },
    })
}

/// `POST /api/v1/declarations`: JSON declarations.
fn declare_operation(error: &Value) -> Value {
    let declaration = json!({
        "type": "object",
        "required": ["province", "kind", "month", "declared"],
        "additionalProperties": false,
        "properties": {
            "province": schema(ParamType::Code),
            "kind": schema(ParamType::Kind),
            "month": schema(ParamType::Month),
            "declared": {"type": "integer", "minimum": 0},
            "checksum": {"type": "string", "pattern": "^[0-9a-fA-F]{16}$", "description": "Order-independent identity checksum (datasets/contracts)."},
        },
    });
    json!({
        "tags": ["governance"],
        "summary": "Declare counts per province, kind and month (部省对账); a later declaration replaces an earlier one; all or none",
        "operationId": "declarations_post",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {
            "oneOf": [declaration.clone(), {"type": "array", "items": declaration, "maxItems": 10000}],
        }}}},
        "responses": {
            "201": {"description": "Stored", "content": {"application/json": {"schema": {"type": "object"}}}},
            "400": {"description": "A declaration is malformed (the error names it); nothing stored", "content": {"application/json": {"schema": error}}},
        },
    })
}

/// `POST /api/v1/reference-lists`: a CSV file.
fn reference_upload_operation(error: &Value) -> Value {
    let q = |name: &str, kind: ParamType, doc: &str, required: bool| json!({"name": name, "in": "query", "required": required, "description": doc, "schema": schema(kind)});
    json!({
        "tags": ["governance"],
        "summary": "Upload a reference list (CSV id_number,date, e.g. a death register): every row validated; stored whole or not at all, ID numbers hashed",
        "operationId": "reference_lists_post",
        "parameters": [
            q("name", ParamType::Text, "Name of the list (required), e.g. 死亡人员名单.", true),
            q("encoding", ParamType::Enum(&["auto", "utf-8", "gb18030", "utf-16"]), "Text encoding; default auto.", false),
        ],
        "requestBody": {"required": true, "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "contentMediaType": "text/csv"}}}},
        }},
        "responses": {
            "201": {"description": "Stored", "content": {"application/json": {"schema": {"type": "object"}}}},
            "200": {"description": "The same file is already stored under this name", "content": {"application/json": {"schema": {"type": "object"}}}},
            "422": {"description": "Rejected: every problem with line and reason; nothing stored", "content": {"application/json": {"schema": {"type": "object"}}}},
            "400": {"description": "A parameter is missing or malformed", "content": {"application/json": {"schema": error}}},
        },
    })
}

/// `POST /api/v1/users`: a user within the caller's scope.
fn user_add_operation(error: &Value) -> Value {
    json!({
        "tags": ["access"],
        "summary": "Create a user within your scope (admin); the answer holds its access token, shown this once",
        "operationId": "users_post",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {
            "type": "object",
            "required": ["name", "role", "scope"],
            "additionalProperties": false,
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 64},
                "role": {"type": "string", "enum": ["viewer", "caseworker", "admin"]},
                "scope": {"type": "string", "pattern": "^[0-9]{6}$", "description": "000000 (the ministry) or a division code within yours."},
            },
        }}}},
        "responses": {
            "201": {"description": "Created: {user, token}", "content": {"application/json": {"schema": {"type": "object"}}}},
            "400": {"description": "A field is malformed", "content": {"application/json": {"schema": error}}},
            "403": {"description": "The scope is outside yours", "content": {"application/json": {"schema": error}}},
            "409": {"description": "The name is taken", "content": {"application/json": {"schema": error}}},
        },
    })
}

/// The OpenAPI 3.1 document.
pub fn document() -> Value {
    let error = json!({"$ref": "#/components/schemas/Error"});
    let mut paths = Map::new();
    for route in ROUTES {
        let mut parameters: Vec<Value> = Vec::new();
        if route.path.contains("{batch}") {
            parameters.push(json!({
                "name": "batch", "in": "path", "required": true,
                "description": "Batch id.", "schema": {"type": "integer", "minimum": 1},
            }));
        }
        if route.path.contains("{code}") {
            parameters.push(json!({
                "name": "code", "in": "path", "required": true,
                "description": "6-digit division code (GB/T 2260).", "schema": schema(ParamType::Code),
            }));
        }
        for q in route.query {
            parameters.push(json!({
                "name": q.name, "in": "query", "required": false, "description": q.doc, "schema": schema(q.kind),
            }));
        }
        let mut content = Map::new();
        content.insert(
            "application/json".into(),
            json!({"schema": {"type": "object"}}),
        );
        for format in route.formats {
            content.insert((*format).into(), json!({"schema": {"type": "string"}}));
        }
        let operation_id = route
            .path
            .trim_start_matches('/')
            .replace(['/', '-'], "_")
            .replace(['{', '}'], "");
        let mut item = json!({"get": {
            "tags": [route.tag],
            "summary": route.summary,
            "operationId": operation_id,
            "parameters": parameters,
            "responses": {
                "200": {"description": "OK", "content": content,
                        "headers": {"ETag": {"description": "Strong tag of URL and data version", "schema": {"type": "string"}}}},
                "304": {"description": "Not modified (If-None-Match matched the ETag)"},
                "400": {"description": "A parameter is missing, malformed or unknown", "content": {"application/json": {"schema": error}}},
                "401": {"description": "No valid token or session", "content": {"application/json": {"schema": error}}},
                "403": {"description": "Outside your division scope, or your role may not", "content": {"application/json": {"schema": error}}},
                "404": {"description": "No such division", "content": {"application/json": {"schema": error}}},
            },
        }});
        match route.path {
            "/batches" => item["post"] = upload_operation(&error),
            "/declarations" => item["post"] = declare_operation(&error),
            "/reference-lists" => item["post"] = reference_upload_operation(&error),
            "/users" => item["post"] = user_add_operation(&error),
            _ => {}
        }
        paths.insert(format!("/api/v1{}", route.path), item);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "时空 shikong API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Spatio-temporal analytics over civil-affairs (民政) service-object data: statistics per division and month, records, facilities and county coverage. Coordinates are WGS84.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        // Every route needs a token (or the web's session cookie); each answers only within
        // the caller's division scope (403 outside it) and role.
        "security": [{"bearer": []}, {"session": []}],
        "components": {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "An access token from `shikong user add` or POST /api/v1/users."},
            "session": {"type": "apiKey", "in": "cookie", "name": "shikong_session", "description": "Set by POST /auth/login (the web's sign-in page)."},
        }, "schemas": {"Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "examples": ["invalid_parameter"]},
                    "message": {"type": "string"},
                    "param": {"type": ["string", "null"]},
                },
            }},
        }}},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_a_policy_and_paths_find_their_template() {
        for route in ROUTES {
            assert!(policy(route.path).is_some(), "{} has no policy", route.path);
        }
        assert_eq!(template("/coverage/330106"), Some("/coverage/{code}"));
        assert_eq!(
            template("/coverage/330106/deserts"),
            Some("/coverage/{code}/deserts")
        );
        assert_eq!(template("/stats"), Some("/stats"));
        assert_eq!(template("/users/张三"), Some("/users/{name}"));
        assert_eq!(template("/coverage/"), None);
        assert_eq!(template("/secret"), None);
    }
}
