//! The SQLite file itself on real temporary files (what both backends share
//! is in backends.rs): write, close, reopen, compare;
//! refuse what is not ours and leave it untouched; audit every write.

use clinilog::store::ClinicStore;
use std::fs;
use std::path::Path;

use clinilog::domain::catalog::UnitSystem;
use clinilog::domain::history::{AuditAction, RecordKind};
use clinilog::domain::trend::lab_series;
use clinilog::domain::{Catalog, EntryDraft, PatientDraft, Sex, TreatmentDraft};
use clinilog::store::{DraftKey, FileStore, StoreError, schema};
use jiff::civil::date;

fn today() -> jiff::civil::Date {
    date(2025, 9, 1)
}

fn patient_draft(mrn: &str) -> PatientDraft {
    PatientDraft {
        mrn: mrn.into(),
        name: "Ana Diaz".into(),
        birth_date: "1974-01-15".into(),
        sex: Some(Sex::Female),
        diagnosis: "Cirrhosis (MASH)".into(),
        enrolled: "2025-07-19".into(),
        notes: String::new(),
    }
}

fn entry_draft(catalog: &Catalog, on: &str, values: &[(&str, &str)]) -> EntryDraft {
    let mut d = EntryDraft::blank(catalog, Sex::Female, date(2025, 7, 19), "Dr Rao");
    d.collected_on = on.into();
    for (code, v) in values {
        if let Some(l) = d.labs.iter_mut().find(|l| l.code == *code) {
            l.value = (*v).into();
        } else {
            d.symptoms.iter_mut().find(|s| s.code == *code).unwrap().value = (*v).into();
        }
    }
    d
}

fn bytes(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap()
}

#[test]
fn a_new_or_empty_file_is_migrated_to_the_latest_schema() {
    let dir = tempfile::tempdir().unwrap();
    for path in [dir.path().join("new.sqlite"), dir.path().join("empty.sqlite")] {
        if path.ends_with("empty.sqlite") {
            fs::write(&path, b"").unwrap();
        }
        let store = FileStore::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), schema::latest_version());
        drop(store);
        let conn = rusqlite::Connection::open(&path).unwrap();
        let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0)).unwrap();
        assert_eq!(app, schema::APPLICATION_ID);
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            tables,
            [
                "adverse_events",
                "audit_log",
                "documents",
                "drafts",
                "entries",
                "entry_documents",
                "no_adverse_events",
                "observations",
                "patients",
                "plan_closures",
                "plan_shifts",
                "protocol_assignments",
                "treatment_events"
            ]
        );
        let index: String = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE name = 'observations_by_patient_measure_date'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(index.contains("patient_id, measure_code, collected_on"), "{index}");
    }
}

#[test]
fn a_newer_schema_is_refused_and_left_byte_for_byte_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.sqlite");
    let mut store = FileStore::open(&path).unwrap();
    store
        .create_patient(&patient_draft("MRN-1").validate(today()).unwrap(), "Dr Rao")
        .unwrap();
    drop(store);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let before = bytes(&path);
    let err = FileStore::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::NewerSchema { found: 99, .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("newer Clinilog") && msg.contains("future.sqlite") && !msg.contains('\n'),
        "{msg}"
    );
    assert_eq!(bytes(&path), before);
}

#[test]
fn files_that_are_not_clinilog_databases_are_refused_and_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    fs::write(&text, "weekly notes, not a database\n".repeat(10)).unwrap();
    let foreign = dir.path().join("other.sqlite");
    {
        let conn = rusqlite::Connection::open(&foreign).unwrap();
        conn.execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
            .unwrap();
    }
    for path in [&text, &foreign] {
        let before = bytes(path);
        let err = FileStore::open(path).unwrap_err();
        assert!(matches!(err, StoreError::NotClinilog(_)), "{err:?}");
        assert!(err.to_string().starts_with("not a Clinilog database"));
        assert_eq!(bytes(path), before, "{} was changed", path.display());
    }
    let missing = dir.path().join("no/such/folder/clinic.sqlite");
    let err = FileStore::open(&missing).unwrap_err();
    assert!(matches!(err, StoreError::MissingDirectory(_)), "{err:?}");
    assert!(!missing.exists());
}

