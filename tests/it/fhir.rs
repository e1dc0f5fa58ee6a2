//! `clinilog fhir`, checked by two independent validators that `.ci/setup`
//! installs into `.ci/validators/`: FHIR.js (npm `fhir`, R4 structure
//! definitions and value sets) with `@lhncbc/ucum-lhc` for UCUM codes, and
//! `fhir.resources` 6.4.0 (pydantic R4 models). Each catches mistakes the
//! other misses; a broken Bundle shows that each can fail.

use crate::common;
use clinilog::store::ClinicStore;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn clinilog(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clinilog"))
        .args(args)
        .output()
        .unwrap()
}

/// The validators `.ci/setup` installs, or `None` (said on stderr) on a
/// machine without them; with `CLINILOG_REQUIRE_VALIDATORS=1` (CI) their
/// absence fails the test instead.
fn validators() -> Option<(PathBuf, PathBuf)> {
    let v = root().join(".ci/validators");
    let (node_modules, python) = (v.join("node_modules"), v.join("venv/bin/python"));
    if node_modules.join("fhir").is_dir() && python.is_file() {
        return Some((node_modules, python));
    }
    assert!(
        std::env::var("CLINILOG_REQUIRE_VALIDATORS").as_deref() != Ok("1"),
        "CLINILOG_REQUIRE_VALIDATORS=1 but the FHIR validators are not installed: run .ci/setup \
         (it installs them into .ci/validators/)"
    );
    common::say_skipped(
        "the FHIR validators' verdicts: they are not installed (run .ci/setup, which installs them into \
         .ci/validators/); the Bundle's own checks still run",
    );
    None
}

/// Both validators on `file`: (FHIR.js + UCUM says valid, its output),
/// (fhir.resources says valid, its output); `None` when they are not installed.
fn validate(file: &Path) -> Option<((bool, String), (bool, String))> {
    let (node_modules, python) = validators()?;
    let js = Command::new("node")
        .arg(root().join("tests/validators/fhir_js.js"))
        .arg(file)
        .env("NODE_PATH", &node_modules)
        .output()
        .unwrap();
    let py = Command::new(python)
        .arg(root().join("tests/validators/fhir_resources.py"))
        .arg(file)
        .output()
        .unwrap();
    let text = |o: &Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    Some(((js.status.success(), text(&js)), (py.status.success(), text(&py))))
}

fn export(db: &Path, patient: Option<&str>, out: &Path) -> Value {
    let mut args = vec!["fhir", "--db", db.to_str().unwrap(), "--out", out.to_str().unwrap()];
    if let Some(p) = patient {
        args.extend(["--patient", p]);
    }
    let o = clinilog(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
}

fn resources<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == kind)
        .collect()
}

