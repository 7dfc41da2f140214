//! The one place where errors become HTTP responses:
//! status + `{"error": {"code", "message", "param"}}`.

use crate::analytics::AnalyticsError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// An API error.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A request parameter is missing, malformed or not allowed (400).
    #[error("{message}")]
    BadParameter {
        /// The parameter's name.
        param: String,
        /// What is wrong, and what is expected.
        message: String,
    },
    /// A named thing does not exist (404).
    #[error("{message}")]
    NotFound {
        /// The parameter that named it.
        param: String,
        /// What was not found.
        message: String,
    },
    /// The request is larger than the server accepts (413).
    #[error("{0}")]
    TooLarge(String),
    /// No valid credentials (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but the role or scope does not allow it (403).
    #[error("{0}")]
    Forbidden(String),
    /// Too many requests; retry after this many seconds (429).
    #[error("too many requests; retry in {0} s / 请求过于频繁")]
    TooManyRequests(u64),
    /// It exists already (409).
    #[error("{0}")]
    Conflict(String),
    /// The route does not exist (404).
    #[error("no such endpoint: {0}")]
    NoRoute(String),
    /// Something failed on our side (500); details go to the log, not the client.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// A 400 naming the parameter.
    pub fn bad(param: &str, message: impl Into<String>) -> ApiError {
        ApiError::BadParameter {
            param: param.to_string(),
            message: message.into(),
        }
    }

    /// A 404 naming the parameter.
    pub fn not_found(param: &str, message: impl Into<String>) -> ApiError {
        ApiError::NotFound {
            param: param.to_string(),
            message: message.into(),
        }
    }
}

impl From<AnalyticsError> for ApiError {
    fn from(err: AnalyticsError) -> Self {
        use crate::analytics::coverage::CoverageError;
        match &err {
            // Parameters the kernels reject are the caller's to fix.
            AnalyticsError::Coverage(CoverageError::InvalidRadius(_)) => {
                ApiError::bad("radius_km", err.to_string())
            }
            AnalyticsError::Coverage(CoverageError::InvalidSiteCount { .. }) => {
                ApiError::bad("k", err.to_string())
            }
            AnalyticsError::Coverage(CoverageError::InvalidThreshold(_)) => {
                ApiError::bad("min_demand", err.to_string())
            }
            _ => ApiError::Internal(err.to_string()),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(err: crate::store::StoreError) -> Self {
        ApiError::Internal(err.to_string())
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(err: tokio::task::JoinError) -> Self {
        ApiError::Internal(err.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, param) = match &self {
            ApiError::BadParameter { param, .. } => (
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                Some(param.clone()),
            ),
            ApiError::NotFound { param, .. } => {
                (StatusCode::NOT_FOUND, "not_found", Some(param.clone()))
            }
            ApiError::NoRoute(_) => (StatusCode::NOT_FOUND, "no_route", None),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large", None),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized", None),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", None),
            ApiError::TooManyRequests(_) => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_requests", None)
            }
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict", None),
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", None)
            }
        };
        let body = json!({"error": {"code": code, "message": self.to_string(), "param": param}});
        let mut response = (status, Json(body)).into_response();
        match self {
            ApiError::Unauthorized(_) => {
                response.headers_mut().insert(
                    axum::http::header::WWW_AUTHENTICATE,
                    axum::http::HeaderValue::from_static("Bearer realm=\"shikong\""),
                );
            }
            ApiError::TooManyRequests(seconds) => {
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, seconds.into());
            }
            _ => {}
        }
        response
    }
}
