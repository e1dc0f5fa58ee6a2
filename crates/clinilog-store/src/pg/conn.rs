//! [`Sql`] over a PostgreSQL connection or transaction.

use bytes::BytesMut;
use postgres::GenericClient;
use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{IsNull, ToSql, Type};

use crate::StoreError;
use crate::sql::{AuditRow, Cell, Dialect, Row, Sql, Tx, Value};

impl ToSql for Value<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => v.to_sql_checked(ty, out),
            Value::Real(v) => v.to_sql_checked(ty, out),
            Value::Text(v) => v.as_ref().to_sql_checked(ty, out),
            Value::Blob(v) => v.to_sql_checked(ty, out),
        }
    }

    /// Checked per value in `to_sql`, where the kind is known.
    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

impl Row for postgres::Row {
    fn cell(&self, i: usize) -> Result<Cell<'_>, StoreError> {
        let ty = self
            .columns()
            .get(i)
            .ok_or_else(|| StoreError::Corrupt {
                what: "column",
                detail: format!("no column {i}"),
            })?
            .type_()
            .clone();
        let cell = match ty {
            Type::INT8 => self.try_get::<_, Option<i64>>(i)?.map(Cell::Int),
            Type::INT4 => self.try_get::<_, Option<i32>>(i)?.map(|v| Cell::Int(v.into())),
            Type::INT2 => self.try_get::<_, Option<i16>>(i)?.map(|v| Cell::Int(v.into())),
            Type::BOOL => self.try_get::<_, Option<bool>>(i)?.map(|v| Cell::Int(v.into())),
            Type::FLOAT8 => self.try_get::<_, Option<f64>>(i)?.map(Cell::Real),
            Type::BYTEA => self.try_get::<_, Option<&[u8]>>(i)?.map(Cell::Blob),
            _ => self.try_get::<_, Option<&str>>(i)?.map(Cell::Text),
        };
        Ok(cell.unwrap_or(Cell::Null))
    }
}

/// A broken unique constraint, said as [`StoreError::Taken`].
fn taken(e: postgres::Error) -> StoreError {
    if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
        return StoreError::Taken(e.to_string());
    }
    e.into()
}

/// A client or a transaction on the server.
pub(crate) struct PgSql<'a, C: GenericClient>(pub(crate) &'a mut C);

impl<C: GenericClient> Sql for PgSql<'_, C> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> Result<u64, StoreError> {
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        self.0.execute(sql, &params).map_err(taken)
    }

    fn query(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        // Streamed: a large clinic's rows are not held twice.
        let mut rows = self.0.query_raw(sql, params.iter()).map_err(taken)?;
        while let Some(r) = rows.next().map_err(taken)? {
            each(&r)?;
        }
        Ok(())
    }

    /// The server chains the row and signs it (its triggers); the
    /// notification reaches the other workstations when the transaction
    /// commits.
    fn append_audit(&mut self, row: AuditRow<'_>) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO audit_log (at_utc, \"user\", action, table_name, row_id, before_json, after_json, reason)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            crate::sql::vals![
                row.at_utc,
                row.user,
                row.action,
                row.table_name,
                row.row_id,
                row.before_json,
                row.after_json,
                row.reason
            ],
        )?;
        self.execute(
            "SELECT pg_notify($1, $2)",
            crate::sql::vals![
                super::CHANNEL,
                super::ChangeNote::payload(row.table_name, row.patient_id, row.user)
            ],
        )?;
        Ok(())
    }
}

/// A transaction on the server.
pub(crate) struct PgTx<'a>(pub(crate) postgres::Transaction<'a>);

impl Sql for PgTx<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }
    fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> Result<u64, StoreError> {
        PgSql(&mut self.0).execute(sql, params)
    }
    fn query(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        PgSql(&mut self.0).query(sql, params, each)
    }
    fn append_audit(&mut self, row: AuditRow<'_>) -> Result<(), StoreError> {
        PgSql(&mut self.0).append_audit(row)
    }
}

impl Tx for PgTx<'_> {
    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        Ok(self.0.commit()?)
    }
    fn as_sql(&mut self) -> &mut dyn Sql {
        self
    }
}
