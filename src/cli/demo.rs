//! The demo patient (a published cirrhosis case report), written through
//! the same validation and store paths as anything a clinician types.
//!
//! The data lives in `assets/demo/liver_case.toml`, compiled in.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Deserialize;

use crate::domain::adverse::NoEventsData;
use crate::domain::protocol::{AssignmentData, builtin_protocols};
use crate::domain::{Catalog, EntryDraft, PatientDraft, Sex, TreatmentDraft, TreatmentKind};
use crate::store::{ClinicStore, FileStore, StoreError};

const DEMO_TOML: &str = include_str!("../../assets/demo/liver_case.toml");

/// Who the demo's writes are attributed to in the audit trail.
/// `clinilog demo --db PATH [--busy]`: writes the demo patient (and the
/// generated busy one) and says what it wrote.
pub fn run(db: &std::path::Path, busy: bool, catalog: &Catalog) -> anyhow::Result<()> {
    let mut store = crate::store::Location::parse(db)?.open()?;
    super::may_write(&*store)?;
    let today = jiff::Zoned::now().date();
    if busy {
        match write_busy_demo(&mut *store, catalog, today)? {
            DemoOutcome::Written { mrn, entries, .. } => println!("wrote generated patient {mrn}: {entries} entries"),
            DemoOutcome::AlreadyPresent { mrn } => println!("generated patient {mrn} is already there"),
        }
    }
    match write_demo(&mut *store, catalog, today)? {
        DemoOutcome::Written {
            mrn,
            entries,
            treatments,
        } => println!(
            "wrote demo patient {mrn}: {entries} entries, {treatments} treatment events: {}",
            db.display()
        ),
        DemoOutcome::AlreadyPresent { mrn } => {
            println!("demo patient {mrn} is already there; nothing written: {}", db.display())
        }
    }
    Ok(())
}

/// `clinilog --demo`: a fresh demo file in a temporary folder, removed
/// when the returned folder is dropped.
pub fn throwaway_store(catalog: &Catalog) -> anyhow::Result<(tempfile::TempDir, FileStore)> {
    use anyhow::Context;
    let dir = tempfile::tempdir().context("cannot create a temporary folder for the demo database")?;
    let mut store = FileStore::open(dir.path().join("clinilog-demo.sqlite"))?;
    write_demo(&mut store, catalog, jiff::Zoned::now().date())?;
    Ok((dir, store))
}

pub const DEMO_USER: &str = "clinilog demo";

/// Who signs the demo's writes: `clinilog demo`, or, on a server set up by
/// `server init`, the login (the server signs with it whatever is given).
fn demo_signer(store: &dyn ClinicStore) -> String {
    store
        .server_login()
        .map_or_else(|| DEMO_USER.to_owned(), |l| l.signer())
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the built-in demo data is invalid: {0}")]
    Data(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Deserialize)]
struct DemoFile {
    patient: DemoPatient,
    entry: Vec<DemoEntry>,
    treatment: Vec<DemoTreatment>,
    protocol: Option<DemoProtocol>,
    no_adverse_events: Option<DemoNoEvents>,
}

#[derive(Deserialize)]
struct DemoProtocol {
    name: String,
    start: Date,
}

#[derive(Deserialize)]
struct DemoNoEvents {
    date: Date,
    note: String,
}

#[derive(Deserialize)]
struct DemoPatient {
    mrn: String,
    name: String,
    birth_date: String,
    sex: Sex,
    diagnosis: String,
    enrolled: String,
    notes: String,
}

