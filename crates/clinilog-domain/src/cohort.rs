//! Cohort outcomes: every patient's values of one measure aligned on a day
//! 0 (the first treatment cycle, or enrolment), a baseline, the values
//! nearest to chosen days, the change from baseline, and summaries across
//! patients.
//!
//! Values stay as printed: a value with `<` or `>` is shown as such and
//! left out of every calculation, with a note. Quantiles interpolate
//! between the nearest ranks (R's type 7, numpy's default): the median of
//! an even count is the mean of the two middle values.

use jiff::civil::Date;

use super::catalog::{Catalog, UnitSystem};
use super::entry::Entry;
use super::patient::Patient;
use super::protocol::day_count;
use super::score_inputs::EntryScores;
use super::scores::ScoreKind;
use super::treatment::TreatmentEvent;

/// What day 0 is for a patient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    FirstCycle,
    Enrolment,
}

/// What the cohort follows: a lab measure of the catalog, or a score.
#[derive(Clone, Debug, PartialEq)]
pub enum CohortMeasure {
    Lab(String),
    Score(ScoreKind),
}

impl CohortMeasure {
    /// Every measure a cohort can follow: the catalog's labs, then the scores.
    pub fn all(catalog: &Catalog) -> Vec<CohortMeasure> {
        catalog
            .measures()
            .iter()
            .filter(|m| m.lab().is_some())
            .map(|m| CohortMeasure::Lab(m.code.clone()))
            .chain(ScoreKind::ALL.into_iter().map(CohortMeasure::Score))
            .collect()
    }

    /// From the command line's code: a lab code (`bili_total`) or a
    /// score's (`meld`, `meld-na`, `meld3`, `child-pugh`, `albi`...).
    pub fn parse(code: &str, catalog: &Catalog) -> Option<Self> {
        if catalog.measure(code).and_then(|m| m.lab()).is_some() {
            return Some(CohortMeasure::Lab(code.to_owned()));
        }
        ScoreKind::ALL
            .into_iter()
            .find(|k| k.cli_name() == code)
            .map(CohortMeasure::Score)
    }

    /// The code `parse` reads back.
    pub fn code(&self) -> String {
        match self {
            CohortMeasure::Lab(c) => c.clone(),
            CohortMeasure::Score(k) => k.cli_name().to_owned(),
        }
    }

    /// `Total bilirubin`, `MELD`.
    pub fn name(&self, catalog: &Catalog) -> String {
        match self {
            CohortMeasure::Lab(c) => catalog.measure(c).map_or(c.clone(), |m| m.name.clone()),
            CohortMeasure::Score(k) => k.label().to_owned(),
        }
    }

    /// The unit every value is shown in (`mg/dL`; `points` for a score).
    pub fn unit(&self, catalog: &Catalog, system: UnitSystem) -> String {
        match self {
            CohortMeasure::Lab(c) => catalog
                .measure(c)
                .and_then(|m| m.lab())
                .map_or(String::new(), |spec| spec.unit_for(system).to_owned()),
            CohortMeasure::Score(_) => "points".to_owned(),
        }
    }
}

/// Day 0 of a patient: the first cycle (the treatment of cycle 1, else the
/// earliest treatment), or the enrolment date. `treatments` as (date, cycle).
pub fn day0_of(
    align: Align,
    enrolled: Date,
    treatments: impl IntoIterator<Item = (Date, Option<u32>)>,
) -> Option<Date> {
    match align {
        Align::Enrolment => Some(enrolled),
        Align::FirstCycle => {
            let (mut first_cycle, mut earliest) = (None::<Date>, None::<Date>);
            for (d, c) in treatments {
                if c == Some(1) {
                    first_cycle = Some(first_cycle.map_or(d, |f| f.min(d)));
                }
                earliest = Some(earliest.map_or(d, |e| e.min(d)));
            }
            first_cycle.or(earliest)
        }
    }
}

/// A score's points for a patient, one per entry that has the score.
pub fn score_points(scores: &[EntryScores], kind: ScoreKind) -> Vec<Point> {
    scores
        .iter()
        .filter_map(|s| match s.result(kind) {
            Some(Ok(r)) => Some(Point {
                date: s.date,
                value: r.value,
                text: r.display(),
                censored: false,
            }),
            _ => None,
        })
        .collect()
}

