//! Backups of a clinic-sized file: 10,000 patients with four weekly entries
//! of ten labs and two symptoms each (40,000 entries, 480,000 observations),
//! written through the store as the window would (built once, in
//! `target/bench-clinic.sqlite`, and reused).
//!
//! - `backup_10k_patients`: one checked backup (`Store::backup_to`), and
//!   its size, printed.
//! - `frame_idle` / `frame_while_backing_up`: one headless frame of the
//!   window on that file, with a backup running on another thread or not,
//!   side by side, to show the window does not stall.
//!
//! Run: `cargo bench --bench backup` (the first run builds the file: minutes).

// Bench code: a failed unwrap is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clinilog::store::ClinicStore;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clinilog::domain::{Catalog, EntryDraft, PatientDraft, Sex};
use clinilog::store::FileStore;
use clinilog::ui::{ClinilogApp, Prefs};
use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;
use jiff::ToSpan;
use jiff::civil::date;

const PATIENTS: usize = 10_000;

fn clinic_file() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-clinic.sqlite");
    if path.exists() {
        return path;
    }
    let building = path.with_extension("building");
    let _ = std::fs::remove_file(&building);
    let catalog = Catalog::builtin().unwrap();
    let mut store = FileStore::open(&building).unwrap();
    let today = date(2025, 9, 1);
    let labs = [
        ("bili_total", "2.1"),
        ("bili_direct", "0.9"),
        ("alt", "45"),
        ("ast", "60"),
        ("alp", "120"),
        ("albumin", "3.4"),
        ("inr", "1.3"),
        ("sodium", "137"),
        ("creatinine", "1.0"),
        ("platelets", "140"),
    ];
    for n in 0..PATIENTS {
        let draft = PatientDraft {
            mrn: format!("B-{n:05}"),
            name: format!("Bench Patient {n:05}"),
            birth_date: "1960-01-01".into(),
            sex: Some(if n % 2 == 0 { Sex::Female } else { Sex::Male }),
            diagnosis: "Cirrhosis".into(),
            enrolled: "2025-01-01".into(),
            notes: String::new(),
        };
        let patient = store.create_patient(&draft.validate(today).unwrap(), "bench").unwrap();
        for week in 0..4 {
            let on = date(2025, 6, 2) + (7 * week).days();
            let mut d = EntryDraft::blank(&catalog, patient.data.sex, on, "bench");
            for (code, v) in labs {
                d.labs.iter_mut().find(|l| l.code == code).unwrap().value = v.into();
            }
            d.symptoms.iter_mut().find(|s| s.code == "fatigue").unwrap().value = "4".into();
            d.symptoms.iter_mut().find(|s| s.code == "jaundice").unwrap().value = "1".into();
            let data = d
                .validate(&catalog, patient.data.sex, patient.data.birth_date, today)
                .unwrap();
            store.record_entry(patient.id, &data, "bench").unwrap();
        }
    }
    drop(store);
    std::fs::rename(&building, &path).unwrap();
    path
}

fn backup(c: &mut Criterion) {
    let path = clinic_file();
    let store = FileStore::open(&path).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let one = store.backup_to(dir.path()).unwrap();
    println!(
        "one backup: {} bytes ({} patients, {} entries); source {} bytes",
        one.size,
        one.patients,
        one.entries,
        std::fs::metadata(&path).unwrap().len()
    );
    c.bench_function("backup_10k_patients", |b| {
        b.iter(|| {
            let b = store.backup_to(dir.path()).unwrap();
            std::fs::remove_file(b.path).unwrap();
        })
    });
}

fn frames(c: &mut Criterion) {
    let path = clinic_file();
    let app = ClinilogApp::new(
        FileStore::open(&path).unwrap(),
        Catalog::builtin().unwrap(),
        Prefs {
            clinician: "bench".into(),
            ..Prefs::default()
        },
    )
    .with_today(date(2025, 9, 1));
    let mut h = Harness::builder()
        .with_size([1400.0, 1000.0])
        .build_ui_state(|ui, app: &mut ClinilogApp| app.show(ui), app);
    h.run();
    c.bench_function("frame_idle", |b| b.iter(|| h.step()));
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let stop = stop.clone();
        let path = path.clone();
        std::thread::spawn(move || {
            let dir = tempfile::tempdir().unwrap();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let b = clinilog::store::backup_file(&path, &[dir.path().to_owned()], date(2025, 9, 1)).unwrap();
                for info in b {
                    std::fs::remove_file(info.path).unwrap();
                }
                n += 1;
            }
            n
        })
    };
    c.bench_function("frame_while_backing_up", |b| b.iter(|| h.step()));
    stop.store(true, Ordering::Relaxed);
    println!("backups taken meanwhile: {}", worker.join().unwrap());
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = backup, frames
}
criterion_main!(benches);
