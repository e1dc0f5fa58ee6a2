//! Encrypting a plain clinic file, and back (`clinilog encrypt`/`decrypt`,
//! *Tools > Protect this file*).
//!
//! The file is copied into a new one with SQLCipher's `sqlcipher_export`
//! (every table, index and trigger, then the schema version and the
//! application id), the copy is checked (SQLite's quick check, and every
//! table's row count against the original) and flushed, and only then put
//! in the file's place by a rename: a crash leaves the old file or the new
//! one, never half of one. The key is kept (keyring or key file) before
//! the file changes, so there is never an encrypted file without its key.
//!
//! Plain backups of a file being encrypted are rewritten with its key the
//! same way. The plain copies (the file as it was, and each plain backup)
//! go to `backups/plain/` and the user is told, or are overwritten and
//! removed (`--remove-plain`). Close Clinilog elsewhere first, as for a
//! restore.

use std::fs;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use rusqlite::{Connection, OpenFlags};

use crate::keys::{self, FileKey};
use crate::schema::APPLICATION_ID;
use crate::sqlite::open_connection;
use crate::{FileStore, StoreError, default_backup_dir};

/// What encrypting (or decrypting) did.
#[derive(Debug)]
pub struct Converted {
    /// The key the file now has (encrypt), to show its recovery key once.
    pub key: Option<FileKey>,
    /// Where the key was kept, in words.
    pub kept_in: Option<String>,
    /// Backups rewritten with the key.
    pub backups: usize,
    /// Plain copies kept in the plain folder (the file as it was, plain backups).
    pub plain_kept: Vec<PathBuf>,
    /// Plain copies overwritten and removed.
    pub plain_removed: usize,
    /// The encrypted file as it was, kept as a backup (decrypt).
    pub encrypted_backup: Option<PathBuf>,
}

