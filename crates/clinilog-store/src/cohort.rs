//! What is read through the store's interface rather than written in SQL:
//! a cohort's values (one measure, a lab or a score, for every patient
//! chosen, each with day 0: the Cohort screen and `clinilog cohort`) and
//! the clinic's due list for a week.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use jiff::civil::Date;

use crate::{ClinicStore, StoreError};
use clinilog_domain::catalog::UnitSystem;
use clinilog_domain::cohort::{Align, CohortMeasure, PatientValues, Point, day0_of, score_points};
use clinilog_domain::protocol::{PatientDue, Protocol, Schedule, due_in_week};
use clinilog_domain::score_inputs::{DEFAULT_CARRY_DAYS, all_entry_scores};
use clinilog_domain::{Catalog, Patient};

/// Which patients a cohort holds (all, when nothing is set).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CohortFilter {
    /// On this protocol (assigned, not stopped).
    pub protocol: Option<String>,
    /// The diagnosis contains this text (any case).
    pub diagnosis: Option<String>,
    pub enrolled_from: Option<Date>,
    pub enrolled_to: Option<Date>,
    /// Only these patients (hand-picked, by MRN).
    pub mrns: Option<Vec<String>>,
}

impl CohortFilter {
    fn keeps(&self, p: &Patient, on_protocol: Option<&HashSet<i64>>) -> bool {
        let d = &p.data;
        !p.archived
            && on_protocol.is_none_or(|set| set.contains(&p.id))
            && self
                .diagnosis
                .as_ref()
                .is_none_or(|t| d.diagnosis.to_lowercase().contains(&t.trim().to_lowercase()))
            && self.enrolled_from.is_none_or(|f| d.enrolled >= f)
            && self.enrolled_to.is_none_or(|t| d.enrolled <= t)
            && self
                .mrns
                .as_ref()
                .is_none_or(|mrns| mrns.iter().any(|m| m.eq_ignore_ascii_case(&d.mrn)))
    }
}

/// The measure's values of every patient the filter keeps, in one unit
/// (`system`), with day 0 by `align`, by patient name. A lab measure is
/// read per patient through the index on (patient, measure, date); a score
/// needs each patient's entries and is computed as the Log does.
pub(crate) fn cohort_values<S: ClinicStore + ?Sized>(
    store: &S,
    measure: &CohortMeasure,
    align: Align,
    system: UnitSystem,
    catalog: &Catalog,
    filter: &CohortFilter,
) -> Result<Vec<PatientValues>, StoreError> {
    let on_protocol = match &filter.protocol {
        Some(name) => Some(store.patients_on_protocol(name)?),
        None => None,
    };
    let mut patients = Vec::new();
    store.for_each_patient(&mut |p| {
        if filter.keeps(&p, on_protocol.as_ref()) {
            patients.push(p);
        }
    })?;
    patients.sort_by(|a, b| a.data.name.cmp(&b.data.name).then(a.id.cmp(&b.id)));
    // Each patient's treatments as (date, cycle), for day 0.
    let mut cycles: HashMap<i64, Vec<(Date, Option<u32>)>> = HashMap::new();
    store.for_each_treatment_cycle(false, &mut |patient, date, cycle| {
        cycles.entry(patient).or_default().push((date, cycle));
    })?;
    let spec = match measure {
        CohortMeasure::Lab(code) => catalog.measure(code).and_then(|m| m.lab()),
        CohortMeasure::Score(_) => None,
    };
    let mut out = Vec::with_capacity(patients.len());
    for p in patients {
        let day0 = day0_of(align, p.data.enrolled, cycles.get(&p.id).into_iter().flatten().copied());
        let points = match measure {
            CohortMeasure::Lab(code) => {
                let mut points = Vec::new();
                store.for_each_lab_value(p.id, code, &mut |date, lab| {
                    let shown = match spec {
                        Some(spec) => lab.in_unit_cow(spec, spec.unit_for(system)),
                        None => std::borrow::Cow::Borrowed(&lab),
                    };
                    points.push(Point {
                        date,
                        value: shown.value.value(),
                        text: shown.value_text(),
                        censored: shown.comparator.is_some(),
                    });
                })?;
                points
            }
            CohortMeasure::Score(kind) => {
                let entries = store.entries(p.id)?;
                score_points(&all_entry_scores(&entries, &p, catalog, DEFAULT_CARRY_DAYS), *kind)
            }
        };
        out.push(PatientValues {
            patient_id: p.id,
            name: p.data.name.clone(),
            day0,
            points,
            cycles: cycles
                .get(&p.id)
                .into_iter()
                .flatten()
                .filter_map(|(d, c)| c.map(|c| (c, *d)))
                .collect(),
        });
    }
    Ok(out)
}

