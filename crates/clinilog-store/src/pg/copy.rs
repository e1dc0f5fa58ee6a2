//! Moving a clinic from its SQLite file to a PostgreSQL database: every
//! record and audit row, value for value, in one server transaction that
//! commits only when each table's row count and checksum read back from
//! the server equal the file's.

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use sha2::{Digest, Sha256};

use super::schema::TABLES;
use super::{PgStore, PgTarget};
use crate::{FileStore, StoreError};

/// One table as copied: its rows and the checksum both sides gave.
#[derive(Clone, Debug, PartialEq)]
pub struct TableCopied {
    pub table: &'static str,
    pub rows: u64,
    /// SHA-256 of the rows in id order, each value with its type (hex).
    pub checksum: String,
}

/// A value as both databases hold it.
#[derive(Clone, Debug, PartialEq)]
enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl Cell {
    fn of(v: rusqlite::types::ValueRef<'_>) -> Result<Self, StoreError> {
        use rusqlite::types::ValueRef;
        Ok(match v {
            ValueRef::Null => Cell::Null,
            ValueRef::Integer(i) => Cell::Int(i),
            ValueRef::Real(f) => Cell::Real(f),
            ValueRef::Text(t) => Cell::Text(
                std::str::from_utf8(t)
                    .map_err(|e| StoreError::Corrupt {
                        what: "text value",
                        detail: e.to_string(),
                    })?
                    .to_owned(),
            ),
            ValueRef::Blob(_) => {
                return Err(StoreError::Corrupt {
                    what: "value",
                    detail: "a blob, which no Clinilog column holds".to_owned(),
                });
            }
        })
    }

    /// The value's bytes in the checksum: its type, then the value.
    fn digest(&self, hash: &mut Sha256) {
        match self {
            Cell::Null => hash.update(b"N"),
            Cell::Int(i) => {
                hash.update(b"I");
                hash.update(i.to_be_bytes());
            }
            Cell::Real(f) => {
                hash.update(b"R");
                hash.update(f.to_bits().to_be_bytes());
            }
            Cell::Text(t) => {
                hash.update(b"T");
                hash.update((t.len() as u64).to_be_bytes());
                hash.update(t.as_bytes());
            }
        }
    }
}

impl ToSql for Cell {
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match (self, ty) {
            (Cell::Null, _) => Ok(IsNull::Yes),
            (Cell::Int(i), &Type::INT8) => i.to_sql(ty, out),
            (Cell::Real(f), &Type::FLOAT8) => f.to_sql(ty, out),
            (Cell::Text(t), &Type::TEXT) => t.to_sql(ty, out),
            (cell, ty) => Err(format!("{cell:?} cannot go in a column of type {ty}").into()),
        }
    }

    fn accepts(ty: &Type) -> bool {
        [Type::INT8, Type::FLOAT8, Type::TEXT].contains(ty)
    }

    to_sql_checked!();
}

/// The checksum of a stream of rows.
struct Tally {
    hash: Sha256,
    rows: u64,
}

impl Tally {
    fn new() -> Self {
        Self {
            hash: Sha256::new(),
            rows: 0,
        }
    }

    fn row(&mut self, cells: &[Cell]) {
        self.rows += 1;
        for c in cells {
            c.digest(&mut self.hash);
        }
    }

    fn finish(self) -> (u64, String) {
        let digest = self.hash.finalize();
        (self.rows, digest.iter().map(|b| format!("{b:02x}")).collect())
    }
}

fn copy_failed(detail: String) -> StoreError {
    StoreError::Server(format!("the copy was not made (nothing was written): {detail}"))
}

