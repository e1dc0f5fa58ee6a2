//! The clinic's records on a PostgreSQL server, for several workstations
//! at once: [`PgStore`] connects, migrates (`schema.rs`) and runs the
//! records of `records/` over the connection trait (`conn.rs`), on the
//! synchronous `postgres` crate.
//!
//! - Opening ([`PgTarget`]): `postgres://user@host:port/db`; the password
//!   comes from `PGPASSWORD` or a `.pgpass` file, never from the address
//!   (which is shown, typed on command lines and kept in preferences).
//!   Every connection is TLS verified as libpq's `verify-full` (`tls.rs`):
//!   `?sslrootcert=PATH` names the clinic's CA; `sslmode=disable` only to
//!   this computer.
//! - A database is Clinilog's when it holds the `clinilog_meta` row; an
//!   empty one is set up, another program's is refused, a newer schema is
//!   refused, untouched.
//! - Every save is one transaction with its audit row and a `NOTIFY` on
//!   the channel `clinilog` naming the patient, so that other workstations
//!   ([`Listener`]) refresh what they show. A change based on a version
//!   another workstation replaced is refused with who and when (the row is
//!   locked while it is checked).

pub(crate) mod conn;
pub mod copy;
pub mod schema;
pub mod server;
pub mod tls;

use std::cell::RefCell;
use std::path::PathBuf;
use std::time::Duration;

use postgres::config::Host;
use postgres::{Client, Config, NoTls};

use crate::StoreError;
use crate::schema::APPLICATION_ID;
use crate::sql::{Backend, Sql, Tx};
use conn::PgSql;

/// The channel every save notifies.
pub const CHANNEL: &str = "clinilog";

/// Whether `db` names a server rather than a file.
pub fn is_server_address(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

/// A database on a PostgreSQL server: where it is and how to log in.
#[derive(Clone)]
pub struct PgTarget {
    config: Config,
    host: String,
    port: u16,
    user: String,
    dbname: String,
    /// How the connection is protected, and the clinic's CA.
    tls: tls::TlsSettings,
}

impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password.
        f.write_str(&self.describe())
    }
}

