//! Backups, restore and the file check.
//!
//! A backup is a consistent snapshot of the open file (`VACUUM INTO`, which
//! reads one transaction's view while others write), written under a
//! temporary name, flushed to disk, checked with `PRAGMA quick_check`, and
//! only then renamed to `clinilog-YYYYMMDDTHHMMSSZ.sqlite`: a crash never
//! leaves a half backup under a final name, and the source is only read.
//! A restore first keeps the current file as a backup itself, then puts the
//! backup in its place and records who restored what in the audit trail.

use std::fs;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use rusqlite::OpenFlags;

use crate::records::{now_utc, require_user};
use crate::sqlite::header_application_id;
use crate::sqlite::schema::APPLICATION_ID;
use crate::{FileStore, StoreError};
use clinilog_domain::history::AuditAction;

const PREFIX: &str = "clinilog-";
const SUFFIX: &str = ".sqlite";
const PARTIAL: &str = ".partial";

/// One backup file and what it holds.
#[derive(Clone, Debug, PartialEq)]
pub struct BackupInfo {
    pub path: PathBuf,
    /// When it was taken (from its name).
    pub taken_at: Timestamp,
    pub size: u64,
    pub patients: i64,
    pub entries: i64,
    /// The audit chain's head when it was taken (`SEQ:HASH`), from the
    /// anchor file written beside it (`<backup>.anchor`), else from the
    /// backup itself; `None` for a backup older than the chain.
    pub anchor: Option<crate::chain::Anchor>,
    /// An encrypted backup whose key is not on this computer: why it could
    /// not be read (its counts are then 0).
    pub locked: Option<String>,
}

/// The anchor file beside a backup: its chain's head, `SEQ:HASH`, kept
/// apart from the database it describes.
pub fn anchor_path(backup: &Path) -> PathBuf {
    let mut name = backup.as_os_str().to_owned();
    name.push(".anchor");
    PathBuf::from(name)
}

fn read_anchor(backup: &Path) -> Option<crate::chain::Anchor> {
    fs::read_to_string(anchor_path(backup)).ok()?.trim().parse().ok()
}

/// `backups/` beside the database: where backups go by default.
pub fn default_backup_dir(db: &Path) -> PathBuf {
    db.parent().unwrap_or(Path::new(".")).join("backups")
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        source,
        path: path.to_owned(),
    }
}

/// A free final name for a backup taken at `at` in `dir`.
fn backup_name(dir: &Path, at: Timestamp) -> PathBuf {
    let stamp = at.strftime("%Y%m%dT%H%M%SZ").to_string();
    let mut path = dir.join(format!("{PREFIX}{stamp}{SUFFIX}"));
    let mut n = 2;
    while path.exists() {
        path = dir.join(format!("{PREFIX}{stamp}-{n}{SUFFIX}"));
        n += 1;
    }
    path
}

/// When a backup was taken, from its file name.
fn taken_at(path: &Path) -> Option<Timestamp> {
    let name = path.file_name()?.to_str()?;
    let stamp = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    let stamp = stamp.split('-').next()?;
    jiff::fmt::strtime::parse("%Y%m%dT%H%M%SZ", stamp)
        .ok()?
        .to_datetime()
        .ok()?
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// Opens a backup read-only and counts what it holds; refuses a file that
/// is not a Clinilog database, and, with `check`, one that fails SQLite's
/// quick check (seconds on a large file: done when a backup is written or
/// restored, not when backups are listed).
fn inspect(path: &Path, check: bool) -> Result<(i64, i64, Option<crate::chain::Anchor>), StoreError> {
    let not_ours = || StoreError::NotClinilog(path.to_owned());
    // An encrypted backup opens with its file's key (the same id).
    let key = super::keys::key_for(path)?;
    let conn =
        crate::sqlite::open_connection(path, OpenFlags::SQLITE_OPEN_READ_ONLY, key.as_ref()).map_err(|_| not_ours())?;
    let app: i64 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|_| not_ours())?;
    if app != i64::from(APPLICATION_ID) {
        return Err(not_ours());
    }
    if check {
        let found: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        if found != "ok" {
            return Err(StoreError::Damaged {
                detail: found,
                path: path.to_owned(),
            });
        }
    }
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0));
    Ok((
        count("SELECT count(*) FROM patients")?,
        count("SELECT count(*) FROM entries WHERE voided_at IS NULL")?,
        // A backup older than the chain has none.
        crate::records::audit::head_of(&mut crate::sqlite::conn::SqliteSql(&conn))
            .ok()
            .flatten(),
    ))
}

/// Flushes a file, or a folder's entries, to the disk.
fn sync(path: &Path) -> Result<(), StoreError> {
    fs::File::open(path).and_then(|f| f.sync_all()).map_err(io_error(path))
}

