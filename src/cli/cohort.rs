//! `clinilog cohort`: one measure for every patient chosen, aligned at the
//! first cycle (or enrolment), as a table or CSV.

use std::io::Write;
use std::path::Path;

use anyhow::{Result, bail};

use crate::domain::Catalog;
use crate::domain::catalog::UnitSystem;
use crate::domain::cohort::{Align, CohortMeasure, CohortOptions, Spread, cohort, cycle_markers, weekly_bands};
use crate::interop::cohort_report::{CohortReportText, cohort_report, render_cohort_pdf};
use crate::interop::csv;
use crate::store::CohortFilter;

/// What `clinilog cohort` was asked.
pub struct CohortArgs<'a> {
    pub db: &'a Path,
    pub measure: &'a str,
    pub align: Align,
    pub at: Vec<i64>,
    pub protocol: Option<String>,
    pub baseline_days: i64,
    pub window_days: i64,
    pub si: bool,
    pub csv: bool,
    /// Also print the cohort as a PDF report here.
    pub pdf: Option<&'a Path>,
}

fn spread_text(s: &Option<Spread>, decimals: usize, suffix: &str) -> String {
    match s {
        Some(s) => format!(
            "n={}, median {:.decimals$}{suffix} (IQR {:.decimals$} to {:.decimals$}{suffix})",
            s.n, s.median, s.q1, s.q3
        ),
        None => "n=0".to_owned(),
    }
}

pub fn run(a: &CohortArgs<'_>, catalog: &Catalog, out: &mut impl Write) -> Result<()> {
    let Some(measure) = CohortMeasure::parse(a.measure, catalog) else {
        let known: Vec<String> = CohortMeasure::all(catalog).iter().map(CohortMeasure::code).collect();
        bail!(
            "--measure \"{}\" is not a lab measure or a score; use one of: {}",
            a.measure,
            known.join(", ")
        );
    };
    if a.at.is_empty() || a.at.iter().any(|d| *d <= 0) {
        bail!("--at takes days after day 0, such as 14,30,90");
    }
    let store = super::existing_records(a.db, false)?;
    if let Some(name) = &a.protocol
        && !store.protocol_names()?.iter().any(|n| n == name)
    {
        bail!(
            "no patient is on a protocol named \"{name}\"; protocols in this file: {}",
            store.protocol_names()?.join(", ")
        );
    }
    let system = if a.si { UnitSystem::Si } else { UnitSystem::Conventional };
    let filter = CohortFilter {
        protocol: a.protocol.clone(),
        ..CohortFilter::default()
    };
    let values = store.cohort_values(&measure, a.align, system, catalog, &filter)?;
    let options = CohortOptions {
        baseline_days: a.baseline_days,
        at_days: a.at.clone(),
        window_days: a.window_days,
    };
    let c = cohort(&values, &options);
    let unit = measure.unit(catalog, system);
    let align_text = match a.align {
        Align::FirstCycle => "the first cycle",
        Align::Enrolment => "enrolment",
    };
    if let Some(path) = a.pdf {
        let choices = vec![
            format!("{} ({unit}), day 0 at {align_text}", measure.name(catalog)),
            format!(
                "Patients: {}; {} with a day 0, {} without one left out",
                a.protocol.as_ref().map_or("all".to_owned(), |p| format!("on \"{p}\"")),
                c.rows.len(),
                c.without_day0
            ),
            format!(
                "Baseline: the last value up to {} days before day 0; each day: the value nearest within {} days",
                a.baseline_days, a.window_days
            ),
        ];
        let report = cohort_report(
            &values,
            &c,
            &options,
            &weekly_bands(&values, 3),
            &cycle_markers(&values),
            &unit,
            CohortReportText {
                clinic: String::new(),
                choices,
                responders: String::new(),
                printed_by: super::signer(&*store, None, || {
                    Ok(std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned()))
                })?,
                printed_at: jiff::Zoned::now().strftime("%Y-%m-%d %H:%M").to_string(),
                file: a.db.display().to_string(),
                audit_head: store.audit_head()?.map(|h| h.to_string()),
            },
        );
        let pdf = render_cohort_pdf(&report).map_err(anyhow::Error::msg)?;
        std::fs::write(path, pdf).map_err(|e| anyhow::anyhow!("cannot write the report: {e}: {}", path.display()))?;
    }
    let (header, rows) = csv::cohort_table(&c, &a.at);
    if a.csv {
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        csv::write_table(out, &header, rows)?;
        return Ok(());
    }
    writeln!(
        out,
        "{} ({unit}), day 0 at {align_text}; baseline: the last value up to {} days before day 0; each day: the value \
         nearest within {} days",
        measure.name(catalog),
        a.baseline_days,
        a.window_days
    )?;
    writeln!(
        out,
        "{} patient{}; {} without a day 0 left out",
        c.rows.len(),
        if c.rows.len() == 1 { "" } else { "s" },
        c.without_day0
    )?;
    for r in &c.rows {
        let mut line = format!(
            "\n{}  day 0 {}  baseline {}",
            r.name,
            r.day0,
            r.baseline
                .as_ref()
                .map_or("none".to_owned(), |b| format!("{} on {}", b.text, b.date))
        );
        for (i, d) in a.at.iter().enumerate() {
            let at = r.at.get(i).cloned().flatten();
            line.push_str(&format!(
                "\n  day {d}: {}",
                match at {
                    Some(p) => {
                        let change = match (r.change[i], r.change_percent[i]) {
                            (Some(c), Some(pc)) => format!(" ({c:+.2}, {pc:+.1}%)"),
                            (Some(c), None) => format!(" ({c:+.2})"),
                            _ => String::new(),
                        };
                        format!("{} on {}{change}", p.text, p.date)
                    }
                    None => "no value in the window".to_owned(),
                }
            ));
        }
        for n in &r.notes {
            line.push_str(&format!("\n  note: {n}"));
        }
        writeln!(out, "{line}")?;
    }
    writeln!(out, "\nChange from baseline")?;
    for (i, d) in a.at.iter().enumerate() {
        writeln!(
            out,
            "  day {d}: {}; {}",
            spread_text(&c.change_spread[i], 2, ""),
            spread_text(&c.change_percent_spread[i], 1, "%")
        )?;
    }
    Ok(())
}
