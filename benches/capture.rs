//! Reading a two-page lab report (the "two pages" layout of the test
//! corpus, `tests/it/capture_corpus.rs`): as a text PDF (hayro, in
//! process; target under one second) and as a scanner's PDF of two page
//! images (rendered at 300 dpi, prepared and read by Tesseract, then each
//! row read a second time; target under 10 seconds on a 2-core machine).
//! Both with the pages' pictures kept, as the window does.
//!
//! Run: `cargo bench --bench capture` (Tesseract must be installed).

// Bench code: a failed unwrap is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/it/capture_corpus.rs"]
mod capture_corpus;

use std::time::Duration;

use clinilog::domain::import::LocalCodes;
use clinilog::domain::{Catalog, Sex};
use clinilog::interop::capture::{CaptureOptions, media_type, read_document};
use criterion::{Criterion, criterion_group, criterion_main};
use sha2::Digest;

fn document(bytes: &[u8]) -> clinilog::interop::capture::Document {
    clinilog::interop::capture::Document {
        name: "report.pdf".into(),
        media_type: media_type(bytes).unwrap().into(),
        sha256: sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect(),
        bytes: bytes.to_vec(),
    }
}

fn bench(c: &mut Criterion) {
    let catalog = Catalog::builtin().unwrap();
    let local = LocalCodes::default();
    let options = CaptureOptions {
        catalog: &catalog,
        local_codes: &local,
        sex: Sex::Male,
        pictures: true,
    };
    let layouts = capture_corpus::layouts();
    let (index, layout) = layouts.iter().enumerate().find(|(_, l)| l.pages == 2).unwrap();
    let text_pdf = capture_corpus::typeset(&layout.source, &[]);
    let (_, scan_pdf) = capture_corpus::scan_file(layout, &text_pdf, index);
    let mut group = c.benchmark_group("capture");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    group.bench_function("two-page text PDF", |b| {
        b.iter(|| read_document(document(&text_pdf), &options).unwrap().proposals.len())
    });
    group.bench_function("two-page scan (PDF of images)", |b| {
        b.iter(|| read_document(document(&scan_pdf), &options).unwrap().proposals.len())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
