//! The `shikong` command: parses the command line and calls the library.

use clap::{Args, Parser, Subcommand};
use shikong::config::{Config, FileConfig};
use std::net::IpAddr;
use std::path::PathBuf;

/// 时空 shikong — spatio-temporal analytics server for civil-affairs (民政) data.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// TOML configuration file (flags and environment variables override it).
    #[arg(long, global = true, env = "SHIKONG_CONFIG")]
    config: Option<PathBuf>,
    /// Directory of the database file and the HMAC key [default: data].
    #[arg(long, global = true, env = "SHIKONG_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// File with the HMAC key for person identifiers [default: DATA_DIR/hmac.key, created if missing].
    #[arg(long, global = true, env = "SHIKONG_HMAC_KEY_FILE")]
    hmac_key_file: Option<PathBuf>,
    /// DuckDB's working memory in MiB; beyond it sorts, joins and aggregates spill to disk [default: 512].
    #[arg(long, global = true, env = "SHIKONG_DB_MEMORY_MB")]
    db_memory_mb: Option<u64>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone, Default)]
struct DataArgs {
    /// Synthetic records of the default dataset [default: 3000000].
    #[arg(long, env = "SHIKONG_RECORDS")]
    records: Option<u64>,
    /// Seed of the synthetic dataset.
    #[arg(long, env = "SHIKONG_SEED")]
    seed: Option<u64>,
}