#[derive(Deserialize)]
struct DemoEntry {
    date: String,
    note: String,
    #[serde(default)]
    labs: Vec<DemoLab>,
    #[serde(default)]
    symptoms: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct DemoLab {
    code: String,
    value: String,
    #[serde(default)]
    low: String,
    #[serde(default)]
    high: String,
}

#[derive(Deserialize)]
struct DemoTreatment {
    date: String,
    kind: TreatmentKind,
    cycle: String,
    product: String,
    route: String,
    note: String,
}

/// What `write_demo` did.
#[derive(Debug, PartialEq, Eq)]
pub enum DemoOutcome {
    Written {
        mrn: String,
        entries: usize,
        treatments: usize,
    },
    AlreadyPresent {
        mrn: String,
    },
}

/// Writes the demo patient unless a patient with its MRN exists already.
pub fn write_demo(store: &mut dyn ClinicStore, catalog: &Catalog, today: Date) -> Result<DemoOutcome, DemoError> {
    let user = demo_signer(store);
    let demo: DemoFile = toml::from_str(DEMO_TOML).map_err(|e| DemoError::Data(e.to_string()))?;
    let p = demo.patient;
    if store.patient_by_mrn(&p.mrn)?.is_some() {
        return Ok(DemoOutcome::AlreadyPresent { mrn: p.mrn });
    }
    let invalid = |what: &str, errors: Vec<crate::domain::FieldError>| {
        DemoError::Data(format!(
            "{what}: {}",
            errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; ")
        ))
    };
    let patient_data = PatientDraft {
        mrn: p.mrn.clone(),
        name: p.name,
        birth_date: p.birth_date,
        sex: Some(p.sex),
        diagnosis: p.diagnosis,
        enrolled: p.enrolled,
        notes: p.notes,
    }
    .validate(today)
    .map_err(|e| invalid("patient", e))?;
    // Validate everything before the first write, so bad demo data writes nothing.
    let mut entries = Vec::new();
    for e in &demo.entry {
        let mut draft = EntryDraft::blank(catalog, patient_data.sex, patient_data.enrolled, &user);
        draft.collected_on = e.date.clone();
        draft.note = e.note.clone();
        for lab in &e.labs {
            let line = draft
                .labs
                .iter_mut()
                .find(|l| l.code == lab.code)
                .ok_or_else(|| DemoError::Data(format!("unknown lab {}", lab.code)))?;
            line.value = lab.value.clone();
            if let Some(spec) = catalog.measure(&lab.code).and_then(|m| m.lab()) {
                line.print_interval(spec, &lab.low, &lab.high);
            }
        }
        for (code, value) in &e.symptoms {
            let line = draft
                .symptoms
                .iter_mut()
                .find(|s| &s.code == code)
                .ok_or_else(|| DemoError::Data(format!("unknown symptom {code}")))?;
            line.value = value.clone();
        }
        entries.push(
            draft
                .validate(catalog, patient_data.sex, patient_data.birth_date, today)
                .map_err(|err| invalid(&e.date, err))?,
        );
    }
    let mut treatments = Vec::new();
    for t in &demo.treatment {
        let mut draft = TreatmentDraft::blank(patient_data.enrolled, &user);
        draft.date = t.date.clone();
        draft.kind = t.kind;
        draft.cycle = t.cycle.clone();
        draft.product = t.product.clone();
        draft.route = t.route.clone();
        draft.note = t.note.clone();
        treatments.push(
            draft
                .validate(patient_data.birth_date, today)
                .map_err(|err| invalid(&t.date, err))?,
        );
    }
    let assignment = match &demo.protocol {
        Some(dp) => {
            let (_, text) = builtin_protocols(catalog)
                .map_err(|e| DemoError::Data(e.to_string()))?
                .into_iter()
                .find(|(p, _)| p.name == dp.name)
                .ok_or_else(|| DemoError::Data(format!("no built-in protocol \"{}\"", dp.name)))?;
            Some(AssignmentData {
                protocol: dp.name.clone(),
                protocol_text: text.to_owned(),
                start: dp.start,
                note: String::new(),
                recorded_by: user.clone(),
            })
        }
        None => None,
    };
    let patient = store.create_patient(&patient_data, &user)?;
    for e in &entries {
        store.record_entry(patient.id, e, &user)?;
    }
    for t in &treatments {
        store.add_treatment(patient.id, t, &user)?;
    }
    if let Some(a) = &assignment {
        store.assign_protocol(patient.id, a, &user)?;
    }
    if let Some(n) = &demo.no_adverse_events {
        let data = NoEventsData {
            on: n.date,
            note: n.note.clone(),
            recorded_by: user.clone(),
        };
        store.record_no_adverse_events(patient.id, &data, &user)?;
    }
    Ok(DemoOutcome::Written {
        mrn: p.mrn,
        entries: entries.len(),
        treatments: treatments.len(),
    })
}

/// MRN of the generated five-year patient.
pub const BUSY_MRN: &str = "BUSY-260";

/// The entries of a generated patient followed weekly for five years (260
/// entries) with 15 lab measures and four symptoms each: smooth waves with
/// a fixed pseudo-random jitter, so every run writes the same values. For
/// benchmarks and for looking at a busy patient; not clinical data.
pub fn busy_entries(catalog: &Catalog, first: Date, weeks: usize) -> Vec<crate::domain::EntryData> {
    use jiff::ToSpan;
    let labs: [(&str, f64, u8); 15] = [
        ("bili_total", 3.0, 2),
        ("bili_direct", 1.2, 2),
        ("alt", 80.0, 0),
        ("ast", 95.0, 0),
        ("alp", 150.0, 0),
        ("ggt", 90.0, 0),
        ("albumin", 3.1, 1),
        ("protein_total", 6.5, 1),
        ("inr", 1.4, 2),
        ("sodium", 136.0, 0),
        ("creatinine", 1.1, 2),
        ("platelets", 110.0, 0),
        ("hemoglobin", 12.5, 1),
        ("wbc", 5.0, 1),
        ("afp", 6.0, 1),
    ];
    let mut seed: u64 = 0x5EED;
    let mut jitter = move || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((seed >> 33) as f64 / f64::from(u32::MAX >> 1)) * 0.16 - 0.08
    };
    (0..weeks)
        .filter_map(|w| {
            let date = first.checked_add((7 * w as i64).days()).ok()?;
            let mut draft = EntryDraft::blank(catalog, Sex::Female, date, "generated");
            let wave = 1.0 + 0.25 * (w as f64 / 20.0).sin();
            for (code, base, decimals) in labs {
                if let Some(line) = draft.labs.iter_mut().find(|l| l.code == code) {
                    let mut v = (base * wave * (1.0 + jitter())).max(0.0);
                    // Sodium moves within a few mmol/L, not by a quarter:
                    // kept in what a liver clinic sees, as the clinic
                    // generator keeps it.
                    if code == "sodium" {
                        v = v.clamp(120.0, 150.0);
                    }
                    line.value = format!("{v:.*}", usize::from(decimals));
                }
            }
            for (code, v) in [
                ("fatigue", (5.0 + 3.0 * (w as f64 / 15.0).sin()).round()),
                ("energy", (5.0 - 3.0 * (w as f64 / 15.0).sin()).round()),
                ("jaundice", if (w / 10) % 3 == 0 { 1.0 } else { 0.0 }),
                ("ascites", ((w / 26) % 3) as f64),
            ] {
                if let Some(line) = draft.symptoms.iter_mut().find(|s| s.code == code) {
                    line.value = format!("{v}");
                }
            }
            draft.note = "generated".to_owned();
            draft
                .validate(catalog, Sex::Female, jiff::civil::date(1960, 5, 5), date)
                .ok()
        })
        .collect()
}

