//! The SQLite file: open, check whose file it is, migrate, and the
//! connection the records run on ([`conn`]).
//!
//! Opening checks the file before anything is written: a file that is not a
//! Clinilog database, or whose schema is newer than this build, is refused
//! and left byte-for-byte as it was. An accepted file gets the pragmas of
//! the house plan (WAL, `synchronous=FULL`, foreign keys, a busy timeout)
//! and its migrations. What is kept in it, and how, is `records/`.

pub(crate) mod conn;
pub mod schema;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::sql::{Backend, Sql, Tx};
use crate::{StoreError, keys};
use conn::SqliteSql;
use schema::{APPLICATION_ID, MIGRATIONS, latest_version};

/// A file's key applied to a connection just opened, before anything is
/// read from it (a plain file: nothing to do), and tried at once: a key
/// whose id is the file's but whose secret is not is said in a sentence
/// that names the file and what to do, not in SQLCipher's own lines
/// ("hmac check failed"), which are kept off the terminal.
fn keyed(conn: Connection, key: Option<&keys::FileKey>, path: &Path) -> Result<Connection, StoreError> {
    if let Some(key) = key {
        conn.pragma_update(None, "cipher_log_level", "NONE")?;
        conn.pragma_update(None, "key", key.pragma())?;
        let tried = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0));
        if let Err(e) = tried
            && e.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase)
        {
            return Err(StoreError::Locked {
                path: path.to_owned(),
                id: key.id,
                why: "the key given for it does not open it: its id is this file's, its secret is not (a key file \
                      or keyring entry changed or mistyped)"
                    .to_owned(),
            });
        }
    }
    Ok(conn)
}

/// A connection to the file at `path`, with its key if it has one.
pub(crate) fn open_connection(
    path: &Path,
    flags: OpenFlags,
    key: Option<&keys::FileKey>,
) -> Result<Connection, StoreError> {
    keyed(Connection::open_with_flags(path, flags)?, key, path)
}

/// An open Clinilog file.
pub struct FileStore {
    pub(crate) conn: Connection,
    path: PathBuf,
    /// The file's key when it is encrypted (its backups use it too).
    pub(crate) key: Option<keys::FileKey>,
    /// Opened read-only: every write is refused, nothing touches the file.
    pub(crate) read_only: bool,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore").field("path", &self.path).finish()
    }
}

/// The application id in a SQLite file's header, or `NotClinilog` when the
/// file does not start like a SQLite database. Empty files give `None`. An
/// encrypted Clinilog file says whose it is in clear (`keys::MAGIC`): it
/// gives Clinilog's id.
pub(crate) fn header_application_id(path: &Path) -> Result<Option<i32>, StoreError> {
    if let keys::Encryption::Encrypted(_) = keys::encryption_of(path) {
        return Ok(Some(APPLICATION_ID));
    }
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
    Ok(Some(i32::from_be_bytes([buf[68], buf[69], buf[70], buf[71]])))
}

