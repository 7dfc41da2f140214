//! Authentication and authorization, in one place: every request passes [`guard`] before any
//! handler runs. It finds who is asking (bearer token, session cookie, or the public view),
//! refuses what their role may not call, keeps every division parameter inside their scope
//! (absent ones default to the scope), hands handlers an [`Access`] for what only the data
//! can tell (which batch, which tile features), and writes the audit log.

use super::error::ApiError;
use super::openapi::{self, allowed};
use super::AppState;
use crate::domain::access::token;
use crate::domain::{DivisionCode, Registry, Role, Scope};
use crate::store::{AuditEntry, Store, UserRow};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The session cookie.
pub const SESSION_COOKIE: &str = "shikong_session";
/// Response header a handler sets to the number of person-level rows it returned (read by
/// the guard for the audit log, never sent).
pub const ROWS_HEADER: &str = "x-shikong-rows";
/// How long a session lasts.
const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);
/// How long a verified token is trusted without hashing it again.
const VERIFIED_TTL: Duration = Duration::from_secs(300);
/// Failed authentications allowed per client address per minute.
const FAILURES_PER_MINUTE: f64 = 10.0;

/// How access is configured.
#[derive(Debug, Clone)]
pub struct AuthOptions {
    /// Anonymous visitors get the public aggregate view (viewer, whole country, suppressed).
    pub public_view: bool,
    /// Counts 1..k−1 are suppressed for viewers and the public view.
    pub suppress_k: u64,
    /// Requests per minute per user (or per address for the public view); 0 = no limit.
    pub rate_per_minute: u32,
    /// Mark the session cookie `Secure` (behind HTTPS).
    pub secure_cookie: bool,
}

impl Default for AuthOptions {
    fn default() -> AuthOptions {
        AuthOptions {
            public_view: false,
            suppress_k: 5,
            rate_per_minute: 6000,
            secure_cookie: false,
        }
    }
}

/// Who is asking, as handlers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// User name (`public` for the public view).
    pub user: String,
    /// Role.
    pub role: Role,
    /// Scope.
    pub scope: Scope,
    /// Whether this is the anonymous public view.
    pub public: bool,
    /// Counts below this are suppressed (viewers and the public view).
    pub suppress_below: Option<u64>,
}

impl Access {
    /// Whether the scope covers a division.
    pub fn covers(&self, code: DivisionCode, registry: &Registry) -> bool {
        self.scope.covers(code, registry)
    }

    /// Whether the scope covers a division given as stored (integer code).
    pub fn covers_raw(&self, code: u32, registry: &Registry) -> bool {
        self.scope.covers_raw(code, registry)
    }

    /// A 403 unless the scope covers `code`.
    pub fn require(&self, code: DivisionCode, registry: &Registry) -> Result<(), ApiError> {
        if self.covers(code, registry) {
            Ok(())
        } else {
            Err(out_of_scope(code, self.scope))
        }
    }

    /// What responses depend on besides the URL: role and scope (cache keys, ETags).
    pub fn cache_key(&self) -> String {
        format!("{}|{}", self.role, self.scope)
    }

    fn audit(&self, event: &str, request: &RequestFacts, status: u16) -> AuditEntry {
        AuditEntry {
            user: Some(self.user.clone()),
            role: Some(self.role.id().to_string()),
            scope: Some(self.scope.to_string()),
            ..request.audit(event, status)
        }
    }
}

fn out_of_scope(code: DivisionCode, scope: Scope) -> ApiError {
    ApiError::Forbidden(format!(
        "division {code} is outside your scope ({scope}) / 超出授权范围"
    ))
}

impl<S: Send + Sync> FromRequestParts<S> for Access {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Access, ApiError> {
        // The guard puts it there; a route it did not pass is refused, not served.
        parts
            .extensions
            .get::<Access>()
            .cloned()
            .ok_or_else(|| ApiError::Internal("request did not pass the access guard".into()))
    }
}