impl PgTarget {
    /// Reads `postgres://user@host:port/db`. What the address leaves out
    /// comes from `PGHOST`, `PGPORT`, `PGUSER` and `PGDATABASE` as for
    /// `psql`; the password from `PGPASSWORD` or the `.pgpass` file
    /// (`PGPASSFILE`, else `~/.pgpass`). A password in the address is refused.
    pub fn parse(address: &str) -> Result<Self, StoreError> {
        let bad = |detail: String| StoreError::BadAddress {
            address: redact(address),
            detail,
        };
        let (plain, tls) = tls::split_address(address).map_err(StoreError::Tls)?;
        let mut config: Config = plain.parse().map_err(|e: postgres::Error| bad(e.to_string()))?;
        if config.get_password().is_some() {
            return Err(StoreError::PasswordInAddress(redact(address)));
        }
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let host = match config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            Some(Host::Unix(p)) => p.display().to_string(),
            None => env("PGHOST").unwrap_or_else(|| "localhost".to_owned()),
        };
        let port = match config.get_ports().first() {
            Some(p) => *p,
            None => match env("PGPORT") {
                Some(p) => p
                    .parse()
                    .map_err(|_| bad(format!("PGPORT \"{p}\" is not a port number")))?,
                None => 5432,
            },
        };
        let user = match config.get_user() {
            Some(u) => u.to_owned(),
            None => env("PGUSER")
                .or_else(|| whoami::username().ok())
                .ok_or_else(|| bad("no user name: write it as postgres://user@host/db".to_owned()))?,
        };
        let dbname = match config.get_dbname() {
            Some(d) => d.to_owned(),
            None => env("PGDATABASE").unwrap_or_else(|| user.clone()),
        };
        if config.get_hosts().is_empty() {
            config.host(&host);
        }
        if config.get_ports().is_empty() {
            config.port(port);
        }
        config.user(&user).dbname(&dbname);
        // Every place the address may send to is checked, not only its
        // first host: each host of a host list (also given as `host=`), and
        // each `hostaddr`, which is where a connection really goes.
        if tls.mode == tls::SslMode::Disable {
            let hosts = config.get_hosts().iter().filter_map(|h| match h {
                Host::Tcp(h) => Some(h.clone()),
                Host::Unix(_) => None,
            });
            let addrs = config.get_hostaddrs().iter().map(|ip| ip.to_string());
            let far: Vec<String> = std::iter::once(host.clone())
                .chain(hosts)
                .chain(addrs)
                .filter(|h| !tls::is_local(h))
                .collect();
            if let Some(far) = far.first() {
                return Err(StoreError::Tls(format!(
                    "sslmode=disable would send names and lab values unencrypted to {far}: Clinilog allows it only \
                     to this computer (localhost or a Unix socket); remove it and give the clinic's CA as \
                     sslrootcert=PATH (nothing was sent)"
                )));
            }
        }
        // TLS is asked for by Clinilog's connector (`connect`); over a Unix
        // socket there is none, as with libpq.
        config.ssl_mode(if tls.mode == tls::SslMode::Disable || host.starts_with('/') {
            postgres::config::SslMode::Disable
        } else {
            postgres::config::SslMode::Require
        });
        if let Some(password) = env("PGPASSWORD").or_else(|| pgpass_password(&host, port, &dbname, &user)) {
            config.password(password);
        }
        config
            .application_name("clinilog")
            .connect_timeout(Duration::from_secs(5))
            .keepalives_idle(Duration::from_secs(30));
        Ok(Self {
            config,
            host,
            port,
            user,
            dbname,
            tls,
        })
    }

    /// The address again, as it can be given to `--db` (never a password):
    /// `postgres://user@host:port/db`, with its TLS parameters.
    pub fn address(&self) -> String {
        // Encoded where a URL needs it; names and paths stay readable.
        const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'.')
            .remove(b'_')
            .remove(b'~')
            .remove(b'/');
        let enc = |s: &str| percent_encoding::utf8_percent_encode(s, KEEP).to_string();
        let host = if self.host.starts_with('/') {
            String::new()
        } else {
            format!("{}:{}", self.host, self.port)
        };
        let mut query = Vec::new();
        if self.host.starts_with('/') {
            query.push(format!("host={}&port={}", enc(&self.host), self.port));
        }
        if self.tls.mode != tls::SslMode::VerifyFull {
            query.push(format!("sslmode={}", self.tls.mode.as_str()));
        }
        if let Some(ca) = &self.tls.root_cert {
            query.push(format!("sslrootcert={}", enc(&ca.display().to_string())));
        }
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("?{}", query.join("&"))
        };
        format!("postgres://{}@{host}/{}{query}", enc(&self.user), enc(&self.dbname))
    }

    /// How the connection is protected.
    pub fn tls(&self) -> &tls::TlsSettings {
        &self.tls
    }

    /// `postgres: user@host:port/db`, for the title bar and messages.
    pub fn describe(&self) -> String {
        format!("postgres: {}@{}:{}/{}", self.user, self.host, self.port, self.dbname)
    }

    /// The server, `host:port`.
    pub fn server(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// Who logs in.
    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn dbname(&self) -> &str {
        &self.dbname
    }

    /// The same server and login, another database (tests, `copy`).
    pub fn with_dbname(&self, dbname: &str) -> Self {
        let mut other = self.clone();
        other.config.dbname(dbname);
        other.dbname = dbname.to_owned();
        other
    }

    /// A connection (the store, its listener, `copy`, tests): TLS verified
    /// unless the address says `sslmode=disable` to this computer.
    pub fn connect(&self) -> Result<Client, StoreError> {
        if self.config.get_ssl_mode() == postgres::config::SslMode::Disable {
            return self.config.connect(NoTls).map_err(|e| self.failed(e));
        }
        let tls = tls::connector(&self.tls, &self.server()).map_err(StoreError::Tls)?;
        self.config.connect(tls).map_err(|e| self.failed(e))
    }

    /// A connection that failed: a TLS cause in its own sentence, a
    /// password asked for, else as [`Self::lost`].
    fn failed(&self, e: postgres::Error) -> StoreError {
        if let Some(sentence) = tls::explain(&e, &self.server(), &self.host, &self.tls) {
            return StoreError::Tls(sentence);
        }
        let wrong = e.code() == Some(&postgres::error::SqlState::INVALID_PASSWORD);
        let missing = std::error::Error::source(&e).is_some_and(|s| s.to_string().contains("password missing"));
        if wrong || missing {
            return StoreError::NeedsPassword {
                server: self.describe(),
                user: self.user.clone(),
                detail: if wrong {
                    "the password was refused".to_owned()
                } else {
                    "none is set".to_owned()
                },
            };
        }
        self.lost(e)
    }

    /// The same target with `password` (typed into the window: kept in
    /// memory only, never written anywhere).
    pub fn with_password(&self, password: &str) -> Self {
        let mut other = self.clone();
        other.config.password(password);
        other
    }

    /// A server error, named with the server when the connection is gone.
    fn lost(&self, e: postgres::Error) -> StoreError {
        match StoreError::from(e) {
            StoreError::ConnectionLost { detail, .. } => StoreError::ConnectionLost {
                server: self.describe(),
                detail,
            },
            other => other,
        }
    }
}

