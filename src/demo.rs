//! The demo patient (a published cirrhosis case report), written through
//! the same validation and store paths as anything a clinician types.
//!
//! The data lives in `assets/demo/liver_case.toml`, compiled in.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Deserialize;

use crate::domain::{Catalog, EntryDraft, PatientDraft, Sex, TreatmentDraft, TreatmentKind};
use crate::store::{Store, StoreError};

const DEMO_TOML: &str = include_str!("../assets/demo/liver_case.toml");

/// Who the demo's writes are attributed to in the audit trail.
pub const DEMO_USER: &str = "clinilog demo";

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
pub fn write_demo(store: &mut Store, catalog: &Catalog, today: Date) -> Result<DemoOutcome, DemoError> {
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
        let mut draft = EntryDraft::blank(catalog, patient_data.sex, patient_data.enrolled, DEMO_USER);
        draft.collected_on = e.date.clone();
        draft.note = e.note.clone();
        for lab in &e.labs {
            let line = draft
                .labs
                .iter_mut()
                .find(|l| l.code == lab.code)
                .ok_or_else(|| DemoError::Data(format!("unknown lab {}", lab.code)))?;
            line.value = lab.value.clone();
            line.ref_low = lab.low.clone();
            line.ref_high = lab.high.clone();
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
        let mut draft = TreatmentDraft::blank(patient_data.enrolled, DEMO_USER);
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
    let patient = store.create_patient(&patient_data, DEMO_USER)?;
    for e in &entries {
        store.record_entry(patient.id, e, DEMO_USER)?;
    }
    for t in &treatments {
        store.add_treatment(patient.id, t, DEMO_USER)?;
    }
    Ok(DemoOutcome::Written {
        mrn: p.mrn,
        entries: entries.len(),
        treatments: treatments.len(),
    })
}
