//! What the entry form knows from the patient's earlier entries: the
//! previous value of each measure and the change since, the intervals the
//! lab printed last time (to prefill), which measures this patient has had,
//! and the warnings that do not block a save.

use std::collections::BTreeMap;

use jiff::civil::Date;

use super::catalog::{Catalog, Measure};
use super::entry::{Entry, EntryData, EntryDraft, Flag, LabResult, field};
use super::patient::Sex;
use super::validate::FieldError;

/// The most recent earlier value of a measure.
#[derive(Clone, Debug, PartialEq)]
pub struct PreviousResult {
    pub entry_id: i64,
    pub date: Date,
    pub result: LabResult,
}

/// Entries that count as "before" an entry dated `date` (other than `exclude`), newest first.
fn earlier(history: &[Entry], date: Date, exclude: Option<i64>) -> Vec<&Entry> {
    let mut out: Vec<&Entry> = history
        .iter()
        .filter(|e| Some(e.id) != exclude && e.data.collected_on <= date)
        .collect();
    out.sort_by_key(|e| std::cmp::Reverse((e.data.collected_on, e.id)));
    out
}

/// The latest earlier value of every lab measure.
pub fn previous_results(history: &[Entry], date: Date, exclude: Option<i64>) -> BTreeMap<String, PreviousResult> {
    let mut out = BTreeMap::new();
    for e in earlier(history, date, exclude) {
        for lab in &e.data.labs {
            out.entry(lab.code.clone()).or_insert_with(|| PreviousResult {
                entry_id: e.id,
                date: e.data.collected_on,
                result: lab.clone(),
            });
        }
    }
    out
}

/// A value in the conventional unit of its measure.
pub fn conventional_value(lab: &LabResult, catalog: &Catalog) -> Option<f64> {
    let spec = catalog.measure(&lab.code).and_then(Measure::lab)?;
    Some(lab.value.value() / spec.factor_to(&lab.unit)?)
}

/// The change from `previous` to `current`, both in one unit: absolute and
/// percent (no percent from zero).
pub fn change(previous: f64, current: f64) -> (f64, Option<f64>) {
    let delta = current - previous;
    let pct = (previous != 0.0).then(|| delta / previous * 100.0);
    (delta, pct)
}

/// `+1.20 (+35%)`, `-5.80 (-47%)`, with the decimals of the measure.
pub fn change_text(previous: f64, current: f64, decimals: u8) -> String {
    let (delta, pct) = change(previous, current);
    let d = usize::from(decimals);
    match pct {
        Some(p) => format!("{delta:+.d$} ({p:+.0}%)"),
        None => format!("{delta:+.d$}"),
    }
}

impl EntryDraft {
    /// A blank form for this patient: the measures the patient has had come
    /// first (in the report's order), and each reference interval is the one
    /// printed on the patient's previous report for that measure (in the
    /// same unit), else the catalog default.
    pub fn for_patient(catalog: &Catalog, sex: Sex, collected_on: Date, recorded_by: &str, history: &[Entry]) -> Self {
        let mut draft = Self::blank(catalog, sex, collected_on, recorded_by);
        let previous = previous_results(history, collected_on, None);
        for line in &mut draft.labs {
            if let Some(p) = previous.get(&line.code) {
                line.unit = p.result.unit.clone();
                line.ref_low = p
                    .result
                    .reference
                    .low
                    .as_ref()
                    .map(|d| d.to_string())
                    .unwrap_or_default();
                line.ref_high = p
                    .result
                    .reference
                    .high
                    .as_ref()
                    .map(|d| d.to_string())
                    .unwrap_or_default();
            }
        }
        let seen = |code: &str| history.iter().any(|e| e.data.lab(code).is_some());
        draft.labs.sort_by_key(|l| (!seen(&l.code), catalog.order_of(&l.code)));
        let seen_symptom = |code: &str| history.iter().any(|e| e.data.symptom(code).is_some());
        draft
            .symptoms
            .sort_by_key(|s| (!seen_symptom(&s.code), catalog.order_of(&s.code)));
        draft
    }

