//! What can go wrong with the records, each in a sentence that says what
//! happened and what to do, with the path or server last.

use std::path::PathBuf;

use crate::keys;

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
    NewerSchema { found: i64, supported: i64, path: PathBuf },
    #[error("a patient with MRN \"{0}\" already exists: open that patient or use another MRN")]
    DuplicateMrn(String),
    #[error("{what} {id} was not found in this database")]
    NotFound { what: &'static str, id: String },
    #[error("the stored {what} is unreadable: {detail}")]
    Corrupt { what: &'static str, detail: String },
    #[error("cannot read the database file: {source}: {}", .path.display())]
    Io { source: std::io::Error, path: PathBuf },
    #[error("changed by {by} at {at} \u{2014} reload to see the change; what you typed is kept")]
    Conflict { what: &'static str, by: String, at: String },
    #[error("{what} {id} is voided: it cannot be changed or voided again; reload to see it gone")]
    Voided { what: &'static str, id: String },
    #[error("cannot read the database file yet ({detail}); close other programs using it and try again: {}", .path.display())]
    CannotRead { detail: String, path: PathBuf },
    #[error(
        "this file has changes in its write-ahead log ({}) that only a folder you may write can move into it: \
         copy the file and its -wal beside it into such a folder and open the copy (or ask for write access): {}",
        .wal.display(), .path.display()
    )]
    WalNeedsWritableFolder { wal: PathBuf, path: PathBuf },
    #[error("the file failed its integrity check ({detail}); open the latest good backup instead: {}", .path.display())]
    Damaged { detail: String, path: PathBuf },
    #[error(
        "this file was written by an older Clinilog (schema {found}) and cannot be read without updating it; \
         restore it (or open it normally) to read it: {}", .path.display()
    )]
    OlderSchema { found: i64, path: PathBuf },
    #[error("this file is open read-only: nothing can be saved in it: {}", .0.display())]
    ReadOnly(PathBuf),
    #[error("a reason is required for {0}")]
    ReasonRequired(&'static str),
    #[error("the disk that holds the file is full: nothing was saved; free some space and save again")]
    DiskFull,
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    /// A value that must be unique (an MRN) is taken already; the record
    /// layer says which.
    #[error("a value that must be unique is taken already: {0}")]
    Taken(String),
    /// An encrypted file whose key this computer does not have.
    #[error(
        "{} is an encrypted Clinilog file and {why} (key id {id}): unlock it with its recovery key \
         (clinilog unlock --db {}, then type the key written down when it was encrypted), \
         or give its key file with --key-file PATH", .path.display(), .path.display()
    )]
    Locked {
        path: PathBuf,
        id: keys::KeyId,
        why: String,
    },
    /// A key file, the keyring or a recovery key: what is wrong, in a sentence.
    #[error("{0}")]
    Key(String),
    #[error("cannot read the server address \"{address}\": {detail}; write it as postgres://user@host:port/database")]
    BadAddress { address: String, detail: String },
    #[error(
        "the password may not be part of the address ({0}): it would be shown and kept; \
         set PGPASSWORD or put it in a .pgpass file instead"
    )]
    PasswordInAddress(String),
    /// The server asks for a password this computer does not have, or
    /// refused the one it had.
    #[error(
        "{server} asks for the password of {user} ({detail}): set PGPASSWORD or put it in ~/.pgpass; \
         the window asks for it"
    )]
    NeedsPassword {
        server: String,
        user: String,
        detail: String,
    },
    /// A TLS problem, in a sentence that names the cause and the server.
    #[error("{0}")]
    Tls(String),
    #[error("the database server cannot be reached ({server}): {detail}")]
    ConnectionLost { server: String, detail: String },
    #[error("the database server refused: {0}")]
    Server(String),
    #[error("not a Clinilog database (left unchanged): {0}")]
    ServerNotClinilog(String),
    #[error(
        "this database holds no clinic yet: {0}; open it in the window (clinilog --db ...) or copy a clinic \
         into it (clinilog copy)"
    )]
    ServerEmpty(String),
    #[error(
        "this database was written by a newer Clinilog (schema {found}, this build knows up to {supported}); \
         update Clinilog to open it (left unchanged): {db}"
    )]
    ServerNewerSchema { found: i64, supported: i64, db: String },
}

impl From<rusqlite::Error> for StoreError {
    /// A full disk is said in one sentence; other SQLite errors as they are.
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => StoreError::DiskFull,
            _ => StoreError::Sqlite(e),
        }
    }
}

/// A stored UTC time (RFC 3339) as local time, `2025-08-19 14:03`.
pub fn local_time(utc: &str) -> String {
    match utc.parse::<jiff::Timestamp>() {
        Ok(t) => t
            .to_zoned(jiff::tz::TimeZone::system())
            .strftime("%Y-%m-%d %H:%M")
            .to_string(),
        Err(_) => utc.to_owned(),
    }
}
