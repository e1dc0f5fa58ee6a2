//! `clinilog capture`: a printed lab report (its PDF, or a scan or photo)
//! read into one entry of a patient. It prints what it read; without
//! `--dry-run` it saves the values read with confidence (every value read
//! with `--all`), the report itself kept with the entry.
//!
//! Exit codes: 0 values were read (and saved); 3 nothing was read; 1 the
//! report was refused and nothing was saved.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::domain::capture::{Proposal, Reading, read_report_date};
use crate::domain::import::{DateOrder, ReadValue, conflicting_parts, name_key, unambiguous};
use crate::domain::{Catalog, Entry, EntryData};
use crate::interop::capture::{CaptureOptions, Source, read_report};
use crate::interop::import::local_codes_for;

/// The exit code for "nothing was read".
pub const NOTHING_READ: u8 = 3;

/// What `clinilog capture` was asked.
#[derive(Debug, clap::Args)]
pub struct CaptureArgs {
    /// The database file (must exist).
    #[arg(long, value_name = "PATH")]
    pub db: PathBuf,
    /// The patient (MRN) the report is for.
    #[arg(long, value_name = "MRN")]
    pub patient: String,
    /// The lab report: a PDF, or a scan or photo (PNG, JPEG; needs Tesseract).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Show what was read, and save nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the values read as CSV, in the columns of `clinilog export`.
    #[arg(long)]
    pub csv: bool,
    /// Save every value read, not only those read with confidence (a
    /// scan's values read with less confidence are left out without it).
    #[arg(long)]
    pub all: bool,
    /// How dates such as 04/08/2025 read, when the report does not say: dmy or mdy.
    #[arg(long, value_parser = ["dmy", "mdy"])]
    pub dates: Option<String>,
    /// The collection date (YYYY-MM-DD), when the report prints none or another.
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
    /// The report names another patient (MRN or name) and it was checked:
    /// the values are for --patient all the same.
    #[arg(long)]
    pub patient_checked: bool,
    /// The clinic's own test names (default: clinilog-mapping.toml beside the database).
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// Who records (signs the entry; default: the login name).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
}

