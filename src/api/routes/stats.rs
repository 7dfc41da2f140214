//! Statistics: per division for a month (JSON or CSV), ranking, and monthly series.

use super::{attachment, CSV, XLSX};
use crate::analytics::{self, Measure, StatsRequest};
use crate::api::auth::Access;
use crate::api::error::ApiError;
use crate::api::openapi::allowed;
use crate::api::params::Params;
use crate::api::AppState;
use crate::domain::{Level, Month};
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// Longest series served, in months.
const MAX_SERIES_MONTHS: i32 = 240;
/// Most rows a ranking returns.
const MAX_TOP: usize = 500;

/// The month asked for, or the as-of date (month to date) and its month, never both; the
/// last month of data when neither is given.
pub(crate) fn month_or_date(
    state: &AppState,
    params: &Params,
) -> Result<(Month, Option<chrono::NaiveDate>), ApiError> {
    let month = month_in_data(state, params, "month")?;
    let date = params.date("date")?;
    Ok(match (month, date) {
        (Some(_), Some(_)) => return Err(ApiError::bad("date", "give month or date, not both")),
        (None, Some(date)) => {
            let month = Month::of(date);
            let data = state.data();
            if month < data.first_month || month > data.last_month {
                return Err(ApiError::bad(
                    "date",
                    format!(
                        "date {date} is outside the data ({} to {})",
                        data.first_month, data.last_month
                    ),
                ));
            }
            (month, Some(date))
        }
        (month, None) => (month.unwrap_or(state.data().last_month), None),
    })
}

/// The statistics request shared by `/stats` and `/stats/top`.
fn stats_request(state: &AppState, params: &Params) -> Result<StatsRequest, ApiError> {
    let (month, as_of) = month_or_date(state, params)?;
    Ok(StatsRequest {
        level: params.level("level")?.unwrap_or(Level::Province),
        parent: params.division("parent", state.registry())?,
        kinds: params.kinds("kind")?,
        month,
        as_of,
    })
}

/// A month parameter, which must lie within the months the data covers.
pub(crate) fn month_in_data(
    state: &AppState,
    params: &Params,
    key: &str,
) -> Result<Option<Month>, ApiError> {
    let data = state.data();
    match params.month(key)? {
        Some(m) if m < data.first_month || m > data.last_month => Err(ApiError::bad(
            key,
            format!(
                "{key} {m} is outside the data ({} to {})",
                data.first_month, data.last_month
            ),
        )),
        other => Ok(other),
    }
}

/// Which divisions the rows are: today's, or those in force in the month (统计口径).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Boundaries {
    Current,
    OfMonth,
}

/// The figures, with what the caller may not see suppressed (viewers).
async fn compute(
    state: &AppState,
    access: &Access,
    request: StatsRequest,
    boundaries: Boundaries,
) -> Result<analytics::StatsResult, ApiError> {
    let worker = state.clone();
    let suppress_below = access.suppress_below;
    let result = tokio::task::spawn_blocking(move || {
        let mut result = analytics::division_stats(
            &worker.snapshot(),
            worker.registry(),
            worker.all_facts(),
            &request,
        )?;
        if let Some(k) = suppress_below {
            let mask = worker.disclosure(&request.kinds, request.month, request.as_of, k);
            result.suppress(&mask);
        }
        if boundaries == Boundaries::OfMonth {
            let day = request.as_of.unwrap_or(request.month.last_day());
            result.by_divisions_of(&worker.store().load_code_changes()?, day);
        }
        Ok::<_, ApiError>(result)
    })
    .await??;
    Ok(result)
}

/// `GET /api/v1/stats`: figures per division of a level for a month; `format=csv` for a table.
pub(super) async fn stats(
    State(state): State<AppState>,
    access: Access,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref(), &allowed("/stats"))?;
    let format = params.get("format").unwrap_or("json");
    if !matches!(format, "json" | "csv" | "xlsx") {
        return Err(ApiError::bad(
            "format",
            format!("unknown format {format:?}; use json, csv or xlsx"),
        ));
    }
    let request = stats_request(&state, &params)?;
    let boundaries = match params.get("boundaries").unwrap_or("current") {
        "current" => Boundaries::Current,
        "month" => Boundaries::OfMonth,
        other => {
            return Err(ApiError::bad(
                "boundaries",
                format!("unknown boundaries {other:?}; use current or month"),
            ))
        }
    };
    let result = compute(&state, &access, request, boundaries).await?;
    if format == "xlsx" {
        let bytes = crate::analytics::report::stats_xlsx(&result)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let filename = format!("shikong-stats-{}-{}.xlsx", result.level.id(), result.month);
        return Ok(attachment(XLSX, &filename, bytes));
    }
    if format == "csv" {
        return Ok(csv_response(
            &result,
            &format!("shikong-stats-{}-{}.csv", result.level.id(), result.month),
        ));
    }
    Ok(Json(result).into_response())
}

