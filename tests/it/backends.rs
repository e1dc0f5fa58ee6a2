//! The store's behaviour, the same on both backends: each test here runs
//! on a real temporary SQLite file (`…::sqlite`) and on a real throwaway
//! PostgreSQL database (`…::postgres`), through [`ClinicStore`] only.
//!
//! The PostgreSQL half needs a server: the libpq variables (`PGHOST`,
//! `PGPORT`, `PGUSER`, `PGPASSWORD`, as `pg_virtualenv` sets them), a
//! database per test. Without them it says it is skipped; with
//! `CLINILOG_REQUIRE_PG=1` (CI) it fails instead.

use crate::common;
use crate::integrity::behind_the_store;

use std::path::PathBuf;
use std::time::Duration;

use clinilog::domain::history::{AuditAction, RecordKind};
use clinilog::domain::{
    Catalog, Entry, EntryData, EntryDraft, PatientDraft, Sex, TreatmentDraft, TreatmentEvent, TreatmentKind,
};
use clinilog::store::pg::{Listener, PgStore};
use clinilog::store::{ClinicStore, DraftKey, FileStore, StoreError};
use jiff::civil::date;

pub(crate) fn today() -> jiff::civil::Date {
    date(2025, 9, 1)
}

pub(crate) fn patient_data(mrn: &str) -> clinilog::domain::PatientData {
    PatientDraft {
        mrn: mrn.into(),
        name: "Ana Diaz".into(),
        birth_date: "1974-01-15".into(),
        sex: Some(Sex::Female),
        diagnosis: "Cirrhosis (MASH)".into(),
        enrolled: "2025-07-19".into(),
        notes: String::new(),
    }
    .validate(today())
    .unwrap()
}

pub(crate) fn validated(catalog: &Catalog, on: &str, values: &[(&str, &str)]) -> EntryData {
    let mut d = EntryDraft::blank(catalog, Sex::Female, date(2025, 7, 19), "Dr Rao");
    d.collected_on = on.into();
    for (code, v) in values {
        if let Some(l) = d.labs.iter_mut().find(|l| l.code == *code) {
            l.value = (*v).into();
        } else {
            d.symptoms.iter_mut().find(|s| s.code == *code).unwrap().value = (*v).into();
        }
    }
    d.validate(catalog, Sex::Female, date(1974, 1, 15), today()).unwrap()
}

/// Where a test's records are kept: a temporary file, or a database of its
/// own on the server (dropped when the test ends).
pub(crate) enum Backend {
    Sqlite { _dir: tempfile::TempDir, path: PathBuf },
    Postgres(Box<common::PgDatabase>),
}

impl Backend {
    pub(crate) fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clinic.sqlite");
        Backend::Sqlite { _dir: dir, path }
    }

    pub(crate) fn postgres() -> Option<Self> {
        Some(Backend::Postgres(Box::new(common::PgDatabase::fresh()?)))
    }

    /// A connection to the records, as a workstation opens them.
    pub(crate) fn open(&self) -> Box<dyn ClinicStore> {
        match self {
            Backend::Sqlite { path, .. } => Box::new(FileStore::open(path).unwrap()),
            Backend::Postgres(db) => Box::new(PgStore::open(&db.target).unwrap()),
        }
    }

    /// Runs SQL outside the store, as another program would: the rows as
    /// text, or the database's refusal.
    pub(crate) fn raw(&self, sql: &str) -> Result<Vec<Vec<Option<String>>>, String> {
        match self {
            Backend::Sqlite { path, .. } => {
                let conn = rusqlite::Connection::open(path).unwrap();
                let mut stmt = conn.prepare(sql).map_err(|e| e.to_string())?;
                let n = stmt.column_count();
                let rows = stmt
                    .query_map([], |r| {
                        (0..n)
                            .map(|i| {
                                Ok(match r.get_ref(i)? {
                                    rusqlite::types::ValueRef::Null => None,
                                    rusqlite::types::ValueRef::Integer(v) => Some(v.to_string()),
                                    rusqlite::types::ValueRef::Real(v) => Some(v.to_string()),
                                    v => Some(v.as_str()?.to_owned()),
                                })
                            })
                            .collect::<rusqlite::Result<Vec<_>>>()
                    })
                    .map_err(|e| e.to_string())?;
                rows.collect::<Result<_, _>>().map_err(|e| e.to_string())
            }
            Backend::Postgres(db) => {
                let mut client = db.target.connect().unwrap();
                let messages = client.simple_query(sql).map_err(|e| {
                    e.as_db_error()
                        .map(|d| d.message().to_owned())
                        .unwrap_or_else(|| e.to_string())
                })?;
                Ok(messages
                    .iter()
                    .filter_map(|m| match m {
                        postgres::SimpleQueryMessage::Row(r) => {
                            Some((0..r.len()).map(|i| r.get(i).map(str::to_owned)).collect())
                        }
                        _ => None,
                    })
                    .collect())
            }
        }
    }
}

/// Each behaviour as two tests, `name::sqlite` and `name::postgres`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn sqlite() {
                    super::$name(&super::Backend::sqlite());
                }
                #[test]
                fn postgres() {
                    if let Some(b) = super::Backend::postgres() {
                        super::$name(&b);
                    }
                }
            }
        )*
    };
}

pub(crate) use on_both_backends;

on_both_backends!(
    what_is_written_reads_back_equal_after_reopening,
    every_write_appends_one_audit_row_with_who_and_what,
    a_taken_mrn_is_refused_and_nothing_is_lost,
    clinical_rows_cannot_be_deleted_by_another_program,
    an_edit_needs_a_reason_and_keeps_the_old_values,
    two_workstations_a_stale_save_is_refused_with_who_and_when,
    treatment_events_are_edited_and_voided_with_reasons,
    drafts_survive_reopening_and_go_on_discard,
    the_latest_flagged_values_are_each_patients_newest,
    a_protocol_assigned_and_shifted_reads_back_with_its_reasons,
    a_missed_visit_closed_as_not_done_leaves_the_due_list,
    adverse_events_and_records_of_none_read_back_with_their_history,
    the_due_list_read_matches_the_plan_followed_in_full,
    the_demo_patient_reproduces_the_case_report_in_a_cohort,
    an_imported_file_is_one_batch_previewed_written_or_cancelled_whole,
    a_write_for_a_patient_not_there_is_refused_and_leaves_nothing,
    a_report_is_kept_with_its_entry_where_reports_are_kept_and_refused_whole_elsewhere,
);