pub(crate) fn wal_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// The application id in the newest copy of page 1 that the write-ahead
/// log holds (frames of its current generation only), if any: whose file
/// this is when the main file's header has not been written yet.
fn wal_application_id(path: &Path) -> Option<i32> {
    let wal = fs::read(wal_path(path)).ok()?;
    let word = |at: usize| {
        wal.get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    if word(0)? & !1 != 0x377f_0682 {
        return None;
    }
    let page_size = match word(8)? {
        1 => 65_536,
        n => n as usize,
    };
    let salts = wal.get(16..24)?;
    let mut found = None;
    let mut at = 32;
    while at + 24 + page_size <= wal.len() {
        if &wal[at + 8..at + 16] != salts {
            break;
        }
        if word(at)? == 1 {
            found = word(at + 24 + 68).map(|id| id as i32);
        }
        at += 24 + page_size;
    }
    found
}

/// Whether the file and its folder may be written: their permission bits
/// allow it (checked even for an administrator, who could write anyway),
/// and the system lets us (a read-only share or stick refuses).
fn writable(path: &Path) -> bool {
    let bits = |p: &Path| fs::metadata(p).map(|m| !m.permissions().readonly()).unwrap_or(false);
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    bits(path)
        && bits(folder)
        && fs::OpenOptions::new().write(true).open(path).is_ok()
        // A nameless temporary file: the folder takes new files (the log, its index).
        && tempfile::tempfile_in(folder).is_ok()
}

/// Whether new files can be made in the folder of `path` (SQLite's shared
/// memory index, `-shm`, and its log): its permission bits allow it (even
/// for an administrator, who could write anyway) and the system lets us.
fn folder_writable(path: &Path) -> bool {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    fs::metadata(folder).is_ok_and(|m| !m.permissions().readonly()) && tempfile::tempfile_in(folder).is_ok()
}

/// A connection that never writes to `path` nor beside it.
///
/// In a folder that takes no new file (a read-only share, a CD, a folder an
/// IT department locked) SQLite cannot make the `-shm` index a log-mode
/// file needs: such a file is opened `immutable` (no index, no lock), which
/// is right as nobody can write it there either. A write-ahead log with
/// changes not yet in the file needs a writable folder to be recovered:
/// refused, in a sentence, when reading without it fails.
fn read_only_connection(path: &Path, key: Option<&keys::FileKey>) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if folder_writable(path) {
        return open_connection(path, flags, key);
    }
    let wal = wal_path(path);
    let pending = fs::metadata(&wal).is_ok_and(|m| m.len() > 0);
    if pending {
        let conn = open_connection(path, flags, key)?;
        return match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)) {
            Ok(_) => Ok(conn),
            Err(_) => Err(StoreError::WalNeedsWritableFolder {
                wal,
                path: path.to_owned(),
            }),
        };
    }
    let uri = format!("file:{}?immutable=1", uri_path(path));
    keyed(
        Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)?,
        key,
        path,
    )
}

/// A path written for a SQLite `file:` URI: every byte but letters, digits
/// and `/-._~` percent-encoded (`?`, `#`, `%` and spaces in folder names).
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for b in path.as_os_str().as_encoded_bytes() {
        match *b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'.' | b'_' | b'~' => out.push(char::from(*b)),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// What the read-only probe saw.
struct Probe {
    application_id: i64,
    user_version: i64,
    objects: i64,
}

fn probe(path: &Path, key: Option<&keys::FileKey>) -> Result<Probe, StoreError> {
    let conn = read_only_connection(path, key)?;
    let ask = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0));
    Ok(Probe {
        application_id: ask("PRAGMA application_id")?,
        user_version: ask("PRAGMA user_version")?,
        objects: ask("SELECT count(*) FROM sqlite_master")?,
    })
}

/// The verdict on an existing file, from its header's application id, the
/// one in its write-ahead log, and what a read-only probe read. A probe
/// that could not read (a log that needs recovery, which only a read-write
/// open can do) is not "foreign": the file is ours if the header or the log
/// says so, and otherwise it cannot be read yet.
fn judge(
    path: &Path,
    header: Option<i32>,
    wal: Option<i32>,
    probed: Result<Probe, StoreError>,
) -> Result<(), StoreError> {
    let not_ours = || StoreError::NotClinilog(path.to_owned());
    if let Some(app) = header
        && app != 0
        && app != APPLICATION_ID
    {
        return Err(not_ours());
    }
    let p = match probed {
        Ok(p) => p,
        Err(_) if header == Some(APPLICATION_ID) || wal == Some(APPLICATION_ID) => return Ok(()),
        Err(_) if wal.is_some_and(|w| w != 0) => return Err(not_ours()),
        Err(e @ StoreError::WalNeedsWritableFolder { .. }) => return Err(e),
        Err(StoreError::Sqlite(e)) => {
            return Err(StoreError::CannotRead {
                detail: e.to_string(),
                path: path.to_owned(),
            });
        }
        Err(e) => {
            return Err(StoreError::CannotRead {
                detail: e.to_string(),
                path: path.to_owned(),
            });
        }
    };
    if p.application_id == i64::from(APPLICATION_ID) {
        return newer_schema(path, p.user_version);
    }
    // A SQLite file with nothing in it (a first run stopped before its
    // first migration committed) is as good as new.
    if p.application_id == 0 && p.user_version == 0 && p.objects == 0 {
        return Ok(());
    }
    Err(not_ours())
}

