//! An encrypted clinic file against the same file plain: opening it, the
//! busy 260-entry patient's load (what the patient screen reads), saving an
//! entry, and the full observations export (`clinilog export`) of a
//! generated clinic of 300 patients followed 26 weeks with the busy patient.
//! Both files are on the local disk; the key of the encrypted one is in a
//! key file (read once per process, as the keyring is).
//!
//! Run: `cargo bench --bench encryption`

// Bench code: a failed unwrap is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clinilog::store::ClinicStore;
use std::path::Path;

use clinilog::cli::demo::{BUSY_MRN, write_busy_demo};
use clinilog::domain::Catalog;
use clinilog::store::keys::{self, Keeper};
use clinilog::store::{FileStore, protect};
mod common;
use common::open_patient;
use criterion::{Criterion, criterion_group, criterion_main};
use jiff::civil::date;

fn measure(c: &mut Criterion, name: &str, db: &Path, out: &Path) {
    let catalog = Catalog::builtin().unwrap();
    c.bench_function(&format!("open/{name}"), |b| {
        b.iter(|| FileStore::open(db).unwrap().patient_count().unwrap())
    });
    let mut store = FileStore::open(db).unwrap();
    let id = store.patient_by_mrn(BUSY_MRN).unwrap().unwrap().id;
    c.bench_function(&format!("open_260_entry_patient/{name}"), |b| {
        b.iter(|| open_patient(&store, id))
    });
    // Before the saves, which add entries (as many as criterion runs).
    c.bench_function(&format!("export_all/{name}"), |b| {
        b.iter(|| clinilog::cli::export::run(db, None, Some(out), &catalog).unwrap())
    });
    let entry = clinilog::cli::demo::busy_entries(&catalog, date(2026, 11, 2), 1).remove(0);
    c.bench_function(&format!("save_entry/{name}"), |b| {
        b.iter(|| store.record_entry(id, &entry, "bench").unwrap().id)
    });
}

fn bench(c: &mut Criterion) {
    let catalog = Catalog::builtin().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain").join("clinic.sqlite");
    let encrypted = dir.path().join("encrypted").join("clinic.sqlite");
    std::fs::create_dir_all(plain.parent().unwrap()).unwrap();
    std::fs::create_dir_all(encrypted.parent().unwrap()).unwrap();
    {
        let mut store = FileStore::open(&plain).unwrap();
        write_busy_demo(&mut store, &catalog, date(2026, 11, 1)).unwrap();
        clinilog::cli::clinic::write_clinic(&mut store, &catalog, 300, 26, 1, date(2026, 11, 1)).unwrap();
        // Both files compact, as sqlcipher_export writes the encrypted one.
        let backup = store.backup_to(&dir.path().join("compact")).unwrap();
        drop(store);
        std::fs::copy(&backup.path, &plain).unwrap();
        let _ = std::fs::remove_file(dir.path().join("plain").join("clinic.sqlite-wal"));
        let _ = std::fs::remove_file(dir.path().join("plain").join("clinic.sqlite-shm"));
    }
    std::fs::copy(&plain, &encrypted).unwrap();
    eprintln!(
        "file sizes before the benches: plain {} bytes",
        std::fs::metadata(&plain).unwrap().len()
    );
    keys::set_keeper(Keeper::KeyFile(dir.path().join("clinic.key")));
    protect::encrypt(&encrypted, &[], true).unwrap();
    let out = dir.path().join("export.csv");
    measure(c, "plain", &plain, &out);
    eprintln!(
        "encrypted before the benches: {} bytes",
        std::fs::metadata(&encrypted).unwrap().len()
    );
    measure(c, "encrypted", &encrypted, &out);
    eprintln!(
        "file sizes: plain {} bytes, encrypted {} bytes",
        std::fs::metadata(&plain).unwrap().len(),
        std::fs::metadata(&encrypted).unwrap().len()
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