/// The address with any password replaced, for messages.
fn redact(address: &str) -> String {
    match (address.find("://"), address.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &address[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &address[..scheme + 3], &address[at..]),
                None => address.to_owned(),
            }
        }
        _ => address.to_owned(),
    }
}

/// The password of the first line of the `.pgpass` file that matches, as
/// libpq reads it: `host:port:database:user:password`, `*` matching
/// anything, `\:` and `\\` escaped; a file that others may read is ignored.
fn pgpass_password(host: &str, port: u16, dbname: &str, user: &str) -> Option<String> {
    let path = match std::env::var_os("PGPASSFILE") {
        Some(p) => PathBuf::from(p),
        None => directories::BaseDirs::new()?.home_dir().join(".pgpass"),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).ok()?.permissions().mode();
        if mode & 0o077 != 0 {
            return None;
        }
    }
    let text = std::fs::read_to_string(&path).ok()?;
    pgpass_lookup(&text, host, port, dbname, user)
}

fn pgpass_lookup(text: &str, host: &str, port: u16, dbname: &str, user: &str) -> Option<String> {
    let port = port.to_string();
    let wanted = [host, port.as_str(), dbname, user];
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .find_map(|line| {
            let fields = pgpass_fields(line);
            if fields.len() != 5 {
                return None;
            }
            let host_ok = |f: &str| f == "*" || f == wanted[0] || (f == "localhost" && wanted[0].starts_with('/'));
            let matches = host_ok(&fields[0]) && (1..4).all(|i| fields[i] == "*" || fields[i] == wanted[i]);
            matches.then(|| fields[4].clone())
        })
}

fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(n), Some(f)) = (chars.next(), fields.last_mut()) {
                    f.push(n);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => {
                if let Some(f) = fields.last_mut() {
                    f.push(c);
                }
            }
        }
    }
    fields
}

impl From<postgres::Error> for StoreError {
    /// A connection that closed or never opened is said as such (the window
    /// shows a banner and retries); a full disk in one sentence; other
    /// server errors as the server words them.
    fn from(e: postgres::Error) -> Self {
        use postgres::error::SqlState;
        let io = std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>());
        let text = e.to_string();
        // Connection exceptions (08) and a server shutting down or restarting (57P).
        let code = e.code().map(|c| c.code()).unwrap_or_default();
        let gone = code.starts_with("08") || code.starts_with("57P");
        if e.is_closed() || io || gone || text.starts_with("error connecting") || text.starts_with("timeout") {
            let detail = match std::error::Error::source(&e) {
                Some(s) => format!("{e}: {s}"),
                None => e.to_string(),
            };
            return StoreError::ConnectionLost {
                server: String::new(),
                detail,
            };
        }
        if e.code() == Some(&SqlState::DISK_FULL) {
            return StoreError::DiskFull;
        }
        match (e.as_db_error(), std::error::Error::source(&e)) {
            (Some(db), _) => StoreError::Server(db.message().to_owned()),
            // "invalid configuration" alone says nothing: its cause too.
            (None, Some(cause)) => StoreError::Server(format!("{e}: {cause}")),
            (None, None) => StoreError::Server(e.to_string()),
        }
    }
}