    /// The form for editing `entry`: its values as stored, every other
    /// measure blank.
    pub fn from_entry(entry: &Entry, catalog: &Catalog, sex: Sex, history: &[Entry]) -> Self {
        let d = &entry.data;
        let mut draft = Self::for_patient(catalog, sex, d.collected_on, &d.recorded_by, history);
        for line in &mut draft.labs {
            if let Some(lab) = d.lab(&line.code) {
                line.value = lab.value_text();
                line.unit = lab.unit.clone();
                line.ref_low = lab.reference.low.as_ref().map(|x| x.to_string()).unwrap_or_default();
                line.ref_high = lab.reference.high.as_ref().map(|x| x.to_string()).unwrap_or_default();
            }
        }
        for line in &mut draft.symptoms {
            if let Some(v) = d.symptom(&line.code) {
                line.value = v.to_string();
            }
        }
        draft.note = d.note.clone();
        draft
    }
}

/// Whether the measure has been recorded for this patient before.
pub fn measured_before(history: &[Entry], code: &str) -> bool {
    history.iter().any(|e| e.data.lab(code).is_some())
}

/// What deserves a second look but does not block a save: a value outside
/// its printed interval, a change beyond the measure's alert threshold, a
/// second entry in the same ISO week. Keys are the entry form's field keys.
pub fn warnings(data: &EntryData, catalog: &Catalog, history: &[Entry], exclude: Option<i64>) -> Vec<FieldError> {
    let mut out = Vec::new();
    let previous = previous_results(history, data.collected_on, exclude);
    for lab in &data.labs {
        let Some(measure) = catalog.measure(&lab.code) else {
            continue;
        };
        let Some(spec) = measure.lab() else { continue };
        let unit = super::catalog::display_unit(&lab.unit);
        match lab.flag {
            Flag::High => out.push(FieldError::new(
                field::lab(&lab.code),
                format!("H: above the printed interval {} {unit}", lab.reference.describe()),
            )),
            Flag::Low => out.push(FieldError::new(
                field::lab(&lab.code),
                format!("L: below the printed interval {} {unit}", lab.reference.describe()),
            )),
            Flag::Normal => {}
        }
        if let (Some(limit), Some(prev)) = (spec.change_alert_pct, previous.get(&lab.code))
            && lab.comparator.is_none()
            && prev.result.comparator.is_none()
            && let (Some(before), Some(now)) = (
                conventional_value(&prev.result, catalog),
                conventional_value(lab, catalog),
            )
            && let (_, Some(pct)) = change(before, now)
            && pct.abs() > limit
        {
            out.push(FieldError::new(
                field::lab(&lab.code),
                format!(
                    "changed {pct:+.0}% since {} ({} {}); more than {limit}%: check the value",
                    prev.date,
                    prev.result.value_text(),
                    super::catalog::display_unit(&prev.result.unit)
                ),
            ));
        }
    }
    let week = data.collected_on.iso_week_date();
    if let Some(other) = history.iter().find(|e| {
        Some(e.id) != exclude && {
            let w = e.data.collected_on.iso_week_date();
            (w.year(), w.week()) == (week.year(), week.week())
        }
    }) {
        out.push(FieldError::new(
            field::DATE,
            format!(
                "another entry is dated {}, in the same week ({}-W{:02}); save only if this is a separate report",
                other.data.collected_on,
                week.year(),
                week.week()
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn catalog() -> Catalog {
        Catalog::builtin().unwrap()
    }

    fn entry(id: i64, on: Date, values: &[(&str, &str, &str, &str, &str)]) -> Entry {
        crate::domain::test_support::entry_printed(id, on, values)
    }

    #[test]
    fn the_previous_value_is_the_latest_earlier_one() {
        let h = vec![
            entry(
                1,
                date(2025, 7, 19),
                &[("bili_total", "12.30", "", "0.0", "1.0"), ("alt", "60", "", "", "40")],
            ),
            entry(2, date(2025, 8, 4), &[("bili_total", "6.50", "", "0.0", "1.0")]),
        ];
        let prev = previous_results(&h, date(2025, 8, 19), None);
        assert_eq!(
            (prev["bili_total"].date, prev["bili_total"].result.value.as_str()),
            (date(2025, 8, 4), "6.50")
        );
        assert_eq!(prev["alt"].date, date(2025, 7, 19));
        // Editing entry 2 compares with entry 1.
        let prev = previous_results(&h, date(2025, 8, 4), Some(2));
        assert_eq!(prev["bili_total"].result.value.as_str(), "12.30");
        assert_eq!(change_text(12.30, 6.50, 2), "-5.80 (-47%)");
        assert_eq!(change_text(0.0, 1.0, 1), "+1.0");
    }

    #[test]
    fn a_new_form_reuses_the_last_printed_intervals_and_orders_known_measures_first() {
        let h = vec![entry(
            1,
            date(2025, 7, 19),
            &[
                ("creatinine", "1.00", "", "0.6", "1.5"),
                ("bili_total", "12.30", "", "0.0", "1.0"),
            ],
        )];
        let d = EntryDraft::for_patient(&catalog(), Sex::Male, date(2025, 8, 4), "t", &h);
        let codes: Vec<_> = d.labs.iter().take(3).map(|l| l.code.as_str()).collect();
        assert_eq!(codes, ["bili_total", "creatinine", "bili_direct"]);
        let creat = d.labs.iter().find(|l| l.code == "creatinine").unwrap();
        assert_eq!((creat.ref_low.as_str(), creat.ref_high.as_str()), ("0.6", "1.5"));
        let alt = d.labs.iter().find(|l| l.code == "alt").unwrap();
        assert_eq!(
            (alt.ref_low.as_str(), alt.ref_high.as_str()),
            ("7", "55"),
            "catalog default when never printed"
        );
    }

    #[test]
    fn warnings_do_not_block_and_say_why() {
        let h = vec![entry(
            1,
            date(2025, 7, 14),
            &[
                ("bili_total", "2.00", "", "0.1", "1.2"),
                ("sodium", "140", "", "135", "145"),
            ],
        )];
        let now = entry(
            9,
            date(2025, 7, 17),
            &[
                ("bili_total", "3.50", "", "0.1", "1.2"),
                ("sodium", "139", "", "135", "145"),
            ],
        );
        let w = warnings(&now.data, &catalog(), &h, None);
        let msgs: Vec<_> = w.iter().map(|e| (e.field.as_str(), e.message.as_str())).collect();
        assert!(
            msgs.contains(&("lab:bili_total", "H: above the printed interval 0.1 - 1.2 mg/dL")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|(f, m)| *f == "lab:bili_total" && m.starts_with("changed +75% since 2025-07-14")),
            "{msgs:?}"
        );
        assert!(
            !msgs.iter().any(|(f, _)| *f == "lab:sodium"),
            "-0.7% is no alert: {msgs:?}"
        );
        assert!(
            msgs.iter().any(|(f, m)| *f == "date" && m.contains("2025-W29")),
            "{msgs:?}"
        );
        // The next ISO week is no duplicate.
        let later = entry(9, date(2025, 7, 21), &[("sodium", "139", "", "135", "145")]);
        assert!(
            warnings(&later.data, &catalog(), &h, None)
                .iter()
                .all(|e| e.field != "date")
        );
    }

    #[test]
    fn si_and_conventional_values_compare_in_one_unit() {
        let h = vec![entry(1, date(2025, 7, 1), &[("creatinine", "1.00", "", "", "")])];
        let now = entry(2, date(2025, 7, 20), &[("creatinine", "88", "umol/L", "", "")]);
        assert_eq!(now.data.lab("creatinine").unwrap().unit, "umol/L");
        let w = warnings(&now.data, &catalog(), &h, None);
        assert!(
            w.iter().all(|e| !e.message.starts_with("changed")),
            "88 umol/L is 1.00 mg/dL: {w:?}"
        );
    }

    #[test]
    fn editing_starts_from_the_stored_values() {
        let e = entry(
            1,
            date(2025, 7, 19),
            &[("afp", "<0.5", "", "", "10"), ("bili_total", "210", "umol/L", "", "")],
        );
        let d = EntryDraft::from_entry(&e, &catalog(), Sex::Male, std::slice::from_ref(&e));
        let afp = d.labs.iter().find(|l| l.code == "afp").unwrap();
        assert_eq!((afp.value.as_str(), afp.ref_high.as_str()), ("<0.5", "10"));
        let bili = d.labs.iter().find(|l| l.code == "bili_total").unwrap();
        assert_eq!((bili.value.as_str(), bili.unit.as_str()), ("210", "umol/L"));
        assert_eq!(d.collected_on, "2025-07-19");
    }
}
