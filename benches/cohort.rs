//! Issue 15's cohort: the model for 10,000 patients with 28 weekly values
//! of one measure each, aligned at the first cycle (the baseline, the
//! values nearest day 14, 30, 90 and 180, the changes and their medians and
//! IQR); one headless frame of the Cohort screen showing them (plot, bands,
//! summaries, responders); and the values read from a generated clinic file.
//!
//! Run: `cargo bench --bench cohort`.

// Bench code: a failed unwrap is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use clinilog::domain::cohort::{CohortOptions, PatientValues, Point, cohort};
use criterion::{Criterion, criterion_group, criterion_main};
use jiff::ToSpan;
use jiff::civil::date;

fn patients() -> Vec<PatientValues> {
    (0..10_000i64)
        .map(|i| {
            let day0 = date(2024, 1, 1).checked_add((i % 300).days()).unwrap();
            let points = (0..28i64)
                .map(|w| {
                    let value = 2.0 + (i % 7) as f64 - 0.1 * w as f64;
                    Point {
                        date: day0.checked_add((7 * w - 3).days()).unwrap(),
                        value,
                        text: format!("{value:.2}"),
                        censored: false,
                    }
                })
                .collect();
            PatientValues {
                cycles: Vec::new(),
                patient_id: i,
                name: format!("Patient {i}"),
                day0: Some(day0),
                points,
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let patients = patients();
    let options = CohortOptions {
        baseline_days: 14,
        at_days: vec![14, 30, 90, 180],
        window_days: 7,
    };
    let model = cohort(&patients, &options);
    assert_eq!(model.rows.len(), 10_000);
    assert!(model.change_spread.iter().all(Option::is_some));
    c.bench_function("cohort_model_10000_patients_28_values", |b| {
        b.iter(|| black_box(cohort(&patients, &options)))
    });
}

/// The same from a generated clinic file of 10,000 patients with 26 weekly
/// entries (1.2 GB, shared with the due bench in `target/due-bench/`):
/// reading total bilirubin for every patient (the Cohort screen's thread),
/// then the model, then the weekly bands the plot draws.
fn from_file(c: &mut Criterion) {
    use clinilog::domain::Catalog;
    use clinilog::domain::catalog::UnitSystem;
    use clinilog::domain::cohort::{Align, CohortMeasure, weekly_bands};
    use clinilog::store::{ClinicStore, CohortFilter, FileStore};
    let catalog = Catalog::builtin().unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/due-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("clinic-10000x26.sqlite");
    if !path.exists() {
        let mut store = FileStore::open(&path).unwrap();
        clinilog::cli::clinic::write_clinic(&mut store, &catalog, 10_000, 26, 1, jiff::civil::date(2026, 11, 23))
            .unwrap();
    }
    let store = FileStore::open_read_only(&path).unwrap();
    let bili = CohortMeasure::Lab("bili_total".into());
    let read = || {
        store
            .cohort_values(
                &bili,
                Align::FirstCycle,
                UnitSystem::Conventional,
                &catalog,
                &CohortFilter::default(),
            )
            .unwrap()
    };
    let values = read();
    assert!(values.len() > 10_000 - 10, "{}", values.len());
    let options = CohortOptions {
        baseline_days: 14,
        at_days: vec![14, 30, 90, 180],
        window_days: 7,
    };
    assert!(cohort(&values, &options).rows.len() > 9_000);
    c.bench_function("cohort_read_bili_10000_patients_from_file", |b| {
        b.iter(|| black_box(read()).len())
    });
    c.bench_function("cohort_read_and_model_10000_patients_from_file", |b| {
        b.iter(|| {
            let values = read();
            black_box((cohort(&values, &options), weekly_bands(&values, 3)))
        })
    });
}

/// One headless frame of the Cohort screen with 10,000 patients read (the
/// plot draws 400 lines, the band and the summaries).
fn frame(c: &mut Criterion) {
    use clinilog::domain::Catalog;
    use clinilog::domain::catalog::UnitSystem;
    use clinilog::ui::cohort::CohortScreen;
    let catalog = Catalog::builtin().unwrap();
    let mut screen = CohortScreen::new(&catalog);
    screen.wants_read = false;
    screen.set_values(Ok((patients(), Vec::new())), UnitSystem::Conventional);
    let mut h = egui_kittest::Harness::builder()
        .with_size([1400.0, 1000.0])
        .build_ui_state(
            move |ui, s: &mut CohortScreen| {
                s.ui(ui, &catalog, UnitSystem::Conventional);
            },
            screen,
        );
    h.run();
    c.bench_function("cohort_frame_10000_patients_headless", |b| b.iter(|| h.step()));
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench, frame, from_file
}
criterion_main!(benches);
