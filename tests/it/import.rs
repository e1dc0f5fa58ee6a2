//! Importing lab results from the real files in `tests/data/import/` into
//! real temporary Clinilog files, reopened and checked.

use clinilog::store::ClinicStore;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use clinilog::cli::demo;
use clinilog::domain::Catalog;
use clinilog::domain::import::{DateOrder, LineStatus, LocalCodes};
use clinilog::interop::import::{ImportError, ImportOptions, ImportSummary, PreviewLine, Watch, import_file};
use clinilog::store::FileStore;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/import")
        .join(name)
}

fn options() -> ImportOptions {
    ImportOptions {
        format: None,
        dates: None,
        create_patients: false,
        patient: None,
        local_codes: LocalCodes::default(),
        user: "Nurse Import".to_owned(),
        today: jiff::civil::date(2026, 11, 22),
        keep_lines: 10_000,
        confirm_unusual: clinilog::interop::import::ConfirmUnusual::None,
    }
}

/// A file holding the demo patient (DEMO-001), in a temporary folder.
fn demo_file() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite");
    demo::write_demo(
        &mut FileStore::open(&db).unwrap(),
        &Catalog::builtin().unwrap(),
        options().today,
    )
    .unwrap();
    (dir, db)
}

fn run(db: &Path, file: &Path, opts: &ImportOptions, write: bool) -> Result<ImportSummary, ImportError> {
    run_with(db, file, opts, write, &AtomicBool::new(false), &mut |_| {})
}

/// An import that `on_line` follows line by line; setting `cancel` stops it.
fn run_with(
    db: &Path,
    file: &Path,
    opts: &ImportOptions,
    write: bool,
    cancel: &AtomicBool,
    on_line: &mut dyn FnMut(&PreviewLine),
) -> Result<ImportSummary, ImportError> {
    let catalog = Catalog::builtin().unwrap();
    let mut store = FileStore::open(db).unwrap();
    import_file(
        &mut store,
        &catalog,
        file,
        opts,
        write,
        &Watch {
            progress: &|_| {},
            cancel,
        },
        on_line,
    )
}

/// Observations, entries, patients and audit rows in the file, reopened.
fn counts(db: &Path) -> (i64, i64, i64, i64) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let n = |t: &str| {
        conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
            .unwrap()
    };
    (n("observations"), n("entries"), n("patients"), n("audit_log"))
}

fn line(s: &ImportSummary, n: u64, measure: &str) -> PreviewLine {
    s.lines
        .iter()
        .find(|l| l.line == n && l.measure.as_deref() == Some(measure))
        .unwrap_or_else(|| panic!("line {n} {measure}: {:#?}", s.lines))
        .clone()
}

fn reason(l: &PreviewLine) -> &str {
    l.status.reason()
}

