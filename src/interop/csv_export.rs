//! CSV export: one row per observation, values as printed.
//!
//! Columns, in this order: `mrn,date,measure_code,measure_name,loinc,value,
//! comparator,unit,reference_low,reference_high,flag,entry_id`. Dates are
//! ISO 8601, flags `H`, `L` or empty. Calculated values (indirect bilirubin
//! the lab did not print) are not observations and are not exported.

use std::io::Write;

use crate::domain::catalog::SYMPTOM_UNIT;
use crate::domain::{Catalog, Entry, Patient};

pub const HEADER: [&str; 12] = [
    "mrn",
    "date",
    "measure_code",
    "measure_name",
    "loinc",
    "value",
    "comparator",
    "unit",
    "reference_low",
    "reference_high",
    "flag",
    "entry_id",
];

/// Writes the observations of `patients` (entries oldest first) as CSV.
pub fn write_observations<W: Write>(
    out: W,
    patients: &[(Patient, Vec<Entry>)],
    catalog: &Catalog,
) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER)?;
    for (patient, entries) in patients {
        for entry in entries {
            let date = entry.data.collected_on.to_string();
            let id = entry.id.to_string();
            let mut labs: Vec<_> = entry.data.labs.iter().collect();
            labs.sort_by_key(|l| catalog.order_of(&l.code));
            for lab in labs {
                let measure = catalog.measure(&lab.code);
                let loinc = measure.and_then(|m| m.lab()).map_or("", |spec| {
                    // The LOINC code depends on the unit the lab printed.
                    match &spec.si {
                        Some(si) if si.unit == lab.unit && si.unit != spec.unit => si.loinc.as_deref().unwrap_or(""),
                        _ => spec.loinc.as_str(),
                    }
                });
                let low = lab.reference.low.as_ref().map(|d| d.as_str()).unwrap_or("");
                let high = lab.reference.high.as_ref().map(|d| d.as_str()).unwrap_or("");
                w.write_record([
                    patient.data.mrn.as_str(),
                    &date,
                    &lab.code,
                    measure.map_or(lab.code.as_str(), |m| m.name.as_str()),
                    loinc,
                    lab.value.as_str(),
                    lab.comparator.map_or("", |c| c.as_str()),
                    &lab.unit,
                    low,
                    high,
                    lab.flag.letter(),
                    &id,
                ])?;
            }
            for s in &entry.data.symptoms {
                let name = catalog.measure(&s.code).map_or(s.code.as_str(), |m| m.name.as_str());
                w.write_record([
                    patient.data.mrn.as_str(),
                    &date,
                    &s.code,
                    name,
                    "",
                    &s.value.to_string(),
                    "",
                    SYMPTOM_UNIT,
                    "",
                    "",
                    "",
                    &id,
                ])?;
            }
        }
    }
    w.flush()?;
    Ok(())
}
