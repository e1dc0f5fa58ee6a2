//! FHIR R4: a Bundle of type `collection` per export, with the shapes of
//! `assets/clinical.md` section 5.
//!
//! - `Patient`: MRN as identifier, name, gender, birth date.
//! - A `laboratory` `Observation` per stored lab value: LOINC code (the SI
//!   code when the lab printed the SI unit), `valueQuantity` with the UCUM
//!   code and the value written with the printed digits (`12.30` stays
//!   `12.30`: a raw JSON number, never a float), `comparator` for `<`/`>`,
//!   `referenceRange` with low/high and the printed text, `interpretation`
//!   H/L/N, `effectiveDateTime` the collection date. A value whose interval
//!   may be in another unit has no interpretation and says why in a note.
//! - A `survey` `Observation` with `valueInteger` per symptom rating.
//! - A `Procedure` per treatment event (product, dose and route in the text).
//! - An `AdverseEvent` per adverse event: the term as `event.text`, the
//!   onset as `date`, `seriousness`, `severity` (CTCAE grade 1 mild, 2
//!   moderate, 3-5 severe, with "CTCAE grade N" in its text), `outcome`,
//!   and the relation to the treatment of its cycle as a `suspectEntity`
//!   causality (WHO-UMC codes; "unrelated" has none and is given as text).
//!   R4 has no element for the resolution date or the action taken: they
//!   are left out.
//!
//! Voided entries and events are left out (the caller reads only current
//! ones); edited ones appear as their current version (`amended`).
//! Hand-written serde structs: the Rust FHIR crates have no R4 or keep
//! decimals as floats.

use serde::Serialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use clinilog_domain::adverse::{AdverseEvent, Relation};
use clinilog_domain::catalog::display_unit;
use clinilog_domain::{Catalog, Entry, Flag, LabResult, Patient, Sex, TreatmentEvent};

const LOINC: &str = "http://loinc.org";
const UCUM: &str = "http://unitsofmeasure.org";
const CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
const INTERPRETATION: &str = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
/// Clinilog's own measure codes (symptoms have no LOINC code in the catalog).
const MEASURE_SYSTEM: &str = "urn:clinilog:measure";
/// Where the MRN comes from: this clinic's Clinilog file.
const MRN_SYSTEM: &str = "urn:clinilog:mrn";
const SERIOUSNESS: &str = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness";
const SEVERITY: &str = "http://terminology.hl7.org/CodeSystem/adverse-event-severity";
const OUTCOME: &str = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome";
const CAUSALITY: &str = "http://terminology.hl7.org/CodeSystem/adverse-event-causality-assess";

#[derive(Serialize)]
struct Coding {
    system: &'static str,
    code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    display: Option<String>,
}

#[derive(Serialize)]
struct Concept {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    coding: Vec<Coding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
}

#[derive(Serialize)]
struct Reference {
    reference: String,
}

#[derive(Serialize)]
struct Quantity {
    value: Box<RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comparator: Option<&'static str>,
    unit: String,
    system: &'static str,
    code: String,
}

#[derive(Serialize)]
struct Range {
    #[serde(skip_serializing_if = "Option::is_none")]
    low: Option<Quantity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    high: Option<Quantity>,
    text: String,
}

