//! What the entry form knows from the patient's earlier entries: the
//! previous value of each measure and the change since, the intervals the
//! lab printed last time (to prefill), which measures this patient has had,
//! and the warnings that do not block a save.

use std::collections::BTreeMap;

use jiff::civil::Date;

use super::catalog::{Catalog, Measure, display_unit};
use super::entry::{Entry, EntryData, EntryDraft, Flag, LabResult, PrefilledInterval, ReferenceInterval, field};
use super::patient::Sex;
use super::validate::{FieldError, parse_iso_date};

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
    spec.conventional_value(&lab.value, &lab.unit)
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
    /// first (in the report's order); each line starts in the patient's
    /// usual unit for the measure (never in the unit of whatever was typed
    /// last), with the interval printed on the patient's previous report for
    /// that measure (else the catalog default) brought into that unit.
    pub fn for_patient(catalog: &Catalog, sex: Sex, collected_on: Date, recorded_by: &str, history: &[Entry]) -> Self {
        let mut draft = Self::blank(catalog, sex, collected_on, recorded_by);
        let previous = previous_results(history, collected_on, None);
        for line in &mut draft.labs {
            let Some(spec) = catalog.measure(&line.code).and_then(Measure::lab) else {
                continue;
            };
            // An interval whose unit is unclear is not prefilled (the catalog's is).
            if let Some(p) = previous.get(&line.code).filter(|p| !p.result.interval_doubt) {
                let text = |d: &Option<super::number::Decimal>| d.as_ref().map(|x| x.to_string()).unwrap_or_default();
                line.prefill = Some(PrefilledInterval {
                    low: text(&p.result.reference.low),
                    high: text(&p.result.reference.high),
                    unit: p.result.unit.clone(),
                });
                line.ref_low = text(&p.result.reference.low);
                line.ref_high = text(&p.result.reference.high);
                line.ref_unit = p.result.unit.clone();
            }
            if let Some(unit) = usual_unit(history, &line.code, &spec.unit) {
                line.unit = unit;
            }
            line.follow_unit(spec);
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
                // As stored: printed with the value, in its unit.
                line.ref_unit = lab.unit.clone();
                line.ref_typed = true;
                line.prefill = None;
                // A stored value was stored as printed: an edit that keeps it
                // is not asked again whether it is (a changed value is).
                line.confirmed = line.value.clone();
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

/// The unit most of the patient's stored values of a measure are in; among
/// equals the catalog unit, else the most recent. `None` when never recorded.
pub fn usual_unit(history: &[Entry], code: &str, catalog_unit: &str) -> Option<String> {
    let mut counts: Vec<(String, usize, Date)> = Vec::new();
    for e in history {
        if let Some(lab) = e.data.lab(code) {
            match counts.iter_mut().find(|(u, _, _)| *u == lab.unit) {
                Some((_, n, last)) => {
                    *n += 1;
                    *last = (*last).max(e.data.collected_on);
                }
                None => counts.push((lab.unit.clone(), 1, e.data.collected_on)),
            }
        }
    }
    counts
        .into_iter()
        .max_by_key(|(u, n, last)| (*n, u == catalog_unit, *last))
        .map(|(u, _, _)| u)
}

/// Whether the measure has been recorded for this patient before.
pub fn measured_before(history: &[Entry], code: &str) -> bool {
    history.iter().any(|e| e.data.lab(code).is_some())
}

/// What deserves a second look but does not block a save.
#[derive(Clone, Debug, PartialEq)]
pub enum Warning {
    /// The value is outside the interval printed with it.
    OutOfRange {
        flag: Flag,
        interval: ReferenceInterval,
        unit: String,
    },
    /// The change since the previous value is beyond the measure's alert
    /// threshold (`change_alert_pct` in the catalog), in percent.
    ChangeBeyondAlert {
        pct: f64,
        limit: f64,
        previous: PreviousResult,
    },
    /// Another entry falls in the same ISO week.
    SameWeek { other: Date, year: i16, week: i8 },
}

impl Warning {
    /// The sentence shown beside the field.
    pub fn message(&self) -> String {
        match self {
            Warning::OutOfRange { flag, interval, unit } => {
                let side = if flag.is_low() { "below" } else { "above" };
                let critical = if flag.is_critical() { " critical value," } else { "" };
                format!(
                    "{}:{critical} {side} the printed interval {} {}",
                    flag.letter(),
                    interval.describe(),
                    display_unit(unit)
                )
            }
            Warning::ChangeBeyondAlert { pct, limit, previous } => format!(
                "changed {pct:+.0}% since {} ({} {}); more than {limit}%: check the value",
                previous.date,
                previous.result.value_text(),
                display_unit(&previous.result.unit)
            ),
            Warning::SameWeek { other, year, week } => format!(
                "another entry is dated {other}, in the same week ({year}-W{week:02}); save only if this is a separate report"
            ),
        }
    }
}

/// A warning and the form field it belongs to.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldWarning {
    pub field: String,
    pub warning: Warning,
}

/// The warnings of one lab result against the previous values.
pub fn lab_warnings(lab: &LabResult, catalog: &Catalog, previous: &BTreeMap<String, PreviousResult>) -> Vec<Warning> {
    let mut out = Vec::new();
    let Some(spec) = catalog.measure(&lab.code).and_then(Measure::lab) else {
        return out;
    };
    if lab.flag != Flag::Normal {
        out.push(Warning::OutOfRange {
            flag: lab.flag,
            interval: lab.reference.clone(),
            unit: lab.unit.clone(),
        });
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
        out.push(Warning::ChangeBeyondAlert {
            pct,
            limit,
            previous: prev.clone(),
        });
    }
    out
}

/// Another entry (not `exclude`) in the ISO week of `date`.
pub fn same_week(date: Date, history: &[Entry], exclude: Option<i64>) -> Option<Warning> {
    let week = date.iso_week_date();
    history
        .iter()
        .find(|e| {
            Some(e.id) != exclude && {
                let w = e.data.collected_on.iso_week_date();
                (w.year(), w.week()) == (week.year(), week.week())
            }
        })
        .map(|other| Warning::SameWeek {
            other: other.data.collected_on,
            year: week.year(),
            week: week.week(),
        })
}

/// The entry form checked line by line: the whole entry (or every error),
/// what each readable lab line reads as, and the warnings of the lines
/// that are fine, even while another line is in error. The window keeps
/// this and recomputes it when a field changes.
#[derive(Clone, Debug, PartialEq)]
pub struct EntryCheck {
    pub result: Result<EntryData, Vec<FieldError>>,
    /// By measure code: the result each lab line without an error reads as.
    pub reads: BTreeMap<String, LabResult>,
    pub warnings: Vec<FieldWarning>,
    /// The latest earlier value of each measure, before the collection date.
    pub previous: BTreeMap<String, PreviousResult>,
}

/// Who the entry is for, and which stored entry (if any) it edits.
#[derive(Clone, Copy, Debug)]
pub struct EntryFor<'a> {
    pub sex: Sex,
    pub birth_date: Date,
    pub today: Date,
    pub history: &'a [Entry],
    pub editing: Option<i64>,
}

