//! The `clinilog` command as a process: demo, export, failures.

use clinilog::store::ClinicStore;
use std::path::Path;
use std::process::{Command, Output};

use crate::common;

fn clinilog(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clinilog"))
        .args(args)
        .output()
        .expect("the clinilog binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn path_arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A failure: non-zero exit, one short line on stderr, no panic.
fn assert_fails_cleanly(o: &Output, expect: &str) {
    assert!(!o.status.success(), "expected failure, got success");
    let err = stderr(o);
    assert!(err.contains(expect), "stderr {err:?} lacks {expect:?}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn demo_then_export_gives_the_printed_bilirubin_values() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    let out = clinilog(&["demo", "--db", path_arg(&db)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("DEMO-001"));

    let out = clinilog(&["export", "--db", path_arg(&db)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = stdout(&out);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "mrn,date,measure_code,measure_name,loinc,value,comparator,unit,reference_low,reference_high,flag,entry_id,source_document"
        )
    );
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().unwrap();
    let bili: Vec<(String, String, String, String, String, String)> = rows
        .iter()
        .filter(|r| &r[2] == "bili_total")
        .map(|r| {
            (
                r[1].into(),
                r[5].into(),
                r[7].into(),
                r[10].into(),
                r[4].into(),
                r[8].to_string() + "-" + &r[9],
            )
        })
        .collect();
    let expect = |d: &str, v: &str| {
        (
            d.into(),
            v.into(),
            "mg/dL".into(),
            "H".into(),
            "1975-2".into(),
            "0.0-1.0".into(),
        )
    };
    assert_eq!(
        bili,
        vec![
            expect("2025-07-19", "12.30"),
            expect("2025-08-04", "6.50"),
            expect("2025-08-19", "4.60")
        ]
    );
    // Printed "up to 0.80" keeps an empty low limit.
    let direct = rows.iter().find(|r| &r[2] == "bili_direct").unwrap();
    assert_eq!((&direct[8], &direct[9], &direct[10]), ("", "0.80", "H"));
    // ALP 151 within "up to 260": no flag.
    let alp = rows.iter().find(|r| &r[2] == "alp").unwrap();
    assert_eq!((&alp[5], &alp[10]), ("151", ""));
}

#[test]
fn running_demo_twice_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    assert!(clinilog(&["demo", "--db", path_arg(&db)]).status.success());
    let first = stdout(&clinilog(&["export", "--db", path_arg(&db)]));
    let again = clinilog(&["demo", "--db", path_arg(&db)]);
    assert!(again.status.success());
    assert!(stdout(&again).contains("already there"));
    let second = stdout(&clinilog(&["export", "--db", path_arg(&db)]));
    assert_eq!(first, second);
    assert!(first.lines().count() > 10);
}

#[test]
fn export_to_a_file_for_one_patient() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    let csv_path = dir.path().join("out.csv");
    assert!(clinilog(&["demo", "--db", path_arg(&db)]).status.success());
    let out = clinilog(&[
        "export",
        "--db",
        path_arg(&db),
        "--patient",
        "DEMO-001",
        "--out",
        path_arg(&csv_path),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    let text = std::fs::read_to_string(&csv_path).unwrap();
    assert!(text.lines().skip(1).all(|l| l.starts_with("DEMO-001,2025-")), "{text}");

    let unknown = clinilog(&["export", "--db", path_arg(&db), "--patient", "NOPE"]);
    assert_fails_cleanly(&unknown, "NOPE");
}

#[test]
fn failures_exit_non_zero_with_a_short_message() {
    let dir = tempfile::tempdir().unwrap();
    let missing_dir = dir.path().join("no/such/dir/x.sqlite");
    assert_fails_cleanly(
        &clinilog(&["demo", "--db", path_arg(&missing_dir)]),
        "folder does not exist",
    );
    assert_fails_cleanly(
        &clinilog(&["export", "--db", path_arg(&missing_dir)]),
        "no database file",
    );

    let text = dir.path().join("notes.txt");
    std::fs::write(
        &text,
        "not a database, just text that is long enough to look like a file\n".repeat(4),
    )
    .unwrap();
    let before = std::fs::read(&text).unwrap();
    assert_fails_cleanly(
        &clinilog(&["export", "--db", path_arg(&text)]),
        "not a Clinilog database",
    );
    assert_fails_cleanly(&clinilog(&["demo", "--db", path_arg(&text)]), "not a Clinilog database");
    assert_eq!(std::fs::read(&text).unwrap(), before);

    let future = dir.path().join("future.sqlite");
    assert!(clinilog(&["demo", "--db", path_arg(&future)]).status.success());
    rusqlite::Connection::open(&future)
        .unwrap()
        .pragma_update(None, "user_version", 42)
        .unwrap();
    let before = std::fs::read(&future).unwrap();
    assert_fails_cleanly(&clinilog(&["export", "--db", path_arg(&future)]), "newer Clinilog");
    assert_eq!(std::fs::read(&future).unwrap(), before);

    let bad_out = dir.path().join("nowhere/out.csv");
    let demo_db = dir.path().join("ok.sqlite");
    assert!(clinilog(&["demo", "--db", path_arg(&demo_db)]).status.success());
    assert_fails_cleanly(
        &clinilog(&["export", "--db", path_arg(&demo_db), "--out", path_arg(&bad_out)]),
        "cannot write the CSV file",
    );
}

#[test]
fn help_documents_every_command_and_option() {
    let out = clinilog(&["--help"]);
    assert!(out.status.success());
    let help = stdout(&out);
    for word in ["demo", "export", "score", "scores", "--db", "--demo"] {
        assert!(help.contains(word), "--help lacks {word}:\n{help}");
    }
    let options: [(&str, &[&str]); 5] = [
        ("due", &["--db", "--week", "--protocol", "--csv"]),
        ("demo", &["--db", "--busy"]),
        ("export", &["--db", "--patient", "--out", "mrn,date,measure_code"]),
        (
            "score",
            &[
                "--bilirubin",
                "--inr",
                "--creatinine",
                "--sodium",
                "--albumin",
                "--si",
                "--dialysis",
                "--sex",
                "--age",
                "--ast",
                "--alt",
                "--ast-uln",
                "--platelets",
                "--ascites",
                "--encephalopathy",
                "--json",
                "meld-na",
                "child-pugh",
            ],
        ),
        ("scores", &["--db", "--patient", "--csv", "--carry-days"]),
    ];
    for (command, words) in options {
        let out = clinilog(&[command, "--help"]);
        assert!(out.status.success(), "{command} --help failed");
        let text = stdout(&out);
        for word in words {
            assert!(text.contains(word), "{command} --help lacks {word}:\n{text}");
        }
    }
}

fn score_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["score"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = clinilog(&all);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    serde_json::from_str(stdout(&out).trim()).unwrap()
}

#[test]
fn score_reproduces_every_public_test_vector() {
    let v = score_json(&["meld", "--bilirubin", "1.9", "--inr", "1.2", "--creatinine", "1.3"]);
    assert_eq!(v["value"], 13);
    assert_eq!(v["score"], "meld");
    assert!(v["class"].is_null());
    assert!(v["version"].as_str().unwrap().contains("UNOS"));

    let v = score_json(&[
        "meld",
        "--si",
        "--inr",
        "2.0",
        "--bilirubin",
        "54",
        "--creatinine",
        "170",
    ]);
    assert_eq!(v["value"], 25);
    assert!((v["unrounded"].as_f64().unwrap() - 24.798).abs() < 0.0005);

    let v = score_json(&[
        "meld-na",
        "--creatinine",
        "1.0",
        "--bilirubin",
        "1.5",
        "--inr",
        "1.5",
        "--sodium",
        "135",
    ]);
    assert_eq!(v["value"], 15);

    let v = score_json(&[
        "meld3",
        "--sex",
        "male",
        "--bilirubin",
        "2.0",
        "--creatinine",
        "1.5",
        "--inr",
        "1.5",
        "--sodium",
        "137",
        "--albumin",
        "3.0",
    ]);
    assert_eq!(v["value"], 18);

    let v = score_json(&["apri", "--ast", "38", "--ast-uln", "40", "--platelets", "150"]);
    assert_eq!(v["value"], 0.63);

    let v = score_json(&[
        "child-pugh",
        "--bilirubin",
        "3.2",
        "--albumin",
        "2.6",
        "--inr",
        "2.0",
        "--ascites",
        "mild",
        "--encephalopathy",
        "grade1-2",
    ]);
    assert_eq!((v["value"].as_i64(), v["class"].as_str()), (Some(12), Some("C")));

    let v = score_json(&["albi", "--bilirubin", "1.0", "--albumin", "4.0"]);
    assert_eq!(v["class"], "2");

    let line = stdout(&clinilog(&[
        "score",
        "meld",
        "--bilirubin",
        "1,9",
        "--inr",
        "1.2",
        "--creatinine",
        "1.3",
    ]));
    assert!(line.starts_with("MELD = 13 (unrounded 13.409"), "{line}");
    assert_eq!(line.lines().count(), 1);
}

#[test]
fn score_names_a_missing_or_invalid_input() {
    let out = clinilog(&["score", "meld-na", "--bilirubin", "2", "--inr", "1.1"]);
    assert_fails_cleanly(
        &out,
        "missing creatinine (mg/dL) (--creatinine), sodium (mmol/L) (--sodium)",
    );
    let out = clinilog(&[
        "score",
        "meld",
        "--bilirubin",
        "2..1",
        "--inr",
        "1",
        "--creatinine",
        "1",
    ]);
    assert_fails_cleanly(&out, "--bilirubin: \"2..1\" has more than one decimal separator");
    let out = clinilog(&["score", "fib4", "--age", "51", "--ast", "160", "--alt", "60"]);
    assert_fails_cleanly(&out, "missing platelets (10^9/L) (--platelets)");
}

#[test]
fn scores_lists_every_entry_of_a_patient() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    assert!(clinilog(&["demo", "--db", path_arg(&db)]).status.success());
    let out = clinilog(&["scores", "--db", path_arg(&db), "--patient", "DEMO-001", "--csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().unwrap();
    assert_eq!(rows.len(), 5 * 8, "5 entries x 8 scores");
    let ratio = rows
        .iter()
        .find(|r| &r[1] == "2025-07-19" && &r[3] == "ast-alt")
        .unwrap();
    assert_eq!(&ratio[4], "2.67");
    let meld = rows.iter().find(|r| &r[1] == "2025-07-19" && &r[3] == "meld").unwrap();
    assert_eq!(&meld[7], "MELD not computed: missing INR");
    // The week after: AST and ALT carried from the baseline report, and said so.
    let carried = rows
        .iter()
        .find(|r| &r[1] == "2025-07-26" && &r[3] == "ast-alt")
        .unwrap();
    assert_eq!(&carried[4], "2.67");
    assert!(
        carried[8].contains("AST 160 U/L (carried from 2025-07-19)"),
        "{}",
        &carried[8]
    );
    assert_fails_cleanly(
        &clinilog(&["scores", "--db", path_arg(&db), "--patient", "NOPE"]),
        "no patient with MRN",
    );
}

/// The repository's clinical facts (`assets/clinical.md`) hold every line
/// of the team's shared reference, in order, when it sits beside the
/// repository (as in CI); elsewhere there is nothing to compare with.
#[test]
fn the_clinical_facts_in_the_repository_follow_the_shared_reference() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let Ok(shared) = std::fs::read_to_string(root.join("../shared/clinical/REFERENCE.md")) else {
        eprintln!("no ../shared/clinical/REFERENCE.md beside the repository: nothing to compare");
        return;
    };
    let ours = std::fs::read_to_string(root.join("assets/clinical.md")).unwrap();
    let mut rest = ours.as_str();
    for line in shared.lines().skip(1).map(str::trim).filter(|l| !l.is_empty()) {
        match rest.find(line) {
            Some(at) => rest = &rest[at + line.len()..],
            None => panic!("assets/clinical.md lacks (or reorders) this line of the shared reference:\n{line}"),
        }
    }
}

#[test]
fn backup_backups_check_and_restore_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite");
    assert!(clinilog(&["demo", "--db", path_arg(&db)]).status.success());

    let out = clinilog(&["check", "--db", path_arg(&db)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("ok: no problem found"));

    let out = clinilog(&["backup", "--db", path_arg(&db)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("1 patients  5 entries"), "{}", stdout(&out));
    let listed = stdout(&clinilog(&["backups", "--db", path_arg(&db)]));
    let lines: Vec<&str> = listed.lines().filter(|l| !l.starts_with(' ')).collect();
    assert_eq!(lines.len(), 1, "{listed}");
    let backup = lines[0].split_whitespace().last().unwrap().to_owned();
    // Each backup is listed with the audit head it holds, as its anchor file says.
    let head = stdout(&clinilog(&["audit-head", "--db", path_arg(&db)]));
    assert!(listed.contains(&format!("    audit head {}", head.trim())), "{listed}");
    assert_eq!(
        std::fs::read_to_string(format!("{backup}.anchor")).unwrap().trim(),
        head.trim()
    );

    // A backup elsewhere (a USB stick, a share) with --to.
    let stick = dir.path().join("stick");
    assert!(
        clinilog(&["backup", "--db", path_arg(&db), "--to", path_arg(&stick)])
            .status
            .success()
    );
    assert_eq!(
        std::fs::read_dir(&stick).unwrap().count(),
        2,
        "the backup and its anchor"
    );

    let out = clinilog(&["restore", "--db", path_arg(&db), &backup, "--user", "Dr Imani"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("is kept as"), "{}", stdout(&out));
    assert_eq!(
        stdout(&clinilog(&["backups", "--db", path_arg(&db)]))
            .lines()
            .filter(|l| !l.starts_with(' '))
            .count(),
        2
    );
    // The restore replaced the trail: the backups taken before it describe
    // the trail it replaced, and the file checks clean.
    let out = clinilog(&["check", "--db", path_arg(&db)]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));

    assert_fails_cleanly(
        &clinilog(&["restore", "--db", path_arg(&db), "nowhere.sqlite", "--user", "x"]),
        "no backup file",
    );
    assert_fails_cleanly(&clinilog(&["check", "--db", "nowhere.sqlite"]), "no database file");
    std::fs::write(dir.path().join("junk.sqlite"), b"not a database at all").unwrap();
    assert_fails_cleanly(
        &clinilog(&[
            "restore",
            "--db",
            path_arg(&db),
            path_arg(&dir.path().join("junk.sqlite")),
            "--user",
            "x",
        ]),
        "not a Clinilog database",
    );
}

/// A backup process killed at any moment leaves no file under a final
/// backup name that is not whole, and never changes the source.
#[test]
fn a_backup_killed_midway_leaves_no_half_backup_and_the_source_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite");
    assert!(clinilog(&["demo", "--db", path_arg(&db), "--busy"]).status.success());
    let source = std::fs::read(&db).unwrap();
    let backups = dir.path().join("backups");
    for delay_ms in [0u64, 2, 5, 10, 20, 40] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_clinilog"))
            .args(["backup", "--db", path_arg(&db), "--to", path_arg(&backups)])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL on Unix
        let _ = child.wait();
        assert_eq!(
            std::fs::read(&db).unwrap(),
            source,
            "the source changed (kill after {delay_ms} ms)"
        );
        if !backups.exists() {
            continue;
        }
        for file in std::fs::read_dir(&backups).unwrap() {
            let path = file.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".sqlite") {
                let conn =
                    rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
                let ok: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0)).unwrap();
                assert_eq!(ok, "ok", "{name} is under a final name but not whole");
            } else if let Some(backup) = name.strip_suffix(".anchor") {
                // The anchor is written once the backup has its final name.
                assert!(path.with_file_name(backup).is_file(), "{name} without its backup");
            } else {
                // A temporary name (and SQLite's journal of it) may be left by the kill.
                assert!(name.contains(".partial"), "unexpected file {name}");
            }
        }
    }
}