/// A Clinilog database on a PostgreSQL server.
pub struct PgStore {
    client: RefCell<Client>,
    /// The statements this connection has prepared (`conn.rs`).
    statements: conn::Statements,
    target: PgTarget,
    read_only: bool,
    /// This connection's server process: its own notifications are not news.
    backend_pid: i32,
    /// Whose drafts these are (the computer's name; with the login on a
    /// database set up by `server init`, where drafts are each login's).
    workstation: String,
    /// Who is logged in, on a database set up by `server init` (the server
    /// signs its audit rows); `None` on one that was not.
    login: Option<server::Login>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("target", &self.target).finish()
    }
}

impl PgStore {
    /// Opens the database at `target`, setting up an empty one and bringing
    /// an older schema up to date. Another program's database and a newer
    /// schema are refused, untouched.
    pub fn open(target: &PgTarget) -> Result<Self, StoreError> {
        let mut client = target.connect()?;
        migrate(&mut client, target)?;
        Self::with_client(client, target, false)
    }

    /// Opens a database that already holds a clinic (a command's `--db`):
    /// an empty one is refused rather than set up.
    pub fn open_existing(target: &PgTarget) -> Result<Self, StoreError> {
        let mut client = target.connect()?;
        if meta(&mut client, target)?.is_none() {
            return Err(StoreError::ServerEmpty(target.describe()));
        }
        drop(client);
        Self::open(target)
    }

    /// Opens the database for reading only: every write is refused, and the
    /// server refuses them too. It must hold this build's schema.
    pub fn open_read_only(target: &PgTarget) -> Result<Self, StoreError> {
        let mut client = target.connect()?;
        let found = meta(&mut client, target)?;
        match found {
            Some(v) if v == schema::latest_version() => {}
            Some(v) if v > schema::latest_version() => return Err(newer(target, v)),
            Some(v) => {
                return Err(StoreError::Server(format!(
                    "{} holds schema {v}; open it normally once to update it",
                    target.describe()
                )));
            }
            None => return Err(StoreError::ServerEmpty(target.describe())),
        }
        client
            .batch_execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            .map_err(|e| target.lost(e))?;
        Self::with_client(client, target, true)
    }

    fn with_client(mut client: Client, target: &PgTarget, read_only: bool) -> Result<Self, StoreError> {
        let backend_pid: i32 = client
            .query_one("SELECT pg_backend_pid()", &[])
            .and_then(|r| r.try_get(0))
            .map_err(|e| target.lost(e))?;
        let login = server::login_of(&mut client, target)?;
        // An auditor reads only: the server refuses its writes too.
        let auditor = login.as_ref().is_some_and(|l| l.role == server::Role::Auditor);
        if auditor && !read_only {
            client
                .batch_execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
                .map_err(|e| target.lost(e))?;
        }
        let host = whoami::hostname().unwrap_or_else(|_| "workstation".to_owned());
        Ok(Self {
            client: RefCell::new(client),
            statements: Default::default(),
            target: target.clone(),
            read_only: read_only || auditor,
            backend_pid,
            workstation: match &login {
                Some(l) => format!("{host}/{}", l.login),
                None => host,
            },
            login,
        })
    }

    /// Who is logged in, on a database set up by `server init`.
    pub fn login(&self) -> Option<&server::Login> {
        self.login.as_ref()
    }

    pub fn target(&self) -> &PgTarget {
        &self.target
    }

    /// The server process of this connection (a notification from it is
    /// this workstation's own save).
    pub fn backend_pid(&self) -> i32 {
        self.backend_pid
    }

