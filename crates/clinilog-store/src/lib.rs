//! The clinic's records: one interface ([`ClinicStore`]), implemented once
//! over a small connection trait ([`sql::Sql`]) for a SQLite (SQLCipher)
//! file ([`FileStore`], `sqlite/`) and a PostgreSQL server
//! ([`pg::PgStore`], `pg/`); the audit trail and its chain; backups.
//!
//! - `records/`: every operation on the records, written once (patients,
//!   entries and observations, treatments, adverse events, plans, reports,
//!   drafts, the audit row and its chain, the check). A new rule goes there.
//! - `sql.rs`: the connection trait, its values and rows, the few
//!   statements the two dialects write differently, and `transact`.
//! - `sqlite/`, `pg/`: connecting, migrating, and the trait's two
//!   implementations; the server's roles, TLS and copy live in `pg/` too.
//! - `clinic.rs`: the [`ClinicStore`] trait and its one implementation;
//!   `location.rs`: where the records are; `error.rs`: what goes wrong.

pub mod backup;
pub mod chain;
pub mod clinic;
mod cohort;
mod error;
pub mod keys;
mod location;
pub mod pg;
pub mod protect;
mod records;
pub mod sql;
pub mod sqlite;

/// Writing many records at once (the importer, the clinic generator).
pub mod import {
    pub use crate::records::batch::{Batch, StoredValues};
}

pub use backup::{
    BackupInfo, RestoreClaim, backup_file, default_backup_dir, list_backups, newest_backup, restore, thin_backups,
};
pub use clinic::ClinicStore;
pub use cohort::CohortFilter;
pub use error::{StoreError, local_time};
pub use location::Location;
pub use records::audit::AuditRecord;
pub use records::drafts::DraftKey;
pub use records::entries::LatestLab;
pub use records::patients::PatientSummary;
pub use sqlite::schema;
pub use sqlite::{CheckedFile, FileStore};
