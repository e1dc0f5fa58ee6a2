//! Adverse events and records of "no adverse events since the last
//! visit": add, edit with a reason (events), void with a reason, read.

use rusqlite::params_from_iter;
use rusqlite::types::Value;

use super::audit::Change;
use super::rows::parse_date_col;
use super::stamp::now_utc;
use super::{Store, StoreError};
use clinilog_domain::adverse::{
    ActionTaken, AdverseEvent, AdverseEventData, NoEvents, NoEventsData, Outcome, Relation,
};
use clinilog_domain::history::RecordKind;

/// The event's data in the column order of `term, grade, onset,
/// resolved_on, serious, relation, cycle, action, outcome, note,
/// recorded_by` (both the insert and the update).
fn data_values(d: &AdverseEventData) -> [Value; 11] {
    [
        d.term.clone().into(),
        i64::from(d.grade).into(),
        d.onset.to_string().into(),
        d.resolved_on.map(|x| x.to_string()).into(),
        i64::from(d.serious).into(),
        d.relation.as_str().to_owned().into(),
        d.cycle.map(i64::from).into(),
        d.action.as_str().to_owned().into(),
        d.outcome.as_str().to_owned().into(),
        d.note.clone().into(),
        d.recorded_by.clone().into(),
    ]
}

fn corrupt(detail: String) -> StoreError {
    StoreError::Corrupt {
        what: "adverse event",
        detail,
    }
}

