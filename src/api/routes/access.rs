//! Users and the audit log, for administrators: each sees and manages only the users of
//! their own scope, and only their scope's audit entries (failed sign-ins, which have no
//! user, only the ministry).

use crate::api::auth::{self, Access};
use crate::api::error::ApiError;
use crate::api::openapi::allowed;
use crate::api::params::Params;
use crate::api::AppState;
use crate::domain::{Role, Scope};
use crate::store::{AuditFilter, UserRow};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// Whether a stored user lies within the caller's scope.
fn manages(access: &Access, user: &UserRow, state: &AppState) -> bool {
    match Scope::parse(&user.scope, state.registry()) {
        Ok(scope) => match scope.code() {
            None => access.scope.is_national(),
            Some(code) => access.covers(code, state.registry()),
        },
        Err(_) => access.scope.is_national(),
    }
}

/// `GET /api/v1/users`: users within the caller's scope (never their tokens).
pub(super) async fn list(
    State(state): State<AppState>,
    access: Access,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    Params::parse(query.as_deref(), &allowed("/users"))?;
    let worker = state.clone();
    let mut users = tokio::task::spawn_blocking(move || worker.store().users()).await??;
    users.retain(|u| manages(&access, u, &state));
    Ok(Json(json!({"users": users})))
}

/// A user as posted.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    name: String,
    role: String,
    scope: String,
}

/// `POST /api/v1/users` `{"name", "role", "scope"}`: a user within the caller's scope; the
/// answer holds its token, shown this once.
pub(super) async fn add(
    State(state): State<AppState>,
    access: Access,
    body: Bytes,
) -> Result<Response, ApiError> {
    let posted: NewUser = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad("body", format!("expected {{name, role, scope}}: {e}")))?;
    let scope =
        Scope::parse(&posted.scope, state.registry()).map_err(|e| ApiError::bad("scope", e))?;
    if let Some(code) = scope.code() {
        access.require(code, state.registry())?;
    } else if !access.scope.is_national() {
        return Err(ApiError::Forbidden(
            "only the ministry may create ministry users / 无权创建部级用户".into(),
        ));
    }
    let role: Role = posted
        .role
        .parse()
        .map_err(|e: String| ApiError::bad("role", e))?;
    let worker = state.clone();
    let created_by = access.user.clone();
    let (user, token) = tokio::task::spawn_blocking(move || {
        auth::create_user(
            worker.store(),
            worker.registry(),
            &posted.name,
            role.id(),
            &scope.to_string(),
            &created_by,
        )
    })
    .await??;
    Ok((
        StatusCode::CREATED,
        Json(json!({"user": user, "token": token})),
    )
        .into_response())
}

/// `DELETE /api/v1/users/{name}`: revokes a user of the caller's scope; their sessions end.
pub(super) async fn revoke(
    State(state): State<AppState>,
    access: Access,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let worker = state.clone();
    let users = tokio::task::spawn_blocking(move || worker.store().users()).await??;
    let user = users
        .into_iter()
        .find(|u| u.name == name && manages(&access, u, &state))
        .ok_or_else(|| ApiError::not_found("name", format!("no user {name:?} in your scope")))?;
    let worker = state.clone();
    let target = user.name.clone();
    let revoked =
        tokio::task::spawn_blocking(move || worker.store().revoke_user(&target)).await??;
    state.auth().forget_user(&user.name);
    Ok(Json(json!({"name": user.name, "revoked": revoked})))
}

/// Most audit entries per page.
const MAX_AUDIT_PAGE: u64 = 1_000;

/// `GET /api/v1/audit`: audit entries of the caller's scope, newest first.
pub(super) async fn audit(
    State(state): State<AppState>,
    access: Access,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(query.as_deref(), &allowed("/audit"))?;
    let event = params.get("event").map(str::to_string);
    if let Some(e) = &event {
        if !["read", "write", "login", "denied", "auth_failed"].contains(&e.as_str()) {
            return Err(ApiError::bad(
                "event",
                format!("{e:?}: use read, write, login, denied or auth_failed"),
            ));
        }
    }
    let from = params.date("from")?;
    let to = params.date("to")?;
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            return Err(ApiError::bad(
                "from",
                format!("from {from} is after to {to}"),
            ));
        }
    }
    let limit = params.integer("limit", 1..=MAX_AUDIT_PAGE)?.unwrap_or(100);
    // A scope's entries are those of users scoped at or below it: by code prefix, as
    // GB/T 2260 codes nest (a province PP, a prefecture PPCC).
    let scope_prefix = match access.scope.code() {
        None => String::new(),
        Some(code) => {
            let text = code.to_string();
            text.trim_end_matches("00").to_string()
        }
    };
    let filter = AuditFilter {
        user: params.get("user").map(str::to_string),
        event,
        from: from.map(|d| d.to_string()),
        to: to.and_then(|d| d.succ_opt()).map(|d| d.to_string()),
        scope_prefix,
        before: params.integer("before", 1..=u64::MAX >> 1)?,
        limit,
    };
    let worker = state.clone();
    let entries = tokio::task::spawn_blocking(move || worker.store().audit(&filter)).await??;
    let next_before = (entries.len() as u64 == limit)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    Ok(Json(
        json!({"count": entries.len(), "next_before": next_before, "entries": entries}),
    ))
}