    /// Opens a new connection in place of a lost one.
    pub fn reconnect(&mut self) -> Result<(), StoreError> {
        let fresh = if self.read_only {
            Self::open_read_only(&self.target)?
        } else {
            Self::open(&self.target)?
        };
        *self = fresh;
        Ok(())
    }

    fn may_write_as(&self, user: &str) -> Result<(), StoreError> {
        if let Some(l) = &self.login
            && l.role == server::Role::Auditor
        {
            return Err(StoreError::Server(format!(
                "{} is logged in as an auditor, who reads and exports but saves nothing",
                l.login
            )));
        }
        if self.read_only {
            return Err(StoreError::Server(format!(
                "{} is open read-only: nothing can be saved",
                self.target.describe()
            )));
        }
        // On a server set up by `server init` the server signs: a client
        // that names someone else is refused (drafts are not signed).
        if let Some(l) = &self.login
            && user != "drafts"
            && user != l.signer()
        {
            return Err(StoreError::Server(format!(
                "on this server every change is signed by the login that makes it ({}), not \"{user}\"",
                l.signer()
            )));
        }
        crate::records::require_user(user)
    }

    fn name_server(&self, e: StoreError) -> StoreError {
        match e {
            StoreError::ConnectionLost { detail, .. } => StoreError::ConnectionLost {
                server: self.target.describe(),
                detail,
            },
            other => other,
        }
    }
}

impl Backend for PgStore {
    fn describe(&self) -> String {
        self.target.describe()
    }
    fn is_read_only(&self) -> bool {
        self.read_only
    }
    fn may_write(&self, user: &str) -> Result<(), StoreError> {
        self.may_write_as(user)
    }
    fn reader(&self) -> Box<dyn Sql + '_> {
        Box::new(PgSql {
            conn: self.client.borrow_mut(),
            statements: &self.statements,
        })
    }
    fn begin(&mut self, read_only: bool) -> Result<Box<dyn Tx + '_>, StoreError> {
        let target = self.target.clone();
        let mut tx = self.client.get_mut().transaction().map_err(|e| target.lost(e))?;
        if read_only {
            tx.batch_execute("SET TRANSACTION READ ONLY")
                .map_err(|e| target.lost(e))?;
        }
        Ok(Box::new(PgSql {
            conn: tx,
            statements: &self.statements,
        }))
    }
    fn named(&self, e: StoreError) -> StoreError {
        self.name_server(e)
    }
    fn workstation(&self) -> &str {
        &self.workstation
    }
    /// Reports are kept only in a clinic file for now.
    fn keeps_documents(&self) -> bool {
        false
    }
    fn schema(&self) -> Result<i64, StoreError> {
        crate::sql::read(self, |sql| {
            sql.query_int("SELECT schema_version FROM clinilog_meta", &[])
        })
    }
    fn connection_id(&self) -> Option<i32> {
        Some(self.backend_pid)
    }
    fn server_login(&self) -> Option<server::Login> {
        self.login.clone()
    }
}

fn newer(target: &PgTarget, found: i64) -> StoreError {
    StoreError::ServerNewerSchema {
        found,
        supported: schema::latest_version(),
        db: target.describe(),
    }
}

/// The schema version of a Clinilog database, `None` for a database without
/// the meta row (empty, or another program's).
fn meta(client: &mut Client, target: &PgTarget) -> Result<Option<i64>, StoreError> {
    let lost = |e| target.lost(e);
    let has_meta: bool = client
        .query_one("SELECT to_regclass('public.clinilog_meta') IS NOT NULL", &[])
        .and_then(|r| r.try_get(0))
        .map_err(lost)?;
    if !has_meta {
        return Ok(None);
    }
    let row = client
        .query_opt("SELECT application_id, schema_version FROM clinilog_meta", &[])
        .map_err(lost)?;
    match row {
        Some(r) if r.try_get::<_, i64>(0)? == i64::from(APPLICATION_ID) => Ok(Some(r.try_get(1)?)),
        _ => Err(StoreError::ServerNotClinilog(target.describe())),
    }
}