/// The clinic's due list for the week containing `day`: for every patient
/// (not archived) on a protocol, what is due that week, late on its
/// Monday, and missing from the latest visit done. Patients with nothing
/// to do are left out. Entries and treatments are read as dates in one
/// pass each; only the latest visit's measures are read per patient. A
/// protocol that no longer reads is named per patient.
pub(crate) fn due_list<S: ClinicStore + ?Sized>(
    store: &S,
    day: Date,
    catalog: &Catalog,
) -> Result<Vec<PatientDue>, StoreError> {
    let assignments = store.active_assignments()?;
    if assignments.is_empty() {
        return Ok(Vec::new());
    }
    // Entry dates and ids per patient, by date.
    let mut entries: HashMap<i64, (Vec<Date>, Vec<i64>)> = HashMap::new();
    store.for_each_entry_date(true, &mut |patient, id, date| {
        let e = entries.entry(patient).or_default();
        e.0.push(date);
        e.1.push(id);
    })?;
    // Treatments: only the date and cycle matter to the plan.
    let mut treatments: HashMap<i64, Vec<(Date, Option<u32>)>> = HashMap::new();
    store.for_each_treatment_cycle(true, &mut |patient, date, cycle| {
        treatments.entry(patient).or_default().push((date, cycle));
    })?;
    let mut names: HashMap<i64, (String, String)> = HashMap::new();
    store.for_each_patient(&mut |p| {
        names.insert(p.id, (p.data.mrn, p.data.name));
    })?;
    // Each protocol text read once, with its schedule.
    let mut protocols: HashMap<Arc<str>, Result<(Protocol, Schedule), String>> = HashMap::new();
    let no_dates = (Vec::new(), Vec::new());
    let mut out = Vec::new();
    for a in assignments {
        let Some((mrn, name)) = names.get(&a.patient_id) else {
            continue;
        };
        let parsed = protocols
            .entry(a.data.protocol_text.as_str().into())
            .or_insert_with(|| {
                a.protocol(catalog)
                    .map(|p| {
                        let s = Schedule::of(&p);
                        (p, s)
                    })
                    .map_err(|e| e.to_string())
            });
        let read = match parsed {
            Ok((protocol, schedule)) => {
                let items = a.plan(schedule);
                let (dates, ids) = entries.get(&a.patient_id).unwrap_or(&no_dates);
                let treated = treatments.get(&a.patient_id).map_or(&[][..], Vec::as_slice);
                let week = due_in_week(protocol, &items, dates, treated, day);
                let present: Vec<String> = match &week.last_visit {
                    Some(v) => store.entry_measures(ids[v.entry])?,
                    None => Vec::new(),
                };
                Ok(week.with_missing(|m| present.iter().any(|p| p == m)))
            }
            Err(e) => Err(e.clone()),
        };
        let (lines, problem) = match read {
            Ok(lines) if lines.is_empty() => continue,
            Ok(lines) => (lines, None),
            Err(problem) => (Vec::new(), Some(problem)),
        };
        out.push(PatientDue {
            patient_id: a.patient_id,
            mrn: mrn.clone(),
            name: name.clone(),
            protocol: a.data.protocol.clone(),
            lines,
            problem,
        });
    }
    Ok(out)
}
