//! HTTP caching for API responses: every answer is a function of the request URL and the
//! data version, so a strong ETag of the two lets clients revalidate cheaply (304) and makes
//! every cached copy stale the moment the data changes.

use super::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// Adds `ETag` and `Cache-Control: no-cache` to successful GET responses, and answers
/// `If-None-Match` with 304 without running the handler.
pub async fn etag(State(state): State<AppState>, request: Request, next: Next) -> Response {
    tagged(&state, request, next, "no-cache").await
}

/// The same for tiles, which map clients may reuse for five minutes before revalidating
/// (a tile set is requested hundreds of times per view); private, as they depend on who asks.
pub async fn tile_etag(State(state): State<AppState>, request: Request, next: Next) -> Response {
    tagged(&state, request, next, "private, max-age=300").await
}

async fn tagged(
    state: &AppState,
    request: Request,
    next: Next,
    cache_control: &'static str,
) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let mut hasher = Sha256::new();
    hasher.update(state.data().data_version.as_bytes());
    hasher.update([0]);
    hasher.update(request.uri().to_string().as_bytes());
    // The same URL answers differently per role and scope (suppression, scope filters).
    if let Some(access) = request.extensions().get::<super::auth::Access>() {
        hasher.update([0]);
        hasher.update(access.cache_key().as_bytes());
    }
    let tag = format!("\"{}\"", hex::encode(&hasher.finalize()[..12]));
    let matches = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        next.run(request).await
    };
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        if let Ok(value) = HeaderValue::from_str(&tag) {
            response.headers_mut().insert(header::ETAG, value);
        }
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control),
        );
    }
    response
}
