//! Data governance (数据治理): declarations and reconciliation (部省对账), quality scores
//! (数据质量), comparisons between datasets (数据比对) and the reference lists they use.
//! Outside the ETag layer: declarations and lists change without a new data version.

use super::batches::{encoding, read_upload};
use super::{attachment, CSV};
use crate::analytics::governance::{self, Check};
use crate::api::auth::Access;
use crate::api::error::ApiError;
use crate::api::openapi::allowed;
use crate::api::params::Params;
use crate::api::AppState;
use crate::domain::{DivisionCode, Kind, Level, Month};
use crate::ingest;
use crate::store::Declaration;
use axum::body::Bytes;
use axum::extract::{RawQuery, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;

/// Most declarations in one request.
const MAX_DECLARATIONS: usize = 10_000;

/// Query parameters of a reference-list upload.
pub const REFERENCE_UPLOAD_PARAMS: &[&str] = &["name", "encoding"];

/// A JSON response of a kept value.
fn json_value(value: &Value) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => ApiError::Internal(e.to_string()).into_response(),
    }
}

/// A governance result, kept per query and data and governance version (the queries scan
/// every record: seconds on millions).
fn kept<T: serde::Serialize, E: Into<ApiError>>(
    state: &AppState,
    key: &str,
    make: impl FnOnce() -> Result<T, E>,
) -> Result<Arc<Value>, ApiError> {
    state.governance(key, || {
        let value = make().map_err(Into::into)?;
        serde_json::to_value(value).map_err(|e| ApiError::Internal(e.to_string()))
    })
}

fn quality_value(
    state: &AppState,
    level: Level,
    parent: Option<DivisionCode>,
    kind: Option<Kind>,
    month: Month,
) -> Result<Arc<Value>, ApiError> {
    kept(
        state,
        &format!("quality|{level:?}|{parent:?}|{kind:?}|{month}"),
        || governance::quality(state.store(), state.registry(), level, parent, kind, month),
    )
}

fn trend_value(
    state: &AppState,
    code: Option<DivisionCode>,
    kind: Option<Kind>,
    first: Month,
    last: Month,
) -> Result<Arc<Value>, ApiError> {
    kept(
        state,
        &format!("trend|{code:?}|{kind:?}|{first}|{last}"),
        || {
            let trend = governance::quality_trend(
                state.store(),
                state.registry(),
                code,
                kind,
                first,
                last,
            )?;
            let points: Vec<Value> = trend
                .into_iter()
                .map(|(month, s)| json!({"month": month, "score": s.score, "completeness": s.completeness, "validity": s.validity, "uniqueness": s.uniqueness, "agreement": s.agreement, "timeliness": s.timeliness, "records": s.counts.records}))
                .collect();
            Ok::<_, ApiError>(
                json!({"code": code.map(|c| c.to_string()), "kind": kind.map(Kind::id), "points": points}),
            )
        },
    )
}

fn reconciliation_value(
    state: &AppState,
    month: Month,
    kind: Option<Kind>,
) -> Result<Arc<Value>, ApiError> {
    kept(state, &format!("reconciliation|{month}|{kind:?}"), || {
        governance::reconciliation(state.store(), state.registry(), month, kind)
    })
}

/// Computes, in the background after start, what the dashboard asks for first: the last
/// month's quality per province and the reconciliation.
pub(crate) fn warm(state: &AppState) -> Result<(), ApiError> {
    let last = state.data().last_month;
    // The two the dashboard and the governance page ask for first; the trend (an API-only
    // scan of every month) is left to its first request, so start-up competes less.
    quality_value(state, Level::Province, None, None, last)?;
    reconciliation_value(state, last, None)?;
    Ok(())
}

/// Months of a quality trend unless asked otherwise.
const TREND_MONTHS: i32 = 12;

fn month_or_last(state: &AppState, params: &Params) -> Result<Month, ApiError> {
    Ok(params.month("month")?.unwrap_or(state.data().last_month))
}

