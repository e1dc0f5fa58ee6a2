//! The audit chain's check on a large clinic: every row of the trail read
//! and its SHA-256 recomputed (what `clinilog check` and the window's
//! background check do), on the generated 10,000-patient clinic that
//! `benches/window.sh` keeps (`target/window-bench/clinic-10000x26.sqlite`,
//! about 310,000 audit rows; made if missing, migrated to the chained
//! schema on first open), or on the file named by `CLINILOG_BENCH_DB`.
//!
//! With it, `verify_trail`: the chain and every record against its trail,
//! what the window checks in the background since issue 41.
//!
//! Run: `cargo bench --bench chain`.

// Bench code: a failed unwrap is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clinilog::store::ClinicStore;
use std::hint::black_box;
use std::path::PathBuf;

use clinilog::store::FileStore;
use criterion::{Criterion, criterion_group, criterion_main};

fn clinic() -> PathBuf {
    if let Some(p) = std::env::var_os("CLINILOG_BENCH_DB") {
        return PathBuf::from(p);
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/window-bench/clinic-10000x26.sqlite");
    if !path.is_file() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_clinilog"))
            .args(["demo", "--clinic", "10000", "--weeks", "26", "--db"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    path
}

fn chain(c: &mut Criterion) {
    let path = clinic();
    // Opened for writing once: an older file is migrated (its rows chained).
    drop(FileStore::open(&path).unwrap());
    let store = FileStore::open_read_only(&path).unwrap();
    let rows = store.audit_chain().unwrap().rows;
    c.bench_function(&format!("audit_chain_check/{rows}_rows"), |b| {
        b.iter(|| {
            let report = store.audit_chain().unwrap();
            assert!(report.is_intact());
            black_box(report.head)
        })
    });
    // The window's background check: the chain, and every record against its trail.
    let catalog = clinilog::domain::Catalog::builtin().unwrap();
    c.bench_function(&format!("verify_trail/{rows}_rows"), |b| {
        b.iter(|| {
            let report = store.verify_trail(&catalog).unwrap();
            assert!(
                report.is_intact(),
                "{:?}",
                &report.problems[..report.problems.len().min(3)]
            );
            black_box(report.head)
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = chain
}
criterion_main!(benches);