/// Found when the two stores became one: every write for a patient checks
/// the patient first, in its transaction, on both backends alike.
fn a_write_for_a_patient_not_there_is_refused_and_leaves_nothing(b: &Backend) {
    let catalog = Catalog::builtin().unwrap();
    let mut store = b.open();
    let p = store.create_patient(&patient_data("MRN-1"), "Dr Rao").unwrap();
    let head = store.audit_head().unwrap().unwrap();
    let missing = p.id + 41;
    let not_found =
        |r: Result<i64, StoreError>| assert!(matches!(r, Err(StoreError::NotFound { what: "patient", .. })), "{r:?}");
    let entry = validated(&catalog, "2025-07-19", &[("alt", "60")]);
    not_found(store.record_entry(missing, &entry, "Dr Rao").map(|e| e.id));
    let mut t = TreatmentDraft::blank(date(2025, 7, 21), "Dr Rao");
    t.product = "AF exosomes".into();
    let treatment = t.validate(date(1974, 1, 15), today()).unwrap();
    not_found(store.add_treatment(missing, &treatment, "Dr Rao").map(|e| e.id));
    let none = clinilog::domain::adverse::NoEventsData {
        on: date(2025, 7, 28),
        note: String::new(),
        recorded_by: "Dr Rao".into(),
    };
    not_found(store.record_no_adverse_events(missing, &none, "Dr Rao").map(|e| e.id));
    let plan = clinilog::domain::protocol::AssignmentData {
        protocol: "weekly".into(),
        protocol_text: String::new(),
        start: date(2025, 7, 19),
        note: String::new(),
        recorded_by: "Dr Rao".into(),
    };
    not_found(store.assign_protocol(missing, &plan, "Dr Rao").map(|a| a.id));
    // Nothing was written: no row, no audit row, the chain where it was.
    drop(store);
    let store = b.open();
    assert_eq!(store.audit_head().unwrap(), Some(head));
    for table in [
        "entries",
        "observations",
        "treatment_events",
        "no_adverse_events",
        "protocol_assignments",
    ] {
        assert_eq!(
            b.raw(&format!("SELECT count(*) FROM {table}")).unwrap(),
            vec![vec![Some("0".to_owned())]],
            "{table}"
        );
    }
    assert!(store.audit_chain().unwrap().is_intact());
}

/// A report kept with the entry read from it: in a file, the entry, the
/// report (its SHA-256 checked on the way in and out) and the audit row
/// that names it in one transaction; a server keeps no reports yet and
/// says so, writing nothing, rather than keeping the entry without it.
fn a_report_is_kept_with_its_entry_where_reports_are_kept_and_refused_whole_elsewhere(b: &Backend) {
    use sha2::{Digest, Sha256};
    let catalog = Catalog::builtin().unwrap();
    let mut store = b.open();
    let p = store.create_patient(&patient_data("MRN-1"), "Dr Rao").unwrap();
    let bytes = b"%PDF-1.4 a lab report".to_vec();
    let sha: String = Sha256::digest(&bytes).iter().map(|x| format!("{x:02x}")).collect();
    let doc = clinilog::domain::capture::SourceDocument {
        name: "report.pdf".into(),
        media_type: "application/pdf".into(),
        sha256: sha.clone(),
        bytes: bytes.clone(),
    };
    let entry = validated(&catalog, "2025-07-19", &[("alt", "60")]);
    // A report changed between its reading and its saving is refused.
    let changed = clinilog::domain::capture::SourceDocument {
        bytes: b"%PDF-1.4 another".to_vec(),
        ..doc.clone()
    };
    assert!(
        store
            .record_entry_with_source(p.id, &entry, &changed, "Dr Rao")
            .is_err()
    );
    match b {
        Backend::Sqlite { .. } => {
            let saved = store.record_entry_with_source(p.id, &entry, &doc, "Dr Rao").unwrap();
            drop(store);
            let store = b.open();
            let info = store.entry_source(saved.id).unwrap().unwrap();
            assert_eq!((info.name.as_str(), info.sha256.as_str()), ("report.pdf", sha.as_str()));
            assert_eq!(store.document_bytes(info.id).unwrap(), bytes);
            assert_eq!(store.entry_sources().unwrap()[&saved.id], sha);
            assert_eq!(store.patient_documents(p.id).unwrap()[&saved.id], info);
            let audit = store.audit_log(Some((RecordKind::Entry, saved.id))).unwrap();
            assert!(audit[0].reason.as_deref().unwrap().contains(&sha), "{audit:?}");
        }
        Backend::Postgres(_) => {
            let err = store
                .record_entry_with_source(p.id, &entry, &doc, "Dr Rao")
                .unwrap_err();
            assert!(err.to_string().contains("keeps no reports yet"), "{err}");
            assert!(store.entries(p.id).unwrap().is_empty());
            assert_eq!(store.entry_source(1).unwrap(), None);
        }
    }
}

fn what_is_written_reads_back_equal_after_reopening(b: &Backend) {
    let catalog = Catalog::builtin().unwrap();
    let mut draft = EntryDraft::blank(&catalog, Sex::Female, date(2025, 7, 19), "Dr Rao");
    for (code, v) in [("bili_total", "12.30"), ("afp", "<0,5")] {
        draft.labs.iter_mut().find(|l| l.code == code).unwrap().value = v.into();
    }
    draft.symptoms.iter_mut().find(|s| s.code == "fatigue").unwrap().value = "8".into();
    let bili = draft.labs.iter_mut().find(|l| l.code == "bili_total").unwrap();
    bili.ref_low = "0.0".into();
    bili.ref_high = "1.0".into();
    let entry_data = draft
        .validate(&catalog, Sex::Female, date(1974, 1, 15), today())
        .unwrap();
    let mut treatment = TreatmentDraft::blank(date(2025, 7, 21), "Dr Rao");
    treatment.kind = TreatmentKind::ExosomeInfusion;
    treatment.product = "AF exosomes".into();
    treatment.dose = "30".into();
    treatment.dose_unit = "billion exosomes".into();
    treatment.cycle = "1".into();
    let treatment_data = treatment.validate(date(1974, 1, 15), today()).unwrap();

    let (patient, entry, event) = {
        let mut store = b.open();
        let patient = store.create_patient(&patient_data("MRN-1"), "Dr Rao").unwrap();
        let entry = store.record_entry(patient.id, &entry_data, "Dr Rao").unwrap();
        let event = store.add_treatment(patient.id, &treatment_data, "Dr Rao").unwrap();
        (patient, entry, event)
    };

    let store = b.open();
    assert_eq!(store.schema().unwrap(), clinilog::store::schema::latest_version());
    assert_eq!(store.patient(patient.id).unwrap(), patient);
    assert_eq!(store.patient_by_mrn("MRN-1").unwrap(), Some(patient.clone()));
    assert_eq!(store.patient_by_mrn("MRN-2").unwrap(), None);
    assert!(matches!(
        store.patient(patient.id + 99),
        Err(StoreError::NotFound { .. })
    ));
    let entries = store.entries(patient.id).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].data, entry.data);
    assert_eq!(entries[0].data.lab("bili_total").unwrap().value.as_str(), "12.30");
    assert_eq!(entries[0].data.lab("afp").unwrap().value_text(), "<0.5");
    assert_eq!(entries[0].data.symptoms, entry.data.symptoms);
    assert_eq!(store.treatments(patient.id).unwrap(), vec![event]);
    let summaries = store.patient_summaries().unwrap();
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0].last_entry, Some(date(2025, 7, 19)));
    assert_eq!(summaries[0].entry_count, 1);
    assert_eq!(store.patient_count().unwrap(), 1);
}