impl EntryCheck {
    pub fn of(draft: &EntryDraft, catalog: &Catalog, who: EntryFor<'_>) -> Self {
        let (result, lines) = draft.validate_lines(catalog, who.sex, who.birth_date, who.today);
        let date = parse_iso_date(draft.collected_on.trim());
        let previous = previous_results(who.history, date.unwrap_or(who.today), who.editing);
        let mut reads = BTreeMap::new();
        let mut warnings = Vec::new();
        for mut lab in lines {
            // What the form shows is judged as a stored value is read: LL/HH.
            lab.mark_flags(catalog, who.sex);
            warnings.extend(
                lab_warnings(&lab, catalog, &previous)
                    .into_iter()
                    .map(|warning| FieldWarning {
                        field: field::lab(&lab.code),
                        warning,
                    }),
            );
            reads.insert(lab.code.clone(), lab);
        }
        if let Some(d) = date {
            warnings.extend(same_week(d, who.history, who.editing).map(|warning| FieldWarning {
                field: field::DATE.to_owned(),
                warning,
            }));
        }
        Self {
            result,
            reads,
            warnings,
            previous,
        }
    }

    /// The warnings of one field.
    pub fn warnings_of<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Warning> + 'a {
        self.warnings.iter().filter(move |w| w.field == key).map(|w| &w.warning)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{CommaReading, IntervalReading};
    use jiff::civil::date;

