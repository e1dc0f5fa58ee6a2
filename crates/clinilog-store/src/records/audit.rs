//! The audit trail: one row per write, appended in the write's own
//! transaction, with who, when (UTC), what, the record before and after as
//! JSON, and the reason. Audit actions and record kinds are enums in the
//! domain; this file is the one place that spells them as SQL text.

use serde::Serialize;

use super::{now_utc, to_json};
use crate::StoreError;
use crate::chain::{Anchor, ChainReport, RowFields, Verifier};
use crate::sql::{AuditRow, Row, Sql, vals};
use clinilog_domain::history::{AuditAction, RecordKind};

/// One row of the audit trail.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditRecord {
    pub at_utc: String,
    pub user: String,
    pub action: AuditAction,
    pub kind: RecordKind,
    pub row_id: Option<i64>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub reason: Option<String>,
    /// Its place in the audit chain (`chain.rs`).
    pub seq: Option<i64>,
}

/// The table that holds records of `kind`.
pub(crate) fn table_of(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Patient => "patients",
        RecordKind::Entry => "entries",
        RecordKind::Treatment => "treatment_events",
        RecordKind::Database => "database",
        RecordKind::Assignment => "protocol_assignments",
        RecordKind::PlanShift => "plan_shifts",
        RecordKind::PlanClosure => "plan_closures",
        RecordKind::AdverseEvent => "adverse_events",
        RecordKind::NoAdverseEvents => "no_adverse_events",
    }
}

/// Every kind of record, for reading the trail's table names back.
const KINDS: [RecordKind; 9] = [
    RecordKind::Patient,
    RecordKind::Entry,
    RecordKind::Treatment,
    RecordKind::Database,
    RecordKind::Assignment,
    RecordKind::PlanShift,
    RecordKind::PlanClosure,
    RecordKind::AdverseEvent,
    RecordKind::NoAdverseEvents,
];

fn kind_of(table: &str) -> Option<RecordKind> {
    KINDS.into_iter().find(|k| table_of(*k) == table)
}

pub(crate) fn action_text(action: AuditAction) -> &'static str {
    match action {
        AuditAction::Create => "create",
        AuditAction::Edit => "edit",
        AuditAction::Void => "void",
        AuditAction::Restore => "restore",
    }
}

fn action_of(text: &str) -> Option<AuditAction> {
    [
        AuditAction::Create,
        AuditAction::Edit,
        AuditAction::Void,
        AuditAction::Restore,
    ]
    .into_iter()
    .find(|a| action_text(*a) == text)
}

/// Who changes which record of which patient: the writes of one record
/// append their audit row (and, on a server, its notification) through it.
pub(crate) struct Change<'a> {
    pub(crate) user: &'a str,
    pub(crate) kind: RecordKind,
    pub(crate) row_id: i64,
    pub(crate) patient_id: i64,
}

impl<'a> Change<'a> {
    /// A change by `user` of the record `row_id` of `kind`, of patient `patient_id`.
    pub(crate) fn of(user: &'a str, kind: RecordKind, row_id: i64, patient_id: i64) -> Self {
        Self {
            user,
            kind,
            row_id,
            patient_id,
        }
    }

    pub(crate) fn append(
        &self,
        sql: &mut dyn Sql,
        action: AuditAction,
        before: Option<&str>,
        after: Option<&str>,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        sql.append_audit(AuditRow {
            fields: RowFields {
                at_utc: &now_utc(),
                user: self.user,
                action: action_text(action),
                table_name: table_of(self.kind),
                row_id: Some(self.row_id),
                before_json: before,
                after_json: after,
                reason,
            },
            patient_id: self.patient_id,
        })
    }

    /// The record was created as `after`, with a note of where it came
    /// from (an imported file and its SHA-256) when not typed.
    pub(crate) fn created<T: Serialize>(
        &self,
        sql: &mut dyn Sql,
        after: &T,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        self.append(sql, AuditAction::Create, None, Some(&to_json(after)?), reason)
    }