/// Where each treatment cycle falls, in days from day 0: the median over
/// the patients that had it, and how many did. Cycle 1 of a patient aligned
/// at the first cycle is day 0.
pub fn cycle_markers(patients: &[PatientValues]) -> Vec<(u32, f64, usize)> {
    let mut by_cycle: std::collections::BTreeMap<u32, Vec<f64>> = std::collections::BTreeMap::new();
    for p in patients {
        let Some(day0) = p.day0 else { continue };
        for (c, d) in &p.cycles {
            by_cycle.entry(*c).or_default().push(day_count(day0, *d) as f64);
        }
    }
    by_cycle
        .into_iter()
        .filter_map(|(c, days)| spread(&days).map(|s| (c, s.median, s.n)))
        .collect()
}

/// The spread across patients in one week after day 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WeekBand {
    /// Weeks since day 0 (0: days 0-6; -1: the week before).
    pub week: i64,
    pub spread: Spread,
}

/// Median and interquartile range across patients, week by week from day
/// 0 (each patient's last usable value in the week), only for weeks where
/// at least `min_n` patients have one.
pub fn weekly_bands(patients: &[PatientValues], min_n: usize) -> Vec<WeekBand> {
    let mut by_week: std::collections::BTreeMap<i64, Vec<f64>> = std::collections::BTreeMap::new();
    for p in patients {
        let Some(day0) = p.day0 else { continue };
        let mut last: Option<(i64, f64)> = None;
        for pt in p.points.iter().filter(|pt| !pt.censored) {
            let week = day_count(day0, pt.date).div_euclid(7);
            if let Some((w, v)) = last
                && w != week
            {
                by_week.entry(w).or_default().push(v);
            }
            last = Some((week, pt.value));
        }
        if let Some((w, v)) = last {
            by_week.entry(w).or_default().push(v);
        }
    }
    by_week
        .into_iter()
        .filter(|(_, v)| v.len() >= min_n.max(1))
        .filter_map(|(week, v)| spread(&v).map(|spread| WeekBand { week, spread }))
        .collect()
}

/// One value of the measure, as printed.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub date: Date,
    pub value: f64,
    /// As printed, with its comparator (`<0.5`).
    pub text: String,
    /// Printed with `<` or `>`: shown, never used in arithmetic.
    pub censored: bool,
}

/// One patient's input: day 0 (none: the patient has no cycle, or no
/// enrolment date) and the measure's values.
#[derive(Clone, Debug, PartialEq)]
pub struct PatientValues {
    pub patient_id: i64,
    pub name: String,
    pub day0: Option<Date>,
    pub points: Vec<Point>,
    /// The patient's numbered treatment cycles, for the plot's markers.
    pub cycles: Vec<(u32, Date)>,
}

impl PatientValues {
    /// A patient's values of the lab measure `code`, each in the unit the
    /// cohort uses (`system`: one unit for every patient, converted with the
    /// catalog factor), and day 0: the first cycle (the treatment event of
    /// cycle 1, else the earliest), or the enrolment date.
    pub fn of_lab(
        patient: &Patient,
        entries: &[Entry],
        treatments: &[TreatmentEvent],
        code: &str,
        catalog: &Catalog,
        system: UnitSystem,
        align: Align,
    ) -> Self {
        let day0 = match align {
            Align::Enrolment => Some(patient.data.enrolled),
            Align::FirstCycle => treatments
                .iter()
                .filter(|t| t.data.cycle == Some(1))
                .map(|t| t.data.date)
                .min()
                .or_else(|| treatments.iter().map(|t| t.data.date).min()),
        };
        let spec = catalog.measure(code).and_then(|m| m.lab());
        let mut points: Vec<Point> = entries
            .iter()
            .filter_map(|e| {
                let lab = e.data.lab(code)?;
                let shown = match spec {
                    Some(spec) => lab.in_unit_cow(spec, spec.unit_for(system)),
                    None => std::borrow::Cow::Borrowed(lab),
                };
                Some(Point {
                    date: e.data.collected_on,
                    value: shown.value.value(),
                    text: shown.value_text(),
                    censored: shown.comparator.is_some(),
                })
            })
            .collect();
        points.sort_by_key(|p| p.date);
        Self {
            patient_id: patient.id,
            name: patient.data.name.clone(),
            day0,
            points,
            cycles: treatments
                .iter()
                .filter_map(|t| t.data.cycle.map(|c| (c, t.data.date)))
                .collect(),
        }
    }
}

/// The user's choices.
#[derive(Clone, Debug, PartialEq)]
pub struct CohortOptions {
    /// The baseline is the last value on or before day 0, at most this many
    /// days before it.
    pub baseline_days: i64,
    /// The days to report (14, 30, 90, 180).
    pub at_days: Vec<i64>,
    /// A value counts for a day when it is at most this many days away
    /// (the nearest one; the earlier one on a tie).
    pub window_days: i64,
}