fn every_write_appends_one_audit_row_with_who_and_what(b: &Backend) {
    let mut store = b.open();
    let catalog = Catalog::builtin().unwrap();
    let patient = store.create_patient(&patient_data("MRN-1"), "Dr Rao").unwrap();
    let data = validated(&catalog, "2025-07-19", &[("alt", "60")]);
    let entry = store.record_entry(patient.id, &data, "Nurse Kim").unwrap();
    store
        .void_entry(&entry, "entered for the wrong patient", "Dr Rao")
        .unwrap();

    let log = store.audit_log(None).unwrap();
    let actions: Vec<_> = log.iter().map(|a| (a.action, a.kind, a.user.as_str())).collect();
    assert_eq!(
        actions,
        [
            (AuditAction::Create, RecordKind::Patient, "Dr Rao"),
            (AuditAction::Create, RecordKind::Entry, "Nurse Kim"),
            (AuditAction::Void, RecordKind::Entry, "Dr Rao")
        ]
    );
    assert!(log[1].after_json.as_deref().unwrap().contains("\"60\""));
    assert_eq!(log[2].reason.as_deref(), Some("entered for the wrong patient"));
    assert!(log[0].at_utc.ends_with('Z'), "{}", log[0].at_utc);
    assert_eq!(store.audit_log(Some((RecordKind::Entry, entry.id))).unwrap().len(), 2);

    // Voided: gone from the log, still kept.
    assert!(store.entries(patient.id).unwrap().is_empty());
    assert_eq!(store.patient_summaries().unwrap()[0].entry_count, 0);
    assert_eq!(
        b.raw(&format!("SELECT void_reason FROM entries WHERE id = {}", entry.id))
            .unwrap(),
        [[Some("entered for the wrong patient".to_owned())]]
    );
    // Voiding again, even from the version the void wrote, is refused as voided.
    let after_void = Entry {
        version: entry.version + 1,
        ..entry.clone()
    };
    assert!(
        matches!(
            store.void_entry(&after_void, "again", "Dr Rao"),
            Err(StoreError::Voided { .. })
        ),
        "the already-voided guard, not the version check"
    );
    assert!(matches!(
        store.edit_entry(&after_void, &data, "typo", "Dr Rao"),
        Err(StoreError::Voided { .. })
    ));
    assert_eq!(store.audit_log(Some((RecordKind::Entry, entry.id))).unwrap().len(), 2);
    assert!(matches!(
        store.void_entry(&entry, " ", "Dr Rao"),
        Err(StoreError::ReasonRequired(_))
    ));
}

fn a_taken_mrn_is_refused_and_nothing_is_lost(b: &Backend) {
    let mut store = b.open();
    let first = store.create_patient(&patient_data("MRN-1"), "Dr Rao").unwrap();
    let err = store.create_patient(&patient_data("MRN-1"), "Dr Rao").unwrap_err();
    assert!(
        matches!(err, StoreError::DuplicateMrn(ref m) if m == "MRN-1"),
        "{err:?}"
    );
    // An edit to a taken MRN too.
    let second = store.create_patient(&patient_data("MRN-2"), "Dr Rao").unwrap();
    let err = store
        .update_patient(&second, &patient_data("MRN-1"), "typo", "Dr Rao")
        .unwrap_err();
    assert!(matches!(err, StoreError::DuplicateMrn(_)), "{err:?}");
    assert_eq!(store.patient_summaries().unwrap().len(), 2);
    assert_eq!(store.patient(first.id).unwrap(), first);
    assert_eq!(store.patient(second.id).unwrap(), second);
    assert_eq!(
        store.audit_log(None).unwrap().len(),
        2,
        "a refused write leaves no audit row"
    );
    assert!(store.create_patient(&patient_data("MRN-3"), " ").is_err());
}

fn clinical_rows_cannot_be_deleted_by_another_program(b: &Backend) {
    let catalog = Catalog::builtin().unwrap();
    let mut store = b.open();
    let p = store.create_patient(&patient_data("MRN-1"), "Dr Rao").unwrap();
    store
        .record_entry(p.id, &validated(&catalog, "2025-07-19", &[("alt", "60")]), "Dr Rao")
        .unwrap();
    drop(store);
    for sql in [
        "DELETE FROM observations",
        "DELETE FROM entries",
        "DELETE FROM patients",
        "DELETE FROM audit_log",
        "UPDATE audit_log SET reason = 'x'",
        "UPDATE observations SET value_text = '1'",
    ] {
        let err = b.raw(sql).unwrap_err();
        assert!(
            err.contains("never deleted") || err.contains("append-only") || err.contains("never changed"),
            "{sql}: {err}"
        );
    }
    if let Backend::Postgres(_) = b {
        let err = b.raw("TRUNCATE audit_log").unwrap_err();
        assert!(err.contains("append-only"), "{err}");
    }
    assert_eq!(
        b.raw("SELECT count(*) FROM audit_log").unwrap(),
        [[Some("2".to_owned())]]
    );
}

fn an_edit_needs_a_reason_and_keeps_the_old_values(b: &Backend) {
    let catalog = Catalog::builtin().unwrap();
    let mut store = b.open();
    let patient = store.create_patient(&patient_data("MRN-1"), "Dr Rao").unwrap();
    let entry = store
        .record_entry(
            patient.id,
            &validated(&catalog, "2025-07-19", &[("bili_total", "12.30")]),
            "Dr Rao",
        )
        .unwrap();
    let corrected = validated(&catalog, "2025-07-19", &[("bili_total", "12.03")]);
    assert!(matches!(
        store.edit_entry(&entry, &corrected, "", "Dr Rao"),
        Err(StoreError::ReasonRequired(_))
    ));
    let edited = store
        .edit_entry(&entry, &corrected, "typo: digits swapped", "Nurse Kim")
        .unwrap();
    assert_eq!(edited.version, entry.version + 1);
    drop(store);

    let store = b.open();
    let entries = store.entries(patient.id).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].data.lab("bili_total").unwrap().value.as_str(), "12.03");
    let history = store.history(patient.id).unwrap();
    let edit = history.iter().find(|a| a.action == AuditAction::Edit).unwrap();
    assert_eq!(edit.reason.as_deref(), Some("typo: digits swapped"));
    assert_eq!(edit.user, "Nurse Kim");
    assert!(edit.before_json.as_deref().unwrap().contains("12.30"));
    assert!(edit.after_json.as_deref().unwrap().contains("12.03"));
    // The old observation row is still kept, under its data version.
    let kept = b
        .raw("SELECT value_text, entry_version FROM observations WHERE measure_code = 'bili_total' ORDER BY id")
        .unwrap();
    let s = |t: &str| Some(t.to_owned());
    assert_eq!(kept, [[s("12.30"), s("1")], [s("12.03"), s("2")]]);
    // And the patient's details: an edit needs a reason too.
    let mut changed = patient.data.clone();
    changed.notes = "moved to Pune".into();
    let mut store = b.open();
    assert!(matches!(
        store.update_patient(&patient, &changed, " ", "Dr Rao"),
        Err(StoreError::ReasonRequired(_))
    ));
    let updated = store
        .update_patient(&patient, &changed, "new address", "Dr Rao")
        .unwrap();
    assert_eq!(updated.version, patient.version + 1);
    assert_eq!(b.open().patient(patient.id).unwrap().data.notes, "moved to Pune");
}