#[test]
fn export_data_lists_entries_oldest_first_and_rejects_unknown_mrn() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = FileStore::open(dir.path().join("export.sqlite")).unwrap();
    let catalog = Catalog::builtin().unwrap();
    let patient = store
        .create_patient(&patient_draft("MRN-1").validate(today()).unwrap(), "Dr Rao")
        .unwrap();
    for on in ["2025-08-04", "2025-07-19"] {
        let data = entry_draft(&catalog, on, &[("alt", "60")])
            .validate(&catalog, Sex::Female, date(1974, 1, 15), today())
            .unwrap();
        store.record_entry(patient.id, &data, "Dr Rao").unwrap();
    }
    let rows = store.patients_with_entries(Some("MRN-1")).unwrap();
    let dates: Vec<_> = rows[0].1.iter().map(|e| e.data.collected_on.to_string()).collect();
    assert_eq!(dates, ["2025-07-19", "2025-08-04"]);
    assert!(matches!(
        store.patients_with_entries(Some("NOPE")),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn a_file_left_by_a_crash_opens_with_what_its_write_ahead_log_holds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crashed.sqlite");
    let mut store = FileStore::open(&path).unwrap();
    store
        .create_patient(&patient_draft("MRN-1").validate(today()).unwrap(), "Dr Rao")
        .unwrap();
    // No clean close: the schema and the patient stay in the -wal file,
    // and the main file's header still reads as an empty database.
    std::mem::forget(store);
    let header = bytes(&path);
    assert_eq!(
        &header[68..72],
        &[0, 0, 0, 0],
        "test premise: header not yet checkpointed"
    );

    let store = FileStore::open(&path).unwrap();
    assert!(store.patient_by_mrn("MRN-1").unwrap().is_some());
}

fn validated(catalog: &Catalog, on: &str, values: &[(&str, &str)]) -> clinilog::domain::EntryData {
    entry_draft(catalog, on, values)
        .validate(catalog, Sex::Female, date(1974, 1, 15), today())
        .unwrap()
}

#[test]
fn a_version_1_file_is_migrated_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(schema::MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.pragma_update(None, "application_id", schema::APPLICATION_ID)
            .unwrap();
        conn.execute_batch(
            "INSERT INTO patients (id, mrn, name, birth_date, sex, enrolled, created_at)
                 VALUES (1, 'OLD-1', 'Old Patient', '1960-01-01', 'male', '2025-01-01', '2025-01-01T00:00:00Z');
             INSERT INTO entries (id, patient_id, collected_on, recorded_by, recorded_at)
                 VALUES (1, 1, '2025-01-08', 'Dr Rao', '2025-01-08T09:00:00Z');
             INSERT INTO observations (entry_id, patient_id, collected_on, measure_code, kind, value_text, value, unit,
                 ref_low, ref_high, ref_source, flag)
                 VALUES (1, 1, '2025-01-08', 'bili_total', 'lab', '2.40', 2.4, 'mg/dL', '0.1', '1.2', 'catalog', 'H');",
        )
        .unwrap();
    }
    let store = FileStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::latest_version());
    let entries = store.entries(1).unwrap();
    assert_eq!(entries[0].data.lab("bili_total").unwrap().display(), "2.40 H");
}

#[test]
fn a_treatment_kind_this_build_does_not_know_is_reported_not_renamed() {
    let (_dir, path, mut store, patient) = file_with_patient();
    let mut draft = TreatmentDraft::blank(date(2025, 7, 21), "Dr Rao");
    draft.product = "AD-MSC".into();
    store
        .add_treatment(
            patient.id,
            &draft.validate(date(1974, 1, 15), today()).unwrap(),
            "Dr Rao",
        )
        .unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("UPDATE treatment_events SET kind = 'laser'", []).unwrap();
    drop(conn);
    let store = FileStore::open(&path).unwrap();
    let err = store.treatments(patient.id).unwrap_err();
    assert!(
        matches!(err, StoreError::Corrupt { .. }) && err.to_string().contains("laser"),
        "{err}"
    );
}

