//! Command-line jobs: one file per subcommand (`cohort.rs`, `demo.rs`, `due.rs`, `export.rs`,
//! `score.rs` for `score` and `scores`, `import.rs`, `fhir.rs`, `report.rs`, `backup.rs` for `backup`, `backups`,
//! `restore` and `check`). `main.rs` parses the command line
//! and dispatches here or to the window. Every failure is one `anyhow`
//! error that `main` prints as one line before exiting non-zero.

pub mod backup;
pub mod clinic;
pub mod cohort;
pub mod demo;
pub mod due;
pub mod export;
pub mod fhir;
pub mod import;
pub mod report;
pub mod score;

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::store::Store;

/// The file the window opens: `db`, else the default database. (Its
/// integrity is checked by the window, on a thread, so opening stays fast.)
pub fn window_store(db: Option<PathBuf>) -> Result<Store> {
    let path = match db {
        Some(p) => p,
        None => default_db_path()?,
    };
    Ok(Store::open(&path)?)
}

/// `clinilog.sqlite` in the per-user data folder, which is created if needed.
fn default_db_path() -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "clinilog")
        .context("cannot find your home folder to place the default database; pass --db PATH")?;
    let dir = dirs.data_dir();
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create the data folder: {}", dir.display()))?;
    Ok(dir.join("clinilog.sqlite"))
}