/// The backup files in `dir` with when each was taken, from their names
/// and headers alone (nothing is opened as a database): files that are
/// not Clinilog's are left out, and never removed.
pub(crate) fn backup_files(dir: &Path) -> Result<Vec<(PathBuf, Timestamp)>, StoreError> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for item in fs::read_dir(dir).map_err(io_error(dir))? {
        let path = item.map_err(io_error(dir))?.path();
        if let Some(at) = taken_at(&path)
            && matches!(header_application_id(&path), Ok(Some(APPLICATION_ID)))
        {
            out.push((path, at));
        }
    }
    out.sort_by_key(|(path, at)| std::cmp::Reverse((*at, path.clone())));
    Ok(out)
}

/// The backups in `dir`, newest first, with what each holds. Files that
/// cannot be read as backups are left out of the list (and never removed).
pub fn list_backups(dir: &Path) -> Result<Vec<BackupInfo>, StoreError> {
    let mut out = Vec::new();
    for (path, at) in backup_files(dir)? {
        // An encrypted backup whose key is not here is listed as such, not hidden.
        let (patients, entries, head, locked) = match inspect(&path, false) {
            Ok((p, e, head)) => (p, e, head, None),
            Err(StoreError::Locked { .. }) => (0, 0, None, Some("encrypted; its key is not on this computer".into())),
            Err(_) => continue,
        };
        let size = fs::metadata(&path).map_err(io_error(&path))?.len();
        out.push(BackupInfo {
            anchor: read_anchor(&path).or(head),
            locked,
            path,
            taken_at: at,
            size,
            patients,
            entries,
        });
    }
    Ok(out)
}

/// When the newest backup in any of `dirs` was taken (names and headers
/// only: this runs when the window starts).
pub fn newest_backup(dirs: &[PathBuf]) -> Option<Timestamp> {
    dirs.iter()
        .filter_map(|dir| backup_files(dir).ok())
        .filter_map(|files| files.first().map(|(_, at)| *at))
        .max()
}

/// Removes the backups in `dir` that the thinning rule does not keep on
/// `today` (local dates); returns what it removed. Only names and headers
/// are read, so thinning stays quick however large the backups are.
pub fn thin_backups(dir: &Path, today: jiff::civil::Date) -> Result<Vec<PathBuf>, StoreError> {
    let backups = backup_files(dir)?;
    let tz = jiff::tz::TimeZone::system();
    let local: Vec<_> = backups
        .iter()
        .map(|(_, at)| at.to_zoned(tz.clone()).datetime())
        .collect();
    let keep = clinilog_domain::backup::backups_to_keep(&local, today);
    let mut removed = Vec::new();
    for (i, (path, _)) in backups.into_iter().enumerate() {
        if !keep.contains(&i) {
            fs::remove_file(&path).map_err(io_error(&path))?;
            let _ = fs::remove_file(anchor_path(&path));
            removed.push(path);
        }
    }
    Ok(removed)
}

impl FileStore {
    /// Takes a backup of this file into `dir` (created if needed).
    pub fn backup_to(&self, dir: &Path) -> Result<BackupInfo, StoreError> {
        fs::create_dir_all(dir).map_err(io_error(dir))?;
        let at = Timestamp::now();
        let final_path = backup_name(dir, at);
        let mut partial = final_path.clone().into_os_string();
        partial.push(PARTIAL);
        let partial = PathBuf::from(partial);
        let _ = fs::remove_file(&partial);
        let written = self
            .conn
            .execute("VACUUM INTO ?1", [partial.to_string_lossy().as_ref()])
            .map_err(StoreError::from)
            .and_then(|_| sync(&partial))
            .and_then(|()| inspect(&partial, true));
        let (patients, entries, head) = match written {
            Ok(counts) => counts,
            Err(e) => {
                let _ = fs::remove_file(&partial);
                return Err(e);
            }
        };
        fs::rename(&partial, &final_path).map_err(io_error(&final_path))?;
        // The chain's head, in a file of its own beside the backup.
        if let Some(head) = &head {
            let anchor = anchor_path(&final_path);
            fs::write(&anchor, format!("{head}\n")).map_err(io_error(&anchor))?;
            sync(&anchor)?;
        }
        // The rename itself reaches the disk with the folder.
        let _ = sync(dir);
        let size = fs::metadata(&final_path).map_err(io_error(&final_path))?.len();
        Ok(BackupInfo {
            // As its name says (whole seconds), the same as when listed.
            taken_at: taken_at(&final_path).unwrap_or(at),
            path: final_path,
            size,
            patients,
            entries,
            anchor: head,
            locked: None,
        })
    }
}

