//! What the patient list's *Latest out of range* filter and the status
//! bar's count of critical values need: every listed patient's latest value
//! of each lab measure that is out of range, read on a job (as the Log
//! judges them: no flag where the interval may be in another unit, LL/HH
//! beyond the critical limits), kept compact.

use std::collections::HashMap;

use jiff::civil::Date;

use clinilog_domain::{Catalog, Sex};
use clinilog_store::{ClinicStore, PatientSummary};

/// The patients whose latest value of a lab measure is out of range, per
/// measure: what the "Latest out of range" filter needs, read on a thread the
/// first time the filter is opened (a large clinic has hundreds of thousands
/// of such values: each is kept in a few dozen bytes).
#[derive(Clone, Debug, Default)]
pub struct OutOfRange {
    /// The lab measures at least one patient has out of range, in catalog
    /// order: code and name.
    pub measures: Vec<(String, String)>,
    /// Measure code -> the latest values, sorted by patient id.
    by_measure: HashMap<String, Vec<Latest>>,
    /// The units the values are in (each value keeps an index).
    units: Vec<String>,
    /// The patients with a critical (LL/HH) latest value of any measure.
    critical: std::collections::HashSet<i64>,
}

/// What the out-of-range filter keeps: one measure's latest value out of
/// range (or any measure's), critical (LL/HH) only or any flag.
#[derive(Clone, Debug, PartialEq)]
pub struct RangeFilter {
    pub measure: Option<String>,
    pub critical_only: bool,
}

/// One patient's latest value of a measure, out of range.
#[derive(Clone, Debug)]
struct Latest {
    patient_id: i64,
    date: Date,
    flag: clinilog_domain::Flag,
    unit: u16,
    /// As printed, with its comparator (`<0.5`).
    value: Box<str>,
}

impl OutOfRange {
    /// Reads every listed patient's latest flagged values from `store`:
    /// those whose flag stands once an interval that looks like the other
    /// unit's is discounted, as the Log shows them.
    pub fn read(
        store: &dyn ClinicStore,
        rows: &[PatientSummary],
        catalog: &Catalog,
    ) -> Result<Self, clinilog_store::StoreError> {
        Self::read_for(
            store,
            &rows.iter().map(|r| (r.patient.id, r.patient.data.sex)).collect(),
            catalog,
        )
    }

    /// As [`OutOfRange::read`], for the patients in `sex` (id -> sex).
    pub(crate) fn read_for(
        store: &dyn ClinicStore,
        sex: &HashMap<i64, Sex>,
        catalog: &Catalog,
    ) -> Result<Self, clinilog_store::StoreError> {
        let mut by_measure: HashMap<String, Vec<Latest>> = HashMap::new();
        let mut units: Vec<String> = Vec::new();
        let mut critical = std::collections::HashSet::new();
        store.for_each_latest_flagged_lab(&mut |mut l| {
            let Some(&sex) = sex.get(&l.patient_id) else {
                return;
            };
            l.lab.mark_flags(catalog, sex);
            if l.lab.flag == clinilog_domain::Flag::Normal {
                return;
            }
            if l.lab.flag.is_critical() {
                critical.insert(l.patient_id);
            }
            let unit = match units.iter().position(|u| *u == l.lab.unit) {
                Some(i) => i,
                None => {
                    units.push(l.lab.unit.clone());
                    units.len() - 1
                }
            };
            let comparator = l.lab.comparator.map_or("", |c| c.as_str());
            let latest = Latest {
                patient_id: l.patient_id,
                date: l.collected_on,
                flag: l.lab.flag,
                unit: u16::try_from(unit).unwrap_or(u16::MAX),
                value: format!("{comparator}{}", l.lab.value).into_boxed_str(),
            };
            match by_measure.get_mut(&l.lab.code) {
                Some(v) => v.push(latest),
                None => {
                    by_measure.insert(l.lab.code, vec![latest]);
                }
            }
        })?;
        for v in by_measure.values_mut() {
            v.sort_by_key(|l| l.patient_id);
            v.shrink_to_fit();
        }
        let measures = catalog
            .labs()
            .filter(|(m, _)| by_measure.contains_key(&m.code))
            .map(|(m, _)| (m.code.clone(), m.name.clone()))
            .collect();
        Ok(Self {
            measures,
            by_measure,
            units,
            critical,
        })
    }

    fn latest(&self, code: &str, patient_id: i64) -> Option<&Latest> {
        let v = self.by_measure.get(code)?;
        v.binary_search_by_key(&patient_id, |l| l.patient_id)
            .ok()
            .map(|i| &v[i])
    }

    /// Whether the patient's latest value of `code` is out of range.
    pub fn has(&self, code: &str, patient_id: i64) -> bool {
        self.latest(code, patient_id).is_some()
    }

    /// Whether the patient is kept by `filter`.
    pub fn keeps(&self, filter: &RangeFilter, patient_id: i64) -> bool {
        match (&filter.measure, filter.critical_only) {
            (Some(code), false) => self.has(code, patient_id),
            (Some(code), true) => self.latest(code, patient_id).is_some_and(|l| l.flag.is_critical()),
            (None, true) => self.critical.contains(&patient_id),
            (None, false) => true,
        }
    }

    /// How many patients have a critical (LL/HH) latest value.
    pub fn critical_patients(&self) -> usize {
        self.critical.len()
    }

    /// "12.30 mg/dL, high, on 2025-08-04": the patient's latest value of
    /// `code` as printed, its unit, its flag in words (a letter after
    /// "g/dL" would read as part of the unit), its date; when out of range.
    pub fn latest_text(&self, code: &str, patient_id: i64) -> Option<String> {
        let l = self.latest(code, patient_id)?;
        let unit = self
            .units
            .get(usize::from(l.unit))
            .map_or(String::new(), |u| clinilog_domain::catalog::display_unit(u));
        let flag = l.flag.words();
        Some(format!("{} {unit}, {flag}, on {}", l.value, l.date))
    }

    /// The measure's name, as listed.
    pub fn name(&self, code: &str) -> Option<&str> {
        self.measures.iter().find(|(c, _)| c == code).map(|(_, n)| n.as_str())
    }

    /// How many patients have `code` out of range.
    pub fn count(&self, code: &str) -> usize {
        self.by_measure.get(code).map_or(0, Vec::len)
    }
}
