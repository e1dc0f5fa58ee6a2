//! `clinilog export`: observations as CSV, one row per observation, values
//! as printed (the format is `interop::csv`).

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::domain::Catalog;
use crate::interop::csv;
use crate::store::Store;

/// Writes the observations of every patient (or one) as CSV to a file or stdout.
pub fn run(db: &Path, patient: Option<&str>, out: Option<&Path>, catalog: &Catalog) -> Result<()> {
    if !db.is_file() {
        bail!("no database file to export from: {}", db.display());
    }
    let store = Store::open(db)?;
    let mut rows = store.patients_with_entries(patient)?;
    // A value whose interval looks like it is in another unit is exported without a flag.
    for (p, entries) in &mut rows {
        for e in entries {
            e.data.mark_interval_doubts(catalog, p.data.sex);
        }
    }
    let observations: usize = rows
        .iter()
        .flat_map(|(_, entries)| entries)
        .map(|e| e.data.labs.len() + e.data.symptoms.len())
        .sum();
    if observations == 0 {
        bail!(
            "nothing to export: {} no observations yet (no file was written)",
            match patient {
                Some(mrn) => format!("{mrn} has"),
                None => "the file has".to_owned(),
            }
        );
    }
    match out {
        Some(path) => {
            let mut file =
                File::create(path).with_context(|| format!("cannot write the CSV file: {}", path.display()))?;
            file.write_all(csv::BOM)?;
            csv::write_observations(file, &rows, catalog)?;
        }
        None => {
            let stdout = io::stdout();
            let mut lock = stdout.lock();
            csv::write_observations(&mut lock, &rows, catalog)?;
            lock.flush()?;
        }
    }
    Ok(())
}
