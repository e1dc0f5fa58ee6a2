//! CSV files of results, in the two shapes clinics have:
//!
//! - **long**: one row per result (patient, date, test, value, unit,
//!   interval or low/high, flag), Clinilog's own export among them;
//! - **wide**: one row per date and one column per test (a flowsheet or a
//!   spreadsheet kept by hand), the unit in the column header
//!   (`Total bilirubin (mg/dL)`) or in the cell (`70 U/L`).
//!
//! The delimiter is read off the header line (`,`, `;` or tab); with `;`,
//! numbers may use a decimal comma. Columns are found by their header,
//! ignoring case, spaces and punctuation.

use std::cell::Cell;
use std::io::BufRead;
use std::rc::Rc;

use super::text::Utf8Lines;
use super::{ImportError, Item};
use clinilog_domain::import::{RawPatient, RawResult, name_key};

const MRN: &[&str] = &[
    "mrn",
    "patientid",
    "patient",
    "patientmrn",
    "medicalrecordnumber",
    "recordnumber",
    "hospitalnumber",
    "pid",
];
const DATE: &[&str] = &[
    "date",
    "collected",
    "collectedon",
    "collectiondate",
    "datecollected",
    "sampledate",
    "specimendate",
    "resultdate",
    "observationdate",
    "effectivedate",
    "visitdate",
    "datum",
    "fecha",
];
const LOINC: &[&str] = &["loinc", "loinccode"];
const CODE: &[&str] = &["code", "testcode", "measurecode", "localcode"];
const TEST: &[&str] = &[
    "test",
    "testname",
    "measurename",
    "measure",
    "analyte",
    "parameter",
    "investigation",
    "component",
];
const VALUE: &[&str] = &["value", "result", "resultvalue", "observationvalue", "obsvalue"];
const COMPARATOR: &[&str] = &["comparator"];
const UNIT: &[&str] = &["unit", "units", "resultunit", "uom"];
const RANGE: &[&str] = &[
    "referencerange",
    "refrange",
    "range",
    "normalrange",
    "referenceinterval",
    "interval",
    "reference",
    "biologicalreferenceinterval",
    "normalvalues",
];
const LOW: &[&str] = &["referencelow", "reflow", "low", "lowerlimit", "normallow"];
const HIGH: &[&str] = &["referencehigh", "refhigh", "high", "upperlimit", "normalhigh"];
const FLAG: &[&str] = &["flag", "abnormalflag", "flags"];
const NAME: &[&str] = &["name", "patientname", "fullname"];
const SEX: &[&str] = &["sex", "gender"];
const BIRTH: &[&str] = &["birthdate", "dob", "dateofbirth", "birthday"];
/// Columns of neither shape's results (Clinilog's export, notes).
const IGNORED: &[&str] = &[
    "entryid", "id", "note", "notes", "comment", "comments", "age", "week", "day", "visit", "cycle", "remarks",
];

#[derive(Clone, Copy, Debug, Default)]
struct Patient {
    mrn: Option<usize>,
    name: Option<usize>,
    sex: Option<usize>,
    birth: Option<usize>,
}

#[derive(Clone, Debug)]
struct Long {
    date: usize,
    loinc: Option<usize>,
    code: Option<usize>,
    test: Option<usize>,
    value: usize,
    comparator: Option<usize>,
    unit: Option<usize>,
    range: Option<usize>,
    low: Option<usize>,
    high: Option<usize>,
    flag: Option<usize>,
}

#[derive(Clone, Debug)]
struct Wide {
    date: usize,
    /// Column, the test as its header names it, the unit the header gives.
    tests: Vec<(usize, String, String)>,
}

/// Which of the two shapes a header describes.
#[derive(Clone, Debug)]
enum Layout {
    Long(Long),
    Wide(Wide),
}

/// `Total bilirubin (mg/dL)` or `ALT [U/L]` -> (`Total bilirubin`, `mg/dL`).
fn header_unit(h: &str) -> (String, String) {
    let t = h.trim();
    for (open, close) in [('(', ')'), ('[', ']')] {
        if t.ends_with(close)
            && let Some(at) = t.rfind(open)
        {
            return (t[..at].trim().to_owned(), t[at + 1..t.len() - 1].trim().to_owned());
        }
    }
    (t.to_owned(), String::new())
}

