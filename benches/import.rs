//! Importing lab results: a generated long CSV of 50,000 observations
//! (1,000 patients registered from the file, 10 weekly entries of five
//! labs each) into a fresh file, written and as a preview.
//!
//! - `import_50k_observations_csv`: the whole import, one transaction.
//! - `preview_50k_observations_csv`: the same run, writing nothing.
//!
//! Run: `cargo bench --bench import`. The side-by-side check against the
//! sqlite3 shell at 1,000,000 observations, with peak memory, is
//! `benches/import_vs_sqlite3.sh`.

// Bench code: a failed unwrap is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use clinilog::domain::Catalog;
use clinilog::domain::import::LocalCodes;
use clinilog::interop::import::{ImportOptions, Watch, import_file};
use clinilog::store::FileStore;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

const PATIENTS: usize = 1_000;
const ENTRIES: usize = 10;

fn write_csv(path: &Path) {
    let labs = [
        ("1975-2", "2.10", "mg/dL"),
        ("1742-6", "45", "U/L"),
        ("1920-8", "60", "U/L"),
        ("1751-7", "3.4", "g/dL"),
        ("6301-6", "1.3", ""),
    ];
    let mut text = String::from("mrn,name,sex,birth_date,date,loinc,value,unit,reference_range\n");
    for p in 0..PATIENTS {
        for e in 0..ENTRIES {
            let date = jiff::civil::date(2025, 1, 6).saturating_add(jiff::Span::new().days(7 * e as i64));
            for (loinc, value, unit) in labs {
                writeln!(text, "P{p:05},Patient {p},F,1960-01-01,{date},{loinc},{value},{unit},").unwrap();
            }
        }
    }
    std::fs::write(path, text).unwrap();
}

fn options() -> ImportOptions {
    ImportOptions {
        format: None,
        dates: None,
        create_patients: true,
        patient: None,
        local_codes: LocalCodes::default(),
        user: "bench".to_owned(),
        today: jiff::civil::date(2026, 1, 1),
        keep_lines: 1_000,
        confirm_unusual: clinilog::interop::import::ConfirmUnusual::None,
    }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("results.csv");
    write_csv(&csv);
    let catalog = Catalog::builtin().unwrap();
    let cancel = AtomicBool::new(false);
    let watch = Watch {
        progress: &|_| {},
        cancel: &cancel,
    };
    let mut group = c.benchmark_group("import");
    group.sample_size(10);
    for (name, write) in [
        ("import_50k_observations_csv", true),
        ("preview_50k_observations_csv", false),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let db = tempfile::NamedTempFile::new_in(dir.path()).unwrap().into_temp_path();
                    FileStore::open(&db).unwrap();
                    db
                },
                |db| {
                    let mut store = FileStore::open(&db).unwrap();
                    let s = import_file(&mut store, &catalog, &csv, &options(), write, &watch, &mut |_| {}).unwrap();
                    assert_eq!(s.new, (PATIENTS * ENTRIES * 5) as u64);
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