/// Writes the generated five-year patient (see [`busy_entries`]) unless it exists.
pub fn write_busy_demo(store: &mut dyn ClinicStore, catalog: &Catalog, today: Date) -> Result<DemoOutcome, DemoError> {
    let user = demo_signer(store);
    if store.patient_by_mrn(BUSY_MRN)?.is_some() {
        return Ok(DemoOutcome::AlreadyPresent {
            mrn: BUSY_MRN.to_owned(),
        });
    }
    let first = jiff::civil::date(2020, 9, 1);
    let patient = PatientDraft {
        mrn: BUSY_MRN.to_owned(),
        name: "Generated: five-year weekly follow-up".to_owned(),
        birth_date: "1960-05-05".to_owned(),
        sex: Some(Sex::Female),
        diagnosis: "Generated data for trying a busy record".to_owned(),
        enrolled: first.to_string(),
        notes: "Generated by clinilog demo --busy; not clinical data.".to_owned(),
    }
    .validate(today)
    .map_err(|e| DemoError::Data(format!("{e:?}")))?;
    let entries = busy_entries(catalog, first, 260);
    let patient = store.create_patient(&patient, &user)?;
    for e in &entries {
        store.record_entry(patient.id, e, &user)?;
    }
    let mut treatments = 0;
    for (i, d) in ["2021-03-01", "2022-06-01", "2024-01-15"].iter().enumerate() {
        let mut t = TreatmentDraft::blank(first, &user);
        t.date = (*d).to_owned();
        t.product = "AD-MSC (generated)".to_owned();
        t.cycle = (i + 1).to_string();
        let data = t
            .validate(jiff::civil::date(1960, 5, 5), today)
            .map_err(|e| DemoError::Data(format!("{e:?}")))?;
        store.add_treatment(patient.id, &data, &user)?;
        treatments += 1;
    }
    Ok(DemoOutcome::Written {
        mrn: BUSY_MRN.to_owned(),
        entries: entries.len(),
        treatments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_busy_patient_has_260_valid_weekly_entries_with_15_labs() {
        let catalog = Catalog::builtin().unwrap();
        let entries = busy_entries(&catalog, jiff::civil::date(2020, 9, 1), 260);
        assert_eq!(entries.len(), 260);
        assert!(entries.iter().all(|e| e.labs.len() == 15 && e.symptoms.len() == 4));
        assert_eq!(entries[259].collected_on, jiff::civil::date(2025, 8, 19));
        // Deterministic.
        assert_eq!(
            busy_entries(&catalog, jiff::civil::date(2020, 9, 1), 3),
            entries[..3].to_vec()
        );
    }
}
