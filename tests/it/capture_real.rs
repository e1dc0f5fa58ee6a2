//! The real corpus (`tests/corpus/real`): lab reports that no one here
//! made, read as a clinician would read them, judged against the truth
//! typed by hand. No wrong value and no wrong date, ever; the fraction read
//! per class may only go up (the floors below).

use std::collections::BTreeMap;
use std::path::PathBuf;

use clinilog::domain::capture::{Reading, read_report_date};
use clinilog::domain::import::{LocalCodes, ReadValue};
use clinilog::domain::{Catalog, Sex};
use clinilog::interop::capture::{CaptureOptions, Document, read_document};
use serde::Deserialize;

/// The fraction of catalog values read exactly, per class, that the code
/// reaches today (text PDFs 31 of 31, pictures 33 of 40): a change that
/// reads less fails.
const FLOORS: [(&str, f64); 2] = [("text-pdf", 1.0), ("scan", 33.0 / 40.0)];

#[derive(Deserialize)]
struct Truth {
    document: Vec<Doc>,
}

#[derive(Deserialize)]
struct Doc {
    id: String,
    extension: String,
    sha256: String,
    class: String,
    sex: String,
    collected: String,
    #[allow(dead_code)]
    date_label: String,
    values: Vec<Value>,
}

#[derive(Deserialize, Clone)]
struct Value {
    measure: String,
    value: String,
    comparator: String,
    unit: String,
    low: String,
    high: String,
}

#[derive(Default)]
struct Figures {
    printed: usize,
    read: usize,
    /// Lines listed as not read (catalog values missed, and other results).
    not_read: usize,
    wrong: Vec<String>,
    date: String,
}

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/real")
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn judge(doc: &Doc, bytes: Vec<u8>, catalog: &Catalog) -> Figures {
    let sex = match doc.sex.as_str() {
        "female" => Sex::Female,
        _ => Sex::Male,
    };
    let local = LocalCodes::default();
    let document = Document {
        name: format!("{}.{}", doc.id, doc.extension),
        media_type: clinilog::interop::capture::media_type(&bytes)
            .expect("a known type")
            .to_owned(),
        sha256: sha256(&bytes),
        bytes,
    };
    let mut f = Figures {
        printed: doc.values.len(),
        ..Figures::default()
    };
    let c = match read_document(
        document,
        &CaptureOptions {
            catalog,
            local_codes: &local,
            sex,
            pictures: false,
        },
    ) {
        Ok(c) => c,
        Err(e) => {
            f.date = format!("refused: {e}");
            return f;
        }
    };
    let truth: BTreeMap<&str, &Value> = doc.values.iter().map(|v| (v.measure.as_str(), v)).collect();
    f.not_read = c
        .proposals
        .iter()
        .filter(|p| matches!(p.reading, Reading::NotRead(_)))
        .count();
    for p in &c.proposals {
        let Reading::Read(v) = &p.reading else { continue };
        let ReadValue::Lab(l) = v else {
            f.wrong.push(format!("{}: read as a symptom", p.row.test));
            continue;
        };
        let Some(t) = truth.get(l.code.as_str()) else {
            f.wrong.push(format!(
                "\"{}\" read as {}, which the report does not print",
                p.row.test, l.code
            ));
            continue;
        };
        let comparator = l.comparator.map(|c| c.as_str().to_owned()).unwrap_or_default();
        let got = (
            l.value.as_str().to_owned(),
            comparator,
            l.unit.clone(),
            p.interval.0.clone(),
            p.interval.1.clone(),
        );
        let want = (
            t.value.clone(),
            t.comparator.clone(),
            t.unit.clone(),
            t.low.clone(),
            t.high.clone(),
        );
        if got == want {
            f.read += 1;
        } else {
            f.wrong.push(format!("{}: read {got:?}, printed {want:?}", l.code));
        }
    }
    // The date proposed: the one the window and the command line take.
    let proposed = c
        .header
        .collected_text
        .as_deref()
        .and_then(|t| read_report_date(t, c.header.date_order).ok());
    f.date = match proposed {
        None => "asked".to_owned(),
        Some(d) if d.to_string() == doc.collected => format!("{d}"),
        Some(d) => {
            f.wrong.push(format!(
                "date {d} proposed, the report's collection date is {:?}",
                doc.collected
            ));
            format!("WRONG {d}")
        }
    };
    f
}

#[test]
fn capture_real_reports_no_wrong_value_or_date_and_the_read_fraction_per_class() {
    let dir = corpus();
    let truth: Truth = toml::from_str(&std::fs::read_to_string(dir.join("truth.toml")).unwrap()).unwrap();
    let catalog = Catalog::builtin().unwrap();
    let require = std::env::var_os("CLINILOG_REQUIRE_REAL_CORPUS").is_some();
    let mut missing = Vec::new();
    let mut per_class: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let mut wrong = Vec::new();
    // Two at a time: a picture is a few seconds of Tesseract.
    let present: Vec<(&Doc, Vec<u8>)> = truth
        .document
        .iter()
        .filter_map(|doc| {
            let path = dir.join("files").join(format!("{}.{}", doc.id, doc.extension));
            match std::fs::read(&path) {
                Ok(bytes) => {
                    assert_eq!(sha256(&bytes), doc.sha256, "{}: not the file of the manifest", doc.id);
                    Some((doc, bytes))
                }
                Err(_) => {
                    missing.push(doc.id.clone());
                    None
                }
            }
        })
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: std::sync::Mutex<BTreeMap<usize, Figures>> = std::sync::Mutex::new(BTreeMap::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some((doc, bytes)) = present.get(i) else { break };
                    let f = judge(doc, bytes.clone(), &catalog);
                    results.lock().unwrap().insert(i, f);
                }
            });
        }
    });
    let results = results.into_inner().unwrap();
    println!(
        "{:<34} {:<9} {:>5} {:>7} {:>9}  date",
        "document", "class", "read", "printed", "not read"
    );
    for (i, (doc, _)) in present.iter().enumerate() {
        let f = &results[&i];
        println!(
            "{:<34} {:<9} {:>5} {:>7} {:>9}  {}",
            doc.id, doc.class, f.read, f.printed, f.not_read, f.date
        );
        for w in &f.wrong {
            println!("    WRONG {w}");
            wrong.push(format!("{}: {w}", doc.id));
        }
        let e = per_class.entry(doc.class.clone()).or_default();
        e.0 += 1;
        e.1 += f.read;
        e.2 += f.printed;
    }
    for (class, (docs, read, printed)) in &per_class {
        println!(
            "{class}: {read} of {printed} values read ({:.0}%), {docs} documents",
            100.0 * *read as f64 / (*printed).max(1) as f64
        );
    }
    if !missing.is_empty() {
        println!(
            "not present (tests/corpus/real/fetch.sh fetches them): {}",
            missing.join(", ")
        );
    }
    assert!(!require || missing.is_empty(), "missing: {missing:?}");
    assert!(wrong.is_empty(), "wrong values or dates proposed: {wrong:#?}");
    // The ratchet holds when the whole class is present.
    for (class, floor) in FLOORS {
        let whole = truth
            .document
            .iter()
            .filter(|d| d.class == class)
            .all(|d| !missing.contains(&d.id));
        if let (true, Some((_, read, printed))) = (whole, per_class.get(class)) {
            let got = *read as f64 / (*printed).max(1) as f64;
            assert!(got >= floor, "{class}: {got:.2} read, under the floor {floor:.2}");
        }
    }
}
