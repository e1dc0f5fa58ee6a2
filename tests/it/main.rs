//! Every integration test, in one binary: one link of the whole program
//! instead of one per file (each debug test binary is hundreds of MB, and
//! linking them was a good part of a cold build). Each file is a module;
//! `cargo nextest run cli::` or `cargo nextest run ui::` runs one of them.
//!
//! - `backends`: the store's behaviours on a SQLite file and on a server;
//! - `capture`: printed lab reports (a corpus of twelve layouts) read back;
//! - `chain`: the audit trail's hash chain, tampered with on a file and a server;
//! - `cli`: the `clinilog` binary as a process;
//! - `fhir`: the FHIR export through two independent validators;
//! - `import`: the real files of `tests/data/import/`;
//! - `layers`: no layer of the workspace reaches up;
//! - `report`: the printed report read back with poppler;
//! - `server`: a clinic server as its IT sets it up: TLS, logins, roles;
//! - `store`: the SQLite file, opened and read back;
//! - `ui`: the window through egui_kittest, by visible labels.

// Test code: a failed unwrap is a failed test (the helpers too, not only #[test] fns).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod backends;
mod capture;
mod capture_corpus;
mod capture_real;
mod chain;
mod cli;
mod encryption;
mod fhir;
mod import;
mod integrity;
mod layers;
mod licenses;
mod report;
mod server;
mod store;
mod ui;