#[test]
fn the_demo_and_a_busy_patient_pass_both_validators() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite");
    assert!(
        clinilog(&["demo", "--db", db.to_str().unwrap(), "--busy"])
            .status
            .success()
    );
    // Two adverse events on the busy patient: one related to its first
    // cycle, one unrelated and resolved.
    {
        use clinilog::domain::adverse::{AdverseEventDraft, Outcome, Relation};
        let mut store = clinilog::store::FileStore::open(&db).unwrap();
        let busy = store.patient_by_mrn("BUSY-260").unwrap().unwrap();
        let cycle = store.treatments(busy.id).unwrap()[0].data.clone();
        let mut d = AdverseEventDraft::blank(cycle.date, cycle.cycle, "Dr Rao");
        d.term = "Infusion related reaction".into();
        d.grade = "3".into();
        d.serious = true;
        d.relation = Some(Relation::Probable);
        let related = d.validate(busy.data.birth_date, jiff::civil::date(2100, 1, 1)).unwrap();
        store.add_adverse_event(busy.id, &related, "Dr Rao").unwrap();
        d.term = "Headache".into();
        d.grade = "1".into();
        d.serious = false;
        d.relation = Some(Relation::Unrelated);
        d.outcome = Outcome::Resolved;
        d.resolved_on = cycle.date.to_string();
        let unrelated = d.validate(busy.data.birth_date, jiff::civil::date(2100, 1, 1)).unwrap();
        store.add_adverse_event(busy.id, &unrelated, "Dr Rao").unwrap();
    }
    let demo = dir.path().join("demo.json");
    let bundle = export(&db, Some("DEMO-001"), &demo);
    let all = dir.path().join("all.json");
    let every = export(&db, None, &all);
    assert!(
        resources(&every, "Observation").len() > 3000,
        "the busy patient is in it"
    );
    let events = resources(&every, "AdverseEvent");
    assert_eq!(events.len(), 2);
    let reaction = &events[0];
    assert_eq!(reaction["event"]["text"], "Infusion related reaction");
    assert_eq!(reaction["severity"]["coding"][0]["code"], "severe");
    assert_eq!(reaction["severity"]["text"], "CTCAE grade 3 (severe)");
    assert_eq!(reaction["seriousness"]["coding"][0]["code"], "serious");
    assert_eq!(reaction["outcome"]["coding"][0]["code"], "ongoing");
    assert_eq!(
        reaction["suspectEntity"][0]["causality"][0]["assessment"]["coding"][0]["code"],
        "Probably-Likely"
    );
    let procedure = reaction["suspectEntity"][0]["instance"]["reference"].as_str().unwrap();
    assert!(
        every["entry"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["fullUrl"] == procedure && e["resource"]["resourceType"] == "Procedure"),
        "the suspect is the cycle's Procedure in the Bundle"
    );
    assert_eq!(
        events[1]["suspectEntity"][0]["causality"][0]["assessment"]["text"],
        "Unrelated to treatment"
    );
    assert_eq!(events[1]["outcome"]["coding"][0]["code"], "resolved");
    assert!(resources(&bundle, "AdverseEvent").is_empty(), "the demo had none");
    for file in [&demo, &all] {
        if let Some(((js, js_out), (py, py_out))) = validate(file) {
            assert!(js, "FHIR.js/UCUM: {js_out}");
            assert!(py, "fhir.resources: {py_out}");
        }
    }

    // What the Bundle says, as the case report printed it.
    assert_eq!(bundle["type"], "collection");
    let text = std::fs::read_to_string(&demo).unwrap();
    assert!(text.contains("\"value\": 12.30,"), "12.30 keeps its digits");
    let labs: Vec<_> = resources(&bundle, "Observation")
        .into_iter()
        .filter(|o| o["category"][0]["coding"][0]["code"] == "laboratory")
        .collect();
    let bili: Vec<String> = labs
        .iter()
        .filter(|o| o["code"]["coding"][0]["code"] == "1975-2")
        .map(|o| {
            format!(
                "{} {} {} {}",
                o["effectiveDateTime"].as_str().unwrap(),
                o["valueQuantity"]["value"],
                o["valueQuantity"]["code"].as_str().unwrap(),
                o["interpretation"][0]["coding"][0]["code"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        bili,
        vec![
            "2025-07-19 12.3 mg/dL H",
            "2025-08-04 6.5 mg/dL H",
            "2025-08-19 4.6 mg/dL H"
        ]
    );
    let first = labs
        .iter()
        .find(|o| o["code"]["coding"][0]["code"] == "1975-2")
        .unwrap();
    assert_eq!(first["referenceRange"][0]["text"], "0.0 - 1.0 mg/dL");
    assert_eq!(first["valueQuantity"]["system"], "http://unitsofmeasure.org");
    let surveys = resources(&bundle, "Observation")
        .into_iter()
        .filter(|o| o["category"][0]["coding"][0]["code"] == "survey")
        .count();
    assert!(surveys > 0);
    let procedures = resources(&bundle, "Procedure");
    assert_eq!(procedures.len(), 3, "the three cycles");
    assert!(
        procedures
            .iter()
            .all(|p| p["status"] == "completed" && p["performedDateTime"].is_string())
    );
}

#[test]
fn a_broken_bundle_fails_each_validator() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite");
    assert!(clinilog(&["demo", "--db", db.to_str().unwrap()]).status.success());
    let file = dir.path().join("demo.json");
    let mut bundle = export(&db, Some("DEMO-001"), &file);
    let entries = bundle["entry"].as_array_mut().unwrap();
    entries[0]["resource"]["gender"] = "M".into();
    let obs = &mut entries[1]["resource"];
    obs.as_object_mut().unwrap().remove("status");
    obs["valueQuantity"]["comparator"] = "<<".into();
    obs["valueQuantity"]["code"] = "mg/dLL".into();
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, serde_json::to_string(&bundle).unwrap()).unwrap();
    let Some(((js, js_out), (py, py_out))) = validate(&broken) else {
        return;
    };
    assert!(!js, "{js_out}");
    for expect in [
        "Patient.gender: Code \"M\" not found",
        "Observation.status: Missing property",
        "Code \"<<\" not found",
        "UCUM: \"mg/dLL\" is invalid",
    ] {
        assert!(js_out.contains(expect), "{expect:?} not in {js_out}");
    }
    assert!(!py, "{py_out}");
    assert!(
        py_out.contains("status") && py_out.contains("field required"),
        "{py_out}"
    );
}

