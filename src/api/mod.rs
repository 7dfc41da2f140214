//! HTTP: axum routes over the analytics layer, the web front end as static files.
//! The only module that knows HTTP.

pub mod auth;
mod caching;
pub mod error;
pub mod openapi;
pub mod params;
mod routes;
pub mod tile_sets;

pub use error::ApiError;

use crate::analytics::facilities::FacilityIndex;
use crate::analytics::snapshot::Snapshot;
use crate::datasets::boundaries::parse_geometry_texts;
use crate::domain::{DivisionCode, Level, Month, Registry};
use crate::store::{DivisionFacts, Store, StoreError};
use axum::Router;
use geo::MultiPolygon;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

/// How the server serves, beyond its data.
#[derive(Default)]
pub struct ServeOptions {
    /// Bytes of encoded tiles kept in memory (0 = no tile cache).
    pub tile_cache_bytes: usize,
    /// PMTiles archives served as tile sets, by set name.
    pub archives: HashMap<String, crate::tiles::pmtiles::Archive>,
    /// Keyed hash of ID numbers: uploads (`POST /api/v1/batches`) are taken only with it.
    pub hasher: Option<crate::domain::identity::PersonHasher>,
    /// Sign-in, public view, suppression and rate limits.
    pub auth: auth::AuthOptions,
}

/// Hexagon aggregates and county coverage cells kept for reuse (each is a whole month's or
/// county's computation; tiles cut from them are cached separately).
const AGGREGATE_CACHE_ENTRIES: usize = 16;
const COVERAGE_CACHE_ENTRIES: usize = 512;
const GOVERNANCE_CACHE_ENTRIES: usize = 64;
const DISCLOSURE_CACHE_ENTRIES: usize = 256;

/// A small LRU of computed values by key, shared across requests. One computation per key
/// at a time: requests for a key being made wait for it instead of making it again (at 10⁸
/// records a hexagon aggregate takes seconds and hundreds of MB; a map view asks for it from
/// several tiles at once). Other keys are never blocked.
struct Memo<V> {
    entries: Mutex<lru::LruCache<String, Arc<Slot<V>>>>,
}

/// A key's value once made (empty while being made, or after a failure).
type Slot<V> = Mutex<Option<Arc<V>>>;

impl<V> Memo<V> {
    fn new(capacity: usize) -> Memo<V> {
        Memo {
            entries: Mutex::new(lru::LruCache::new(
                std::num::NonZeroUsize::new(capacity.max(1)).expect("non-zero"),
            )),
        }
    }

    fn get_or_make<E>(
        &self,
        key: String,
        make: impl FnOnce() -> Result<V, E>,
    ) -> Result<Arc<V>, E> {
        let slot = match self.entries.lock() {
            Ok(mut entries) => entries
                .get_or_insert(key, || Arc::new(Mutex::new(None)))
                .clone(),
            Err(_) => Arc::new(Mutex::new(None)),
        };
        let mut value = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(hit) = value.as_ref() {
            return Ok(hit.clone());
        }
        // Made while holding this key's slot: concurrent askers wait here. A failure leaves
        // the slot empty for the next one to try.
        let made = Arc::new(make()?);
        *value = Some(made.clone());
        Ok(made)
    }

    fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

/// What changes when a batch lands: the data's facts, the in-memory intervals and facilities.
struct Live {
    data: Arc<DataInfo>,
    snapshot: Arc<Snapshot>,
    facilities: Arc<FacilityIndex>,
}

impl Live {
    fn load(store: &Store) -> Result<Live, StoreError> {
        Ok(Live {
            data: Arc::new(DataInfo::read(store)?),
            snapshot: Arc::new(
                Snapshot::load(store).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            ),
            facilities: Arc::new(FacilityIndex::new(store.load_facilities()?)),
        })
    }
}

/// Facts about the loaded data, read at start and after each batch.
#[derive(Debug, Clone)]
pub struct DataInfo {
    /// First month with data.
    pub first_month: Month,
    /// Last month with data.
    pub last_month: Month,
    /// Changes whenever the data changes (cache keys, ETags).
    pub data_version: String,
    /// Rows stored.
    pub records: u64,
}

impl DataInfo {
    /// Reads them from the database's meta table.
    pub fn read(store: &Store) -> Result<DataInfo, StoreError> {
        let month = |key: &str| -> Result<Month, StoreError> {
            store
                .meta(key)?
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| StoreError::Corrupt(format!("database has no {key}")))
        };
        // Batches of earlier months (history loaded by a province) open those months.
        let earliest_slice = store
            .earliest_slice_month()?
            .and_then(|m| m.parse::<Month>().ok());
        let first_month = month("first_month")?;
        Ok(DataInfo {
            first_month: earliest_slice.map_or(first_month, |m| m.min(first_month)),
            last_month: month("last_month")?,
            data_version: store.meta("data_version")?.unwrap_or_default(),
            records: store.record_counts()?.iter().map(|(_, n)| n).sum(),
        })
    }
}