/// Refuses a file whose schema is newer than this build.
fn newer_schema(path: &Path, user_version: i64) -> Result<(), StoreError> {
    if user_version > latest_version() {
        return Err(StoreError::NewerSchema {
            found: user_version,
            supported: latest_version(),
            path: path.to_owned(),
        });
    }
    Ok(())
}

/// Asks SQLite, on a read-only connection, whose file this is. The header
/// alone is not enough: after a crash the newest pages, even the first
/// migration, may still be in the write-ahead log.
fn check_existing(path: &Path, key: Option<&keys::FileKey>) -> Result<(), StoreError> {
    let header = header_application_id(path)?;
    judge(path, header, wal_log_id(path, key), probe(path, key))
}

/// The application id in the write-ahead log, for a plain file (an
/// encrypted file's log pages cannot be read without opening it).
fn wal_log_id(path: &Path, key: Option<&keys::FileKey>) -> Option<i32> {
    if key.is_some() { None } else { wal_application_id(path) }
}

impl FileStore {
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
        let has_content = |p: &Path| fs::metadata(p).map(|m| m.len() > 0).unwrap_or(false);
        // An encrypted file whose key is not here is refused before anything is read.
        let key = keys::key_for(&path)?;
        if has_content(&path) || has_content(&wal_path(&path)) {
            check_existing(&path, key.as_ref())?;
            // A file (or folder) that may not be written opens read-only, untouched.
            if !writable(&path) {
                return Self::open_read_only(&path);
            }
        }
        let conn = keyed(Connection::open(&path)?, key.as_ref(), &path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        // Read again now that the log is recovered: a newer schema is never written.
        newer_schema(&path, conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut store = Self {
            conn,
            path,
            key,
            read_only: false,
        };
        // Always a backup before a migration changes an existing file.
        let current = store.schema_version()?;
        if current > 0 && current < latest_version() {
            store.backup_to(&crate::default_backup_dir(&store.path))?;
        }
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let current: i64 = self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            if i == schema::CHAIN_MIGRATION {
                begin_chain(&tx)?;
            }
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            if i == 0 {
                tx.pragma_update(None, "application_id", APPLICATION_ID)?;
            }
            tx.commit()?;
        }
        Ok(())
    }

