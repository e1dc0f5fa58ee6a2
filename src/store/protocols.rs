//! Protocols assigned to patients, the shifts of their plans, and the
//! clinic's due list for a week.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::civil::Date;
use rusqlite::params;

use super::audit::Change;
use super::rows::{check_version, now_utc, parse_date_col, require_reason};
use super::{Store, StoreError};
use crate::domain::Catalog;
use crate::domain::history::RecordKind;
use crate::domain::protocol::{Assignment, AssignmentData, PatientDue, Protocol, Schedule, ShiftData, due_in_week};

/// The columns `assignment_row` reads, in its order.
const ASSIGNMENT_COLUMNS: &str = "a.id, a.patient_id, a.version, a.protocol, a.protocol_text, a.start_date, a.note, \
     a.recorded_by";

type AssignmentRow = (i64, i64, i64, String, String, String, String, String);

fn assignment_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AssignmentRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

fn build_assignment(row: AssignmentRow) -> Result<Assignment, StoreError> {
    let (id, patient_id, version, protocol, protocol_text, start, note, recorded_by) = row;
    Ok(Assignment {
        id,
        patient_id,
        version,
        data: AssignmentData {
            protocol,
            protocol_text,
            start: parse_date_col(&start, "protocol assignment")?,
            note,
            recorded_by,
        },
        shifts: Vec::new(),
    })
}

/// Writes an assignment and the audit row of its creation (with `reason`
/// when it came from elsewhere); gives its id.
pub(super) fn insert_assignment(
    tx: &rusqlite::Transaction<'_>,
    patient_id: i64,
    data: &AssignmentData,
    user: &str,
    reason: Option<&str>,
) -> Result<i64, StoreError> {
    tx.prepare_cached(
        "INSERT INTO protocol_assignments (patient_id, protocol, protocol_text, start_date, note, recorded_by,
             recorded_at, changed_by, changed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?7)",
    )?
    .execute(params![
        patient_id,
        data.protocol,
        data.protocol_text,
        data.start.to_string(),
        data.note,
        data.recorded_by,
        now_utc(),
        user
    ])?;
    let id = tx.last_insert_rowid();
    Change {
        user,
        kind: RecordKind::Assignment,
        row_id: id,
    }
    .created_because(tx, data, reason)?;
    Ok(id)
}

impl Store {
    /// Assigns a protocol to a patient from a start date: one transaction
    /// with its audit row.
    pub fn assign_protocol(
        &mut self,
        patient_id: i64,
        data: &AssignmentData,
        user: &str,
    ) -> Result<Assignment, StoreError> {
        self.may_write(user)?;
        self.patient(patient_id)?;
        let tx = self.conn.transaction()?;
        let id = insert_assignment(&tx, patient_id, data, user, None)?;
        tx.commit()?;
        Ok(Assignment {
            id,
            patient_id,
            version: 1,
            data: data.clone(),
            shifts: Vec::new(),
        })
    }

    /// Voids an assignment (assigned in error, or the patient left the
    /// protocol); it stays in the file.
    pub fn void_assignment(&mut self, a: &Assignment, reason: &str, user: &str) -> Result<(), StoreError> {
        let change = Change {
            user,
            kind: RecordKind::Assignment,
            row_id: a.id,
        };
        self.void_record(change, a.version, &a.data, reason, "voiding a protocol assignment")
    }