/// Takes a backup of the database file `db` into each of `dirs` through a
/// read-only connection of its own (so it can run on another thread while
/// the window writes), then thins each folder on `today`.
pub fn backup_file(db: &Path, dirs: &[PathBuf], today: jiff::civil::Date) -> Result<Vec<BackupInfo>, StoreError> {
    let store = FileStore::open_read_only(db)?;
    let mut out = Vec::new();
    for dir in dirs {
        out.push(store.backup_to(dir)?);
        thin_backups(dir, today)?;
    }
    Ok(out)
}

/// Keeps the file about to be replaced: as a checked backup, or, when it
/// cannot be read as one (it failed its check), as a plain copy named
/// `damaged-...` (never listed among the good backups).
fn keep_current(db: &Path) -> Result<BackupInfo, StoreError> {
    let dir = default_backup_dir(db);
    match FileStore::open(db).and_then(|s| s.backup_to(&dir)) {
        Ok(kept) => Ok(kept),
        Err(_) => {
            fs::create_dir_all(&dir).map_err(io_error(&dir))?;
            let at = Timestamp::now();
            let path = dir.join(format!("damaged-{}{SUFFIX}", at.strftime("%Y%m%dT%H%M%SZ")));
            fs::copy(db, &path).map_err(io_error(&path))?;
            let size = fs::metadata(&path).map_err(io_error(&path))?.len();
            Ok(BackupInfo {
                path,
                taken_at: at,
                size,
                patients: 0,
                entries: 0,
                anchor: None,
                locked: None,
            })
        }
    }
}

/// Restores `backup` over the database `db` (no window may have it open):
/// the backup is checked first, the current file is kept as a backup in
/// `db`'s backup folder, then the backup takes its place, and its audit
/// trail records the restore and who made it. Returns the kept backup.
pub fn restore(db: &Path, backup: &Path, user: &str) -> Result<BackupInfo, StoreError> {
    require_user(user)?;
    inspect(backup, true)?;
    let kept = keep_current(db)?;
    let mut partial = db.as_os_str().to_owned();
    partial.push(".restore");
    partial.push(PARTIAL);
    let partial = PathBuf::from(partial);
    fs::copy(backup, &partial).map_err(io_error(&partial))?;
    sync(&partial)?;
    for ext in ["-wal", "-shm"] {
        let mut side = db.as_os_str().to_owned();
        side.push(ext);
        let side = PathBuf::from(side);
        if side.exists() {
            fs::remove_file(&side).map_err(io_error(&side))?;
        }
    }
    fs::rename(&partial, db).map_err(io_error(db))?;
    let mut store = FileStore::open(db)?;
    // The trail as it was is kept in `kept`: its head is named here, so
    // that the later backups' anchors are read as of a superseded trail.
    let superseded = match &kept.anchor {
        Some(head) => format!(
            "; the audit trail replaced ended at {head} (kept in {})",
            kept.path.display()
        ),
        None => String::new(),
    };
    let reason = format!("restored from {} at {}{superseded}", backup.display(), now_utc());
    // What the restore claims, for `check` to prove: the backup it came from
    // (whose head the trail must meet) and where the trail it replaced is kept.
    let claim = serde_json::json!({
        "restored_from": backup.display().to_string(),
        "replaced_head": kept.anchor.as_ref().map(ToString::to_string),
        "kept": kept.path.display().to_string(),
    })
    .to_string();
    crate::sql::transact(&mut store, |sql| {
        crate::records::audit::database_row(sql, user, (AuditAction::Restore, Some(0)), Some(&claim), &reason)
    })?;
    Ok(kept)
}

/// What a restore row says of itself: the backup restored, and where the
/// trail it replaced is kept (from its JSON, or from the reason of a row
/// written before the JSON was).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoreClaim {
    pub restored_from: PathBuf,
    pub kept: Option<PathBuf>,
}

impl RestoreClaim {
    pub fn of(after_json: Option<&str>, reason: Option<&str>) -> Option<Self> {
        if let Some(v) = after_json.and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok()) {
            return Some(Self {
                restored_from: PathBuf::from(v.get("restored_from")?.as_str()?),
                kept: v.get("kept").and_then(|k| k.as_str()).map(PathBuf::from),
            });
        }
        let rest = reason?.strip_prefix("restored from ")?;
        let (from, kept) = match rest.split_once("; the audit trail replaced ended at ") {
            Some((from, tail)) => (
                from,
                tail.rsplit_once(" (kept in ")
                    .map(|(_, k)| PathBuf::from(k.trim_end_matches(')'))),
            ),
            None => (rest, None),
        };
        let (from, _at) = from.rsplit_once(" at ")?;
        Some(Self {
            restored_from: PathBuf::from(from),
            kept,
        })
    }
}