#[test]
fn a_voided_entry_never_reaches_a_trend_series() {
    let (_dir, path, mut store, patient) = file_with_patient();
    let catalog = Catalog::builtin().unwrap();
    let mut recorded = Vec::new();
    for (on, alt) in [("2025-07-19", "60"), ("2025-08-04", "70"), ("2025-08-19", "80")] {
        let data = entry_draft(&catalog, on, &[("alt", alt)])
            .validate(&catalog, Sex::Male, date(1974, 1, 15), today())
            .unwrap();
        recorded.push(store.record_entry(patient.id, &data, "Dr Rao").unwrap());
    }
    store.void_entry(&recorded[1], "wrong patient", "Dr Rao").unwrap();
    drop(store);

    let store = FileStore::open(&path).unwrap();
    let entries = store.entries(patient.id).unwrap();
    let series = lab_series(&entries, &catalog, Sex::Male, UnitSystem::Conventional);
    let alt = series.iter().find(|s| s.code == "alt").unwrap();
    let points: Vec<_> = alt
        .points
        .iter()
        .map(|p| (p.date.to_string(), p.value_text.clone()))
        .collect();
    assert_eq!(
        points,
        [
            ("2025-07-19".to_owned(), "60".to_owned()),
            ("2025-08-19".to_owned(), "80".to_owned())
        ]
    );
    assert!(alt.points.iter().all(|p| p.entry_id != recorded[1].id));
}

/// A file written before one unit per line may hold a value in umol/L
/// with an interval printed in mg/dL, flagged H. Read back, that line has
/// no flag and says why; a line written now keeps its flag.
#[test]
fn a_stored_line_whose_interval_is_in_another_unit_is_shown_without_a_flag() {
    let (_dir, path, mut store, patient) = file_with_patient();
    let catalog = Catalog::builtin().unwrap();
    let mut data = entry_draft(&catalog, "2025-08-04", &[("bili_total", "12.3 umol/L"), ("alt", "60")])
        .validate(&catalog, Sex::Female, date(1974, 1, 15), today())
        .unwrap();
    // What the build before one unit per line wrote: the mg/dL interval
    // and H, in the record and in its audit row alike, and no interval unit.
    let bili = data.labs.iter_mut().find(|l| l.code == "bili_total").unwrap();
    bili.reference.low = Some(clinilog::domain::Decimal::parse("0.0").unwrap());
    bili.reference.high = Some(clinilog::domain::Decimal::parse("1.0").unwrap());
    bili.flag = clinilog::domain::Flag::High;
    store.record_entry(patient.id, &data, "Dr Rao").unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER observations_no_update;
         UPDATE observations SET ref_unit = NULL WHERE measure_code = 'bili_total';",
    )
    .unwrap();
    drop(conn);

    let store = FileStore::open(&path).unwrap();
    // The file check reports the line.
    let problems = store.check(&catalog).unwrap();
    assert!(
        problems.len() == 1
            && problems[0].contains(
                "Total bilirubin 12.3 umol/L is stored with the interval 0.0 - 1.0, which looks like another unit"
            ),
        "{problems:?}"
    );
    let mut entries = store.entries(patient.id).unwrap();
    let bili = entries[0].data.lab("bili_total").unwrap();
    assert_eq!(
        (bili.flag, bili.unit_checked),
        (clinilog::domain::Flag::High, false),
        "as stored"
    );
    entries[0].data.mark_flags(&catalog, Sex::Female);
    let bili = entries[0].data.lab("bili_total").unwrap();
    assert!(bili.interval_doubt);
    assert_eq!(bili.flag, clinilog::domain::Flag::Normal);
    assert_eq!(bili.display(), "12.3 ?");
    let alt = entries[0].data.lab("alt").unwrap();
    assert!(alt.unit_checked && !alt.interval_doubt);
    assert_eq!(alt.display(), "60 H", "a line written with its unit keeps its flag");
    // The list's out-of-range filter reads the flags the same way.
    let out_of_range =
        clinilog::ui::patients::OutOfRange::read(&store, &store.patient_summaries().unwrap(), &catalog).unwrap();
    assert_eq!((out_of_range.count("bili_total"), out_of_range.count("alt")), (0, 1));
    // In the plots: no band and no flag for that point.
    let series = lab_series(&entries, &catalog, Sex::Female, UnitSystem::Conventional);
    let point = &series.iter().find(|s| s.code == "bili_total").unwrap().points[0];
    assert_eq!(
        (point.flag, point.low, point.high),
        (clinilog::domain::Flag::Normal, None, None)
    );
    assert!(
        point.reference_text.contains("unit unclear"),
        "{}",
        point.reference_text
    );
}

/// A new file in a temporary folder (kept while the returned guard lives)
/// with one patient, MRN-1.
fn file_with_patient() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    FileStore,
    clinilog::domain::Patient,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.sqlite");
    let mut store = FileStore::open(&path).unwrap();
    let patient = store
        .create_patient(&patient_draft("MRN-1").validate(today()).unwrap(), "Dr Rao")
        .unwrap();
    (dir, path, store, patient)
}