/// A signed-in user and until when (a session), or since when (a verified token).
type Stamped = (Arc<Access>, Instant);

/// Sessions, verified tokens and rate buckets of one server.
pub(crate) struct Auth {
    options: AuthOptions,
    verified: Mutex<lru::LruCache<[u8; 32], Stamped>>,
    sessions: Mutex<HashMap<[u8; 32], Stamped>>,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Auth {
    pub(super) fn new(options: AuthOptions) -> Auth {
        Auth {
            options,
            verified: Mutex::new(lru::LruCache::new(
                std::num::NonZeroUsize::new(1024).expect("non-zero"),
            )),
            sessions: Mutex::default(),
            buckets: Mutex::default(),
        }
    }

    /// The configured options.
    pub(super) fn options(&self) -> &AuthOptions {
        &self.options
    }

    fn public_access(&self) -> Option<Access> {
        self.options.public_view.then(|| Access {
            user: "public".into(),
            role: Role::Viewer,
            scope: Scope::NATIONAL,
            public: true,
            suppress_below: Some(self.options.suppress_k),
        })
    }

    /// Takes one request from `key`'s bucket (`per_minute` capacity, refilled evenly); the
    /// seconds to wait when it is empty.
    fn take(&self, key: &str, per_minute: f64) -> Result<(), u64> {
        if per_minute <= 0.0 {
            return Ok(());
        }
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        let now = Instant::now();
        if buckets.len() > 100_000 {
            buckets.retain(|_, (_, last)| now.duration_since(*last) < Duration::from_secs(60));
        }
        let (tokens, last) = buckets.entry(key.to_string()).or_insert((per_minute, now));
        *tokens =
            (*tokens + now.duration_since(*last).as_secs_f64() * per_minute / 60.0).min(per_minute);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) * 60.0 / per_minute).ceil().max(1.0) as u64)
        }
    }

    fn has_failures_left(&self, client: &str) -> bool {
        let key = format!("auth-failures:{client}");
        self.buckets.lock().map_or(true, |b| {
            b.get(&key).is_none_or(|(tokens, last)| {
                tokens + last.elapsed().as_secs_f64() * FAILURES_PER_MINUTE / 60.0 >= 1.0
            })
        })
    }

    fn record_failure(&self, client: &str) {
        let _ = self.take(&format!("auth-failures:{client}"), FAILURES_PER_MINUTE);
    }

    fn new_session(&self, access: Arc<Access>) -> String {
        let mut id = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut id);
        let id = hex::encode(id);
        if let Ok(mut sessions) = self.sessions.lock() {
            let now = Instant::now();
            sessions.retain(|_, (_, expires)| *expires > now);
            sessions.insert(digest(&id), (access, now + SESSION_TTL));
        }
        id
    }

    fn session(&self, id: &str) -> Option<Arc<Access>> {
        let sessions = self.sessions.lock().ok()?;
        sessions
            .get(&digest(id))
            .filter(|(_, expires)| *expires > Instant::now())
            .map(|(access, _)| access.clone())
    }

    fn end_session(&self, id: &str) {
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.remove(&digest(id));
        }
    }

    /// Forgets every session and verified token of `user` (revoked).
    pub(super) fn forget_user(&self, user: &str) {
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.retain(|_, (access, _)| access.user != user);
        }
        if let Ok(mut verified) = self.verified.lock() {
            verified.clear();
        }
    }
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// What the audit log keeps of a request.
struct RequestFacts {
    method: String,
    path: String,
    filter: String,
    client: Option<String>,
}

impl RequestFacts {
    fn audit(&self, event: &str, status: u16) -> AuditEntry {
        AuditEntry {
            event: event.to_string(),
            method: self.method.clone(),
            path: self.path.clone(),
            filter: self.filter.clone(),
            status,
            client: self.client.clone(),
            ..AuditEntry::default()
        }
    }
}

