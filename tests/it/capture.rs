//! Reading printed lab reports: the corpus of twelve layouts, each as a
//! text PDF and as a scan (Tesseract, for real), judged value by value.

use std::collections::BTreeMap;

use clinilog_domain::capture::{Proposal, Reading, read_report_date};
use clinilog_domain::import::{LocalCodes, ReadValue};
use clinilog_domain::{Catalog, Sex};
use clinilog_interop::capture::{Capture, CaptureOptions, Document, Source, read_document};

use super::capture_corpus::{Layout, layouts, scan_file, typeset};

/// How one reading of one layout went.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Counts {
    pub printed: usize,
    pub read: usize,
    pub not_read: usize,
    pub missed: usize,
    pub wrong: Vec<String>,
}

fn document(name: &str, bytes: Vec<u8>) -> Document {
    use sha2::Digest;
    Document {
        name: name.to_owned(),
        media_type: clinilog_interop::capture::media_type(&bytes)
            .expect("a known type")
            .to_owned(),
        sha256: sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        bytes,
    }
}

pub fn capture(name: &str, bytes: Vec<u8>, catalog: &Catalog) -> Capture {
    let local = LocalCodes::default();
    read_document(
        document(name, bytes),
        &CaptureOptions {
            catalog,
            local_codes: &local,
            sex: Sex::Male,
            pictures: false,
        },
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Every printed value is read exactly, or listed as not read; never
/// proposed with other digits, unit or interval, or as another measure.
pub fn judge(layout: &Layout, c: &Capture) -> Counts {
    let mut n = Counts::default();
    let truth: BTreeMap<&str, _> = layout.rows.iter().filter_map(|r| r.truth.map(|t| (t.0, t))).collect();
    let mut unassigned = c
        .proposals
        .iter()
        .filter(|p| p.measure.is_none() || !truth.contains_key(p.measure.as_deref().unwrap_or("")))
        .filter(|p| matches!(p.reading, Reading::NotRead(_)))
        .count();
    for p in &c.proposals {
        if let Reading::Read(v) = &p.reading {
            let code = v.code();
            match truth.get(code) {
                None => n.wrong.push(format!(
                    "{}: read as {code}, which the report does not print",
                    p.row.test
                )),
                Some(t) => {
                    let ReadValue::Lab(l) = v else {
                        n.wrong.push(format!("{code}: not a lab value"));
                        continue;
                    };
                    let got = (
                        l.value_text(),
                        l.unit.as_str(),
                        p.interval.0.as_str(),
                        p.interval.1.as_str(),
                    );
                    let want = (t.1.to_owned(), t.2, t.3, t.4);
                    if got != want {
                        n.wrong.push(format!("{code}: read {got:?}, printed {want:?}"));
                    }
                }
            }
        }
    }
    for r in &layout.rows {
        n.printed += 1;
        let found: Vec<&Proposal> = match r.truth {
            Some(t) => c
                .proposals
                .iter()
                .filter(|p| p.measure.as_deref() == Some(t.0))
                .collect(),
            None => Vec::new(),
        };
        match found.first().map(|p| &p.reading) {
            Some(Reading::Read(_)) => n.read += 1,
            Some(Reading::NotRead(_)) => n.not_read += 1,
            None if unassigned > 0 => {
                unassigned -= 1;
                n.not_read += 1;
            }
            None => n.missed += 1,
        }
    }
    n
}

fn header_is_the_seed_patient(name: &str, c: &Capture) {
    assert_eq!(c.header.mrn.as_deref(), Some("DEMO-001"), "{name}: {:?}", c.header);
    let date = c
        .header
        .collected_text
        .as_deref()
        .map(|t| read_report_date(t, c.header.date_order));
    assert_eq!(date, Some(Ok(jiff::civil::date(2025, 7, 19))), "{name}: {:?}", c.header);
}

#[test]
fn every_layout_as_a_text_pdf_is_read_exactly() {
    let catalog = Catalog::builtin().unwrap();
    let mut table = Vec::new();
    for layout in layouts() {
        let pdf = typeset(&layout.source, &[]);
        let c = capture(layout.name, pdf, &catalog);
        assert_eq!(c.source, Source::TextPdf);
        let n = judge(&layout, &c);
        table.push(format!(
            "{:<24} printed {:>2}  read {:>2}  not read {:>2}  missed {}",
            layout.name, n.printed, n.read, n.not_read, n.missed
        ));
        for p in c.not_read() {
            table.push(format!("    not read: {}", p.describe(&catalog)));
        }
        assert!(n.wrong.is_empty(), "{}: {:?}", layout.name, n.wrong);
        assert_eq!(n.missed, 0, "{}: {n:?}\n{:#?}", layout.name, c.proposals);
        // Every value of a catalog measure is read from a text PDF.
        let in_catalog = layout.rows.iter().filter(|r| r.truth.is_some()).count();
        assert_eq!(n.read, in_catalog, "{}: {n:?}\n{:#?}", layout.name, c.proposals);
        assert!(c.read().all(|p| p.confident), "{}", layout.name);
        header_is_the_seed_patient(layout.name, &c);
    }
    println!("text PDFs:\n{}", table.join("\n"));
}

/// Layouts 1 to 6 (two tests, so that the two cores read scans side by side).
#[test]
fn the_first_six_layouts_as_scans_are_read_or_listed_never_misread() {
    scans_are_read_or_listed(0..6);
}

#[test]
fn the_last_six_layouts_as_scans_are_read_or_listed_never_misread() {
    scans_are_read_or_listed(6..12);
}

fn scans_are_read_or_listed(which: std::ops::Range<usize>) {
    let catalog = Catalog::builtin().unwrap();
    let mut table = Vec::new();
    let (mut read, mut printed) = (0, 0);
    let mut failures = Vec::new();
    for (i, layout) in layouts().iter().enumerate().filter(|(i, _)| which.contains(i)) {
        let pdf = typeset(&layout.source, &[]);
        let (ext, bytes) = scan_file(layout, &pdf, i);
        let c = capture(&format!("{}.{ext}", layout.name), bytes, &catalog);
        assert_eq!(c.source, Source::Scan);
        let n = judge(layout, &c);
        table.push(format!(
            "{:<24} {ext:<4} printed {:>2}  read {:>2}  not read {:>2}  missed {}",
            layout.name, n.printed, n.read, n.not_read, n.missed
        ));
        for p in c.not_read() {
            table.push(format!("    not read: {}", p.describe(&catalog)));
        }
        // Never a wrong value. (A row the scan garbled beyond recognition
        // is counted as missed and shown in the table of the closing note.)
        if !n.wrong.is_empty() {
            let lines: Vec<String> = c.proposals.iter().map(|p| format!("{:?}", p.row)).collect();
            failures.push(format!("{}: {n:?}\n  {}", layout.name, lines.join("\n  ")));
        }
        read += n.read;
        printed += layout.rows.iter().filter(|r| r.truth.is_some()).count();
    }
    println!("scans:\n{}\nread {read} of {printed}", table.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Most values of a scan are read; the rest wait in the form, typed
    // from their picture.
    assert!(read * 2 >= printed, "only {read} of {printed} read from the scans");
}
