//! The SQLite file: open, check, migrate, read and write domain values.
//!
//! Opening checks the file before anything is written: a file that is not a
//! Clinilog database, or whose schema is newer than this build, is refused
//! and left byte-for-byte as it was. An accepted file gets the pragmas of
//! the house plan (WAL, `synchronous=FULL`, foreign keys, a busy timeout)
//! and its migrations. Every write is one transaction together with its
//! `audit_log` row; nothing clinical is ever deleted.

mod records;
pub mod schema;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

pub use records::{AuditRecord, PatientSummary};
use schema::{APPLICATION_ID, MIGRATIONS, latest_version};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database: the folder does not exist: {}", .0.display())]
    MissingDirectory(PathBuf),
    #[error("cannot open the database: this is a folder, not a file: {}", .0.display())]
    IsADirectory(PathBuf),
    #[error("not a Clinilog database (left unchanged): {}", .0.display())]
    NotClinilog(PathBuf),
    #[error(
        "this database was written by a newer Clinilog (schema {found}, this build knows up to {supported}); \
         update Clinilog to open it (left unchanged): {}", .path.display()
    )]
    NewerSchema {
        found: i64,
        supported: i64,
        path: PathBuf,
    },
    #[error("a patient with MRN \"{0}\" already exists: open that patient or use another MRN")]
    DuplicateMrn(String),
    #[error("{what} {id} was not found in this database")]
    NotFound { what: &'static str, id: String },
    #[error("the stored {what} is unreadable: {detail}")]
    Corrupt { what: &'static str, detail: String },
    #[error("cannot read the database file: {source}: {}", .path.display())]
    Io {
        source: std::io::Error,
        path: PathBuf,
    },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// An open Clinilog file.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// What the first 100 bytes of a SQLite file say.
struct Header {
    user_version: i64,
    application_id: i32,
}

fn read_header(path: &Path) -> Result<Option<Header>, StoreError> {
    let io = |source| StoreError::Io {
        source,
        path: path.to_owned(),
    };
    let mut file = fs::File::open(path).map_err(io)?;
    let mut buf = Vec::with_capacity(100);
    file.by_ref().take(100).read_to_end(&mut buf).map_err(io)?;
    if buf.is_empty() {
        return Ok(None);
    }
    if buf.len() < 100 || !buf.starts_with(b"SQLite format 3\0") {
        return Err(StoreError::NotClinilog(path.to_owned()));
    }
    let be = |at: usize| i32::from_be_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]]);
    Ok(Some(Header {
        user_version: i64::from(be(60)),
        application_id: be(68),
    }))
}

impl Store {
    /// Opens `path`, creating a new Clinilog file if it does not exist (or
    /// is empty), and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_owned();
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
            && !parent.is_dir()
        {
            return Err(StoreError::MissingDirectory(parent.to_owned()));
        }
        if path.is_dir() {
            return Err(StoreError::IsADirectory(path));
        }
        let existing = if path.exists() {
            read_header(&path)?
        } else {
            None
        };
        if let Some(h) = &existing {
            check_identity(&path, h.application_id, h.user_version)?;
        }
        let conn = Connection::open(&path)?;
        if existing.is_some() {
            // The header can lag behind a write-ahead log: ask SQLite too,
            // still before writing anything.
            let app: i32 = conn
                .query_row("PRAGMA application_id", [], |r| r.get(0))
                .map_err(|_| StoreError::NotClinilog(path.clone()))?;
            let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            check_identity(&path, app, version)?;
        }
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut store = Self { conn, path };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let current: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            if i == 0 {
                tx.pragma_update(None, "application_id", APPLICATION_ID)?;
            }
            tx.commit()?;
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }
}

fn check_identity(path: &Path, application_id: i32, user_version: i64) -> Result<(), StoreError> {
    if application_id != APPLICATION_ID {
        return Err(StoreError::NotClinilog(path.to_owned()));
    }
    if user_version > latest_version() {
        return Err(StoreError::NewerSchema {
            found: user_version,
            supported: latest_version(),
            path: path.to_owned(),
        });
    }
    Ok(())
}