fn csv_response(file: &str, header_row: &[&str], rows: Vec<Vec<String>>) -> Response {
    let mut out = Vec::from("\u{feff}".as_bytes()); // BOM: Excel opens UTF-8 as such
    let mut writer = csv::Writer::from_writer(&mut out);
    let written = writer
        .write_record(header_row)
        .and_then(|()| rows.iter().try_for_each(|r| writer.write_record(r)))
        .and_then(|()| writer.flush().map_err(csv::Error::from));
    drop(writer);
    if let Err(e) = written {
        return ApiError::Internal(e.to_string()).into_response();
    }
    attachment(CSV, &format!("{file}.csv"), out)
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// The province a caller's declarations and reconciliation are limited to (`None`: the
/// ministry, all); below a province there is nothing to reconcile (403).
fn scope_province(access: &Access) -> Result<Option<u32>, ApiError> {
    match access.scope.code() {
        None => Ok(None),
        Some(code) if code.province() == code => Ok(Some(code.get())),
        Some(code) => Err(ApiError::Forbidden(format!(
            "declarations and reconciliation are per province; your scope {code} is below one / 对账按省进行"
        ))),
    }
}

/// The reconciliation limited to one province: its lines and their statuses.
fn reconciliation_of(value: &Value, province: u32) -> Value {
    let mut value = value.clone();
    let rows: Vec<Value> = value["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter(|r| r["province_code"].as_u64() == Some(u64::from(province)))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let mut summary = serde_json::Map::new();
    for row in &rows {
        if let Some(status) = row["status"].as_str() {
            let n = summary.get(status).and_then(Value::as_u64).unwrap_or(0);
            summary.insert(status.to_string(), json!(n + 1));
        }
    }
    value["rows"] = Value::Array(rows);
    value["summary"] = Value::Object(summary);
    value
}

/// `GET /api/v1/declarations`: declared counts, of a month or all.
pub(super) async fn declarations(
    State(state): State<AppState>,
    access: Access,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(query.as_deref(), &allowed("/declarations"))?;
    let month = params.month("month")?;
    let kind = params.kind("kind")?;
    let province = scope_province(&access)?;
    let worker = state.clone();
    let mut rows =
        tokio::task::spawn_blocking(move || worker.store().declarations(month, kind)).await??;
    rows.retain(|d| province.is_none_or(|p| d.province_code == p));
    Ok(Json(json!({"declarations": rows})))
}

/// One declaration as posted.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PostedDeclaration {
    province: String,
    kind: String,
    month: String,
    declared: u64,
    #[serde(default)]
    checksum: Option<String>,
}

/// `POST /api/v1/declarations`: one declaration or an array of them, JSON; all or none.
pub(super) async fn declare(
    State(state): State<AppState>,
    access: Access,
    body: Bytes,
) -> Result<Response, ApiError> {
    let own_province = scope_province(&access)?;
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad("body", format!("not JSON: {e}")))?;
    let items = match value {
        Value::Array(items) => items,
        one @ Value::Object(_) => vec![one],
        _ => {
            return Err(ApiError::bad(
                "body",
                "expected a declaration object or an array of them",
            ))
        }
    };
    if items.is_empty() || items.len() > MAX_DECLARATIONS {
        return Err(ApiError::bad(
            "body",
            format!("1 to {MAX_DECLARATIONS} declarations per request"),
        ));
    }
    let mut rows = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let at = |field: &str| format!("body[{i}].{field}");
        let d: PostedDeclaration = serde_json::from_value(item)
            .map_err(|e| ApiError::bad(&format!("body[{i}]"), e.to_string()))?;
        let province = d
            .province
            .parse::<crate::domain::DivisionCode>()
            .ok()
            .filter(|c| state.registry().get(*c).map(|d| d.depth) == Some(1))
            .ok_or_else(|| {
                ApiError::bad(
                    &at("province"),
                    format!("{:?} is not a province code", d.province),
                )
            })?;
        if own_province.is_some_and(|p| p != province.get()) {
            return Err(ApiError::Forbidden(format!(
                "{}: {province} is outside your scope / 超出授权范围",
                at("province")
            )));
        }
        let kind = Kind::from_id(&d.kind)
            .ok_or_else(|| ApiError::bad(&at("kind"), format!("unknown kind {:?}", d.kind)))?;
        let month: Month = d
            .month
            .parse()
            .map_err(|_| ApiError::bad(&at("month"), format!("{:?} is not YYYY-MM", d.month)))?;
        if d.declared > 10_000_000_000 {
            return Err(ApiError::bad(
                &at("declared"),
                "more rows than any province holds",
            ));
        }
        let checksum = match d
            .checksum
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            None => None,
            Some(c) if c.len() == 16 && c.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(c.to_ascii_lowercase())
            }
            Some(c) => {
                return Err(ApiError::bad(
                    &at("checksum"),
                    format!("{c:?} is not 16 hex digits"),
                ))
            }
        };
        rows.push(Declaration {
            province_code: province.get(),
            kind: kind.id().to_string(),
            month: month.to_string(),
            declared: d.declared,
            checksum,
            declared_by: access.user.clone(),
            declared_at: String::new(),
        });
    }
    let worker = state.clone();
    let count = rows.len();
    tokio::task::spawn_blocking(move || worker.store().declare(&rows)).await??;
    state.governance_changed();
    Ok((StatusCode::CREATED, Json(json!({"stored": count}))).into_response())
}

