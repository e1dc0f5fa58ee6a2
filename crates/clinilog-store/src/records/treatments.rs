//! Treatment events: add, edit with a reason, void with a reason, read.

use jiff::civil::Date;

use super::audit::Change;
use super::{decimal_col, edit_record, now_utc, parse_date_col};
use crate::StoreError;
use crate::sql::{Row, Sql, Value, vals};
use clinilog_domain::history::RecordKind;
use clinilog_domain::{TreatmentData, TreatmentEvent, TreatmentKind};

/// The event's columns in the order of `date, kind, product, dose,
/// dose_unit, route, cycle, note, recorded_by` (insert and update).
fn data_values(d: &TreatmentData) -> Vec<Value<'_>> {
    vec![
        d.date.to_string().into(),
        d.kind.as_str().into(),
        (&d.product).into(),
        d.dose.as_ref().map(|x| x.as_str()).into(),
        (&d.dose_unit).into(),
        (&d.route).into(),
        d.cycle.map(i64::from).into(),
        (&d.note).into(),
        (&d.recorded_by).into(),
    ]
}

/// Writes a new treatment event and the audit row of its creation (with
/// `reason` when it came from elsewhere); gives its id.
pub(crate) fn insert_treatment(
    sql: &mut dyn Sql,
    patient_id: i64,
    data: &TreatmentData,
    user: &str,
    reason: Option<&str>,
) -> Result<i64, StoreError> {
    let mut params = data_values(data);
    params.extend([Value::from(patient_id), now_utc().into(), user.into()]);
    let id = sql.query_int(
        "INSERT INTO treatment_events (date, kind, product, dose, dose_unit, route, cycle, note,
             recorded_by, patient_id, recorded_at, changed_by, changed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $11) RETURNING id",
        &params,
    )?;
    Change::of(user, RecordKind::Treatment, id, patient_id).created(sql, data, reason)?;
    Ok(id)
}

pub(crate) fn add_treatment(
    sql: &mut dyn Sql,
    patient_id: i64,
    data: &TreatmentData,
    user: &str,
) -> Result<TreatmentEvent, StoreError> {
    super::require_patient(sql, patient_id)?;
    let id = insert_treatment(sql, patient_id, data, user, None)?;
    Ok(TreatmentEvent {
        id,
        patient_id,
        version: 1,
        data: data.clone(),
    })
}

pub(crate) fn edit_treatment(
    sql: &mut dyn Sql,
    event: &TreatmentEvent,
    data: &TreatmentData,
    reason: &str,
    user: &str,
) -> Result<TreatmentEvent, StoreError> {
    let change = Change::of(user, RecordKind::Treatment, event.id, event.patient_id);
    edit_record(
        sql,
        &change,
        (event.version, &event.data, data, reason),
        "UPDATE treatment_events SET date = $1, kind = $2, product = $3, dose = $4, dose_unit = $5,
             route = $6, cycle = $7, note = $8, recorded_by = $9, version = version + 1,
             changed_by = $10, changed_at = $11
         WHERE id = $12",
        data_values(data),
    )?;
    Ok(TreatmentEvent {
        id: event.id,
        patient_id: event.patient_id,
        version: event.version + 1,
        data: data.clone(),
    })
}

/// The columns `build_treatment` reads, in its order.
pub(crate) const TREATMENT_COLUMNS: &str =
    "id, version, date, kind, product, dose, dose_unit, route, cycle, note, recorded_by";

pub(crate) fn build_treatment(patient_id: i64, r: &dyn Row) -> Result<TreatmentEvent, StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt {
        what: "treatment event",
        detail,
    };
    let kind = r.text(3)?;
    let kind = TreatmentKind::from_str_opt(kind).ok_or_else(|| corrupt(format!("kind \"{kind}\"")))?;
    let cycle = r
        .int_opt(8)?
        .map(|c| u32::try_from(c).map_err(|_| corrupt(format!("cycle {c}"))))
        .transpose()?;
    Ok(TreatmentEvent {
        id: r.int(0)?,
        patient_id,
        version: r.int(1)?,
        data: TreatmentData {
            date: parse_date_col(r.text(2)?, "treatment event")?,
            kind,
            product: r.string(4)?,
            dose: decimal_col(r.text_opt(5)?, "treatment dose")?,
            dose_unit: r.string(6)?,
            route: r.string(7)?,
            cycle,
            note: r.string(9)?,
            recorded_by: r.string(10)?,
        },
    })
}

/// The patient's treatment events that are not voided, oldest first.
pub(crate) fn treatments(sql: &mut dyn Sql, patient_id: i64) -> Result<Vec<TreatmentEvent>, StoreError> {
    sql.query_all(
        &format!("SELECT {TREATMENT_COLUMNS} FROM treatment_events WHERE patient_id = $1 AND voided_at IS NULL ORDER BY date, id"),
        vals![patient_id],
        |r| build_treatment(patient_id, r),
    )
}

/// Each treatment not voided (of the patients on a protocol only, when
/// asked) as patient, date and cycle, by patient, date and id: what a plan
/// and day 0 need of them.
pub(crate) fn each_treatment_cycle(
    sql: &mut dyn Sql,
    on_protocol_only: bool,
    each: &mut dyn FnMut(i64, Date, Option<u32>),
) -> Result<(), StoreError> {
    sql.query(
        &format!(
            "SELECT patient_id, date, cycle FROM treatment_events
             WHERE voided_at IS NULL {} ORDER BY patient_id, date, id",
            if on_protocol_only {
                super::protocols::ON_PROTOCOL
            } else {
                ""
            }
        ),
        vals![],
        &mut |r| {
            let cycle = r.int_opt(2)?.and_then(|c| u32::try_from(c).ok());
            each(r.int(0)?, parse_date_col(r.text(1)?, "treatment event")?, cycle);
            Ok(())
        },
    )
}
