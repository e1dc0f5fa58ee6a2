//! `clinilog demo --clinic N`: a synthetic clinic, the fixture of the
//! benchmarks. N patients followed weekly for W weeks with the liver panel
//! and symptom ratings, three treatment cycles 15 days apart (each patient
//! on the seed protocol from the first), and values
//! that drift plausibly: each patient has a severity; bilirubin, enzymes and
//! INR fall towards a better level after the first cycle, with day-to-day
//! noise that returns to the trend, and every entry passes the entry form's
//! validation. Written in one transaction with an audit row per record
//! (`store::import::ImportTx`); then a few entries are voided and edited
//! through the ordinary writes, as a clinic's file has. Not clinical data.

use jiff::ToSpan;
use jiff::civil::Date;

use crate::domain::protocol::{AssignmentData, builtin_protocols};
use crate::domain::{Catalog, Decimal, EntryData, EntryDraft, PatientDraft, Sex, TreatmentData, TreatmentKind};
use crate::store::{ClinicStore, StoreError};

/// Who the generated records are signed by.
pub const GENERATOR: &str = "generator";

/// A small, fixed pseudo-random sequence (a linear congruential generator):
/// the same seed writes the same clinic. Not for anything secret.
struct Noise(u64);

impl Noise {
    /// Uniform in [0, 1).
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [-1, 1).
    fn signed(&mut self) -> f64 {
        self.next() * 2.0 - 1.0
    }
}

const FIRST: [&str; 12] = [
    "Ana", "Ravi", "Mei", "Omar", "Lena", "José", "Priya", "Tomás", "Sara", "Yusuf", "Elena", "Kenji",
];
const LAST: [&str; 12] = [
    "Diaz", "Sharma", "Chen", "Haddad", "Novak", "García", "Iyer", "Silva", "Berg", "Demir", "Rossi", "Sato",
];
const DIAGNOSES: [&str; 4] = [
    "Cirrhosis, alcohol-related",
    "Cirrhosis, hepatitis C",
    "Cirrhosis, NASH",
    "Cirrhosis, hepatitis B",
];

/// One generated patient's entries, oldest first.
fn patient_entries(
    catalog: &Catalog,
    sex: Sex,
    birth: Date,
    first: Date,
    weeks: usize,
    noise: &mut Noise,
) -> Vec<EntryData> {
    let severity = 0.3 + 1.2 * noise.next();
    // Where each lab starts, where it heads after treatment, and its decimals.
    let labs: [(&str, f64, f64, usize); 9] = [
        ("bili_total", 1.2 + 6.0 * severity, 1.0 + 1.5 * severity, 2),
        ("alt", 40.0 + 60.0 * severity, 30.0 + 15.0 * severity, 0),
        ("ast", 50.0 + 90.0 * severity, 35.0 + 20.0 * severity, 0),
        ("alp", 120.0 + 60.0 * severity, 110.0 + 30.0 * severity, 0),
        ("albumin", 3.9 - 0.9 * severity, 4.0 - 0.5 * severity, 1),
        ("inr", 1.0 + 0.6 * severity, 1.0 + 0.3 * severity, 2),
        ("creatinine", 0.8 + 0.5 * severity, 0.8 + 0.3 * severity, 2),
        ("sodium", 139.0 - 4.0 * severity, 139.0 - 2.0 * severity, 0),
        ("platelets", 230.0 - 110.0 * severity, 230.0 - 80.0 * severity, 0),
    ];
    let mut wobble = [0.0f64; 9];
    let mut out = Vec::new();
    for w in 0..weeks {
        let Ok(date) = first.checked_add((7 * w as i64).days()) else {
            break;
        };
        // Treatment starts in week 2; the effect builds over about eight weeks.
        let effect = if w < 2 {
            0.0
        } else {
            1.0 - (-((w - 2) as f64) / 8.0).exp()
        };
        let mut draft = EntryDraft::blank(catalog, sex, date, GENERATOR);
        let mut total = 0.0;
        for (i, (code, start, goal, decimals)) in labs.iter().enumerate() {
            // Noise that returns to the trend: 60% of last week's deviation plus a new one.
            wobble[i] = 0.6 * wobble[i] + 0.05 * noise.signed();
            let mut v = (start + (goal - start) * effect) * (1.0 + wobble[i]);
            if *code == "bili_total" {
                total = v;
            }
            if *code == "sodium" {
                v = v.clamp(120.0, 150.0);
            }
            if let Some(line) = draft.labs.iter_mut().find(|l| l.code == *code) {
                line.value = format!("{v:.decimals$}");
            }
        }
        if let Some(line) = draft.labs.iter_mut().find(|l| l.code == "bili_direct") {
            line.value = format!("{:.2}", total * (0.55 + 0.1 * noise.next()));
        }
        let unwell = (1.0 - effect) * severity;
        for (code, v) in [
            (
                "fatigue",
                (2.0 + 5.0 * unwell + noise.signed()).clamp(0.0, 10.0).round(),
            ),
            ("energy", (8.0 - 5.0 * unwell + noise.signed()).clamp(0.0, 10.0).round()),
            (
                "appetite_loss",
                (1.0 + 5.0 * unwell + noise.signed()).clamp(0.0, 10.0).round(),
            ),
            ("jaundice", if total > 3.0 { 1.0 } else { 0.0 }),
        ] {
            if let Some(line) = draft.symptoms.iter_mut().find(|s| s.code == code) {
                line.value = format!("{v}");
            }
        }
        if let Ok(data) = draft.validate(catalog, sex, birth, date) {
            out.push(data);
        }
    }
    out
}