pub fn run(args: &CaptureArgs, catalog: &Catalog, out: &mut dyn Write) -> Result<u8> {
    let location = crate::store::Location::parse(&args.db)?;
    if matches!(location, crate::store::Location::Server(_)) && !args.dry_run {
        bail!(
            "capture keeps the report with the entry, which only a clinic file does for now: use --dry-run with a server, or a clinic file"
        );
    }
    let mut store = super::existing_records(&args.db, args.dry_run)?;
    if !args.dry_run {
        super::may_write(&*store)?;
    }
    let patient = store.patient_by_mrn(args.patient.trim())?.with_context(|| {
        format!(
            "no patient with MRN \"{}\" in {}",
            args.patient.trim(),
            store.describe()
        )
    })?;
    let local = local_codes_for(&location, args.mapping.as_deref(), catalog).map_err(anyhow::Error::msg)?;
    let capture = read_report(
        &args.file,
        &CaptureOptions {
            catalog,
            local_codes: &local,
            sex: patient.data.sex,
            pictures: false,
        },
    )
    .map_err(anyhow::Error::msg)?;

    // The patient: the report's MRN or name must be this patient's.
    let h = &capture.header;
    let mut other = Vec::new();
    if let Some(mrn) = &h.mrn
        && !mrn.eq_ignore_ascii_case(&patient.data.mrn)
    {
        other.push(format!("MRN {mrn}"));
    }
    if let Some(name) = &h.name
        && name_key(name) != name_key(&patient.data.name)
    {
        other.push(format!("name {name}"));
    }
    if !other.is_empty() && !args.patient_checked {
        bail!(
            "the report is for another patient ({}), not {} ({}): check it, then say --patient-checked to record it for {} all the same",
            other.join(", "),
            patient.data.name,
            patient.data.mrn,
            patient.data.mrn
        );
    }

    // The collection date: given, or as printed, in the order the report
    // or --dates says; never guessed.
    let order = match args.dates.as_deref() {
        Some("mdy") => Some(DateOrder::Mdy),
        Some(_) => Some(DateOrder::Dmy),
        None => h.date_order,
    };
    let date = match (&args.date, &h.collected_text) {
        (Some(d), _) => crate::domain::validate::parse_iso_date(d.trim())
            .with_context(|| format!("--date \"{d}\" is not a date: write it as 2025-07-19"))?,
        (None, Some(t)) => read_report_date(t, order).map_err(|e| {
            anyhow::anyhow!(
                "the collection date printed on the report is not read: {e} (or give it with --date YYYY-MM-DD)"
            )
        })?,
        (None, None) => {
            bail!("the report prints no collection date that Clinilog reads: give it with --date YYYY-MM-DD")
        }
    };

    let read: Vec<&Proposal> = capture.read().collect();
    let chosen: Vec<&Proposal> = read.iter().copied().filter(|p| args.all || p.confident).collect();
    let mut labs: Vec<_> = chosen
        .iter()
        .filter_map(|p| match &p.reading {
            Reading::Read(ReadValue::Lab(l)) => Some(l.clone()),
            _ => None,
        })
        .collect();
    // Parts that cannot stand together (a direct bilirubin above the total) are left out.
    let conflicts = conflicting_parts(&labs, catalog);
    labs.retain(|l| !conflicts.iter().any(|(c, _)| c == &l.code));

    let how = match capture.source {
        Source::TextPdf => "the text of the PDF",
        Source::Scan => "the scan (Tesseract)",
    };
    if !args.csv {
        writeln!(
            out,
            "{}: read from {how}; patient {} ({}), {}",
            args.file.display(),
            patient.data.name,
            patient.data.mrn,
            match (&args.date, &h.collected_label) {
                (None, Some(label)) if !h.is_collection_date() => format!(
                    "dated {date} ({}) by \"{label}\": the report prints no collection date",
                    unambiguous(date)
                ),
                _ => format!("collected {date} ({})", unambiguous(date)),
            }
        )?;
        for p in &capture.proposals {
            let state = match (&p.reading, p.confident) {
                (Reading::Read(_), true) => "read",
                (Reading::Read(_), false) => "read, not sure",
                (Reading::NotRead(_), _) => "not read",
            };
            writeln!(out, "  {state:<15} {}", p.describe(catalog))?;
        }
        for (code, why) in &conflicts {
            writeln!(out, "  left out        {code}: {why}")?;
        }
    }

    let mut data = EntryData {
        collected_on: date,
        labs,
        symptoms: Vec::new(),
        note: format!("Read from the lab report {}", capture.document.name),
        recorded_by: String::new(),
    };
    data.mark_flags(catalog, patient.data.sex);
    let mut entry = Entry {
        id: 0,
        patient_id: patient.id,
        version: 1,
        recorded_at: String::new(),
        data,
    };
    if !args.dry_run && !entry.data.labs.is_empty() {
        let user = super::signer(&*store, args.user.as_deref(), || {
            std::env::var("USER")
                .or_else(|_| std::env::var("USERNAME"))
                .ok()
                .filter(|u| !u.trim().is_empty())
                .context("say who records: --user NAME")
        })?;
        entry.data.recorded_by = user.clone();
        entry = store.record_entry_with_source(patient.id, &entry.data, &capture.document, &user)?;
        if !args.csv {
            let left = read.len() - chosen.len() + conflicts.len();
            writeln!(
                out,
                "saved entry {} with {} values{}; the report is kept with it (SHA-256 {})",
                entry.id,
                entry.data.labs.len(),
                if left > 0 {
                    format!(", {left} read but left out (not sure: check them, then --all)")
                } else {
                    String::new()
                },
                capture.document.sha256
            )?;
        }
    }
    if args.csv {
        let sources: HashMap<i64, String> = [(entry.id, capture.document.sha256.clone())].into();
        crate::interop::csv::write_observations(
            &mut *out,
            &[(patient.clone(), vec![entry.clone()])],
            catalog,
            &sources,
        )?;
    }
    Ok(if entry.data.labs.is_empty() { NOTHING_READ } else { 0 })
}
