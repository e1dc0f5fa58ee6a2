//! [`Sql`] over a SQLite connection, or a transaction open on one (both
//! deref to the connection).

use std::borrow::Cow;
use std::ops::Deref;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql};

use crate::StoreError;
use crate::sql::{AuditRow, Cell, Dialect, EachRow, Row, Sql, Tx, Value};

impl ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(v) => ValueRef::Integer(*v),
            Value::Real(v) => ValueRef::Real(*v),
            Value::Text(v) => ValueRef::Text(v.as_bytes()),
            Value::Blob(v) => ValueRef::Blob(v),
        }))
    }
}

impl Row for rusqlite::Row<'_> {
    fn cell(&self, i: usize) -> Result<Cell<'_>, StoreError> {
        Ok(match self.get_ref(i)? {
            ValueRef::Null => Cell::Null,
            ValueRef::Integer(v) => Cell::Int(v),
            ValueRef::Real(v) => Cell::Real(v),
            ValueRef::Text(v) => Cell::Text(std::str::from_utf8(v).map_err(|e| StoreError::Corrupt {
                what: "text column",
                detail: e.to_string(),
            })?),
            ValueRef::Blob(v) => Cell::Blob(v),
        })
    }
}

/// The statement with PostgreSQL's `$n` written as SQLite's `?n`: SQLite
/// reads `$1` as a *named* parameter numbered by first appearance, which is
/// wrong as soon as `$2` comes before `$1`.
fn positional(sql: &str) -> Cow<'_, str> {
    if !sql.contains('$') {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A broken unique constraint, said as [`StoreError::Taken`].
fn taken(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error() {
        Some(f) if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE => StoreError::Taken(e.to_string()),
        _ => e.into(),
    }
}

/// A file's connection (`&Connection`) or a transaction on it.
pub(crate) struct SqliteSql<C>(pub(crate) C);

impl<C: Deref<Target = Connection>> Sql for SqliteSql<C> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> Result<u64, StoreError> {
        let mut stmt = self.0.prepare_cached(&positional(sql))?;
        let n = stmt.execute(rusqlite::params_from_iter(params)).map_err(taken)?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value<'_>], each: EachRow<'_>) -> Result<(), StoreError> {
        let mut stmt = self.0.prepare_cached(&positional(sql))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        while let Some(r) = rows.next().map_err(taken)? {
            each(r)?;
        }
        Ok(())
    }

    /// Chained here, in the write's transaction (see `records/audit.rs`).
    fn append_audit(&mut self, row: AuditRow<'_>) -> Result<(), StoreError> {
        crate::records::audit::append_chained(self, row)
    }
}

impl Tx for SqliteSql<rusqlite::Transaction<'_>> {
    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        Ok(self.0.commit()?)
    }
    fn as_sql(&mut self) -> &mut dyn Sql {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::positional;

    #[test]
    fn dollar_parameters_become_numbered_question_marks() {
        assert_eq!(positional("SELECT 1"), "SELECT 1");
        assert_eq!(
            positional("UPDATE t SET a = $2 WHERE id = $1 AND b = $12"),
            "UPDATE t SET a = ?2 WHERE id = ?1 AND b = ?12"
        );
        assert_eq!(positional("SELECT '$' || x"), "SELECT '$' || x");
    }
}