/// One patient's line of the table.
#[derive(Clone, Debug, PartialEq)]
pub struct CohortRow {
    pub patient_id: i64,
    pub name: String,
    pub day0: Date,
    pub baseline: Option<Point>,
    /// For each of `at_days`: the value used.
    pub at: Vec<Option<Point>>,
    /// For each of `at_days`: value - baseline, when both are usable.
    pub change: Vec<Option<f64>>,
    /// For each of `at_days`: the change in percent of the baseline.
    pub change_percent: Vec<Option<f64>>,
    /// How many values the patient has.
    pub count: usize,
    /// Why a change is missing ("baseline <0.5: not used in calculations").
    pub notes: Vec<String>,
}

/// n, median and interquartile range of some numbers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    pub n: usize,
    pub median: f64,
    pub q1: f64,
    pub q3: f64,
}

/// The cohort's table and its summaries.
#[derive(Clone, Debug, PartialEq)]
pub struct Cohort {
    pub rows: Vec<CohortRow>,
    /// Per day of `at_days`: the spread of the changes, and of the
    /// percentage changes (`None` with no usable change).
    pub change_spread: Vec<Option<Spread>>,
    pub change_percent_spread: Vec<Option<Spread>>,
    /// Patients left out because they have no day 0.
    pub without_day0: usize,
}

/// The value of `sorted` (ascending, not empty) at quantile `p` (0 to 1),
/// interpolated between the nearest ranks (type 7).
pub fn quantile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// n, median, first and third quartiles; `None` for no numbers.
pub fn spread(values: &[f64]) -> Option<Spread> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    Some(Spread {
        n: v.len(),
        median: quantile(&v, 0.5),
        q1: quantile(&v, 0.25),
        q3: quantile(&v, 0.75),
    })
}

/// The last value on or before `day0`, at most `days` before it.
fn baseline(points: &[Point], day0: Date, days: i64) -> Option<&Point> {
    points
        .iter()
        .filter(|p| p.date <= day0 && day_count(p.date, day0) <= days)
        .max_by_key(|p| p.date)
}

/// The value nearest to `target` within `window` days, after day 0 (the
/// earlier on a tie).
fn nearest(points: &[Point], day0: Date, target: Date, window: i64) -> Option<&Point> {
    points
        .iter()
        .filter(|p| p.date > day0 && day_count(p.date, target).abs() <= window)
        .min_by_key(|p| (day_count(p.date, target).abs(), p.date))
}

/// Builds the table for every patient with a day 0.
pub fn cohort(patients: &[PatientValues], options: &CohortOptions) -> Cohort {
    let mut rows = Vec::new();
    let mut without_day0 = 0;
    for p in patients {
        let Some(day0) = p.day0 else {
            without_day0 += 1;
            continue;
        };
        let base = baseline(&p.points, day0, options.baseline_days).cloned();
        let mut notes = Vec::new();
        if let Some(b) = base.as_ref().filter(|b| b.censored) {
            notes.push(format!("baseline {}: not used in calculations", b.text));
        }
        let usable_base = base.as_ref().filter(|b| !b.censored).map(|b| b.value);
        let mut at = Vec::new();
        let mut change = Vec::new();
        let mut change_percent = Vec::new();
        for &day in &options.at_days {
            let target = day0.saturating_add(jiff::Span::new().days(day));
            let point = nearest(&p.points, day0, target, options.window_days).cloned();
            if let Some(v) = point.as_ref().filter(|v| v.censored) {
                notes.push(format!("day {day} {}: not used in calculations", v.text));
            }
            let value = point.as_ref().filter(|v| !v.censored).map(|v| v.value);
            let diff = usable_base.zip(value).map(|(b, v)| v - b);
            change.push(diff);
            change_percent.push(
                usable_base
                    .zip(diff)
                    .filter(|(b, _)| *b != 0.0)
                    .map(|(b, d)| d / b * 100.0),
            );
            at.push(point);
        }
        rows.push(CohortRow {
            patient_id: p.patient_id,
            name: p.name.clone(),
            day0,
            baseline: base,
            at,
            change,
            change_percent,
            count: p.points.len(),
            notes,
        });
    }
    let column = |i: usize, percent: bool| -> Vec<f64> {
        rows.iter()
            .filter_map(|r| if percent { r.change_percent[i] } else { r.change[i] })
            .collect()
    };
    let change_spread = (0..options.at_days.len()).map(|i| spread(&column(i, false))).collect();
    let change_percent_spread = (0..options.at_days.len()).map(|i| spread(&column(i, true))).collect();
    Cohort {
        rows,
        change_spread,
        change_percent_spread,
        without_day0,
    }
}