fn layout(header: &[String]) -> Result<(Layout, Patient), ImportError> {
    let keys: Vec<String> = header.iter().map(|h| name_key(h)).collect();
    let find = |names: &[&str]| names.iter().find_map(|n| keys.iter().position(|k| k == n));
    let patient = Patient {
        mrn: find(MRN),
        name: find(NAME),
        sex: find(SEX),
        birth: find(BIRTH),
    };
    let Some(date) = find(DATE) else {
        return Err(ImportError::Refused(format!(
            "no date column in the header ({}): name the collection date column \"date\"",
            header.join(", ")
        )));
    };
    let value = find(VALUE);
    let (loinc, code, test) = (find(LOINC), find(CODE), find(TEST));
    if let Some(value) = value
        && (loinc.is_some() || code.is_some() || test.is_some())
    {
        return Ok((
            Layout::Long(Long {
                date,
                loinc,
                code,
                test,
                value,
                comparator: find(COMPARATOR),
                unit: find(UNIT),
                range: find(RANGE),
                low: find(LOW),
                high: find(HIGH),
                flag: find(FLAG),
            }),
            patient,
        ));
    }
    let known: Vec<usize> = [Some(date), patient.mrn, patient.name, patient.sex, patient.birth]
        .into_iter()
        .flatten()
        .collect();
    let tests = header
        .iter()
        .enumerate()
        .filter(|(i, h)| !known.contains(i) && !IGNORED.contains(&name_key(h).as_str()) && !h.trim().is_empty())
        .map(|(i, h)| {
            let (name, unit) = header_unit(h);
            (i, name, unit)
        })
        .collect::<Vec<_>>();
    if tests.is_empty() {
        return Err(ImportError::Refused(
            "the header names no tests: a long file needs \"test\" and \"value\" columns, a wide one a column per test"
                .to_owned(),
        ));
    }
    Ok((Layout::Wide(Wide { date, tests }), patient))
}

/// The delimiter a header line uses most: `;`, tab or `,`.
fn sniff_delimiter(first_line: &str) -> u8 {
    let count = |c: char| first_line.matches(c).count();
    [(b';', count(';')), (b'\t', count('\t')), (b',', count(','))]
        .into_iter()
        .max_by_key(|&(d, n)| (n, d == b','))
        .map_or(b',', |(d, _)| d)
}

/// What the CSV file is: for the preview's heading.
pub fn describe(shape_long: bool, delimiter: u8) -> String {
    let d = match delimiter {
        b';' => "semicolons",
        b'\t' => "tabs",
        _ => "commas",
    };
    format!(
        "CSV, {} (one row per {}), separated by {d}",
        if shape_long { "long" } else { "wide" },
        if shape_long { "result" } else { "date" }
    )
}

