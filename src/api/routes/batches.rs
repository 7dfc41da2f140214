//! Uploads and the batch ledger: `POST /api/v1/batches` takes a file as the request body and
//! lands it whole or not at all; the ledger and each batch's problem report (问题数据反馈) are
//! readable as JSON, CSV or XLSX.

use super::UPLOAD_LIMIT_BYTES;
use super::{attachment, CSV, XLSX};
use crate::api::auth::Access;
use crate::api::error::ApiError;
use crate::api::openapi::allowed;
use crate::api::params::Params;
use crate::api::AppState;
use crate::domain::Datum;
use crate::ingest::{self, Encoding, Format, IngestRequest};
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, RawQuery, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// Largest problem page.
const MAX_PROBLEMS_PAGE: u64 = 10_000;

/// Query parameters of an upload.
pub const UPLOAD_PARAMS: &[&str] = &[
    "kind",
    "province",
    "month",
    "replace",
    "format",
    "encoding",
    "crs",
    "tolerance_m",
    "file_name",
    "check",
];

/// The `encoding` parameter of an upload (default: detected).
pub(super) fn encoding(params: &Params) -> Result<Encoding, ApiError> {
    match params.get("encoding") {
        None => Ok(Encoding::Auto),
        Some(e) => Encoding::from_id(e).ok_or_else(|| {
            ApiError::bad(
                "encoding",
                format!("{e:?}: use auto, utf-8, gb18030 or utf-16"),
            )
        }),
    }
}

/// An uploaded file: the request body, or the first file part of a `multipart/form-data`
/// body (an HTML form's `<input type=file>`).
pub(super) struct Upload {
    /// The file's bytes.
    pub bytes: Bytes,
    /// The part's file name, if any.
    pub file_name: Option<String>,
    /// The file's content type (the part's, or the request's).
    pub content_type: Option<String>,
}

fn essence(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Reads the file of an upload request.
pub(super) async fn read_upload(request: Request) -> Result<Upload, ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(essence);
    let too_large = || {
        ApiError::TooLarge(format!(
            "the file is larger than {UPLOAD_LIMIT_BYTES} bytes"
        ))
    };
    let upload = if content_type.as_deref() == Some("multipart/form-data") {
        let mut form = Multipart::from_request(request, &())
            .await
            .map_err(|e| ApiError::bad("body", e.body_text()))?;
        loop {
            let field = form
                .next_field()
                .await
                .map_err(|e| ApiError::bad("body", e.body_text()))?
                .ok_or_else(|| ApiError::bad("body", "the form has no file part"))?;
            if field.file_name().is_none() && field.name() != Some("file") {
                continue;
            }
            let file_name = field.file_name().map(str::to_string);
            let content_type = field.content_type().map(essence);
            let bytes = field.bytes().await.map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    too_large()
                } else {
                    ApiError::bad("body", e.body_text())
                }
            })?;
            break Upload {
                bytes,
                file_name,
                content_type,
            };
        }
    } else {
        let bytes = axum::body::to_bytes(request.into_body(), UPLOAD_LIMIT_BYTES)
            .await
            .map_err(|_| too_large())?;
        Upload {
            bytes,
            file_name: None,
            content_type,
        }
    };
    if upload.bytes.is_empty() {
        return Err(ApiError::bad("body", "the uploaded file is empty"));
    }
    Ok(upload)
}

/// `POST /api/v1/batches?kind=…`: the file (CSV, XLSX, GeoJSON or Parquet) is the body, or the
/// file part of a multipart form.
pub(super) async fn upload(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref(), UPLOAD_PARAMS)?;
    let kind = params
        .kind("kind")?
        .ok_or_else(|| ApiError::bad("kind", "kind is required"))?;
    let upload = read_upload(request).await?;
    let file_name = params
        .get("file_name")
        .or(upload.file_name.as_deref())
        .unwrap_or("upload")
        .to_string();
    let mut request = IngestRequest::new(kind, &file_name);
    request.source = "api".into();
    request.who = "api".into();
    request.province = params.division("province", state.registry())?;
    if let Some(p) = request.province {
        if state.registry().get(p).map(|d| d.depth) != Some(1) {
            return Err(ApiError::bad("province", format!("{p} is not a province")));
        }
    }
    request.month = params.month("month")?;
    request.replace = params.flag("replace")?;
    request.check = params.flag("check")?;
    if request.check && request.replace {
        return Err(ApiError::bad(
            "check",
            "check=true stores nothing, so it cannot replace a slice",
        ));
    }
    if request.replace && (request.province.is_none() || request.month.is_none()) {
        return Err(ApiError::bad(
            "replace",
            "replace=true needs province and month (the slice)",
        ));
    }
    let content_type = upload.content_type.clone();
    request.format = match params.get("format") {
        Some(f) => Some(Format::from_id(f).ok_or_else(|| {
            ApiError::bad(
                "format",
                format!("{f:?}: use csv, geojson, parquet, xlsx or xls"),
            )
        })?),
        // A media type only tells text formats apart: browsers label a file by its extension
        // (Windows calls every `.csv` `application/vnd.ms-excel`), a container's bytes do not lie.
        None => content_type
            .as_deref()
            .and_then(Format::from_id)
            .filter(|f| f.is_text() && Format::sniff(&upload.bytes).is_text()),
    };
    request.encoding = encoding(&params)?;
    if let Some(c) = params.get("crs") {
        request.datum = Datum::from_id(c)
            .ok_or_else(|| ApiError::bad("crs", format!("{c:?}: use wgs84, gcj02 or bd09")))?;
    }
    if let Some(t) = params.number("tolerance_m", 0.0..=100_000.0)? {
        request.tolerance_m = t;
    }
    let body = upload.bytes;
    let refs = state
        .ingest_refs()
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .ok_or_else(|| ApiError::Internal("server has no ID-number key".into()))?;
    // One batch at a time; the work runs on the blocking pool.
    let _guard = state.ingest_lock().await;
    let worker = state.clone();
    let report = tokio::task::spawn_blocking(move || {
        ingest::ingest(&refs.context(worker.store()), &body, &request, &|_| {})
    })
    .await?
    .map_err(|e| match e {
        ingest::IngestError::Request(m) => ApiError::bad("replace", m),
        ingest::IngestError::Store(e) => ApiError::Internal(e.to_string()),
    })?;
    // Even a rejected batch changes the ledger that quality scores read.
    state.governance_changed();
    if report.duplicate_of.is_none() && report.batch.status == "committed" {
        let worker = state.clone();
        tokio::task::spawn_blocking(move || worker.reload())
            .await?
            .map_err(|e| ApiError::Internal(e.to_string()))?;
    }
    let status = match (report.duplicate_of, report.batch.status.as_str()) {
        (Some(_), _) => StatusCode::OK,
        (None, "committed") => StatusCode::CREATED,
        (None, "checked") if report.passed() => StatusCode::OK,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let location = format!("/api/v1/batches/{}", report.batch.batch_id);
    Ok((status, [(header::LOCATION, location)], Json(report)).into_response())
}