/// The demo patient (and the generated busy one) in a new file.
fn demo_file(busy: bool) -> (tempfile::TempDir, std::path::PathBuf, FileStore) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinic.sqlite");
    let mut store = FileStore::open(&path).unwrap();
    let catalog = Catalog::builtin().unwrap();
    if busy {
        clinilog::cli::demo::write_busy_demo(&mut store, &catalog, today()).unwrap();
    }
    clinilog::cli::demo::write_demo(&mut store, &catalog, today()).unwrap();
    (dir, path, store)
}

#[test]
fn a_backup_is_checked_and_named_only_when_whole_and_a_restore_gives_everything_back() {
    let (dir, path, mut store) = demo_file(false);
    let catalog = Catalog::builtin().unwrap();
    let backups = dir.path().join("backups");
    let taken = store.backup_to(&backups).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(&backups)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names.len(),
        2,
        "the backup and its anchor, no partial file left: {names:?}"
    );
    // Its anchor file holds the chain's head as the backup has it.
    assert_eq!(names[1], format!("{}.anchor", names[0]));
    let anchor = std::fs::read_to_string(backups.join(&names[1])).unwrap();
    assert_eq!(
        Some(anchor.trim().to_owned()),
        taken.anchor.as_ref().map(|a| a.to_string())
    );
    assert_eq!(taken.anchor, store.audit_head().unwrap());
    assert!(
        names[0].starts_with("clinilog-") && names[0].ends_with(".sqlite"),
        "{names:?}"
    );
    assert_eq!((taken.patients, taken.entries), (1, 5));
    let listed = clinilog::store::list_backups(&backups).unwrap();
    assert_eq!(listed, std::slice::from_ref(&taken));
    let before = store.audit_log(None).unwrap();

    // A change after the backup, then the restore takes it back.
    store
        .create_patient(&patient_draft("MRN-9").validate(today()).unwrap(), "Dr Rao")
        .unwrap();
    drop(store);
    let kept = clinilog::store::restore(&path, &taken.path, "Dr Imani").unwrap();
    assert_eq!(kept.patients, 2, "the file as it was is kept first");
    let store = FileStore::open(&path).unwrap();
    assert!(store.patient_by_mrn("MRN-9").unwrap().is_none());
    assert!(store.patient_by_mrn("DEMO-001").unwrap().is_some());
    let after = store.audit_log(None).unwrap();
    assert_eq!(after[..after.len() - 1], before[..], "every audit row back");
    let last = after.last().unwrap();
    assert_eq!(
        (last.action, last.kind, last.user.as_str()),
        (AuditAction::Restore, RecordKind::Database, "Dr Imani")
    );
    assert!(store.check(&catalog).unwrap().is_empty());
    assert_eq!(clinilog::store::list_backups(&backups).unwrap().len(), 2);
}

/// Backups taken while another process writes 260 entries into the same
/// file are each consistent: integrity ok, every entry with all its
/// observations and its audit row, or absent.
#[test]
fn a_backup_taken_while_another_process_writes_is_consistent() {
    let (dir, path, store) = demo_file(false);
    let catalog = Catalog::builtin().unwrap();
    let mut writer = std::process::Command::new(env!("CARGO_BIN_EXE_clinilog"))
        .args(["demo", "--busy", "--db"])
        .arg(&path)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut taken = Vec::new();
    while writer.try_wait().unwrap().is_none() && taken.len() < 40 {
        taken.push(store.backup_to(&dir.path().join("backups")).unwrap());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(writer.wait().unwrap().success());
    let counts: Vec<i64> = taken.iter().map(|b| b.entries).collect();
    for b in &taken {
        let copy = FileStore::open(&b.path).unwrap();
        assert_eq!(
            copy.check(&catalog).unwrap(),
            Vec::<String>::new(),
            "{}",
            b.path.display()
        );
    }
    assert!(taken.len() >= 2, "backups taken while the writer ran: {counts:?}");
    eprintln!("entries in the backups taken while the other process wrote: {counts:?}");
}

#[test]
fn the_check_finds_what_breaks_the_files_rules() {
    let (_dir, path, store) = demo_file(false);
    let catalog = Catalog::builtin().unwrap();
    assert_eq!(store.check(&catalog).unwrap(), Vec::<String>::new());
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "INSERT INTO entries (patient_id, collected_on, note, recorded_by, recorded_at)
             VALUES (1, '2025-09-01', 'no audit', 'x', '2025-09-01T00:00:00Z');
         INSERT INTO drafts (key, json, updated_at) VALUES ('entry:new:1', '{not json', '2025-09-01T00:00:00Z');",
    )
    .unwrap();
    drop(conn);
    let problems = FileStore::open(&path).unwrap().check(&catalog).unwrap();
    assert!(
        problems.iter().any(|p| p.contains("has no audit row of its creation")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("audit row does not hold its values")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("draft \"entry:new:1\" is not readable")),
        "{problems:?}"
    );
}

