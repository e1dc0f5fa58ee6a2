//! `clinilog encrypt`, `decrypt` and `unlock`: a clinic file encrypted at
//! rest, and its key re-created from the recovery key (the store does the
//! work: `store/protect.rs`, `store/keys.rs`).

use std::io::{BufRead, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::store::keys::{self, Encryption};
use crate::store::protect;
use crate::store::{default_backup_dir, pg};

fn a_file(db: &Path, command: &str) -> Result<()> {
    if db.to_str().is_some_and(pg::is_server_address) {
        bail!(
            "{command} works on a Clinilog file; a server keeps its data as its administrator sets it up \
             (disk encryption on the server, TLS on the way, which Clinilog requires)"
        );
    }
    if !db.is_file() {
        bail!("no database file: {}", db.display());
    }
    Ok(())
}

/// The recovery key as it is shown once: in groups, with what to do with it.
pub fn recovery_text(recovery: &str) -> String {
    format!(
        "RECOVERY KEY (shown once; write it on paper and keep it apart from the computer):\n\n    {recovery}\n\n\
         With the file, it opens the clinic on any computer: clinilog unlock --db FILE, then type it.\n\
         Without the key and this paper, nobody can read the file: not you, not us."
    )
}

/// `clinilog encrypt --db F [--remove-plain]`.
pub fn encrypt(db: &Path, remove_plain: bool, out: &mut dyn Write) -> Result<()> {
    a_file(db, "encrypt")?;
    let done = protect::encrypt(db, &[default_backup_dir(db)], remove_plain)
        .with_context(|| format!("not encrypted: {}", db.display()))?;
    let Some(key) = &done.key else {
        if !remove_plain && done.backups == 0 {
            bail!(
                "{} is already encrypted (to remove the plain copies left in {}, add --remove-plain)",
                db.display(),
                protect::plain_folder(db).display()
            );
        }
        writeln!(
            out,
            "{} is encrypted; {} plain backup(s) encrypted with its key; {} plain cop(ies) overwritten and removed",
            db.display(),
            done.backups,
            done.plain_removed,
        )?;
        return Ok(());
    };
    writeln!(out, "encrypted: {} (key id {})", db.display(), key.id)?;
    writeln!(out, "its key is kept in {}", done.kept_in.as_deref().unwrap_or("?"))?;
    if done.backups > 0 {
        writeln!(
            out,
            "{} backup(s) beside it were encrypted with the same key",
            done.backups
        )?;
    }
    if done.plain_removed > 0 {
        writeln!(out, "{} plain cop(ies) overwritten and removed", done.plain_removed)?;
    }
    if !done.plain_kept.is_empty() {
        writeln!(
            out,
            "the file as it was and its plain backups are kept, NOT encrypted, in {}: anyone who copies them \
             reads them; once the encrypted file has served you, remove them with: clinilog encrypt --db {} \
             --remove-plain",
            protect::plain_folder(db).display(),
            db.display()
        )?;
        for p in &done.plain_kept {
            writeln!(out, "    {}", p.display())?;
        }
    }
    writeln!(out, "\n{}", recovery_text(&key.recovery_key()))?;
    Ok(())
}

/// `clinilog decrypt --db F`.
pub fn decrypt(db: &Path, out: &mut dyn Write) -> Result<()> {
    a_file(db, "decrypt")?;
    let done = protect::decrypt(db).with_context(|| format!("not decrypted: {}", db.display()))?;
    writeln!(
        out,
        "decrypted: {} is a plain file again: anyone who copies it reads it",
        db.display()
    )?;
    if let Some(b) = &done.encrypted_backup {
        writeln!(out, "the encrypted file as it was is kept as a backup: {}", b.display())?;
    }
    Ok(())
}

/// `clinilog unlock --db F`: the recovery key from standard input (its
/// first line), the key re-created and kept (keyring or `--key-file`).
pub fn unlock(db: &Path, input: &mut dyn BufRead, out: &mut dyn Write) -> Result<()> {
    a_file(db, "unlock")?;
    if keys::encryption_of(db) == Encryption::Plain {
        bail!("{} is not encrypted: it needs no key", db.display());
    }
    let mut line = String::new();
    input
        .read_line(&mut line)
        .context("cannot read the recovery key from standard input")?;
    if line.trim().is_empty() {
        bail!("no recovery key on standard input: type it (55 letters and digits, dashes as you like) and press Enter");
    }
    let kept = keys::unlock(db, &line).with_context(|| format!("not unlocked: {}", db.display()))?;
    writeln!(out, "unlocked: {}; its key is now kept in {kept}", db.display())?;
    Ok(())
}
