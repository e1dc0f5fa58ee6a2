//! The connection trait the records are written over: a statement with
//! positional parameters (`$1`, `$2`, ... in both dialects), rows read by
//! column number, a transaction, and the one hook where the two backends
//! truly differ (the audit row: chained here for a file, by the server's
//! trigger and announced with `NOTIFY` on a server).
//!
//! `sqlite/` and `pg/` each implement it in a page; `records/` holds every
//! operation once, over `&mut dyn Sql`, and never imports a driver
//! (ripgrep's `Matcher` under one searcher; Anki's `storage/` with one
//! `transact`).

use crate::StoreError;

/// A parameter of a statement. Tables hold only these five kinds in both
/// dialects (`BIGINT` flags and ids, `DOUBLE PRECISION`, `TEXT` dates and
/// values as printed, `BYTEA`/`BLOB` reports).
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(std::borrow::Cow<'a, str>),
    Blob(&'a [u8]),
}

impl From<i64> for Value<'_> {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<bool> for Value<'_> {
    fn from(v: bool) -> Self {
        Value::Int(i64::from(v))
    }
}
impl From<f64> for Value<'_> {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}
impl<'a> From<&'a str> for Value<'a> {
    fn from(v: &'a str) -> Self {
        Value::Text(v.into())
    }
}
impl<'a> From<&'a String> for Value<'a> {
    fn from(v: &'a String) -> Self {
        Value::Text(v.as_str().into())
    }
}
impl From<String> for Value<'_> {
    fn from(v: String) -> Self {
        Value::Text(v.into())
    }
}
impl<'a> From<&'a [u8]> for Value<'a> {
    fn from(v: &'a [u8]) -> Self {
        Value::Blob(v)
    }
}
impl<'a, T: Into<Value<'a>>> From<Option<T>> for Value<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// The parameters of a statement, each turned into a [`Value`].
#[macro_export]
#[doc(hidden)]
macro_rules! vals {
    ($($v:expr),* $(,)?) => { &[$($crate::sql::Value::from($v)),*][..] };
}
pub(crate) use vals;

/// A column as a driver hands it over, borrowed from its row.
#[derive(Clone, Copy, Debug)]
pub enum Cell<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

/// A row of a result, read by column number.
pub trait Row {
    fn cell(&self, i: usize) -> Result<Cell<'_>, StoreError>;
}

fn wrong(i: usize, want: &str, got: Cell<'_>) -> StoreError {
    StoreError::Corrupt {
        what: "column",
        detail: format!("column {i} should be {want}, it holds {got:?}"),
    }
}

impl dyn Row + '_ {
    pub fn int(&self, i: usize) -> Result<i64, StoreError> {
        match self.cell(i)? {
            Cell::Int(v) => Ok(v),
            other => Err(wrong(i, "an integer", other)),
        }
    }
    pub fn int_opt(&self, i: usize) -> Result<Option<i64>, StoreError> {
        match self.cell(i)? {
            Cell::Null => Ok(None),
            _ => self.int(i).map(Some),
        }
    }
    pub fn real(&self, i: usize) -> Result<f64, StoreError> {
        match self.cell(i)? {
            Cell::Real(v) => Ok(v),
            Cell::Int(v) => Ok(v as f64),
            other => Err(wrong(i, "a number", other)),
        }
    }
    pub fn text(&self, i: usize) -> Result<&str, StoreError> {
        match self.cell(i)? {
            Cell::Text(v) => Ok(v),
            other => Err(wrong(i, "text", other)),
        }
    }
    pub fn text_opt(&self, i: usize) -> Result<Option<&str>, StoreError> {
        match self.cell(i)? {
            Cell::Null => Ok(None),
            Cell::Text(v) => Ok(Some(v)),
            other => Err(wrong(i, "text", other)),
        }
    }
    pub fn string(&self, i: usize) -> Result<String, StoreError> {
        self.text(i).map(str::to_owned)
    }
    pub fn string_opt(&self, i: usize) -> Result<Option<String>, StoreError> {
        Ok(self.text_opt(i)?.map(str::to_owned))
    }
    pub fn blob(&self, i: usize) -> Result<&[u8], StoreError> {
        match self.cell(i)? {
            Cell::Blob(v) => Ok(v),
            other => Err(wrong(i, "bytes", other)),
        }
    }
}

/// What a query hands each row to.
pub type EachRow<'a> = &'a mut dyn FnMut(&dyn Row) -> Result<(), StoreError>;

/// Which backend a connection talks to, where a statement must differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// One row of the audit trail as a write appends it: the fields its hash
/// covers, and the patient the record belongs to (a server's notification
/// names it).
#[derive(Clone, Copy, Debug)]
pub struct AuditRow<'a> {
    pub fields: crate::chain::RowFields<'a>,
    pub patient_id: i64,
}