/// The query string with every run of 15 or more digits (an ID number sent by mistake,
/// perhaps) masked but for its first six and last four: audit entries keep the filter, never
/// personal data.
fn redact_numbers(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    let chars: Vec<char> = query.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..]
            .iter()
            .take_while(|c| c.is_ascii_digit() || **c == 'X' || **c == 'x')
            .count();
        if run >= 15 {
            for (j, c) in chars[i..i + run].iter().enumerate() {
                out.push(if j < 6 || j >= run - 4 { *c } else { '*' });
            }
            i += run;
        } else if run > 0 {
            out.extend(&chars[i..i + run]);
            i += run;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// What a path is, for the guard.
enum Target {
    /// Static assets, health, the login page: open to all.
    Open,
    /// A page of the web front end: signed-in users (or the public view), else the login page.
    Page,
    /// `/auth/me`: who is signed in.
    Me,
    /// A tile or TileJSON: signed-in users; the tile handler filters features by scope.
    Tiles,
    /// An API route, by template.
    Api(&'static str),
    /// No such API route.
    NoRoute,
}

fn target(path: &str) -> Target {
    if let Some(rest) = path.strip_prefix("/api/v1") {
        return match openapi::template(rest) {
            Some(template) => Target::Api(template),
            None => Target::NoRoute,
        };
    }
    if path.starts_with("/api/") {
        return Target::NoRoute;
    }
    if path.starts_with("/tiles/") {
        return Target::Tiles;
    }
    match path {
        "/auth/me" => Target::Me,
        "/" | "/index.html" | "/dashboard" | "/dashboard.html" | "/governance"
        | "/governance.html" | "/county.html" | "/api.html" => Target::Page,
        _ if path.starts_with("/county/") => Target::Page,
        _ => Target::Open,
    }
}

fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

/// Why credentials were refused.
enum Refusal {
    /// Wrong, unknown or revoked.
    Invalid,
    /// Too many failures from this address.
    Throttled,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Invalid => {
                ApiError::Unauthorized("invalid or revoked token / 令牌无效或已停用".into())
            }
            // A minute refills the failure allowance.
            Refusal::Throttled => ApiError::TooManyRequests(60),
        }
        .into_response()
    }
}

/// The user a token belongs to, if it is valid and not revoked.
async fn verify(state: &AppState, presented: &str, client: &str) -> Result<Arc<Access>, Refusal> {
    let auth = state.auth();
    let key = digest(presented);
    if let Some((access, at)) = auth
        .verified
        .lock()
        .ok()
        .and_then(|mut v| v.get(&key).cloned())
    {
        if at.elapsed() < VERIFIED_TTL {
            return Ok(access);
        }
    }
    if !auth.has_failures_left(client) {
        return Err(Refusal::Throttled);
    }
    let found = match token::id_of(presented) {
        None => None,
        Some(id) => {
            let worker = state.clone();
            let (id, presented) = (id.to_string(), presented.to_string());
            tokio::task::spawn_blocking(move || -> Option<Access> {
                let users = worker.store().users_by_token_id(&id).ok()?;
                let user = users
                    .into_iter()
                    .find(|u| u.revoked_at.is_none() && token::verify(&presented, &u.token_hash))?;
                access_of(&user, worker.registry(), worker.auth().options().suppress_k)
            })
            .await
            .ok()
            .flatten()
        }
    };
    match found {
        Some(access) => {
            let access = Arc::new(access);
            if let Ok(mut verified) = auth.verified.lock() {
                verified.put(key, (access.clone(), Instant::now()));
            }
            Ok(access)
        }
        None => {
            auth.record_failure(client);
            Err(Refusal::Invalid)
        }
    }
}

fn access_of(user: &UserRow, registry: &Registry, k: u64) -> Option<Access> {
    let role: Role = user.role.parse().ok()?;
    let scope = Scope::parse(&user.scope, registry).ok()?;
    Some(Access {
        user: user.name.clone(),
        role,
        scope,
        public: false,
        suppress_below: (role == Role::Viewer).then_some(k),
    })
}

