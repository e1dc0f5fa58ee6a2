//! The Trends tab with a busy patient: five years of weekly entries (260)
//! with 15 lab measures and four symptoms each, plus three treatments.
//!
//! - `trends_view_model`: building everything the tab draws (series, bands,
//!   changes, groups, scores, normalised series, symptom strips), as done
//!   when the patient is opened or the units change.
//! - `trends_frame`: one frame of the Trends tab drawn headless through
//!   egui_kittest (layout and tessellation, no GPU).
//! - `open_patient_260_to_first_log_frame` and `..._trends_frame`: opening
//!   the patient from the list: the store read (entries, treatments, audit
//!   trail), the view models, and the first headless frame of that tab.
//!
//! Run: `cargo bench --bench trends`.

// Test code: a failed unwrap is a failed test (the helpers too, not only #[test] fns).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clinilog::store::ClinicStore;
use std::hint::black_box;
use std::time::{Duration, Instant};

use clinilog::cli::demo::{BUSY_MRN, busy_entries, write_busy_demo};
use clinilog::domain::score_inputs::all_entry_scores;
use clinilog::domain::{Catalog, Entry, Patient, PatientData, Sex};
use clinilog::store::FileStore;
use clinilog::ui::patient::Tab;
use clinilog::ui::trends::TrendsModel;
use clinilog::ui::{Action, ClinilogApp, Prefs, Screen};
use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use jiff::civil::date;

fn busy_patient(catalog: &Catalog) -> (Patient, Vec<Entry>) {
    let patient = Patient {
        id: 1,
        version: 1,
        archived: false,
        data: PatientData {
            mrn: BUSY_MRN.into(),
            name: "Busy".into(),
            birth_date: date(1960, 5, 5),
            sex: Sex::Female,
            diagnosis: String::new(),
            enrolled: date(2020, 9, 1),
            notes: String::new(),
        },
    };
    let entries = busy_entries(catalog, date(2020, 9, 1), 260)
        .into_iter()
        .enumerate()
        .map(|(i, data)| Entry {
            id: i as i64 + 1,
            patient_id: 1,
            version: 1,
            recorded_at: String::new(),
            data,
        })
        .collect();
    (patient, entries)
}

fn view_model(c: &mut Criterion) {
    let catalog = Catalog::builtin().unwrap();
    let (patient, entries) = busy_patient(&catalog);
    c.bench_function("trends_view_model_260x15", |b| {
        b.iter(|| {
            let scores = all_entry_scores(&entries, &patient, &catalog, 7);
            black_box(TrendsModel::build(
                &entries,
                &[],
                &catalog,
                &patient,
                &scores,
                clinilog::domain::catalog::UnitSystem::Conventional,
            ))
        })
    });
}

/// The window on a file with the busy patient, its patient list read.
fn busy_window(dir: &tempfile::TempDir) -> (Harness<'static, ClinilogApp>, i64) {
    let catalog = Catalog::builtin().unwrap();
    let mut store = FileStore::open(dir.path().join("busy.sqlite")).unwrap();
    write_busy_demo(&mut store, &catalog, date(2025, 9, 1)).unwrap();
    let id = store.patient_by_mrn(BUSY_MRN).unwrap().unwrap().id;
    let app = ClinilogApp::new(
        store,
        catalog,
        Prefs {
            clinician: "bench".into(),
            ..Prefs::default()
        },
    )
    .with_today(date(2025, 9, 1));
    let mut h = Harness::builder()
        .with_size([1400.0, 1000.0])
        .build_ui_state(|ui, app: &mut ClinilogApp| app.show(ui), app);
    h.step();
    // The list is read on a thread.
    while h.state().list_loading() {
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
    h.run();
    (h, id)
}

fn frame(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, _) = busy_window(&dir);
    h.get_by_label("Generated: five-year weekly follow-up").click();
    h.run();
    h.get_by_label("Trends").click();
    h.run();
    c.bench_function("trends_frame_260x15_headless", |b| b.iter(|| h.step()));
}

fn open(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, id) = busy_window(&dir);
    for (name, tab) in [
        ("open_patient_260_to_first_log_frame", Tab::Log),
        ("open_patient_260_to_first_trends_frame", Tab::Trends),
    ] {
        h.state_mut().apply(Action::OpenPatient(id));
        assert!(matches!(h.state().screen, Screen::Patient(_)), "the patient opens");
        c.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    // Back on the list; the patient screen left is dropped untimed.
                    let left = std::mem::take(&mut h.state_mut().screen);
                    drop(left);
                    let t = Instant::now();
                    // What a click on the name in the list does, then one frame.
                    h.state_mut().apply(Action::OpenPatient(id));
                    if let Screen::Patient(p) = &mut h.state_mut().screen {
                        p.show_tab(tab);
                    }
                    h.step();
                    total += t.elapsed();
                }
                total
            })
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = view_model, frame, open
}
criterion_main!(benches);
