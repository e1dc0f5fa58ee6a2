//! `clinilog copy --from clinic.sqlite --to postgres://…`: moves a clinic
//! from its file to a server database (the store does the work:
//! `store/pg/copy.rs`) and says what each table holds on both sides.

use std::io::Write;
use std::path::Path;

use anyhow::{Result, bail};

use crate::store::FileStore;
use crate::store::pg::copy::copy_file_to_server;
use crate::store::pg::{PgTarget, is_server_address};

pub fn run(from: &Path, to: &str, out: &mut impl Write) -> Result<()> {
    if !is_server_address(to) {
        bail!("--to takes a server database, written postgres://user@host:port/database");
    }
    if !from.is_file() {
        bail!("no database file to copy: {}", from.display());
    }
    let target = PgTarget::parse(to)?;
    // An older file is brought up to date first (with a backup, as always).
    let store = FileStore::open(from)?;
    let copied = copy_file_to_server(&store, &target)?;
    writeln!(out, "{:<22} {:>10}  checksum (SHA-256, file = server)", "table", "rows")?;
    for t in &copied {
        writeln!(out, "{:<22} {:>10}  {}", t.table, t.rows, t.checksum)?;
    }
    writeln!(
        out,
        "copied {} into {}: every table's count and checksum read back from the server equal the file's \
         (drafts of unsaved forms are not copied)",
        from.display(),
        target.describe()
    )?;
    Ok(())
}
