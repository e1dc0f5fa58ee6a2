//! The patient list with 50,000 patients: one keystroke of search (the
//! filter over keys computed when the list loads, then the order), and
//! building the list's view model when it loads.
//!
//! Run: `cargo bench --bench patients`.

// Bench code: a failed unwrap is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clinilog::domain::{Patient, PatientData, Sex};
use clinilog::store::PatientSummary;
use clinilog::ui::patients::PatientsScreen;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
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
    let _ = screen.visible_rows().count();
    let mut n = 0u64;
    c.bench_function("patient_search_keystroke_50k", |b| {
        b.iter(|| {
            // Another search each time, as a keystroke gives.
            n += 1;
            screen.search = if n.is_multiple_of(2) {
                "numero 12".to_owned()
            } else {
                "numero 123".to_owned()
            };
            screen.visible_rows().count()
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