/// The guard: authentication, role, scope and audit for every request.
pub async fn guard(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let target = target(&path);
    if matches!(target, Target::Open) {
        return next.run(request).await;
    }
    if matches!(target, Target::NoRoute) {
        return ApiError::NoRoute(path).into_response();
    }
    let facts = RequestFacts {
        method: request.method().to_string(),
        path: path.clone(),
        filter: redact_numbers(request.uri().query().unwrap_or("")),
        client: request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string()),
    };
    let client = facts.client.clone().unwrap_or_default();
    let presented = bearer(request.headers()).map(str::to_string);
    let access: Access = if let Some(presented) = presented {
        match verify(&state, &presented, &client).await {
            Ok(access) => (*access).clone(),
            Err(refusal) => {
                write_audit(&state, vec![facts.audit("auth_failed", 401)]).await;
                return refusal.into_response();
            }
        }
    } else if let Some(access) =
        cookie(request.headers(), SESSION_COOKIE).and_then(|id| state.auth().session(id))
    {
        (*access).clone()
    } else if let Some(public) = state.auth().public_access() {
        public
    } else {
        return match target {
            Target::Page => {
                let next_url = request
                    .uri()
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let encoded: String =
                    form_urlencoded::byte_serialize(next_url.as_bytes()).collect();
                Redirect::to(&format!("/login?next={encoded}")).into_response()
            }
            _ => ApiError::Unauthorized(
                "sign in first: a bearer token or the session cookie / 请先登录".into(),
            )
            .into_response(),
        };
    };
    let per_minute = f64::from(state.auth().options().rate_per_minute);
    let bucket = if access.public {
        format!("public:{client}")
    } else {
        format!("user:{}", access.user)
    };
    if let Err(wait) = state.auth().take(&bucket, per_minute) {
        return ApiError::TooManyRequests(wait).into_response();
    }
    let mut person_level = false;
    if let Target::Api(template) = target {
        let Some(policy) = openapi::policy(template) else {
            return ApiError::NoRoute(path).into_response();
        };
        let writes = !matches!(*request.method(), Method::GET | Method::HEAD);
        let needed = if writes { Role::Admin } else { policy.role };
        let mut refusal = (access.role < needed).then(|| {
            ApiError::Forbidden(format!(
                "this needs the {needed} role; you are {} / 权限不足",
                access.role
            ))
        });
        if refusal.is_none() && policy.scoped {
            match scoped_uri(request.uri(), template, &access, state.registry()) {
                Ok(Some(uri)) => *request.uri_mut() = uri,
                Ok(None) => {}
                Err(e) => refusal = Some(e),
            }
        }
        if let Some(refusal) = refusal {
            write_audit(&state, vec![access.audit("denied", &facts, 403)]).await;
            return refusal.into_response();
        }
        person_level = policy.person_level;
    }
    request.extensions_mut().insert(access.clone());
    let mut response = next.run(request).await;
    let rows = response
        .headers_mut()
        .remove(ROWS_HEADER)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let status = response.status().as_u16();
    let event = if facts.method != "GET" && facts.method != "HEAD" {
        Some("write")
    } else if status == 403 {
        Some("denied")
    } else if person_level && response.status().is_success() {
        Some("read")
    } else {
        None
    };
    if let Some(event) = event {
        let mut entry = access.audit(event, &facts, status);
        entry.rows = rows;
        write_audit(&state, vec![entry]).await;
    }
    if !access.public {
        response.headers_mut().insert(
            header::VARY,
            HeaderValue::from_static("Cookie, Authorization"),
        );
    }
    response
}

