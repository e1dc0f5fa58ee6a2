//! What several test files share: a throwaway database on the PostgreSQL
//! server of the libpq variables (`PGHOST`, `PGPORT`, `PGUSER`,
//! `PGPASSWORD`, as `pg_virtualenv` sets them). Without a server the tests
//! that need one say they are skipped; with `CLINILOG_REQUIRE_PG=1` (CI)
//! they fail instead.
//!
//! Every test talks to that server over TLS verified as `verify-full`: the
//! first test to need it makes a throwaway CA and a server certificate for
//! `localhost` with `openssl`, and, as the server's superuser, points the
//! server at them (`ALTER SYSTEM`, then a reload), under a lock that the
//! test processes share ([`tls_ca`]).

#![allow(dead_code)]

use clinilog::store::ClinicStore;
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
    let ca = tls_ca();
    Some(
        PgTarget::parse(&format!(
            "postgres:///{}?sslrootcert={}",
            maintenance_db(),
            ca.display()
        ))
        .unwrap(),
    )
}

fn maintenance_db() -> String {
    std::env::var("PGDATABASE").unwrap_or_else(|_| "postgres".to_owned())
}

/// The database whose connections without TLS the server refuses (a
/// `hostnossl ... reject` line of its pg_hba.conf, set with the certificate).
pub const TLS_ONLY_DB: &str = "clinilog_tls_only";

/// Makes a CA (`NAME.crt` and `NAME.key` in `dir`) with `openssl`.
pub fn make_ca(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let crt = dir.join(format!("{name}.crt"));
    let out = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ])
        .arg("-keyout")
        .arg(dir.join(format!("{name}.key")))
        .arg("-out")
        .arg(&crt)
        .args(["-days", "3", "-subj", &format!("/CN=Clinilog test {name}")])
        .output()
        .expect("openssl (apt-get install openssl)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    crt
}

/// Makes a key and a certificate for the DNS name `host` only, signed by
/// the CA `ca` (made by [`make_ca`] in `dir`): `server.crt`, `server.key`.
fn make_server_cert(dir: &std::path::Path, ca: &str, host: &str) {
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    std::fs::write(dir.join("san.ext"), format!("subjectAltName=DNS:{host}\n")).unwrap();
    run(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        &format!("/CN={host}"),
    ]);
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        &format!("{ca}.crt"),
        "-CAkey",
        &format!("{ca}.key"),
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "3",
        "-extfile",
        "san.ext",
    ]);
}