#[test]
fn voided_entries_are_left_out_edited_ones_are_amended_and_an_empty_file_says_so() {
    use clinilog::store::FileStore;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite");
    FileStore::open(&db).unwrap();
    let empty = clinilog(&["fhir", "--db", db.to_str().unwrap()]);
    assert!(!empty.status.success());
    assert!(String::from_utf8_lossy(&empty.stderr).contains("nothing to export: the file has no patients yet"));

    assert!(clinilog(&["demo", "--db", db.to_str().unwrap()]).status.success());
    {
        let mut store = FileStore::open(&db).unwrap();
        let p = store.patient_by_mrn("DEMO-001").unwrap().unwrap();
        let entries = store.entries(p.id).unwrap();
        let newest = entries[0].clone();
        store.void_entry(&newest, "entered twice", "Dr Test").unwrap();
        let oldest = entries.last().unwrap().clone();
        let mut data = oldest.data.clone();
        data.note = "checked against the report".into();
        store.edit_entry(&oldest, &data, "note added", "Dr Test").unwrap();
    }
    let bundle = export(&db, None, &dir.path().join("b.json"));
    let dates: std::collections::BTreeSet<&str> = resources(&bundle, "Observation")
        .iter()
        .map(|o| o["effectiveDateTime"].as_str().unwrap())
        .collect();
    assert!(!dates.contains("2025-08-19"), "the voided entry is left out: {dates:?}");
    let amended = resources(&bundle, "Observation")
        .into_iter()
        .filter(|o| o["effectiveDateTime"] == "2025-07-19")
        .all(|o| o["status"] == "amended");
    assert!(amended);
}

/// A sodium of 115 mmol/L is beyond the call-back limit (below 120): its
/// Observation's interpretation is LL (v3 ObservationInterpretation), and
/// the Bundle still passes both validators.
#[test]
fn a_critical_sodium_is_interpreted_ll() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite");
    assert!(clinilog(&["demo", "--db", db.to_str().unwrap()]).status.success());
    let on = jiff::civil::date(2025, 9, 1);
    common::record_labs(&db, "DEMO-001", on, &[("sodium", "115"), ("albumin", "3.1")]);
    let file = dir.path().join("critical.json");
    let bundle = export(&db, Some("DEMO-001"), &file);
    let on_day: Vec<(String, String)> = resources(&bundle, "Observation")
        .into_iter()
        .filter(|o| o["effectiveDateTime"] == "2025-09-01" && o["category"][0]["coding"][0]["code"] == "laboratory")
        .map(|o| {
            (
                o["code"]["coding"][0]["code"].as_str().unwrap().to_owned(),
                format!(
                    "{} {}",
                    o["interpretation"][0]["coding"][0]["code"].as_str().unwrap(),
                    o["interpretation"][0]["coding"][0]["display"].as_str().unwrap()
                ),
            )
        })
        .collect();
    assert!(
        on_day.contains(&("2951-2".to_owned(), "LL Critical low".to_owned())),
        "{on_day:?}"
    );
    assert!(
        on_day.contains(&("1751-7".to_owned(), "L Low".to_owned())),
        "{on_day:?}"
    );
    if let Some(((js, js_out), (py, py_out))) = validate(&file) {
        assert!(js, "FHIR.js/UCUM: {js_out}");
        assert!(py, "fhir.resources: {py_out}");
    }
}