#[derive(Serialize)]
struct Annotation {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Observation {
    resource_type: &'static str,
    id: String,
    status: &'static str,
    category: Vec<Concept>,
    code: Concept,
    subject: Reference,
    effective_date_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_quantity: Option<Quantity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_integer: Option<u8>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    interpretation: Vec<Concept>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    reference_range: Vec<Range>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    note: Vec<Annotation>,
}

#[derive(Serialize)]
struct Identifier {
    system: &'static str,
    value: String,
}

#[derive(Serialize)]
struct HumanName {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FhirPatient {
    resource_type: &'static str,
    id: String,
    identifier: Vec<Identifier>,
    name: Vec<HumanName>,
    gender: &'static str,
    birth_date: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Procedure {
    resource_type: &'static str,
    id: String,
    status: &'static str,
    code: Concept,
    subject: Reference,
    performed_date_time: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    note: Vec<Annotation>,
}

#[derive(Serialize)]
struct Causality {
    assessment: Concept,
}

#[derive(Serialize)]
struct SuspectEntity {
    instance: Reference,
    causality: Vec<Causality>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FhirAdverseEvent {
    resource_type: &'static str,
    id: String,
    actuality: &'static str,
    event: Concept,
    subject: Reference,
    date: String,
    seriousness: Concept,
    severity: Concept,
    outcome: Concept,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suspect_entity: Vec<SuspectEntity>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Resource {
    Patient(FhirPatient),
    Observation(Box<Observation>),
    Procedure(Procedure),
    AdverseEvent(Box<FhirAdverseEvent>),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BundleEntry {
    full_url: String,
    resource: Resource,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bundle {
    resource_type: &'static str,
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    meta: Option<BundleMeta>,
    #[serde(rename = "type")]
    kind: &'static str,
    timestamp: String,
    entry: Vec<BundleEntry>,
}

/// The Bundle's `meta`: a tag naming the audit trail's head the export
/// was read at (the exact state of the record it came from).
#[derive(Serialize)]
struct BundleMeta {
    tag: Vec<Coding>,
}

/// The system of the tag that carries the audit head (`SEQ:HASH`).
pub const AUDIT_HEAD_SYSTEM: &str = "https://clinilog.org/fhir/audit-head";

/// What an export holds: each patient (one, by MRN, or every one) with
/// the current entries (oldest first, doubtful intervals marked) and
/// treatment events.
pub fn records(
    store: &dyn clinilog_store::ClinicStore,
    mrn: Option<&str>,
    catalog: &Catalog,
) -> Result<Vec<PatientRecord>, clinilog_store::StoreError> {
    let mut out = Vec::new();
    for (p, mut entries) in store.patients_with_entries(mrn)? {
        for e in &mut entries {
            e.data.mark_flags(catalog, p.data.sex);
        }
        let treatments = store.treatments(p.id)?;
        let adverse = store.adverse_events(p.id)?;
        out.push(PatientRecord {
            patient: p,
            entries,
            treatments,
            adverse,
        });
    }
    Ok(out)
}

/// A stable UUID-shaped id for a record (the same export gives the same ids).
fn uuid_for(what: &str) -> String {
    let h = Sha256::digest(what.as_bytes());
    let hex: String = h.iter().take(16).map(|b| format!("{b:02x}")).collect();
    // Version 5-like layout: 8-4-4-4-12, with the version and variant bits set.
    format!(
        "{}-{}-5{}-{:x}{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        8 | (u8::from_str_radix(&hex[16..17], 16).unwrap_or(0) & 3),
        &hex[17..20],
        &hex[20..32]
    )
}

/// A number as printed, as a JSON number with those digits.
fn raw_number(text: &str) -> Result<Box<RawValue>, serde_json::Error> {
    RawValue::from_string(text.to_owned())
}

fn quantity(value: &str, comparator: Option<&'static str>, ucum: &str) -> Result<Quantity, serde_json::Error> {
    Ok(Quantity {
        value: raw_number(value)?,
        comparator,
        unit: display_unit(ucum),
        system: UCUM,
        code: ucum.to_owned(),
    })
}

fn gender(sex: Sex) -> &'static str {
    match sex {
        Sex::Female => "female",
        Sex::Male => "male",
        Sex::Other => "other",
        Sex::Unknown => "unknown",
    }
}

/// The LOINC code of a lab value: the SI code when it was printed in the SI unit.
fn loinc_of<'a>(catalog: &'a Catalog, lab: &LabResult) -> Option<&'a str> {
    let spec = catalog.measure(&lab.code)?.lab()?;
    Some(match &spec.si {
        Some(si) if si.unit == lab.unit && si.unit != spec.unit => si.loinc.as_deref().unwrap_or(&spec.loinc),
        _ => spec.loinc.as_str(),
    })
}

fn lab_observation(
    catalog: &Catalog,
    entry: &Entry,
    lab: &LabResult,
    subject: &str,
    mrn: &str,
) -> Result<Observation, serde_json::Error> {
    let name = catalog.measure(&lab.code).map_or(lab.code.clone(), |m| m.name.clone());
    let coding = loinc_of(catalog, lab)
        .map(|code| Coding {
            system: LOINC,
            code: code.to_owned(),
            display: Some(name.clone()),
        })
        .into_iter()
        .collect();
    let interpretation = if lab.interval_doubt && !lab.flag.is_critical() {
        Vec::new()
    } else {
        let (code, display) = match lab.flag {
            Flag::CriticalHigh => ("HH", "Critical high"),
            Flag::High => ("H", "High"),
            Flag::Low => ("L", "Low"),
            Flag::CriticalLow => ("LL", "Critical low"),
            Flag::Normal => ("N", "Normal"),
        };
        vec![Concept {
            coding: vec![Coding {
                system: INTERPRETATION,
                code: code.to_owned(),
                display: Some(display.to_owned()),
            }],
            text: None,
        }]
    };
    let r = &lab.reference;
    let reference_range = if r.low.is_none() && r.high.is_none() {
        Vec::new()
    } else {
        vec![Range {
            low: r
                .low
                .as_ref()
                .map(|d| quantity(d.as_str(), None, &lab.unit))
                .transpose()?,
            high: r
                .high
                .as_ref()
                .map(|d| quantity(d.as_str(), None, &lab.unit))
                .transpose()?,
            text: format!("{} {}", r.describe(), display_unit(&lab.unit)),
        }]
    };
    Ok(Observation {
        resource_type: "Observation",
        id: uuid_for(&format!("{mrn}/entry/{}/{}", entry.id, lab.code)),
        status: if entry.version > 1 { "amended" } else { "final" },
        category: vec![Concept {
            coding: vec![Coding {
                system: CATEGORY,
                code: "laboratory".to_owned(),
                display: Some("Laboratory".to_owned()),
            }],
            text: None,
        }],
        code: Concept {
            coding,
            text: Some(name),
        },
        subject: Reference {
            reference: subject.to_owned(),
        },
        effective_date_time: entry.data.collected_on.to_string(),
        value_quantity: Some(quantity(
            lab.value.as_str(),
            lab.comparator.map(|c| c.as_str()),
            &lab.unit,
        )?),
        value_integer: None,
        interpretation,
        reference_range,
        note: lab.doubt_note().map(|text| Annotation { text }).into_iter().collect(),
    })
}

/// A patient with the current (not voided) entries, treatment events and
/// adverse events.
pub struct PatientRecord {
    pub patient: Patient,
    pub entries: Vec<Entry>,
    pub treatments: Vec<TreatmentEvent>,
    pub adverse: Vec<AdverseEvent>,
}

impl PatientRecord {
    /// Nothing but the patient: no entries, treatments or adverse events.
    pub fn is_only_patient(&self) -> bool {
        self.entries.is_empty() && self.treatments.is_empty() && self.adverse.is_empty()
    }
}

fn coded(system: &'static str, code: &str, display: &str, text: Option<String>) -> Concept {
    Concept {
        coding: vec![Coding {
            system,
            code: code.to_owned(),
            display: Some(display.to_owned()),
        }],
        text,
    }
}

/// An adverse event as FHIR R4 `AdverseEvent`; `procedure_of_cycle` gives
/// the Procedure's URL of a treatment cycle, the suspect of a related event.
fn adverse_event(
    e: &AdverseEvent,
    patient_url: &str,
    mrn: &str,
    procedure_of_cycle: impl Fn(u32) -> Option<String>,
) -> FhirAdverseEvent {
    let d = &e.data;
    let (severity, severity_display) = match d.grade {
        1 => ("mild", "Mild"),
        2 => ("moderate", "Moderate"),
        _ => ("severe", "Severe"),
    };
    let (serious, serious_display) = if d.serious {
        ("serious", "Serious")
    } else {
        ("non-serious", "Non-serious")
    };
    let causality = match d.relation {
        Relation::Definite => Some(("Certain", "Certain")),
        Relation::Probable => Some(("Probably-Likely", "Probably/Likely")),
        Relation::Possible => Some(("Possible", "Possible")),
        Relation::Unlikely => Some(("Unlikely", "Unlikely")),
        Relation::Unrelated => None,
    };
    let relation_text = Some(format!("{} to treatment", d.relation.label()));
    let suspect_entity = d
        .cycle
        .and_then(&procedure_of_cycle)
        .map(|url| SuspectEntity {
            instance: Reference { reference: url },
            causality: vec![Causality {
                assessment: match causality {
                    Some((code, display)) => coded(CAUSALITY, code, display, relation_text.clone()),
                    None => Concept {
                        coding: Vec::new(),
                        text: relation_text.clone(),
                    },
                },
            }],
        })
        .into_iter()
        .collect();
    FhirAdverseEvent {
        resource_type: "AdverseEvent",
        id: uuid_for(&format!("{mrn}/adverse/{}", e.id)),
        actuality: "actual",
        event: Concept {
            coding: Vec::new(),
            text: Some(d.term.clone()),
        },
        subject: Reference {
            reference: patient_url.to_owned(),
        },
        date: d.onset.to_string(),
        seriousness: coded(SERIOUSNESS, serious, serious_display, None),
        severity: coded(
            SEVERITY,
            severity,
            severity_display,
            Some(format!(
                "CTCAE grade {} ({})",
                d.grade,
                clinilog_domain::adverse::grade_meaning(d.grade)
            )),
        ),
        outcome: coded(OUTCOME, d.outcome.fhir_code(), d.outcome.label(), None),
        suspect_entity,
    }
}

/// Patients' records as a FHIR R4 Bundle (`collection`), pretty JSON.
pub fn bundle(
    catalog: &Catalog,
    records: &[PatientRecord],
    timestamp: &str,
    audit_head: Option<&str>,
) -> Result<String, serde_json::Error> {
    let mut entry = Vec::new();
    for PatientRecord {
        patient,
        entries,
        treatments,
        adverse,
    } in records
    {
        let mrn = &patient.data.mrn;
        let patient_url = format!("urn:uuid:{}", uuid_for(&format!("{mrn}/patient")));
        entry.push(BundleEntry {
            full_url: patient_url.clone(),
            resource: Resource::Patient(FhirPatient {
                resource_type: "Patient",
                id: uuid_for(&format!("{mrn}/patient")),
                identifier: vec![Identifier {
                    system: MRN_SYSTEM,
                    value: mrn.clone(),
                }],
                name: vec![HumanName {
                    text: patient.data.name.clone(),
                }],
                gender: gender(patient.data.sex),
                birth_date: patient.data.birth_date.to_string(),
            }),
        });
        for e in entries {
            let mut labs: Vec<&LabResult> = e.data.labs.iter().collect();
            labs.sort_by_key(|l| catalog.order_of(&l.code));
            for lab in labs {
                let obs = lab_observation(catalog, e, lab, &patient_url, mrn)?;
                entry.push(BundleEntry {
                    full_url: format!("urn:uuid:{}", obs.id),
                    resource: Resource::Observation(Box::new(obs)),
                });
            }
            for s in &e.data.symptoms {
                let measure = catalog.measure(&s.code);
                let name = measure.map_or(s.code.clone(), |m| m.name.clone());
                let scale = measure.and_then(|m| m.scale()).map(|sc| sc.range());
                let id = uuid_for(&format!("{mrn}/entry/{}/{}", e.id, s.code));
                entry.push(BundleEntry {
                    full_url: format!("urn:uuid:{id}"),
                    resource: Resource::Observation(Box::new(Observation {
                        resource_type: "Observation",
                        id,
                        status: if e.version > 1 { "amended" } else { "final" },
                        category: vec![Concept {
                            coding: vec![Coding {
                                system: CATEGORY,
                                code: "survey".to_owned(),
                                display: Some("Survey".to_owned()),
                            }],
                            text: None,
                        }],
                        code: Concept {
                            coding: vec![Coding {
                                system: MEASURE_SYSTEM,
                                code: s.code.clone(),
                                display: Some(name.clone()),
                            }],
                            text: Some(match scale {
                                Some(r) => format!("{name} ({r})"),
                                None => name,
                            }),
                        },
                        subject: Reference {
                            reference: patient_url.clone(),
                        },
                        effective_date_time: e.data.collected_on.to_string(),
                        value_quantity: None,
                        value_integer: Some(s.value),
                        interpretation: Vec::new(),
                        reference_range: Vec::new(),
                        note: Vec::new(),
                    })),
                });
            }
        }
        for t in treatments {
            let d = &t.data;
            let mut what = vec![format!("Product: {}", d.product)];
            if let Some(dose) = &d.dose {
                what.push(format!("dose: {dose} {}", d.dose_unit).trim_end().to_owned());
            }
            if !d.route.is_empty() {
                what.push(format!("route: {}", d.route));
            }
            if let Some(c) = d.cycle {
                what.push(format!("cycle {c}"));
            }
            if !d.note.is_empty() {
                what.push(d.note.clone());
            }
            let id = uuid_for(&format!("{mrn}/treatment/{}", t.id));
            entry.push(BundleEntry {
                full_url: format!("urn:uuid:{id}"),
                resource: Resource::Procedure(Procedure {
                    resource_type: "Procedure",
                    id,
                    status: "completed",
                    code: Concept {
                        coding: Vec::new(),
                        text: Some(match d.cycle {
                            Some(c) => format!("{}, cycle {c}: {}", d.kind.label(), d.product),
                            None => format!("{}: {}", d.kind.label(), d.product),
                        }),
                    },
                    subject: Reference {
                        reference: patient_url.clone(),
                    },
                    performed_date_time: d.date.to_string(),
                    note: vec![Annotation { text: what.join("; ") }],
                }),
            });
        }
        let procedure_of_cycle = |c: u32| {
            treatments
                .iter()
                .find(|t| t.data.cycle == Some(c))
                .map(|t| format!("urn:uuid:{}", uuid_for(&format!("{mrn}/treatment/{}", t.id))))
        };
        for e in adverse {
            let ae = adverse_event(e, &patient_url, mrn, procedure_of_cycle);
            entry.push(BundleEntry {
                full_url: format!("urn:uuid:{}", ae.id),
                resource: Resource::AdverseEvent(Box::new(ae)),
            });
        }
    }
    let id = uuid_for(&format!(
        "bundle/{timestamp}/{}",
        records
            .iter()
            .map(|r| r.patient.data.mrn.as_str())
            .collect::<Vec<_>>()
            .join(",")
    ));
    serde_json::to_string_pretty(&Bundle {
        resource_type: "Bundle",
        id,
        meta: audit_head.map(|h| BundleMeta {
            tag: vec![Coding {
                system: AUDIT_HEAD_SYSTEM,
                code: h.to_owned(),
                display: Some("audit trail head (clinilog check --anchor)".to_owned()),
            }],
        }),
        kind: "collection",
        timestamp: timestamp.to_owned(),
        entry,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_uuids_and_are_stable() {
        let a = uuid_for("DEMO-001/patient");
        assert_eq!(a, uuid_for("DEMO-001/patient"));
        assert_ne!(a, uuid_for("DEMO-002/patient"));
        let parts: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(parts, vec![8, 4, 4, 4, 12], "{a}");
        assert!(a.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
    }

    #[test]
    fn a_printed_value_keeps_its_digits() {
        let q = quantity("12.30", Some("<"), "mg/dL").unwrap();
        let json = serde_json::to_string(&q).unwrap();
        assert_eq!(
            json,
            r#"{"value":12.30,"comparator":"<","unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL"}"#
        );
    }
}