#[test]
fn a_european_spreadsheet_registers_its_patient_and_reads_commas_units_and_dates() {
    let (_dir, db) = demo_file();
    let file = data("european_long.csv");
    let opts = ImportOptions {
        dates: Some(DateOrder::Dmy),
        create_patients: true,
        ..options()
    };
    let s = run(&db, &file, &opts, true).unwrap();
    assert!(
        s.shape.contains("long") && s.shape.contains("semicolons"),
        "{}",
        s.shape
    );
    assert_eq!(
        (s.new, s.rejected, s.skipped, s.entries),
        (6, 1, 1, 2),
        "{}",
        s.counts_text()
    );
    assert_eq!(s.patients_created, vec!["A-100".to_owned()]);
    let bili = line(&s, 2, "bili_total");
    assert_eq!(
        (bili.value.as_str(), bili.interval.as_str(), bili.flag.as_str()),
        ("12,30", "0.1 - 1.2", "H")
    );
    assert_eq!(bili.date_read(), "2025-08-04 (4 Aug 2025)");
    // Windows-1252 µ, and a thousands point beside a decimal comma.
    assert_eq!(line(&s, 8, "creatinine").unit, "umol/L");
    assert!(reason(s.lines.iter().find(|l| l.line == 9).unwrap()).contains("unknown test \"Ferritin\""));
    assert_eq!(s.unknown_tests.get("Ferritin"), Some(&1));

    let store = FileStore::open(&db).unwrap();
    let p = store
        .patient_by_mrn("A-100")
        .unwrap()
        .expect("registered from the file");
    assert_eq!(
        (p.data.name.as_str(), p.data.birth_date.to_string()),
        ("Anna Weber", "1970-01-02".to_owned())
    );
    let entries = store.entries(p.id).unwrap();
    assert_eq!(entries.len(), 2);
    let aug11 = &entries[0].data;
    let crea = aug11.lab("creatinine").unwrap();
    assert_eq!((crea.value.as_str(), crea.unit.as_str()), ("1234.0", "umol/L"));
    let aug4 = &entries[1].data;
    let b = aug4.lab("bili_total").unwrap();
    assert_eq!(
        (b.value.as_str(), b.unit.as_str(), b.reference.describe()),
        ("12.30", "mg/dL", "0.1 - 1.2".to_owned())
    );
    assert_eq!(aug4.lab("alt").unwrap().reference.describe(), "up to 40");
    // One audit row per entry, naming the file and its SHA-256.
    let audit = store.history(p.id).unwrap();
    let reasons: Vec<_> = audit.iter().filter_map(|a| a.reason.clone()).collect();
    assert_eq!(reasons.len(), 3, "the patient and two entries: {audit:#?}");
    assert!(
        reasons
            .iter()
            .all(|r| r.contains("european_long.csv") && r.contains(&s.sha256))
    );
    assert_eq!(s.sha256.len(), 64);
    assert!(
        store.check(&Catalog::builtin().unwrap()).unwrap().is_empty(),
        "the file check passes"
    );
}

