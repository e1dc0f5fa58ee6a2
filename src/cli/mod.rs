//! Command-line jobs: one file per subcommand (`demo.rs`, `export.rs`,
//! `score.rs` for `score` and `scores`, `backup.rs` for `backup`, `backups`,
//! `restore` and `check`). `main.rs` parses the command line
//! and dispatches here or to the window. Every failure is one `anyhow`
//! error that `main` prints as one line before exiting non-zero.

pub mod backup;
pub mod demo;
pub mod export;
pub mod score;

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::store::{Store, default_backup_dir, list_backups};

/// What the window opens.
pub struct WindowFile {
    pub store: Store,
    /// The file failed its integrity check: the window shows the latest
    /// good backup read-only instead, and says why (the file, the check).
    pub damaged: Option<(PathBuf, String)>,
}

/// The file the window opens: `db`, else the default database. A file that
/// fails its integrity check is not opened: the latest good backup is,
/// read-only, so the clinic can look and restore it.
pub fn window_store(db: Option<PathBuf>) -> Result<WindowFile> {
    let path = match db {
        Some(p) => p,
        None => default_db_path()?,
    };
    let store = Store::open(&path)?;
    let Some(problem) = store.quick_check()? else {
        return Ok(WindowFile { store, damaged: None });
    };
    drop(store);
    let Some(latest) = list_backups(&default_backup_dir(&path))?.into_iter().next() else {
        bail!(
            "the file failed its integrity check ({problem}) and there is no backup of it to open: {}",
            path.display()
        );
    };
    Ok(WindowFile {
        store: Store::open_read_only(&latest.path)?,
        damaged: Some((path, problem)),
    })
}

/// `clinilog.sqlite` in the per-user data folder, which is created if needed.
fn default_db_path() -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "clinilog")
        .context("cannot find your home folder to place the default database; pass --db PATH")?;
    let dir = dirs.data_dir();
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create the data folder: {}", dir.display()))?;
    Ok(dir.join("clinilog.sqlite"))
}
