//! A clinic server as the clinic's IT sets it up (issue 31), on real
//! PostgreSQL servers: the `pg_virtualenv` one with a certificate from a
//! CA made in the test ([`common::tls_ca`]), and, for a server that offers
//! no TLS, a private cluster started here with `initdb`.

use crate::common;

use clinilog::store::StoreError;
use clinilog::store::pg::PgTarget;

/// The maintenance database of the test server at `host`, with `query`.
fn target_at(host: &str, query: &str) -> Result<PgTarget, StoreError> {
    let port = std::env::var("PGPORT").unwrap_or_else(|_| "5432".to_owned());
    let db = std::env::var("PGDATABASE").unwrap_or_else(|_| "postgres".to_owned());
    PgTarget::parse(&format!("postgres://{host}:{port}/{db}?{query}"))
}

fn tls_refusal(target: &PgTarget) -> String {
    match target.connect() {
        Err(StoreError::Tls(sentence)) => sentence,
        Err(other) => panic!("expected a TLS sentence, got: {other}"),
        Ok(_) => panic!("connected to {}", target.describe()),
    }
}

/// With the clinic's CA the connection is TLS (the server's own view of
/// it: `pg_stat_ssl`), and the address as given back keeps the CA.
#[test]
fn the_right_ca_connects_over_tls_as_the_server_sees_it() {
    let Some(target) = common::server() else { return };
    let mut client = target.connect().unwrap();
    let row = client
        .query_one("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[])
        .unwrap();
    assert!(row.get::<_, bool>(0), "pg_stat_ssl says this connection is not TLS");
    let version: String = row.get(1);
    assert!(version.starts_with("TLSv1."), "{version}");
    // The address given back reads as the same target.
    let again = PgTarget::parse(&target.address()).unwrap();
    assert_eq!(again.describe(), target.describe());
    assert!(again.address().contains("sslrootcert="), "{}", again.address());
}

/// A CA that did not sign the server's certificate: one sentence naming it.
#[test]
fn a_wrong_ca_is_said_in_one_sentence() {
    let Some(_) = common::server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let wrong = common::make_ca(dir.path(), "other-clinic");
    let target = target_at("localhost", &format!("sslrootcert={}", wrong.display())).unwrap();
    let sentence = tls_refusal(&target);
    assert!(
        sentence.contains("is not signed by the clinic's CA") && sentence.contains(&wrong.display().to_string()),
        "{sentence}"
    );
    assert!(sentence.contains("nothing was sent"), "{sentence}");
}

/// The certificate is for `localhost`: reached as `127.0.0.1` it is
/// refused under verify-full (the default) and accepted under verify-ca.
#[test]
fn a_host_name_the_certificate_does_not_name_is_refused_unless_verify_ca() {
    let Some(_) = common::server() else { return };
    let ca = common::tls_ca();
    let by_ip = target_at("127.0.0.1", &format!("sslrootcert={}", ca.display())).unwrap();
    let sentence = tls_refusal(&by_ip);
    assert!(
        sentence.contains("not made out for the name \"127.0.0.1\""),
        "{sentence}"
    );
    let chain_only = target_at("127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={}", ca.display())).unwrap();
    chain_only.connect().unwrap();
}

/// A server whose pg_hba.conf takes only TLS for a database: a client that
/// said `sslmode=disable` is told so in one sentence.
#[test]
fn a_server_that_refuses_connections_without_tls_says_so() {
    let Some(_) = common::server() else { return };
    let port = std::env::var("PGPORT").unwrap_or_else(|_| "5432".to_owned());
    let target = PgTarget::parse(&format!(
        "postgres://localhost:{port}/{}?sslmode=disable",
        common::TLS_ONLY_DB
    ))
    .unwrap();
    let sentence = tls_refusal(&target);
    assert!(sentence.contains("accepts only TLS connections"), "{sentence}");
    assert!(sentence.contains("remove sslmode=disable"), "{sentence}");
}

/// `sslmode=disable` to another computer is refused as the address is
/// read: no connection is tried (the address names a host that does not
/// exist, which a connection would have had to look up).
#[test]
fn sslmode_disable_to_another_computer_is_refused_before_connecting() {
    for host in ["db.clinic.invalid", "10.1.2.3"] {
        let e = PgTarget::parse(&format!("postgres://nurse@{host}/clinic?sslmode=disable")).unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, StoreError::Tls(_)), "{text}");
        assert!(
            text.contains("unencrypted") && text.contains(host) && text.contains("only to this computer"),
            "{text}"
        );
    }
    // The command line says the same, and writes nothing.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_clinilog"))
        .args([
            "check",
            "--db",
            "postgres://nurse@db.clinic.invalid/clinic?sslmode=disable",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("only to this computer"), "{err}");
}

