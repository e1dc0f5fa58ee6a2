//! Command-line jobs: one file per subcommand (`cohort.rs`, `demo.rs`, `due.rs`, `export.rs`,
//! `score.rs` for `score` and `scores`, `import.rs`, `fhir.rs`, `report.rs`, `backup.rs` for `backup`, `backups`,
//! `restore` and `check`, `copy.rs` for moving a file to a server). `main.rs` parses the command line
//! and dispatches here or to the window. Every failure is one `anyhow`
//! error that `main` prints as one line before exiting non-zero.

pub mod backup;
pub mod capture;
pub mod clinic;
pub mod cohort;
pub mod copy;
pub mod demo;
pub mod due;
pub mod export;
pub mod fhir;
pub mod import;
pub mod protect;
pub mod report;
pub mod score;
pub mod server;

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::store::{ClinicStore, Location};

/// The records the window opens: `db` (a file, or `postgres://…`), else
/// the default database. (A file's integrity is checked by the window, on a
/// thread, so opening stays fast.) No store when the server asks for a
/// password this computer does not have, or when the file is encrypted and
/// its key is not here: the window asks for it.
pub fn window_store(db: Option<PathBuf>) -> Result<(Option<Box<dyn ClinicStore>>, Location)> {
    let location = match db {
        Some(p) => Location::parse(&p)?,
        None => Location::File(default_db_path()?),
    };
    match location.open() {
        Ok(store) => Ok((Some(store), location)),
        Err(crate::store::StoreError::NeedsPassword { .. }) => Ok((None, location)),
        // An encrypted file whose key is not here: the window asks for its recovery key.
        Err(crate::store::StoreError::Locked { .. }) if matches!(location, Location::File(_)) => Ok((None, location)),
        Err(e) => Err(e.into()),
    }
}

/// The records at `db` (a file that must exist, or `postgres://…`) for a
/// command: opened to write, or read-only.
pub fn existing_records(db: &std::path::Path, read_only: bool) -> Result<Box<dyn ClinicStore>> {
    let location = Location::parse(db)?;
    Ok(match &location {
        Location::File(path) if !path.is_file() => anyhow::bail!("no database file: {}", path.display()),
        _ if read_only => location.open_read_only()?,
        Location::File(_) => location.open()?,
        // A command never sets a clinic up in an empty database.
        Location::Server(target) => Box::new(crate::store::pg::PgStore::open_existing(target)?),
    })
}

/// Who signs a command's writes: on a server set up by `server init`, the
/// login (a name given with `--user` is refused: the server signs); else
/// the name given, or `default`.
pub fn signer(
    store: &dyn ClinicStore,
    given: Option<&str>,
    default: impl FnOnce() -> Result<String>,
) -> Result<String> {
    let given = given.map(str::trim).filter(|u| !u.is_empty());
    match (store.server_login(), given) {
        (Some(login), Some(name)) => anyhow::bail!(
            "--user \"{name}\" is not taken on this server: every change is signed by the login that makes it \
             ({}); to sign as someone else, log in as them (the address's user, or PGUSER)",
            login.signer()
        ),
        (Some(login), None) => Ok(login.signer()),
        (None, Some(name)) => Ok(name.to_owned()),
        (None, None) => default(),
    }
}

/// A command that writes refuses at once, in one sentence, records it may
/// not write: an auditor's login, a read-only file or database.
pub fn may_write(store: &dyn ClinicStore) -> Result<()> {
    if let Some(login) = store.server_login()
        && login.role == crate::store::pg::server::Role::Auditor
    {
        anyhow::bail!(
            "{} is logged in as an auditor, who reads and exports but saves nothing",
            login.login
        );
    }
    if store.read_only() {
        anyhow::bail!("{} is open read-only: nothing can be saved in it", store.describe());
    }
    Ok(())
}

/// The measure catalog as this clinic uses it: the built-in liver panel,
/// with the clinic's own critical limits when its mapping file
/// (`clinilog-mapping.toml` beside the database file; for a server, or the
/// default database, in this workstation's Clinilog data folder) has a
/// `[critical]` table.
pub fn clinic_catalog(db: Option<&std::path::Path>) -> Result<crate::domain::Catalog> {
    use crate::interop::import::{MAPPING_FILE, mapping_folder};
    let mut catalog = crate::domain::Catalog::builtin()?;
    let folder = match db {
        Some(db) => mapping_folder(&Location::parse(db)?),
        None => directories::ProjectDirs::from("", "", "clinilog").map(|d| d.data_dir().to_owned()),
    };
    if let Some(path) = folder.map(|d| d.join(MAPPING_FILE)).filter(|p| p.is_file()) {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the clinic's mapping file: {}", path.display()))?;
        catalog.apply_clinic_critical(&text, &path.display().to_string())?;
    }
    Ok(catalog)
}

/// `clinilog.sqlite` in the per-user data folder, which is created if needed.
fn default_db_path() -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "clinilog")
        .context("cannot find your home folder to place the default database; pass --db PATH")?;
    let dir = dirs.data_dir();
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create the data folder: {}", dir.display()))?;
    Ok(dir.join("clinilog.sqlite"))
}