    /// Opens `path` read-only: nothing is ever written to it (a backup to
    /// look at, a file on a read-only share or stick). Refuses a file that
    /// is not a Clinilog database of this build's schema.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_owned();
        if !path.is_file() {
            return Err(StoreError::NotFound {
                what: "database file",
                id: path.display().to_string(),
            });
        }
        let key = keys::key_for(&path)?;
        let header = header_application_id(&path)?;
        judge(
            &path,
            header,
            wal_log_id(&path, key.as_ref()),
            probe(&path, key.as_ref()),
        )?;
        let conn = read_only_connection(&path, key.as_ref())?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version != latest_version() {
            newer_schema(&path, version)?;
            return Err(StoreError::OlderSchema {
                found: version,
                path: path.clone(),
            });
        }
        Ok(Self {
            conn,
            path,
            key,
            read_only: true,
        })
    }

    /// SQLite's quick check of the file: `None` when it is sound, else what
    /// it found (first lines).
    pub fn quick_check(&self) -> Result<Option<String>, StoreError> {
        let run = || -> rusqlite::Result<Vec<String>> {
            let mut stmt = self.conn.prepare("PRAGMA quick_check(3)")?;
            stmt.query_map([], |r| r.get(0))?.collect()
        };
        match run() {
            Ok(rows) => Ok((rows != ["ok"]).then(|| rows.join("; "))),
            // A file too damaged to even run the check.
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseCorrupt) => Ok(Some(e.to_string())),
            Err(e) => Err(e.into()),
        }
    }

    /// What a clean check of this file sees now, to be remembered: `None`
    /// when the file has a write-ahead log with frames (changes not yet in
    /// the file itself) or cannot be looked at.
    pub fn checked_now(&self) -> Option<CheckedFile> {
        CheckedFile::of(&self.path, jiff::Timestamp::now())
    }

    /// Keeps this connection's page cache small (256 KiB): for a connection
    /// that reads through a table once (the patient list's thread), where a
    /// larger cache only stays in memory afterwards.
    pub fn small_cache(&self) -> Result<(), StoreError> {
        self.conn.pragma_update(None, "cache_size", -256)?;
        Ok(())
    }

    /// Whether this file is open read-only.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_tells_whose_file_it_is_before_the_header_does() {
        let dir = tempfile::tempdir().unwrap();
        // Ours: a store not closed keeps its first pages in the log.
        let ours = dir.path().join("ours.sqlite");
        std::mem::forget(FileStore::open(&ours).unwrap());
        assert_eq!(header_application_id(&ours).unwrap(), Some(0));
        assert_eq!(wal_application_id(&ours), Some(APPLICATION_ID));
        // Another program's file in WAL mode.
        let other = dir.path().join("other.sqlite");
        let conn = Connection::open(&other).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; PRAGMA application_id = 42; CREATE TABLE t (x);",
        )
        .unwrap();
        std::mem::forget(conn);
        assert_eq!(wal_application_id(&other), Some(42));
    }

    #[test]
    fn a_probe_that_cannot_read_is_never_called_foreign_for_our_file() {
        let path = Path::new("c.sqlite");
        let failed = || Err(StoreError::Sqlite(rusqlite::Error::InvalidQuery));
        assert!(
            judge(path, Some(0), Some(APPLICATION_ID), failed()).is_ok(),
            "ours by its log: recover"
        );
        assert!(
            judge(path, Some(APPLICATION_ID), None, failed()).is_ok(),
            "ours by its header"
        );
        assert!(matches!(
            judge(path, Some(0), None, failed()),
            Err(StoreError::CannotRead { .. })
        ));
        assert!(matches!(
            judge(path, Some(0), Some(42), failed()),
            Err(StoreError::NotClinilog(_))
        ));
        assert!(matches!(
            judge(path, Some(42), None, failed()),
            Err(StoreError::NotClinilog(_))
        ));
        let read = |app: i32, version: i64| {
            Ok(Probe {
                application_id: i64::from(app),
                user_version: version,
                objects: 3,
            })
        };
        assert!(judge(path, Some(0), None, read(APPLICATION_ID, 1)).is_ok());
        assert!(matches!(
            judge(path, Some(0), None, read(APPLICATION_ID, 99)),
            Err(StoreError::NewerSchema { .. })
        ));
        assert!(matches!(
            judge(path, Some(0), None, read(7, 1)),
            Err(StoreError::NotClinilog(_))
        ));
    }
}

/// A file that passed `PRAGMA quick_check`, as it was then: its size and
/// modification time. A file that still matches (and was checked in the last
/// [`CheckedFile::RECHECK_DAYS`] days) need not be read whole again at open:
/// every write changes the time, and a file checked a week ago is checked
/// again, for damage that came without a write.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CheckedFile {
    pub path: PathBuf,
    pub len: u64,
    /// Modification time: seconds and nanoseconds since 1970.
    pub modified: (u64, u32),
    pub checked_at: jiff::Timestamp,
}

impl CheckedFile {
    pub const RECHECK_DAYS: i64 = 7;

    /// The file at `path` as it is now; `None` when its write-ahead log holds
    /// frames, or its size or time cannot be read.
    pub fn of(path: &Path, now: jiff::Timestamp) -> Option<Self> {
        if fs::metadata(wal_path(path)).is_ok_and(|m| m.len() > 0) {
            return None;
        }
        let meta = fs::metadata(path).ok()?;
        let since = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
        Some(Self {
            path: path.to_owned(),
            len: meta.len(),
            modified: (since.as_secs(), since.subsec_nanos()),
            checked_at: now,
        })
    }