/// No CA given and none at `~/.postgresql/root.crt`: the sentence says
/// where to put it.
#[test]
fn without_a_ca_the_sentence_says_where_to_give_it() {
    let Some(_) = common::server() else { return };
    let home = tempfile::tempdir().unwrap();
    let port = std::env::var("PGPORT").unwrap_or_else(|_| "5432".to_owned());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_clinilog"))
        .args(["check", "--db", &format!("postgres://localhost:{port}/postgres")])
        .env("HOME", home.path())
        .env_remove("PGSSLROOTCERT")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("sslrootcert=PATH") && err.contains("~/.postgresql/root.crt"),
        "{err}"
    );
    // Put there, as for psql, it is found.
    std::fs::create_dir_all(home.path().join(".postgresql")).unwrap();
    std::fs::copy(common::tls_ca(), home.path().join(".postgresql/root.crt")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_clinilog"))
        .args(["check", "--db", &format!("postgres://localhost:{port}/postgres")])
        .env("HOME", home.path())
        .env_remove("PGSSLROOTCERT")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    // Past TLS: the maintenance database holds no clinic.
    assert!(err.contains("holds no clinic yet"), "{err}");
}

/// A PostgreSQL cluster of the test's own (a server that offers no TLS),
/// stopped when dropped. Started as the `postgres` user when the tests run
/// as root (the server refuses to run as root).
struct PrivateCluster {
    dir: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
    bin: std::path::PathBuf,
}

impl PrivateCluster {
    fn start(settings: &[&str]) -> Self {
        use std::os::unix::fs::MetadataExt;
        let pg_config = std::env::var("PG_CONFIG").unwrap_or_else(|_| "pg_config".to_owned());
        let out = std::process::Command::new(pg_config).arg("--bindir").output().unwrap();
        let bin = std::path::PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
        let as_postgres = std::fs::metadata("/proc/self").unwrap().uid() == 0;
        let dir = tempfile::tempdir().unwrap();
        if as_postgres {
            let status = std::process::Command::new("chown")
                .args(["postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(status.success());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let c = Self {
            dir,
            port,
            as_postgres,
            bin,
        };
        let data = c.dir.path().join("data");
        c.run(
            "initdb",
            &["-D", data.to_str().unwrap(), "-U", "postgres", "--auth=trust", "-N"],
        );
        let mut opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            c.dir.path().display()
        );
        for s in settings {
            opts.push_str(&format!(" -c {s}"));
        }
        c.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-o",
                &opts,
                "-l",
                c.dir.path().join("log").to_str().unwrap(),
                "-w",
                "start",
            ],
        );
        c
    }

    fn run(&self, program: &str, args: &[&str]) {
        let exe = self.bin.join(program);
        let out = if self.as_postgres {
            std::process::Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&exe)
                .args(args)
                .output()
        } else {
            std::process::Command::new(&exe).args(args).output()
        }
        .unwrap();
        assert!(
            out.status.success(),
            "{program}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let exe = self.bin.join("pg_ctl");
        let args = ["-D", data.to_str().unwrap_or_default(), "-m", "immediate", "stop"];
        let _ = if self.as_postgres {
            std::process::Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&exe)
                .args(args)
                .output()
        } else {
            std::process::Command::new(&exe).args(args).output()
        };
    }
}

/// A server with TLS off: verify-full ends in its sentence, nothing sent;
/// the same server on this computer is reached with `sslmode=disable`.
#[test]
fn a_server_without_tls_is_said_in_one_sentence() {
    let Some(_) = common::server() else { return };
    let cluster = PrivateCluster::start(&["ssl=off"]);
    let ca = common::tls_ca();
    let target = PgTarget::parse(&format!(
        "postgres://postgres@localhost:{}/postgres?sslrootcert={}",
        cluster.port,
        ca.display()
    ))
    .unwrap();
    let sentence = tls_refusal(&target);
    assert!(sentence.contains("does not offer TLS"), "{sentence}");
    assert!(sentence.contains("nothing was sent"), "{sentence}");
    let plain = PgTarget::parse(&format!(
        "postgres://postgres@localhost:{}/postgres?sslmode=disable",
        cluster.port
    ))
    .unwrap();
    plain.connect().unwrap();
}
