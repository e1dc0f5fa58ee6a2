//! `clinilog import`: lab results from a CSV or HL7 v2 file, previewed
//! with `--dry-run`, written in one transaction otherwise.
//!
//! Exit codes: 0 values were imported (or, with `--dry-run`, would be);
//! 3 nothing to import (every line already present, skipped or refused);
//! 1 the import was refused and nothing was written.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result, bail};

use crate::domain::Catalog;
use crate::domain::import::DateOrder;
use crate::interop::import::{
    ConfirmUnusual, Format, ImportOptions, ImportSummary, PreviewLine, RejectedLines, Watch, grouped, import_file,
    local_codes_for,
};

/// The exit code for "nothing to import".
pub const NOTHING_TO_IMPORT: u8 = 3;

/// What `clinilog import` was asked.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The database file (must exist).
    #[arg(long, value_name = "PATH")]
    pub db: PathBuf,
    /// The file of results.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// csv or hl7 (default: told from the file).
    #[arg(long, value_parser = ["csv", "hl7"])]
    pub format: Option<String>,
    /// How dates such as 04/08/2025 read: dmy (4 August), mdy (8 April) or
    /// ymd. Without it only 2025-08-04 and HL7 dates are read.
    #[arg(long, value_parser = ["dmy", "mdy", "ymd"])]
    pub dates: Option<String>,
    /// Register patients whose MRN is unknown, from the file's name, sex and
    /// birth date (HL7 PID, or CSV columns).
    #[arg(long)]
    pub create_patients: bool,
    /// The patient (MRN) of a file with no MRN column.
    #[arg(long, value_name = "MRN")]
    pub patient: Option<String>,
    /// The clinic's own test codes (default: clinilog-mapping.toml beside the database).
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// Show what would be imported, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import values unusual for their measure (ALP 13,862 U/L) as printed:
    /// without it they are held back and listed. Say so only after checking
    /// them against the report; the confirmation is kept in the audit trail.
    #[arg(long)]
    pub confirm_unusual: bool,
    /// Write every line that is not imported, with the reason, to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Who imports (signs the entries; default: the login name).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
}

/// Runs the import; `Ok(code)` is the exit code (0 or 3).
pub fn run(args: &ImportArgs, catalog: &Catalog, out: &mut dyn Write) -> Result<u8> {
    let on_server = args.db.to_str().is_some_and(crate::store::pg::is_server_address);
    if !on_server && !args.db.is_file() {
        bail!("no database file to import into: {}", args.db.display());
    }
    if !args.file.is_file() {
        bail!("no file to import: {}", args.file.display());
    }
    let mut store = super::existing_records(&args.db, args.dry_run)?;
    if !args.dry_run {
        super::may_write(&*store)?;
    }
    let user = super::signer(&*store, args.user.as_deref(), || {
        std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .ok()
            .filter(|u| !u.trim().is_empty())
            .context("say who imports: --user NAME")
    })?;
    let opts = ImportOptions {
        format: args
            .format
            .as_deref()
            .map(|f| if f == "hl7" { Format::Hl7 } else { Format::Csv }),
        dates: args.dates.as_deref().map(|d| match d {
            "mdy" => DateOrder::Mdy,
            "ymd" => DateOrder::Ymd,
            _ => DateOrder::Dmy,
        }),
        create_patients: args.create_patients,
        patient: args.patient.clone(),
        local_codes: local_codes_for(
            &crate::store::Location::parse(&args.db)?,
            args.mapping.as_deref(),
            catalog,
        )
        .map_err(anyhow::Error::msg)?,
        user,
        today: jiff::Zoned::now().date(),
        keep_lines: if args.dry_run { 200 } else { 20 },
        confirm_unusual: if args.confirm_unusual {
            ConfirmUnusual::All
        } else {
            ConfirmUnusual::None
        },
    };
    let mut report = match &args.report {
        Some(p) => Some(RejectedLines::new(
            File::create(p).with_context(|| format!("cannot write the report: {}", p.display()))?,
        )?),
        None => None,
    };
    let cancel = AtomicBool::new(false);
    let summary = import_file(
        &mut *store,
        catalog,
        &args.file,
        &opts,
        !args.dry_run,
        &Watch {
            progress: &|_| {},
            cancel: &cancel,
        },
        &mut |l| {
            if let Some(r) = report.as_mut() {
                r.line(l);
            }
        },
    )?;
    if let Some(r) = report {
        r.finish().context("cannot write the report")?;
    }
    print_summary(&summary, args, out)?;
    Ok(if summary.new > 0 { 0 } else { NOTHING_TO_IMPORT })
}

fn print_summary(s: &ImportSummary, args: &ImportArgs, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "{} ({}), SHA-256 {}", s.file_name, s.shape, s.sha256)?;
    if args.dry_run {
        writeln!(
            out,
            "{:>6}  {:<10} {:<26} {:<22} {:<16} {:<10} {:<14} {:<4} status",
            "line", "MRN", "date (as read)", "test -> measure", "value", "unit", "interval", "flag"
        )?;
        for l in &s.lines {
            print_line(l, out)?;
        }
        if s.lines_total() > s.lines.len() as u64 {
            writeln!(
                out,
                "... {} more lines (see --report)",
                s.lines_total() - s.lines.len() as u64
            )?;
        }
    } else {
        for l in s.lines.iter().filter(|l| !l.status.reason().is_empty()).take(20) {
            print_line(l, out)?;
        }
    }
    for (test, n) in &s.unknown_tests {
        writeln!(
            out,
            "unknown test \"{test}\" on {n} line(s): map it in {}",
            mapping_hint(&args.db, args.mapping.as_deref())
        )?;
    }
    if s.unusual > 0 {
        writeln!(
            out,
            "held back: {} value(s) unusual for their measure (listed above); check them against the report, \
             then import again with --confirm-unusual to store them as printed",
            grouped(s.unusual)
        )?;
    }
    let verb = match (args.dry_run, s.written) {
        (true, _) => "would import",
        (false, true) => "imported",
        (false, false) => "imported nothing",
    };
    writeln!(out, "{verb}: {}", s.counts_text())?;
    if let Some(r) = &args.report {
        writeln!(out, "lines not imported, with the reason: {}", r.display())?;
    }
    Ok(())
}

fn mapping_hint(db: &Path, explicit: Option<&Path>) -> String {
    match explicit {
        Some(p) => p.display().to_string(),
        None => db
            .parent()
            .map(|d| d.join(crate::interop::import::MAPPING_FILE).display().to_string())
            .unwrap_or_default(),
    }
}

fn print_line(l: &PreviewLine, out: &mut dyn Write) -> Result<()> {
    let test = match &l.measure {
        Some(m) if *m != l.test => format!("{} -> {m}", l.test),
        _ => l.test.clone(),
    };
    let status = match (l.status.reason(), l.note.as_str()) {
        ("", "") => l.status.label().to_owned(),
        ("", note) => format!("{} ({note})", l.status.label()),
        (r, _) => format!("{}: {r}", l.status.label()),
    };
    writeln!(
        out,
        "{:>6}  {:<10} {:<26} {:<22} {:<16} {:<10} {:<14} {:<4} {status}",
        l.line,
        l.mrn,
        l.date_read(),
        test,
        l.value,
        l.unit,
        l.interval,
        l.flag
    )?;
    Ok(())
}