/// The request URI with its division parameters limited to the scope: a given one must lie
/// in it (403 otherwise); an absent `code` or `parent` becomes the scope, an absent
/// `province` the scope's province. `None`: nothing to change.
fn scoped_uri(
    uri: &Uri,
    template: &str,
    access: &Access,
    registry: &Registry,
) -> Result<Option<Uri>, ApiError> {
    let check = |value: &str| -> Result<(), ApiError> {
        // A malformed or unknown code is the handler's to report (400/404).
        match value.parse::<DivisionCode>() {
            Ok(code) if registry.get(code).is_some() => access.require(code, registry),
            _ => Ok(()),
        }
    };
    let path = uri.path().strip_prefix("/api/v1").unwrap_or(uri.path());
    for (pattern, segment) in template.split('/').zip(path.split('/')) {
        if pattern == "{code}" {
            check(segment)?;
        }
    }
    let Some(scope) = access.scope.code() else {
        return Ok(None);
    };
    let accepted = allowed(template);
    let mut pairs: Vec<(String, String)> =
        form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let mut changed = false;
    for key in ["code", "parent", "province"] {
        if !accepted.contains(&key) {
            continue;
        }
        let given = pairs.iter().find(|(k, v)| k == key && !v.is_empty());
        if let Some((_, value)) = given {
            check(value)?;
            continue;
        }
        let default = if key == "province" {
            // Batches are declared by provinces: only a province (or the ministry) has them.
            let province = scope.province();
            if province != scope {
                return Err(ApiError::Forbidden(format!(
                    "batches are kept per province; your scope {scope} is below one / 批次按省管理"
                )));
            }
            province
        } else {
            scope
        };
        pairs.retain(|(k, _)| k != key);
        pairs.push((key.to_string(), default.to_string()));
        changed = true;
    }
    if !changed {
        return Ok(None);
    }
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&pairs)
        .finish();
    let rebuilt = format!("{}?{query}", uri.path());
    rebuilt
        .parse::<Uri>()
        .map(Some)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

async fn write_audit(state: &AppState, entries: Vec<AuditEntry>) {
    let worker = state.clone();
    let written = tokio::task::spawn_blocking(move || worker.store().append_audit(&entries)).await;
    if !matches!(written, Ok(Ok(()))) {
        tracing::error!("audit log write failed");
    }
}

/// `POST /auth/login` `{"token": "…"}`: a session cookie for the web.
pub async fn login(State(state): State<AppState>, request: Request) -> Response {
    let facts = RequestFacts {
        method: "POST".into(),
        path: "/auth/login".into(),
        filter: String::new(),
        client: request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string()),
    };
    let Ok(body) = axum::body::to_bytes(request.into_body(), 4096).await else {
        return ApiError::TooLarge("a sign-in body is at most 4096 bytes".into()).into_response();
    };
    let presented = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("token")?.as_str().map(str::to_string));
    let Some(presented) = presented else {
        return ApiError::bad("token", "send JSON {\"token\": \"…\"}").into_response();
    };
    let client = facts.client.clone().unwrap_or_default();
    match verify(&state, presented.trim(), &client).await {
        Ok(access) => {
            write_audit(&state, vec![access.audit("login", &facts, 204)]).await;
            let id = state.auth().new_session(access);
            let secure = if state.auth().options().secure_cookie {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!(
                "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
                SESSION_TTL.as_secs()
            );
            (StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response()
        }
        Err(refusal) => {
            write_audit(&state, vec![facts.audit("auth_failed", 401)]).await;
            refusal.into_response()
        }
    }
}

/// `POST /auth/logout`: ends the session.
pub async fn logout(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        state.auth().end_session(id);
    }
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    (StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response()
}

/// `GET /auth/me`: who is signed in.
pub async fn me(State(state): State<AppState>, access: Access) -> Json<Value> {
    Json(json!({
        "name": access.user,
        "role": access.role,
        "role_zh": access.role.name_zh(),
        "scope": {"code": access.scope.to_string(), "name": access.scope.name(state.registry())},
        "suppress_below": access.suppress_below,
        "public": access.public,
    }))
}

/// A user name: 1–64 characters, no spaces or control characters, not `public`.
fn check_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.chars().count() <= 64
        && !name
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '/')
        && name != "public";
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad(
            "name",
            "a user name is 1–64 characters without spaces, / or control characters (not \"public\")",
        ))
    }
}