/// `GET /api/v1/reconciliation`: received vs declared per province and kind for a month.
pub(super) async fn reconciliation(
    State(state): State<AppState>,
    access: Access,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let province = scope_province(&access)?;
    let params = Params::parse(query.as_deref(), &allowed("/reconciliation"))?;
    let month = month_or_last(&state, &params)?;
    let kind = params.kind("kind")?;
    let format = params.get("format").unwrap_or("json");
    if !matches!(format, "json" | "csv") {
        return Err(ApiError::bad(
            "format",
            format!("{format:?}: use json or csv"),
        ));
    }
    let worker = state.clone();
    if format == "json" {
        let value = tokio::task::spawn_blocking(move || reconciliation_value(&worker, month, kind))
            .await??;
        return Ok(match province {
            None => json_value(&value),
            Some(p) => json_value(&reconciliation_of(&value, p)),
        });
    }
    let result = tokio::task::spawn_blocking(move || {
        governance::reconciliation(worker.store(), worker.registry(), month, kind)
    })
    .await??;
    let rows = result
        .rows
        .iter()
        .filter(|r| province.is_none_or(|p| r.province_code == p))
        .map(|r| {
            vec![
                format!("{:06}", r.province_code),
                r.province_name.clone(),
                r.kind.clone(),
                opt(&r.declared),
                r.received.to_string(),
                opt(&r.difference),
                r.missing.to_string(),
                r.extra.to_string(),
                r.duplicates.to_string(),
                r.in_other_provinces.to_string(),
                opt(&r.checksum_declared),
                opt(&r.checksum_received),
                r.status.to_string(),
            ]
        })
        .collect();
    Ok(csv_response(
        &format!("reconciliation-{month}"),
        &[
            "省份代码 province_code",
            "省份 province",
            "类别 kind",
            "申报数 declared",
            "接收数 received",
            "差异 difference",
            "缺报 missing",
            "多报 extra",
            "省内重复 duplicates",
            "跨省重复 in_other_provinces",
            "申报校验和 checksum_declared",
            "接收校验和 checksum_received",
            "状态 status",
        ],
        rows,
    ))
}

/// `GET /api/v1/quality`: quality scores per division (and kind) for a month.
pub(super) async fn quality(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref(), &allowed("/quality"))?;
    let level = params.level("level")?.unwrap_or(Level::Province);
    let parent = params.division("parent", state.registry())?;
    let kind = params.kind("kind")?;
    let month = month_or_last(&state, &params)?;
    let worker = state.clone();
    let value =
        tokio::task::spawn_blocking(move || quality_value(&worker, level, parent, kind, month))
            .await??;
    Ok(json_value(&value))
}

/// `GET /api/v1/quality/trend`: the total score of a division (or the country) per month.
pub(super) async fn quality_trend(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref(), &allowed("/quality/trend"))?;
    let code = params.division("code", state.registry())?;
    let kind = params.kind("kind")?;
    let last = month_or_last(&state, &params)?;
    let count = params
        .integer("months", 1..=36)?
        .map_or(TREND_MONTHS, |m| m as i32);
    let first = last.plus_months(1 - count);
    let worker = state.clone();
    let value = tokio::task::spawn_blocking(move || trend_value(&worker, code, kind, first, last))
        .await??;
    Ok(json_value(&value))
}