    /// The record went from `before` to `after`, for `reason`.
    pub(crate) fn edited<T: Serialize>(
        &self,
        sql: &mut dyn Sql,
        before: &T,
        after: &T,
        reason: &str,
    ) -> Result<(), StoreError> {
        self.append(
            sql,
            AuditAction::Edit,
            Some(&to_json(before)?),
            Some(&to_json(after)?),
            Some(reason),
        )
    }

    /// The record, as `before`, was voided for `reason`.
    pub(crate) fn voided<T: Serialize>(&self, sql: &mut dyn Sql, before: &T, reason: &str) -> Result<(), StoreError> {
        self.append(sql, AuditAction::Void, Some(&to_json(before)?), None, Some(reason))
    }
}

/// Appends an audit row at the end of the chain, in the write's own
/// transaction, computing its place and hash here: a file's way (its
/// writer holds the file's lock, so no other row can come between the
/// head read and the row added). A server chains in its trigger instead.
pub(crate) fn append_chained(sql: &mut dyn Sql, row: AuditRow<'_>) -> Result<(), StoreError> {
    let head = head_of(sql)?;
    let seq = head.as_ref().map_or(1, |h| h.seq + 1);
    let hash = crate::chain::row_hash(seq, head.as_ref().map(|h| h.hash.as_str()), row.fields);
    insert_row(sql, row, Some((seq, &hash)))
}

/// Inserts an audit row, with its place in the chain and its hash when
/// they are computed here (`None`: the server's trigger sets them).
pub(crate) fn insert_row(sql: &mut dyn Sql, row: AuditRow<'_>, chain: Option<(i64, &str)>) -> Result<(), StoreError> {
    let f = row.fields;
    sql.execute(
        "INSERT INTO audit_log (at_utc, \"user\", action, table_name, row_id, before_json, after_json, reason, seq,
             row_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        vals![
            f.at_utc,
            f.user,
            f.action,
            f.table_name,
            f.row_id,
            f.before_json,
            f.after_json,
            f.reason,
            chain.map(|(seq, _)| seq),
            chain.map(|(_, hash)| hash)
        ],
    )?;
    Ok(())
}

/// The database itself was changed (restored from a backup, the chain
/// begun): an audit row of no record.
pub(crate) fn database_row(
    sql: &mut dyn Sql,
    user: &str,
    (action, row_id): (AuditAction, Option<i64>),
    after_json: Option<&str>,
    reason: &str,
) -> Result<(), StoreError> {
    sql.append_audit(AuditRow {
        fields: RowFields {
            at_utc: &now_utc(),
            user,
            action: action_text(action),
            table_name: table_of(RecordKind::Database),
            row_id,
            before_json: None,
            after_json,
            reason: Some(reason),
        },
        patient_id: 0,
    })
}

/// The last audit row's `(seq, hash)` as stored (`None` before any row, or
/// in a file older than the chain).
pub(crate) fn head_of(sql: &mut dyn Sql) -> Result<Option<Anchor>, StoreError> {
    sql.query_opt(
        "SELECT seq, row_hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1",
        vals![],
        |r| {
            Ok(Anchor {
                seq: r.int(0)?,
                hash: r.string(1)?,
            })
        },
    )
}

/// The columns of an audit row as the chain covers it, from `first`.
pub(crate) const CHAIN_COLUMNS: &str =
    "id, seq, row_hash, at_utc, \"user\", action, table_name, row_id, before_json, after_json, reason";

/// The hashed fields of a row read with [`CHAIN_COLUMNS`].
pub(crate) fn chain_fields(r: &dyn Row) -> Result<RowFields<'_>, StoreError> {
    Ok(RowFields {
        at_utc: r.text(3)?,
        user: r.text(4)?,
        action: r.text(5)?,
        table_name: r.text(6)?,
        row_id: r.int_opt(7)?,
        before_json: r.text_opt(8)?,
        after_json: r.text_opt(9)?,
        reason: r.text_opt(10)?,
    })
}