    /// Shifts an item of the plan, and what follows it, by `shift.days`:
    /// the shift is appended with its reason (also in the audit row), and
    /// the assignment's version moves on, so a shift based on a plan
    /// another workstation has shifted meanwhile is refused.
    pub fn shift_plan(&mut self, a: &Assignment, shift: &ShiftData, user: &str) -> Result<Assignment, StoreError> {
        self.may_write(user)?;
        let reason = require_reason(&shift.reason, "shifting a plan")?;
        let tx = self.conn.transaction()?;
        check_version(&tx, RecordKind::Assignment, a.id, a.version)?;
        let now = now_utc();
        tx.execute(
            "UPDATE protocol_assignments SET version = version + 1, changed_by = ?1, changed_at = ?2 WHERE id = ?3",
            params![user, now, a.id],
        )?;
        tx.execute(
            "INSERT INTO plan_shifts (assignment_id, item, planned_on, days, reason, recorded_by, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                a.id,
                shift.item,
                shift.planned_on.to_string(),
                shift.days,
                reason,
                shift.recorded_by,
                now
            ],
        )?;
        let id = tx.last_insert_rowid();
        Change {
            user,
            kind: RecordKind::PlanShift,
            row_id: id,
        }
        .created_because(&tx, shift, Some(&reason))?;
        tx.commit()?;
        let mut out = a.clone();
        out.version += 1;
        out.shifts.push(ShiftData {
            reason,
            ..shift.clone()
        });
        Ok(out)
    }

    /// The patient's protocols that are not voided, with their shifts,
    /// oldest first.
    pub fn assignments(&self, patient_id: i64) -> Result<Vec<Assignment>, StoreError> {
        self.read_assignments("WHERE a.patient_id = ?1 AND a.voided_at IS NULL", [patient_id])
    }

    pub(super) fn read_assignments(
        &self,
        filter: &str,
        p: impl rusqlite::Params,
    ) -> Result<Vec<Assignment>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ASSIGNMENT_COLUMNS} FROM protocol_assignments a {filter} ORDER BY a.patient_id, a.id"
        ))?;
        let rows = stmt.query_map(p, assignment_row)?.collect::<Result<Vec<_>, _>>()?;
        let mut out = rows.into_iter().map(build_assignment).collect::<Result<Vec<_>, _>>()?;
        let mut shifts = self.conn.prepare_cached(
            "SELECT item, planned_on, days, reason, recorded_by FROM plan_shifts WHERE assignment_id = ?1 ORDER BY id",
        )?;
        for a in &mut out {
            let rows = shifts
                .query_map([a.id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            for (item, planned_on, days, reason, recorded_by) in rows {
                a.shifts.push(ShiftData {
                    item,
                    planned_on: parse_date_col(&planned_on, "plan shift")?,
                    days,
                    reason,
                    recorded_by,
                });
            }
        }
        Ok(out)
    }

    /// The names of the protocols assigned in this file (not voided), sorted.
    pub fn protocol_names(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT protocol FROM protocol_assignments WHERE voided_at IS NULL ORDER BY protocol")?;
        let names = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        Ok(names)
    }

    /// The clinic's due list for the week containing `day`: for every
    /// patient (not archived) on a protocol, what is due that week, late
    /// on its Monday, and missing from the latest visit done. Patients with
    /// nothing to do are left out. Entries and treatments are read as
    /// dates in one pass each; only the latest visit's measures are read
    /// per patient. A protocol that no longer reads is named per patient.
    pub fn due_list(&self, day: Date, catalog: &Catalog) -> Result<Vec<PatientDue>, StoreError> {
        let assignments = self.read_assignments(
            "JOIN patients p ON p.id = a.patient_id WHERE a.voided_at IS NULL AND p.archived = 0",
            [],
        )?;
        if assignments.is_empty() {
            return Ok(Vec::new());
        }
        let on_protocol = "(SELECT patient_id FROM protocol_assignments WHERE voided_at IS NULL)";
        // Entry dates and ids per patient, by date.
        let mut entries: HashMap<i64, (Vec<Date>, Vec<i64>)> = HashMap::new();
        let mut stmt = self.conn.prepare(&format!(
            "SELECT patient_id, id, collected_on FROM entries
             WHERE voided_at IS NULL AND patient_id IN {on_protocol} ORDER BY patient_id, collected_on, id"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let e = entries.entry(r.get(0)?).or_default();
            e.0.push(parse_date_col(r.get_ref(2)?.as_str().unwrap_or(""), "entry")?);
            e.1.push(r.get(1)?);
        }
        // Treatments: only the date and cycle matter to the plan.
        let mut treatments: HashMap<i64, Vec<(Date, Option<u32>)>> = HashMap::new();
        let mut stmt = self.conn.prepare(&format!(
            "SELECT patient_id, date, cycle FROM treatment_events
             WHERE voided_at IS NULL AND patient_id IN {on_protocol} ORDER BY patient_id, date, id"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let date = parse_date_col(r.get_ref(1)?.as_str().unwrap_or(""), "treatment event")?;
            treatments.entry(r.get(0)?).or_default().push((date, r.get(2)?));
        }
        let mut names = self
            .conn
            .prepare("SELECT id, mrn, name FROM patients WHERE archived = 0")?;
        let names: HashMap<i64, (String, String)> = names
            .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
            .collect::<Result<_, _>>()?;
        let mut measures = self.conn.prepare(
            "SELECT o.measure_code FROM observations o JOIN entries e
                 ON e.id = o.entry_id AND o.entry_version = e.data_version
             WHERE e.id = ?1",
        )?;
        // Each protocol text read once, with its schedule.
        let mut protocols: HashMap<Arc<str>, Result<(Protocol, Schedule), String>> = HashMap::new();
        let no_dates = (Vec::new(), Vec::new());
        let mut out = Vec::new();
        for a in assignments {
            let Some((mrn, name)) = names.get(&a.patient_id) else {
                continue;
            };
            let parsed = protocols
                .entry(a.data.protocol_text.as_str().into())
                .or_insert_with(|| {
                    a.protocol(catalog)
                        .map(|p| {
                            let s = Schedule::of(&p);
                            (p, s)
                        })
                        .map_err(|e| e.to_string())
                });
            let read = match parsed {
                Ok((protocol, schedule)) => {
                    let items = a.plan(schedule);
                    let (dates, ids) = entries.get(&a.patient_id).unwrap_or(&no_dates);
                    let treated = treatments.get(&a.patient_id).map_or(&[][..], Vec::as_slice);
                    let week = due_in_week(protocol, &items, dates, treated, day);
                    let present: Vec<String> = match &week.last_visit {
                        Some(v) => measures
                            .query_map([ids[v.entry]], |r| r.get(0))?
                            .collect::<Result<_, _>>()?,
                        None => Vec::new(),
                    };
                    Ok(week.with_missing(|m| present.iter().any(|p| p == m)))
                }
                Err(e) => Err(e.clone()),
            };
            let (lines, problem) = match read {
                Ok(lines) if lines.is_empty() => continue,
                Ok(lines) => (lines, None),
                Err(problem) => (Vec::new(), Some(problem)),
            };
            out.push(PatientDue {
                patient_id: a.patient_id,
                mrn: mrn.clone(),
                name: name.clone(),
                protocol: a.data.protocol.clone(),
                lines,
                problem,
            });
        }
        Ok(out)
    }
}
