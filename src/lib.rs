//! 时空 shikong: spatio-temporal analytics over civil-affairs (民政) service-object data.
//!
//! Modules follow the data flow, each using only those above it:
//! `domain` → `datasets` → `spatial` → `store` → `ingest` → `analytics` → `tiles` → `scaleout` → `api`,
//! with `bootstrap`
//! building the database and `commands` implementing the CLI.

pub mod domain;

pub mod datasets;

pub mod spatial;

pub mod store;

pub mod ingest;

pub mod analytics;

pub mod tiles;

pub mod scaleout;

pub mod api;

pub mod bootstrap;
pub mod commands;
pub mod config;

// mimalloc for every binary built on the library (server, CLI, tests, benches): ingest
// allocates per row on rayon threads and frees on the loader thread, where glibc's arenas
// spent a fifth of the time (measured with `cargo bench --bench ingest`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
