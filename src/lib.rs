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
