//! Protocols assigned to patients, the shifts and closures of their plans,
//! and what the due list reads of them.

use std::collections::HashSet;

use jiff::civil::Date;

use super::audit::Change;
use super::{check_version, now_utc, parse_date_col};
use crate::StoreError;
use crate::sql::{Row, Sql, Value, vals};
use clinilog_domain::history::{AuditAction, RecordKind};
use clinilog_domain::protocol::{Assignment, AssignmentData, ClosureData, ShiftData};

/// Rows of patients on a protocol (assigned, not voided).
pub(crate) const ON_PROTOCOL: &str =
    "AND patient_id IN (SELECT patient_id FROM protocol_assignments WHERE voided_at IS NULL)";

/// The columns `build_assignment` reads, in its order.
pub(crate) const ASSIGNMENT_COLUMNS: &str =
    "a.id, a.patient_id, a.version, a.protocol, a.protocol_text, a.start_date, a.note, a.recorded_by";

pub(crate) fn build_assignment(r: &dyn Row) -> Result<Assignment, StoreError> {
    Ok(Assignment {
        id: r.int(0)?,
        patient_id: r.int(1)?,
        version: r.int(2)?,
        data: AssignmentData {
            protocol: r.string(3)?,
            protocol_text: r.string(4)?,
            start: parse_date_col(r.text(5)?, "protocol assignment")?,
            note: r.string(6)?,
            recorded_by: r.string(7)?,
        },
        shifts: Vec::new(),
        closures: Vec::new(),
    })
}

/// Writes an assignment and the audit row of its creation (with `reason`
/// when it came from elsewhere); gives its id.
pub(crate) fn insert_assignment(
    sql: &mut dyn Sql,
    patient_id: i64,
    data: &AssignmentData,
    user: &str,
    reason: Option<&str>,
) -> Result<i64, StoreError> {
    let id = sql.query_int(
        "INSERT INTO protocol_assignments (patient_id, protocol, protocol_text, start_date, note,
             recorded_by, recorded_at, changed_by, changed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7) RETURNING id",
        vals![
            patient_id,
            &data.protocol,
            &data.protocol_text,
            data.start.to_string(),
            &data.note,
            &data.recorded_by,
            now_utc(),
            user
        ],
    )?;
    Change::of(user, RecordKind::Assignment, id, patient_id).created(sql, data, reason)?;
    Ok(id)
}

/// Assigns a protocol to a patient from a start date.
pub(crate) fn assign_protocol(
    sql: &mut dyn Sql,
    patient_id: i64,
    data: &AssignmentData,
    user: &str,
) -> Result<Assignment, StoreError> {
    super::require_patient(sql, patient_id)?;
    let id = insert_assignment(sql, patient_id, data, user, None)?;
    Ok(Assignment {
        id,
        patient_id,
        version: 1,
        data: data.clone(),
        shifts: Vec::new(),
        closures: Vec::new(),
    })
}

/// What a shift and a closure share: the assignment's version checked and
/// moved on (so a change based on a plan another workstation changed
/// meanwhile is refused), the record inserted by `insert` (its id
/// returned), and its audit row with the reason (checked).
fn add_to_plan<T: serde::Serialize>(
    sql: &mut dyn Sql,
    a: &Assignment,
    user: &str,
    (kind, record, reason): (RecordKind, &T, &str),
    insert: &str,
    params: &[Value<'_>],
) -> Result<(), StoreError> {
    check_version(sql, RecordKind::Assignment, a.id, a.version)?;
    sql.execute(
        "UPDATE protocol_assignments SET version = version + 1, changed_by = $1, changed_at = $2 WHERE id = $3",
        vals![user, now_utc(), a.id],
    )?;
    let id = sql.query_int(insert, params)?;
    Change::of(user, kind, id, a.patient_id).append(
        sql,
        AuditAction::Create,
        None,
        Some(&super::to_json(record)?),
        Some(reason),
    )
}

/// Shifts an item of the plan, and what follows it, by `shift.days`: the
/// shift is appended with its reason (`reason`, checked; also in the audit
/// row), and the assignment's version moves on.
pub(crate) fn shift_plan(
    sql: &mut dyn Sql,
    a: &Assignment,
    shift: &ShiftData,
    reason: String,
    user: &str,
) -> Result<Assignment, StoreError> {
    let kept = ShiftData {
        reason,
        ..shift.clone()
    };
    add_to_plan(
        sql,
        a,
        user,
        (RecordKind::PlanShift, &kept, &kept.reason),
        "INSERT INTO plan_shifts (assignment_id, item, planned_on, days, reason, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        vals![
            a.id,
            &shift.item,
            shift.planned_on.to_string(),
            shift.days,
            &kept.reason,
            &shift.recorded_by,
            now_utc()
        ],
    )?;
    let mut out = a.clone();
    out.version += 1;
    out.shifts.push(kept);
    Ok(out)
}

