//! CSV: every table Clinilog writes goes through [`write_table`] here: the
//! observations export, the scores of a patient, the Trends table, the
//! import report.
//!
//! Safe to open in a spreadsheet: a text cell that starts with `=`, `+`,
//! `-`, `@`, a tab or a carriage return (which a spreadsheet would run as a
//! formula) is written with a leading `'`; numbers (`-5`, `12.30`) and a
//! lone `-` are left as they are. Files start with a UTF-8 byte-order mark
//! ([`BOM`]) so that spreadsheets read `µmol/L` and accented names right;
//! standard output has none, for pipes. The importer reads both back.
//!
//! The observations export: one row per observation, values as printed.
//! Columns, in this order: `mrn,date,measure_code,measure_name,loinc,value,
//! comparator,unit,reference_low,reference_high,flag,entry_id,source_document`. Dates are
//! ISO 8601, flags `HH`, `H`, `L`, `LL` (critical beyond the call-back limits) or empty. Calculated values (indirect bilirubin
//! the lab did not print) are not observations and are not exported.

use std::io::Write;

use clinilog_domain::catalog::SYMPTOM_UNIT;
use clinilog_domain::trend_view::TrendTable;
use clinilog_domain::{Catalog, Entry, Patient};

/// The UTF-8 byte-order mark a CSV file starts with.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Whether a spreadsheet would take this cell for a formula.
fn formula_like(cell: &str) -> bool {
    let Some(first) = cell.chars().next() else {
        return false;
    };
    if !matches!(first, '=' | '+' | '-' | '@' | '\t' | '\r') {
        return false;
    }
    // A number, negative or not, is a value; a lone "-" says "none".
    let number = cell.strip_prefix('-').unwrap_or(cell);
    let plain_number = !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit() || c == '.')
        && number.chars().any(|c| c.is_ascii_digit());
    !(cell == "-" || plain_number)
}

/// A cell as written: formula-like text gets a leading `'`.
pub fn safe_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    if formula_like(cell) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// A cell as read back: the `'` that [`safe_cell`] added comes off.
pub fn unsafe_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if formula_like(rest) => rest,
        _ => cell,
    }
}

/// Writes a header row and then every row as CSV (quoted where needed,
/// formula-like text neutralised).
pub fn write_table<W: Write>(
    out: W,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<(), ::csv::Error> {
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record(header)?;
    for row in rows {
        w.write_record(row.iter().map(|c| safe_cell(c).into_owned()))?;
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

/// A cohort's table: its header and one row per patient; values as
/// printed, changes with two decimals, percentages with one.
pub fn cohort_table(cohort: &clinilog_domain::cohort::Cohort, at_days: &[i64]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut header: Vec<String> = ["patient_id", "name", "day0", "baseline_date", "baseline"]
        .map(str::to_owned)
        .to_vec();
    for d in at_days {
        header.extend([
            format!("day{d}_date"),
            format!("day{d}"),
            format!("day{d}_change"),
            format!("day{d}_change_percent"),
        ]);
    }
    header.extend(["values".to_owned(), "notes".to_owned()]);
    let num = |x: Option<f64>, decimals: usize| x.map_or(String::new(), |v| format!("{v:.decimals$}"));
    let rows = cohort
        .rows
        .iter()
        .map(|r| {
            let mut row = vec![
                r.patient_id.to_string(),
                r.name.clone(),
                r.day0.to_string(),
                r.baseline.as_ref().map_or(String::new(), |b| b.date.to_string()),
                r.baseline.as_ref().map_or(String::new(), |b| b.text.clone()),
            ];
            for i in 0..at_days.len() {
                let at = r.at.get(i).cloned().flatten();
                row.extend([
                    at.as_ref().map_or(String::new(), |p| p.date.to_string()),
                    at.as_ref().map_or(String::new(), |p| p.text.clone()),
                    num(r.change.get(i).copied().flatten(), 2),
                    num(r.change_percent.get(i).copied().flatten(), 1),
                ]);
            }
            row.extend([r.count.to_string(), r.notes.join("; ")]);
            row
        })
        .collect();
    (header, rows)
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

pub const HEADER: [&str; 13] = [
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
    // The SHA-256 of the printed report the entry was read from (capture).
    "source_document",
];

/// Writes the observations of `patients` (entries oldest first) as CSV.
pub fn write_observations<W: Write>(
    out: W,
    patients: &[(Patient, Vec<Entry>)],
    catalog: &Catalog,
    sources: &std::collections::HashMap<i64, String>,
) -> Result<(), ::csv::Error> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (patient, entries) in patients {
        let mrn = patient.data.mrn.as_str();
        for entry in entries {
            let date = entry.data.collected_on.to_string();
            // 0: not saved (a capture's dry run).
            let id = if entry.id == 0 {
                String::new()
            } else {
                entry.id.to_string()
            };
            let source = sources.get(&entry.id).map_or("", String::as_str);
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
                        source,
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
                        source,
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
    fn formula_like_text_is_neutralised_and_values_are_not() {
        let text = table_text(
            &["name", "value", "note"],
            [
                vec!["=HYPERLINK(\"x\")".to_owned(), "-5".to_owned(), "-".to_owned()],
                vec!["@SUM(A1)".to_owned(), "12.30".to_owned(), "+1 call".to_owned()],
                vec!["-2+3".to_owned(), "<0.1".to_owned(), "ok".to_owned()],
            ],
        )
        .unwrap();
        assert_eq!(
            text,
            "name,value,note\n\"'=HYPERLINK(\"\"x\"\")\",-5,-\n'@SUM(A1),12.30,'+1 call\n'-2+3,<0.1,ok\n"
        );
        for cell in ["=HYPERLINK(\"x\")", "@SUM(A1)", "-2+3", "-5", "12.30", "'quoted"] {
            assert_eq!(unsafe_cell(&safe_cell(cell)), cell);
        }
    }

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
