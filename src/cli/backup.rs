//! `clinilog backup`, `backups`, `restore` and `check`: the file's safety
//! from the command line (the store does the work: `store/backup.rs`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::domain::Catalog;
use crate::store::{BackupInfo, Store, default_backup_dir, list_backups, local_time, restore};

/// A server's backups are PostgreSQL's own: said in one sentence, with how.
fn not_a_server(db: &Path, command: &str) -> Result<()> {
    let Some(address) = db.to_str().filter(|d| crate::store::pg::is_server_address(d)) else {
        return Ok(());
    };
    let target = crate::store::pg::PgTarget::parse(address)?;
    bail!(
        "{command} works on a Clinilog file; a server ({}) is backed up with PostgreSQL's own pg_dump \
         (pg_dump --format=custom --file=clinic.dump --dbname={}, by the clinic's IT, on a schedule) and put \
         back with pg_restore: see the README's section for the clinic's IT",
        target.describe(),
        target.dbname()
    )
}

fn existing(db: &Path) -> Result<Store> {
    not_a_server(db, "backup")?;
    if !db.is_file() {
        bail!("no database file: {}", db.display());
    }
    Ok(Store::open(db)?)
}

fn describe(b: &BackupInfo) -> String {
    format!(
        "{}  {:>9} bytes  {} patients  {} entries  {}",
        local_time(&b.taken_at.to_string()),
        b.size,
        b.patients,
        b.entries,
        b.path.display()
    )
}

/// `clinilog backup --db F [--to DIR]`.
pub fn backup(db: &Path, to: Option<PathBuf>) -> Result<()> {
    let store = existing(db)?;
    let dir = to.unwrap_or_else(|| default_backup_dir(db));
    let b = store.backup_to(&dir)?;
    println!("backed up: {}", describe(&b));
    Ok(())
}

/// `clinilog backups --db F [--dir DIR]`: newest first.
pub fn backups(db: &Path, dir: Option<PathBuf>) -> Result<()> {
    not_a_server(db, "backups")?;
    let dir = dir.unwrap_or_else(|| default_backup_dir(db));
    let list = list_backups(&dir)?;
    if list.is_empty() {
        println!("no backups in {}", dir.display());
    }
    for b in list {
        println!("{}", describe(&b));
    }
    Ok(())
}

/// `clinilog restore --db F BACKUP --user NAME`.
pub fn restore_from(db: &Path, backup: &Path, user: &str) -> Result<()> {
    not_a_server(db, "restore")?;
    if !backup.is_file() {
        bail!("no backup file: {}", backup.display());
    }
    let kept = restore(db, backup, user).with_context(|| format!("not restored: {}", db.display()))?;
    println!(
        "restored {} from {}; the file as it was is kept as {}",
        db.display(),
        backup.display(),
        kept.path.display()
    );
    Ok(())
}

/// `clinilog check --db F` (or a server database): every problem on a
/// line; non-zero when any.
pub fn check(db: &Path, catalog: &Catalog) -> Result<()> {
    let store = super::existing_records(db, false)?;
    let problems = store.check(catalog)?;
    if problems.is_empty() {
        println!("ok: no problem found in {}", db.display());
        return Ok(());
    }
    for p in &problems {
        println!("{p}");
    }
    bail!("{} problem(s) found: {}", problems.len(), db.display())
}
