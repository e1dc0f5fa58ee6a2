//! `clinilog fhir`: a patient's record (or every patient's) as a FHIR R4
//! Bundle of type `collection` (`interop::fhir`).

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::domain::Catalog;
use crate::interop::fhir;

/// Writes the Bundle to `out`, or to standard output.
pub fn run(db: &Path, patient: Option<&str>, out: Option<&Path>, catalog: &Catalog) -> Result<()> {
    let store = super::existing_records(db, true)?;
    let records = fhir::records(&*store, patient, catalog)?;
    if records.is_empty() {
        bail!("nothing to export: the file has no patients yet: {}", db.display());
    }
    for r in &records {
        if r.is_only_patient() {
            eprintln!(
                "clinilog: note: {} has no entries or treatments yet: the Bundle holds the Patient only",
                r.patient.data.mrn
            );
        }
    }
    let head = store.audit_head()?.map(|h| h.to_string());
    let json = fhir::bundle(catalog, &records, &jiff::Timestamp::now().to_string(), head.as_deref())?;
    match out {
        Some(path) => std::fs::write(path, json + "\n")
            .with_context(|| format!("cannot write the FHIR file: {}", path.display()))?,
        None => println!("{json}"),
    }
    Ok(())
}