#[test]
fn a_migration_is_preceded_by_a_backup() {
    let (dir, path, store) = demo_file(false);
    drop(store);
    // The file as the build before schema 3 left it (its audit trail
    // aside: the demo's protocol rows are in it).
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TABLE entry_documents; DROP TABLE documents;
         DROP TABLE plan_closures; DROP TABLE no_adverse_events; DROP TABLE adverse_events; DROP TABLE plan_shifts;
         DROP TABLE protocol_assignments;
         ALTER TABLE observations DROP COLUMN ref_unit;
         DROP TRIGGER audit_log_chained; DROP INDEX audit_log_by_seq;
         ALTER TABLE audit_log DROP COLUMN seq; ALTER TABLE audit_log DROP COLUMN row_hash;
         PRAGMA user_version = 2;",
    )
    .unwrap();
    let before: i64 = conn
        .query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))
        .unwrap();
    drop(conn);
    let store = FileStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::latest_version());
    // The audit rows already there are chained, and a row says so.
    let chain = store.audit_chain().unwrap();
    assert!(chain.is_intact(), "{:?}", chain.problems);
    assert_eq!(chain.rows, before as u64 + 1);
    let last = store.audit_log(None).unwrap().pop().unwrap();
    assert_eq!(
        last.reason.as_deref(),
        Some(format!(
            "audit chain begun: the {before} audit rows already present were chained in id order, as they stood at \
             this update"
        ))
        .as_deref()
    );
    let backups = clinilog::store::list_backups(&dir.path().join("backups")).unwrap();
    assert_eq!(backups.len(), 1);
    let old = rusqlite::Connection::open(&backups[0].path).unwrap();
    let version: i64 = old.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 2, "the backup is the file before the migration");
}

#[test]
fn thinning_removes_exactly_the_backups_the_rule_drops() {
    let (dir, _path, store) = demo_file(false);
    let backups = dir.path().join("backups");
    let one = store.backup_to(&backups).unwrap();
    // Copies named as if taken on fixed days (UTC noon, which is the same local day here or near).
    let days = ["20251220", "20251219", "20251101", "20251102", "20240101"];
    for d in days {
        std::fs::copy(&one.path, backups.join(format!("clinilog-{d}T120000Z.sqlite"))).unwrap();
    }
    std::fs::remove_file(&one.path).unwrap();
    // A file named like a backup that is not Clinilog's is never removed.
    let stranger = backups.join("clinilog-20230101T120000Z.sqlite");
    std::fs::write(&stranger, b"someone else's file").unwrap();
    let removed = clinilog::store::thin_backups(&backups, date(2025, 12, 31)).unwrap();
    assert!(stranger.exists());
    let mut removed: Vec<String> = removed
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    removed.sort();
    // 12-20 and 12-19 are one a day; 11-01 and 11-02 share a month (11-02 is newer); 2024 is too old.
    assert_eq!(
        removed,
        ["clinilog-20240101T120000Z.sqlite", "clinilog-20251101T120000Z.sqlite"]
    );
}

/// A file the user may read but not write opens read-only: it reads, every
/// write is refused with a clear message, and its bytes never change.
#[test]
fn a_read_only_file_opens_read_only_and_stays_byte_for_byte_the_same() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, path, store) = demo_file(false);
    drop(store);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = std::fs::read(&path).unwrap();
    let mut store = FileStore::open(&path).unwrap();
    assert!(store.is_read_only());
    let patient = store.patient_by_mrn("DEMO-001").unwrap().unwrap();
    assert_eq!(store.entries(patient.id).unwrap().len(), 5);
    let err = store
        .create_patient(&patient_draft("MRN-2").validate(today()).unwrap(), "Dr Rao")
        .unwrap_err();
    assert!(err.to_string().starts_with("this file is open read-only"), "{err}");
    assert!(matches!(
        store.save_draft(DraftKey::NewPatient, "{}"),
        Err(StoreError::ReadOnly(_))
    ));
    drop(store);
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

