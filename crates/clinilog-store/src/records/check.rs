//! The application's own check of the records (`clinilog check`), as both
//! backends run it: every record has the audit row of its creation, every
//! observation belongs to an entry, each entry's current values are those
//! of its newest audited version, and what the records say when read
//! (protocols that no longer read, drafts that are not JSON, intervals
//! that look like another unit).

use crate::StoreError;
use crate::sql::{Sql, vals};
use clinilog_domain::{Catalog, EntryData};

/// The problems the rows show, each in a sentence.
pub(crate) fn row_problems(sql: &mut dyn Sql) -> Result<Vec<String>, StoreError> {
    let mut problems = Vec::new();
    for (table, what) in [
        ("patients", "patient"),
        ("entries", "entry"),
        ("treatment_events", "treatment event"),
        ("protocol_assignments", "protocol assignment"),
        ("plan_shifts", "plan shift"),
        ("adverse_events", "adverse event"),
        ("no_adverse_events", "record of no adverse events"),
    ] {
        let query = format!(
            "SELECT t.id FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM audit_log a
                 WHERE a.table_name = '{table}' AND a.row_id = t.id AND a.action = 'create') ORDER BY t.id"
        );
        for id in sql.query_all(&query, vals![], |r| r.int(0))? {
            problems.push(format!("{what} {id} has no audit row of its creation"));
        }
    }
    for id in sql.query_all(
        "SELECT o.id FROM observations o LEFT JOIN entries e ON e.id = o.entry_id WHERE e.id IS NULL ORDER BY o.id",
        vals![],
        |r| r.int(0),
    )? {
        problems.push(format!("observation {id} belongs to no entry"));
    }
    // Each entry's current observations are the values of its newest audited version.
    sql.query(
        "SELECT e.id, e.data_version,
             (SELECT count(*) FROM observations o WHERE o.entry_id = e.id AND o.entry_version = e.data_version),
             (SELECT a.after_json FROM audit_log a WHERE a.table_name = 'entries' AND a.row_id = e.id
                  AND a.action IN ('create', 'edit') ORDER BY a.id DESC LIMIT 1)
         FROM entries e ORDER BY e.id",
        vals![],
        &mut |r| {
            problems.extend(entry_values_problem(r.int(0)?, r.int(1)?, r.int(2)?, r.string_opt(3)?));
            Ok(())
        },
    )?;
    Ok(problems)
}

/// Everything the check finds, on any backend: its own problems first
/// (SQLite's integrity check; a damaged file says only that).
pub(crate) fn check<S: crate::sql::Backend + crate::ClinicStore>(
    store: &S,
    catalog: &Catalog,
) -> Result<Vec<String>, StoreError> {
    let mut problems = store.own_problems()?;
    if !problems.is_empty() {
        return Ok(problems);
    }
    let (rows, assignments, drafts) = crate::sql::read(store, |sql| {
        Ok((
            row_problems(sql)?,
            super::protocols::read_assignments(sql, "WHERE a.voided_at IS NULL", vals![])?,
            super::drafts::all_drafts(sql)?,
        ))
    })?;
    problems.extend(rows);
    problems.extend(crate::sql::read(store, |sql| {
        super::trail::trail_problems(sql, catalog)
    })?);
    problems.extend(record_problems(store, catalog, &assignments, &drafts)?);
    Ok(problems)
}

/// An entry whose current observations are not the values of its newest
/// audited version (`json`, the audit row's record after the write).
pub(crate) fn entry_values_problem(id: i64, version: i64, observations: i64, json: Option<String>) -> Option<String> {
    let Some(data) = json.and_then(|j| serde_json::from_str::<EntryData>(&j).ok()) else {
        return Some(format!("entry {id}: its audit row does not hold its values"));
    };
    let expected = (data.labs.len() + data.symptoms.len()) as i64;
    (observations != expected).then(|| {
        format!("entry {id} (version {version}) has {observations} observations; its audit row has {expected} values")
    })
}

/// What the check finds in the records as both backends read them: an
/// assignment whose protocol no longer reads or whose shift names no item
/// of its plan, a draft that is not JSON (key and text), and values stored
/// before one unit per line whose interval looks like another unit.
pub(crate) fn record_problems<S: crate::ClinicStore + ?Sized>(
    store: &S,
    catalog: &Catalog,
    assignments: &[clinilog_domain::protocol::Assignment],
    drafts: &[(String, String)],
) -> Result<Vec<String>, StoreError> {
    let mut problems = Vec::new();
    for a in assignments {
        let at = format!(
            "protocol assignment {} (\"{}\", patient {})",
            a.id, a.data.protocol, a.patient_id
        );
        match a.protocol(catalog) {
            Err(e) => problems.push(format!("{at}: {e}")),
            Ok(p) => {
                for s in a.shifts_not_found(&clinilog_domain::protocol::Schedule::of(&p)) {
                    problems.push(format!("{at}: the shift of \"{}\" names no item of the plan", s.item));
                }
            }
        }
    }
    for (key, json) in drafts {
        if serde_json::from_str::<serde_json::Value>(json).is_err() {
            problems.push(format!("the draft \"{key}\" is not readable"));
        }
    }
    // Values stored before one unit per line whose interval looks like another unit.
    for summary in store.patient_summaries()? {
        let p = summary.patient;
        for mut e in store.entries(p.id)? {
            e.data.mark_flags(catalog, p.data.sex);
            for lab in e.data.labs.iter().filter(|l| l.interval_doubt) {
                let name = catalog
                    .measure(&lab.code)
                    .map_or(lab.code.as_str(), |m| m.name.as_str());
                problems.push(format!(
                    "{} ({}), entry of {}: {name} {} {} is stored with the interval {}, which looks like \
                     another unit; it is shown without a flag: check the report",
                    p.data.name,
                    p.data.mrn,
                    e.data.collected_on,
                    lab.value_text(),
                    clinilog_domain::catalog::display_unit(&lab.unit),
                    lab.reference.describe()
                ));
            }
        }
    }
    Ok(problems)
}