#[test]
fn the_same_file_twice_adds_nothing_and_an_export_round_trips() {
    let (dir, db) = demo_file();
    let opts = ImportOptions {
        dates: Some(DateOrder::Dmy),
        create_patients: true,
        ..options()
    };
    let file = data("european_long.csv");
    run(&db, &file, &opts, true).unwrap();
    let before = counts(&db);
    let again = run(&db, &file, &opts, true).unwrap();
    assert_eq!(
        (again.new, again.present, again.written),
        (0, 6, false),
        "{}",
        again.counts_text()
    );
    assert_eq!(counts(&db), before);

    // Clinilog's own export, into a fresh file with the same patients.
    let exported = dir.path().join("export.csv");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_clinilog"))
        .args([
            "export",
            "--db",
            db.to_str().unwrap(),
            "--out",
            exported.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        std::fs::read(&exported).unwrap().starts_with(b"\xEF\xBB\xBF"),
        "a CSV file starts with the BOM"
    );
    let back = run(&db, &exported, &options(), true).unwrap();
    assert_eq!(
        back.new,
        0,
        "{:#?}",
        back.lines
            .iter()
            .filter(|l| l.status != LineStatus::Present)
            .collect::<Vec<_>>()
    );
    assert_eq!(back.present, before.0 as u64);
}

#[test]
fn every_hostile_line_gets_its_own_reason_and_the_good_ones_are_kept() {
    let (_dir, db) = demo_file();
    let opts = ImportOptions {
        dates: Some(DateOrder::Mdy),
        ..options()
    };
    let s = run(&db, &data("portal_long.csv"), &opts, true).unwrap();
    let why = |n: u64| reason(s.lines.iter().find(|l| l.line == n).unwrap()).to_owned();
    assert!(
        why(2).contains("6.50 mg/dL is stored"),
        "a conflict names the stored value: {}",
        why(2)
    );
    assert!(matches!(line(&s, 2, "bili_total").status, LineStatus::Conflict(_)));
    assert!(why(5).contains("could be 1234 or 1.234"), "{}", why(5));
    assert!(why(8).contains("same value as line 2"), "{}", why(8));
    assert!(why(10).contains("line 9 gives another INR"), "{}", why(10));
    assert!(why(11).contains("exponent"), "{}", why(11));
    assert!(why(12).contains("not a finite number"), "{}", why(12));
    assert!(why(13).contains("more than one decimal separator"), "{}", why(13));
    assert!(
        why(14).contains("unit \"mmol/L\" is not mg/dL or umol/L"),
        "{}",
        why(14)
    );
    assert!(why(15).contains("has no unit"), "{}", why(15));
    assert!(why(16).contains("in the future"), "{}", why(16));
    assert!(why(17).contains("before the patient's birth date"), "{}", why(17));
    assert!(why(18).contains("not a date in month/day/year"), "{}", why(18));
    assert!(why(19).contains("NOBODY-9 is not registered"), "{}", why(19));
    assert!(why(22).contains("above the total bilirubin"), "{}", why(22));
    assert_eq!(
        line(&s, 21, "bili_total").status,
        LineStatus::New,
        "the total stays; the direct part goes"
    );
    // 44 U/L with the unit in the cell, a printed "up to 40".
    let alt = line(&s, 3, "alt");
    assert_eq!(
        (alt.unit.as_str(), alt.interval.as_str(), alt.flag.as_str()),
        ("U/L", "up to 40", "H")
    );
    assert!(s.written);
    let store = FileStore::open(&db).unwrap();
    let demo = store.patient_by_mrn("DEMO-001").unwrap().unwrap();
    let aug4: Vec<_> = store
        .entries(demo.id)
        .unwrap()
        .into_iter()
        .filter(|e| e.data.collected_on.to_string() == "2025-08-04")
        .collect();
    assert_eq!(aug4.len(), 2, "the typed entry and the imported one");
    let imported = aug4.iter().find(|e| e.data.lab("alt").is_some()).unwrap();
    assert_eq!(imported.data.lab("ast").unwrap().value_text(), "<10");
    assert!(
        imported.data.lab("bili_total").is_none(),
        "a conflicting value is not written"
    );
}

#[test]
fn a_wide_flowsheet_without_an_mrn_column_goes_to_the_chosen_patient() {
    let (_dir, db) = demo_file();
    let refused = run(&db, &data("wide_flowsheet.csv"), &options(), true).unwrap_err();
    assert!(refused.to_string().contains("--patient"), "{refused}");
    let opts = ImportOptions {
        patient: Some("DEMO-001".to_owned()),
        ..options()
    };
    let s = run(&db, &data("wide_flowsheet.csv"), &opts, true).unwrap();
    assert!(s.shape.contains("wide"), "{}", s.shape);
    assert_eq!(line(&s, 2, "bili_total").status, LineStatus::Present);
    assert!(matches!(line(&s, 2, "ast").status, LineStatus::Conflict(_)));
    assert_eq!(line(&s, 4, "fatigue").status, LineStatus::New);
    assert!(s.lines.iter().any(|l| l.line == 3 && reason(l) == "no value (\"--\")"));
    assert_eq!(s.entries, 4);
}

#[test]
fn hl7_messages_register_their_patients_and_import_only_final_results() {
    let (_dir, db) = demo_file();
    let opts = ImportOptions {
        create_patients: true,
        ..options()
    };
    let s = run(&db, &data("oru_two_patients.hl7"), &opts, true).unwrap();
    assert_eq!(s.shape, "HL7 v2, 2 messages");
    assert_eq!(s.patients_created, vec!["A-200".to_owned(), "A-201".to_owned()]);
    assert!(reason(s.lines.iter().find(|l| l.line == 8).unwrap()).contains("status P (preliminary)"));
    assert_eq!(
        line(&s, 6, "alt").status,
        LineStatus::New,
        "a local code with its LOINC alternate"
    );
    let store = FileStore::open(&db).unwrap();
    let a200 = store.patient_by_mrn("A-200").unwrap().unwrap();
    assert_eq!(a200.data.name, "Jürgen Müller", "MSH-18 8859/1 decoded");
    let entries = store.entries(a200.id).unwrap();
    assert_eq!(entries.len(), 1, "two OBR groups of one date make one entry");
    let e = &entries[0].data;
    assert_eq!(e.lab("ast").unwrap().value_text(), "<10");
    assert_eq!(e.lab("inr").unwrap().value.as_str(), "1.5");
    assert!(e.lab("albumin").is_none(), "a preliminary result is not imported");
    let a201 = store.patient_by_mrn("A-201").unwrap().unwrap();
    let b = store.entries(a201.id).unwrap()[0]
        .data
        .lab("bili_total")
        .unwrap()
        .clone();
    assert_eq!((b.value.as_str(), b.unit.as_str()), ("14.6", "umol/L"));

    let cut = run(&db, &data("oru_cut.hl7"), &opts, true).unwrap();
    assert!(reason(cut.lines.iter().find(|l| l.line == 5).unwrap()).contains("cut"));
}

#[test]
fn files_that_are_not_results_are_refused_and_nothing_changes() {
    let (dir, db) = demo_file();
    let before = counts(&db);
    for (name, expect) in [("empty.csv", "empty"), ("binary.csv", "not a text file")] {
        let e = run(&db, &data(name), &options(), true).unwrap_err();
        assert!(
            matches!(e, ImportError::Refused(_)) && e.to_string().contains(expect),
            "{name}: {e}"
        );
    }
    let e = run(
        &db,
        &data("portal_long.csv"),
        &ImportOptions {
            format: Some(clinilog::interop::import::Format::Hl7),
            ..options()
        },
        true,
    )
    .unwrap_err();
    assert!(e.to_string().contains("MSH"), "{e}");
    let wide = dir.path().join("wide.csv");
    std::fs::write(
        &wide,
        format!(
            "mrn,date,test,value\nDEMO-001,2025-08-01,ALT,70{}\n",
            ",1".repeat(10_000)
        ),
    )
    .unwrap();
    let s = run(&db, &wide, &options(), true).unwrap();
    assert!(reason(&s.lines[0]).contains("10004 fields"), "{:?}", s.lines[0]);
    assert_eq!(counts(&db), before);
}

/// Stops the import when the file's last line has been read.
fn cancelled_on_the_last_line(
    db: &Path,
    file: &Path,
    opts: &ImportOptions,
    last: u64,
) -> Result<ImportSummary, ImportError> {
    let cancel = AtomicBool::new(false);
    run_with(db, file, opts, true, &cancel, &mut |l| {
        if l.line == last {
            cancel.store(true, Ordering::Relaxed);
        }
    })
}

#[test]
fn an_import_stopped_at_its_last_line_leaves_nothing_written() {
    let (_dir, db) = demo_file();
    let before = counts(&db);
    let opts = ImportOptions {
        dates: Some(DateOrder::Dmy),
        create_patients: true,
        ..options()
    };
    let e = cancelled_on_the_last_line(&db, &data("european_long.csv"), &opts, 9).unwrap_err();
    assert!(matches!(e, ImportError::Cancelled), "{e}");
    assert_eq!(counts(&db), before, "no patient, entry, value or audit row");
    assert!(FileStore::open(&db).unwrap().patient_by_mrn("A-100").unwrap().is_none());
}

#[test]
fn a_preview_writes_nothing_and_says_what_an_import_would_do() {
    let (_dir, db) = demo_file();
    let before = counts(&db);
    let opts = ImportOptions {
        create_patients: true,
        ..options()
    };
    let preview = run(&db, &data("oru_two_patients.hl7"), &opts, false).unwrap();
    assert_eq!(counts(&db), before);
    assert!(!preview.written);
    let done = run(&db, &data("oru_two_patients.hl7"), &opts, true).unwrap();
    assert_eq!(
        (preview.new, preview.entries, preview.patients_created.clone()),
        (done.new, done.entries, done.patients_created.clone())
    );
    assert_eq!(preview.lines, done.lines);
}

#[test]
fn a_clinic_mapping_file_beside_the_database_maps_its_own_codes() {
    let (dir, db) = demo_file();
    std::fs::write(
        dir.path().join("clinilog-mapping.toml"),
        "[tests]\n\"Fibrinogen\" = \"albumin\"\n",
    )
    .unwrap();
    let catalog = Catalog::builtin().unwrap();
    let codes =
        clinilog::interop::import::local_codes_for(&clinilog::store::Location::File(db.clone()), None, &catalog)
            .unwrap();
    assert_eq!(codes.len(), 1);
    std::fs::write(
        dir.path().join("clinilog-mapping.toml"),
        "[tests]\n\"Q\" = \"nothing\"\n",
    )
    .unwrap();
    let e = clinilog::interop::import::local_codes_for(&clinilog::store::Location::File(db.clone()), None, &catalog)
        .unwrap_err();
    assert!(e.contains("clinilog-mapping.toml") && e.contains("nothing"), "{e}");
}

#[test]
fn bilirubin_parts_are_checked_against_what_is_stored_for_the_date_too() {
    let (dir, db) = demo_file();
    let file = dir.path().join("parts.csv");
    let import_one = |line: &str| {
        std::fs::write(&file, format!("mrn,date,test,value,unit\n{line}\n")).unwrap();
        run(&db, &file, &options(), true).unwrap().lines.remove(0)
    };
    // A part above a stored total is refused...
    assert_eq!(
        import_one("DEMO-001,2025-08-26,Total bilirubin,2.0,mg/dL").status,
        LineStatus::New
    );
    let part = import_one("DEMO-001,2025-08-26,Direct bilirubin,3.0,mg/dL");
    assert!(reason(&part).contains("above the total bilirubin 2.0"), "{part:?}");
    // ...and so is a total below a stored part.
    assert_eq!(
        import_one("DEMO-001,2025-08-27,Direct bilirubin,3.0,mg/dL").status,
        LineStatus::New
    );
    let total = import_one("DEMO-001,2025-08-27,Total bilirubin,1.0,mg/dL");
    assert!(reason(&total).contains("the part is stored for this date"), "{total:?}");
    let store = FileStore::open(&db).unwrap();
    let demo = store.patient_by_mrn("DEMO-001").unwrap().unwrap();
    let on = |d: &str| {
        store
            .entries(demo.id)
            .unwrap()
            .into_iter()
            .filter(|e| e.data.collected_on.to_string() == d)
            .flat_map(|e| e.data.labs)
            .map(|l| l.code)
            .collect::<Vec<_>>()
    };
    assert_eq!(on("2025-08-26"), vec!["bili_total".to_owned()]);
    assert_eq!(on("2025-08-27"), vec!["bili_direct".to_owned()]);
}

/// A write that fails on the file's last entry (SQLite refuses it: a
/// trigger stands in for a disk error) leaves nothing of the import: not
/// the patient it registered, not the entries written before.
#[test]
fn a_failure_while_writing_the_last_entry_leaves_nothing_written() {
    let (_dir, db) = demo_file();
    let before = counts(&db);
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER fail_on_creatinine BEFORE INSERT ON observations WHEN NEW.measure_code = 'creatinine'
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
        )
        .unwrap();
    let opts = ImportOptions {
        dates: Some(DateOrder::Dmy),
        create_patients: true,
        ..options()
    };
    let e = run(&db, &data("european_long.csv"), &opts, true).unwrap_err();
    assert!(
        matches!(e, ImportError::Store(_)) && e.to_string().contains("injected failure"),
        "{e}"
    );
    assert_eq!(counts(&db), before);
    assert!(FileStore::open(&db).unwrap().patient_by_mrn("A-100").unwrap().is_none());
}