fn two_workstations_a_stale_save_is_refused_with_who_and_when(b: &Backend) {
    let catalog = Catalog::builtin().unwrap();
    let mut first = b.open();
    let mut second = b.open();
    let patient = first.create_patient(&patient_data("MRN-1"), "Dr Rao").unwrap();
    first
        .record_entry(
            patient.id,
            &validated(&catalog, "2025-07-19", &[("alt", "60")]),
            "Dr Rao",
        )
        .unwrap();

    // Both workstations load the same entry.
    let seen_by_first = first.entries(patient.id).unwrap().remove(0);
    let seen_by_second = second.entries(patient.id).unwrap().remove(0);
    first
        .edit_entry(
            &seen_by_first,
            &validated(&catalog, "2025-07-19", &[("alt", "66")]),
            "lab corrected",
            "Dr Rao",
        )
        .unwrap();
    let err = second
        .edit_entry(
            &seen_by_second,
            &validated(&catalog, "2025-07-19", &[("alt", "61")]),
            "my fix",
            "Nurse Kim",
        )
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    assert!(
        msg.starts_with("changed by Dr Rao at 20") && msg.contains("reload"),
        "{msg}"
    );
    // The first edit stands; the refused one left no trace but its error.
    let now = second.entries(patient.id).unwrap();
    assert_eq!(now[0].data.lab("alt").unwrap().value.as_str(), "66");
    assert_eq!(
        second
            .history(patient.id)
            .unwrap()
            .iter()
            .filter(|a| a.action == AuditAction::Edit)
            .count(),
        1
    );
    // Voiding from the stale copy is refused too; after a reload it works.
    assert!(matches!(
        second.void_entry(&seen_by_second, "dup", "Nurse Kim"),
        Err(StoreError::Conflict { .. })
    ));
    second.void_entry(&now[0], "duplicate", "Nurse Kim").unwrap();

    // Patient details: the same rule.
    let p1 = first.patient(patient.id).unwrap();
    let p2 = second.patient(patient.id).unwrap();
    let mut changed = p1.data.clone();
    changed.diagnosis = "Cirrhosis, hepatitis C".into();
    first
        .update_patient(&p1, &changed, "diagnosis confirmed", "Dr Rao")
        .unwrap();
    let mut other = p2.data.clone();
    other.notes = "called".into();
    assert!(matches!(
        second.update_patient(&p2, &other, "note", "Nurse Kim"),
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        second.patient(patient.id).unwrap().data.diagnosis,
        "Cirrhosis, hepatitis C"
    );
    drop((first, second));

    // Two workstations saving at the same moment, many times: every record
    // is its trail, and the chain is whole.
    std::thread::scope(|s| {
        for who in ["Dr Rao", "Nurse Kim"] {
            let catalog = &catalog;
            s.spawn(move || {
                let mut store = b.open();
                let mrn = format!("MRN-{}", who.replace(' ', "-"));
                let p = store.create_patient(&patient_data(&mrn), who).unwrap();
                for day in 1..=12 {
                    let on = format!("2025-08-{day:02}");
                    let e = store
                        .record_entry(p.id, &validated(catalog, &on, &[("alt", "60")]), who)
                        .unwrap();
                    store
                        .edit_entry(&e, &validated(catalog, &on, &[("alt", "61")]), "typo", who)
                        .unwrap();
                }
            });
        }
    });
    let store = b.open();
    assert!(store.audit_chain().unwrap().is_intact());
    assert_eq!(store.check(&catalog).unwrap(), Vec::<String>::new());
}

fn treatment_events_are_edited_and_voided_with_reasons(b: &Backend) {
    let mut store = b.open();
    let patient = store.create_patient(&patient_data("MRN-1"), "Dr Rao").unwrap();
    let mut draft = TreatmentDraft::blank(date(2025, 7, 21), "Dr Rao");
    draft.product = "AD-MSC".into();
    draft.cycle = "1".into();
    let event = store
        .add_treatment(
            patient.id,
            &draft.validate(date(1974, 1, 15), today()).unwrap(),
            "Dr Rao",
        )
        .unwrap();
    draft.cycle = "2".into();
    let edited = store
        .edit_treatment(
            &event,
            &draft.validate(date(1974, 1, 15), today()).unwrap(),
            "wrong cycle",
            "Dr Rao",
        )
        .unwrap();
    assert_eq!(b.open().treatments(patient.id).unwrap()[0].data.cycle, Some(2));
    assert!(matches!(
        store.void_treatment(&event, "stale", "Dr Rao"),
        Err(StoreError::Conflict { .. })
    ));
    store.void_treatment(&edited, "entered twice", "Dr Rao").unwrap();
    assert!(store.treatments(patient.id).unwrap().is_empty());
    let after_void = TreatmentEvent {
        version: edited.version + 1,
        ..edited.clone()
    };
    assert!(matches!(
        store.void_treatment(&after_void, "again", "Dr Rao"),
        Err(StoreError::Voided { .. })
    ));
    let actions: Vec<_> = store
        .history(patient.id)
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(
        actions,
        [
            AuditAction::Create,
            AuditAction::Create,
            AuditAction::Edit,
            AuditAction::Void
        ]
    );
}

fn drafts_survive_reopening_and_go_on_discard(b: &Backend) {
    let mut store = b.open();
    let key = DraftKey::NewEntry { patient: 1 };
    let other = DraftKey::NewEntry { patient: 2 };
    store.save_draft(key, "{\"a\":1}").unwrap();
    store.save_draft(key, "{\"a\":2}").unwrap();
    store.save_draft(other, "{\"b\":1}").unwrap();
    drop(store);
    let mut store = b.open();
    let (json, at) = store.load_draft(key).unwrap().unwrap();
    assert_eq!(json, "{\"a\":2}");
    assert!(at.ends_with('Z'));
    store.discard_draft(key).unwrap();
    assert!(store.load_draft(key).unwrap().is_none());
    assert!(store.load_draft(other).unwrap().is_some(), "another form's draft stays");
}

fn the_latest_flagged_values_are_each_patients_newest(b: &Backend) {
    let catalog = Catalog::builtin().unwrap();
    let mut store = b.open();
    let p = store.create_patient(&patient_data("MRN-1"), "Dr Rao").unwrap();
    let q = store.create_patient(&patient_data("MRN-2"), "Dr Rao").unwrap();
    // P: high, then normal (not listed). Q: normal, then high (listed), and a voided higher one.
    for (who, on, alt) in [
        (&p, "2025-07-19", "90"),
        (&p, "2025-08-02", "20"),
        (&q, "2025-07-19", "20"),
        (&q, "2025-08-02", "70"),
    ] {
        store
            .record_entry(who.id, &validated(&catalog, on, &[("alt", alt)]), "Dr Rao")
            .unwrap();
    }
    let late = store
        .record_entry(q.id, &validated(&catalog, "2025-08-09", &[("alt", "300")]), "Dr Rao")
        .unwrap();
    store.void_entry(&late, "wrong patient", "Dr Rao").unwrap();
    let mut seen = Vec::new();
    store
        .for_each_latest_flagged_lab(&mut |l| {
            seen.push((l.patient_id, l.collected_on, l.lab.value.as_str().to_owned()))
        })
        .unwrap();
    assert_eq!(seen, [(q.id, date(2025, 8, 2), "70".to_owned())]);
}

fn seed_assignment(start: jiff::civil::Date) -> clinilog::domain::protocol::AssignmentData {
    use clinilog::domain::protocol::{AssignmentData, SEED_PROTOCOL_TOML};
    AssignmentData {
        protocol: "MSC + exosomes, 3 cycles".into(),
        protocol_text: SEED_PROTOCOL_TOML.into(),
        start,
        note: "enrolled in the cell-therapy programme".into(),
        recorded_by: "Dr Rao".into(),
    }
}

/// A protocol assigned and shifted reads back after reopening with the
/// shift applied; the shift's reason is in the audit trail and History; a
/// shift based on a plan shifted meanwhile is refused; shifts cannot be
/// changed or deleted; a void keeps the row.
fn a_protocol_assigned_and_shifted_reads_back_with_its_reasons(b: &Backend) {
    use clinilog::domain::protocol::{Schedule, ShiftData, check_shift};
    let catalog = Catalog::builtin().unwrap();
    let mut store = b.open();
    let p = store.create_patient(&patient_data("P1"), "Dr Rao").unwrap();
    let a = store
        .assign_protocol(p.id, &seed_assignment(date(2025, 7, 19)), "Dr Rao")
        .unwrap();
    let protocol = a.protocol(&catalog).unwrap();
    let schedule = Schedule::of(&protocol);
    let (planned_on, days) = check_shift(&a.plan(&schedule), "C2", "7", "infection: cycle delayed a week").unwrap();
    assert_eq!(planned_on, date(2025, 8, 3));
    let shift = ShiftData {
        item: "C2".into(),
        planned_on,
        days,
        reason: "infection: cycle delayed a week".into(),
        recorded_by: "Dr Rao".into(),
    };
    let shifted = store.shift_plan(&a, &shift, "Dr Rao").unwrap();
    // The old version is stale now: a second workstation's shift is refused.
    let err = store.shift_plan(&a, &shift, "Nurse Lee").unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    let mut no_reason = shift.clone();
    no_reason.reason = "  ".into();
    assert!(matches!(
        store.shift_plan(&shifted, &no_reason, "Dr Rao"),
        Err(StoreError::ReasonRequired(_))
    ));
    drop(store);

    let store = b.open();
    let read = store.assignments(p.id).unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!(read[0], shifted);
    let items = read[0].plan(&schedule);
    let at = |label: &str| items.iter().find(|i| i.what.label() == label).unwrap().date;
    assert_eq!(at("C2"), date(2025, 8, 10));
    assert_eq!(at("C3"), date(2025, 8, 25));
    assert_eq!(at("Week 2"), date(2025, 8, 2), "before the shifted cycle: stays");
    let history: Vec<_> = store
        .history(p.id)
        .unwrap()
        .into_iter()
        .map(|r| {
            let line = clinilog::domain::history::describe(
                r.kind,
                r.action,
                r.before_json.as_deref(),
                r.after_json.as_deref(),
                &catalog,
            );
            (line.what, r.reason)
        })
        .collect();
    assert_eq!(
        history[1..],
        [
            (
                "Protocol \"MSC + exosomes, 3 cycles\" assigned from 2025-07-19".to_owned(),
                None
            ),
            (
                "Plan shifted: C2 delayed 7 days, 2025-08-03 -> 2025-08-10, with what follows it".to_owned(),
                Some("infection: cycle delayed a week".to_owned())
            ),
        ]
    );
    assert!(store.check(&catalog).unwrap().is_empty());
    drop(store);

    assert!(b.raw("DELETE FROM plan_shifts").is_err());
    assert!(b.raw("UPDATE plan_shifts SET days = 1").is_err());
    assert!(b.raw("DELETE FROM protocol_assignments").is_err());
    let mut store = b.open();
    store
        .void_assignment(&read[0], "assigned to the wrong patient", "Dr Rao")
        .unwrap();
    assert!(store.assignments(p.id).unwrap().is_empty());
    assert!(store.due_list(date(2025, 8, 11), &catalog).unwrap().is_empty());
}

/// A missed visit closed as not done, with its reason: read back after
/// reopening, the item is not done (not late), it leaves the due list, a
/// stale closure is refused, History says it, rows cannot be deleted.
fn a_missed_visit_closed_as_not_done_leaves_the_due_list(b: &Backend) {
    use clinilog::domain::protocol::{ClosureData, Schedule, Status, follow};
    let catalog = Catalog::builtin().unwrap();
    let mut store = b.open();
    let p = store.create_patient(&patient_data("P1"), "Dr Rao").unwrap();
    let a = store
        .assign_protocol(p.id, &seed_assignment(date(2025, 7, 19)), "Dr Rao")
        .unwrap();
    let schedule = Schedule::of(&a.protocol(&catalog).unwrap());
    let items = a.plan(&schedule);
    let day90 = items.iter().find(|i| i.what.label() == "Day 90").unwrap();
    assert!(ClosureData::new(day90, "  ", "Dr Rao").is_err(), "a reason is needed");
    let closure = ClosureData::new(day90, "patient moved abroad", "Dr Rao").unwrap();
    let week = date(2026, 1, 5);
    let late = |store: &dyn ClinicStore| {
        store.due_list(week, &catalog).unwrap()[0]
            .lines
            .iter()
            .any(|l| l.what().label() == "Day 90")
    };
    assert!(late(&*store));
    let closed = store.close_plan_item(&a, &closure, "Dr Rao").unwrap();
    assert!(matches!(
        store.close_plan_item(&a, &closure, "Nurse Lee"),
        Err(StoreError::Conflict { .. })
    ));
    drop(store);

    let store = b.open();
    let read = store.assignments(p.id).unwrap();
    assert_eq!(read, [closed]);
    let items = read[0].plan(&schedule);
    let p90 = read[0].protocol(&catalog).unwrap();
    let f = follow(&p90, &items, &[], &[], week);
    let day90 = f.iter().find(|f| f.item.what.label() == "Day 90").unwrap();
    assert_eq!(day90.status, Status::NotDone("patient moved abroad".into()));
    assert!(!late(&*store), "closed: not on the due list");
    let last = store.history(p.id).unwrap().into_iter().next_back().unwrap();
    let line = clinilog::domain::history::describe(
        last.kind,
        last.action,
        last.before_json.as_deref(),
        last.after_json.as_deref(),
        &catalog,
    );
    assert_eq!(line.what, "Day 90 of 2025-10-17 closed as not done");
    assert_eq!(last.reason.as_deref(), Some("patient moved abroad"));
    assert!(store.check(&catalog).unwrap().is_empty());
    assert!(store.audit_chain().unwrap().is_intact());
    drop(store);
    assert!(b.raw("DELETE FROM plan_closures").is_err());
    assert!(b.raw("UPDATE plan_closures SET reason = 'x'").is_err());
}

/// An adverse event recorded, edited (resolved) and another voided reads
/// back after reopening; "no adverse events" is its own record; the file's
/// check is clean; rows cannot be deleted; History tells each step.
fn adverse_events_and_records_of_none_read_back_with_their_history(b: &Backend) {
    use clinilog::domain::adverse::{AdverseEventDraft, NoEventsData, Outcome, Relation};
    let catalog = Catalog::builtin().unwrap();
    let mut store = b.open();
    let p = store.create_patient(&patient_data("P1"), "Dr Rao").unwrap();
    let mut draft = AdverseEventDraft::blank(date(2025, 7, 22), Some(1), "Dr Rao");
    draft.term = "fever".into();
    draft.grade = "2".into();
    draft.relation = Some(Relation::Possible);
    let fever = draft.validate(date(1974, 1, 15), today()).unwrap();
    let e = store.add_adverse_event(p.id, &fever, "Dr Rao").unwrap();
    draft.resolved_on = "2025-07-24".into();
    draft.outcome = Outcome::Resolved;
    let resolved = draft.validate(date(1974, 1, 15), today()).unwrap();
    let e2 = store
        .edit_adverse_event(&e, &resolved, "resolved after two days", "Dr Rao")
        .unwrap();
    assert!(matches!(
        store.edit_adverse_event(&e, &resolved, "again", "Nurse Lee"),
        Err(StoreError::Conflict { .. })
    ));
    let mut typo = AdverseEventDraft::blank(date(2025, 7, 23), None, "Dr Rao");
    typo.term = "Nausea".into();
    typo.grade = "1".into();
    typo.relation = Some(Relation::Unlikely);
    let typo = store
        .add_adverse_event(p.id, &typo.validate(date(1974, 1, 15), today()).unwrap(), "Dr Rao")
        .unwrap();
    store.void_adverse_event(&typo, "wrong patient", "Dr Rao").unwrap();
    let none = NoEventsData {
        on: date(2025, 8, 4),
        note: "asked at the week-2 visit".into(),
        recorded_by: "Nurse Lee".into(),
    };
    store.record_no_adverse_events(p.id, &none, "Nurse Lee").unwrap();
    drop(store);

    let store = b.open();
    assert_eq!(store.adverse_events(p.id).unwrap(), [e2]);
    let nones = store.no_adverse_events(p.id).unwrap();
    assert_eq!(nones.len(), 1);
    assert_eq!(nones[0].data, none);
    assert!(store.check(&catalog).unwrap().is_empty(), "{:?}", store.check(&catalog));
    let lines: Vec<String> = store
        .history(p.id)
        .unwrap()
        .into_iter()
        .skip(1)
        .map(|r| {
            clinilog::domain::history::describe(
                r.kind,
                r.action,
                r.before_json.as_deref(),
                r.after_json.as_deref(),
                &catalog,
            )
            .what
        })
        .collect();
    assert_eq!(
        lines,
        [
            "Adverse event Fever, grade 2 (moderate) of 2025-07-22 recorded",
            "Adverse event Fever, grade 2 (moderate) of 2025-07-22 edited",
            "Adverse event Nausea, grade 1 (mild) of 2025-07-23 recorded",
            "Adverse event Nausea, grade 1 (mild) of 2025-07-23 voided",
            "No adverse events since the last visit on 2025-08-04: recorded",
        ]
    );
    drop(store);
    assert!(b.raw("DELETE FROM adverse_events").is_err());
    assert!(b.raw("DELETE FROM no_adverse_events").is_err());
    // The schema refuses what the form refuses, whoever writes.
    assert!(b.raw("UPDATE adverse_events SET grade = 6").is_err(), "grade 6");
    assert!(
        b.raw("UPDATE adverse_events SET resolved_on = '2025-07-01'").is_err(),
        "resolved before onset"
    );
}

/// The clinic's due list read from the file (dates in one pass, the last
/// visit's measures per patient) says what the domain says from the whole
/// record, for the demo patient, week by week through the protocol.
fn the_due_list_read_matches_the_plan_followed_in_full(b: &Backend) {
    use clinilog::domain::protocol::{Schedule, due_in_week_of};
    let catalog = Catalog::builtin().unwrap();
    let mut store = b.open();
    clinilog::cli::demo::write_demo(&mut *store, &catalog, today()).unwrap();
    let demo = store.patient_by_mrn("DEMO-001").unwrap().unwrap();
    let assignments = store.assignments(demo.id).unwrap();
    assert_eq!(assignments.len(), 1, "the demo is on the seed protocol");
    let protocol = assignments[0].protocol(&catalog).unwrap();
    let items = assignments[0].plan(&Schedule::of(&protocol));
    let entries = store.entries(demo.id).unwrap();
    let treatments = store.treatments(demo.id).unwrap();
    let mut day = date(2025, 7, 14);
    let mut weeks_with_lines = 0;
    while day < date(2026, 2, 1) {
        let full = due_in_week_of(&protocol, &items, &entries, &treatments, day);
        let list = store.due_list(day, &catalog).unwrap();
        match list.as_slice() {
            [] => assert!(full.is_empty(), "{day}: {full:?}"),
            [one] => {
                assert_eq!(one.mrn, "DEMO-001");
                assert_eq!(one.lines, full, "{day}");
                weeks_with_lines += 1;
            }
            more => panic!("{day}: {more:?}"),
        }
        day = day.saturating_add(jiff::Span::new().days(7));
    }
    assert!(weeks_with_lines >= 4, "{weeks_with_lines}");
}

/// The cohort read through the store: the demo patient alone, aligned at
/// the first cycle, gives the case report's numbers (baseline 12.30, day 14
/// 6.50, one month 4.60, -62.6 %), in conventional and SI units.
fn the_demo_patient_reproduces_the_case_report_in_a_cohort(b: &Backend) {
    use clinilog::domain::catalog::UnitSystem;
    use clinilog::domain::cohort::{Align, CohortMeasure, CohortOptions, cohort};
    use clinilog::store::CohortFilter;
    let catalog = Catalog::builtin().unwrap();
    let mut store = b.open();
    clinilog::cli::demo::write_demo(&mut *store, &catalog, today()).unwrap();
    let measure = CohortMeasure::Lab("bili_total".into());
    let filter = CohortFilter {
        protocol: Some("MSC + exosomes, 3 cycles".into()),
        ..CohortFilter::default()
    };
    let values = store
        .cohort_values(&measure, Align::FirstCycle, UnitSystem::Conventional, &catalog, &filter)
        .unwrap();
    assert_eq!(values.len(), 1);
    assert_eq!(values[0].day0, Some(date(2025, 7, 21)), "cycle 1");
    let c = cohort(
        &values,
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
    let si = store
        .cohort_values(&measure, Align::FirstCycle, UnitSystem::Si, &catalog, &filter)
        .unwrap();
    assert_eq!(si[0].points[0].text, "210.3");
    let none = CohortFilter {
        protocol: Some("another protocol".into()),
        ..CohortFilter::default()
    };
    let empty = store
        .cohort_values(&measure, Align::FirstCycle, UnitSystem::Conventional, &catalog, &none)
        .unwrap();
    assert!(empty.is_empty());
    assert_eq!(store.protocol_names().unwrap(), ["MSC + exosomes, 3 cycles"]);
    assert!(store.check(&catalog).unwrap().is_empty(), "{:?}", store.check(&catalog));
}

/// A lab's export imported through the store's batch: the preview writes
/// nothing; a cancel at the last line leaves nothing; the import writes
/// the patient and both entries with the file named in their audit rows;
/// the same file again adds nothing.
fn an_imported_file_is_one_batch_previewed_written_or_cancelled_whole(b: &Backend) {
    use clinilog::domain::import::{DateOrder, LocalCodes};
    use clinilog::interop::import::{ImportError, ImportOptions, Watch, import_file};
    use std::sync::atomic::{AtomicBool, Ordering};
    let catalog = Catalog::builtin().unwrap();
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/import/european_long.csv");
    let opts = ImportOptions {
        format: None,
        dates: Some(DateOrder::Dmy),
        create_patients: true,
        patient: None,
        local_codes: LocalCodes::default(),
        user: "Nurse Import".to_owned(),
        today: date(2026, 11, 22),
        keep_lines: 10_000,
        confirm_unusual: clinilog::interop::import::ConfirmUnusual::None,
    };
    let mut store = b.open();
    let run = |store: &mut dyn ClinicStore, write: bool, cancel_at: Option<u64>| {
        let cancel = AtomicBool::new(false);
        let watch = Watch {
            progress: &|_| {},
            cancel: &cancel,
        };
        import_file(store, &catalog, &file, &opts, write, &watch, &mut |l| {
            if Some(l.line) == cancel_at {
                cancel.store(true, Ordering::Relaxed);
            }
        })
    };
    let preview = run(&mut *store, false, None).unwrap();
    assert_eq!((preview.new, preview.entries, preview.written), (6, 2, false));
    assert!(
        store.patient_by_mrn("A-100").unwrap().is_none(),
        "a preview writes nothing"
    );
    let cancelled = run(&mut *store, true, Some(9)).unwrap_err();
    assert!(matches!(cancelled, ImportError::Cancelled), "{cancelled}");
    assert!(
        store.patient_by_mrn("A-100").unwrap().is_none(),
        "a cancel writes nothing"
    );
    assert!(store.audit_log(None).unwrap().is_empty());

    let s = run(&mut *store, true, None).unwrap();
    assert_eq!((s.new, s.rejected, s.skipped, s.entries, s.written), (6, 1, 1, 2, true));
    let store = b.open();
    let p = store
        .patient_by_mrn("A-100")
        .unwrap()
        .expect("registered from the file");
    let entries = store.entries(p.id).unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].data.lab("bili_total").unwrap().value.as_str(), "12.30");
    let reasons: Vec<_> = store
        .history(p.id)
        .unwrap()
        .into_iter()
        .filter_map(|a| a.reason)
        .collect();
    assert_eq!(reasons.len(), 3, "the patient and two entries");
    assert!(
        reasons
            .iter()
            .all(|r| r.contains("european_long.csv") && r.contains(&s.sha256))
    );
    let mut store = b.open();
    let again = run(&mut *store, true, None).unwrap();
    assert_eq!((again.new, again.present, again.written), (0, 6, false));
    assert_eq!(store.entries(p.id).unwrap().len(), 2);
}