impl Store {
    /// Records an adverse event: one transaction with its audit row.
    pub fn add_adverse_event(
        &mut self,
        patient_id: i64,
        data: &AdverseEventData,
        user: &str,
    ) -> Result<AdverseEvent, StoreError> {
        self.may_write(user)?;
        self.patient(patient_id)?;
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO adverse_events (patient_id, term, grade, onset, resolved_on, serious, relation, cycle,
                 action, outcome, note, recorded_by, recorded_at, changed_by, changed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?13)",
            params_from_iter(
                std::iter::once(patient_id.into())
                    .chain(data_values(data))
                    .chain([now_utc().into(), user.to_owned().into()]),
            ),
        )?;
        let id = tx.last_insert_rowid();
        Change {
            user,
            kind: RecordKind::AdverseEvent,
            row_id: id,
        }
        .created_because(&tx, data, None)?;
        tx.commit()?;
        Ok(AdverseEvent {
            id,
            patient_id,
            version: 1,
            data: data.clone(),
        })
    }

    /// Changes an adverse event (a resolution date, a new grade); the
    /// previous version stays in the audit trail.
    pub fn edit_adverse_event(
        &mut self,
        event: &AdverseEvent,
        data: &AdverseEventData,
        reason: &str,
        user: &str,
    ) -> Result<AdverseEvent, StoreError> {
        let change = Change {
            user,
            kind: RecordKind::AdverseEvent,
            row_id: event.id,
        };
        self.edit_record(
            change,
            (event.version, &event.data, data, reason),
            "UPDATE adverse_events SET term = ?1, grade = ?2, onset = ?3, resolved_on = ?4, serious = ?5,
                 relation = ?6, cycle = ?7, action = ?8, outcome = ?9, note = ?10, recorded_by = ?11,
                 version = version + 1, changed_by = ?12, changed_at = ?13
             WHERE id = ?14",
            params_from_iter(data_values(data).into_iter().chain([
                user.to_owned().into(),
                now_utc().into(),
                event.id.into(),
            ])),
        )?;
        Ok(AdverseEvent {
            id: event.id,
            patient_id: event.patient_id,
            version: event.version + 1,
            data: data.clone(),
        })
    }

    /// Voids an adverse event (entered in error); it stays in the file.
    pub fn void_adverse_event(&mut self, event: &AdverseEvent, reason: &str, user: &str) -> Result<(), StoreError> {
        let change = Change {
            user,
            kind: RecordKind::AdverseEvent,
            row_id: event.id,
        };
        self.void_record(change, event.version, &event.data, reason, "voiding an adverse event")
    }

    /// The patient's adverse events that are not voided, by onset.
    pub fn adverse_events(&self, patient_id: i64) -> Result<Vec<AdverseEvent>, StoreError> {
        let mut stmt = self.conn.prepare(ADVERSE_EVENTS_SQL)?;
        let rows = stmt.query_map([patient_id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
                r.get(10)?,
                r.get(11)?,
                r.get(12)?,
            ))
        })?;
        rows.map(|row| build_adverse_event(patient_id, row?)).collect()
    }

    /// Records that the patient had no adverse events since the last visit.
    pub fn record_no_adverse_events(
        &mut self,
        patient_id: i64,
        data: &NoEventsData,
        user: &str,
    ) -> Result<NoEvents, StoreError> {
        self.may_write(user)?;
        self.patient(patient_id)?;
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO no_adverse_events (patient_id, on_date, note, recorded_by, recorded_at, changed_by,
                 changed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5)",
            rusqlite::params![
                patient_id,
                data.on.to_string(),
                data.note,
                data.recorded_by,
                now_utc(),
                user
            ],
        )?;
        let id = tx.last_insert_rowid();
        Change {
            user,
            kind: RecordKind::NoAdverseEvents,
            row_id: id,
        }
        .created_because(&tx, data, None)?;
        tx.commit()?;
        Ok(NoEvents {
            id,
            patient_id,
            version: 1,
            data: data.clone(),
        })
    }

    /// Voids a record of no adverse events (recorded in error).
    pub fn void_no_adverse_events(&mut self, record: &NoEvents, reason: &str, user: &str) -> Result<(), StoreError> {
        let change = Change {
            user,
            kind: RecordKind::NoAdverseEvents,
            row_id: record.id,
        };
        self.void_record(
            change,
            record.version,
            &record.data,
            reason,
            "voiding a record of no adverse events",
        )
    }

    /// The patient's records of no adverse events that are not voided, by date.
    pub fn no_adverse_events(&self, patient_id: i64) -> Result<Vec<NoEvents>, StoreError> {
        let mut stmt = self.conn.prepare(NO_EVENTS_SQL)?;
        let rows = stmt.query_map([patient_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
        rows.map(|row| build_no_events(patient_id, row?)).collect()
    }
}

/// The patient's adverse events not voided, by onset (`$1` the patient).
pub(super) const ADVERSE_EVENTS_SQL: &str =
    "SELECT id, version, term, grade, onset, resolved_on, serious, relation, cycle, action, outcome, note,
         recorded_by
     FROM adverse_events WHERE patient_id = $1 AND voided_at IS NULL ORDER BY onset, id";

/// An adverse event's row as read by [`ADVERSE_EVENTS_SQL`].
pub(super) type RawAdverseEvent = (
    i64,
    i64,
    String,
    i64,
    String,
    Option<String>,
    i64,
    String,
    Option<i64>,
    String,
    String,
    String,
    String,
);

pub(super) fn build_adverse_event(patient_id: i64, row: RawAdverseEvent) -> Result<AdverseEvent, StoreError> {
    let (id, version, term, grade, onset, resolved_on, serious, relation, cycle, action, outcome, note, recorded_by) =
        row;
    Ok(AdverseEvent {
        id,
        patient_id,
        version,
        data: AdverseEventData {
            term,
            grade: u8::try_from(grade)
                .ok()
                .filter(|g| (1..=5).contains(g))
                .ok_or_else(|| corrupt(format!("grade {grade}")))?,
            onset: parse_date_col(&onset, "adverse event")?,
            resolved_on: resolved_on.map(|d| parse_date_col(&d, "adverse event")).transpose()?,
            serious: serious != 0,
            // A code this build does not know is reported, never read as another.
            relation: Relation::from_str_opt(&relation).ok_or_else(|| corrupt(format!("relation \"{relation}\"")))?,
            cycle: cycle
                .map(|c| u32::try_from(c).map_err(|_| corrupt(format!("cycle {c}"))))
                .transpose()?,
            action: ActionTaken::from_str_opt(&action).ok_or_else(|| corrupt(format!("action \"{action}\"")))?,
            outcome: Outcome::from_str_opt(&outcome).ok_or_else(|| corrupt(format!("outcome \"{outcome}\"")))?,
            note,
            recorded_by,
        },
    })
}

/// The patient's records of no adverse events not voided, by date (`$1` the patient).
pub(super) const NO_EVENTS_SQL: &str = "SELECT id, version, on_date, note, recorded_by FROM no_adverse_events
     WHERE patient_id = $1 AND voided_at IS NULL ORDER BY on_date, id";

pub(super) fn build_no_events(
    patient_id: i64,
    (id, version, on, note, recorded_by): (i64, i64, String, String, String),
) -> Result<NoEvents, StoreError> {
    Ok(NoEvents {
        id,
        patient_id,
        version,
        data: NoEventsData {
            on: parse_date_col(&on, "record of no adverse events")?,
            note,
            recorded_by,
        },
    })
}