#[test]
fn an_imported_value_says_how_its_comma_was_read_and_when_the_file_flag_disagrees() {
    let (dir, db) = demo_file();
    let file = dir.path().join("notes.csv");
    std::fs::write(
        &file,
        "mrn,date,test,value,unit,reference_range,flag\nDEMO-001,2025-08-26,Creatinine,\"1,234\",mg/dL,0.7 - 1.3,L\n",
    )
    .unwrap();
    let s = run(&db, &file, &options(), true).unwrap();
    let l = &s.lines[0];
    assert_eq!(l.status, LineStatus::New);
    assert_eq!(
        l.note,
        "the comma read as a decimal point: 1.234; the file flags it L; against the interval 0.7 - 1.3 it reads within it"
    );
    assert_eq!(l.flag, "", "the stored flag is the interval's");
}

#[test]
fn a_file_with_mixed_encodings_reads_each_line_in_its_own() {
    let (_dir, db) = demo_file();
    let s = run(&db, &data("mixed_encodings.csv"), &options(), true).unwrap();
    assert_eq!((s.new, s.rejected), (2, 0), "{:#?}", s.lines);
    assert_eq!(line(&s, 2, "bili_total").unit, "umol/L");
    assert_eq!(line(&s, 3, "creatinine").unit, "umol/L");
}