/// Sets up an empty database or brings an older one up to date, in one
/// transaction that holds an advisory lock: two workstations opening a new
/// database at once set it up once.
fn migrate(client: &mut Client, target: &PgTarget) -> Result<(), StoreError> {
    let lost = |e| target.lost(e);
    let mut tx = client.transaction().map_err(lost)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&i64::from(APPLICATION_ID)])
        .map_err(lost)?;
    migrate_in(&mut tx, target)?;
    tx.commit().map_err(lost)?;
    Ok(())
}

/// As [`migrate`], in a transaction that holds the lock.
pub(crate) fn migrate_in(tx: &mut postgres::Transaction<'_>, target: &PgTarget) -> Result<(), StoreError> {
    let lost = |e| target.lost(e);
    let has_meta: bool = tx
        .query_one("SELECT to_regclass('public.clinilog_meta') IS NOT NULL", &[])
        .and_then(|r| r.try_get(0))
        .map_err(lost)?;
    let current = if has_meta {
        let row = tx
            .query_opt("SELECT application_id, schema_version FROM clinilog_meta", &[])
            .map_err(lost)?;
        match row {
            Some(r) if r.try_get::<_, i64>(0).map_err(lost)? == i64::from(APPLICATION_ID) => {
                r.try_get::<_, i64>(1).map_err(lost)?
            }
            _ => return Err(StoreError::ServerNotClinilog(target.describe())),
        }
    } else {
        // Another program's tables: not ours to set up beside them.
        let tables: i64 = tx
            .query_one(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
                &[],
            )
            .and_then(|r| r.try_get(0))
            .map_err(lost)?;
        if tables > 0 {
            return Err(StoreError::ServerNotClinilog(target.describe()));
        }
        0
    };
    if current > schema::latest_version() {
        return Err(newer(target, current));
    }
    let mut fresh = current == 0;
    for (version, sql) in schema::MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(sql).map_err(lost)?;
        if std::mem::take(&mut fresh) {
            tx.execute(
                "INSERT INTO clinilog_meta (application_id, schema_version) VALUES ($1, $2)",
                &[&i64::from(APPLICATION_ID), version],
            )
            .map_err(lost)?;
            continue;
        }
        tx.execute("UPDATE clinilog_meta SET schema_version = $1", &[version])
            .map_err(lost)?;
    }
    Ok(())
}

/// What a save on another workstation changed.
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeNote {
    /// The table written (`entries`, `patients`...).
    pub table: String,
    /// The patient whose record changed.
    pub patient_id: i64,
    /// Who saved it, as the trail says: the signer of the newest audit row
    /// of the patient's records, read by the listener (a notification's
    /// text is anyone's to send, so it carries no name to trust).
    pub by: String,
    /// The server process that saved it (see [`PgStore::backend_pid`]).
    pub from_pid: i32,
}

impl ChangeNote {
    /// The payload of the notification: `table patient_id`.
    pub(crate) fn payload(table: &str, patient_id: i64) -> String {
        format!("{table} {patient_id}")
    }

    /// The note of a payload; who saved it is read from the trail later.
    fn read(payload: &str, from_pid: i32) -> Option<Self> {
        let mut parts = payload.splitn(3, ' ');
        Some(Self {
            table: parts.next()?.to_owned(),
            patient_id: parts.next()?.parse().ok()?,
            by: String::new(),
            from_pid,
        })
    }
}

/// A connection of its own that listens for other workstations' saves.
pub struct Listener {
    client: Client,
}

impl Listener {
    pub fn start(target: &PgTarget) -> Result<Self, StoreError> {
        let mut client = target.connect()?;
        client
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .map_err(|e| target.lost(e))?;
        Ok(Self { client })
    }

