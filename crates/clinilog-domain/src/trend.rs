//! Plot series: lab values of one measure over time, oldest first, in the
//! catalog's unit, with the printed interval of each report so a reference
//! band can step where a lab changed its interval.

use jiff::ToSpan;
use jiff::civil::{Date, date};

use super::catalog::{Catalog, UnitSystem, display_unit};
use super::entry::{Comparator, Entry, Flag, Origin};
use super::patient::Sex;
use super::score_inputs::EntryScores;
use super::scores::ScoreKind;

const EPOCH: Date = date(1970, 1, 1);

/// Days since 1970-01-01: the x coordinate of plots.
pub fn day_number(d: Date) -> f64 {
    f64::from(d.since(EPOCH).map(|s| s.get_days()).unwrap_or(0))
}

/// The calendar date of a plot x coordinate (rounded to the nearest day).
pub fn date_of_day(x: f64) -> Option<Date> {
    if !x.is_finite() || x.abs() > 3.0e6 {
        return None;
    }
    EPOCH.checked_add((x.round() as i64).days()).ok()
}

#[derive(Clone, Debug, PartialEq)]
pub struct TrendPoint {
    pub entry_id: i64,
    pub date: Date,
    /// In the catalog's (conventional) unit.
    pub value: f64,
    pub value_text: String,
    pub comparator: Option<Comparator>,
    pub flag: Flag,
    /// In the catalog's unit.
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub reference_text: String,
    pub origin: Origin,
}

/// What a series plots: a lab measure, or a score computed from labs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeriesKind {
    Lab,
    Score,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub kind: SeriesKind,
    pub group: String,
    pub points: Vec<TrendPoint>,
}

/// A stretch of the reference band: from `x0` to `x1`, `low` to `high`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BandSegment {
    pub x0: f64,
    pub x1: f64,
    pub low: f64,
    pub high: f64,
}

/// One series per lab measure that has values, in catalog order, each in
/// the unit of the display preference. Entries may come in any order;
/// points are sorted by date.
pub fn lab_series(entries: &[Entry], catalog: &Catalog, sex: Sex, system: UnitSystem) -> Vec<Series> {
    let mut out = Vec::new();
    // Each entry's values once (printed, plus a calculated indirect bilirubin).
    let per_entry: Vec<_> = entries.iter().map(|e| (e, e.data.lab_values(catalog, sex))).collect();
    for (measure, spec) in catalog.labs() {
        let unit = spec.unit_for(system);
        let mut points = Vec::new();
        for (entry, values) in &per_entry {
            let Some((printed, origin)) = values.iter().find(|(l, _)| l.code == measure.code) else {
                continue;
            };
            let origin = *origin;
            if spec.factor_to(&printed.unit).is_none() {
                continue;
            }
            let shown = printed.in_unit_cow(spec, unit);
            let f = spec.factor_to(unit).unwrap_or(1.0) / spec.factor_to(&printed.unit).unwrap_or(1.0);
            points.push(TrendPoint {
                entry_id: entry.id,
                date: entry.data.collected_on,
                value: printed.value.value() * f,
                value_text: shown.value_text(),
                comparator: printed.comparator,
                flag: printed.flag,
                // An interval that may be in another unit draws no band.
                low: (!printed.interval_doubt)
                    .then(|| printed.reference.low.as_ref().map(|d| d.value() * f))
                    .flatten(),
                high: (!printed.interval_doubt)
                    .then(|| printed.reference.high.as_ref().map(|d| d.value() * f))
                    .flatten(),
                reference_text: if printed.interval_doubt {
                    format!(
                        "{} as stored, unit unclear (entered before one unit per line): no flag",
                        printed.reference.describe()
                    )
                } else {
                    format!("{} {}", shown.reference.describe(), display_unit(unit))
                },
                origin,
            });
        }
        if points.is_empty() {
            continue;
        }
        points.sort_by_key(|p| (p.date, p.entry_id));
        out.push(Series {
            code: measure.code.clone(),
            name: measure.name.clone(),
            unit: unit.to_owned(),
            kind: SeriesKind::Lab,
            group: spec.group.clone(),
            points,
        });
    }
    out
}