    /// Whether `now_seen` (the file as it is now) is the file this check
    /// covered, unchanged, and the check is recent enough to stand.
    pub fn covers(&self, now_seen: &CheckedFile) -> bool {
        let age = now_seen.checked_at.duration_since(self.checked_at);
        self.path == now_seen.path
            && self.len == now_seen.len
            && self.modified == now_seen.modified
            && age >= jiff::SignedDuration::ZERO
            && age < jiff::SignedDuration::from_hours(24 * Self::RECHECK_DAYS)
    }
}

/// Chains the rows already in the trail (in id order), as they stand, and
/// says so in a row of its own: the migration to schema 5.
fn begin_chain(tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
    use crate::records::audit::{CHAIN_COLUMNS, chain_fields, database_row};
    tx.execute_batch("DROP TRIGGER IF EXISTS audit_log_no_update")?;
    let mut sql = SqliteSql(&**tx);
    // In id order, a thousand rows at a time: a large clinic's trail (its
    // JSON) is never held in memory whole.
    let mut prev: Option<String> = None;
    let mut n: i64 = 0;
    let mut after_id = i64::MIN;
    loop {
        let batch: Vec<(i64, String)> = (&mut sql as &mut dyn Sql).query_all(
            &format!("SELECT {CHAIN_COLUMNS} FROM audit_log WHERE seq IS NULL AND id > $1 ORDER BY id LIMIT 1000"),
            crate::sql::vals![after_id],
            |r| {
                n += 1;
                let hash = crate::chain::row_hash(n, prev.as_deref(), chain_fields(r)?);
                prev = Some(hash.clone());
                Ok((r.int(0)?, hash))
            },
        )?;
        let Some(last) = batch.last() else { break };
        after_id = last.0;
        let first = n - batch.len() as i64;
        for (i, (id, hash)) in batch.iter().enumerate() {
            tx.prepare_cached("UPDATE audit_log SET seq = ?1, row_hash = ?2 WHERE id = ?3")?
                .execute(rusqlite::params![first + 1 + i as i64, hash, id])?;
        }
    }
    tx.execute_batch(
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
             BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    )?;
    tx.execute_batch(schema::CHAINED_ONLY)?;
    if n > 0 {
        database_row(
            &mut sql,
            "clinilog",
            (clinilog_domain::history::AuditAction::Create, None),
            Some(&format!("{{\"audit_chain\":\"begun\",\"rows_before\":{n}}}")),
            &format!(
                "audit chain begun: the {n} audit rows already present were chained in id order, as they stood at \
                 this update"
            ),
        )?;
    }
    Ok(())
}

impl Backend for FileStore {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Every write needs a file that may be written and who signs it.
    fn may_write(&self, user: &str) -> Result<(), StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly(self.path.clone()));
        }
        crate::records::require_user(user)
    }

    fn reader(&self) -> Box<dyn Sql + '_> {
        Box::new(SqliteSql(&self.conn))
    }

    /// A write takes the file's write lock at once (`BEGIN IMMEDIATE`),
    /// waiting its turn behind another window's save (the busy timeout): a
    /// transaction that read first and wrote later could not wait, and
    /// would fail with "database is locked" when another save came between.
    /// A preview reads only, and is rolled back.
    fn begin(&mut self, read_only: bool) -> Result<Box<dyn Tx + '_>, StoreError> {
        let behavior = if read_only {
            rusqlite::TransactionBehavior::Deferred
        } else {
            rusqlite::TransactionBehavior::Immediate
        };
        Ok(Box::new(SqliteSql(self.conn.transaction_with_behavior(behavior)?)))
    }

    fn schema(&self) -> Result<i64, StoreError> {
        self.schema_version()
    }

    /// SQLite's integrity check of the file's pages.
    fn own_problems(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let rows: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        if rows == ["ok"] {
            return Ok(Vec::new());
        }
        Ok(rows
            .into_iter()
            .map(|r| format!("SQLite integrity check: {r}"))
            .collect())
    }
}
