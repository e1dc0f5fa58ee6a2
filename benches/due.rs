//! The due list of a clinic: 10,000 patients on the seed protocol (started
//! on staggered days), each with five weekly entries and two cycles
//! recorded; one week's list for all of them (lay out each plan, follow it,
//! list what is due, late and missing). Issue 14's target: within a frame.
//!
//! Also the same list read from a generated clinic file (the store's
//! part: entry dates in one pass, the last visit's measures per patient).
//!
//! Run: `cargo bench --bench due`.

// Bench code: a failed unwrap is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use clinilog::domain::protocol::{Protocol, Schedule, due_in_week_of};
use clinilog::domain::{Entry, EntryData, SymptomRating, TreatmentData, TreatmentEvent, TreatmentKind};
use criterion::{Criterion, criterion_group, criterion_main};
use jiff::ToSpan;
use jiff::civil::{Date, date};

const PATIENTS: i64 = 10_000;

struct Record {
    start: Date,
    entries: Vec<Entry>,
    treatments: Vec<TreatmentEvent>,
}

fn clinic() -> Vec<Record> {
    (0..PATIENTS)
        .map(|i| {
            let start = date(2025, 6, 1).checked_add((i % 90).days()).unwrap();
            let entries = (0..5)
                .map(|k| Entry {
                    id: i * 10 + k,
                    patient_id: i,
                    version: 1,
                    recorded_at: String::new(),
                    data: EntryData {
                        collected_on: start.checked_add((7 * k + (i + k) % 3).days()).unwrap(),
                        labs: Vec::new(),
                        symptoms: ["fatigue", "appetite_loss", "jaundice"]
                            .iter()
                            .map(|c| SymptomRating {
                                code: (*c).into(),
                                value: 2,
                            })
                            .collect(),
                        note: String::new(),
                        recorded_by: "bench".into(),
                    },
                })
                .collect();
            let treatments = (0..2u32)
                .map(|c| TreatmentEvent {
                    id: i * 10 + i64::from(c),
                    patient_id: i,
                    version: 1,
                    data: TreatmentData {
                        date: start.checked_add((15 * i64::from(c)).days()).unwrap(),
                        kind: TreatmentKind::CellInfusion,
                        product: "MSC".into(),
                        dose: None,
                        dose_unit: String::new(),
                        route: "IV".into(),
                        cycle: Some(c + 1),
                        note: String::new(),
                        recorded_by: "bench".into(),
                    },
                })
                .collect();
            Record {
                start,
                entries,
                treatments,
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let protocol = Protocol::seed().unwrap();
    // The protocol's days, computed once for the whole list.
    let schedule = Schedule::of(&protocol);
    let records = clinic();
    let week = date(2025, 8, 11);
    let lines: usize = records
        .iter()
        .map(|r| due_in_week_of(&protocol, &schedule.from(r.start), &r.entries, &r.treatments, week).len())
        .sum();
    assert!(lines > PATIENTS as usize, "the list has lines ({lines})");
    c.bench_function("due_list_week_10000_patients", |b| {
        b.iter(|| {
            records
                .iter()
                .map(|r| {
                    let items = schedule.from(r.start);
                    black_box(due_in_week_of(&protocol, &items, &r.entries, &r.treatments, week)).len()
                })
                .sum::<usize>()
        })
    });
}

/// The due list read from a generated clinic file of 10,000 patients with
/// 26 weekly entries each, all on the seed protocol (1.2 GB, written once
/// into `target/due-bench/`): what the Due screen's thread does.
fn from_file(c: &mut Criterion) {
    let catalog = clinilog::domain::Catalog::builtin().unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/due-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("clinic-10000x26.sqlite");
    let today = date(2026, 11, 23);
    if !path.exists() {
        let mut store = clinilog::store::FileStore::open(&path).unwrap();
        clinilog::cli::clinic::write_clinic(&mut store, &catalog, 10_000, 26, 1, today).unwrap();
    }
    use clinilog::store::ClinicStore;
    let store = clinilog::store::FileStore::open_read_only(&path).unwrap();
    let lines: usize = store
        .due_list(today, &catalog)
        .unwrap()
        .iter()
        .map(|p| p.lines.len())
        .sum();
    // Every generated patient has a weekly entry inside each visit's window
    // (Week 4 and Day 30 done by the same entry): nothing is late this week.
    // (Before issue 30 each of them had a false "Day 30: late" line.)
    eprintln!("due list of the week of {today}: {lines} line(s)");
    assert!(lines < 1_000, "a false late line for most patients ({lines})");
    c.bench_function("due_list_store_read_10000_patients", |b| {
        b.iter(|| black_box(store.due_list(today, &catalog).unwrap()).len())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench, from_file
}
criterion_main!(benches);