// What only a server has.

#[test]
fn a_save_on_one_workstation_notifies_the_other() {
    let Some(b) = Backend::postgres() else { return };
    let Backend::Postgres(db) = &b else { unreachable!() };
    let target = &db.target;
    let mut reception = PgStore::open(target).unwrap();
    let consultation = PgStore::open(target).unwrap();
    let mut listener = Listener::start(target).unwrap();
    let patient = reception.create_patient(&patient_data("MRN-1"), "Nurse Kim").unwrap();
    let note = listener.next(Duration::from_secs(5)).unwrap().expect("a notification");
    assert_eq!(
        (note.table.as_str(), note.patient_id, note.by.as_str()),
        ("patients", patient.id, "Nurse Kim")
    );
    assert_eq!(note.from_pid, reception.backend_pid());
    assert_ne!(
        note.from_pid,
        consultation.backend_pid(),
        "the other workstation sees it is not its own"
    );
    let catalog = Catalog::builtin().unwrap();
    reception
        .record_entry(
            patient.id,
            &validated(&catalog, "2025-07-19", &[("alt", "60")]),
            "Nurse Kim",
        )
        .unwrap();
    let note = listener.next(Duration::from_secs(5)).unwrap().expect("a notification");
    assert_eq!((note.table.as_str(), note.patient_id), ("entries", patient.id));
    assert_eq!(consultation.entries(patient.id).unwrap().len(), 1);
    // A refused save notifies nobody.
    assert!(reception.create_patient(&patient_data("MRN-1"), "Nurse Kim").is_err());
    assert_eq!(listener.next(Duration::from_millis(300)).unwrap(), None);
}