/// The CA of the test server's certificate: made, and the server set to
/// use a certificate it signed, by the first test process that asks
/// (the others wait on a lock and find it done).
pub fn tls_ca() -> std::path::PathBuf {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let port = std::env::var("PGPORT").unwrap_or_else(|_| "5432".to_owned());
    // Shared by every test process of the run (and the server), so not a
    // tempdir that one process would remove.
    #[allow(clippy::disallowed_methods)]
    let dir = std::env::temp_dir().join(format!("clinilog-test-tls-{port}"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let lock = std::fs::File::create(dir.join("lock")).unwrap();
    lock.lock().unwrap();
    let ca = dir.join("ca.crt");
    let cert = dir.join("server.crt");
    // The superuser's own connection, without TLS: this computer only.
    let plain = PgTarget::parse(&format!("postgres:///{}?sslmode=disable", maintenance_db())).unwrap();
    let mut admin = plain.connect().unwrap();
    let show = |admin: &mut postgres::Client, what: &str| -> String {
        admin.query_one(&format!("SHOW {what}"), &[]).unwrap().get(0)
    };
    if show(&mut admin, "ssl_cert_file") == cert.display().to_string() && ca.is_file() {
        return ca;
    }
    make_ca(&dir, "ca");
    make_server_cert(&dir, "ca", "localhost");
    // The key belongs to the server's user, who alone may read it.
    let data_dir = show(&mut admin, "data_directory");
    let owner = std::fs::metadata(&data_dir).unwrap();
    let key = dir.join("server.key");
    std::os::unix::fs::chown(&key, Some(owner.uid()), Some(owner.gid())).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(&cert, std::fs::Permissions::from_mode(0o644)).unwrap();
    // Connections without TLS to one database are refused.
    let hba = show(&mut admin, "hba_file");
    let rules = std::fs::read_to_string(&hba).unwrap();
    if !rules.contains(TLS_ONLY_DB) {
        std::fs::write(&hba, format!("hostnossl {TLS_ONLY_DB} all all reject\n{rules}")).unwrap();
    }
    // One statement at a time: ALTER SYSTEM refuses a transaction block.
    for sql in [
        "ALTER SYSTEM SET ssl = on".to_owned(),
        format!("ALTER SYSTEM SET ssl_cert_file = '{}'", cert.display()),
        format!("ALTER SYSTEM SET ssl_key_file = '{}'", key.display()),
        "SELECT pg_reload_conf()".to_owned(),
    ] {
        admin.batch_execute(&sql).unwrap();
    }
    // The reload is asynchronous: wait until a verified connection works.
    let verified = PgTarget::parse(&format!(
        "postgres:///{}?sslrootcert={}",
        maintenance_db(),
        ca.display()
    ))
    .unwrap();
    for _ in 0..100 {
        if verified.connect().is_ok() {
            return ca;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!(
        "the test server did not take the test certificate: {:?}",
        verified.connect().err()
    );
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

/// Runs `exe` with `args` and `env` as the unprivileged user `nobody` when
/// the tests run as root (CI does), so that permission bits really bind; as
/// is otherwise. When `nobody` may not run `exe` where it is (a folder of
/// root's), a copy in `spare` (a folder it may read) is run instead.
pub fn run_unprivileged(
    exe: &std::path::Path,
    args: &[&str],
    env: &[(&str, &std::ffi::OsStr)],
    spare: &std::path::Path,
) -> std::process::Output {
    use std::os::unix::fs::MetadataExt;
    let root = std::fs::metadata("/proc/self").unwrap().uid() == 0;
    let run = |exe: &std::path::Path| {
        let mut cmd = if root {
            let mut c = std::process::Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups"]).arg(exe);
            c
        } else {
            std::process::Command::new(exe)
        };
        cmd.args(args)
            .envs(env.iter().copied())
            .env("HOME", "/tmp")
            .output()
            .unwrap()
    };
    let out = run(exe);
    let refused = out.status.code() == Some(126) || String::from_utf8_lossy(&out.stderr).contains("Permission denied");
    if !(root && refused) {
        return out;
    }
    let copy = spare.join(exe.file_name().unwrap());
    if !copy.exists() {
        std::fs::copy(exe, &copy).unwrap();
    }
    run(&copy)
}

/// The names in a folder, and each file's bytes: what a test compares to
/// prove that nothing was written there.
pub fn folder_state(folder: &std::path::Path) -> Vec<(std::ffi::OsString, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name(), std::fs::read(e.path()).unwrap())
        })
        .collect();
    v.sort();
    v
}

/// Records an entry of lab values typed as printed (`[("sodium", "115")]`)
/// for the patient `mrn` of the file `db`, dated `on`, through the form's
/// own validation.
pub fn record_labs(db: &std::path::Path, mrn: &str, on: jiff::civil::Date, values: &[(&str, &str)]) {
    use clinilog::domain::{Catalog, EntryDraft};
    let catalog = Catalog::builtin().unwrap();
    let mut store = clinilog::store::FileStore::open(db).unwrap();
    let p = store.patient_by_mrn(mrn).unwrap().unwrap();
    let mut d = EntryDraft::blank(&catalog, p.data.sex, on, "Dr Test");
    for (code, value) in values {
        d.labs.iter_mut().find(|l| l.code == *code).unwrap().value = (*value).into();
    }
    let data = d.validate(&catalog, p.data.sex, p.data.birth_date, on).unwrap();
    store.record_entry(p.id, &data, "Dr Test").unwrap();
}

/// An entry of lab values typed as printed, validated by the form's rules
/// for the demo patient (a man born 1974-01-15), dated `on`.
pub fn lab_entry(
    catalog: &clinilog::domain::Catalog,
    on: jiff::civil::Date,
    values: &[(&str, &str)],
) -> clinilog::domain::EntryData {
    use clinilog::domain::{EntryDraft, Sex};
    let mut d = EntryDraft::blank(catalog, Sex::Male, on, "Dr Test");
    for (code, value) in values {
        d.labs.iter_mut().find(|l| l.code == *code).unwrap().value = (*value).into();
    }
    d.validate(catalog, Sex::Male, jiff::civil::date(1974, 1, 15), on)
        .unwrap()
}