/// Reads a CSV file of results and hands each to `emit`. `patient` is the
/// MRN for a file with no patient column. Gives the file's description.
pub fn read<R: BufRead>(
    mut input: R,
    consumed: Rc<Cell<u64>>,
    patient_mrn: Option<&str>,
    emit: &mut dyn FnMut(Item) -> Result<(), ImportError>,
) -> Result<String, ImportError> {
    let first = {
        let buf = input.fill_buf().map_err(ImportError::Read)?;
        let end = buf.iter().position(|&b| b == b'\n').unwrap_or(buf.len());
        super::text::decode_line(&buf[..end]).into_owned()
    };
    let delimiter = sniff_delimiter(&first);
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(Utf8Lines::new(input, consumed));
    let mut records = reader.records();
    let header: Vec<String> = match records.next() {
        Some(Ok(h)) => h.iter().map(|s| s.trim().to_owned()).collect(),
        Some(Err(e)) => {
            return Err(ImportError::Refused(format!(
                "the header line is not readable as CSV: {e}"
            )));
        }
        None => return Err(ImportError::Refused("the file is empty".to_owned())),
    };
    let (layout, patient) = layout(&header)?;
    if patient.mrn.is_none() && patient_mrn.is_none() {
        return Err(ImportError::Refused(
            "the file has no MRN column: add one (\"mrn\"), or choose the patient these results belong to (--patient MRN)"
                .to_owned(),
        ));
    }
    let long = matches!(layout, Layout::Long(_));
    // Rows are counted here (the header is row 1): the CSV reader's own
    // line count is off by one on CRLF files.
    for (line, record) in (2u64..).zip(records) {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                emit(Item::Problem {
                    line,
                    reason: format!("not readable as CSV: {e}"),
                })?;
                continue;
            }
        };
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if record.len() > header.len() {
            emit(Item::Problem {
                line,
                reason: format!(
                    "has {} fields and the header has {}: check the delimiter and quotes",
                    record.len(),
                    header.len()
                ),
            })?;
            continue;
        }
        // A cell a spreadsheet-safe writer prefixed with ' reads as written.
        let cell =
            |i: Option<usize>| crate::csv::unsafe_cell(i.and_then(|i| record.get(i)).unwrap_or("").trim()).to_owned();
        let mrn = patient
            .mrn
            .map_or_else(|| patient_mrn.unwrap_or("").to_owned(), |i| cell(Some(i)));
        let details =
            (patient.name.is_some() || patient.sex.is_some() || patient.birth.is_some()).then(|| RawPatient {
                name: cell(patient.name),
                sex: cell(patient.sex),
                birth_date: cell(patient.birth),
            });
        match &layout {
            Layout::Long(c) => {
                let comparator = cell(c.comparator);
                let value = cell(Some(c.value));
                let value = if comparator.is_empty() || value.starts_with(['<', '>']) {
                    value
                } else {
                    format!("{comparator}{value}")
                };
                let loinc = cell(c.loinc);
                let code = if loinc.is_empty() { cell(c.code) } else { loinc };
                let test = match cell(c.test) {
                    t if t.is_empty() => cell(c.code),
                    t => t,
                };
                emit(Item::Result(RawResult {
                    line,
                    mrn,
                    patient: details,
                    date: cell(Some(c.date)),
                    code,
                    test,
                    value,
                    unit: cell(c.unit),
                    range: cell(c.range),
                    low: cell(c.low),
                    high: cell(c.high),
                    flag: cell(c.flag),
                }))?;
            }
            Layout::Wide(c) => {
                let date = cell(Some(c.date));
                for (col, name, unit) in &c.tests {
                    let value = cell(Some(*col));
                    // An empty cell is no result; a placeholder is listed as skipped.
                    if value.is_empty() {
                        continue;
                    }
                    emit(Item::Result(RawResult {
                        line,
                        mrn: mrn.clone(),
                        patient: details.clone(),
                        date: date.clone(),
                        code: String::new(),
                        test: name.clone(),
                        value,
                        unit: unit.clone(),
                        ..RawResult::default()
                    }))?;
                }
            }
        }
    }
    Ok(describe(long, delimiter))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(text: &str, patient: Option<&str>) -> Result<(String, Vec<Item>), ImportError> {
        let mut out = Vec::new();
        let d = read(text.as_bytes(), Rc::new(Cell::new(0)), patient, &mut |i| {
            out.push(i);
            Ok(())
        })?;
        Ok((d, out))
    }

    fn result(i: &Item) -> &RawResult {
        match i {
            Item::Result(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn long_rows_become_one_result_each() {
        let (d, out) = items(
            "MRN;Date;Test;Result;Unit;Reference range\nA1;04.08.2025;TBIL;12,30;mg/dL;0,0 - 1,0\nA1;04.08.2025;ALT;70 U/L;;\n",
            None,
        )
        .unwrap();
        assert!(d.contains("long") && d.contains("semicolons"), "{d}");
        assert_eq!(out.len(), 2);
        let r = result(&out[0]);
        assert_eq!((r.line, r.mrn.as_str(), r.date.as_str()), (2, "A1", "04.08.2025"));
        assert_eq!(
            (r.test.as_str(), r.value.as_str(), r.unit.as_str(), r.range.as_str()),
            ("TBIL", "12,30", "mg/dL", "0,0 - 1,0")
        );
        assert_eq!(result(&out[1]).value, "70 U/L");
    }

    #[test]
    fn wide_rows_become_one_result_per_filled_cell() {
        let (d, out) = items(
            "Date,Total bilirubin (mg/dL),ALT [U/L],Notes\n2025-08-04,12.30,,felt tired\n2025-08-11,--,70,\n",
            Some("A1"),
        )
        .unwrap();
        assert!(d.contains("wide"), "{d}");
        let got: Vec<_> = out
            .iter()
            .map(|i| {
                let r = result(i);
                (r.line, r.test.clone(), r.value.clone(), r.unit.clone())
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (2, "Total bilirubin".to_owned(), "12.30".to_owned(), "mg/dL".to_owned()),
                (3, "Total bilirubin".to_owned(), "--".to_owned(), "mg/dL".to_owned()),
                (3, "ALT".to_owned(), "70".to_owned(), "U/L".to_owned()),
            ]
        );
        assert_eq!(result(&out[0]).mrn, "A1");
    }

    #[test]
    fn a_file_it_cannot_place_is_refused_with_the_reason() {
        let e = items("Date,ALT\n2025-08-04,70\n", None).unwrap_err().to_string();
        assert!(e.contains("MRN"), "{e}");
        let e = items("mrn,test,value\nA1,ALT,70\n", None).unwrap_err().to_string();
        assert!(e.contains("date column"), "{e}");
        let (_, out) = items(
            &format!("mrn,date,test,value\nA1,2025-08-04,ALT,70{}\n", ",x".repeat(10_000)),
            None,
        )
        .unwrap();
        match &out[0] {
            Item::Problem { line, reason } => assert!(*line == 2 && reason.contains("10004 fields"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }
}
