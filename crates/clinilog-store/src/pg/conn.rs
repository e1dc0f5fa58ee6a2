//! [`Sql`] over a PostgreSQL connection (borrowed for a read) or a
//! transaction.

use std::cell::{RefCell, RefMut};
use std::collections::HashMap;

use bytes::BytesMut;
use postgres::GenericClient;
use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{IsNull, ToSql, Type};

use crate::StoreError;
use crate::sql::{AuditRow, Cell, Dialect, EachRow, Row, Sql, Tx, Value, vals};

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
        let Some(column) = self.columns().get(i) else {
            return Err(StoreError::Corrupt {
                what: "column",
                detail: format!("no column {i}"),
            });
        };
        let cell = match *column.type_() {
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

/// What a statement runs on: the store's client, borrowed, or a transaction.
pub(crate) trait Conn {
    fn client(&mut self) -> &mut impl GenericClient;
}

impl Conn for RefMut<'_, postgres::Client> {
    fn client(&mut self) -> &mut impl GenericClient {
        &mut **self
    }
}

impl Conn for &mut postgres::Client {
    fn client(&mut self) -> &mut impl GenericClient {
        &mut **self
    }
}

impl Conn for postgres::Transaction<'_> {
    fn client(&mut self) -> &mut impl GenericClient {
        self
    }
}

/// The statements a connection has prepared, by their text: a save runs
/// the same few many times (one per value), and preparing each again would
/// cost a round trip to the server every time. Prepared statements belong
/// to the session, whatever becomes of the transaction they were made in.
pub(crate) type Statements = RefCell<HashMap<String, postgres::Statement>>;

/// The server's connection, for reading, or a transaction, with the
/// session's prepared statements.
pub(crate) struct PgSql<'s, C> {
    pub(crate) conn: C,
    pub(crate) statements: &'s Statements,
}

impl<C: Conn> PgSql<'_, C> {
    fn statement(&mut self, sql: &str) -> Result<postgres::Statement, StoreError> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let s = self.conn.client().prepare(sql).map_err(taken)?;
        self.statements.borrow_mut().insert(sql.to_owned(), s.clone());
        Ok(s)
    }
}

impl<C: Conn> Sql for PgSql<'_, C> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> Result<u64, StoreError> {
        let statement = self.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        self.conn.client().execute(&statement, &params).map_err(taken)
    }

    fn query(&mut self, sql: &str, params: &[Value<'_>], each: EachRow<'_>) -> Result<(), StoreError> {
        let statement = self.statement(sql)?;
        // Streamed: a large clinic's rows are not held twice.
        let mut rows = self.conn.client().query_raw(&statement, params.iter()).map_err(taken)?;
        while let Some(r) = rows.next().map_err(taken)? {
            each(&r)?;
        }
        Ok(())
    }

    /// The server chains the row and signs it (its triggers); the
    /// notification reaches the other workstations when the transaction
    /// commits.
    fn append_audit(&mut self, row: AuditRow<'_>) -> Result<(), StoreError> {
        crate::records::audit::insert_row(self, row, None)?;
        let note = super::ChangeNote::payload(row.fields.table_name, row.patient_id);
        self.execute("SELECT pg_notify($1, $2)", vals![super::CHANNEL, note])?;
        Ok(())
    }
}

impl Tx for PgSql<'_, postgres::Transaction<'_>> {
    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        Ok(self.conn.commit()?)
    }
    fn as_sql(&mut self) -> &mut dyn Sql {
        self
    }
}
