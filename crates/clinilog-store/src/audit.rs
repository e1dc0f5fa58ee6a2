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
    /// Its place in the audit chain (`chain.rs`).
    pub seq: Option<i64>,
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
    append_chained(
        tx,
        crate::chain::RowFields {
            at_utc: &now_utc(),
            user: a.user,
            action: action_text(a.action),
            table_name: table_of(a.kind),
            row_id: Some(a.row_id),
            before_json: a.before.as_deref(),
            after_json: a.after.as_deref(),
            reason: a.reason,
        },
    )
}

/// Appends an audit row at the end of the chain, in the write's own
/// transaction (which holds the file's write lock: no other row can come
/// between the head read here and the row added).
pub(super) fn append_chained(tx: &Transaction<'_>, f: crate::chain::RowFields<'_>) -> Result<(), StoreError> {
    use rusqlite::OptionalExtension;
    let head: Option<(i64, String)> = tx
        .prepare_cached("SELECT seq, row_hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let seq = head.as_ref().map_or(1, |(s, _)| s + 1);
    let hash = crate::chain::row_hash(seq, head.as_ref().map(|(_, h)| h.as_str()), f);
    tx.prepare_cached(
        "INSERT INTO audit_log (at_utc, \"user\", action, table_name, row_id, before_json, after_json, reason, seq, row_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        f.at_utc,
        f.user,
        f.action,
        f.table_name,
        f.row_id,
        f.before_json,
        f.after_json,
        f.reason,
        seq,
        hash
    ])?;
    Ok(())
}

/// The audit rows as the chain covers them, unchained ones first, then in
/// `seq` order (`SELECT` list and order; `audit_log` aliased `a` nowhere).
pub(super) const CHAIN_SQL: &str = "SELECT id, seq, row_hash, at_utc, \"user\", action, table_name, row_id,
        before_json, after_json, reason FROM audit_log ORDER BY seq IS NOT NULL, seq, id";

/// Chains the rows already in the trail (in id order), as they stand, and
/// says so in a row of its own: the migration to schema 5.
pub(super) fn begin_chain(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch("DROP TRIGGER IF EXISTS audit_log_no_update")?;
    // In id order, a thousand rows at a time: a large clinic's trail (its
    // JSON) is never held in memory whole.
    let mut prev: Option<String> = None;
    let mut n: i64 = 0;
    let mut after_id = i64::MIN;
    loop {
        let batch: Vec<crate::chain::ChainRow> = {
            let mut stmt = tx.prepare_cached(
                "SELECT id, seq, row_hash, at_utc, \"user\", action, table_name, row_id, before_json, after_json,
                        reason FROM audit_log WHERE seq IS NULL AND id > ?1 ORDER BY id LIMIT 1000",
            )?;
            stmt.query_map([after_id], chain_row)?.collect::<Result<_, _>>()?
        };
        let Some(last) = batch.last() else { break };
        after_id = last.id;
        for r in &batch {
            n += 1;
            let hash = crate::chain::row_hash(
                n,
                prev.as_deref(),
                crate::chain::RowFields {
                    at_utc: &r.at_utc,
                    user: &r.user,
                    action: &r.action,
                    table_name: &r.table_name,
                    row_id: r.row_id,
                    before_json: r.before_json.as_deref(),
                    after_json: r.after_json.as_deref(),
                    reason: r.reason.as_deref(),
                },
            );
            tx.prepare_cached("UPDATE audit_log SET seq = ?1, row_hash = ?2 WHERE id = ?3")?
                .execute(params![n, hash, r.id])?;
            prev = Some(hash);
        }
    }
    tx.execute_batch(
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
             BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    )?;
    tx.execute_batch(crate::schema::CHAINED_ONLY)?;
    if n > 0 {
        append_chained(
            tx,
            crate::chain::RowFields {
                at_utc: &now_utc(),
                user: "clinilog",
                action: action_text(AuditAction::Create),
                table_name: table_of(RecordKind::Database),
                row_id: None,
                before_json: None,
                after_json: Some(&format!("{{\"audit_chain\":\"begun\",\"rows_before\":{n}}}")),
                reason: Some(&format!(
                    "audit chain begun: the {n} audit rows already present were chained in id order, as they \
                     stood at this update"
                )),
            },
        )?;
    }
    Ok(())
}

/// The head of the chain in the file open on `conn` (`None` before any
/// row, or in a file older than the chain).
pub(super) fn head_of(conn: &rusqlite::Connection) -> Result<Option<crate::chain::Anchor>, StoreError> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row(
            "SELECT seq, row_hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1",
            [],
            |r| {
                Ok(crate::chain::Anchor {
                    seq: r.get(0)?,
                    hash: r.get(1)?,
                })
            },
        )
        .optional()?)
}

/// One row of [`CHAIN_SQL`].
pub(super) fn chain_row(r: &Row<'_>) -> rusqlite::Result<crate::chain::ChainRow> {
    Ok(crate::chain::ChainRow {
        id: r.get(0)?,
        seq: r.get(1)?,
        row_hash: r.get(2)?,
        at_utc: r.get(3)?,
        user: r.get(4)?,
        action: r.get(5)?,
        table_name: r.get(6)?,
        row_id: r.get(7)?,
        before_json: r.get(8)?,
        after_json: r.get(9)?,
        reason: r.get(10)?,
    })
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
pub(super) const AUDIT_COLUMNS: &str =
    "at_utc, \"user\", action, table_name, row_id, before_json, after_json, reason, seq";

pub(super) type RawAudit = (
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
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
        r.get(8)?,
    ))
}

pub(super) fn build_audit(raw: RawAudit) -> Result<AuditRecord, StoreError> {
    let (at_utc, user, action, table, row_id, before_json, after_json, reason, seq) = raw;
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
        seq,
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
         OR (a.table_name = 'plan_closures'
         AND a.row_id IN (SELECT c.id FROM plan_closures c
         JOIN protocol_assignments p ON p.id = c.assignment_id WHERE p.patient_id = {p}))
         OR (a.table_name = 'adverse_events'
         AND a.row_id IN (SELECT id FROM adverse_events WHERE patient_id = {p}))
         OR (a.table_name = 'no_adverse_events'
         AND a.row_id IN (SELECT id FROM no_adverse_events WHERE patient_id = {p}))"
    )
}

impl Store {
    /// The last audit row's `(seq, hash)`, as stored.
    pub fn audit_head(&self) -> Result<Option<crate::chain::Anchor>, StoreError> {
        head_of(&self.conn)
    }

    /// Recomputes the audit chain (`clinilog check`, the window's check).
    pub fn audit_chain(&self) -> Result<crate::chain::ChainReport, StoreError> {
        let mut stmt = self.conn.prepare(CHAIN_SQL)?;
        let rows = stmt.query_map([], chain_row)?;
        crate::chain::verify(rows.map(|r| r.map_err(StoreError::from)))
    }

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
