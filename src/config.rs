//! Configuration: command-line flags and environment variables (parsed by clap in main),
//! over an optional TOML file, over defaults.

use serde::Deserialize;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// Settings a TOML file may carry; every field optional.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Directory for the database file and the HMAC key.
    pub data_dir: Option<PathBuf>,
    /// Address to bind.
    pub bind: Option<IpAddr>,
    /// Port to listen on.
    pub port: Option<u16>,
    /// File holding the HMAC key for person identifiers.
    pub hmac_key_file: Option<PathBuf>,
    /// Directory of the built web front end.
    pub web_dir: Option<PathBuf>,
    /// Synthetic records for the embedded default dataset.
    pub records: Option<u64>,
    /// Seed of the synthetic dataset.
    pub seed: Option<u64>,
    /// PMTiles archives to serve as tile sets named by their file stem.
    pub pmtiles: Option<Vec<PathBuf>>,
    /// Memory for the tile cache, MiB (0 turns caching off).
    pub tile_cache_mb: Option<u64>,
    /// Serve anonymous visitors the public aggregate view (suppressed, whole country).
    pub public_view: Option<bool>,
    /// Counts 1..k−1 are suppressed for viewers and the public view.
    pub suppress_k: Option<u64>,
    /// Requests per minute per user (0 = no limit).
    pub rate_limit_per_minute: Option<u32>,
    /// Mark the session cookie Secure (when served over HTTPS).
    pub secure_cookie: Option<bool>,
    /// DuckDB's working memory, MiB (beyond it sorts, joins and aggregates spill to disk).
    pub db_memory_mb: Option<u64>,
}

/// Resolved settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Directory for the database file and the HMAC key.
    pub data_dir: PathBuf,
    /// Address to bind.
    pub bind: IpAddr,
    /// Port to listen on (0 = any free port).
    pub port: u16,
    /// File holding the HMAC key for person identifiers.
    pub hmac_key_file: PathBuf,
    /// Directory of the built web front end.
    pub web_dir: PathBuf,
    /// Synthetic records for the embedded default dataset.
    pub records: u64,
    /// Seed of the synthetic dataset.
    pub seed: u64,
    /// PMTiles archives to serve as tile sets named by their file stem.
    pub pmtiles: Vec<PathBuf>,
    /// Memory for the tile cache, MiB (0 turns caching off).
    pub tile_cache_mb: u64,
    /// Sign-in, public view, suppression and rate limits.
    pub auth: crate::api::auth::AuthOptions,
    /// DuckDB's working memory, MiB (beyond it sorts, joins and aggregates spill to disk).
    pub db_memory_mb: u64,
}

/// DuckDB's working memory unless configured: bounded, so that the server stays under 4 GiB
/// at 10⁸ records, where its in-memory columns take 1.8 GB (DuckDB's own default is 80% of
/// the machine's memory; it spills sorts, joins and aggregates to disk beyond its limit).
pub const DEFAULT_DB_MEMORY_MB: u64 = 512;

/// Default port.
pub const DEFAULT_PORT: u16 = 8080;

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The TOML file cannot be read.
    #[error("cannot read config file {0}: {1}")]
    Read(PathBuf, std::io::Error),
    /// The TOML file is malformed or has unknown keys.
    #[error("config file {0}: {1}")]
    Parse(PathBuf, toml::de::Error),
    /// A value is out of range.
    #[error("config: {0}")]
    Invalid(String),
}