/// Shared, read-mostly state of the server.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

/// (level, parent, tolerance in micro-degrees): what a simplified boundary collection depends on.
type BoundaryKey = (Level, Option<DivisionCode>, u64);

struct Inner {
    store: Store,
    registry: Registry,
    geometries: HashMap<DivisionCode, MultiPolygon<f64>>,
    facts: HashMap<DivisionCode, DivisionFacts>,
    /// Each level's divisions with bounding boxes: the candidates of a division tile.
    level_boxes: crate::tiles::division::LevelBoxes,
    live: std::sync::RwLock<Arc<Live>>,
    /// Reference data for uploads, loaded on the first one.
    ingest_refs: std::sync::OnceLock<Arc<crate::ingest::References>>,
    hasher: Option<crate::domain::identity::PersonHasher>,
    /// One upload at a time: batches are serialised, as DuckDB has one writer.
    ingest_lock: tokio::sync::Mutex<()>,
    tile_cache: crate::tiles::TileCache,
    hex_indexes: Memo<crate::tiles::HexIndex>,
    coverage_cells: Memo<Vec<crate::tiles::CoverageCell>>,
    division_values: Memo<HashMap<DivisionCode, f64>>,
    /// Sessions, verified tokens, rate buckets.
    auth: auth::Auth,
    /// Small-count suppression masks by kinds, month and k.
    disclosures: Memo<crate::analytics::suppression::Disclosure>,
    /// Governance results (quality, reconciliation, comparisons) by query and versions.
    governance: Memo<serde_json::Value>,
    /// Bumped by every write that changes governance results without a new data version
    /// (declarations, reference lists, rejected batches).
    governance_version: std::sync::atomic::AtomicU64,
    /// Boundaries in world Web-Mercator units simplified for each zoom up to
    /// [`crate::tiles::division::PRESIMPLIFY_MAX_ZOOM`], then unsimplified for the zooms
    /// beyond; made on first use.
    zoom_geometries: Vec<std::sync::OnceLock<HashMap<DivisionCode, MultiPolygon<f64>>>>,
    archives: HashMap<String, Arc<crate::tiles::pmtiles::Archive>>,
    web_dir: PathBuf,
    /// Simplified boundary collections by (level, parent, tolerance in micro-degrees).
    boundary_cache: Mutex<HashMap<BoundaryKey, Arc<String>>>,
}

