//! `clinilog due`: the clinic's due list for a week, as text or CSV.

use std::io::Write;
use std::path::Path;

use anyhow::{Result, bail};
use jiff::ToSpan;
use jiff::civil::Date;

use crate::domain::Catalog;
use crate::domain::protocol::{DueLine, PatientDue, week_start};
use crate::interop::csv;

/// The CSV's columns.
pub const CSV_HEADER: [&str; 9] = [
    "mrn",
    "name",
    "protocol",
    "item",
    "status",
    "date",
    "days_late",
    "missing_measures",
    "text",
];

/// The due list of the week containing `week` (today when not given),
/// only patients on `protocol` when given.
pub fn run(
    db: &Path,
    week: Option<Date>,
    protocol: Option<&str>,
    missed: bool,
    as_csv: bool,
    catalog: &Catalog,
    out: &mut impl Write,
) -> Result<()> {
    let store = super::existing_records(db, false)?;
    let day = week.unwrap_or_else(|| jiff::Zoned::now().date());
    let mut list = store.due_list(day, catalog)?;
    if let Some(name) = protocol {
        if !list.iter().any(|p| p.protocol == name) && !store.protocol_names()?.iter().any(|n| n == name) {
            bail!(
                "no patient is on a protocol named \"{name}\"; protocols in this file: {}",
                store.protocol_names()?.join(", ")
            );
        }
        list.retain(|p| p.protocol == name);
    }
    // Missed visits leave the week's list; --missed lists them instead.
    let missed_apart: usize = list.iter().flat_map(|p| &p.lines).filter(|l| l.is_missed()).count();
    for p in &mut list {
        p.lines.retain(|l| l.is_missed() == missed);
    }
    list.retain(|p| !p.lines.is_empty() || p.problem.is_some());
    if as_csv {
        csv::write_table(out, &CSV_HEADER, csv_rows(&list, catalog))?;
        return Ok(());
    }
    let monday = week_start(day);
    let sunday = monday.saturating_add(6.days());
    let n = list.len();
    let count = |kind: &str| {
        list.iter()
            .flat_map(|p| &p.lines)
            .filter(|l| l.kind_word() == kind)
            .count()
    };
    if missed {
        writeln!(
            out,
            "Missed as of the week of Monday {monday} to Sunday {sunday} (windows closed more than the protocol's \
             time before it): {} visit(s) of {n} patient{}",
            count("missed"),
            if n == 1 { "" } else { "s" }
        )?;
    } else {
        writeln!(
            out,
            "Due in the week of Monday {monday} to Sunday {sunday}: {n} patient{} ({} late, {} due, {} lacking \
             measures; {missed_apart} missed apart: clinilog due --missed)",
            if n == 1 { "" } else { "s" },
            count("late"),
            count("due"),
            count("missing")
        )?;
    }
    for p in &list {
        writeln!(out, "\n{}  {}  ({})", p.mrn, p.name, p.protocol)?;
        if let Some(problem) = &p.problem {
            writeln!(out, "  cannot lay out the plan: {problem}")?;
        }
        for line in &p.lines {
            writeln!(out, "  {}", line.describe(catalog))?;
        }
    }
    Ok(())
}

/// One CSV row per line of the list.
pub fn csv_rows<'a>(list: &'a [PatientDue], catalog: &'a Catalog) -> impl Iterator<Item = Vec<String>> + 'a {
    list.iter().flat_map(move |p| {
        p.lines.iter().map(move |l| {
            let measure = match l {
                DueLine::Missing { measures, .. } => measures.join(";"),
                _ => String::new(),
            };
            vec![
                p.mrn.clone(),
                p.name.clone(),
                p.protocol.clone(),
                l.what().label(),
                l.kind_word().to_owned(),
                l.date().to_string(),
                l.days_late().to_string(),
                measure,
                l.describe(catalog),
            ]
        })
    })
}

/// `clinilog not-done --db F --patient MRN --item ITEM --reason TEXT`:
/// closes a late or missed visit or cycle of the patient's plan as not
/// done, with why; it leaves the due list (recorded with its audit row).
pub fn not_done(
    db: &Path,
    mrn: &str,
    item: &str,
    reason: &str,
    user: Option<&str>,
    catalog: &Catalog,
    out: &mut impl Write,
) -> Result<()> {
    use crate::domain::protocol::{ClosureData, Schedule, Status, entry_dates, follow, treatment_dates};
    let mut store = super::existing_records(db, false)?;
    super::may_write(&*store)?;
    let user = super::signer(&*store, user, || {
        std::env::var("USER")
            .ok()
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| anyhow::anyhow!("say who closes it: --user NAME"))
    })?;
    let Some(patient) = store.patient_by_mrn(mrn)? else {
        bail!("no patient with MRN \"{mrn}\" in {}", db.display());
    };
    let entries = store.entries(patient.id)?;
    let treatments = store.treatments(patient.id)?;
    let today = jiff::Zoned::now().date();
    let mut open = Vec::new();
    for a in store.assignments(patient.id)? {
        let protocol = a.protocol(catalog)?;
        let items = a.plan(&Schedule::of(&protocol));
        let followed = follow(
            &protocol,
            &items,
            &entry_dates(&entries),
            &treatment_dates(&treatments),
            today,
        );
        for f in followed {
            if !matches!(f.status, Status::Overdue(_)) {
                continue;
            }
            if f.item.what.label() == item {
                let closure = ClosureData::new(f.item, reason, &user).map_err(anyhow::Error::msg)?;
                store.close_plan_item(&a, &closure, &user)?;
                writeln!(
                    out,
                    "closed {} (planned {}) of {mrn} as not done: {}",
                    closure.item,
                    closure.planned_on,
                    closure.reason.trim()
                )?;
                return Ok(());
            }
            open.push(format!("{} (planned {})", f.item.what.label(), f.item.date));
        }
    }
    if open.is_empty() {
        bail!("{mrn} has no late or missed visit or cycle to close: nothing was written");
    }
    bail!(
        "--item \"{item}\" is not a late or missed visit or cycle of {mrn}; those are: {} (nothing was written)",
        open.join(", ")
    )
}