/// Closes an item of the plan as not done, with its reason (checked; kept
/// in the audit row too); the assignment's version moves on.
pub(crate) fn close_plan_item(
    sql: &mut dyn Sql,
    a: &Assignment,
    closure: &ClosureData,
    reason: String,
    user: &str,
) -> Result<Assignment, StoreError> {
    let kept = ClosureData {
        reason,
        ..closure.clone()
    };
    add_to_plan(
        sql,
        a,
        user,
        (RecordKind::PlanClosure, &kept, &kept.reason),
        "INSERT INTO plan_closures (assignment_id, item, planned_on, reason, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        vals![
            a.id,
            &closure.item,
            closure.planned_on.to_string(),
            &kept.reason,
            &closure.recorded_by,
            now_utc()
        ],
    )?;
    let mut out = a.clone();
    out.version += 1;
    out.closures.push(kept);
    Ok(out)
}

/// Assignments with their shifts and closures: `filter` after `FROM
/// protocol_assignments a`.
pub(crate) fn read_assignments(
    sql: &mut dyn Sql,
    filter: &str,
    params: &[Value<'_>],
) -> Result<Vec<Assignment>, StoreError> {
    let mut out = sql.query_all(
        &format!("SELECT {ASSIGNMENT_COLUMNS} FROM protocol_assignments a {filter} ORDER BY a.patient_id, a.id"),
        params,
        build_assignment,
    )?;
    for a in &mut out {
        a.shifts = sql.query_all(
            "SELECT item, planned_on, days, reason, recorded_by FROM plan_shifts WHERE assignment_id = $1
             ORDER BY id",
            vals![a.id],
            |r| build_shift(r, 0),
        )?;
        a.closures = sql.query_all(
            "SELECT item, planned_on, reason, recorded_by FROM plan_closures WHERE assignment_id = $1 ORDER BY id",
            vals![a.id],
            |r| build_closure(r, 0),
        )?;
    }
    Ok(out)
}

/// A shift from `item, planned_on, days, reason, recorded_by`, from column `first`.
pub(crate) fn build_shift(r: &dyn Row, first: usize) -> Result<ShiftData, StoreError> {
    Ok(ShiftData {
        item: r.string(first)?,
        planned_on: parse_date_col(r.text(first + 1)?, "plan shift")?,
        days: r.int(first + 2)?,
        reason: r.string(first + 3)?,
        recorded_by: r.string(first + 4)?,
    })
}

/// A closure from `item, planned_on, reason, recorded_by`, from column `first`.
pub(crate) fn build_closure(r: &dyn Row, first: usize) -> Result<ClosureData, StoreError> {
    Ok(ClosureData {
        item: r.string(first)?,
        planned_on: parse_date_col(r.text(first + 1)?, "plan closure")?,
        reason: r.string(first + 2)?,
        recorded_by: r.string(first + 3)?,
    })
}

/// The patient's protocols not voided, with their shifts, oldest first.
pub(crate) fn assignments(sql: &mut dyn Sql, patient_id: i64) -> Result<Vec<Assignment>, StoreError> {
    read_assignments(
        sql,
        "WHERE a.patient_id = $1 AND a.voided_at IS NULL",
        vals![patient_id],
    )
}

/// Every assignment not voided of a patient not archived, with its shifts, by patient.
pub(crate) fn active_assignments(sql: &mut dyn Sql) -> Result<Vec<Assignment>, StoreError> {
    read_assignments(
        sql,
        "JOIN patients p ON p.id = a.patient_id WHERE a.voided_at IS NULL AND p.archived = 0",
        vals![],
    )
}

/// The names of the protocols assigned (not voided), sorted.
pub(crate) fn protocol_names(sql: &mut dyn Sql) -> Result<Vec<String>, StoreError> {
    sql.query_all(
        "SELECT DISTINCT protocol FROM protocol_assignments WHERE voided_at IS NULL ORDER BY protocol",
        vals![],
        |r| r.string(0),
    )
}

/// The patients on this protocol (assigned, not voided).
pub(crate) fn patients_on_protocol(sql: &mut dyn Sql, protocol: &str) -> Result<HashSet<i64>, StoreError> {
    let ids = sql.query_all(
        "SELECT patient_id FROM protocol_assignments WHERE voided_at IS NULL AND protocol = $1",
        vals![protocol],
        |r| r.int(0),
    )?;
    Ok(ids.into_iter().collect())
}

/// Each entry not voided (of the patients on a protocol only, when asked)
/// as patient, entry id and date, by patient, date and id.
pub(crate) fn each_entry_date(
    sql: &mut dyn Sql,
    on_protocol_only: bool,
    each: &mut dyn FnMut(i64, i64, Date),
) -> Result<(), StoreError> {
    sql.query(
        &format!(
            "SELECT patient_id, id, collected_on FROM entries
             WHERE voided_at IS NULL {} ORDER BY patient_id, collected_on, id",
            if on_protocol_only { ON_PROTOCOL } else { "" }
        ),
        vals![],
        &mut |r| {
            each(r.int(0)?, r.int(1)?, parse_date_col(r.text(2)?, "entry")?);
            Ok(())
        },
    )
}