/// `backups/plain/` beside the database: plain copies left by `encrypt`.
pub fn plain_folder(db: &Path) -> PathBuf {
    default_backup_dir(db).join("plain")
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        source,
        path: path.to_owned(),
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn sync(path: &Path) -> Result<(), StoreError> {
    fs::File::open(path).and_then(|f| f.sync_all()).map_err(io_error(path))
}

/// Every table's row count, by name.
fn table_counts(conn: &Connection, schema: &str) -> Result<Vec<(String, i64)>, StoreError> {
    let names: Vec<String> = {
        let mut stmt = conn.prepare(&format!(
            "SELECT name FROM {schema}.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ))?;
        stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?
    };
    names
        .into_iter()
        .map(|name| {
            let n = conn.query_row(&format!("SELECT count(*) FROM {schema}.\"{name}\""), [], |r| r.get(0))?;
            Ok((name, n))
        })
        .collect()
}

/// Copies the database open on `conn` into a new file at `to`, encrypted
/// with `key` (or plain with `None`), and checks the copy: SQLite's quick
/// check and every table's row count. The copy is flushed to the disk. A
/// clinic file (`wal`) is in write-ahead-log mode, as `FileStore::open` sets;
/// a backup stays in rollback mode, as `VACUUM INTO` writes them.
fn export(conn: &Connection, to: &Path, key: Option<&FileKey>, wal: bool) -> Result<(), StoreError> {
    let _ = fs::remove_file(to);
    let spec = key.map(FileKey::pragma).unwrap_or_default();
    let run = || -> Result<(), StoreError> {
        conn.execute(
            "ATTACH DATABASE ?1 AS converted KEY ?2",
            [to.to_string_lossy().as_ref(), spec.as_str()],
        )?;
        let copied = (|| -> Result<(), StoreError> {
            conn.query_row("SELECT sqlcipher_export('converted')", [], |_| Ok(()))?;
            let version: i64 = conn.query_row("PRAGMA main.user_version", [], |r| r.get(0))?;
            conn.execute_batch(&format!(
                "PRAGMA converted.user_version = {version}; PRAGMA converted.application_id = {APPLICATION_ID};"
            ))?;
            if table_counts(conn, "main")? != table_counts(conn, "converted")? {
                return Err(StoreError::Corrupt {
                    what: "copy",
                    detail: "its tables do not hold as many rows as the file's".into(),
                });
            }
            Ok(())
        })();
        conn.execute_batch("DETACH DATABASE converted")?;
        copied
    };
    let checked = run().and_then(|()| {
        let copy = open_connection(to, OpenFlags::SQLITE_OPEN_READ_WRITE, key)?;
        if wal {
            copy.pragma_update(None, "journal_mode", "WAL")?;
        }
        let found: String = copy.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        if found != "ok" {
            return Err(StoreError::Damaged {
                detail: found,
                path: to.to_owned(),
            });
        }
        drop(copy);
        sync(to)
    });
    if checked.is_err() {
        let _ = fs::remove_file(to);
        let _ = fs::remove_file(with_suffix(to, "-wal"));
        let _ = fs::remove_file(with_suffix(to, "-shm"));
    }
    checked
}

/// Puts the checked copy `partial` in the place of `target` by a rename,
/// and returns the old file, hard-linked aside first (`<target>.was`), for
/// the caller to keep or shred.
fn swap_in(partial: &Path, target: &Path) -> Result<PathBuf, StoreError> {
    let aside = with_suffix(target, ".was");
    let _ = fs::remove_file(&aside);
    fs::hard_link(target, &aside)
        .or_else(|_| fs::copy(target, &aside).map(|_| ()))
        .map_err(io_error(&aside))?;
    // The old file's log and index (empty after its last connection
    // closed) must not be read as the new file's.
    for side in ["-wal", "-shm"] {
        let side = with_suffix(target, side);
        if side.exists() {
            fs::remove_file(&side).map_err(io_error(&side))?;
        }
    }
    fs::rename(partial, target).map_err(io_error(target))?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = sync(dir);
    }
    Ok(aside)
}

/// Keeps a plain copy in the plain folder under `name`, or shreds it.
fn dispose_plain(
    aside: &Path,
    folder: &Path,
    name: &str,
    remove: bool,
    done: &mut Converted,
) -> Result<(), StoreError> {
    if remove {
        keys::shred(aside)?;
        done.plain_removed += 1;
        return Ok(());
    }
    fs::create_dir_all(folder).map_err(io_error(folder))?;
    let mut to = folder.join(name);
    let mut n = 2;
    while to.exists() {
        to = folder.join(format!("{n}-{name}"));
        n += 1;
    }
    fs::rename(aside, &to)
        .or_else(|_| fs::copy(aside, &to).and_then(|_| fs::remove_file(aside)))
        .map_err(io_error(&to))?;
    done.plain_kept.push(to);
    Ok(())
}

/// Encrypts the plain file `db` with a new key, which is kept first (the
/// keyring, or the key file given with `--key-file`); rewrites its plain
/// backups in `backup_dirs` with the same key (before the file itself, so
/// a failure leaves the file as it was); keeps the plain copies in
/// `backups/plain/` or, with `remove_plain`, overwrites and removes them.
/// On a file already encrypted, plain backups left are encrypted, and with
/// `remove_plain` the plain folder is emptied.
pub fn encrypt(db: &Path, backup_dirs: &[PathBuf], remove_plain: bool) -> Result<Converted, StoreError> {
    let mut done = Converted {
        key: None,
        kept_in: None,
        backups: 0,
        plain_kept: Vec::new(),
        plain_removed: 0,
        encrypted_backup: None,
    };
    let already = keys::encryption_of(db) != keys::Encryption::Plain;
    let store = if already {
        FileStore::open_read_only(db)?
    } else {
        FileStore::open(db)?
    };
    if store.read_only && !already {
        return Err(StoreError::ReadOnly(db.to_owned()));
    }
    let (key, new_key) = match &store.key {
        Some(key) => (key.clone(), false),
        None => {
            let key = FileKey::generate()?;
            done.kept_in = Some(keys::keep(&key)?);
            (key, true)
        }
    };
    let result = convert(db, store, &key, backup_dirs, remove_plain, &mut done);
    if let Err(e) = result {
        // A new key that encrypts nothing yet is not left behind.
        if new_key && done.backups == 0 && keys::encryption_of(db) == keys::Encryption::Plain {
            keys::discard(&key);
        }
        return Err(e);
    }
    if new_key {
        done.key = Some(key);
    }
    Ok(done)
}

fn convert(
    db: &Path,
    store: FileStore,
    key: &FileKey,
    backup_dirs: &[PathBuf],
    remove_plain: bool,
    done: &mut Converted,
) -> Result<(), StoreError> {
    let folder = plain_folder(db);
    let already = store.key.is_some();
    for dir in backup_dirs {
        for (backup, _) in crate::backup::backup_files(dir)? {
            if keys::encryption_of(&backup) != keys::Encryption::Plain {
                continue;
            }
            // Read-write (nothing is written to it) so that the copy can be attached.
            let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
            let conn = open_connection(&backup, flags, None)?;
            let partial = with_suffix(&backup, ".encrypting");
            export(&conn, &partial, Some(key), false)?;
            drop(conn);
            let aside = swap_in(&partial, &backup)?;
            let name = backup
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            dispose_plain(&aside, &folder, &name, remove_plain, done)?;
            done.backups += 1;
        }
    }
    if already {
        drop(store);
        // A plain file left beside it by an encryption cut short after its rename.
        let left = with_suffix(db, ".was");
        if left.is_file() && keys::encryption_of(&left) == keys::Encryption::Plain {
            dispose_plain(
                &left,
                &folder,
                "clinilog-left-by-an-interrupted-encryption.sqlite",
                remove_plain,
                done,
            )?;
        }
        if remove_plain && folder.is_dir() {
            for item in fs::read_dir(&folder).map_err(io_error(&folder))? {
                let path = item.map_err(io_error(&folder))?.path();
                if path.is_file() {
                    keys::shred(&path)?;
                    done.plain_removed += 1;
                }
            }
            let _ = fs::remove_dir(&folder);
        }
        return Ok(());
    }
    let partial = with_suffix(db, ".encrypting");
    store.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
    export(&store.conn, &partial, Some(key), true)?;
    drop(store);
    let aside = swap_in(&partial, db)?;
    let stamp = Timestamp::now().strftime("%Y%m%dT%H%M%SZ").to_string();
    dispose_plain(
        &aside,
        &folder,
        &format!("clinilog-{stamp}-before-encryption.sqlite"),
        remove_plain,
        done,
    )
}

/// Turns the encrypted file `db` back into a plain one. The encrypted file
/// as it was is kept as a backup first (readable with the same key).
pub fn decrypt(db: &Path) -> Result<Converted, StoreError> {
    if keys::encryption_of(db) == keys::Encryption::Plain {
        return Err(StoreError::Key(format!(
            "{} is not encrypted: there is nothing to decrypt",
            db.display()
        )));
    }
    let store = FileStore::open(db)?;
    if store.read_only {
        return Err(StoreError::ReadOnly(db.to_owned()));
    }
    let backup = store.backup_to(&default_backup_dir(db))?;
    let partial = with_suffix(db, ".decrypting");
    store.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
    export(&store.conn, &partial, None, true)?;
    drop(store);
    let aside = swap_in(&partial, db)?;
    // Encrypted: its removal leaves nothing readable.
    fs::remove_file(&aside).map_err(io_error(&aside))?;
    Ok(Converted {
        key: None,
        kept_in: None,
        backups: 0,
        plain_kept: Vec::new(),
        plain_removed: 0,
        encrypted_backup: Some(backup.path),
    })
}

impl FileStore {
    /// Whether this file is encrypted.
    pub fn encrypted(&self) -> bool {
        self.key.is_some()
    }
}