    /// The next change saved anywhere (this workstation's too: compare
    /// `from_pid`), waiting at most `timeout`; `None` when none came.
    pub fn next(&mut self, timeout: Duration) -> Result<Option<ChangeNote>, StoreError> {
        use postgres::fallible_iterator::FallibleIterator;
        let found = {
            let mut notes = self.client.notifications();
            let mut iter = notes.timeout_iter(timeout);
            let mut found = None;
            while let Some(n) = iter.next()? {
                if n.channel() == CHANNEL
                    && let Some(note) = ChangeNote::read(n.payload(), n.process_id())
                {
                    found = Some(note);
                    break;
                }
            }
            found
        };
        let Some(mut note) = found else { return Ok(None) };
        let statements = conn::Statements::default();
        let mut sql = conn::PgSql {
            conn: &mut self.client,
            statements: &statements,
        };
        let trail = crate::records::audit::history(&mut sql, note.patient_id)?;
        note.by = trail.last().map_or_else(|| "Someone".to_owned(), |a| a.user.clone());
        Ok(Some(note))
    }

    /// Whether the listening connection is gone (start another).
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_schema_is_numbered_as_the_file_schema() {
        assert_eq!(schema::latest_version(), super::super::schema::latest_version());
    }

    #[test]
    fn a_password_in_the_address_is_refused_and_never_repeated() {
        let e = PgTarget::parse("postgres://nurse:secret@db.clinic/clinic").unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, StoreError::PasswordInAddress(_)), "{text}");
        assert!(!text.contains("secret"), "{text}");
        assert!(text.contains("PGPASSWORD") && text.contains(".pgpass"), "{text}");
    }

    #[test]
    fn plain_text_is_refused_to_every_host_and_hostaddr_not_this_computer() {
        for address in [
            "postgres://u@localhost/clinic?sslmode=disable&hostaddr=192.0.2.2",
            "postgres://u@localhost,192.0.2.2/clinic?sslmode=disable",
            "postgres://u@localhost:5432,db.example.org:5432/clinic?sslmode=disable",
            "postgres://u@localhost/clinic?sslmode=disable&host=db.example.org",
            "postgres://u@/clinic?sslmode=disable&host=192.0.2.2",
            "postgres://u@localhost/clinic?sslmode=disable&hostaddr=127.0.0.1,192.0.2.2",
        ] {
            match PgTarget::parse(address) {
                Err(StoreError::Tls(m)) => {
                    assert!(
                        m.contains("unencrypted to ") && m.contains("nothing was sent"),
                        "{address}: {m}"
                    )
                }
                other => panic!("{address}: {other:?}"),
            }
        }
        for address in [
            "postgres://u@localhost/clinic?sslmode=disable&hostaddr=127.0.0.1",
            "postgres://u@localhost,127.0.0.2/clinic?sslmode=disable",
            "postgres://u@[::1]/clinic?sslmode=disable",
        ] {
            assert!(PgTarget::parse(address).is_ok(), "{address}");
        }
    }

    #[test]
    fn the_address_is_described_without_a_password() {
        let t = PgTarget::parse("postgres://nurse@db.clinic:5433/clinic").unwrap();
        assert_eq!(t.describe(), "postgres: nurse@db.clinic:5433/clinic");
        assert_eq!(t.server(), "db.clinic:5433");
    }

    #[test]
    fn pgpass_lines_match_as_libpq_reads_them() {
        let text = "# comment\n\
                    other:5432:clinic:nurse:wrong\n\
                    db.clinic:5432:*:nurse:pa\\:ss\n\
                    *:*:*:*:fallback\n";
        assert_eq!(
            pgpass_lookup(text, "db.clinic", 5432, "clinic", "nurse").as_deref(),
            Some("pa:ss")
        );
        assert_eq!(
            pgpass_lookup(text, "db.clinic", 5433, "clinic", "nurse").as_deref(),
            Some("fallback")
        );
        assert_eq!(pgpass_lookup("db:5432:x:y:z\n", "db", 5432, "x", "other"), None);
    }

    #[test]
    fn a_change_note_reads_back_from_its_payload() {
        let p = ChangeNote::payload("entries", 42);
        assert_eq!(
            ChangeNote::read(&p, 7),
            Some(ChangeNote {
                table: "entries".to_owned(),
                patient_id: 42,
                by: String::new(),
                from_pid: 7
            })
        );
        // A name sent by hand is not taken for who saved.
        assert_eq!(ChangeNote::read("entries 42 Dr Mallory", 7).unwrap().by, "");
        assert_eq!(ChangeNote::read("entries x y", 7), None);
    }
}
