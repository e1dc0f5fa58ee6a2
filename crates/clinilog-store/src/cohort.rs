//! A cohort's values: one measure (a lab, or a score) for every patient
//! chosen, each with day 0, read for the Cohort screen and `clinilog
//! cohort`.

use std::collections::{HashMap, HashSet};

use jiff::civil::Date;

use super::entries::lab_from_row;
use super::rows::parse_date_col;
use super::{ClinicStore, Store, StoreError};
use clinilog_domain::catalog::UnitSystem;
use clinilog_domain::cohort::{Align, CohortMeasure, PatientValues, Point, day0_of, score_points};
use clinilog_domain::score_inputs::{DEFAULT_CARRY_DAYS, all_entry_scores};
use clinilog_domain::{Catalog, LabResult, Patient};

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

impl Store {
    /// The patients on this protocol (assigned, not voided).
    pub fn patients_on_protocol(&self, protocol: &str) -> Result<HashSet<i64>, StoreError> {
        let mut stmt = self.conn.prepare(ON_PROTOCOL_SQL)?;
        let ids = stmt.query_map([protocol], |r| r.get(0))?.collect::<Result<_, _>>()?;
        Ok(ids)
    }

    /// The patient's current values of one lab measure (entries not
    /// voided), by date, through the index on (patient, measure, date).
    pub fn lab_values(
        &self,
        patient_id: i64,
        code: &str,
        mut each: impl FnMut(Date, LabResult),
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare_cached(LAB_VALUES_SQL)?;
        let mut rows = stmt.query(rusqlite::params![patient_id, code])?;
        while let Some(r) = rows.next()? {
            let date = parse_date_col(r.get_ref(0)?.as_str().unwrap_or(""), "entry")?;
            each(date, lab_from_row(r, 1)?);
        }
        Ok(())
    }
}

/// The patients on protocol `$1`.
pub(super) const ON_PROTOCOL_SQL: &str =
    "SELECT patient_id FROM protocol_assignments WHERE voided_at IS NULL AND protocol = $1";

/// Patient `$1`'s current values of measure `$2`: the date, then the
/// columns of a lab value (see `entries::LabCols`).
pub(super) const LAB_VALUES_SQL: &str =
    "SELECT o.collected_on, o.measure_code, o.value_text, o.comparator, o.unit, o.ref_low, o.ref_high,
         o.ref_source, o.flag, o.ref_unit
     FROM observations o JOIN entries e ON e.id = o.entry_id AND o.entry_version = e.data_version
     WHERE o.patient_id = $1 AND o.measure_code = $2 AND e.voided_at IS NULL
     ORDER BY o.collected_on";

/// The measure's values of every patient the filter keeps, in one unit
/// (`system`), with day 0 by `align`, by patient name. A lab measure is
/// read per patient through the index on (patient, measure, date); a score
/// needs each patient's entries and is computed as the Log does.
pub(super) fn cohort_values<S: ClinicStore + ?Sized>(
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
