//! CSV: every table Clinilog writes goes through [`write_table`] here: the
//! observations export, the scores of a patient, the Trends table.
//!
//! The observations export: one row per observation, values as printed.
//! Columns, in this order: `mrn,date,measure_code,measure_name,loinc,value,
//! comparator,unit,reference_low,reference_high,flag,entry_id`. Dates are
//! ISO 8601, flags `H`, `L` or empty. Calculated values (indirect bilirubin
//! the lab did not print) are not observations and are not exported.

use std::io::Write;

use crate::domain::catalog::SYMPTOM_UNIT;
use crate::domain::trend_view::TrendTable;
use crate::domain::{Catalog, Entry, Patient};

/// Writes a header row and then every row as CSV (quoted where needed).
pub fn write_table<W: Write>(
    out: W,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<(), ::csv::Error> {
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record(header)?;
    for row in rows {
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}

/// [`write_table`] into a string.
pub fn table_text(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Result<String, ::csv::Error> {
    let mut bytes = Vec::new();
    write_table(&mut bytes, header, rows)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The Trends table as CSV: `date`, then one column per series.
pub fn trend_table(table: &TrendTable) -> Result<String, ::csv::Error> {
    let header: Vec<&str> = std::iter::once("date")
        .chain(table.columns.iter().map(String::as_str))
        .collect();
    let rows = table.rows.iter().map(|(d, cells)| {
        std::iter::once(d.to_string())
            .chain(cells.iter().cloned())
            .collect::<Vec<_>>()
    });
    table_text(&header, rows)
}

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
) -> Result<(), ::csv::Error> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (patient, entries) in patients {
        let mrn = patient.data.mrn.as_str();
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
                rows.push(
                    [
                        mrn,
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
                    ]
                    .map(str::to_owned)
                    .to_vec(),
                );
            }
            for s in &entry.data.symptoms {
                let name = catalog.measure(&s.code).map_or(s.code.as_str(), |m| m.name.as_str());
                rows.push(
                    [
                        mrn,
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
                    ]
                    .map(str::to_owned)
                    .to_vec(),
                );
            }
        }
    }
    write_table(out, &HEADER, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_with_a_comma_or_quote_is_quoted_and_reads_back_whole() {
        let text = table_text(
            &["date", "note"],
            [vec!["2025-07-19".to_owned(), "tired, \"very\"".to_owned()]],
        )
        .unwrap();
        assert_eq!(text, "date,note\n2025-07-19,\"tired, \"\"very\"\"\"\n");
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        let row = reader.records().next().unwrap().unwrap();
        assert_eq!(&row[1], "tired, \"very\"");
    }
}