    fn catalog() -> Catalog {
        Catalog::builtin().unwrap()
    }

    /// Every warning of a whole entry: a value outside its printed interval, a
    /// change beyond the measure's alert threshold, a second entry in the same
    /// ISO week. Fields are the entry form's field keys.
    fn warnings(data: &EntryData, catalog: &Catalog, history: &[Entry], exclude: Option<i64>) -> Vec<FieldWarning> {
        let previous = previous_results(history, data.collected_on, exclude);
        let mut out: Vec<FieldWarning> = data
            .labs
            .iter()
            .flat_map(|lab| {
                lab_warnings(lab, catalog, &previous)
                    .into_iter()
                    .map(|warning| FieldWarning {
                        field: field::lab(&lab.code),
                        warning,
                    })
            })
            .collect();
        out.extend(
            same_week(data.collected_on, history, exclude).map(|warning| FieldWarning {
                field: field::DATE.to_owned(),
                warning,
            }),
        );
        out
    }

    fn entry(id: i64, on: Date, values: &[(&str, &str, &str, &str, &str)]) -> Entry {
        crate::test_support::entry_printed(id, on, values)
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
        let texts: Vec<_> = w.iter().map(|e| (e.field.as_str(), e.warning.message())).collect();
        let msgs: Vec<_> = texts.iter().map(|(f, m)| (*f, m.as_str())).collect();
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
            w.iter()
                .all(|e| !matches!(e.warning, Warning::ChangeBeyondAlert { .. })),
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

    fn checked(draft: &EntryDraft, history: &[Entry]) -> EntryCheck {
        EntryCheck::of(
            draft,
            &catalog(),
            EntryFor {
                sex: Sex::Male,
                birth_date: date(1974, 1, 1),
                today: date(2025, 8, 30),
                history,
                editing: None,
            },
        )
    }

    #[test]
    fn the_check_warns_on_a_fine_line_while_another_line_is_in_error() {
        let h = vec![entry(1, date(2025, 7, 14), &[("bili_total", "2.00", "", "0.1", "1.2")])];
        let mut d = EntryDraft::for_patient(&catalog(), Sex::Male, date(2025, 7, 28), "t", &h);
        d.labs.iter_mut().find(|l| l.code == "bili_total").unwrap().value = "3.50".into();
        d.labs.iter_mut().find(|l| l.code == "alt").unwrap().value = "12..3".into();
        let c = checked(&d, &h);
        assert!(c.result.is_err());
        assert!(!c.reads.contains_key("alt"), "a line in error reads as nothing");
        assert_eq!(c.reads["bili_total"].flag, Flag::High);
        let kinds: Vec<_> = c.warnings_of("lab:bili_total").collect();
        assert!(
            matches!(
                kinds[..],
                [
                    Warning::OutOfRange { flag: Flag::High, .. },
                    Warning::ChangeBeyondAlert { .. }
                ]
            ),
            "{kinds:?}"
        );
        assert_eq!(c.previous["bili_total"].date, date(2025, 7, 14));
    }

    #[test]
    fn a_unit_typed_after_the_value_is_the_unit_the_line_reads_in() {
        let mut d = EntryDraft::blank(&catalog(), Sex::Male, date(2025, 7, 28), "t");
        let line = d.labs.iter_mut().find(|l| l.code == "creatinine").unwrap();
        line.value = "88 umol/L".into();
        let spec = catalog().measure("creatinine").unwrap().lab().unwrap().clone();
        assert_eq!(line.reading_unit(&spec), "umol/L");
        let c = checked(&d, &[]);
        assert_eq!(c.reads["creatinine"].unit, "umol/L");
    }

    #[test]
    fn switching_the_unit_takes_a_prefilled_interval_along_and_asks_about_a_typed_one() {
        let cat = catalog();
        let spec = cat.measure("bili_total").unwrap().lab().unwrap();
        let mut d = EntryDraft::blank(&cat, Sex::Male, date(2025, 7, 28), "t");
        let line = d.labs.iter_mut().find(|l| l.code == "bili_total").unwrap();
        let default_si = spec.default_reference_in(Sex::Male, "umol/L");
        line.switch_unit(spec);
        assert_eq!(line.unit, "umol/L");
        assert_eq!(line.ref_high, default_si.high.unwrap().to_string());
        line.switch_unit(spec);
        assert_eq!(
            (line.unit.as_str(), line.ref_high.as_str()),
            ("mg/dL", "1.2"),
            "back without drift"
        );
        line.ref_high = "1.0".into();
        line.interval_typed(spec);
        line.switch_unit(spec);
        assert_eq!(
            (line.unit.as_str(), line.ref_high.as_str()),
            ("umol/L", "1.0"),
            "kept as typed"
        );
        assert_eq!(
            line.interval_reading(spec),
            IntervalReading::Ask {
                typed_in: "mg/dL".into()
            }
        );
    }

    /// The patient's last report printed total bilirubin 0.0 - 1.0 mg/dL.
    fn last_report_in_mg_dl() -> Vec<Entry> {
        vec![entry(
            1,
            date(2025, 7, 19),
            &[("bili_total", "12.30", "", "0.0", "1.0")],
        )]
    }

    #[test]
    fn a_value_typed_in_another_unit_takes_the_prefilled_interval_along_converted() {
        let h = last_report_in_mg_dl();
        let cat = catalog();
        let spec = cat.measure("bili_total").unwrap().lab().unwrap();
        let mut d = EntryDraft::for_patient(&cat, Sex::Male, date(2025, 8, 4), "t", &h);
        let line = d.labs.iter_mut().find(|l| l.code == "bili_total").unwrap();
        line.value = "12.3 umol/L".into();
        // Before the window shows it, the check reads the interval converted...
        let c = checked(&d, &h);
        let lab = &c.reads["bili_total"];
        assert_eq!((lab.value.as_str(), lab.unit.as_str()), ("12.3", "umol/L"));
        assert_eq!(lab.reference.describe(), "0.0 - 17.1");
        assert_eq!(lab.flag, Flag::Normal, "12.3 umol/L is 0.72 mg/dL: in range");
        // ...and the form shows it converted.
        let line = d.labs.iter_mut().find(|l| l.code == "bili_total").unwrap();
        line.follow_unit(spec);
        assert_eq!(
            (line.ref_low.as_str(), line.ref_high.as_str(), line.ref_unit.as_str()),
            ("0.0", "17.1", "umol/L")
        );
        let stored = checked(&d, &h).result.unwrap();
        let lab = stored.lab("bili_total").unwrap();
        assert_eq!(
            (lab.unit.as_str(), lab.reference.describe(), lab.flag),
            ("umol/L", "0.0 - 17.1".into(), Flag::Normal)
        );
    }

    #[test]
    fn an_interval_typed_on_this_report_is_never_converted_silently() {
        let h = last_report_in_mg_dl();
        let cat = catalog();
        let spec = cat.measure("bili_total").unwrap().lab().unwrap();
        let mut d = EntryDraft::for_patient(&cat, Sex::Male, date(2025, 8, 4), "t", &h);
        let line = d.labs.iter_mut().find(|l| l.code == "bili_total").unwrap();
        line.ref_high = "1.2".into();
        line.interval_typed(spec);
        line.value = "12.3 umol/L".into();
        let errors = checked(&d, &h).result.unwrap_err();
        assert!(
            errors.iter().any(|e| e.field == "lab:bili_total:ref_low"
                && e.message.contains("typed in mg/dL and the value is in umol/L")),
            "{errors:?}"
        );
        // Printed in mg/dL: converted into the value's unit.
        let mut mg = d.clone();
        let line = mg.labs.iter_mut().find(|l| l.code == "bili_total").unwrap();
        line.interval_printed_in(spec, "mg/dL");
        assert_eq!((line.ref_low.as_str(), line.ref_high.as_str()), ("0.0", "20.5"));
        assert_eq!(checked(&mg, &h).reads["bili_total"].flag, Flag::Normal);
        // Printed in umol/L: the numbers stay, now read in umol/L.
        let line = d.labs.iter_mut().find(|l| l.code == "bili_total").unwrap();
        line.interval_printed_in(spec, "umol/L");
        assert_eq!((line.ref_low.as_str(), line.ref_high.as_str()), ("0.0", "1.2"));
        assert_eq!(checked(&d, &h).reads["bili_total"].flag, Flag::High);
    }

    #[test]
    fn a_new_entry_starts_in_the_usual_unit_not_the_last_typed_one() {
        let h = vec![
            entry(1, date(2025, 7, 5), &[("bili_total", "2.00", "", "0.0", "1.0")]),
            entry(2, date(2025, 7, 12), &[("bili_total", "2.10", "", "0.0", "1.0")]),
            entry(3, date(2025, 7, 19), &[("bili_total", "36", "umol/L", "0", "17")]),
        ];
        assert_eq!(usual_unit(&h, "bili_total", "mg/dL").as_deref(), Some("mg/dL"));
        assert_eq!(
            usual_unit(&h[1..], "bili_total", "mg/dL").as_deref(),
            Some("mg/dL"),
            "one each: the catalog unit"
        );
        assert_eq!(usual_unit(&h[2..], "bili_total", "mg/dL").as_deref(), Some("umol/L"));
        let d = EntryDraft::for_patient(&catalog(), Sex::Male, date(2025, 7, 26), "t", &h);
        let line = d.labs.iter().find(|l| l.code == "bili_total").unwrap();
        assert_eq!(line.unit, "mg/dL");
        // The last report's interval (0 - 17 umol/L), brought into mg/dL.
        assert_eq!((line.ref_low.as_str(), line.ref_high.as_str()), ("0.00", "0.99"));
        assert_eq!(usual_unit(&h, "alt", "U/L"), None);
    }

    #[test]
    fn a_thousands_like_comma_is_read_or_asked_about_per_measure() {
        let cat = catalog();
        let mut d = EntryDraft::blank(&cat, Sex::Male, date(2025, 7, 28), "t");
        for (code, v) in [("bili_total", "1,234"), ("creatinine", "1,234 umol/L")] {
            d.labs.iter_mut().find(|l| l.code == code).unwrap().value = v.into();
        }
        let spec = |code: &str| cat.measure(code).unwrap().lab().unwrap().clone();
        let line = |code: &str| d.labs.iter().find(|l| l.code == code).unwrap();
        assert_eq!(
            line("bili_total").comma_reading(&spec("bili_total")),
            Some(CommaReading::Decimal)
        );
        // 1234 and 1.234 umol/L are both possible: asked, never guessed.
        assert_eq!(line("creatinine").comma_reading(&spec("creatinine")), None);
        let c = checked(&d, &[]);
        assert_eq!(c.reads["bili_total"].value.as_str(), "1.234");
        assert!(!c.reads.contains_key("creatinine"));
        let asked = c.result.unwrap_err();
        assert!(
            asked
                .iter()
                .any(|e| e.message.contains("could be 1234 or 1.234 umol/L")),
            "{asked:?}"
        );
    }
}