impl AppState {
    /// Builds the state over an open store: the division tree, boundaries and facts are read
    /// once into memory.
    pub fn new(
        store: Store,
        web_dir: PathBuf,
        options: ServeOptions,
    ) -> Result<AppState, StoreError> {
        let registry = store.load_registry()?;
        let geometries = parse_geometry_texts(store.load_geometries()?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let facts = store.load_division_facts()?.into_iter().collect();
        let level_boxes = crate::tiles::division::LevelBoxes::new(&registry, &facts);
        let live = Live::load(&store)?;
        Ok(AppState {
            inner: Arc::new(Inner {
                store,
                registry,
                geometries,
                facts,
                level_boxes,
                live: std::sync::RwLock::new(Arc::new(live)),
                ingest_refs: std::sync::OnceLock::new(),
                hasher: options.hasher,
                ingest_lock: tokio::sync::Mutex::new(()),
                tile_cache: crate::tiles::TileCache::new(options.tile_cache_bytes),
                hex_indexes: Memo::new(AGGREGATE_CACHE_ENTRIES),
                coverage_cells: Memo::new(COVERAGE_CACHE_ENTRIES),
                division_values: Memo::new(AGGREGATE_CACHE_ENTRIES),
                auth: auth::Auth::new(options.auth),
                disclosures: Memo::new(DISCLOSURE_CACHE_ENTRIES),
                governance: Memo::new(GOVERNANCE_CACHE_ENTRIES),
                governance_version: std::sync::atomic::AtomicU64::new(0),
                zoom_geometries: (0..=crate::tiles::division::PRESIMPLIFY_MAX_ZOOM + 1)
                    .map(|_| std::sync::OnceLock::new())
                    .collect(),
                archives: options
                    .archives
                    .into_iter()
                    .map(|(name, a)| (name, Arc::new(a)))
                    .collect(),
                web_dir,
                boundary_cache: Mutex::default(),
            }),
        })
    }

    pub(crate) fn auth(&self) -> &auth::Auth {
        &self.inner.auth
    }

    /// What viewers with threshold `k` may not see of a month's figures for `kinds` (as of
    /// `as_of` within the month), made once per data version.
    pub fn disclosure(
        &self,
        kinds: &[crate::domain::Kind],
        month: Month,
        as_of: Option<chrono::NaiveDate>,
        k: u64,
    ) -> Arc<crate::analytics::suppression::Disclosure> {
        let mut ids: Vec<&str> = kinds.iter().map(|k| k.id()).collect();
        ids.sort_unstable();
        let key = format!("{}|{month}|{as_of:?}|{k}", ids.join(","));
        let made = self.inner.disclosures.get_or_make(key, || {
            let per_leaf = self.snapshot().month_counts(kinds, month, as_of);
            Ok::<_, std::convert::Infallible>(crate::analytics::suppression::Disclosure::new(
                &per_leaf,
                self.registry(),
                k,
            ))
        });
        match made {
            Ok(mask) => mask,
            Err(never) => match never {},
        }
    }

    /// The tile cache.
    pub fn tile_cache(&self) -> &crate::tiles::TileCache {
        &self.inner.tile_cache
    }

    /// A PMTiles archive served as tile set `name`.
    pub fn archive(&self, name: &str) -> Option<&Arc<crate::tiles::pmtiles::Archive>> {
        self.inner.archives.get(name)
    }

    /// Names of the served PMTiles archives.
    pub fn archive_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.inner.archives.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// The hexagon aggregate under `key`, made by `make` when not kept.
    pub fn hex_index(
        &self,
        key: String,
        make: impl FnOnce() -> crate::tiles::HexIndex,
    ) -> Arc<crate::tiles::HexIndex> {
        match self
            .inner
            .hex_indexes
            .get_or_make(key, || Ok::<_, std::convert::Infallible>(make()))
        {
            Ok(index) => index,
            Err(never) => match never {},
        }
    }

    /// A county's coverage cells under `key`, made by `make` when not kept.
    pub fn coverage_cells<E>(
        &self,
        key: String,
        make: impl FnOnce() -> Result<Vec<crate::tiles::CoverageCell>, E>,
    ) -> Result<Arc<Vec<crate::tiles::CoverageCell>>, E> {
        self.inner.coverage_cells.get_or_make(key, make)
    }

    /// A statistic per division under `key` (one per query and level: every tile of the
    /// level shares it), made by `make` when not kept.
    pub fn division_values<E>(
        &self,
        key: String,
        make: impl FnOnce() -> Result<HashMap<DivisionCode, f64>, E>,
    ) -> Result<Arc<HashMap<DivisionCode, f64>>, E> {
        self.inner.division_values.get_or_make(key, make)
    }

    /// Boundaries as drawn at zoom `z`, in world Web-Mercator units: simplified once per zoom
    /// below the pixel size up to [`crate::tiles::division::PRESIMPLIFY_MAX_ZOOM`], full
    /// beyond.
    pub fn geometries_for_zoom(&self, z: u8) -> &HashMap<DivisionCode, MultiPolygon<f64>> {
        use crate::tiles::division::{simplify_for_zoom, world_boundaries, PRESIMPLIFY_MAX_ZOOM};
        let band = z.min(PRESIMPLIFY_MAX_ZOOM + 1);
        self.inner.zoom_geometries[usize::from(band)].get_or_init(|| {
            if band > PRESIMPLIFY_MAX_ZOOM {
                world_boundaries(&self.inner.geometries)
            } else {
                simplify_for_zoom(&self.inner.geometries, band)
            }
        })
    }

    /// Boundaries in lon/lat by code.
    pub fn geometries(&self) -> &HashMap<DivisionCode, MultiPolygon<f64>> {
        &self.inner.geometries
    }

    fn live(&self) -> Arc<Live> {
        match self.inner.live.read() {
            Ok(live) => live.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The records' intervals in memory.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.live().snapshot.clone()
    }

    /// Facilities with their spatial index.
    pub fn facilities(&self) -> Arc<FacilityIndex> {
        self.live().facilities.clone()
    }

    /// Re-reads what a batch changes and drops every value computed from the old data.
    pub fn reload(&self) -> Result<(), StoreError> {
        let live = Arc::new(Live::load(&self.inner.store)?);
        match self.inner.live.write() {
            Ok(mut slot) => *slot = live,
            Err(poisoned) => *poisoned.into_inner() = live,
        }
        self.inner.hex_indexes.clear();
        self.inner.coverage_cells.clear();
        self.inner.division_values.clear();
        self.inner.governance.clear();
        self.inner.disclosures.clear();
        Ok(())
    }

    /// A governance result under `key` for the current data and governance version, made by
    /// `make` when not kept.
    pub fn governance<E>(
        &self,
        key: &str,
        make: impl FnOnce() -> Result<serde_json::Value, E>,
    ) -> Result<Arc<serde_json::Value>, E> {
        let version = self
            .inner
            .governance_version
            .load(std::sync::atomic::Ordering::Acquire);
        let key = format!("{key}|{}|{version}", self.data().data_version);
        self.inner.governance.get_or_make(key, make)
    }

    /// Marks governance results stale (a declaration, reference list or batch was written).
    pub fn governance_changed(&self) {
        self.inner
            .governance_version
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        self.inner.governance.clear();
    }

    /// Reference data for uploads (loaded on first use), or `None` when the server has no
    /// ID-number key.
    pub fn ingest_refs(&self) -> Result<Option<Arc<crate::ingest::References>>, StoreError> {
        let Some(hasher) = &self.inner.hasher else {
            return Ok(None);
        };
        if let Some(refs) = self.inner.ingest_refs.get() {
            return Ok(Some(refs.clone()));
        }
        let refs = Arc::new(crate::ingest::References::load(
            &self.inner.store,
            hasher.clone(),
        )?);
        Ok(Some(self.inner.ingest_refs.get_or_init(|| refs).clone()))
    }

    /// Held while a batch is loaded.
    pub async fn ingest_lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.inner.ingest_lock.lock().await
    }

    /// Facts of every division.
    pub fn all_facts(&self) -> &HashMap<DivisionCode, DivisionFacts> {
        &self.inner.facts
    }

    /// Each level's divisions with their bounding boxes.
    pub fn level_boxes(&self) -> &crate::tiles::division::LevelBoxes {
        &self.inner.level_boxes
    }

    /// Centroid, bounding box and area of a division.
    pub fn facts(&self, code: DivisionCode) -> Option<&DivisionFacts> {
        self.inner.facts.get(&code)
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The division tree.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// Facts about the data.
    pub fn data(&self) -> Arc<DataInfo> {
        self.live().data.clone()
    }
}

/// Computes what the dashboard's governance tiles ask for first, so the first visit after a
/// start does not wait for the scans (call from a background thread).
pub fn warm_governance(state: &AppState) {
    if let Err(e) = routes::warm_governance(state) {
        tracing::warn!(error = %e, "governance warm-up failed");
    }
}

/// The application router.
pub fn router(state: AppState) -> Router {
    use axum::http::{header, HeaderName, HeaderValue};
    use tower_http::set_header::SetResponseHeaderLayer;
    let web_dir = state.inner.web_dir.clone();
    let security_headers = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    let mut router = routes::ledger_routes()
        .merge(
            routes::routes(state.clone(), web_dir)
                // Bodies beyond 1 MiB are refused with 413 before any handler runs (uploads
                // have their own limit), and answers taking over a minute end with 503.
                .layer(RequestBodyLimitLayer::new(1 << 20))
                .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    REQUEST_TIMEOUT,
                )),
        )
        .merge(routes::auth_routes())
        // Every request passes the access guard first (CORS is off: no cross-origin headers).
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::guard,
        ))
        .with_state(state);
    for (name, value) in security_headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    router
        .layer(CompressionLayer::new())
        // Request spans name the method and path, never the query string: a mistyped
        // request could carry anything, and logs must not hold personal data.
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
                tracing::debug_span!(
                    "request",
                    method = %request.method(),
                    path = %request.uri().path(),
                )
            }),
        )
}

/// Scripts and styles only from the server itself (no inline scripts); MapLibre's workers
/// are blob URLs; nothing may frame the pages.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; worker-src 'self' blob:; \
    child-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; \
    base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Longest a request other than an upload may take.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Binds and serves until Ctrl-C. Prints the URL on stdout once listening.
pub async fn serve(state: AppState, addr: SocketAddr) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    println!("shikong listening on http://{local}/");
    tracing::info!(%local, "listening");
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