fn csv_response(result: &analytics::StatsResult, filename: &str) -> Response {
    // A UTF-8 BOM so that spreadsheet programs on Chinese Windows read the names right.
    let mut out = String::from("\u{feff}code,name,level,count,previous,change,change_pct,entered,exited,population,rate_per_10k\n");
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    // Suppressed figures (viewers) are written as `*`, not blank: blank reads as zero.
    let shown = |v: Option<String>| v.unwrap_or_else(|| "*".into());
    for r in &result.rows {
        let change = r.shown_change();
        let flows = r.shown_flows();
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{}\n",
            r.code,
            r.name.replace(',', " "),
            r.level.id(),
            shown(r.shown_count().map(|v| v.to_string())),
            shown(r.shown_previous().map(|v| v.to_string())),
            shown(change.map(|c| c.0.to_string())),
            change.map(|c| opt(c.1)).unwrap_or_else(|| "*".into()),
            shown(flows.map(|f| f.0.to_string())),
            shown(flows.map(|f| f.1.to_string())),
            r.population.map(|p| p.to_string()).unwrap_or_default(),
            if r.hidden.count {
                "*".into()
            } else {
                opt(r.rate_per_10k)
            },
        ));
    }
    attachment(CSV, filename, out)
}

/// `GET /api/v1/stats/top`: the top (or bottom) divisions by a measure.
pub(super) async fn top(
    State(state): State<AppState>,
    access: Access,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(query.as_deref(), &allowed("/stats/top"))?;
    let measure_id = params.get("measure").unwrap_or("count");
    let measure = Measure::from_id(measure_id).ok_or_else(|| {
        ApiError::bad(
            "measure",
            format!("unknown measure {measure_id:?}; use count, rate or change"),
        )
    })?;
    let ascending = match params.get("order").unwrap_or("desc") {
        "desc" => false,
        "asc" => true,
        other => {
            return Err(ApiError::bad(
                "order",
                format!("unknown order {other:?}; use desc or asc"),
            ))
        }
    };
    let n = params.number("n", 1.0..=MAX_TOP as f64)?.unwrap_or(10.0);
    if n.fract() != 0.0 {
        return Err(ApiError::bad(
            "n",
            format!("n must be a whole number, got {n}"),
        ));
    }
    let request = stats_request(&state, &params)?;
    let result = compute(&state, &access, request, Boundaries::Current).await?;
    let rows = analytics::rank(&result.rows, measure, ascending, n as usize);
    Ok(Json(json!({
        "level": result.level, "parent": result.parent, "kind": result.kind, "month": result.month,
        "measure": measure_id, "order": if ascending { "asc" } else { "desc" },
        "rows": rows,
    })))
}

/// `GET /api/v1/stats/series`: monthly figures of one division (or the country).
pub(super) async fn series(
    State(state): State<AppState>,
    access: Access,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(query.as_deref(), &allowed("/stats/series"))?;
    let code = params.division("code", state.registry())?;
    let kinds = params.kinds("kind")?;
    let data = state.data();
    let to = month_in_data(&state, &params, "to")?.unwrap_or(data.last_month);
    let from = month_in_data(&state, &params, "from")?
        .unwrap_or_else(|| to.plus_months(-35).max(data.first_month));
    if from > to {
        return Err(ApiError::bad(
            "from",
            format!("from {from} is after to {to}"),
        ));
    }
    if from.months_until(to) >= MAX_SERIES_MONTHS {
        return Err(ApiError::bad(
            "from",
            format!("at most {MAX_SERIES_MONTHS} months per series"),
        ));
    }
    let worker = state.clone();
    let wanted = kinds.clone();
    let points = tokio::task::spawn_blocking(move || {
        analytics::monthly_series(worker.store(), code, &wanted, from, to)
    })
    .await??;
    let name = code
        .and_then(|c| state.registry().get(c))
        .map(|d| d.name.clone())
        .unwrap_or_else(|| "全国".to_string());
    let Some(k) = access.suppress_below else {
        return Ok(Json(json!({
            "code": code, "name": name, "kinds": kinds, "from": from, "to": to, "months": points,
        })));
    };
    // Viewers: each month's figures through that month's mask over the whole tree, so the
    // series never shows what the month's table hides.
    let worker = state.clone();
    let wanted = kinds.clone();
    let masks = tokio::task::spawn_blocking(move || {
        points
            .into_iter()
            .map(|p| {
                let mask = worker.disclosure(&wanted, p.month, None, k);
                (p, mask)
            })
            .collect::<Vec<_>>()
    })
    .await?;
    let mut suppressed = false;
    let months: Vec<Value> = masks
        .iter()
        .map(|(p, mask)| {
            let count_hidden = mask.count_hidden(code);
            let flows_hidden = count_hidden || mask.flows_hidden(code);
            suppressed |= count_hidden || flows_hidden;
            let mut v = json!({
                "month": p.month,
                "count": (!count_hidden).then_some(p.count),
                "entered": (!flows_hidden).then_some(p.entered),
                "exited": (!flows_hidden).then_some(p.exited),
                "change": (!flows_hidden).then_some(p.change),
            });
            if count_hidden || flows_hidden {
                v["suppressed"] = true.into();
            }
            v
        })
        .collect();
    Ok(Json(json!({
        "code": code, "name": name, "kinds": kinds, "from": from, "to": to, "months": months,
        "suppressed": suppressed,
    })))
}