/// Copies every record and audit row of the file `from` into the database
/// at `to` (set up if empty), keeping ids, versions and times. Refuses a
/// database that holds records already. Drafts (each desk's unsaved typing)
/// are not copied. Commits only when each table's count and checksum read
/// back from the server equal the file's; else nothing is written.
pub fn copy_file_to_server(from: &FileStore, to: &PgTarget) -> Result<Vec<TableCopied>, StoreError> {
    // Sets the schema up in an empty database; refuses another program's.
    let opened = PgStore::open(to)?;
    // On a database set up by `server init`, the history keeps its signers
    // only when the clinic's IT moves it (the owner role's members).
    if let Some(login) = opened.login()
        && login.role != super::server::Role::Admin
    {
        return Err(StoreError::Server(format!(
            "{} is logged in as {}: a clinic is copied in by the clinic's IT (a member of {} or a superuser), \
             so that its history keeps who wrote it (nothing was written)",
            login.login,
            if login.role == super::server::Role::Auditor {
                "an auditor"
            } else {
                "a clinician"
            },
            super::server::ClinicRoles::of(to.dbname())?.owner
        )));
    }
    drop(opened);
    let mut client = to.connect()?;
    let mut tx = client.transaction()?;
    // The audit rows keep their signers (the server would sign them as the
    // one copying; only the owner role's members may ask it not to).
    tx.batch_execute("SET LOCAL clinilog.keep_signer = 'on'")?;
    // No other workstation writes while the clinic moves in.
    for table in TABLES {
        tx.batch_execute(&format!("LOCK TABLE {table} IN EXCLUSIVE MODE"))?;
    }
    for table in TABLES {
        let n: i64 = tx
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])?
            .try_get(0)?;
        if n > 0 {
            let what = if table == "patients" {
                format!("{n} patient(s)")
            } else {
                format!("{n} row(s) in {table}")
            };
            return Err(StoreError::Server(format!(
                "{} already holds {what}: a clinic is copied only into an empty database (nothing was written)",
                to.describe()
            )));
        }
    }
    let mut copied = Vec::new();
    for table in TABLES {
        // The server's columns, in order; the file must have each of them.
        let columns: Vec<String> = tx
            .query(
                "SELECT column_name::text FROM information_schema.columns
                 WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
                &[&table],
            )?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
        let list = columns
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let types: Vec<Type> = tx
            .prepare(&format!("SELECT {list} FROM {table} LIMIT 0"))?
            .columns()
            .iter()
            .map(|c| c.type_().clone())
            .collect();
        let mut source = Tally::new();
        {
            let sink = tx.copy_in(&format!("COPY {table} ({list}) FROM STDIN BINARY"))?;
            let mut writer = BinaryCopyInWriter::new(sink, &types);
            let mut stmt = from
                .conn
                .prepare(&format!("SELECT {list} FROM {table} ORDER BY id"))
                .map_err(|e| copy_failed(format!("the file's table {table}: {e}")))?;
            let mut rows = stmt.query([])?;
            let mut cells = Vec::with_capacity(columns.len());
            while let Some(r) = rows.next()? {
                cells.clear();
                for (i, ty) in types.iter().enumerate() {
                    cells.push(match Cell::of(r.get_ref(i)?)? {
                        // A whole number kept in a column of reals is the real the server holds.
                        Cell::Int(n) if *ty == Type::FLOAT8 => Cell::Real(n as f64),
                        cell => cell,
                    });
                }
                source.row(&cells);
                let refs: Vec<&(dyn ToSql + Sync)> = cells.iter().map(|c| c as &(dyn ToSql + Sync)).collect();
                writer
                    .write(&refs)
                    .map_err(|e| copy_failed(format!("{table}, row {} of the file: {e}", source.rows)))?;
            }
            writer.finish()?;
        }
        // Read back from the server, in the same order.
        let mut target = Tally::new();
        let mut rows = tx.query_raw(
            format!("SELECT {list} FROM {table} ORDER BY id").as_str(),
            std::iter::empty::<i64>(),
        )?;
        let mut cells = Vec::with_capacity(columns.len());
        while let Some(r) = rows.next()? {
            cells.clear();
            for (i, ty) in types.iter().enumerate() {
                cells.push(match *ty {
                    Type::INT8 => r.try_get::<_, Option<i64>>(i)?.map_or(Cell::Null, Cell::Int),
                    Type::FLOAT8 => r.try_get::<_, Option<f64>>(i)?.map_or(Cell::Null, Cell::Real),
                    _ => r.try_get::<_, Option<String>>(i)?.map_or(Cell::Null, Cell::Text),
                });
            }
            target.row(&cells);
        }
        drop(rows);
        let (file_rows, file_sum) = source.finish();
        let (server_rows, server_sum) = target.finish();
        if (file_rows, &file_sum) != (server_rows, &server_sum) {
            return Err(copy_failed(format!(
                "{table}: the file has {file_rows} rows (checksum {file_sum}), the server read back \
                 {server_rows} (checksum {server_sum})"
            )));
        }
        // New records go on from the copied ids.
        tx.execute(
            &format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table} HAVING max(id) IS NOT NULL"
            ),
            &[],
        )?;
        copied.push(TableCopied {
            table,
            rows: file_rows,
            checksum: file_sum,
        });
    }
    tx.commit()?;
    Ok(copied)
}
