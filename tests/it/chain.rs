//! The audit trail's hash chain (issue 26), on a real file and on the real
//! server: a past row changed, a row taken from the middle, rows taken from
//! the end after an anchor was kept, all found by `clinilog check`; an
//! untouched clinic checks clean, also after two workstations wrote at
//! once; the printed report and the FHIR Bundle carry the head, which
//! `check --anchor` takes.

use crate::common;

use clinilog::cli::demo::write_demo;
use clinilog::domain::Catalog;
use clinilog::store::ClinicStore;
use clinilog::store::pg::PgStore;
use jiff::civil::date;

fn clinilog(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_clinilog"))
        .args(args)
        .output()
        .unwrap()
}

/// `check`'s verdict: `Ok(stdout)` or `Err(stdout + stderr)`.
fn check(db: &str, anchors: &[&str]) -> Result<String, String> {
    let mut args = vec!["check", "--db", db];
    for a in anchors {
        args.extend(["--anchor", a]);
    }
    let out = clinilog(&args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() { Ok(text) } else { Err(text) }
}

fn audit_head(db: &str) -> String {
    let out = clinilog(&["audit-head", "--db", db]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A demo clinic in a file; its path.
fn demo_file(dir: &tempfile::TempDir) -> String {
    let db = dir.path().join("clinic.sqlite");
    let out = clinilog(&["demo", "--db", db.to_str().unwrap()]);
    assert!(out.status.success());
    db.to_str().unwrap().to_owned()
}

fn sqlite(db: &str, sql: &str) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch(sql).unwrap();
}

#[test]
fn on_a_file_a_changed_row_a_gap_and_a_cut_end_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_file(&dir);
    let clean = check(&db, &[]).unwrap();
    let head = audit_head(&db);
    assert!(clean.contains(&format!("head {head}")), "{clean}");

    // A past row changed with the trigger out of the way.
    let tampered = tempfile::tempdir().unwrap();
    let copy = tampered.path().join("c.sqlite");
    std::fs::copy(&db, &copy).unwrap();
    let copy = copy.to_str().unwrap();
    sqlite(
        copy,
        "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET \"user\" = 'Someone Else' WHERE seq = 3;",
    );
    let e = check(copy, &[]).unwrap_err();
    assert!(e.contains("audit row 3 (id 3) does not match its hash"), "{e}");

    // A row taken from the middle.
    let copy2 = tampered.path().join("d.sqlite");
    std::fs::copy(&db, &copy2).unwrap();
    let copy2 = copy2.to_str().unwrap();
    sqlite(
        copy2,
        "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 4;",
    );
    let e = check(copy2, &[]).unwrap_err();
    assert!(
        e.contains("audit row 4 is missing: the trail goes from row 3 to row 5"),
        "{e}"
    );

    // A backup keeps the head; rows of that time taken from the end are
    // found against it (the chain that is left is whole by itself).
    assert!(clinilog(&["backup", "--db", &db]).status.success());
    let (seq, _) = head.split_once(':').unwrap();
    let seq: i64 = seq.parse().unwrap();
    sqlite(
        &db,
        &format!(
            "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq > {};",
            seq - 2
        ),
    );
    let e = check(&db, &[]).unwrap_err();
    assert!(
        e.contains(&format!("the audit trail ends at row {}, but the backup of", seq - 2))
            && e.contains(&format!("recorded it at row {seq}")),
        "{e}"
    );
}

/// The printed report and the FHIR Bundle name the head; `check --anchor`
/// with the value printed passes on the untouched file and fails after a
/// change.
#[test]
fn the_report_and_the_bundle_carry_the_head_that_check_takes() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_file(&dir);
    let head = audit_head(&db);
    let pdf = dir.path().join("r.pdf");
    let out = clinilog(&[
        "report",
        "--db",
        &db,
        "--patient",
        "DEMO-001",
        "--out",
        pdf.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::process::Command::new("pdftotext")
        .args([pdf.to_str().unwrap(), "-"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    let Ok(text) = text else {
        common::say_skipped("no pdftotext (apt-get install poppler-utils): the report's footer is not read back");
        return;
    };
    let printed = text
        .split_whitespace()
        .skip_while(|w| *w != "head")
        .nth(1)
        .unwrap_or_else(|| panic!("no audit head in the report's footer: {text}"))
        .to_owned();
    assert_eq!(printed, head);
    // The cohort's printed report too.
    let cohort = dir.path().join("c.pdf");
    let out = clinilog(&[
        "cohort",
        "--db",
        &db,
        "--measure",
        "bili_total",
        "--pdf",
        cohort.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::process::Command::new("pdftotext")
        .args([cohort.to_str().unwrap(), "-"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains(&format!("audit head {head}")), "{text}");
    let bundle = clinilog(&["fhir", "--db", &db]);
    let json: serde_json::Value = serde_json::from_slice(&bundle.stdout).unwrap();
    assert_eq!(json["meta"]["tag"][0]["code"], head.as_str());
    assert_eq!(json["meta"]["tag"][0]["system"], "https://clinilog.org/fhir/audit-head");

    check(&db, &[&printed]).unwrap();
    // The last row goes: the file alone looks whole, the anchor says not.
    let (seq, _) = printed.split_once(':').unwrap();
    sqlite(
        &db,
        &format!("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = {seq};"),
    );
    let e = check(&db, &[&printed]).unwrap_err();
    assert!(e.contains("but the anchor given recorded it at row"), "{e}");
    // A rewritten last row (same length) differs from the anchor.
    let db2 = demo_file(&tempfile::tempdir_in(dir.path()).unwrap());
    let e = check(&db2, &[&printed]);
    assert!(e.is_err(), "another clinic's trail meets this report's anchor: {e:?}");
}

/// The same on the server: a superuser who turns the triggers off
/// (`session_replication_role = replica`) and changes, removes or cuts
/// rows is found; two workstations writing at once leave a whole chain.
#[test]
fn on_the_server_tampering_is_found_and_concurrent_writers_chain_in_order() {
    let Some(db) = common::PgDatabase::fresh() else { return };
    let catalog = Catalog::builtin().unwrap();
    let mut store = PgStore::open(&db.target).unwrap();
    write_demo(&mut store, &catalog, date(2025, 9, 1)).unwrap();
    let address = db.target.address();

    // Two workstations, each saving patients at once.
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let target = db.target.clone();
            std::thread::spawn(move || {
                let mut s = PgStore::open(&target).unwrap();
                for i in 0..15 {
                    let data = clinilog::domain::PatientDraft {
                        mrn: format!("W{w}-{i:03}"),
                        name: format!("Patient {w} {i}"),
                        birth_date: "1970-01-01".into(),
                        sex: Some(clinilog::domain::Sex::Female),
                        diagnosis: String::new(),
                        enrolled: "2025-01-01".into(),
                        notes: String::new(),
                    }
                    .validate(date(2025, 9, 1))
                    .unwrap();
                    s.create_patient(&data, &format!("Desk {w}")).unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let report = store.audit_chain().unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    let rows: i64 = db
        .target
        .connect()
        .unwrap()
        .query_one("SELECT count(*) FROM audit_log", &[])
        .unwrap()
        .get(0);
    assert_eq!(report.rows, rows as u64);
    assert_eq!(report.head.as_ref().map(|h| h.seq), Some(rows));
    // The file's code and the server's trigger hash alike (checked above);
    // the command line agrees.
    let ok = check(&address, &[]).unwrap();
    assert!(ok.contains(&format!("{rows} rows chained")), "{ok}");
    let anchor = audit_head(&address);

    let mut admin = db.target.connect().unwrap();
    admin
        .batch_execute(
            "SET session_replication_role = replica;
             UPDATE audit_log SET reason = 'nothing happened' WHERE seq = 2;",
        )
        .unwrap();
    let e = check(&address, &[]).unwrap_err();
    assert!(e.contains("audit row 2 (id 2) does not match its hash"), "{e}");

    admin
        .batch_execute("SET session_replication_role = replica; DELETE FROM audit_log WHERE seq = 5;")
        .unwrap();
    let e = check(&address, &[]).unwrap_err();
    assert!(e.contains("audit row 5 is missing"), "{e}");

    admin
        .batch_execute(&format!(
            "SET session_replication_role = replica; DELETE FROM audit_log WHERE seq > {};",
            rows - 3
        ))
        .unwrap();
    let e = check(&address, &[&anchor]).unwrap_err();
    assert!(
        e.contains(&format!(
            "ends at row {}, but the anchor given recorded it at row {rows}",
            rows - 3
        )),
        "{e}"
    );
}

/// A restore replaces the trail, and says so in a row that must prove
/// itself: a real one (the trail before it is the backup it names, ending
/// at that backup's anchor) checks clean, the anchors of backups taken
/// before it checked against the trail it replaced, kept beside them. A
/// forged restore row, correctly chained, at the end of a trail that went
/// on after that backup is named, and every anchor is checked against the
/// file, so the rewrite it was meant to hide is found.
#[test]
fn a_restore_row_is_trusted_only_when_it_proves_itself() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_file(&dir);
    let backups = dir.path().join("backups");
    let take = || {
        let out = clinilog(&["backup", "--db", &db]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        std::thread::sleep(std::time::Duration::from_millis(1100));
    };
    let newest = || {
        let mut all: Vec<_> = std::fs::read_dir(&backups)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "sqlite"))
            .collect();
        all.sort();
        all.pop().unwrap()
    };
    take();
    let first = newest();
    // More writes, another backup, then the first backup restored.
    let catalog = Catalog::builtin().unwrap();
    let mut store = clinilog::store::FileStore::open(&db).unwrap();
    let p = store.patient_by_mrn("DEMO-001").unwrap().unwrap();
    let mut data = p.data.clone();
    data.notes = "seen in clinic".into();
    store.update_patient(&p, &data, "visit", "Dr Rao").unwrap();
    drop(store);
    take();
    let out = clinilog(&["restore", "--db", &db, first.to_str().unwrap(), "--user", "Dr Imani"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ok = check(&db, &[]).unwrap();
    assert!(ok.contains("ok: no problem found"), "{ok}");
    let store = clinilog::store::FileStore::open(&db).unwrap();
    assert!(store.check(&catalog).unwrap().is_empty());
    drop(store);

    // A second clinic: no restore, but a forged restore row naming the
    // first backup, chained at the end after rows the backup never held.
    let dir2 = tempfile::tempdir().unwrap();
    let db2 = demo_file(&dir2);
    let out = clinilog(&["backup", "--db", &db2]);
    assert!(out.status.success());
    let backup2 = std::fs::read_dir(dir2.path().join("backups"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "sqlite"))
        .unwrap();
    let mut store = clinilog::store::FileStore::open(&db2).unwrap();
    let p = store.patient_by_mrn("DEMO-001").unwrap().unwrap();
    let mut data = p.data.clone();
    data.notes = "after the backup".into();
    store.update_patient(&p, &data, "visit", "Dr Rao").unwrap();
    let head = store.audit_head().unwrap().unwrap();
    drop(store);
    let reason = format!("restored from {} at 2026-01-01T00:00:00Z", backup2.display());
    let fields = clinilog::store::chain::RowFields {
        at_utc: "2026-01-01T00:00:00Z",
        user: "Dr Mallory",
        action: "restore",
        table_name: "database",
        row_id: Some(0),
        before_json: None,
        after_json: None,
        reason: Some(&reason),
    };
    let hash = clinilog::store::chain::row_hash(head.seq + 1, Some(&head.hash), fields);
    sqlite(
        &db2,
        &format!(
            "INSERT INTO audit_log (at_utc, \"user\", action, table_name, row_id, reason, seq, row_hash)
             VALUES ('2026-01-01T00:00:00Z', 'Dr Mallory', 'restore', 'database', 0, '{}', {}, '{hash}')",
            reason.replace('\'', "''"),
            head.seq + 1
        ),
    );
    let err = check(&db2, &[]).unwrap_err();
    assert!(
        err.contains("is not one: the trail before it is not the backup it names"),
        "{err}"
    );
}
