//! `clinilog report`: a patient's printable report as PDF
//! (`interop::report`).

use std::path::Path;

use anyhow::{Context, Result, bail};
use jiff::civil::Date;

use crate::domain::Catalog;
use crate::interop::fhir;
use crate::interop::report::{ReportOptions, render_pdf, report_data};

/// What `clinilog report` was asked.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The database file (must exist).
    #[arg(long, value_name = "PATH")]
    pub db: std::path::PathBuf,
    /// The patient, by MRN.
    #[arg(long, value_name = "MRN")]
    pub patient: String,
    /// The PDF file to write.
    #[arg(long, value_name = "FILE.pdf")]
    pub out: std::path::PathBuf,
    /// Only entries and treatments on or after this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub from: Option<Date>,
    /// Only entries and treatments on or before this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub to: Option<Date>,
    /// The clinic's name, in the page header.
    #[arg(long, value_name = "NAME", default_value = "")]
    pub clinic: String,
    /// Plot groups to draw besides bilirubin (catalog group codes, such as
    /// aminotransferases,albumin,inr).
    #[arg(long, value_name = "GROUPS", value_delimiter = ',')]
    pub plots: Vec<String>,
    /// Who prints (named in the footer; default: the login name).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
}

pub fn run(args: &ReportArgs, catalog: &Catalog) -> Result<()> {
    let store = super::existing_records(&args.db, true)?;
    // The same record an export reads: current entries, doubtful intervals marked.
    let fhir::PatientRecord {
        patient,
        entries,
        treatments,
        adverse,
    } = match fhir::records(&*store, Some(&args.patient), catalog) {
        Ok(mut records) if records.len() == 1 => records.remove(0),
        Ok(_) | Err(crate::store::StoreError::NotFound { .. }) => {
            bail!("no patient with MRN \"{}\" in {}", args.patient, args.db.display())
        }
        Err(e) => return Err(e.into()),
    };
    let opts = ReportOptions {
        clinic: args.clinic.clone(),
        from: args.from,
        to: args.to,
        groups: args.plots.clone(),
        printed_by: super::signer(&*store, args.user.as_deref(), || {
            Ok(std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned()))
        })?,
        printed_at: jiff::Zoned::now().strftime("%Y-%m-%d %H:%M").to_string(),
        file: args.db.display().to_string(),
        today: jiff::Zoned::now().date(),
        audit_head: store.audit_head()?.map(|h| h.to_string()),
    };
    let none = store.no_adverse_events(patient.id)?;
    let data = report_data(catalog, &patient, &entries, &treatments, &opts).with_adverse(&adverse, &none, &opts);
    if data.dates() == 0 && treatments.is_empty() {
        bail!(
            "nothing to report: {} has no entries or treatments{}",
            patient.data.mrn,
            if args.from.is_some() || args.to.is_some() {
                " in that period"
            } else {
                ""
            }
        );
    }
    let pdf = render_pdf(&data).map_err(anyhow::Error::msg)?;
    write(&args.out, &pdf)
}

fn write(path: &Path, pdf: &[u8]) -> Result<()> {
    std::fs::write(path, pdf).with_context(|| format!("cannot write the report: {}", path.display()))
}
