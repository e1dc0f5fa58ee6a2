//! The patient list with 50,000 patients: one keystroke of search (the
//! filter over keys computed when the list loads, then the order), the same
//! with the headless frame that shows it, one frame of the list alone, and
//! building the list's view model when it loads (on its thread).
//!
//! Run: `cargo bench --bench patients`.

// Bench code: a failed unwrap is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clinilog::domain::{Patient, PatientData, Sex};
use clinilog::store::PatientSummary;
use clinilog::ui::patients::PatientsScreen;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;
use jiff::civil::date;

const PATIENTS: usize = 50_000;

fn rows() -> Vec<PatientSummary> {
    let diagnoses = [
        "Cirrhosis, alcohol-related",
        "Hepatitis C",
        "NASH cirrhosis",
        "Hepatitis B",
    ];
    (0..PATIENTS)
        .map(|i| PatientSummary {
            patient: Patient {
                id: i as i64,
                version: 1,
                archived: false,
                data: PatientData {
                    mrn: format!("B-{i:05}"),
                    name: format!("Patiënt Número {i}"),
                    birth_date: date(1950 + (i % 50) as i16, 1 + (i % 12) as i8, 1),
                    sex: if i % 2 == 0 { Sex::Female } else { Sex::Male },
                    diagnosis: diagnoses[i % diagnoses.len()].to_owned(),
                    enrolled: date(2025, 1, 1),
                    notes: String::new(),
                },
            },
            last_entry: Some(date(2025, 1 + (i % 12) as i8, 1)),
            entry_count: (i % 30) as i64,
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let rows = rows();
    c.bench_function("patient_list_load_50k", |b| {
        b.iter_batched(|| rows.clone(), PatientsScreen::new, BatchSize::LargeInput);
    });
    let mut screen = PatientsScreen::new(rows.clone());
    // One keystroke from `from` to `to`; the state before it is not timed.
    let mut keystroke = |name: &str, from: &str, to: &str| {
        c.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    screen.search = from.to_owned();
                    let _ = screen.visible_rows().count();
                    let t = Instant::now();
                    screen.search = to.to_owned();
                    black_box(screen.visible_rows().count());
                    total += t.elapsed();
                }
                total
            })
        });
    };
    // Typing on narrows the rows shown; a Backspace widens them (all rows again).
    keystroke("patient_search_keystroke_50k_typing", "numero 12", "numero 123");
    keystroke("patient_search_keystroke_50k_backspace", "numero 123", "numero 12");
}

/// The list drawn headless (layout and tessellation, no GPU).
fn frames(c: &mut Criterion) {
    let today = date(2025, 9, 1);
    let mut h = Harness::builder().with_size([1400.0, 1000.0]).build_ui_state(
        |ui, s: &mut PatientsScreen| {
            s.ui(ui, today, "bench", None);
        },
        PatientsScreen::new(rows()),
    );
    h.run();
    c.bench_function("patient_list_frame_50k_headless", |b| b.iter(|| h.step()));
    let mut keystroke = |name: &str, from: &str, to: &str| {
        c.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    h.state_mut().search = from.to_owned();
                    h.step();
                    let t = Instant::now();
                    h.state_mut().search = to.to_owned();
                    h.step();
                    total += t.elapsed();
                }
                total
            })
        });
    };
    keystroke(
        "patient_search_keystroke_50k_typing_with_frame",
        "numero 12",
        "numero 123",
    );
    keystroke(
        "patient_search_keystroke_50k_backspace_with_frame",
        "numero 123",
        "numero 12",
    );
}

criterion_group!(benches, bench, frames);
criterion_main!(benches);