/// The reference band as steps: each report's printed interval holds from
/// halfway after the previous report to halfway before the next; the first
/// reaches back to `span.0` and the last forward to `span.1` (the plot's
/// days), so a single report still shades the whole plot. Equal neighbours
/// merge. A missing low limit draws from 0; a missing high limit draws no band.
pub fn band_segments(points: &[TrendPoint], span: (f64, f64)) -> Vec<BandSegment> {
    let mut out: Vec<BandSegment> = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let x = day_number(p.date);
        let x0 = if i == 0 {
            span.0.min(x)
        } else {
            (day_number(points[i - 1].date) + x) / 2.0
        };
        let x1 = match points.get(i + 1) {
            Some(next) => (x + day_number(next.date)) / 2.0,
            None => span.1.max(x),
        };
        let Some(high) = p.high else { continue };
        let low = p.low.unwrap_or(0.0);
        match out.last_mut() {
            Some(last) if last.low == low && last.high == high && last.x1 == x0 => last.x1 = x1,
            _ => out.push(BandSegment { x0, x1, low, high }),
        }
    }
    out
}

/// The unit a score is plotted in.
pub fn score_unit(kind: ScoreKind) -> &'static str {
    match kind {
        ScoreKind::Meld | ScoreKind::MeldNa | ScoreKind::Meld3 | ScoreKind::ChildPugh => "points",
        ScoreKind::Albi => "score",
        ScoreKind::Apri | ScoreKind::Fib4 => "index",
        ScoreKind::AstAlt => "ratio",
    }
}

/// The plot group of a score: the MELD family together, APRI with FIB-4.
pub fn score_group(kind: ScoreKind) -> &'static str {
    match kind {
        ScoreKind::Meld | ScoreKind::MeldNa | ScoreKind::Meld3 => "score_meld",
        ScoreKind::ChildPugh => "score_child_pugh",
        ScoreKind::Albi => "score_albi",
        ScoreKind::Apri | ScoreKind::Fib4 => "score_fibrosis",
        ScoreKind::AstAlt => "score_ratio",
    }
}

/// Display names of the score groups, in plot order.
pub const SCORE_GROUPS: [(&str, &str); 5] = [
    ("score_meld", "MELD scores"),
    ("score_child_pugh", "Child-Pugh"),
    ("score_albi", "ALBI"),
    ("score_fibrosis", "APRI and FIB-4"),
    ("score_ratio", "AST/ALT ratio"),
];