/// A file that fails its integrity check is found by the quick check, and
/// restoring its latest good backup puts a sound file back (the damaged one
/// kept aside). The window part is in `tests/ui.rs`.
#[test]
fn a_damaged_file_is_found_and_restored_from_its_latest_good_backup() {
    let (_dir, path, store) = demo_file(true);
    let backups = clinilog::store::default_backup_dir(&path);
    let good = store.backup_to(&backups).unwrap();
    drop(store);
    // Damage pages in the middle of the file, as a failing disk would.
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 40 * 4096, "test premise: a file of many pages");
    // Far from the schema's pages, which the open itself reads.
    let middle = bytes.len() / 4096 / 2;
    for b in &mut bytes[middle * 4096..(middle + 4) * 4096] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();

    let problem = FileStore::open(&path).unwrap().quick_check().unwrap();
    assert!(problem.is_some_and(|p| !p.is_empty()), "the check finds the damage");

    clinilog::store::restore(&path, &good.path, "Dr Rao").unwrap();
    let store = FileStore::open(&path).unwrap();
    assert_eq!(store.quick_check().unwrap(), None);
    assert!(store.patient_by_mrn("BUSY-260").unwrap().is_some());
    let kept_aside = std::fs::read_dir(&backups)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("damaged-")
        })
        .count();
    assert_eq!(
        kept_aside, 1,
        "the damaged file is kept aside, not listed as a good backup"
    );
}

/// What a killed writer leaves: the main file, its write-ahead log and a
/// stale index (`-shm`). It opens as ours, with every committed entry.
#[test]
fn a_file_with_a_log_and_a_stale_index_left_by_a_killed_writer_keeps_every_committed_entry() {
    let (dir, path, mut store, patient) = file_with_patient();
    let catalog = Catalog::builtin().unwrap();
    for on in ["2025-07-19", "2025-07-26", "2025-08-02"] {
        let data = entry_draft(&catalog, on, &[("alt", "60")])
            .validate(&catalog, Sex::Female, date(1974, 1, 15), today())
            .unwrap();
        store.record_entry(patient.id, &data, "Dr Rao").unwrap();
    }
    // The files as they are while the writer still runs: a crash's leftovers.
    let crashed = dir.path().join("crashed");
    std::fs::create_dir(&crashed).unwrap();
    for ext in ["", "-wal", "-shm"] {
        std::fs::copy(
            format!("{}{ext}", path.display()),
            crashed.join(format!("c.sqlite{ext}")),
        )
        .unwrap();
    }
    drop(store);
    let copy = crashed.join("c.sqlite");
    assert!(
        std::fs::metadata(crashed.join("c.sqlite-wal")).unwrap().len() > 0,
        "premise: the log holds the writes"
    );
    // A stale index: what the killed writer's shared memory held is gone.
    let shm = crashed.join("c.sqlite-shm");
    std::fs::write(&shm, vec![0u8; std::fs::metadata(&shm).unwrap().len() as usize]).unwrap();

    let store = FileStore::open(&copy).unwrap();
    assert_eq!(store.entries(patient.id).unwrap().len(), 3);
    assert!(store.check(&catalog).unwrap().is_empty());
}