/// `GET /api/v1/batches`: the ledger, newest first.
pub(super) async fn list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(query.as_deref(), &allowed("/batches"))?;
    let province = params
        .division("province", state.registry())?
        .map(|c| c.get());
    let limit = params.integer("limit", 1..=1_000)?.unwrap_or(100);
    let worker = state.clone();
    let rows = tokio::task::spawn_blocking(move || worker.store().batches(None, province, limit))
        .await?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(json!({"batches": rows})))
}

fn batch_id(raw: &str) -> Result<u64, ApiError> {
    raw.parse::<u64>()
        .map_err(|_| ApiError::bad("batch", format!("{raw:?} is not a batch id")))
}

/// `GET /api/v1/batches/{batch}`: one ledger row with its problems per reason.
pub(super) async fn one(
    State(state): State<AppState>,
    access: Access,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    Params::parse(query.as_deref(), &allowed("/batches/{batch}"))?;
    let id = batch_id(&raw)?;
    let worker = state.clone();
    let (rows, summary) = tokio::task::spawn_blocking(move || {
        Ok::<_, crate::store::StoreError>((
            worker.store().batches(Some(id), None, 1)?,
            worker.store().problem_summary(id)?,
        ))
    })
    .await?
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let batch = rows
        .into_iter()
        .next()
        .filter(|b| in_scope(&access, b, &state))
        .ok_or_else(|| ApiError::not_found("batch", format!("no batch {id}")))?;
    Ok(Json(
        json!({"batch": batch, "summary": ingest::summarize(summary)}),
    ))
}

/// `GET /api/v1/batches/{batch}/problems`: the problem report as JSON (paged), CSV or XLSX.
pub(super) async fn problems(
    State(state): State<AppState>,
    access: Access,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref(), &allowed("/batches/{batch}/problems"))?;
    let id = batch_id(&raw)?;
    let severity = match params.get("severity") {
        None => None,
        Some(s @ ("error" | "finding")) => Some(s.to_string()),
        Some(other) => {
            return Err(ApiError::bad(
                "severity",
                format!("{other:?}: use error or finding"),
            ))
        }
    };
    let format = params.get("format").unwrap_or("json").to_string();
    if !matches!(format.as_str(), "json" | "csv" | "xlsx") {
        return Err(ApiError::bad(
            "format",
            format!("{format:?}: use json, csv or xlsx"),
        ));
    }
    let whole = format != "json";
    let limit = if whole {
        u64::MAX
    } else {
        params
            .integer("limit", 1..=MAX_PROBLEMS_PAGE)?
            .unwrap_or(1_000)
    };
    let offset = params
        .integer("offset", 0..=u64::from(u32::MAX))?
        .unwrap_or(0);
    let worker = state.clone();
    let scope = access.clone();
    let (exists, rows, summary) = tokio::task::spawn_blocking(move || {
        let store = worker.store();
        Ok::<_, crate::store::StoreError>((
            store
                .batches(Some(id), None, 1)?
                .iter()
                .any(|b| in_scope(&scope, b, &worker)),
            store.problems(id, severity.as_deref(), limit, offset)?,
            store.problem_summary(id)?,
        ))
    })
    .await?
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    if !exists {
        return Err(ApiError::not_found("batch", format!("no batch {id}")));
    }
    let summary = ingest::summarize(summary);
    let file = format!("batch-{id}-problems");
    let count = rows.len();
    match format.as_str() {
        "csv" => {
            let mut out = Vec::new();
            ingest::report::write_csv(&rows, &mut out)
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(attachment(CSV, &format!("{file}.csv"), out))
        }
        "xlsx" => {
            let out = ingest::report::xlsx(&rows, &summary)
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(attachment(XLSX, &format!("{file}.xlsx"), out))
        }
        _ => Ok(Json(
            json!({"batch_id": id, "summary": summary, "problems": rows, "offset": offset}),
        )
        .into_response()),
    }
    .map(|mut response: Response| {
        response.headers_mut().insert(
            crate::api::auth::ROWS_HEADER,
            axum::http::HeaderValue::from(count),
        );
        response
    })
}

/// Whether a batch is the caller's to see: the ministry sees all; a province only the
/// batches it declared (the national dataset belongs to the ministry).
fn in_scope(access: &Access, batch: &crate::store::BatchRow, state: &AppState) -> bool {
    access.scope.is_national()
        || batch
            .province_code
            .is_some_and(|p| access.covers_raw(p, state.registry()))
}