/// `GET /api/v1/compare`: 数据比对 on hashed ID numbers.
pub(super) async fn compare(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref(), &allowed("/compare"))?;
    let person_kind = |key: &str, default: Kind| -> Result<Kind, ApiError> {
        let kind = params.kind(key)?.unwrap_or(default);
        if kind.is_person() {
            Ok(kind)
        } else {
            Err(ApiError::bad(
                key,
                format!("{} is not a kind of people", kind.id()),
            ))
        }
    };
    let check = match params.get("check").unwrap_or("overlap") {
        "overlap" => Check::Overlap {
            kind: person_kind("kind", Kind::Dibao)?,
            other: person_kind("other", Kind::Tekun)?,
        },
        "duplicate" => Check::Duplicate {
            kind: person_kind("kind", Kind::Dibao)?,
        },
        "reference" => {
            let list = params
                .integer("list", 1..=u64::from(u32::MAX))?
                .ok_or_else(|| {
                    ApiError::bad("list", "check=reference needs list (a reference-list id)")
                })?;
            let kind = params
                .kind("kind")?
                .map(|_| person_kind("kind", Kind::Dibao))
                .transpose()?;
            Check::Reference { list, kind }
        }
        other => {
            return Err(ApiError::bad(
                "check",
                format!("{other:?}: use overlap, duplicate or reference"),
            ))
        }
    };
    let month = month_or_last(&state, &params)?;
    let level = params.level("level")?.unwrap_or(Level::Province);
    let parent = params.division("parent", state.registry())?;
    let format = params.get("format").unwrap_or("json");
    if !matches!(format, "json" | "csv") {
        return Err(ApiError::bad(
            "format",
            format!("{format:?}: use json or csv"),
        ));
    }
    let csv = format == "csv";
    let limit = if csv {
        usize::MAX
    } else {
        params.integer("limit", 1..=1_000)?.unwrap_or(100) as usize
    };
    let offset = params
        .integer("offset", 0..=u64::from(u32::MAX))?
        .unwrap_or(0) as usize;
    let worker = state.clone();
    let key = format!("compare|{check:?}|{month}|{level:?}|{parent:?}|{limit}|{offset}");
    let run = move |state: &AppState| -> Result<governance::Comparison, ApiError> {
        if let Check::Reference { list, .. } = check {
            if state.store().reference_lists(Some(list))?.is_empty() {
                return Err(ApiError::not_found("list", "no such reference list"));
            }
        }
        let registry = state.registry();
        Ok(governance::compare(
            state.store(),
            registry,
            check,
            month,
            level,
            parent,
            limit,
            offset,
        )?)
    };
    if !csv {
        let value =
            tokio::task::spawn_blocking(move || kept(&worker, &key, || run(&worker))).await??;
        let rows = value["rows"].as_array().map_or(0, Vec::len);
        let mut response = json_value(&value);
        response.headers_mut().insert(
            crate::api::auth::ROWS_HEADER,
            axum::http::HeaderValue::from(rows),
        );
        return Ok(response);
    }
    let result = tokio::task::spawn_blocking(move || run(&worker)).await??;
    let count = result.rows.len();
    let rows = result
        .rows
        .iter()
        .map(|r| {
            vec![
                r.id.to_string(),
                r.kind.clone(),
                opt(&r.person_masked),
                format!("{:06}", r.declared_code),
                r.county_code.map(|c| format!("{c:06}")).unwrap_or_default(),
                r.valid_from.clone(),
                opt(&r.valid_to),
                r.matches.to_string(),
                opt(&r.other_id),
                r.other_kind.clone(),
                r.other_code.map(|c| format!("{c:06}")).unwrap_or_default(),
                opt(&r.other_date),
            ]
        })
        .collect();
    let mut response = csv_response(
        &format!("compare-{month}"),
        &[
            "记录 id",
            "类别 kind",
            "身份证号(脱敏) person_masked",
            "申报区划 declared_code",
            "落图区县 county_code",
            "开始日期 valid_from",
            "结束日期 valid_to",
            "匹配数 matches",
            "匹配记录 other_id",
            "匹配类别/名单 other_kind",
            "匹配区划 other_code",
            "匹配日期 other_date",
        ],
        rows,
    );
    response.headers_mut().insert(
        crate::api::auth::ROWS_HEADER,
        axum::http::HeaderValue::from(count),
    );
    Ok(response)
}

/// `GET /api/v1/reference-lists`: uploaded lists, newest first.
pub(super) async fn reference_lists(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    Params::parse(query.as_deref(), &allowed("/reference-lists"))?;
    let worker = state.clone();
    let lists = tokio::task::spawn_blocking(move || worker.store().reference_lists(None)).await??;
    Ok(Json(json!({"lists": lists})))
}

/// `POST /api/v1/reference-lists?name=…`: a CSV of `id_number,date` (body or multipart);
/// stored whole, or 422 with every problem.
pub(super) async fn upload_reference_list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref(), REFERENCE_UPLOAD_PARAMS)?;
    let name = params
        .get("name")
        .map(str::trim)
        .filter(|n| !n.is_empty() && n.chars().count() <= 100)
        .ok_or_else(|| ApiError::bad("name", "name is required (up to 100 characters)"))?
        .to_string();
    let encoding = encoding(&params)?;
    let upload = read_upload(request).await?;
    let refs = state
        .ingest_refs()?
        .ok_or_else(|| ApiError::Internal("server has no ID-number key".into()))?;
    let _guard = state.ingest_lock().await;
    let worker = state.clone();
    let report = tokio::task::spawn_blocking(move || {
        ingest::reference::load(
            worker.store(),
            &refs.hasher,
            &name,
            &upload.bytes,
            encoding,
            "api",
        )
    })
    .await??;
    state.governance_changed();
    let status = match (&report.list, report.duplicate_of) {
        (None, _) => StatusCode::UNPROCESSABLE_ENTITY,
        (Some(_), Some(_)) => StatusCode::OK,
        (Some(_), None) => StatusCode::CREATED,
    };
    Ok((status, Json(report)).into_response())
}