/// One series per score computed for at least one entry, oldest first.
pub fn score_series(all: &[EntryScores]) -> Vec<Series> {
    let mut out = Vec::new();
    for kind in ScoreKind::ALL {
        let mut points: Vec<TrendPoint> = all
            .iter()
            .filter_map(|s| {
                let r = s.result(kind)?.as_ref().ok()?;
                Some(TrendPoint {
                    entry_id: s.entry_id,
                    date: s.date,
                    value: r.value,
                    value_text: r.display(),
                    comparator: None,
                    flag: Flag::Normal,
                    low: None,
                    high: None,
                    reference_text: r.version.to_owned(),
                    origin: Origin::Calculated,
                })
            })
            .collect();
        if points.is_empty() {
            continue;
        }
        points.sort_by_key(|p| (p.date, p.entry_id));
        out.push(Series {
            code: kind.cli_name().to_owned(),
            name: kind.label().to_owned(),
            unit: score_unit(kind).to_owned(),
            kind: SeriesKind::Score,
            group: score_group(kind).to_owned(),
            points,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64, on: Date, values: &[(&str, &str, &str, &str)]) -> Entry {
        crate::test_support::entry_with_intervals(id, on, values)
    }

    #[test]
    fn day_numbers_round_trip() {
        assert_eq!(day_number(date(1970, 1, 2)), 1.0);
        let d = date(2025, 7, 19);
        assert_eq!(date_of_day(day_number(d)), Some(d));
        assert_eq!(date_of_day(f64::NAN), None);
    }

    #[test]
    fn series_are_sorted_by_date_with_derived_indirect() {
        let entries = vec![
            entry(
                2,
                date(2025, 8, 4),
                &[
                    ("bili_total", "6.50", "0.0", "1.0"),
                    ("bili_direct", "4.87", "", "0.80"),
                ],
            ),
            entry(1, date(2025, 7, 19), &[("bili_total", "12.30", "0.0", "1.0")]),
        ];
        let catalog = Catalog::builtin().unwrap();
        let series = lab_series(&entries, &catalog, Sex::Male, UnitSystem::Conventional);
        let codes: Vec<_> = series.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(codes, ["bili_total", "bili_direct", "bili_indirect"]);
        let total = &series[0];
        assert_eq!(total.unit, "mg/dL");
        let texts: Vec<_> = total.points.iter().map(|p| p.value_text.as_str()).collect();
        assert_eq!(texts, ["12.30", "6.50"]);
        assert_eq!(series[2].points[0].origin, Origin::Calculated);
        assert_eq!(series[2].points[0].value_text, "1.63");
    }

    #[test]
    fn score_series_hold_only_computed_scores() {
        let catalog = Catalog::builtin().unwrap();
        let entries = vec![
            entry(
                1,
                date(2025, 7, 19),
                &[
                    ("bili_total", "1.9", "", ""),
                    ("inr", "1.2", "", ""),
                    ("creatinine", "1.3", "", ""),
                ],
            ),
            entry(2, date(2025, 8, 19), &[("bili_total", "1.5", "", "")]),
        ];
        let patient = crate::Patient {
            id: 1,
            version: 1,
            archived: false,
            data: crate::PatientData {
                mrn: "M".into(),
                name: "P".into(),
                birth_date: date(1970, 1, 1),
                sex: Sex::Male,
                diagnosis: String::new(),
                enrolled: date(2025, 7, 1),
                notes: String::new(),
            },
        };
        let all = crate::score_inputs::all_entry_scores(&entries, &patient, &catalog, 7);
        let series = score_series(&all);
        let codes: Vec<_> = series.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(codes, ["meld"]);
        assert_eq!(series[0].unit, "points");
        assert_eq!(
            series[0].points.len(),
            1,
            "the second entry lacks INR beyond the window"
        );
        assert_eq!(series[0].points[0].value_text, "13");
    }

    #[test]
    fn band_steps_where_the_printed_interval_changes() {
        let entries = vec![
            entry(1, date(2025, 7, 1), &[("alt", "60", "0", "40")]),
            entry(2, date(2025, 7, 11), &[("alt", "50", "0", "40")]),
            entry(3, date(2025, 7, 21), &[("alt", "45", "7", "55")]),
        ];
        let catalog = Catalog::builtin().unwrap();
        let series = lab_series(&entries, &catalog, Sex::Male, UnitSystem::Conventional);
        let x = |d| day_number(d);
        let bands = band_segments(
            &series[0].points,
            (x(date(2025, 7, 1)) - 3.0, x(date(2025, 7, 21)) + 3.0),
        );
        assert_eq!(
            bands,
            [
                BandSegment {
                    x0: x(date(2025, 7, 1)) - 3.0,
                    x1: x(date(2025, 7, 16)),
                    low: 0.0,
                    high: 40.0
                },
                BandSegment {
                    x0: x(date(2025, 7, 16)),
                    x1: x(date(2025, 7, 21)) + 3.0,
                    low: 7.0,
                    high: 55.0
                },
            ]
        );
    }
}