#[derive(Subcommand)]
enum Command {
    /// Build the database if missing, then serve API and web on one port.
    Serve {
        /// Address to bind [default: 127.0.0.1].
        #[arg(long, env = "SHIKONG_BIND")]
        bind: Option<IpAddr>,
        /// Port [default: 8080; 0 picks a free port].
        #[arg(long, env = "SHIKONG_PORT")]
        port: Option<u16>,
        /// Directory of the built web front end [default: web/dist of the source tree].
        #[arg(long, env = "SHIKONG_WEB_DIR")]
        web_dir: Option<PathBuf>,
        /// Serve a PMTiles archive as the tile set named by its file stem (repeatable).
        #[arg(long = "pmtiles", value_name = "FILE")]
        pmtiles: Vec<PathBuf>,
        /// Memory for the tile cache in MiB (0 turns caching off).
        #[arg(long, env = "SHIKONG_TILE_CACHE_MB")]
        tile_cache_mb: Option<u64>,
        /// Serve anonymous visitors the public aggregate view (suppressed counts, no sign-in).
        #[arg(long, env = "SHIKONG_PUBLIC_VIEW")]
        public_view: Option<bool>,
        /// Suppress counts 1..k-1 for viewers and the public view [default: 5].
        #[arg(long, env = "SHIKONG_SUPPRESS_K")]
        suppress_k: Option<u64>,
        /// Requests per minute per user; 0 = no limit [default: 6000; a map view loads ~100 tiles].
        #[arg(long, env = "SHIKONG_RATE_LIMIT")]
        rate_limit: Option<u32>,
        /// Mark the session cookie Secure (behind HTTPS).
        #[arg(long, env = "SHIKONG_SECURE_COOKIE")]
        secure_cookie: Option<bool>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Users and their access tokens: add, list, revoke (while the server is stopped; a
    /// running server has `/api/v1/users`).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Build the database (boundaries + synthetic data) if missing or built with other settings.
    Init {
        /// Rebuild even if a matching database exists.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Rebuild the database with a synthetic dataset of the given size (e.g. 100000000).
    Generate {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Assign points to counties: a CSV file (columns lon,lat), or every stored record.
    Assign {
        /// CSV with a header naming lon and lat; other columns pass through.
        #[arg(long, requires = "output")]
        input: Option<PathBuf>,
        /// Output CSV: the input columns plus county_code and h3.
        #[arg(long, requires = "input")]
        output: Option<PathBuf>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Validate a file of service objects and land it as one batch (all rows or none).
    Ingest {
        /// CSV, GeoJSON or (Geo)Parquet file.
        file: PathBuf,
        /// Kind of every row (dibao, tekun, elderly_care, …).
        #[arg(long)]
        kind: String,
        /// Declaring province code: rows of other provinces are rejected.
        #[arg(long)]
        province: Option<u32>,
        /// Month the file reports (YYYY-MM): rows not in force in it are rejected.
        #[arg(long)]
        month: Option<String>,
        /// Replace the province×kind×month slice loaded before.
        #[arg(long, requires_all = ["province", "month"])]
        replace: bool,
        /// csv, geojson, parquet, xlsx or xls [default: from the file's first bytes].
        #[arg(long)]
        format: Option<String>,
        /// CSV text encoding: auto, utf-8, gb18030 or utf-16.
        #[arg(long, default_value = "auto")]
        encoding: String,
        /// Coordinate system of the points: wgs84, gcj02 or bd09.
        #[arg(long, default_value = "wgs84")]
        crs: String,
        /// Metres a point may lie outside its declared county without a finding.
        #[arg(long, default_value_t = 1000.0)]
        tolerance_m: f64,
        /// Problem report file (.csv or .xlsx) [default: DATA_DIR/reports/batch-N-problems.csv].
        #[arg(long)]
        report: Option<PathBuf>,
        /// Who loads the file (for the ledger).
        #[arg(long, default_value = "cli")]
        who: String,
        /// Check only (预检): validate every row and write the problem report, store nothing.
        #[arg(long, conflicts_with = "replace")]
        check: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Declare a province's count (and identity checksum) for a kind and month (部省对账).
    Declare {
        /// Province code.
        #[arg(long)]
        province: u32,
        /// Kind.
        #[arg(long)]
        kind: String,
        /// Month (YYYY-MM).
        #[arg(long)]
        month: String,
        /// Rows the province holds.
        #[arg(long)]
        count: u64,
        /// Identity checksum (16 hex digits, see `shikong checksum`).
        #[arg(long)]
        checksum: Option<String>,
        /// Who declares.
        #[arg(long, default_value = "cli")]
        who: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Print the rows and identity checksum of a CSV file, as a province declares them.
    Checksum {
        /// CSV file of one kind.
        file: PathBuf,
        /// Kind of its rows.
        #[arg(long)]
        kind: String,
        /// Text encoding: auto, utf-8, gb18030 or utf-16.
        #[arg(long, default_value = "auto")]
        encoding: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Load a reference list for 数据比对 (CSV id_number,date; e.g. a death register).
    Reference {
        /// CSV file.
        file: PathBuf,
        /// Name of the list (e.g. 死亡人员名单).
        #[arg(long)]
        name: String,
        /// Text encoding: auto, utf-8, gb18030 or utf-16.
        #[arg(long, default_value = "auto")]
        encoding: String,
        /// Who loads it.
        #[arg(long, default_value = "cli")]
        who: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Export for a distributed engine.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Load aggregates a distributed engine computed over an export (Parquet: county_code,
    /// kind, month, records), to be served at /api/v1/stats/imported.
    ImportStats {
        /// Directory of the engine's Parquet files.
        dir: PathBuf,
        /// Name the aggregates are kept and served under.
        #[arg(long, default_value = "spark")]
        source: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Vector tiles.
    Tiles {
        #[command(subcommand)]
        command: TilesCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user and print its access token (shown once; only its hash is stored).
    Add {
        /// Unique name.
        name: String,
        /// 000000 (the ministry), or a province, prefecture or county code.
        #[arg(long)]
        scope: String,
        /// viewer (aggregates, small counts suppressed), caseworker (masked person-level
        /// rows in scope) or admin (also ingest, governance, users, audit).
        #[arg(long)]
        role: String,
    },
    /// List users (never their tokens).
    List,
    /// Revoke a user's token.
    Revoke {
        /// The user.
        name: String,
    },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Every record and boundary as Hive-partitioned GeoParquet (province=…/month=…/).
    Parquet {
        /// Output directory (its records/ must not exist yet).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
enum TilesCommand {
    /// Write tile sets to a PMTiles v3 archive (one tile holds every chosen set's layer).
    Export {
        /// Output archive.
        #[arg(long)]
        out: PathBuf,
        /// Tile sets, comma-separated: division, hex, facility, coverage.
        #[arg(long, value_delimiter = ',', default_value = "division")]
        set: Vec<String>,
        /// Highest zoom written (tiles over China's bounds from zoom 0).
        #[arg(long, default_value_t = 8)]
        maxzoom: u8,
        /// Tile query, as in the tile URL ("kind=dibao&month=2026-10"); "set.key=value" limits
        /// a parameter to one set (e.g. "division.kind=dibao").
        #[arg(long)]
        query: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let mut overrides = FileConfig {
        data_dir: cli.data_dir,
        hmac_key_file: cli.hmac_key_file,
        db_memory_mb: cli.db_memory_mb,
        ..Default::default()
    };
    let data = match &cli.command {
        Command::Serve {
            bind,
            port,
            web_dir,
            pmtiles,
            tile_cache_mb,
            public_view,
            suppress_k,
            rate_limit,
            secure_cookie,
            data,
        } => {
            overrides.public_view = *public_view;
            overrides.suppress_k = *suppress_k;
            overrides.rate_limit_per_minute = *rate_limit;
            overrides.secure_cookie = *secure_cookie;
            overrides.bind = *bind;
            overrides.port = *port;
            overrides.web_dir = web_dir.clone();
            overrides.pmtiles = (!pmtiles.is_empty()).then(|| pmtiles.clone());
            overrides.tile_cache_mb = *tile_cache_mb;
            data.clone()
        }
        Command::Tiles {
            command: TilesCommand::Export { data, .. },
        } => data.clone(),
        Command::User { .. } => DataArgs::default(),
        Command::Init { data, .. }
        | Command::Generate { data }
        | Command::Assign { data, .. }
        | Command::Ingest { data, .. }
        | Command::Declare { data, .. }
        | Command::Checksum { data, .. }
        | Command::Reference { data, .. }
        | Command::ImportStats { data, .. }
        | Command::Export {
            command: ExportCommand::Parquet { data, .. },
        } => data.clone(),
    };
    overrides.records = data.records;
    overrides.seed = data.seed;
    let config = Config::resolve(cli.config.as_deref(), overrides)?;
    match cli.command {
        Command::Serve { .. } => shikong::commands::serve(&config),
        Command::User { command } => match command {
            UserCommand::Add { name, scope, role } => {
                shikong::commands::user_add(&config, &name, &scope, &role)
            }
            UserCommand::List => shikong::commands::user_list(&config),
            UserCommand::Revoke { name } => shikong::commands::user_revoke(&config, &name),
        },
        Command::Init { force, .. } => shikong::commands::init(&config, force),
        Command::Generate { .. } => shikong::commands::init(&config, true),
        Command::Assign {
            input: Some(input),
            output: Some(output),
            ..
        } => shikong::commands::assign_file(&config, &input, &output),
        Command::Assign { .. } => shikong::commands::assign_stored(&config),
        Command::Ingest {
            file,
            kind,
            province,
            month,
            replace,
            format,
            encoding,
            crs,
            tolerance_m,
            report,
            who,
            check,
            ..
        } => {
            use shikong::ingest::{Encoding, Format, IngestRequest};
            let kind = shikong::domain::Kind::from_id(&kind)
                .ok_or_else(|| anyhow::anyhow!("unknown kind {kind:?}"))?;
            let file_name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut request = IngestRequest::new(kind, &file_name);
            request.province = province
                .map(shikong::domain::DivisionCode::new)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--province: {e}"))?;
            request.month = month
                .map(|m| m.parse::<shikong::domain::Month>())
                .transpose()
                .map_err(|e| anyhow::anyhow!("--month: {e}"))?;
            request.replace = replace;
            request.format = format
                .map(|f| Format::from_id(&f).ok_or_else(|| anyhow::anyhow!("unknown format {f:?}")))
                .transpose()?;
            request.encoding = Encoding::from_id(&encoding)
                .ok_or_else(|| anyhow::anyhow!("unknown encoding {encoding:?}"))?;
            request.datum = shikong::domain::Datum::from_id(&crs)
                .ok_or_else(|| anyhow::anyhow!("unknown coordinate system {crs:?}"))?;
            anyhow::ensure!(
                tolerance_m >= 0.0 && tolerance_m.is_finite(),
                "--tolerance-m must be ≥ 0"
            );
            request.tolerance_m = tolerance_m;
            request.who = who;
            request.check = check;
            shikong::commands::ingest(&config, &file, request, report.as_deref())
        }
        Command::Declare {
            province,
            kind,
            month,
            count,
            checksum,
            who,
            ..
        } => shikong::commands::declare(
            &config,
            shikong::store::Declaration {
                province_code: province,
                kind,
                month,
                declared: count,
                checksum,
                declared_by: who,
                declared_at: String::new(),
            },
        ),
        Command::Checksum {
            file,
            kind,
            encoding,
            ..
        } => shikong::commands::checksum(&config, &file, &kind, &encoding),
        Command::Reference {
            file,
            name,
            encoding,
            who,
            ..
        } => shikong::commands::reference(&config, &file, &name, &encoding, &who),
        Command::Export {
            command: ExportCommand::Parquet { out, .. },
        } => shikong::commands::export_parquet(&config, &out),
        Command::ImportStats { dir, source, .. } => {
            shikong::commands::import_stats(&config, &dir, &source)
        }
        Command::Tiles {
            command:
                TilesCommand::Export {
                    out,
                    set,
                    maxzoom,
                    query,
                    ..
                },
        } => shikong::commands::tiles_export(&config, &out, &set, maxzoom, query.as_deref()),
    }
}