/// `clinilog import`: a preview writes nothing (exit 0: there is something
/// to import), the import writes (0), the same file again has nothing to
/// import (3), a refused file exits 1 with one line; `--report` lists every
/// line not imported with its reason.
#[test]
fn import_previews_imports_and_tells_by_its_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite");
    assert!(clinilog(&["demo", "--db", path_arg(&db)]).status.success());
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/import");
    let file = data.join("portal_long.csv");
    let report = dir.path().join("report.csv");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "import",
            "--db",
            path_arg(&db),
            file.to_str().unwrap(),
            "--dates",
            "mdy",
            "--user",
            "Nurse K",
        ];
        a.extend_from_slice(extra);
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let run = |a: Vec<String>| Command::new(env!("CARGO_BIN_EXE_clinilog")).args(&a).output().unwrap();
    let before = std::fs::read(&db).unwrap();
    let out = run(args(&["--dry-run", "--report", report.to_str().unwrap()]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("would import: 6 new values in 3 entries"), "{text}");
    assert!(text.contains("2025-08-04 (4 Aug 2025)"), "dates as read: {text}");
    assert_eq!(std::fs::read(&db).unwrap(), before, "a dry run writes nothing");
    let mut r = csv::Reader::from_path(&report).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().collect::<Result<_, _>>().unwrap();
    assert_eq!(rows.len(), 15, "12 rejected, 2 conflicts, 1 skipped");
    let line11 = rows.iter().find(|r| &r[0] == "11").unwrap();
    assert_eq!(&line11[1], "rejected");
    assert!(line11[2].contains("exponent"), "{:?}", line11);

    let out = run(args(&[]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("imported: 6 new values"), "{}", stdout(&out));
    let out = run(args(&[]));
    assert_eq!(out.status.code(), Some(3), "nothing to import: {}", stdout(&out));
    assert!(
        stdout(&out).contains("imported nothing: 0 new values"),
        "{}",
        stdout(&out)
    );

    let empty = data.join("empty.csv");
    let out = clinilog(&[
        "import",
        "--db",
        path_arg(&db),
        empty.to_str().unwrap(),
        "--user",
        "Nurse K",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_fails_cleanly(&out, "the file is refused: the file is empty");
}

/// An export with nothing in it says so and writes no file; a FHIR export
/// of a patient without entries holds the Patient and says so.
#[test]
fn exports_of_an_empty_record_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite");
    clinilog::store::FileStore::open(&db).unwrap();
    let out = dir.path().join("obs.csv");
    let o = clinilog(&["export", "--db", path_arg(&db), "--out", path_arg(&out)]);
    assert_fails_cleanly(&o, "nothing to export: the file has no observations yet");
    assert!(!out.exists());
    assert!(clinilog(&["demo", "--db", path_arg(&db)]).status.success());
    let mut store = clinilog::store::FileStore::open(&db).unwrap();
    store
        .create_patient(
            &clinilog::domain::PatientData {
                mrn: "EMPTY-1".into(),
                name: "No Entries".into(),
                birth_date: jiff::civil::date(1970, 1, 1),
                sex: clinilog::domain::Sex::Female,
                diagnosis: String::new(),
                enrolled: jiff::civil::date(2025, 1, 1),
                notes: String::new(),
            },
            "Dr Test",
        )
        .unwrap();
    drop(store);
    let o = clinilog(&[
        "export",
        "--db",
        path_arg(&db),
        "--patient",
        "EMPTY-1",
        "--out",
        path_arg(&out),
    ]);
    assert_fails_cleanly(&o, "nothing to export: EMPTY-1 has no observations yet");
    let fhir = dir.path().join("empty.json");
    let o = clinilog(&[
        "fhir",
        "--db",
        path_arg(&db),
        "--patient",
        "EMPTY-1",
        "--out",
        path_arg(&fhir),
    ]);
    assert!(o.status.success());
    assert!(stderr(&o).contains("EMPTY-1 has no entries or treatments yet: the Bundle holds the Patient only"));
    let bundle: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&fhir).unwrap()).unwrap();
    assert_eq!(bundle["entry"].as_array().unwrap().len(), 1);
}

