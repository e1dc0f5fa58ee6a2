//! Issue 15's cohort model, the domain part: 10,000 patients with 28
//! weekly values of one measure each, aligned at the first cycle; the
//! baseline, the values nearest day 14, 30, 90 and 180, the changes and
//! their medians and IQR. (Reading the values from the file is not in this
//! figure: the store's read of one measure for every patient comes with the
//! Cohort tab.)
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

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
