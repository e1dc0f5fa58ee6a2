//! One workstation's busiest store calls on each backend, side by side:
//! opening the clinic (connect, check, migrate), opening the busy
//! 260-entry patient (everything the patient screen reads: the patient,
//! entries, treatments, History, protocols, adverse events), saving an
//! entry (one transaction with its observations and audit row; on the
//! server also its notification), and reading the whole clinic for an
//! export (every patient with its entries). The SQLite file is on
//! the local disk; the PostgreSQL database on loopback, as the libpq
//! variables say (`pg_virtualenv -t cargo bench --bench backends`). Without a
//! server only the file is measured.
//!
//! Run: `PGSSLMODE=disable pg_virtualenv -t cargo bench --bench backends`
//! (the cluster on loopback, without TLS; with the clinic's CA in
//! `PGSSLROOTCERT` instead, the same over verified TLS).

// Bench code: a failed unwrap is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clinilog::cli::demo::{BUSY_MRN, write_busy_demo};
use clinilog::domain::{Catalog, EntryData};
use clinilog::store::pg::{PgStore, PgTarget};
use clinilog::store::{ClinicStore, FileStore};
mod common;
use common::open_patient;
use criterion::{Criterion, criterion_group, criterion_main};
use jiff::civil::date;

/// A new empty database on the server of the libpq variables, if any.
fn server_database() -> Option<(PgTarget, PgTarget)> {
    std::env::var_os("PGHOST")?;
    let db = std::env::var("PGDATABASE").unwrap_or_else(|_| "postgres".to_owned());
    let admin = PgTarget::parse(&format!("postgres:///{db}")).unwrap();
    let name = format!("clinilog_bench_{}", std::process::id());
    let mut client = admin.connect().unwrap();
    // One statement each: neither may run inside a transaction block.
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .unwrap();
    client.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    Some((admin.with_dbname(&name), admin))
}

fn measure(
    c: &mut Criterion,
    name: &str,
    open: &dyn Fn() -> Box<dyn ClinicStore>,
    store: &mut dyn ClinicStore,
    entry: &EntryData,
) {
    let catalog = Catalog::builtin().unwrap();
    write_busy_demo(store, &catalog, date(2026, 11, 1)).unwrap();
    c.bench_function(&format!("open_clinic/{name}"), |b| b.iter(|| open().schema().unwrap()));
    c.bench_function(&format!("export_all/{name}"), |b| {
        b.iter(|| store.patients_with_entries(None).unwrap().len())
    });
    let id = store.patient_by_mrn(BUSY_MRN).unwrap().unwrap().id;
    assert!(store.entries(id).unwrap().len() >= 260);
    c.bench_function(&format!("open_260_entry_patient/{name}"), |b| {
        b.iter(|| open_patient(&*store, id))
    });
    c.bench_function(&format!("save_entry/{name}"), |b| {
        b.iter(|| store.record_entry(id, entry, "bench").unwrap().id)
    });
}

fn bench(c: &mut Criterion) {
    let catalog = Catalog::builtin().unwrap();
    let entry = clinilog::cli::demo::busy_entries(&catalog, date(2026, 11, 2), 1).remove(0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinic.sqlite");
    let mut file = FileStore::open(&path).unwrap();
    let open_file = || Box::new(FileStore::open(&path).unwrap()) as Box<dyn ClinicStore>;
    measure(c, "sqlite_file", &open_file, &mut file, &entry);
    match server_database() {
        Some((target, admin)) => {
            let mut server = PgStore::open(&target).unwrap();
            let open_server = || Box::new(PgStore::open(&target).unwrap()) as Box<dyn ClinicStore>;
            measure(c, "postgres_loopback", &open_server, &mut server, &entry);
            drop(server);
            let _ = admin
                .connect()
                .unwrap()
                .batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", target.dbname()));
        }
        None => eprintln!("no PostgreSQL server (PGHOST unset): only the file was measured"),
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}
criterion_main!(benches);
