//! What every repository shares: the clock, JSON for the audit trail,
//! column parsers that report a corrupt row instead of guessing, and the
//! checks every write makes (who signs it, why, on which version).

use super::stamp::now_utc;
use jiff::civil::Date;
use rusqlite::{OptionalExtension, Transaction};
use serde::Serialize;

use super::audit::{Change, table_of};
use super::{Store, StoreError, local_time};
use clinilog_domain::Decimal;
use clinilog_domain::history::RecordKind;

pub(super) fn parse_date_col(s: &str, what: &'static str) -> Result<Date, StoreError> {
    s.parse::<Date>().map_err(|e| StoreError::Corrupt {
        what,
        detail: format!("date \"{s}\": {e}"),
    })
}

pub(super) fn decimal_col(s: Option<String>, what: &'static str) -> Result<Option<Decimal>, StoreError> {
    s.map(|t| {
        Decimal::parse(&t).map_err(|e| StoreError::Corrupt {
            what,
            detail: e.to_string(),
        })
    })
    .transpose()
}

/// Every write is signed by who makes it.
pub(super) fn require_user(user: &str) -> Result<(), StoreError> {
    if user.trim().is_empty() {
        return Err(StoreError::Corrupt {
            what: "write",
            detail: "every write needs the name of who records it".to_owned(),
        });
    }
    Ok(())
}

impl Store {
    /// Every write needs a file that may be written and who signs it.
    pub(super) fn may_write(&self, user: &str) -> Result<(), StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly(self.path.clone()));
        }
        require_user(user)
    }
}

/// Every edit and void says why.
pub(super) fn require_reason(reason: &str, what: &'static str) -> Result<String, StoreError> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(StoreError::ReasonRequired(what));
    }
    Ok(r.to_owned())
}

/// A record's version, who changed it last and when, and when it was voided.
pub(super) type VersionRow = (i64, Option<String>, Option<String>, Option<String>);

/// The column that says a record of `kind` is voided (patients are archived, not voided).
pub(super) fn voided_column(kind: RecordKind) -> &'static str {
    if kind == RecordKind::Patient {
        "NULL"
    } else {
        "voided_at"
    }
}

/// Refuses a change based on an older version than the file holds, and a
/// change to a voided record.
pub(super) fn check_version(tx: &Transaction<'_>, kind: RecordKind, id: i64, expected: i64) -> Result<(), StoreError> {
    let table = table_of(kind);
    let voided_col = voided_column(kind);
    let row: Option<VersionRow> = tx
        .query_row(
            &format!("SELECT version, changed_by, changed_at, {voided_col} FROM {table} WHERE id = ?1"),
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    judge_version(kind, id, row, expected)
}

/// Refuses a change to a record that is missing, voided, or at another
/// version than the one the change started from (who changed it and when).
pub(super) fn judge_version(
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

impl Store {
    /// Edits a record in one transaction: refuses an empty reason, a stale
    /// version or a voided record, runs `update` (which moves the version
    /// on), and appends the audit row with the record before and after.
    pub(super) fn edit_record<T: Serialize>(
        &mut self,
        change: Change<'_>,
        (version, before, after, reason): (i64, &T, &T, &str),
        update: &str,
        params: impl rusqlite::Params,
    ) -> Result<(), StoreError> {
        self.may_write(change.user)?;
        let reason = require_reason(reason, "an edit")?;
        let tx = self.conn.transaction()?;
        check_version(&tx, change.kind, change.row_id, version)?;
        tx.execute(update, params)?;
        change.edited(&tx, before, after, &reason)?;
        tx.commit()?;
        Ok(())
    }

    /// Voids a record in one transaction: refuses an empty reason, a stale
    /// version or a record already voided, marks it voided with the
    /// reason, and appends the audit row. `what` names the act for a
    /// missing reason ("voiding an entry").
    pub(super) fn void_record<T: Serialize>(
        &mut self,
        change: Change<'_>,
        version: i64,
        before: &T,
        reason: &str,
        what: &'static str,
    ) -> Result<(), StoreError> {
        self.may_write(change.user)?;
        let reason = require_reason(reason, what)?;
        let tx = self.conn.transaction()?;
        check_version(&tx, change.kind, change.row_id, version)?;
        tx.execute(
            &format!(
                "UPDATE {} SET voided_at = ?1, void_reason = ?2, version = version + 1, changed_by = ?3,
                     changed_at = ?1
                 WHERE id = ?4",
                table_of(change.kind)
            ),
            rusqlite::params![now_utc(), reason, change.user, change.row_id],
        )?;
        change.voided(&tx, before, &reason)?;
        tx.commit()?;
        Ok(())
    }
}