/// Recomputes the audit chain, streamed: unchained rows first, then in
/// `seq` order.
pub(crate) fn verify_chain(sql: &mut dyn Sql) -> Result<ChainReport, StoreError> {
    let mut v = Verifier::default();
    sql.query(
        &format!("SELECT {CHAIN_COLUMNS} FROM audit_log ORDER BY seq IS NOT NULL, seq, id"),
        vals![],
        &mut |r| {
            v.push(r.int(0)?, r.int_opt(1)?, r.text_opt(2)?, chain_fields(r)?);
            Ok(())
        },
    )?;
    Ok(v.finish())
}

/// The columns `build_audit` reads, in its order.
const AUDIT_COLUMNS: &str = "a.at_utc, a.\"user\", a.action, a.table_name, a.row_id, a.before_json, a.after_json, \
     a.reason, a.seq";

fn build_audit(r: &dyn Row) -> Result<AuditRecord, StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt {
        what: "audit record",
        detail,
    };
    let (action, table) = (r.text(2)?, r.text(3)?);
    Ok(AuditRecord {
        at_utc: r.string(0)?,
        user: r.string(1)?,
        action: action_of(action).ok_or_else(|| corrupt(format!("action \"{action}\"")))?,
        kind: kind_of(table).ok_or_else(|| corrupt(format!("table \"{table}\"")))?,
        row_id: r.int_opt(4)?,
        before_json: r.string_opt(5)?,
        after_json: r.string_opt(6)?,
        reason: r.string_opt(7)?,
        seq: r.int_opt(8)?,
    })
}

/// The audit trail, oldest first; for one record when given.
pub(crate) fn audit_log(sql: &mut dyn Sql, record: Option<(RecordKind, i64)>) -> Result<Vec<AuditRecord>, StoreError> {
    let columns = format!("SELECT {AUDIT_COLUMNS} FROM audit_log a");
    match record {
        Some((kind, row)) => sql.query_all(
            &format!("{columns} WHERE a.table_name = $1 AND a.row_id = $2 ORDER BY a.id"),
            vals![table_of(kind), row],
            build_audit,
        ),
        None => sql.query_all(&format!("{columns} ORDER BY a.id"), vals![], build_audit),
    }
}

/// The audit trail of one patient: the patient's own row, its entries,
/// treatment events, protocols and their shifts and closures, adverse
/// events and records of none, oldest first.
pub(crate) fn history(sql: &mut dyn Sql, patient_id: i64) -> Result<Vec<AuditRecord>, StoreError> {
    let filter = "(a.table_name = 'patients' AND a.row_id = $1)
         OR (a.table_name = 'entries' AND a.row_id IN (SELECT id FROM entries WHERE patient_id = $1))
         OR (a.table_name = 'treatment_events'
         AND a.row_id IN (SELECT id FROM treatment_events WHERE patient_id = $1))
         OR (a.table_name = 'protocol_assignments'
         AND a.row_id IN (SELECT id FROM protocol_assignments WHERE patient_id = $1))
         OR (a.table_name = 'plan_shifts'
         AND a.row_id IN (SELECT s.id FROM plan_shifts s
         JOIN protocol_assignments p ON p.id = s.assignment_id WHERE p.patient_id = $1))
         OR (a.table_name = 'plan_closures'
         AND a.row_id IN (SELECT c.id FROM plan_closures c
         JOIN protocol_assignments p ON p.id = c.assignment_id WHERE p.patient_id = $1))
         OR (a.table_name = 'adverse_events'
         AND a.row_id IN (SELECT id FROM adverse_events WHERE patient_id = $1))
         OR (a.table_name = 'no_adverse_events'
         AND a.row_id IN (SELECT id FROM no_adverse_events WHERE patient_id = $1))";
    sql.query_all(
        &format!("SELECT {AUDIT_COLUMNS} FROM audit_log a WHERE {filter} ORDER BY a.id"),
        vals![patient_id],
        build_audit,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_and_kinds_round_trip_through_their_text() {
        for a in [
            AuditAction::Create,
            AuditAction::Edit,
            AuditAction::Void,
            AuditAction::Restore,
        ] {
            assert_eq!(action_of(action_text(a)), Some(a));
        }
        for k in KINDS {
            assert_eq!(kind_of(table_of(k)), Some(k));
        }
        assert_eq!(action_of("delete"), None);
        assert_eq!(kind_of("drafts"), None);
    }
}