/// Who responded: a fall of at least `percent` % (for example 30), or of at
/// least `points` (for example 3 MELD points), at day `at_days[index]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Responder {
    FallPercent { index: usize, percent: f64 },
    FallBy { index: usize, points: f64 },
}

impl Responder {
    /// Whether the row meets the rule (`None`: it cannot be told, a value
    /// or the baseline is missing or censored).
    pub fn meets(self, row: &CohortRow) -> Option<bool> {
        match self {
            Responder::FallPercent { index, percent } => {
                row.change_percent.get(index).copied().flatten().map(|c| -c >= percent)
            }
            Responder::FallBy { index, points } => row.change.get(index).copied().flatten().map(|c| -c >= points),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn point(on: Date, text: &str) -> Point {
        let censored = text.starts_with(['<', '>']);
        Point {
            date: on,
            value: text.trim_start_matches(['<', '>']).parse().unwrap(),
            text: text.into(),
            censored,
        }
    }

    fn options() -> CohortOptions {
        CohortOptions {
            baseline_days: 14,
            at_days: vec![14, 30],
            window_days: 7,
        }
    }

    /// The demo patient alone reproduces the case report: baseline 12.30
    /// (19 Jul, before the first cycle on 21 Jul), 6.50 at day 14, 4.60 at
    /// one month, -62.6 %.
    #[test]
    fn the_demo_patient_gives_the_case_report_numbers() {
        let demo = PatientValues {
            cycles: Vec::new(),
            patient_id: 1,
            name: "Demo".into(),
            day0: Some(date(2025, 7, 21)),
            points: vec![
                point(date(2025, 7, 19), "12.30"),
                point(date(2025, 8, 4), "6.50"),
                point(date(2025, 8, 19), "4.60"),
            ],
        };
        let c = cohort(&[demo], &options());
        let row = &c.rows[0];
        assert_eq!(row.baseline.as_ref().unwrap().text, "12.30");
        assert_eq!(row.at[0].as_ref().unwrap().text, "6.50");
        assert_eq!(row.at[1].as_ref().unwrap().text, "4.60");
        let pct = row.change_percent[1].unwrap();
        assert_eq!(format!("{pct:.1}"), "-62.6");
        assert_eq!(format!("{:.2}", row.change[1].unwrap()), "-7.70");
        assert!(
            Responder::FallPercent {
                index: 1,
                percent: 30.0
            }
            .meets(row)
            .unwrap()
        );
        assert!(!Responder::FallBy { index: 0, points: 6.0 }.meets(row).unwrap());
    }

    #[test]
    fn medians_and_quartiles_on_odd_and_even_counts() {
        let s = spread(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((s.n, s.median, s.q1, s.q3), (3, 2.0, 1.5, 2.5));
        let s = spread(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!((s.n, s.median, s.q1, s.q3), (4, 2.5, 1.75, 3.25));
        assert_eq!(spread(&[5.0]).unwrap().median, 5.0);
        assert!(spread(&[]).is_none());
    }

    /// The baseline is the last value on or before day 0 within its window;
    /// a day's value the nearest within its window (the earlier on a tie);
    /// censored values are shown and left out of arithmetic with a note;
    /// a patient without day 0 is left out and counted.
    #[test]
    fn baseline_nearest_censored_and_left_out() {
        let day0 = date(2025, 3, 1);
        let patients = [
            PatientValues {
                cycles: Vec::new(),
                patient_id: 1,
                name: "A".into(),
                day0: Some(day0),
                points: vec![
                    point(date(2025, 2, 1), "9.0"),  // too early for the baseline (28 days)
                    point(date(2025, 2, 20), "8.0"), // the baseline
                    point(date(2025, 3, 13), "6.0"), // day 12
                    point(date(2025, 3, 17), "5.0"), // day 16: as near to day 14, later
                    point(date(2025, 4, 20), "4.0"), // day 50: outside day 30's window
                ],
            },
            PatientValues {
                cycles: Vec::new(),
                patient_id: 2,
                name: "B".into(),
                day0: Some(day0),
                points: vec![point(date(2025, 3, 1), "<0.5"), point(date(2025, 3, 15), "0.9")],
            },
            PatientValues {
                cycles: Vec::new(),
                patient_id: 3,
                name: "C".into(),
                day0: None,
                points: vec![point(date(2025, 3, 1), "1.0")],
            },
        ];
        let c = cohort(&patients, &options());
        assert_eq!(c.without_day0, 1);
        assert_eq!(c.rows.len(), 2);
        let a = &c.rows[0];
        assert_eq!(a.baseline.as_ref().unwrap().text, "8.0");
        assert_eq!(a.at[0].as_ref().unwrap().text, "6.0", "the earlier of two as near");
        assert!(a.at[1].is_none(), "nothing within 7 days of day 30");
        assert_eq!(a.change[0], Some(-2.0));
        assert_eq!(a.change_percent[0], Some(-25.0));
        assert_eq!(a.count, 5);
        let b = &c.rows[1];
        assert_eq!(b.baseline.as_ref().unwrap().text, "<0.5", "shown as printed");
        assert_eq!(b.change[0], None, "a censored baseline is not used");
        assert_eq!(b.notes, ["baseline <0.5: not used in calculations"]);
        assert_eq!(
            Responder::FallPercent {
                index: 0,
                percent: 30.0
            }
            .meets(b),
            None
        );
        let s = c.change_spread[0].unwrap();
        assert_eq!((s.n, s.median), (1, -2.0), "only A's change counts");
        assert!(c.change_spread[1].is_none());
    }

    #[test]
    fn weekly_bands_take_each_patients_last_value_in_a_week_and_need_enough_patients() {
        let day0 = date(2025, 3, 3);
        let mut patients: Vec<PatientValues> = (0..4)
            .map(|i| PatientValues {
                cycles: vec![(1, day0), (2, date(2025, 3, 18 + i as i8))],
                patient_id: i,
                name: format!("P{i}"),
                day0: Some(day0),
                points: vec![
                    point(date(2025, 3, 3), &format!("{}", 10 + i)), // week 0, replaced
                    point(date(2025, 3, 5), &format!("{}", 20 + i)), // week 0, the last
                    point(date(2025, 3, 12), "<1"),                  // week 1, censored
                ],
            })
            .collect();
        patients[0].points.push(point(date(2025, 3, 20), "5")); // week 2: one patient only
        let bands = weekly_bands(&patients, 3);
        assert_eq!(bands.len(), 1, "week 1 is censored, week 2 has one patient: {bands:?}");
        assert_eq!(bands[0].week, 0);
        assert_eq!(bands[0].spread.n, 4);
        assert_eq!(bands[0].spread.median, 21.5);
        assert_eq!(bands[0].spread.q1, 20.75);
        assert_eq!(weekly_bands(&patients, 1).len(), 2);
        // C2 on days 15 to 18: median 16.5, four patients.
        assert_eq!(cycle_markers(&patients), [(1, 0.0, 4), (2, 16.5, 4)]);
    }

    #[test]
    fn day_0_is_cycle_1_else_the_earliest_treatment_or_enrolment() {
        let enrolled = date(2025, 1, 1);
        let t = [
            (date(2025, 2, 10), None),
            (date(2025, 2, 20), Some(1)),
            (date(2025, 3, 1), Some(2)),
        ];
        assert_eq!(day0_of(Align::FirstCycle, enrolled, t), Some(date(2025, 2, 20)));
        assert_eq!(
            day0_of(Align::FirstCycle, enrolled, [(date(2025, 2, 10), None)]),
            Some(date(2025, 2, 10))
        );
        assert_eq!(day0_of(Align::FirstCycle, enrolled, []), None);
        assert_eq!(day0_of(Align::Enrolment, enrolled, t), Some(enrolled));
    }

    #[test]
    fn a_measure_is_a_lab_code_or_a_score_name() {
        let catalog = Catalog::builtin().unwrap();
        assert_eq!(
            CohortMeasure::parse("bili_total", &catalog),
            Some(CohortMeasure::Lab("bili_total".into()))
        );
        assert_eq!(
            CohortMeasure::parse("meld-na", &catalog),
            Some(CohortMeasure::Score(ScoreKind::MeldNa))
        );
        assert_eq!(
            CohortMeasure::parse("fatigue", &catalog),
            None,
            "a symptom is not a lab"
        );
        for m in CohortMeasure::all(&catalog) {
            assert_eq!(CohortMeasure::parse(&m.code(), &catalog), Some(m.clone()));
        }
        assert_eq!(
            CohortMeasure::Lab("albumin".into()).unit(&catalog, UnitSystem::Si),
            "g/L"
        );
    }
}
