//! Treatment events: add, edit with a reason, void with a reason, read.

use rusqlite::params_from_iter;
use rusqlite::types::Value;

use super::audit::Change;
use super::rows::{decimal_col, parse_date_col};
use super::stamp::now_utc;
use super::{Store, StoreError};
use clinilog_domain::history::RecordKind;
use clinilog_domain::{TreatmentData, TreatmentEvent, TreatmentKind};

/// The event's data in the column order of `date, kind, product, dose,
/// dose_unit, route, cycle, note, recorded_by` (both the insert and the update).
pub(super) fn data_values(d: &TreatmentData) -> [Value; 9] {
    [
        d.date.to_string().into(),
        d.kind.as_str().to_owned().into(),
        d.product.clone().into(),
        d.dose.as_ref().map(|x| x.as_str().to_owned()).into(),
        d.dose_unit.clone().into(),
        d.route.clone().into(),
        d.cycle.map(i64::from).into(),
        d.note.clone().into(),
        d.recorded_by.clone().into(),
    ]
}

/// Writes a new treatment event and the audit row of its creation (with
/// `reason` when it came from elsewhere); gives its id.
pub(super) fn insert_treatment(
    tx: &rusqlite::Transaction<'_>,
    patient_id: i64,
    data: &TreatmentData,
    user: &str,
    reason: Option<&str>,
) -> Result<i64, StoreError> {
    tx.prepare_cached(
        "INSERT INTO treatment_events (patient_id, date, kind, product, dose, dose_unit, route, cycle, note,
             recorded_by, recorded_at, changed_by, changed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?11)",
    )?
    .execute(params_from_iter(
        std::iter::once(patient_id.into())
            .chain(data_values(data))
            .chain([now_utc().into(), user.to_owned().into()]),
    ))?;
    let id = tx.last_insert_rowid();
    Change {
        user,
        kind: RecordKind::Treatment,
        row_id: id,
    }
    .created_because(tx, data, reason)?;
    Ok(id)
}

impl Store {
    pub fn add_treatment(
        &mut self,
        patient_id: i64,
        data: &TreatmentData,
        user: &str,
    ) -> Result<TreatmentEvent, StoreError> {
        self.may_write(user)?;
        self.patient(patient_id)?;
        let tx = self.conn.transaction()?;
        let id = insert_treatment(&tx, patient_id, data, user, None)?;
        tx.commit()?;
        Ok(TreatmentEvent {
            id,
            patient_id,
            version: 1,
            data: data.clone(),
        })
    }

    /// Changes a treatment event; the previous version stays in the audit trail.
    pub fn edit_treatment(
        &mut self,
        event: &TreatmentEvent,
        data: &TreatmentData,
        reason: &str,
        user: &str,
    ) -> Result<TreatmentEvent, StoreError> {
        let change = Change {
            user,
            kind: RecordKind::Treatment,
            row_id: event.id,
        };
        self.edit_record(
            change,
            (event.version, &event.data, data, reason),
            "UPDATE treatment_events SET date = ?1, kind = ?2, product = ?3, dose = ?4, dose_unit = ?5,
                 route = ?6, cycle = ?7, note = ?8, recorded_by = ?9, version = version + 1,
                 changed_by = ?10, changed_at = ?11
             WHERE id = ?12",
            params_from_iter(data_values(data).into_iter().chain([
                user.to_owned().into(),
                now_utc().into(),
                event.id.into(),
            ])),
        )?;
        Ok(TreatmentEvent {
            id: event.id,
            patient_id: event.patient_id,
            version: event.version + 1,
            data: data.clone(),
        })
    }

    /// Voids a treatment event (entered in error); it stays in the file. A
    /// voided event cannot be voided again.
    pub fn void_treatment(&mut self, event: &TreatmentEvent, reason: &str, user: &str) -> Result<(), StoreError> {
        let change = Change {
            user,
            kind: RecordKind::Treatment,
            row_id: event.id,
        };
        self.void_record(change, event.version, &event.data, reason, "voiding a treatment event")
    }

    /// The patient's treatment events that are not voided, oldest first.
    pub fn treatments(&self, patient_id: i64) -> Result<Vec<TreatmentEvent>, StoreError> {
        let mut stmt = self.conn.prepare(TREATMENTS_SQL)?;
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
            ))
        })?;
        rows.map(|row| build_treatment(patient_id, row?)).collect()
    }
}

/// The patient's treatment events that are not voided, oldest first (`$1`
/// the patient, in both backends), as [`RawTreatment`]s.
pub(super) const TREATMENTS_SQL: &str =
    "SELECT id, version, date, kind, product, dose, dose_unit, route, cycle, note, recorded_by
     FROM treatment_events WHERE patient_id = $1 AND voided_at IS NULL ORDER BY date, id";

/// A treatment event's row as read by [`TREATMENTS_SQL`].
pub(super) type RawTreatment = (
    i64,
    i64,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    Option<i64>,
    String,
    String,
);

pub(super) fn build_treatment(patient_id: i64, row: RawTreatment) -> Result<TreatmentEvent, StoreError> {
    let (id, version, date, kind, product, dose, dose_unit, route, cycle, note, recorded_by) = row;
    let corrupt = |detail: String| StoreError::Corrupt {
        what: "treatment event",
        detail,
    };
    // A kind this build does not know is reported, never read as another kind.
    let kind = TreatmentKind::from_str_opt(&kind).ok_or_else(|| corrupt(format!("kind \"{kind}\"")))?;
    let cycle = cycle
        .map(|c| u32::try_from(c).map_err(|_| corrupt(format!("cycle {c}"))))
        .transpose()?;
    Ok(TreatmentEvent {
        id,
        patient_id,
        version,
        data: TreatmentData {
            date: parse_date_col(&date, "treatment event")?,
            kind,
            product,
            dose: decimal_col(dose, "treatment dose")?,
            dose_unit,
            route,
            cycle,
            note,
            recorded_by,
        },
    })
}