/// A connection, or a transaction open on one.
pub trait Sql {
    fn dialect(&self) -> Dialect;
    /// Runs a statement; gives how many rows it changed. A unique
    /// constraint broken is [`StoreError::Taken`].
    fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> Result<u64, StoreError>;
    /// Runs a query and hands each row to `each`, streamed.
    fn query(&mut self, sql: &str, params: &[Value<'_>], each: EachRow<'_>) -> Result<(), StoreError>;
    /// Appends an audit row in this transaction (see `records/audit.rs`).
    fn append_audit(&mut self, row: AuditRow<'_>) -> Result<(), StoreError>;
}

/// An open transaction: committed, or rolled back when dropped.
pub trait Tx: Sql {
    fn commit(self: Box<Self>) -> Result<(), StoreError>;
    fn as_sql(&mut self) -> &mut dyn Sql;
}

impl dyn Sql + '_ {
    /// The first row's mapping, if any.
    pub fn query_opt<T>(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        map: impl FnOnce(&dyn Row) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let mut map = Some(map);
        let mut out = None;
        self.query(sql, params, &mut |r| {
            if let Some(f) = map.take() {
                out = Some(f(r)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Every row's mapping.
    pub fn query_all<T>(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        mut map: impl FnMut(&dyn Row) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        self.query(sql, params, &mut |r| {
            out.push(map(r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// One integer (`count(*)`, the id of `INSERT ... RETURNING id`).
    pub fn query_int(&mut self, sql: &str, params: &[Value<'_>]) -> Result<i64, StoreError> {
        self.query_opt(sql, params, |r| r.int(0))?
            .ok_or_else(|| StoreError::Corrupt {
                what: "query",
                detail: format!("no row from {sql}"),
            })
    }
}

/// Where the records are kept: a connection for reading, a transaction for
/// writing, and the rules of who may write. `ClinicStore` is implemented
/// once for every backend (`clinic.rs`).
pub trait Backend: Send {
    /// A file's path, or `postgres: user@host:port/db`.
    fn describe(&self) -> String;
    fn is_read_only(&self) -> bool;
    /// Refuses a write this connection may not make, signed by `user`.
    fn may_write(&self, user: &str) -> Result<(), StoreError>;
    /// The connection, for reading.
    fn reader(&self) -> Box<dyn Sql + '_>;
    /// A transaction (`read_only`: a preview that writes nothing).
    fn begin(&mut self, read_only: bool) -> Result<Box<dyn Tx + '_>, StoreError>;
    /// An error said with where the records are (a lost server named).
    fn named(&self, e: StoreError) -> StoreError {
        e
    }
    /// Whose drafts these are: a server keeps each workstation's own.
    fn workstation(&self) -> &str {
        ""
    }
    /// Whether the printed reports entries were read from are kept here.
    fn keeps_documents(&self) -> bool {
        true
    }
    fn schema(&self) -> Result<i64, StoreError>;
    fn connection_id(&self) -> Option<i32> {
        None
    }
    fn server_login(&self) -> Option<crate::pg::server::Login> {
        None
    }
    /// The checks that only this backend can make (SQLite's own integrity
    /// check of a file's pages).
    fn own_problems(&self) -> Result<Vec<String>, StoreError> {
        Ok(Vec::new())
    }
}

/// Runs `f` in one transaction of `backend`: committed when `f` succeeds,
/// rolled back otherwise (Anki's `transact`).
pub fn transact<T>(
    backend: &mut (impl Backend + ?Sized),
    f: impl FnOnce(&mut dyn Sql) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let run = |backend: &mut _| -> Result<T, StoreError> {
        let mut tx = Backend::begin(backend, false)?;
        let out = f(tx.as_sql())?;
        tx.commit()?;
        Ok(out)
    };
    run(backend).map_err(|e| backend.named(e))
}

/// Runs `f` on `backend`'s connection for reading.
pub fn read<T>(
    backend: &(impl Backend + ?Sized),
    f: impl FnOnce(&mut dyn Sql) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let out = {
        let mut sql = backend.reader();
        f(&mut *sql)
    };
    out.map_err(|e| backend.named(e))
}

/// The few statements that differ between the two dialects, side by side.
impl Dialect {
    /// Locks the row a change was based on until the transaction ends: on
    /// a server, so that two workstations cannot both pass the version
    /// check; a file's writer holds the whole file already (and SQLite has
    /// no `FOR UPDATE`).
    pub fn lock_row(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }

    /// Drafts: a file is one workstation's, so its drafts are keyed by
    /// form alone; a server keeps each workstation's (and login's) drafts
    /// apart. `$1` key, `$2` JSON, `$3` time, `$4` workstation.
    pub fn draft_upsert(self) -> &'static str {
        match self {
            Dialect::Sqlite => {
                "INSERT INTO drafts (key, json, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT (key) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at"
            }
            Dialect::Postgres => {
                "INSERT INTO drafts (workstation, key, json, updated_at) VALUES ($4, $1, $2, $3)
                 ON CONFLICT (workstation, key) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at"
            }
        }
    }

    /// The condition on a draft's owner (`$2` the workstation) after its key.
    pub fn draft_owner(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => "AND workstation = $2",
        }
    }

    /// How many of a draft statement's parameters this dialect takes: a
    /// file's statements have no workstation (the last).
    pub fn draft_params(self, all: usize) -> usize {
        match self {
            Dialect::Sqlite => all - 1,
            Dialect::Postgres => all,
        }
    }

    /// A draft's name for the check: its key, with its workstation on a server.
    pub fn draft_name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "key",
            Dialect::Postgres => "workstation || ':' || key",
        }
    }
}