/// `GET /api/v1/reports/county-table`: the 只报一次 table, one row per county-level unit and
/// one column per kind, as JSON, CSV or XLSX.
pub(super) async fn county_table(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref(), &allowed("/reports/county-table"))?;
    let format = params.get("format").unwrap_or("json").to_string();
    if !matches!(format.as_str(), "json" | "csv" | "xlsx") {
        return Err(ApiError::bad(
            "format",
            format!("unknown format {format:?}; use json, csv or xlsx"),
        ));
    }
    let parent = params.division("parent", state.registry())?;
    let month = month_in_data(&state, &params, "month")?.unwrap_or(state.data().last_month);
    let worker = state.clone();
    let rows = tokio::task::spawn_blocking(move || {
        crate::analytics::report::county_table(worker.store(), worker.registry(), parent, month)
    })
    .await??;
    let scope = parent
        .and_then(|p| state.registry().get(p))
        .map(|d| d.name.clone())
        .unwrap_or_else(|| "全国".into());
    let stem = format!(
        "shikong-county-table-{}-{month}",
        parent
            .map(|p| p.to_string())
            .unwrap_or_else(|| "000000".into())
    );
    let kinds: Vec<&str> = crate::domain::Kind::ALL.iter().map(|k| k.id()).collect();
    match format.as_str() {
        "xlsx" => {
            let bytes = crate::analytics::report::county_table_xlsx(&rows, month, &scope)
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(attachment(XLSX, &format!("{stem}.xlsx"), bytes))
        }
        "csv" => {
            let mut out = format!(
                "\u{feff}code,name,prefecture,province,{}\n",
                kinds.join(",")
            );
            for r in &rows {
                let counts: Vec<String> = r.counts.iter().map(u64::to_string).collect();
                out.push_str(&format!(
                    "{},{},{},{},{}\n",
                    r.code,
                    r.name,
                    r.prefecture,
                    r.province,
                    counts.join(",")
                ));
            }
            Ok(attachment(CSV, &format!("{stem}.csv"), out))
        }
        _ => Ok(
            Json(json!({"parent": parent, "month": month, "kinds": kinds, "rows": rows}))
                .into_response(),
        ),
    }
}

/// `GET /api/v1/stats/imported`: aggregates a distributed engine computed over an export
/// (`shikong import-stats`), per division, beside shikong's own figure for the same cell
/// (rows is empty when nothing was imported under the source).
pub(super) async fn imported(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(query.as_deref(), &allowed("/stats/imported"))?;
    let source = params.get("source").unwrap_or("spark").to_string();
    let level = params.level("level")?.unwrap_or(Level::Province);
    let parent = params.division("parent", state.registry())?;
    let kind = params.kind("kind")?;
    let month = params.month("month")?.unwrap_or(state.data().last_month);
    let worker = state.clone();
    let key = source.clone();
    let (sources, theirs, ours) = tokio::task::spawn_blocking(move || {
        let store = worker.store();
        Ok::<_, crate::store::StoreError>((
            store.imported_sources()?,
            store.imported_counts(&key, level, parent, kind, month)?,
            store.counts_by_division(&crate::store::StatsQuery::new(
                level, parent, kind, month, None,
            ))?,
        ))
    })
    .await??;
    let own: std::collections::HashMap<Option<u32>, u64> = ours
        .into_iter()
        .map(|(code, counts)| (code.map(|c| c.get()), counts.count))
        .collect();
    let rows: Vec<Value> = theirs
        .iter()
        .map(|(code, records)| {
            let name = code
                .and_then(|c| crate::domain::DivisionCode::new(c).ok())
                .and_then(|c| state.registry().get(c))
                .map(|d| d.name.clone());
            let shikong = own.get(code).copied().unwrap_or(0);
            json!({"code": code, "name": name, "records": records, "shikong": shikong, "equal": *records == shikong})
        })
        .collect();
    Ok(Json(json!({
        "source": source,
        "month": month.to_string(),
        "level": level.id(),
        "kind": kind.map(|k| k.id()),
        "total": theirs.iter().map(|(_, n)| n).sum::<u64>(),
        // Every imported source (none: nothing imported yet, rows is empty).
        "sources": sources.iter().map(|(s, n)| json!({"source": s, "rows": n})).collect::<Vec<_>>(),
        "rows": rows,
    })))
}
