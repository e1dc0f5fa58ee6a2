//! `clinilog backup`, `backups`, `restore` and `check`: the file's safety
//! from the command line (the store does the work: `store/backup.rs`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::domain::Catalog;
use crate::store::chain::Anchor;
use crate::store::{BackupInfo, FileStore, default_backup_dir, list_backups, local_time, restore};

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

fn existing(db: &Path) -> Result<FileStore> {
    not_a_server(db, "backup")?;
    if !db.is_file() {
        bail!("no database file: {}", db.display());
    }
    Ok(FileStore::open(db)?)
}

fn describe(b: &BackupInfo) -> String {
    let holds = match &b.locked {
        Some(why) => why.clone(),
        None => format!("{} patients  {} entries", b.patients, b.entries),
    };
    format!(
        "{}  {:>9} bytes  {holds}  {}{}",
        local_time(&b.taken_at.to_string()),
        b.size,
        b.path.display(),
        match &b.anchor {
            Some(a) => format!("\n    audit head {a}"),
            None => String::new(),
        }
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

/// `clinilog check --db F [--anchor SEQ:HASH]...` (or a server database):
/// every problem on a line; non-zero when any. The audit chain is checked
/// against the anchors given and, for a file, those of its backups.
pub fn check(db: &Path, anchors: &[Anchor], catalog: &Catalog) -> Result<()> {
    let store = super::existing_records(db, false)?;
    let mut problems = store.check(catalog)?;
    let mut chain = store.audit_chain()?;
    for a in anchors {
        chain.check_anchor(a, "the anchor given");
    }
    let file = db.to_str().is_none_or(|d| !crate::store::pg::is_server_address(d));
    let mut compared = 0;
    if file {
        // A restore replaces the trail: the anchors of backups taken
        // before the latest one describe the trail it replaced.
        // (Restores are recorded on the database itself, row 0: only those are read.)
        let restored = store
            .audit_log(Some((crate::domain::history::RecordKind::Database, 0)))?
            .iter()
            .filter(|r| r.action == crate::domain::history::AuditAction::Restore)
            .filter_map(|r| r.at_utc.parse::<jiff::Timestamp>().ok())
            .max();
        for b in list_backups(&default_backup_dir(db))? {
            let (Some(anchor), false) = (&b.anchor, restored.is_some_and(|at| b.taken_at < at)) else {
                continue;
            };
            chain.check_anchor(
                anchor,
                &format!("the backup of {}", local_time(&b.taken_at.to_string())),
            );
            compared += 1;
        }
    }
    problems.extend(chain.problems.iter().cloned());
    if problems.is_empty() {
        println!("ok: no problem found in {}", db.display());
        if let Some(head) = &chain.head {
            println!(
                "audit trail: {} rows chained, head {head}{}",
                chain.rows,
                match (compared, anchors.len()) {
                    (0, 0) => String::new(),
                    (b, a) => format!(" (meets {} anchor(s))", a + b),
                }
            );
        }
        return Ok(());
    }
    for p in &problems {
        println!("{p}");
    }
    bail!("{} problem(s) found: {}", problems.len(), db.display())
}

/// `clinilog audit-head --db F`: the audit chain's head, `SEQ:HASH`, to
/// keep outside the database (a signed e-mail, a paper log); `check
/// --anchor` checks the database against it later.
pub fn audit_head(db: &Path) -> Result<()> {
    let store = super::existing_records(db, true)?;
    match store.audit_head()? {
        Some(head) => println!("{head}"),
        None => bail!("the audit trail of {} is empty: nothing to anchor yet", db.display()),
    }
    Ok(())
}
