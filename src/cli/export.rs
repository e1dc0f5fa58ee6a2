//! `clinilog export`: observations as CSV, one row per observation, values
//! as printed (the format is `interop::csv`); or the adverse events, one
//! row per event.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::domain::Catalog;
use crate::interop::csv;

/// Writes the observations of every patient (or one) as CSV to a file or stdout.
pub fn run(db: &Path, patient: Option<&str>, out: Option<&Path>, catalog: &Catalog) -> Result<()> {
    let store = super::existing_records(db, false)?;
    let mut rows = store.patients_with_entries(patient)?;
    // A value whose interval looks like it is in another unit is exported without a flag.
    for (p, entries) in &mut rows {
        for e in entries {
            e.data.mark_flags(catalog, p.data.sex);
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
    let sources = store.entry_sources()?;
    write_to(out, |w| csv::write_observations(w, &rows, catalog, &sources))
}

/// Writes CSV to a file (with the byte-order mark spreadsheets need) or to
/// standard output.
fn write_to(out: Option<&Path>, write: impl FnOnce(&mut dyn Write) -> Result<(), ::csv::Error>) -> Result<()> {
    match out {
        Some(path) => {
            let mut file =
                File::create(path).with_context(|| format!("cannot write the CSV file: {}", path.display()))?;
            file.write_all(csv::BOM)?;
            write(&mut file)?;
        }
        None => {
            let stdout = io::stdout();
            let mut lock = stdout.lock();
            write(&mut lock)?;
            lock.flush()?;
        }
    }
    Ok(())
}

/// The adverse-event CSV's columns.
pub const ADVERSE_HEADER: [&str; 14] = [
    "mrn",
    "onset",
    "term",
    "grade",
    "grade_meaning",
    "serious",
    "relation",
    "cycle",
    "action",
    "outcome",
    "resolved_on",
    "note",
    "recorded_by",
    "event_id",
];

/// Writes the adverse events (not voided) of every patient (or one) as CSV.
pub fn adverse_events(db: &Path, patient: Option<&str>, out: Option<&Path>) -> Result<()> {
    let store = super::existing_records(db, false)?;
    let mut rows = Vec::new();
    for (p, _) in store.patients_with_entries(patient)? {
        for e in store.adverse_events(p.id)? {
            let d = e.data;
            rows.push(vec![
                p.data.mrn.clone(),
                d.onset.to_string(),
                d.term,
                d.grade.to_string(),
                crate::domain::adverse::grade_meaning(d.grade).to_owned(),
                if d.serious { "yes" } else { "no" }.to_owned(),
                d.relation.as_str().to_owned(),
                d.cycle.map(|c| c.to_string()).unwrap_or_default(),
                d.action.as_str().to_owned(),
                d.outcome.as_str().to_owned(),
                d.resolved_on.map(|r| r.to_string()).unwrap_or_default(),
                d.note,
                d.recorded_by,
                e.id.to_string(),
            ]);
        }
    }
    if rows.is_empty() {
        bail!(
            "nothing to export: {} no adverse events recorded (no file was written)",
            match patient {
                Some(mrn) => format!("{mrn} has"),
                None => "the file has".to_owned(),
            }
        );
    }
    write_to(out, |w| csv::write_table(w, &ADVERSE_HEADER, rows))
}
