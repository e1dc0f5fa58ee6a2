//! Where a clinic's records are: a SQLite file, or a database on a
//! PostgreSQL server.

use std::path::{Path, PathBuf};

use crate::pg::{PgStore, PgTarget, is_server_address};
use crate::{ClinicStore, FileStore, StoreError};

/// Where a clinic's records are: a SQLite file, or a database on a
/// PostgreSQL server (`postgres://user@host:port/db`).
#[derive(Clone, Debug)]
pub enum Location {
    File(PathBuf),
    Server(Box<PgTarget>),
}

impl Location {
    /// `--db`: a server address, else a file's path.
    pub fn parse(db: &Path) -> Result<Self, StoreError> {
        match db.to_str() {
            Some(text) if is_server_address(text) => Ok(Location::Server(Box::new(PgTarget::parse(text)?))),
            _ => Ok(Location::File(db.to_owned())),
        }
    }

    /// Opens the records for reading and writing (a file that may not be
    /// written opens read-only).
    pub fn open(&self) -> Result<Box<dyn ClinicStore>, StoreError> {
        Ok(match self {
            Location::File(path) => Box::new(FileStore::open(path)?),
            Location::Server(target) => Box::new(PgStore::open(target)?),
        })
    }

    /// Opens the records on a connection of their own that never writes
    /// (a thread reading a list).
    pub fn open_read_only(&self) -> Result<Box<dyn ClinicStore>, StoreError> {
        Ok(match self {
            Location::File(path) => Box::new(FileStore::open_read_only(path)?),
            Location::Server(target) => Box::new(PgStore::open_read_only(target)?),
        })
    }

    /// The file, when the records are one (backups, the file's own check).
    pub fn file(&self) -> Option<&Path> {
        match self {
            Location::File(path) => Some(path),
            Location::Server(_) => None,
        }
    }

    /// The file's path, or `postgres: user@host:port/db`.
    pub fn describe(&self) -> String {
        match self {
            Location::File(path) => path.display().to_string(),
            Location::Server(target) => target.describe(),
        }
    }
}