#[test]
fn a_newer_schema_or_another_programs_database_is_refused_and_left_as_it_was() {
    let Some(b) = Backend::postgres() else { return };
    let Backend::Postgres(db) = &b else { unreachable!() };
    let (target, admin) = (&db.target, &db.admin);
    drop(PgStore::open(target).unwrap());
    b.raw("UPDATE clinilog_meta SET schema_version = 99").unwrap();
    let err = PgStore::open(target).unwrap_err();
    assert!(
        matches!(err, StoreError::ServerNewerSchema { found: 99, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("update Clinilog"), "{err}");
    assert_eq!(
        b.raw("SELECT schema_version FROM clinilog_meta").unwrap(),
        [[Some("99".to_owned())]]
    );

    // Another program's database: refused, nothing created in it.
    let other = format!("{}_other", target.dbname());
    admin
        .connect()
        .unwrap()
        .batch_execute(&format!("CREATE DATABASE {other}"))
        .unwrap();
    let other_target = admin.with_dbname(&other);
    other_target
        .connect()
        .unwrap()
        .batch_execute("CREATE TABLE invoices (id int)")
        .unwrap();
    let err = PgStore::open(&other_target).unwrap_err();
    assert!(matches!(err, StoreError::ServerNotClinilog(_)), "{err:?}");
    let tables: i64 = other_target
        .connect()
        .unwrap()
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(tables, 1);
    admin
        .connect()
        .unwrap()
        .batch_execute(&format!("DROP DATABASE {other} WITH (FORCE)"))
        .unwrap();
}

#[test]
fn a_lost_connection_is_said_and_a_new_one_carries_on() {
    let Some(b) = Backend::postgres() else { return };
    let Backend::Postgres(db) = &b else { unreachable!() };
    let (target, admin) = (&db.target, &db.admin);
    let mut store = PgStore::open(target).unwrap();
    let patient = store.create_patient(&patient_data("MRN-1"), "Dr Rao").unwrap();
    admin
        .connect()
        .unwrap()
        .execute("SELECT pg_terminate_backend($1)", &[&store.backend_pid()])
        .unwrap();
    let err = store.patient(patient.id).unwrap_err();
    assert!(matches!(err, StoreError::ConnectionLost { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.starts_with("the database server cannot be reached") && msg.contains(&target.describe()),
        "{msg}"
    );
    store.reconnect().unwrap();
    assert_eq!(store.patient(patient.id).unwrap(), patient);
    // A server that stays away: refused until it is back.
    db.away();
    assert!(store.patient(patient.id).is_err());
    assert!(store.reconnect().is_err());
    db.back();
    store.reconnect().unwrap();
    assert_eq!(store.patient(patient.id).unwrap(), patient);
}

#[test]
fn a_read_only_connection_refuses_every_write() {
    let Some(b) = Backend::postgres() else { return };
    let Backend::Postgres(db) = &b else { unreachable!() };
    let target = &db.target;
    let patient = PgStore::open(target)
        .unwrap()
        .create_patient(&patient_data("MRN-1"), "Dr Rao")
        .unwrap();
    let mut viewer = PgStore::open_read_only(target).unwrap();
    assert!(viewer.read_only());
    assert_eq!(viewer.patient(patient.id).unwrap(), patient);
    assert!(viewer.create_patient(&patient_data("MRN-2"), "Dr Rao").is_err());
    assert_eq!(viewer.patient_count().unwrap(), 1);
}

#[test]
fn the_check_finds_a_record_without_its_audit_row() {
    let Some(b) = Backend::postgres() else { return };
    let Backend::Postgres(db) = &b else { unreachable!() };
    let target = &db.target;
    let catalog = Catalog::builtin().unwrap();
    let mut store = PgStore::open(target).unwrap();
    let p = store.create_patient(&patient_data("MRN-1"), "Dr Rao").unwrap();
    store
        .record_entry(p.id, &validated(&catalog, "2025-07-19", &[("alt", "60")]), "Dr Rao")
        .unwrap();
    assert_eq!(store.check(&catalog).unwrap(), Vec::<String>::new());
    // Another program adds a patient and a value behind the application's
    // back: refused without an audit row; as the superuser, with the
    // triggers out of the way, found by the check.
    let patient = "INSERT INTO patients (mrn, name, birth_date, sex, enrolled, created_at)
         VALUES ('X', 'X', '1970-01-01', 'male', '2025-01-01', '2025-01-01T00:00:00Z')";
    let value =
        "INSERT INTO observations (entry_id, patient_id, collected_on, measure_code, kind, value_text, value, unit)
         SELECT id, patient_id, collected_on, 'ast', 'lab', '40', 40, 'U/L' FROM entries";
    for sql in [patient, value] {
        assert!(b.raw(sql).unwrap_err().contains("without its audit row is refused"));
    }
    behind_the_store(&b, "patients", patient);
    behind_the_store(&b, "observations", value);
    let problems = store.check(&catalog).unwrap();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems[0].contains("has no audit row of its creation"), "{problems:?}");
    assert!(
        problems[1].contains("has 2 observations; its audit row has 1 values"),
        "{problems:?}"
    );
    assert!(
        problems[2].starts_with("entry 1: AST (SGOT) is \"40\" \"U/L\" in the record, nothing in its audit row"),
        "{problems:?}"
    );
}

/// `clinilog copy` as a process: the busy demo file moved into an empty
/// database reads back the same through the store, record for record; new
/// records go on from the copied ids; a second copy is refused and writes
/// nothing.
#[test]
fn copy_moves_a_clinic_with_counts_and_checksums_and_refuses_a_second_time() {
    let Some(b) = Backend::postgres() else { return };
    let Backend::Postgres(db) = &b else { unreachable!() };
    let target = &db.target;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("clinic.sqlite");
    let exe = env!("CARGO_BIN_EXE_clinilog");
    let demo = std::process::Command::new(exe)
        .args(["demo", "--busy", "--db"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(demo.status.success(), "{}", String::from_utf8_lossy(&demo.stderr));
    let address = target.address();
    let copy = |to: &str| {
        std::process::Command::new(exe)
            .args(["copy", "--from"])
            .arg(&file)
            .args(["--to", to])
            .output()
            .unwrap()
    };
    let out = copy(&address);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    let line = |table: &str| {
        text.lines()
            .find(|l| l.starts_with(table))
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_owned()
    };
    assert_eq!(line("patients"), "2");
    assert_eq!(line("entries"), "265");
    assert_eq!(line("audit_log"), "275");
    assert!(
        text.contains("every table's count and checksum read back from the server equal the file's"),
        "{text}"
    );

    let catalog = Catalog::builtin().unwrap();
    let file_store = FileStore::open(&file).unwrap();
    let mut server = PgStore::open(target).unwrap();
    assert_eq!(
        server.patient_summaries().unwrap(),
        file_store.patient_summaries().unwrap()
    );
    for s in file_store.patient_summaries().unwrap() {
        let id = s.patient.id;
        assert_eq!(server.entries(id).unwrap(), file_store.entries(id).unwrap());
        assert_eq!(server.treatments(id).unwrap(), file_store.treatments(id).unwrap());
        assert_eq!(server.history(id).unwrap(), file_store.history(id).unwrap());
        assert_eq!(server.assignments(id).unwrap(), file_store.assignments(id).unwrap());
    }
    assert_eq!(server.check(&catalog).unwrap(), Vec::<String>::new());
    assert_eq!(
        server.due_list(date(2025, 8, 11), &catalog).unwrap(),
        file_store.due_list(date(2025, 8, 11), &catalog).unwrap()
    );
    // New records go on from the copied ids.
    let p = server.create_patient(&patient_data("NEW-1"), "Dr Rao").unwrap();
    assert_eq!(p.id, 3);

    // A second copy: refused, nothing written.
    let again = copy(&address);
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        err.contains("already holds 3 patient(s)") && err.contains("nothing was written"),
        "{err}"
    );
    assert_eq!(server.patient_count().unwrap(), 3);
    // A password in the address is refused before anything is read.
    let with_password = copy(&format!(
        "postgres://nurse:secret@{}/{}",
        target.server(),
        target.dbname()
    ));
    let err = String::from_utf8_lossy(&with_password.stderr);
    assert!(
        !with_password.status.success() && err.contains("PGPASSWORD") && !err.contains("secret"),
        "{err}"
    );
}

/// A command pointed at an empty server database says so and sets nothing
/// up in it (only the window and `copy` set a clinic up); on a clinic it
/// checks as on a file.
#[test]
fn commands_on_an_empty_server_database_refuse_and_create_nothing() {
    let Some(b) = Backend::postgres() else { return };
    let Backend::Postgres(db) = &b else { unreachable!() };
    let address = db.target.address();
    let exe = env!("CARGO_BIN_EXE_clinilog");
    let run = |args: &[&str]| std::process::Command::new(exe).args(args).output().unwrap();
    for args in [
        vec!["check", "--db", &address],
        vec!["due", "--db", &address],
        vec!["export", "--db", &address],
    ] {
        let out = run(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(err.contains("this database holds no clinic yet"), "{args:?}: {err}");
    }
    assert_eq!(
        b.raw("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
            .unwrap(),
        [[Some("0".to_owned())]]
    );
    let mut store = b.open();
    store.create_patient(&patient_data("MRN-1"), "Dr Rao").unwrap();
    let out = run(&["check", "--db", &address]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok: no problem found in postgres://"));
}