/// What a generated clinic holds.
#[derive(Debug, PartialEq)]
pub struct ClinicOutcome {
    pub patients: usize,
    pub entries: usize,
    pub treatments: usize,
    /// Patients put on the seed protocol (from their first cycle).
    pub assignments: usize,
    pub voided: usize,
    pub edited: usize,
}

/// Writes `n` generated patients (MRNs `C-000001`...) with `weeks` weekly
/// entries each, from `seed`. Refused when the file holds them already.
pub fn write_clinic(
    store: &mut dyn ClinicStore,
    catalog: &Catalog,
    n: usize,
    weeks: usize,
    seed: u64,
    today: Date,
) -> Result<ClinicOutcome, StoreError> {
    if store.patient_by_mrn("C-000001")?.is_some() {
        return Err(StoreError::DuplicateMrn("C-000001".to_owned()));
    }
    let mut noise = Noise(seed ^ 0x9E37_79B9_7F4A_7C15);
    let first = today.checked_sub((7 * weeks as i64).days()).unwrap_or(today);
    let mut done = ClinicOutcome {
        patients: 0,
        entries: 0,
        treatments: 0,
        assignments: 0,
        voided: 0,
        edited: 0,
    };
    let mut ids = Vec::new();
    // Every patient on the seed protocol from the first cycle.
    let (seed_protocol, seed_text) = builtin_protocols(catalog)
        .map_err(|e| StoreError::Corrupt {
            what: "built-in protocol",
            detail: e.to_string(),
        })?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::Corrupt {
            what: "built-in protocol",
            detail: "none".to_owned(),
        })?;
    {
        let reason = format!("generated clinic (seed {seed}): not clinical data");
        // On a server set up by `server init`, the login signs (the server would anyway).
        let signer = store
            .server_login()
            .map_or_else(|| GENERATOR.to_owned(), |l| l.signer());
        let mut tx = store.begin_batch(&signer, &reason, true)?;
        for i in 1..=n {
            let sex = if noise.next() < 0.5 { Sex::Female } else { Sex::Male };
            let birth = jiff::civil::date(1945 + (noise.next() * 45.0) as i16, 1 + (noise.next() * 12.0) as i8, 1);
            let draft = PatientDraft {
                mrn: format!("C-{i:06}"),
                name: format!(
                    "{} {}",
                    FIRST[(noise.next() * 12.0) as usize % 12],
                    LAST[(noise.next() * 12.0) as usize % 12]
                ),
                birth_date: birth.to_string(),
                sex: Some(sex),
                diagnosis: DIAGNOSES[i % DIAGNOSES.len()].to_owned(),
                enrolled: first.to_string(),
                notes: "Generated: not a real patient".to_owned(),
            };
            let Ok(data) = draft.validate(today) else { continue };
            let id = tx.create_patient(&data)?;
            done.patients += 1;
            for entry in patient_entries(catalog, sex, birth, first, weeks, &mut noise) {
                tx.add_entry(id, &entry)?;
                done.entries += 1;
            }
            for cycle in 0..3u32 {
                let Ok(date) = first.checked_add((14 + 15 * i64::from(cycle)).days()) else {
                    continue;
                };
                if date > today {
                    continue;
                }
                tx.add_treatment(
                    id,
                    &TreatmentData {
                        date,
                        kind: TreatmentKind::CellInfusion,
                        product: "Adipose-derived MSC".to_owned(),
                        dose: Decimal::parse("100").ok(),
                        dose_unit: "million cells".to_owned(),
                        route: "IV".to_owned(),
                        cycle: Some(cycle + 1),
                        note: String::new(),
                        recorded_by: GENERATOR.to_owned(),
                    },
                )?;
                done.treatments += 1;
            }
            if let Ok(start) = first.checked_add(14.days()) {
                tx.assign_protocol(
                    id,
                    &AssignmentData {
                        protocol: seed_protocol.name.clone(),
                        protocol_text: seed_text.to_owned(),
                        start,
                        note: String::new(),
                        recorded_by: GENERATOR.to_owned(),
                    },
                )?;
                done.assignments += 1;
            }
            ids.push(id);
        }
        tx.commit()?;
    }
    // A few records changed afterwards, as in a clinic's file: every 50th
    // patient has an entry voided and another edited, with reasons.
    for id in ids.iter().step_by(50) {
        let entries = store.entries(*id)?;
        if let Some(e) = entries.get(1) {
            store.void_entry(e, "generated: entered twice", GENERATOR)?;
            done.voided += 1;
        }
        if let Some(e) = entries.get(2) {
            let mut data = e.data.clone();
            data.note = "checked against the printed report".to_owned();
            store.edit_entry(e, &data, "generated: note added", GENERATOR)?;
            done.edited += 1;
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_values_pass_validation_and_improve_after_treatment() {
        let catalog = Catalog::builtin().unwrap();
        let generate = |seed| {
            let birth = jiff::civil::date(1960, 1, 1);
            patient_entries(
                &catalog,
                Sex::Female,
                birth,
                jiff::civil::date(2025, 1, 6),
                26,
                &mut Noise(seed),
            )
        };
        let entries = generate(7);
        assert_eq!(entries.len(), 26, "every week passes the entry validation");
        let bili = |e: &EntryData| e.lab("bili_total").unwrap().value.value();
        assert!(
            bili(&entries[25]) < bili(&entries[0]),
            "bilirubin falls after treatment"
        );
        for e in &entries {
            assert!(e.lab("bili_direct").unwrap().value.value() <= bili(e));
        }
        let again = generate(7);
        assert_eq!(entries, again, "the same seed, the same values");
    }
}