/// `demo --clinic N`: a generated clinic that passes the file check, the
/// same for the same seed, with its voids and edits.
#[test]
fn a_generated_clinic_is_checked_and_repeatable() {
    let dir = tempfile::tempdir().unwrap();
    let export = |name: &str, seed: &str| {
        let db = dir.path().join(name);
        let o = clinilog(&[
            "demo",
            "--db",
            path_arg(&db),
            "--clinic",
            "60",
            "--weeks",
            "8",
            "--seed",
            seed,
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(
            stdout(&o).contains("60 patients, 480 entries, 180 treatment events, 60 on a protocol, 2 voided, 2 edited"),
            "{}",
            stdout(&o)
        );
        let check = clinilog(&["check", "--db", path_arg(&db)]);
        assert!(check.status.success(), "{}{}", stdout(&check), stderr(&check));
        stdout(&clinilog(&["export", "--db", path_arg(&db)]))
    };
    let a = export("a.sqlite", "5");
    // Each generated patient is on the seed protocol from the first cycle
    // (8 weekly entries to today, the first cycle 6 weeks ago): every visit
    // has a weekly entry inside its window (Week 4 and Day 30, two days
    // apart, are both done by the same entry), so nothing is late but what
    // the generator left out on purpose: every 50th patient (C-000001,
    // C-000051) has a recent entry voided, and the visits it did are late.
    let due = clinilog(&["due", "--db", path_arg(&dir.path().join("a.sqlite")), "--csv"]);
    assert!(due.status.success(), "{}", stderr(&due));
    let late: std::collections::BTreeSet<String> = stdout(&due)
        .lines()
        .filter(|l| l.starts_with("C-") && l.contains(",late,"))
        .map(|l| l.split(',').next().unwrap().to_owned())
        .collect();
    // (The demo patient beside them is the published case, followed up to
    // day 30 only: its day 90 and day 180 are really late.)
    assert_eq!(
        late.into_iter().collect::<Vec<_>>(),
        ["C-000001", "C-000051"],
        "{}",
        stdout(&due)
    );
    // One row per patient and visit.
    let mut visits: Vec<(String, String)> = stdout(&due)
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].to_owned(),
                l.split("\",").nth(1).unwrap_or(l).split(',').next().unwrap().to_owned(),
            )
        })
        .collect();
    let n = visits.len();
    visits.dedup();
    assert_eq!(visits.len(), n, "{}", stdout(&due));
    assert_eq!(a, export("b.sqlite", "5"), "the same seed writes the same values");
    assert_ne!(a, export("c.sqlite", "6"));
    assert_eq!(
        a.lines().filter(|l| l.starts_with("C-")).count(),
        (480 - 2) * 14,
        "10 labs and 4 symptoms an entry, voided left out"
    );
}