/// Creates a user and returns its token (shown once; only its hash is stored).
pub fn create_user(
    store: &Store,
    registry: &Registry,
    name: &str,
    role: &str,
    scope: &str,
    created_by: &str,
) -> Result<(UserRow, String), ApiError> {
    check_name(name)?;
    let role: Role = role.parse().map_err(|e: String| ApiError::bad("role", e))?;
    let scope = Scope::parse(scope, registry).map_err(|e| ApiError::bad("scope", e))?;
    if store.users()?.iter().any(|u| u.name == name) {
        return Err(ApiError::Conflict(format!("user {name:?} exists")));
    }
    let (token_id, secret) = token::generate();
    let row = UserRow {
        name: name.to_string(),
        role: role.id().to_string(),
        scope: scope.to_string(),
        token_id,
        token_hash: token::hash(&secret).map_err(ApiError::Internal)?,
        created_by: created_by.to_string(),
        created_at: String::new(),
        revoked_at: None,
    };
    store.add_user(&row)?;
    Ok((row, secret))
}

/// On a database without users: creates `admin` (ministry scope) and writes its token to
/// `token_file` (owner-only). Returns whether it did.
pub fn ensure_first_admin(
    store: &Store,
    registry: &Registry,
    token_file: &std::path::Path,
) -> anyhow::Result<bool> {
    if !store.users()?.is_empty() {
        return Ok(false);
    }
    let (_, secret) = create_user(
        store,
        registry,
        "admin",
        "admin",
        Scope::NATIONAL_CODE,
        "setup",
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    write_private(token_file, &format!("{secret}\n"))?;
    Ok(true)
}

/// Writes a file only its owner can read.
pub fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_classified_for_the_guard() {
        assert!(matches!(target("/api/v1/stats"), Target::Api("/stats")));
        assert!(matches!(target("/api/v1/nothing"), Target::NoRoute));
        assert!(matches!(target("/api/v2/stats"), Target::NoRoute));
        assert!(matches!(target("/tiles/division/3/6/3.mvt"), Target::Tiles));
        assert!(matches!(target("/county/330106"), Target::Page));
        assert!(matches!(target("/"), Target::Page));
        assert!(matches!(target("/login"), Target::Open));
        assert!(matches!(target("/app.js"), Target::Open));
        assert!(matches!(target("/auth/me"), Target::Me));
    }

    #[test]
    fn cookies_and_bearer_tokens_are_read_from_headers() {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=1; shikong_session=abc; b=2".parse().unwrap(),
        );
        headers.insert(header::AUTHORIZATION, "Bearer skt_x".parse().unwrap());
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "c"), None);
        assert_eq!(bearer(&headers), Some("skt_x"));
    }

    #[test]
    fn a_bucket_refuses_beyond_its_rate() {
        let auth = Auth::new(AuthOptions::default());
        for _ in 0..3 {
            assert!(auth.take("k", 3.0).is_ok());
        }
        let wait = auth.take("k", 3.0).unwrap_err();
        assert!((1..=20).contains(&wait), "{wait}");
        assert!(auth.take("other", 3.0).is_ok());
    }

    #[test]
    fn long_digit_runs_are_masked_in_audit_filters() {
        assert_eq!(redact_numbers("code=330106&limit=5"), "code=330106&limit=5");
        assert_eq!(
            redact_numbers("q=33010619410101997X&x=1"),
            "q=330106********997X&x=1"
        );
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("张三").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("a b").is_err());
        assert!(check_name("public").is_err());
    }
}
