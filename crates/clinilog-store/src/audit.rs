//! The audit trail: one row per write, appended in the write's own
//! transaction, with who, when (UTC), what, the record before and after as
//! JSON, and the reason. Audit actions and record kinds are enums in the
//! domain; this file is the one place that spells them as SQL text.

use rusqlite::{Row, Transaction, params};
use serde::Serialize;

use super::stamp::{now_utc, to_json};
use super::{Store, StoreError};
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
}

/// The table that holds records of `kind`.
pub(super) fn table_of(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Patient => "patients",
        RecordKind::Entry => "entries",
        RecordKind::Treatment => "treatment_events",
        RecordKind::Database => "database",
        RecordKind::Assignment => "protocol_assignments",
        RecordKind::PlanShift => "plan_shifts",
        RecordKind::AdverseEvent => "adverse_events",
        RecordKind::NoAdverseEvents => "no_adverse_events",
    }
}

/// Every kind of record, for reading the trail's table names back.
const KINDS: [RecordKind; 8] = [
    RecordKind::Patient,
    RecordKind::Entry,
    RecordKind::Treatment,
    RecordKind::Database,
    RecordKind::Assignment,
    RecordKind::PlanShift,
    RecordKind::AdverseEvent,
    RecordKind::NoAdverseEvents,
];

fn kind_of(table: &str) -> Option<RecordKind> {
    KINDS.into_iter().find(|k| table_of(*k) == table)
}

pub(super) fn action_text(action: AuditAction) -> &'static str {
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

/// What one write appends to the trail.
struct Audit<'a> {
    user: &'a str,
    action: AuditAction,
    kind: RecordKind,
    row_id: i64,
    before: Option<String>,
    after: Option<String>,
    reason: Option<&'a str>,
}

fn append_audit(tx: &Transaction<'_>, a: Audit<'_>) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO audit_log (at_utc, \"user\", action, table_name, row_id, before_json, after_json, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        now_utc(),
        a.user,
        action_text(a.action),
        table_of(a.kind),
        a.row_id,
        a.before,
        a.after,
        a.reason
    ])?;
    Ok(())
}

/// Who changes which record: the writes of one record append through it.
pub(super) struct Change<'a> {
    pub(super) user: &'a str,
    pub(super) kind: RecordKind,
    pub(super) row_id: i64,
}

impl Change<'_> {
    fn append(
        &self,
        tx: &Transaction<'_>,
        action: AuditAction,
        before: Option<String>,
        after: Option<String>,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        append_audit(
            tx,
            Audit {
                user: self.user,
                action,
                kind: self.kind,
                row_id: self.row_id,
                before,
                after,
                reason,
            },
        )
    }

    /// The record was created as `after`, with a note of where it came
    /// from (an imported file and its SHA-256).
    pub(super) fn created_because<T: Serialize>(
        &self,
        tx: &Transaction<'_>,
        after: &T,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        self.append(tx, AuditAction::Create, None, Some(to_json(after)?), reason)
    }

    /// The record went from `before` to `after`, for `reason`.
    pub(super) fn edited<T: Serialize>(
        &self,
        tx: &Transaction<'_>,
        before: &T,
        after: &T,
        reason: &str,
    ) -> Result<(), StoreError> {
        self.append(
            tx,
            AuditAction::Edit,
            Some(to_json(before)?),
            Some(to_json(after)?),
            Some(reason),
        )
    }

    /// The file was restored from a backup (`reason` says which).
    pub(super) fn restored(&self, tx: &Transaction<'_>, reason: &str) -> Result<(), StoreError> {
        self.append(tx, AuditAction::Restore, None, None, Some(reason))
    }

    /// The record, as `before`, was voided for `reason`.
    pub(super) fn voided<T: Serialize>(
        &self,
        tx: &Transaction<'_>,
        before: &T,
        reason: &str,
    ) -> Result<(), StoreError> {
        self.append(tx, AuditAction::Void, Some(to_json(before)?), None, Some(reason))
    }
}

/// The columns `audit_from_row` reads, in its order.
pub(super) const AUDIT_COLUMNS: &str = "at_utc, \"user\", action, table_name, row_id, before_json, after_json, reason";

pub(super) type RawAudit = (
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn raw_audit(r: &Row<'_>) -> rusqlite::Result<RawAudit> {
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

pub(super) fn build_audit(raw: RawAudit) -> Result<AuditRecord, StoreError> {
    let (at_utc, user, action, table, row_id, before_json, after_json, reason) = raw;
    let corrupt = |detail: String| StoreError::Corrupt {
        what: "audit record",
        detail,
    };
    Ok(AuditRecord {
        at_utc,
        user,
        action: action_of(&action).ok_or_else(|| corrupt(format!("action \"{action}\"")))?,
        kind: kind_of(&table).ok_or_else(|| corrupt(format!("table \"{table}\"")))?,
        row_id,
        before_json,
        after_json,
        reason,
    })
}

/// The audit rows of one patient's records (the patient is parameter `p`,
/// `?1` in SQLite, `$1` in PostgreSQL): the patient's own row, its entries,
/// treatment events, protocols and their shifts, adverse events and
/// records of none.
pub(super) fn history_filter(p: &str) -> String {
    format!(
        "(a.table_name = 'patients' AND a.row_id = {p})
         OR (a.table_name = 'entries' AND a.row_id IN (SELECT id FROM entries WHERE patient_id = {p}))
         OR (a.table_name = 'treatment_events'
         AND a.row_id IN (SELECT id FROM treatment_events WHERE patient_id = {p}))
         OR (a.table_name = 'protocol_assignments'
         AND a.row_id IN (SELECT id FROM protocol_assignments WHERE patient_id = {p}))
         OR (a.table_name = 'plan_shifts'
         AND a.row_id IN (SELECT s.id FROM plan_shifts s
         JOIN protocol_assignments p ON p.id = s.assignment_id WHERE p.patient_id = {p}))
         OR (a.table_name = 'adverse_events'
         AND a.row_id IN (SELECT id FROM adverse_events WHERE patient_id = {p}))
         OR (a.table_name = 'no_adverse_events'
         AND a.row_id IN (SELECT id FROM no_adverse_events WHERE patient_id = {p}))"
    )
}

impl Store {
    fn audit_rows(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<AuditRecord>, StoreError> {
        let mut stmt = self.conn.prepare(sql)?;
        let raw = stmt.query_map(params, raw_audit)?.collect::<Result<Vec<_>, _>>()?;
        raw.into_iter().map(build_audit).collect()
    }

    /// The audit trail, oldest first; for one record when given.
    pub fn audit_log(&self, record: Option<(RecordKind, i64)>) -> Result<Vec<AuditRecord>, StoreError> {
        let columns = format!("SELECT {AUDIT_COLUMNS} FROM audit_log");
        match record {
            Some((kind, row)) => self.audit_rows(
                &format!("{columns} WHERE table_name = ?1 AND row_id = ?2 ORDER BY id"),
                params![table_of(kind), row],
            ),
            None => self.audit_rows(&format!("{columns} ORDER BY id"), []),
        }
    }

    /// The audit trail of one patient: the patient's own row, its entries,
    /// treatment events, protocols and their shifts, adverse events and
    /// records of none, oldest first.
    pub fn history(&self, patient_id: i64) -> Result<Vec<AuditRecord>, StoreError> {
        self.audit_rows(
            &format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_log a WHERE {} ORDER BY a.id",
                history_filter("?1")
            ),
            [patient_id],
        )
    }
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