/// The seed case on its protocol (from 2025-07-19): in the week of
/// 2025-08-11 the week-4 visit (16 Aug) is due, and the 11 Aug visit (week
/// 3, symptoms only) lacks the labs the protocol expects. The CSV says the
/// same, one row per line.
#[test]
fn due_lists_the_demo_patients_week_as_text_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    assert!(clinilog(&["demo", "--db", path_arg(&db)]).status.success());
    let out = clinilog(&["due", "--db", path_arg(&db), "--week", "2025-08-13"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with(
            "Due in the week of Monday 2025-08-11 to Sunday 2025-08-17: 1 patient (0 late, 1 due, 1 lacking \
             measures; 0 missed apart: clinilog due --missed)\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("DEMO-001  Demo: cirrhosis case report  (MSC + exosomes, 3 cycles)"),
        "{text}"
    );
    assert!(text.contains("  Week 4: due (planned 2025-08-16)"), "{text}");
    // One line for the visit, its lacking measures in one cell.
    assert!(
        text.contains(
            "  Week 3: done 2025-08-11, lacks Total bilirubin, ALT (SGPT), AST (SGOT), Albumin, INR, Creatinine\n"
        ),
        "{text}"
    );
    assert!(!text.contains("days late"), "nothing is late: {text}");
    let out = clinilog(&["due", "--db", path_arg(&db), "--week", "2025-08-13", "--csv"]);
    assert!(out.status.success());
    let csv = stdout(&out);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("mrn,name,protocol,item,status,date,days_late,missing_measures,text")
    );
    let rows: Vec<&str> = lines.collect();
    assert!(
        rows.contains(&"DEMO-001,Demo: cirrhosis case report,\"MSC + exosomes, 3 cycles\",Week 4,due,2025-08-16,0,,Week 4: due (planned 2025-08-16)"),
        "{csv}"
    );
    assert!(
        rows.iter().any(|r| r.contains(
            ",Week 3,missing,2025-08-11,0,bili_total;alt;ast;albumin;inr;creatinine,\"Week 3: done 2025-08-11, lacks"
        )),
        "{csv}"
    );
    // Long after, days 90 and 180 (never recorded: the case report ends at
    // day 30) have left the week's list: missed, listed with --missed.
    let out = clinilog(&["due", "--db", path_arg(&db), "--week", "2026-11-30"]);
    let text = stdout(&out);
    assert!(text.contains("2 missed apart: clinilog due --missed"), "{text}");
    assert!(!text.contains("Day 90") && !text.contains("Day 180"), "{text}");
    let out = clinilog(&["due", "--db", path_arg(&db), "--week", "2026-11-30", "--missed"]);
    let text = stdout(&out);
    assert!(
        text.contains("  Day 90: missed (planned 2025-10-17, 409 days ago)"),
        "{text}"
    );
    assert!(
        text.contains("  Day 180: missed (planned 2026-01-15, 319 days ago)"),
        "{text}"
    );
    assert!(!text.contains("Day 30"), "only the missed: {text}");
    let out = clinilog(&[
        "due",
        "--db",
        path_arg(&db),
        "--week",
        "2026-11-30",
        "--missed",
        "--csv",
    ]);
    let csv = stdout(&out);
    assert_eq!(csv.lines().filter(|l| l.contains(",missed,")).count(), 2, "{csv}");
    // A month later nothing was recorded after 19 Aug: the day-90 visit is
    // not yet due, so nothing is listed... until its week.
    let out = clinilog(&["due", "--db", path_arg(&db), "--week", "2025-10-15"]);
    assert!(
        stdout(&out).contains("Day 90: due (planned 2025-10-17)"),
        "{}",
        stdout(&out)
    );
    // Closing day 90 as not done: a visit that is not late is refused with
    // those that are, a reason is needed; closed, it leaves the missed list.
    let not_done = |item: &str, reason: &str| {
        clinilog(&[
            "not-done",
            "--db",
            path_arg(&db),
            "--patient",
            "DEMO-001",
            "--item",
            item,
            "--reason",
            reason,
            "--user",
            "Dr Imani",
        ])
    };
    let out = not_done("Day 30", "x");
    assert_fails_cleanly(
        &out,
        "--item \"Day 30\" is not a late or missed visit or cycle of DEMO-001; those are: Day 90",
    );
    let out = not_done("Day 90", "  ");
    assert_fails_cleanly(&out, "Reason: say why it was not done");
    let out = not_done("Day 90", "patient moved abroad");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "closed Day 90 (planned 2025-10-17) of DEMO-001 as not done: patient moved abroad\n"
    );
    let out = clinilog(&["due", "--db", path_arg(&db), "--week", "2026-11-30", "--missed"]);
    let text = stdout(&out);
    assert!(!text.contains("Day 90") && text.contains("Day 180: missed"), "{text}");
    // Within four weeks of its window closing, day 90 would have been late;
    // closed, it is not on that week's list either.
    let out = clinilog(&["due", "--db", path_arg(&db), "--week", "2025-11-10"]);
    assert!(!stdout(&out).contains("Day 90"), "{}", stdout(&out));
    // A protocol nobody is on is named with those that are.
    let out = clinilog(&["due", "--db", path_arg(&db), "--protocol", "Other"]);
    assert_fails_cleanly(&out, "protocols in this file: MSC + exosomes, 3 cycles");
    let out = clinilog(&["due", "--db", path_arg(&db), "--week", "13/08/2025"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--week"), "{}", stderr(&out));
}

/// `export --adverse-events`: one row per event, codes as stored; an
/// empty record says so without writing a file.
#[test]
fn adverse_events_export_as_csv() {
    use clinilog::domain::adverse::{AdverseEventDraft, Relation};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    assert!(clinilog(&["demo", "--db", path_arg(&db)]).status.success());
    let out = clinilog(&["export", "--db", path_arg(&db), "--adverse-events"]);
    assert_fails_cleanly(&out, "nothing to export: the file has no adverse events recorded");
    {
        let mut store = clinilog::store::FileStore::open(&db).unwrap();
        let demo = store.patient_by_mrn("DEMO-001").unwrap().unwrap();
        let mut d = AdverseEventDraft::blank(jiff::civil::date(2025, 7, 22), Some(1), "Dr Rao");
        d.term = "Fever, with chills".into();
        d.grade = "2".into();
        d.relation = Some(Relation::Possible);
        let data = d.validate(demo.data.birth_date, jiff::civil::date(2025, 9, 1)).unwrap();
        store.add_adverse_event(demo.id, &data, "Dr Rao").unwrap();
    }
    let out = clinilog(&["export", "--db", path_arg(&db), "--adverse-events"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(
            "mrn,onset,term,grade,grade_meaning,serious,relation,cycle,action,outcome,resolved_on,note,recorded_by,event_id"
        )
    );
    assert_eq!(
        lines.next(),
        Some("DEMO-001,2025-07-22,\"Fever, with chills\",2,moderate,no,possible,1,not_changed,ongoing,,,Dr Rao,1")
    );
    assert_eq!(lines.next(), None);
}

/// `clinilog cohort` on the demo: the case report's numbers (baseline
/// 12.30 before the first cycle, 6.50 at day 14, 4.60 at one month,
/// -62.6 %), as text and CSV; SI units convert every value; a wrong measure
/// names the accepted ones.
#[test]
fn cohort_reproduces_the_case_report_as_text_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    assert!(clinilog(&["demo", "--db", path_arg(&db)]).status.success());
    let out = clinilog(&[
        "cohort",
        "--db",
        path_arg(&db),
        "--measure",
        "bili_total",
        "--at",
        "14,30,90",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for expect in [
        "Total bilirubin (mg/dL), day 0 at the first cycle",
        "1 patient; 0 without a day 0 left out",
        "day 0 2025-07-21  baseline 12.30 on 2025-07-19",
        "day 14: 6.50 on 2025-08-04 (-5.80, -47.2%)",
        "day 30: 4.60 on 2025-08-19 (-7.70, -62.6%)",
        "day 90: no value in the window",
        "day 30: n=1, median -7.70 (IQR -7.70 to -7.70); n=1, median -62.6%",
    ] {
        assert!(text.contains(expect), "{expect:?} not in:\n{text}");
    }
    let out = clinilog(&[
        "cohort",
        "--db",
        path_arg(&db),
        "--measure",
        "bili_total",
        "--at",
        "30",
        "--csv",
        "--protocol",
        "MSC + exosomes, 3 cycles",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "patient_id,name,day0,baseline_date,baseline,day30_date,day30,day30_change,day30_change_percent,values,notes\n\
         1,Demo: cirrhosis case report,2025-07-21,2025-07-19,12.30,2025-08-19,4.60,-7.70,-62.6,3,\n"
    );
    let out = clinilog(&[
        "cohort",
        "--db",
        path_arg(&db),
        "--measure",
        "bili_total",
        "--at",
        "30",
        "--si",
    ]);
    assert!(stdout(&out).contains("Total bilirubin (umol/L)"), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("baseline 210.3 on 2025-07-19"),
        "{}",
        stdout(&out)
    );
    let out = clinilog(&["cohort", "--db", path_arg(&db), "--measure", "bilirubin"]);
    assert_fails_cleanly(
        &out,
        "--measure \"bilirubin\" is not a lab measure or a score; use one of: bili_total",
    );
    let out = clinilog(&["cohort", "--db", path_arg(&db), "--measure", "alt", "--enrolment"]);
    assert!(!out.status.success());
}

/// Rows of `clinilog export` as (measure, date, value, flag).
fn exported(db: &Path) -> Vec<(String, String, String, String)> {
    let out = clinilog(&["export", "--db", path_arg(db)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[2].to_owned(), r[1].to_owned(), r[5].to_owned(), r[10].to_owned())
        })
        .collect()
}

/// ALP 13,862 U/L is real (biliary obstruction): `import` holds it back,
/// says why and how to store it; with `--confirm-unusual` it is stored as
/// printed, shows H, and its confirmation is in the audit row. A negative
/// ALP is still refused. A sodium of 115 mmol/L exports as LL.
#[test]
fn an_unusual_value_is_held_back_until_confirmed_and_an_impossible_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite");
    assert!(clinilog(&["demo", "--db", path_arg(&db)]).status.success());
    let file = dir.path().join("cholestasis.csv");
    std::fs::write(
        &file,
        "Patient ID,Collection Date,Test Name,Result,Units,Reference Range\n\
         DEMO-001,2025-09-01,Alk Phos,13862,U/L,40 - 130\n\
         DEMO-001,2025-09-01,S. Sodium,115,mmol/L,135 - 145\n\
         DEMO-001,2025-09-08,Alk Phos,-5,U/L,40 - 130\n",
    )
    .unwrap();
    let import = |extra: &[&str]| {
        let mut a = vec![
            "import",
            "--db",
            path_arg(&db),
            file.to_str().unwrap(),
            "--user",
            "Nurse K",
        ];
        a.extend_from_slice(extra);
        clinilog(&a)
    };
    let out = import(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(
            "held back (unusual): unusual for alkaline phosphatase: 13862 U/L is above the 3000 U/L commonly seen; \
             confirm it is as printed"
        ),
        "{text}"
    );
    assert!(text.contains("import again with --confirm-unusual"), "{text}");
    assert!(text.contains("1 held back as unusual"), "{text}");
    assert!(
        text.contains("rejected: Alkaline phosphatase: \"-5\" is negative"),
        "{text}"
    );
    let rows = exported(&db);
    assert!(
        !rows.iter().any(|r| r.0 == "alp" && r.1 == "2025-09-01"),
        "held back: {rows:?}"
    );
    assert!(
        rows.contains(&("sodium".into(), "2025-09-01".into(), "115".into(), "LL".into())),
        "a critical sodium: {rows:?}"
    );

    let out = import(&["--confirm-unusual"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("imported: 1 new value in 1 entry"),
        "{}",
        stdout(&out)
    );
    let rows = exported(&db);
    assert!(
        rows.contains(&("alp".into(), "2025-09-01".into(), "13862".into(), "H".into())),
        "stored as printed, flagged H: {rows:?}"
    );
    assert!(!rows.iter().any(|r| r.0 == "alp" && r.2 == "-5"), "{rows:?}");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let confirmed: i64 = conn
        .query_row(
            "SELECT count(*) FROM audit_log WHERE after_json LIKE '%\"code\":\"alp\"%' \
             AND after_json LIKE '%\"confirmed_unusual\":true%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(confirmed, 1, "the confirmation is in the audit row of the import");
}

/// A clinic's own call-back list (its mapping file's `[critical]` table,
/// beside the database) replaces the catalog's: sodium 115 is LL under the
/// catalog's 120, only L under a clinic limit of 110.
#[test]
fn a_clinic_sets_its_own_critical_limits_in_its_mapping_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite");
    assert!(clinilog(&["demo", "--db", path_arg(&db)]).status.success());
    let file = dir.path().join("na.csv");
    std::fs::write(
        &file,
        "Patient ID,Collection Date,Test Name,Result,Units,Reference Range\nDEMO-001,2025-09-01,Na,115,mmol/L,135 - 145\n",
    )
    .unwrap();
    let out = clinilog(&[
        "import",
        "--db",
        path_arg(&db),
        file.to_str().unwrap(),
        "--user",
        "Nurse K",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let sodium = |db: &Path| exported(db).into_iter().find(|r| r.0 == "sodium").map(|r| r.3).unwrap();
    assert_eq!(sodium(&db), "LL");
    std::fs::write(
        dir.path().join("clinilog-mapping.toml"),
        "[tests]\n\"NATR\" = \"sodium\"\n\n[critical]\nsodium = { low = 110, high = 165 }\n",
    )
    .unwrap();
    assert_eq!(sodium(&db), "L", "the clinic's limit is 110");
    std::fs::write(
        dir.path().join("clinilog-mapping.toml"),
        "[critical]\nfatigue = { low = 1 }\n",
    )
    .unwrap();
    let out = clinilog(&["export", "--db", path_arg(&db)]);
    assert_fails_cleanly(&out, "[critical] \"fatigue\" is no lab of the catalog");
}

/// `clinilog ARGS` as a user who may not write (`common::run_unprivileged`).
fn clinilog_unprivileged(args: &[&str], spare: &Path) -> Output {
    common::run_unprivileged(Path::new(env!("CARGO_BIN_EXE_clinilog")), args, &[], spare)
}

/// A 0444 file in a 0555 folder (a CD of records, a locked share), read by
/// a user who really cannot write there: every read command succeeds and
/// nothing is written beside the file. A file whose write-ahead log still
/// holds changes is refused in one sentence that says what to do.
#[test]
fn every_read_command_works_on_a_read_only_file_in_a_locked_folder() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let folder = dir.path().join("records");
    std::fs::create_dir(&folder).unwrap();
    let db = folder.join("clinic.sqlite");
    assert!(clinilog(&["demo", "--db", path_arg(&db)]).status.success());
    assert_eq!(common::folder_state(&folder).len(), 1, "the file alone");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o555)).unwrap();
    let before = common::folder_state(&folder);
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    std::fs::set_permissions(&out_dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let report = out_dir.join("report.pdf");
    let commands: [(&[&str], &str); 8] = [
        (&["export"], "DEMO-001,2025-07-19,bili_total"),
        (&["check"], "ok: no problem found"),
        (&["scores", "--patient", "DEMO-001"], "MELD"),
        (&["due", "--week", "2025-08-18"], "DEMO-001"),
        (&["fhir", "--patient", "DEMO-001"], "\"resourceType\": \"Bundle\""),
        (&["cohort", "--measure", "bili_total"], "12.30"),
        (
            &["report", "--patient", "DEMO-001", "--out", report.to_str().unwrap()],
            "",
        ),
        (&["backups"], ""),
    ];
    for (args, expect) in commands {
        let mut a = vec![args[0], "--db", path_arg(&db)];
        a.extend_from_slice(&args[1..]);
        let out = clinilog_unprivileged(&a, dir.path());
        let text = stdout(&out);
        assert!(out.status.success(), "{a:?}: {}{text}", stderr(&out));
        assert!(!stderr(&out).contains("readonly database"), "{a:?}: {}", stderr(&out));
        assert!(text.contains(expect), "{a:?}: {expect:?} not in {text}");
    }
    assert!(report.is_file(), "the report was written where the user may write");
    assert_eq!(
        common::folder_state(&folder),
        before,
        "nothing was written in the folder"
    );

    // Changes still in the log (a writer that stopped without closing): a
    // locked folder cannot recover them, and the refusal says what to do.
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    let pending = dir.path().join("pending");
    std::fs::create_dir(&pending).unwrap();
    let pending_db = pending.join("clinic.sqlite");
    std::fs::copy(&db, &pending_db).unwrap();
    std::fs::set_permissions(&pending_db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let conn = rusqlite::Connection::open(&pending_db).unwrap();
    conn.execute_batch("PRAGMA wal_autocheckpoint = 0; CREATE TABLE scratch (x); INSERT INTO scratch VALUES (1);")
        .unwrap();
    std::mem::forget(conn);
    let mut wal = pending_db.as_os_str().to_owned();
    wal.push("-wal");
    assert!(std::fs::metadata(&wal).unwrap().len() > 0, "the log holds the change");
    let mut shm = pending_db.as_os_str().to_owned();
    shm.push("-shm");
    std::fs::remove_file(&shm).unwrap();
    std::fs::set_permissions(&pending, std::fs::Permissions::from_mode(0o555)).unwrap();
    let out = clinilog_unprivileged(&["export", "--db", path_arg(&pending_db)], dir.path());
    assert_fails_cleanly(&out, "this file has changes in its write-ahead log (");
    assert!(
        stderr(&out).contains("copy the file and its -wal beside it into such a folder"),
        "{}",
        stderr(&out)
    );
    std::fs::set_permissions(&pending, std::fs::Permissions::from_mode(0o755)).unwrap();
}
