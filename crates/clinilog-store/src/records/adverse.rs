//! Adverse events (CTCAE term and grade, seriousness, relation to the
//! treatment, action, outcome) and records that a visit found none.

use super::audit::Change;
use super::{edit_record, now_utc, parse_date_col};
use crate::StoreError;
use crate::sql::{Row, Sql, Value, vals};
use clinilog_domain::adverse::{
    ActionTaken, AdverseEvent, AdverseEventData, NoEvents, NoEventsData, Outcome, Relation,
};
use clinilog_domain::history::RecordKind;

/// The event's columns in the order of `term, grade, onset, resolved_on,
/// serious, relation, cycle, action, outcome, note, recorded_by`.
fn data_values(d: &AdverseEventData) -> Vec<Value<'_>> {
    vec![
        (&d.term).into(),
        i64::from(d.grade).into(),
        d.onset.to_string().into(),
        d.resolved_on.map(|x| x.to_string()).into(),
        d.serious.into(),
        d.relation.as_str().into(),
        d.cycle.map(i64::from).into(),
        d.action.as_str().into(),
        d.outcome.as_str().into(),
        (&d.note).into(),
        (&d.recorded_by).into(),
    ]
}

fn corrupt(detail: String) -> StoreError {
    StoreError::Corrupt {
        what: "adverse event",
        detail,
    }
}

pub(crate) fn add_adverse_event(
    sql: &mut dyn Sql,
    patient_id: i64,
    data: &AdverseEventData,
    user: &str,
) -> Result<AdverseEvent, StoreError> {
    super::require_patient(sql, patient_id)?;
    let mut params = data_values(data);
    params.extend([Value::from(patient_id), now_utc().into(), user.into()]);
    let id = sql.query_int(
        "INSERT INTO adverse_events (term, grade, onset, resolved_on, serious, relation, cycle, action,
             outcome, note, recorded_by, patient_id, recorded_at, changed_by, changed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $13) RETURNING id",
        &params,
    )?;
    Change::of(user, RecordKind::AdverseEvent, id, patient_id).created(sql, data, None)?;
    Ok(AdverseEvent {
        id,
        patient_id,
        version: 1,
        data: data.clone(),
    })
}

pub(crate) fn edit_adverse_event(
    sql: &mut dyn Sql,
    event: &AdverseEvent,
    data: &AdverseEventData,
    reason: &str,
    user: &str,
) -> Result<AdverseEvent, StoreError> {
    let change = Change::of(user, RecordKind::AdverseEvent, event.id, event.patient_id);
    edit_record(
        sql,
        &change,
        (event.version, &event.data, data, reason),
        "UPDATE adverse_events SET term = $1, grade = $2, onset = $3, resolved_on = $4, serious = $5,
             relation = $6, cycle = $7, action = $8, outcome = $9, note = $10, recorded_by = $11,
             version = version + 1, changed_by = $12, changed_at = $13
         WHERE id = $14",
        data_values(data),
    )?;
    Ok(AdverseEvent {
        id: event.id,
        patient_id: event.patient_id,
        version: event.version + 1,
        data: data.clone(),
    })
}

/// The columns `build_adverse_event` reads, in its order.
pub(crate) const ADVERSE_COLUMNS: &str =
    "id, version, term, grade, onset, resolved_on, serious, relation, cycle, action, outcome, note, recorded_by";

pub(crate) fn build_adverse_event(patient_id: i64, r: &dyn Row) -> Result<AdverseEvent, StoreError> {
    let grade = r.int(3)?;
    let (relation, action, outcome) = (r.text(7)?, r.text(9)?, r.text(10)?);
    Ok(AdverseEvent {
        id: r.int(0)?,
        patient_id,
        version: r.int(1)?,
        data: AdverseEventData {
            term: r.string(2)?,
            grade: u8::try_from(grade)
                .ok()
                .filter(|g| (1..=5).contains(g))
                .ok_or_else(|| corrupt(format!("grade {grade}")))?,
            onset: parse_date_col(r.text(4)?, "adverse event")?,
            resolved_on: r.text_opt(5)?.map(|d| parse_date_col(d, "adverse event")).transpose()?,
            serious: r.int(6)? != 0,
            relation: Relation::from_str_opt(relation).ok_or_else(|| corrupt(format!("relation \"{relation}\"")))?,
            cycle: r
                .int_opt(8)?
                .map(|c| u32::try_from(c).map_err(|_| corrupt(format!("cycle {c}"))))
                .transpose()?,
            action: ActionTaken::from_str_opt(action).ok_or_else(|| corrupt(format!("action \"{action}\"")))?,
            outcome: Outcome::from_str_opt(outcome).ok_or_else(|| corrupt(format!("outcome \"{outcome}\"")))?,
            note: r.string(11)?,
            recorded_by: r.string(12)?,
        },
    })
}

/// The patient's adverse events not voided, by onset.
pub(crate) fn adverse_events(sql: &mut dyn Sql, patient_id: i64) -> Result<Vec<AdverseEvent>, StoreError> {
    sql.query_all(
        &format!("SELECT {ADVERSE_COLUMNS} FROM adverse_events WHERE patient_id = $1 AND voided_at IS NULL ORDER BY onset, id"),
        vals![patient_id],
        |r| build_adverse_event(patient_id, r),
    )
}

pub(crate) fn record_no_adverse_events(
    sql: &mut dyn Sql,
    patient_id: i64,
    data: &NoEventsData,
    user: &str,
) -> Result<NoEvents, StoreError> {
    super::require_patient(sql, patient_id)?;
    let id = sql.query_int(
        "INSERT INTO no_adverse_events (patient_id, on_date, note, recorded_by, recorded_at, changed_by,
             changed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $5) RETURNING id",
        vals![
            patient_id,
            data.on.to_string(),
            &data.note,
            &data.recorded_by,
            now_utc(),
            user
        ],
    )?;
    Change::of(user, RecordKind::NoAdverseEvents, id, patient_id).created(sql, data, None)?;
    Ok(NoEvents {
        id,
        patient_id,
        version: 1,
        data: data.clone(),
    })
}

/// The patient's records of no adverse events not voided, by date.
pub(crate) fn no_adverse_events(sql: &mut dyn Sql, patient_id: i64) -> Result<Vec<NoEvents>, StoreError> {
    sql.query_all(
        "SELECT id, version, on_date, note, recorded_by FROM no_adverse_events
         WHERE patient_id = $1 AND voided_at IS NULL ORDER BY on_date, id",
        vals![patient_id],
        |r| build_no_events(patient_id, r),
    )
}

/// A record of no adverse events from `id, version, on_date, note, recorded_by`.
pub(crate) fn build_no_events(patient_id: i64, r: &dyn Row) -> Result<NoEvents, StoreError> {
    Ok(NoEvents {
        id: r.int(0)?,
        patient_id,
        version: r.int(1)?,
        data: NoEventsData {
            on: parse_date_col(r.text(2)?, "record of no adverse events")?,
            note: r.string(3)?,
            recorded_by: r.string(4)?,
        },
    })
}
