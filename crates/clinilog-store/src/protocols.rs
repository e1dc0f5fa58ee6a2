//! Protocols assigned to patients, the shifts of their plans, and the
//! clinic's due list for a week.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::civil::Date;
use rusqlite::params;

use super::audit::Change;
use super::rows::{check_version, parse_date_col, require_reason};
use super::stamp::now_utc;
use super::{ClinicStore, Store, StoreError};
use clinilog_domain::Catalog;
use clinilog_domain::history::RecordKind;
use clinilog_domain::protocol::{
    Assignment, AssignmentData, ClosureData, PatientDue, Protocol, Schedule, ShiftData, due_in_week,
};

/// The columns `assignment_row` reads, in its order.
pub(super) const ASSIGNMENT_COLUMNS: &str = "a.id, a.patient_id, a.version, a.protocol, a.protocol_text, a.start_date, a.note, \
     a.recorded_by";

pub(super) type AssignmentRow = (i64, i64, i64, String, String, String, String, String);

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

pub(super) fn build_assignment(row: AssignmentRow) -> Result<Assignment, StoreError> {
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
        closures: Vec::new(),
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
            closures: Vec::new(),
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
        let why = (shift.reason.as_str(), "shifting a plan");
        let reason = self.add_to_plan(a, user, why, RecordKind::PlanShift, shift, |tx, reason, now| {
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
            )
        })?;
        let mut out = a.clone();
        out.version += 1;
        out.shifts.push(ShiftData {
            reason,
            ..shift.clone()
        });
        Ok(out)
    }

    /// Closes an item of the plan as not done, with its reason (kept in
    /// the audit row too); the assignment's version moves on.
    pub fn close_plan_item(
        &mut self,
        a: &Assignment,
        closure: &ClosureData,
        user: &str,
    ) -> Result<Assignment, StoreError> {
        let why = (closure.reason.as_str(), "closing a visit as not done");
        let reason = self.add_to_plan(a, user, why, RecordKind::PlanClosure, closure, |tx, reason, now| {
            tx.execute(
                "INSERT INTO plan_closures (assignment_id, item, planned_on, reason, recorded_by, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    a.id,
                    closure.item,
                    closure.planned_on.to_string(),
                    reason,
                    closure.recorded_by,
                    now
                ],
            )
        })?;
        let mut out = a.clone();
        out.version += 1;
        out.closures.push(ClosureData {
            reason,
            ..closure.clone()
        });
        Ok(out)
    }

    /// What a shift and a closure share: in one transaction, the
    /// assignment's version checked and moved on, the record inserted by
    /// `insert` (given the reason and the time), and its audit row of
    /// `kind`. Gives the reason as kept (trimmed).
    fn add_to_plan<T: serde::Serialize>(
        &mut self,
        a: &Assignment,
        user: &str,
        (reason, what): (&str, &'static str),
        kind: RecordKind,
        record: &T,
        insert: impl FnOnce(&rusqlite::Transaction<'_>, &str, &str) -> rusqlite::Result<usize>,
    ) -> Result<String, StoreError> {
        self.may_write(user)?;
        let reason = require_reason(reason, what)?;
        let tx = self.conn.transaction()?;
        check_version(&tx, RecordKind::Assignment, a.id, a.version)?;
        let now = now_utc();
        tx.execute(
            "UPDATE protocol_assignments SET version = version + 1, changed_by = ?1, changed_at = ?2 WHERE id = ?3",
            params![user, now, a.id],
        )?;
        insert(&tx, &reason, &now)?;
        let id = tx.last_insert_rowid();
        Change { user, kind, row_id: id }.created_because(&tx, record, Some(&reason))?;
        tx.commit()?;
        Ok(reason)
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
        let mut shifts = self.conn.prepare_cached(SHIFTS_SQL)?;
        for a in &mut out {
            let rows = shifts
                .query_map([a.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            for row in rows {
                a.shifts.push(build_shift(row)?);
            }
        }
        let mut closures = self.conn.prepare_cached(CLOSURES_SQL)?;
        for a in &mut out {
            let rows = closures
                .query_map([a.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            for row in rows {
                a.closures.push(build_closure(row)?);
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

    /// Every assignment not voided of a patient not archived, with its
    /// shifts, by patient.
    pub fn active_assignments(&self) -> Result<Vec<Assignment>, StoreError> {
        self.read_assignments(
            "JOIN patients p ON p.id = a.patient_id WHERE a.voided_at IS NULL AND p.archived = 0",
            [],
        )
    }

    /// Each entry not voided (of the patients on a protocol only, when
    /// asked) as patient, entry id and date, by patient, date and id.
    pub fn each_entry_date(
        &self,
        on_protocol_only: bool,
        mut each: impl FnMut(i64, i64, Date),
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT patient_id, id, collected_on FROM entries
             WHERE voided_at IS NULL {} ORDER BY patient_id, collected_on, id",
            if on_protocol_only { ON_PROTOCOL } else { "" }
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let date = parse_date_col(r.get_ref(2)?.as_str().unwrap_or(""), "entry")?;
            each(r.get(0)?, r.get(1)?, date);
        }
        Ok(())
    }

    /// Each treatment not voided (of the patients on a protocol only, when
    /// asked) as patient, date and cycle, by patient, date and id: what a
    /// plan and day 0 need of them.
    pub fn each_treatment_cycle(
        &self,
        on_protocol_only: bool,
        mut each: impl FnMut(i64, Date, Option<u32>),
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT patient_id, date, cycle FROM treatment_events
             WHERE voided_at IS NULL {} ORDER BY patient_id, date, id",
            if on_protocol_only { ON_PROTOCOL } else { "" }
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let date = parse_date_col(r.get_ref(1)?.as_str().unwrap_or(""), "treatment event")?;
            each(r.get(0)?, date, r.get(2)?);
        }
        Ok(())
    }

    /// The measure codes of an entry's current values.
    pub fn entry_measures(&self, entry_id: i64) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(ENTRY_MEASURES_SQL)?;
        let codes = stmt.query_map([entry_id], |r| r.get(0))?.collect::<Result<_, _>>()?;
        Ok(codes)
    }
}

/// Rows of patients on a protocol (assigned, not voided), in both backends' SQL.
pub(super) const ON_PROTOCOL: &str =
    "AND patient_id IN (SELECT patient_id FROM protocol_assignments WHERE voided_at IS NULL)";

/// The measure codes of an entry's current values (`$1` the entry).
pub(super) const ENTRY_MEASURES_SQL: &str = "SELECT o.measure_code FROM observations o JOIN entries e
         ON e.id = o.entry_id AND o.entry_version = e.data_version
     WHERE e.id = $1";

/// The shifts of an assignment, oldest first (`$1` the assignment).
pub(super) const SHIFTS_SQL: &str =
    "SELECT item, planned_on, days, reason, recorded_by FROM plan_shifts WHERE assignment_id = $1 ORDER BY id";

/// The closures of an assignment, oldest first (`$1` the assignment).
pub(super) const CLOSURES_SQL: &str =
    "SELECT item, planned_on, reason, recorded_by FROM plan_closures WHERE assignment_id = $1 ORDER BY id";

/// A closure as read by [`CLOSURES_SQL`].
pub(super) fn build_closure(
    (item, planned_on, reason, recorded_by): (String, String, String, String),
) -> Result<ClosureData, StoreError> {
    Ok(ClosureData {
        item,
        planned_on: parse_date_col(&planned_on, "plan closure")?,
        reason,
        recorded_by,
    })
}

/// A shift as read by [`SHIFTS_SQL`].
pub(super) fn build_shift(
    (item, planned_on, days, reason, recorded_by): (String, String, i64, String, String),
) -> Result<ShiftData, StoreError> {
    Ok(ShiftData {
        item,
        planned_on: parse_date_col(&planned_on, "plan shift")?,
        days,
        reason,
        recorded_by,
    })
}

/// The clinic's due list for the week containing `day`: for every patient
/// (not archived) on a protocol, what is due that week, late on its
/// Monday, and missing from the latest visit done. Patients with nothing
/// to do are left out. Entries and treatments are read as dates in one
/// pass each; only the latest visit's measures are read per patient. A
/// protocol that no longer reads is named per patient.
pub(super) fn due_list<S: ClinicStore + ?Sized>(
    store: &S,
    day: Date,
    catalog: &Catalog,
) -> Result<Vec<PatientDue>, StoreError> {
    let assignments = store.active_assignments()?;
    if assignments.is_empty() {
        return Ok(Vec::new());
    }
    // Entry dates and ids per patient, by date.
    let mut entries: HashMap<i64, (Vec<Date>, Vec<i64>)> = HashMap::new();
    store.for_each_entry_date(true, &mut |patient, id, date| {
        let e = entries.entry(patient).or_default();
        e.0.push(date);
        e.1.push(id);
    })?;
    // Treatments: only the date and cycle matter to the plan.
    let mut treatments: HashMap<i64, Vec<(Date, Option<u32>)>> = HashMap::new();
    store.for_each_treatment_cycle(true, &mut |patient, date, cycle| {
        treatments.entry(patient).or_default().push((date, cycle));
    })?;
    let mut names: HashMap<i64, (String, String)> = HashMap::new();
    store.for_each_patient(&mut |p| {
        names.insert(p.id, (p.data.mrn, p.data.name));
    })?;
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
                    Some(v) => store.entry_measures(ids[v.entry])?,
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