/// The out-of-range filter's data: each patient's latest value of a measure,
/// only when flagged; an edit's current data and not a voided entry count.
#[test]
fn latest_flagged_labs_take_the_latest_current_value_of_each_measure() {
    let (_dir, path, mut store, ana) = file_with_patient();
    let catalog = Catalog::builtin().unwrap();
    let ben = store
        .create_patient(&patient_draft("MRN-2").validate(today()).unwrap(), "Dr Rao")
        .unwrap();
    let cruz = store
        .create_patient(&patient_draft("MRN-3").validate(today()).unwrap(), "Dr Rao")
        .unwrap();
    let record = |store: &mut FileStore, id: i64, on: &str, values: &[(&str, &str)]| {
        store
            .record_entry(id, &validated(&catalog, on, values), "Dr Rao")
            .unwrap()
    };
    // Ana: high bilirubin, then normal: not listed for bilirubin; ALT high last.
    record(
        &mut store,
        ana.id,
        "2025-07-19",
        &[("bili_total", "12.30"), ("alt", "20")],
    );
    record(
        &mut store,
        ana.id,
        "2025-08-04",
        &[("bili_total", "0.80"), ("alt", "95")],
    );
    // Ben: normal, then high, then that high entry voided: normal again.
    record(&mut store, ben.id, "2025-07-19", &[("bili_total", "0.70")]);
    let high = record(&mut store, ben.id, "2025-08-04", &[("bili_total", "3.10")]);
    store.void_entry(&high, "wrong patient", "Dr Rao").unwrap();
    // Cruz: normal, edited to high.
    let e = record(&mut store, cruz.id, "2025-08-04", &[("bili_total", "0.90")]);
    store
        .edit_entry(
            &e,
            &validated(&catalog, "2025-08-04", &[("bili_total", "9.00")]),
            "typo",
            "Dr Rao",
        )
        .unwrap();
    drop(store);

    let store = FileStore::open(&path).unwrap();
    let mut got: Vec<(i64, String, String, String)> = Vec::new();
    store
        .for_each_latest_flagged_lab(&mut |l| {
            got.push((
                l.patient_id,
                l.lab.code.clone(),
                l.lab.value.as_str().to_owned(),
                format!("{} {:?}", l.collected_on, l.lab.flag),
            ))
        })
        .unwrap();
    got.sort();
    assert_eq!(
        got,
        vec![
            (ana.id, "alt".into(), "95".into(), "2025-08-04 High".into()),
            (cruz.id, "bili_total".into(), "9.00".into(), "2025-08-04 High".into()),
        ]
    );
}

/// A clean check is remembered with the file's size and time: it covers the
/// file while neither changes and for a week, and not once a write lands.
#[test]
fn a_checked_file_is_covered_until_it_changes_or_a_week_passes() {
    use clinilog::store::CheckedFile;
    let (_dir, path, mut store, patient) = file_with_patient();
    drop(store);
    let now = jiff::Timestamp::now();
    let checked = CheckedFile::of(&path, now).expect("a closed file has an empty log");
    let later = |days: i64| CheckedFile::of(&path, now + jiff::SignedDuration::from_hours(24 * days)).unwrap();
    assert!(checked.covers(&later(0)));
    assert!(checked.covers(&later(6)));
    assert!(!checked.covers(&later(7)), "a week later the file is read again");

    store = FileStore::open(&path).unwrap();
    let catalog = Catalog::builtin().unwrap();
    store
        .record_entry(
            patient.id,
            &validated(&catalog, "2025-08-04", &[("inr", "1.4")]),
            "Dr Rao",
        )
        .unwrap();
    assert!(
        CheckedFile::of(&path, now).is_none_or(|seen| !checked.covers(&seen)),
        "a write (in the log or in the file) is never covered"
    );
    drop(store);
    assert!(!checked.covers(&CheckedFile::of(&path, now).unwrap()));
}

/// Issue 15's check on the real demo file: the demo patient alone, aligned
/// at the first cycle, gives the case report's numbers (baseline 12.30,
/// day 14 6.50, one month 4.60, -62.6 %).
#[test]
fn the_demo_patient_reproduces_the_case_report_in_a_cohort() {
    use clinilog::domain::cohort::{Align, CohortOptions, PatientValues, cohort};
    let (_dir, _path, store) = demo_file(false);
    let catalog = Catalog::builtin().unwrap();
    let patient = store.patient_summaries().unwrap()[0].patient.clone();
    let entries = store.entries(patient.id).unwrap();
    let treatments = store.treatments(patient.id).unwrap();
    let values = PatientValues::of_lab(
        &patient,
        &entries,
        &treatments,
        "bili_total",
        &catalog,
        UnitSystem::Conventional,
        Align::FirstCycle,
    );
    assert_eq!(values.day0, Some(date(2025, 7, 21)), "cycle 1");
    let c = cohort(
        &[values],
        &CohortOptions {
            baseline_days: 14,
            at_days: vec![14, 30],
            window_days: 7,
        },
    );
    let row = &c.rows[0];
    assert_eq!(row.baseline.as_ref().unwrap().text, "12.30");
    assert_eq!(row.at[0].as_ref().unwrap().text, "6.50");
    assert_eq!(row.at[1].as_ref().unwrap().text, "4.60");
    assert_eq!(format!("{:.1}", row.change_percent[1].unwrap()), "-62.6");
}
