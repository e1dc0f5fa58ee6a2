//! `clinilog fhir`: a patient's record (or every patient's) as a FHIR R4
//! Bundle of type `collection` (`interop::fhir`).

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::domain::Catalog;
use crate::interop::fhir::{self, PatientRecord};
use crate::store::Store;

/// What an export holds: each patient with current entries (oldest first,
/// doubtful intervals marked) and treatment events.
pub fn records(
    store: &Store,
    patient: Option<&str>,
    catalog: &Catalog,
) -> Result<Vec<PatientRecord>> {
    let mut out = Vec::new();
    for (p, mut entries) in store.patients_with_entries(patient)? {
        for e in &mut entries {
            e.data.mark_interval_doubts(catalog, p.data.sex);
        }
        let treatments = store.treatments(p.id)?;
        out.push((p, entries, treatments));
    }
    Ok(out)
}

/// Writes the Bundle to `out`, or to standard output.
pub fn run(db: &Path, patient: Option<&str>, out: Option<&Path>, catalog: &Catalog) -> Result<()> {
    if !db.is_file() {
        bail!("no database file to export from: {}", db.display());
    }
    let store = Store::open_read_only(db)?;
    let records = records(&store, patient, catalog)?;
    if records.is_empty() {
        bail!("nothing to export: the file has no patients yet: {}", db.display());
    }
    let json = fhir::bundle(catalog, &records, &jiff::Timestamp::now().to_string())?;
    match out {
        Some(path) => std::fs::write(path, json + "\n")
            .with_context(|| format!("cannot write the FHIR file: {}", path.display()))?,
        None => println!("{json}"),
    }
    Ok(())
}