impl Config {
    /// Merges flags/env (`overrides`, already merged by clap) over the file over defaults.
    pub fn resolve(file: Option<&Path>, overrides: FileConfig) -> Result<Config, ConfigError> {
        let from_file = match file {
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|e| ConfigError::Read(path.into(), e))?;
                toml::from_str::<FileConfig>(&text)
                    .map_err(|e| ConfigError::Parse(path.into(), e))?
            }
            None => FileConfig::default(),
        };
        let data_dir = overrides
            .data_dir
            .or(from_file.data_dir)
            .unwrap_or_else(|| PathBuf::from("data"));
        let hmac_key_file = overrides
            .hmac_key_file
            .or(from_file.hmac_key_file)
            .unwrap_or_else(|| data_dir.join("hmac.key"));
        let records = overrides.records.or(from_file.records).unwrap_or(3_000_000);
        if records == 0 || records > 2_000_000_000 {
            return Err(ConfigError::Invalid(format!(
                "records must be 1..=2000000000, got {records}"
            )));
        }
        let tile_cache_mb = overrides
            .tile_cache_mb
            .or(from_file.tile_cache_mb)
            .unwrap_or(256);
        if tile_cache_mb > 1 << 20 {
            return Err(ConfigError::Invalid(format!(
                "tile_cache_mb must be at most 1048576, got {tile_cache_mb}"
            )));
        }
        let db_memory_mb = overrides
            .db_memory_mb
            .or(from_file.db_memory_mb)
            .unwrap_or(DEFAULT_DB_MEMORY_MB);
        if !(64..=1 << 24).contains(&db_memory_mb) {
            return Err(ConfigError::Invalid(format!(
                "db_memory_mb must be 64..=16777216, got {db_memory_mb}"
            )));
        }
        let defaults = crate::api::auth::AuthOptions::default();
        let suppress_k = overrides
            .suppress_k
            .or(from_file.suppress_k)
            .unwrap_or(defaults.suppress_k);
        if !(1..=1000).contains(&suppress_k) {
            return Err(ConfigError::Invalid(format!(
                "suppress_k must be 1..=1000, got {suppress_k}"
            )));
        }
        let auth = crate::api::auth::AuthOptions {
            public_view: overrides
                .public_view
                .or(from_file.public_view)
                .unwrap_or(defaults.public_view),
            suppress_k,
            rate_per_minute: overrides
                .rate_limit_per_minute
                .or(from_file.rate_limit_per_minute)
                .unwrap_or(defaults.rate_per_minute),
            secure_cookie: overrides
                .secure_cookie
                .or(from_file.secure_cookie)
                .unwrap_or(defaults.secure_cookie),
        };
        Ok(Config {
            auth,
            db_memory_mb,
            pmtiles: overrides.pmtiles.or(from_file.pmtiles).unwrap_or_default(),
            tile_cache_mb,
            bind: overrides
                .bind
                .or(from_file.bind)
                .unwrap_or(IpAddr::from([127, 0, 0, 1])),
            port: overrides.port.or(from_file.port).unwrap_or(DEFAULT_PORT),
            web_dir: overrides.web_dir.or(from_file.web_dir).unwrap_or_else(|| {
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("web")
                    .join("dist")
            }),
            records,
            seed: overrides
                .seed
                .or(from_file.seed)
                .unwrap_or(crate::datasets::synthetic::DEFAULT_SEED),
            data_dir,
            hmac_key_file,
        })
    }

    /// The database file.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("shikong.duckdb")
    }

    /// Opens the database file at `path` with the configured memory limit.
    pub fn open_store(&self, path: &Path) -> Result<crate::store::Store, crate::store::StoreError> {
        crate::store::Store::open_with_memory(path, Some(self.db_memory_mb))
    }

    /// Where the first administrator's token is written (owner-only) when the database has
    /// no users yet.
    pub fn admin_token_path(&self) -> PathBuf {
        self.data_dir.join("admin.token")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_file_override_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("shikong.toml");
        std::fs::write(
            &file,
            "port = 9000\ndata_dir = \"/srv/shikong\"\nrecords = 1000\n",
        )
        .unwrap();
        let config = Config::resolve(
            Some(&file),
            FileConfig {
                port: Some(9100),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(config.port, 9100);
        assert_eq!(config.data_dir, PathBuf::from("/srv/shikong"));
        assert_eq!(config.hmac_key_file, PathBuf::from("/srv/shikong/hmac.key"));
        assert_eq!(config.records, 1000);
        let defaults = Config::resolve(None, FileConfig::default()).unwrap();
        assert_eq!(defaults.port, DEFAULT_PORT);
    }

    #[test]
    fn bad_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "prot = 9000\n").unwrap();
        let err = Config::resolve(Some(&file), FileConfig::default()).unwrap_err();
        assert!(err.to_string().contains("prot"), "{err}");
        assert!(Config::resolve(
            Some(&dir.path().join("missing.toml")),
            FileConfig::default()
        )
        .is_err());
        let zero = FileConfig {
            records: Some(0),
            ..Default::default()
        };
        assert!(Config::resolve(None, zero).is_err());
    }
}
