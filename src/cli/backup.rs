//! `clinilog backup`, `backups`, `restore` and `check`: the file's safety
//! from the command line (the store does the work: `store/backup.rs`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::domain::Catalog;
use crate::store::chain::Anchor;
use crate::store::{BackupInfo, ClinicStore, FileStore, default_backup_dir, list_backups, local_time, restore};

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
    let mut notes = Vec::new();
    if file {
        compared = backup_anchors(db, &*store, &mut chain, &mut problems, &mut notes)?;
    }
    problems.extend(chain.problems.iter().cloned());
    if problems.is_empty() {
        println!("ok: no problem found in {}", db.display());
        for n in &notes {
            println!("note: {n}");
        }
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
    for n in &notes {
        println!("note: {n}");
    }
    bail!("{} problem(s) found: {}", problems.len(), db.display())
}

/// Checks the chain against the anchors of the file's backups; gives how
/// many were compared. A restore replaces the trail: the anchors of the
/// backups taken before the latest restore describe the trail it replaced,
/// so they are checked against that trail's kept copy, not the file. The
/// restore row must prove itself first: the trail before it must be the
/// backup it names, ending at that backup's anchor with the restore row
/// right after. One that does not is no restore: every anchor is then
/// checked against the file, and the row is named.
fn backup_anchors(
    db: &Path,
    store: &dyn crate::store::ClinicStore,
    chain: &mut crate::store::chain::ChainReport,
    problems: &mut Vec<String>,
    notes: &mut Vec<String>,
) -> Result<usize> {
    use crate::domain::history::{AuditAction, RecordKind};
    let restores = store.audit_log(Some((RecordKind::Database, 0)))?;
    let latest = restores.iter().rev().find(|r| r.action == AuditAction::Restore);
    let backups = list_backups(&default_backup_dir(db))?;
    // Where the anchors of backups taken before the restore are checked.
    let mut before: Option<(jiff::Timestamp, Option<crate::store::chain::ChainReport>)> = None;
    if let Some(r) = latest {
        let at = local_time(&r.at_utc);
        let claim = crate::store::RestoreClaim::of(r.after_json.as_deref(), r.reason.as_deref());
        let restored = claim.as_ref().and_then(|c| {
            std::fs::read_to_string(crate::store::backup::anchor_path(&c.restored_from))
                .ok()
                .and_then(|t| t.trim().parse::<Anchor>().ok())
        });
        match (&claim, restored) {
            (Some(c), Some(head)) => {
                let mut probe = chain.clone();
                probe.check_anchor(&head, "the backup restored");
                // Right after the backup's head, or after the rows its
                // opening wrote (a migration of an older backup).
                let follows = r.seq == Some(head.seq + 1)
                    || r.seq.is_some_and(|seq| {
                        store.audit_log(None).is_ok_and(|rows| {
                            rows.iter()
                                .filter(|a| a.seq.is_some_and(|s| s > head.seq && s < seq))
                                .all(|a| a.kind == RecordKind::Database && a.action != AuditAction::Restore)
                        })
                    });
                if probe.problems.len() > chain.problems.len() || !follows {
                    problems.push(format!(
                        "the restore recorded at {at} (audit row {}) is not one: the trail before it is not the \
                         backup it names ({}, ending at {head}); every backup's anchor is checked against this file",
                        r.seq.unwrap_or_default(),
                        c.restored_from.display()
                    ));
                } else {
                    let kept = c.kept.as_ref().filter(|k| k.is_file());
                    let replaced = match kept {
                        Some(k) => Some(FileStore::open_read_only(k)?.audit_chain()?),
                        None => None,
                    };
                    if replaced.is_none() {
                        notes.push(format!(
                            "the trail replaced by the restore of {at} is not kept here: the anchors of backups \
                             taken before it were not checked"
                        ));
                    }
                    before = r.at_utc.parse().ok().map(|t| (t, replaced));
                }
            }
            (claim, _) => {
                // The backup it came from is gone (thinned) or not named:
                // nothing proves what the trail before it was, so it is not
                // taken as a restore (a forged one would skip the anchors).
                problems.push(format!(
                    "the restore recorded at {at} (audit row {}) cannot be proven: the backup it names ({}) or its \
                     anchor is not there; every backup's anchor is checked against this file",
                    r.seq.unwrap_or_default(),
                    claim
                        .as_ref()
                        .map_or("none".to_owned(), |c| c.restored_from.display().to_string())
                ));
            }
        }
    }
    let mut compared = 0;
    for b in &backups {
        let Some(anchor) = &b.anchor else { continue };
        let source = format!("the backup of {}", local_time(&b.taken_at.to_string()));
        match &mut before {
            Some((at, kept)) if b.taken_at < *at => {
                if let Some(kept) = kept {
                    let seen = kept.problems.len();
                    kept.check_anchor(anchor, &source);
                    problems.extend(
                        kept.problems[seen..]
                            .iter()
                            .map(|p| format!("in the trail a restore replaced: {p}")),
                    );
                    compared += 1;
                }
            }
            _ => {
                chain.check_anchor(anchor, &source);
                compared += 1;
            }
        }
    }
    Ok(compared)
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
