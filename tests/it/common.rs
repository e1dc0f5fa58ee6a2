//! What several test files share: a throwaway database on the PostgreSQL
//! server of the libpq variables (`PGHOST`, `PGPORT`, `PGUSER`,
//! `PGPASSWORD`, as `pg_virtualenv` sets them). Without a server the tests
//! that need one say they are skipped; with `CLINILOG_REQUIRE_PG=1` (CI)
//! they fail instead.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use clinilog::store::pg::PgTarget;

/// Says on the terminal that (part of) the running test is skipped, and
/// why: written to the standard error itself, so that `cargo test`, which
/// keeps `eprintln!` of a passing test to itself, shows it too.
pub fn say_skipped(why: &str) {
    use std::io::Write;
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    let _ = std::io::stderr().write_all(format!("skipped in {test}: {why}\n").as_bytes());
}

/// The server's maintenance database, if a server is set.
pub fn server() -> Option<PgTarget> {
    if std::env::var_os("PGHOST").is_none() {
        assert!(
            std::env::var("CLINILOG_REQUIRE_PG").as_deref() != Ok("1"),
            "CLINILOG_REQUIRE_PG=1 but no PostgreSQL server: set PGHOST (run under pg_virtualenv)"
        );
        say_skipped("no PostgreSQL server (set PGHOST etc., or run the tests under pg_virtualenv)");
        return None;
    }
    let db = std::env::var("PGDATABASE").unwrap_or_else(|_| "postgres".to_owned());
    Some(PgTarget::parse(&format!("postgres:///{db}")).unwrap())
}

/// A new empty database for one test, dropped with it.
pub struct PgDatabase {
    pub target: PgTarget,
    pub admin: PgTarget,
}

impl PgDatabase {
    pub fn fresh() -> Option<Self> {
        static N: AtomicU32 = AtomicU32::new(0);
        let admin = server()?;
        let name = format!(
            "clinilog_test_{}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            jiff::Timestamp::now().as_millisecond()
        );
        let mut client = admin.connect().unwrap();
        client.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        Some(Self {
            target: admin.with_dbname(&name),
            admin,
        })
    }

    /// The server goes away for this database, as in a network cut: every
    /// connection to it ends and new ones are refused until [`Self::back`].
    pub fn away(&self) {
        let name = self.target.dbname();
        let mut admin = self.admin.connect().unwrap();
        admin
            .batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
            .unwrap();
        admin
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                &[&name],
            )
            .unwrap();
    }

    /// The server answers again.
    pub fn back(&self) {
        self.admin
            .connect()
            .unwrap()
            .batch_execute(&format!(
                "ALTER DATABASE {} ALLOW_CONNECTIONS true",
                self.target.dbname()
            ))
            .unwrap();
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut client) = self.admin.connect() {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.target.dbname()
            ));
        }
    }
}
