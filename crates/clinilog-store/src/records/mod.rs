//! Every operation on the clinic's records, written once over the
//! connection trait ([`crate::sql::Sql`]): the file and the server run the
//! same statements, the same checks and the same audit rows. Nothing here
//! imports a driver.
//!
//! One file per kind of record (`patients.rs`, `entries.rs`,
//! `treatments.rs`, `adverse.rs`, `protocols.rs`, `documents.rs`,
//! `drafts.rs`), the trail (`audit.rs`), writing many at once (`batch.rs`),
//! the check (`check.rs`), and here what they share: the transaction
//! skeleton of an edit and a void (version checked, written, audited), and
//! the column parsers that report a corrupt row instead of guessing.
//!
//! A new rule goes here, once: both stores then keep it.

pub(crate) mod adverse;
pub(crate) mod audit;
pub(crate) mod batch;
pub(crate) mod check;
pub(crate) mod documents;
pub(crate) mod drafts;
pub(crate) mod entries;
pub(crate) mod patients;
pub(crate) mod protocols;
pub(crate) mod trail;
pub(crate) mod treatments;

use jiff::civil::Date;
use serde::Serialize;

use crate::sql::{Sql, Value, vals};
use crate::{StoreError, local_time};
use audit::{Change, table_of};
use clinilog_domain::Decimal;
use clinilog_domain::history::RecordKind;

pub(crate) fn now_utc() -> String {
    jiff::Timestamp::now().to_string()
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt {
        what: "audit record",
        detail: e.to_string(),
    })
}

pub(crate) fn parse_date_col(s: &str, what: &'static str) -> Result<Date, StoreError> {
    s.parse::<Date>().map_err(|e| StoreError::Corrupt {
        what,
        detail: format!("date \"{s}\": {e}"),
    })
}

pub(crate) fn decimal_col(s: Option<&str>, what: &'static str) -> Result<Option<Decimal>, StoreError> {
    s.map(|t| {
        Decimal::parse(t).map_err(|e| StoreError::Corrupt {
            what,
            detail: e.to_string(),
        })
    })
    .transpose()
}

/// Every write is signed by who makes it.
pub(crate) fn require_user(user: &str) -> Result<(), StoreError> {
    if user.trim().is_empty() {
        return Err(StoreError::Corrupt {
            what: "write",
            detail: "every write needs the name of who records it".to_owned(),
        });
    }
    Ok(())
}

/// Every edit and void says why.
pub(crate) fn require_reason(reason: &str, what: &'static str) -> Result<String, StoreError> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(StoreError::ReasonRequired(what));
    }
    Ok(r.to_owned())
}

/// A record's version, who changed it last and when, and when it was voided.
pub(crate) type VersionRow = (i64, Option<String>, Option<String>, Option<String>);

/// Refuses a change based on another version than the records hold (who
/// changed it and when), and a change to a voided record. On a server the
/// row stays locked until the transaction ends, so that two workstations
/// cannot both pass; a file's writer holds the whole file already.
pub(crate) fn check_version(sql: &mut dyn Sql, kind: RecordKind, id: i64, expected: i64) -> Result<(), StoreError> {
    // Patients are archived, not voided.
    let voided = if kind == RecordKind::Patient {
        "CAST(NULL AS TEXT)"
    } else {
        "voided_at"
    };
    let query = format!(
        "SELECT version, changed_by, changed_at, {voided} FROM {} WHERE id = $1{}",
        table_of(kind),
        sql.dialect().lock_row()
    );
    let row = sql.query_opt(&query, vals![id], |r| {
        Ok((r.int(0)?, r.string_opt(1)?, r.string_opt(2)?, r.string_opt(3)?))
    })?;
    judge_version(kind, id, row, expected)
}

/// Refuses a change to a record that is missing, voided, or at another
/// version than the one the change started from (who changed it and when).
pub(crate) fn judge_version(
    kind: RecordKind,
    id: i64,
    row: Option<VersionRow>,
    expected: i64,
) -> Result<(), StoreError> {
    let Some((version, by, at, voided)) = row else {
        return Err(StoreError::NotFound {
            what: kind.noun(),
            id: id.to_string(),
        });
    };
    if voided.is_some() {
        return Err(StoreError::Voided {
            what: kind.noun(),
            id: id.to_string(),
        });
    }
    if version != expected {
        return Err(StoreError::Conflict {
            what: kind.noun(),
            by: by.unwrap_or_else(|| "another window".to_owned()),
            at: at.map(|t| local_time(&t)).unwrap_or_default(),
        });
    }
    Ok(())
}

/// Edits a record in its transaction: refuses a stale version or a voided
/// record, runs `update` with the record's `values` followed by who
/// changes it, when, and its id (the statement moves the version on), and
/// appends the audit row with the record before and after. The reason was
/// checked.
pub(crate) fn edit_record<'a, T: Serialize>(
    sql: &mut dyn Sql,
    change: &Change<'a>,
    (version, before, after, reason): (i64, &T, &T, &str),
    update: &str,
    mut values: Vec<Value<'a>>,
) -> Result<(), StoreError> {
    check_version(sql, change.kind, change.row_id, version)?;
    values.extend([Value::from(change.user), now_utc().into(), change.row_id.into()]);
    sql.execute(update, &values)?;
    change.edited(sql, before, after, reason)
}

/// Voids a record in its transaction: refuses a stale version or a record
/// already voided, marks it voided with the reason (checked), and appends
/// the audit row.
pub(crate) fn void_record<T: Serialize>(
    sql: &mut dyn Sql,
    change: &Change<'_>,
    version: i64,
    before: &T,
    reason: &str,
) -> Result<(), StoreError> {
    check_version(sql, change.kind, change.row_id, version)?;
    sql.execute(
        &format!(
            "UPDATE {} SET voided_at = $1, void_reason = $2, version = version + 1, changed_by = $3,
                 changed_at = $1
             WHERE id = $4",
            table_of(change.kind)
        ),
        vals![now_utc(), reason, change.user, change.row_id],
    )?;
    change.voided(sql, before, reason)
}

/// The patient, or `NotFound` (a write for a patient must name one).
pub(crate) fn require_patient(sql: &mut dyn Sql, patient_id: i64) -> Result<(), StoreError> {
    patients::read_patient(sql, patient_id).map(|_| ())
}
