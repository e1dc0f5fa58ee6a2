//! The Trends view model: series grouped into plots, changes from the
//! previous value and from baseline, values as multiples of the upper limit
//! of normal, the symptom timeline, the table behind the plots, date range
//! presets and week labels. Pure functions of the record; the window builds
//! the model when the patient, the units or the range change, and draws it.

use jiff::ToSpan;
use jiff::civil::Date;

use super::catalog::{Catalog, Scale};
use super::entry::{Entry, Flag};
use super::trend::{SCORE_GROUPS, Series, TrendPoint, date_of_day, day_number};

/// A plot: the series of one catalog group, all in one unit.
#[derive(Clone, Debug, PartialEq)]
pub struct PlotGroup {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub series: Vec<Series>,
}

/// Groups series into plots in catalog group order, then the score groups.
/// Series of one group in different units (rare: mixed preferences) get a
/// plot each.
pub fn group_series(series: Vec<Series>, catalog: &Catalog) -> Vec<PlotGroup> {
    let order: Vec<(String, String)> = catalog
        .groups
        .iter()
        .map(|g| (g.code.clone(), g.name.clone()))
        .chain(SCORE_GROUPS.iter().map(|(c, n)| ((*c).to_owned(), (*n).to_owned())))
        .collect();
    let mut out: Vec<PlotGroup> = Vec::new();
    for (code, name) in order {
        for s in series.iter().filter(|s| s.group == code) {
            match out.iter_mut().find(|g| g.code == code && g.unit == s.unit) {
                Some(g) => g.series.push(s.clone()),
                None => out.push(PlotGroup {
                    code: code.clone(),
                    name: name.clone(),
                    unit: s.unit.clone(),
                    series: vec![s.clone()],
                }),
            }
        }
    }
    out
}

/// Percent change of each point from the previous point and from the first
/// (baseline) point of its series; none from a zero or a censored value.
pub fn changes(points: &[TrendPoint]) -> Vec<(Option<f64>, Option<f64>)> {
    let pct = |from: &TrendPoint, to: &TrendPoint| {
        (from.value != 0.0 && from.comparator.is_none() && to.comparator.is_none())
            .then(|| (to.value - from.value) / from.value * 100.0)
    };
    points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let prev = (i > 0).then(|| pct(&points[i - 1], p)).flatten();
            let base = (i > 0).then(|| pct(&points[0], p)).flatten();
            (prev, base)
        })
        .collect()
}

/// Every lab series as multiples of its upper limit of normal (the printed
/// high limit of each report); points without a high limit are left out.
pub fn normalised(series: &[Series]) -> Vec<Series> {
    series
        .iter()
        .filter(|s| !s.group.starts_with("score"))
        .filter_map(|s| {
            let points: Vec<TrendPoint> = s
                .points
                .iter()
                .filter_map(|p| {
                    let uln = p.high.filter(|h| *h > 0.0)?;
                    Some(TrendPoint {
                        value: p.value / uln,
                        value_text: format!("{:.2}x ULN ({} {})", p.value / uln, p.value_text, s.unit),
                        low: p.low.map(|l| l / uln),
                        high: Some(1.0),
                        ..p.clone()
                    })
                })
                .collect();
            (!points.is_empty()).then(|| Series {
                unit: "x ULN".to_owned(),
                points,
                ..s.clone()
            })
        })
        .collect()
}

/// One cell of the symptom timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct SymptomCell {
    pub entry_id: i64,
    pub date: Date,
    pub value: u8,
    /// 0 (none, or best) to 1 (worst), for shading.
    pub severity: f32,
    /// Written in the cell: `7`, `yes`, `2+`.
    pub text: String,
}

/// One strip of the symptom timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct SymptomStrip {
    pub code: String,
    pub name: String,
    pub scale: Scale,
    pub cells: Vec<SymptomCell>,
}

/// A strip per symptom rated at least once, in catalog order; cells oldest
/// first. For measures where a higher rating is better (energy, quality of
/// life), severity runs the other way.
pub fn symptom_strips(entries: &[Entry], catalog: &Catalog) -> Vec<SymptomStrip> {
    catalog
        .symptoms()
        .filter_map(|(m, scale)| {
            let mut cells: Vec<SymptomCell> = entries
                .iter()
                .filter_map(|e| {
                    let v = e.data.symptom(&m.code)?;
                    let ratio = f32::from(v) / f32::from(scale.max().max(1));
                    Some(SymptomCell {
                        entry_id: e.id,
                        date: e.data.collected_on,
                        value: v,
                        severity: if catalog.higher_is_better(&m.code) {
                            1.0 - ratio
                        } else {
                            ratio
                        },
                        text: scale.short(v),
                    })
                })
                .collect();
            if cells.is_empty() {
                return None;
            }
            cells.sort_by_key(|c| (c.date, c.entry_id));
            Some(SymptomStrip {
                code: m.code.clone(),
                name: m.name.clone(),
                scale,
                cells,
            })
        })
        .collect()
}

/// The table behind the plots: a row per date, a column per series.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrendTable {
    /// `Total bilirubin (mg/dL)`.
    pub columns: Vec<String>,
    /// Date and, per column, the value as shown (`12.30 H`) or empty.
    pub rows: Vec<(Date, Vec<String>)>,
}

/// Builds the table of `series` for dates within `range` (inclusive), newest first.
pub fn trend_table(series: &[Series], range: Option<(Date, Date)>) -> TrendTable {
    let mut dates: Vec<Date> = series.iter().flat_map(|s| s.points.iter().map(|p| p.date)).collect();
    dates.sort();
    dates.dedup();
    if let Some((from, to)) = range {
        dates.retain(|d| *d >= from && *d <= to);
    }
    dates.reverse();
    let columns = series
        .iter()
        .map(|s| format!("{} ({})", s.name, super::catalog::display_unit(&s.unit)))
        .collect();
    let rows = dates
        .into_iter()
        .map(|d| {
            let cells = series
                .iter()
                .map(|s| {
                    s.points
                        .iter()
                        .filter(|p| p.date == d)
                        .map(|p| match p.flag {
                            Flag::Normal => p.value_text.clone(),
                            f => format!("{} {}", p.value_text, f.letter()),
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .collect();
            (d, cells)
        })
        .collect();
    TrendTable { columns, rows }
}

/// The range presets of the Trends tab.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangePreset {
    SinceEnrollment,
    Last3Months,
    Last12Months,
    All,
}

impl RangePreset {
    pub const ALL: [RangePreset; 4] = [
        RangePreset::SinceEnrollment,
        RangePreset::Last3Months,
        RangePreset::Last12Months,
        RangePreset::All,
    ];

    pub fn label(self) -> &'static str {
        match self {
            RangePreset::SinceEnrollment => "Since enrollment",
            RangePreset::Last3Months => "Last 3 months",
            RangePreset::Last12Months => "Last 12 months",
            RangePreset::All => "All",
        }
    }

    /// The x range (days) the preset shows, padded by `pad` days. `data`
    /// is the span of all points and treatments; `today` ends the "last"
    /// presets (or the last point, if later).
    pub fn range(self, enrolled: Date, today: Date, data: (f64, f64), pad: f64) -> (f64, f64) {
        let end = data.1.max(day_number(today));
        let months_back = |m: i32| day_number(today.checked_sub(m.months()).unwrap_or(today));
        match self {
            RangePreset::SinceEnrollment => (day_number(enrolled) - pad, end + pad),
            RangePreset::Last3Months => (months_back(3) - pad, end + pad),
            RangePreset::Last12Months => (months_back(12) - pad, end + pad),
            RangePreset::All => (data.0 - pad, data.1 + pad),
        }
    }
}

/// `W3` for a day `x` three weeks (21-27 days) after `anchor`; before it, `W-1`.
pub fn week_label(x: f64, anchor: Date) -> String {
    let days = x.round() - day_number(anchor);
    format!("W{}", (days / 7.0).floor() as i64)
}

/// The dates a range of days covers.
pub fn range_dates(range: (f64, f64)) -> Option<(Date, Date)> {
    Some((date_of_day(range.0.ceil())?, date_of_day(range.1.floor())?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::UnitSystem;
    use crate::patient::Sex;
    use crate::trend::lab_series;
    use jiff::civil::date;

    fn catalog() -> Catalog {
        Catalog::builtin().unwrap()
    }

    fn entry(id: i64, on: Date, values: &[(&str, &str, &str, &str)]) -> Entry {
        crate::test_support::entry_with_intervals(id, on, values)
    }

    fn demo_like() -> Vec<Entry> {
        vec![
            entry(
                1,
                date(2025, 7, 19),
                &[
                    ("bili_total", "12.30", "0.0", "1.0"),
                    ("bili_direct", "9.80", "", "0.80"),
                    ("alt", "60", "", "40"),
                    ("ast", "160", "", "40"),
                    ("fatigue", "8", "", ""),
                    ("energy", "2", "", ""),
                ],
            ),
            entry(
                2,
                date(2025, 8, 4),
                &[
                    ("bili_total", "6.50", "0.0", "1.0"),
                    ("bili_direct", "4.87", "", "0.80"),
                    ("fatigue", "6", "", ""),
                    ("energy", "4", "", ""),
                ],
            ),
            entry(
                3,
                date(2025, 8, 19),
                &[
                    ("bili_total", "4.60", "0.0", "1.0"),
                    ("bili_direct", "3.50", "", "0.80"),
                    ("jaundice", "1", "", ""),
                ],
            ),
        ]
    }

    #[test]
    fn series_are_grouped_by_catalog_group_in_order() {
        let series = lab_series(&demo_like(), &catalog(), Sex::Male, UnitSystem::Conventional);
        let groups = group_series(series, &catalog());
        let names: Vec<_> = groups.iter().map(|g| (g.name.as_str(), g.series.len())).collect();
        assert_eq!(names, [("Bilirubin", 3), ("ALT and AST", 2)]);
        assert_eq!(groups[0].unit, "mg/dL");
        let codes: Vec<_> = groups[0].series.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(codes, ["bili_total", "bili_direct", "bili_indirect"]);
    }

    #[test]
    fn changes_from_previous_and_from_baseline() {
        let series = lab_series(&demo_like(), &catalog(), Sex::Male, UnitSystem::Conventional);
        let c = changes(&series[0].points);
        assert_eq!(c[0], (None, None));
        let (prev, base) = c[2];
        assert!((prev.unwrap() - (4.60 - 6.50) / 6.50 * 100.0).abs() < 1e-9);
        assert!((base.unwrap() - (4.60 - 12.30) / 12.30 * 100.0).abs() < 1e-9);
    }

    #[test]
    fn si_series_change_the_same_percent() {
        let conv = lab_series(&demo_like(), &catalog(), Sex::Male, UnitSystem::Conventional);
        let si = lab_series(&demo_like(), &catalog(), Sex::Male, UnitSystem::Si);
        assert_eq!(si[0].unit, "umol/L");
        assert!((si[0].points[0].value - 12.30 * 17.1).abs() < 1e-9);
        let (a, b) = (
            changes(&conv[0].points)[2].1.unwrap(),
            changes(&si[0].points)[2].1.unwrap(),
        );
        assert!((a - b).abs() < 1e-9);
    }

    #[test]
    fn normalised_values_are_multiples_of_the_printed_uln() {
        let series = lab_series(&demo_like(), &catalog(), Sex::Male, UnitSystem::Conventional);
        let n = normalised(&series);
        let total = n.iter().find(|s| s.code == "bili_total").unwrap();
        assert_eq!(total.unit, "x ULN");
        assert!((total.points[0].value - 12.3).abs() < 1e-9, "12.30 over ULN 1.0");
        let ast = n.iter().find(|s| s.code == "ast").unwrap();
        assert!((ast.points[0].value - 4.0).abs() < 1e-9, "160 over ULN 40");
        assert_eq!(ast.points[0].high, Some(1.0));
    }

    #[test]
    fn symptom_strips_shade_by_severity_with_energy_inverted() {
        let strips = symptom_strips(&demo_like(), &catalog());
        let names: Vec<_> = strips.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(names, ["fatigue", "energy", "jaundice"]);
        assert!((strips[0].cells[0].severity - 0.8).abs() < 1e-6, "fatigue 8/10");
        assert!(
            (strips[1].cells[0].severity - 0.8).abs() < 1e-6,
            "energy 2/10 is as bad as fatigue 8/10"
        );
        assert_eq!(strips[2].cells[0].text, "yes");
    }

    #[test]
    fn the_table_lists_dates_by_measure_within_a_range() {
        let series = lab_series(&demo_like(), &catalog(), Sex::Male, UnitSystem::Conventional);
        let t = trend_table(&series, Some((date(2025, 8, 1), date(2025, 8, 31))));
        assert_eq!(t.columns[0], "Total bilirubin (mg/dL)");
        let dates: Vec<_> = t.rows.iter().map(|(d, _)| d.to_string()).collect();
        assert_eq!(dates, ["2025-08-19", "2025-08-04"]);
        assert_eq!(t.rows[1].1[0], "6.50 H");
        assert_eq!(t.rows[1].1[..3], ["6.50 H", "4.87 H", "1.63 H"]);
    }

    #[test]
    fn presets_and_week_labels() {
        let (enrolled, today) = (date(2025, 7, 19), date(2025, 9, 1));
        let data = (day_number(date(2025, 7, 19)), day_number(date(2025, 8, 19)));
        assert_eq!(RangePreset::All.range(enrolled, today, data, 0.0), data);
        assert_eq!(
            RangePreset::SinceEnrollment.range(enrolled, today, data, 0.0),
            (data.0, day_number(today))
        );
        assert_eq!(
            RangePreset::Last3Months.range(enrolled, today, data, 0.0).0,
            day_number(date(2025, 6, 1))
        );
        assert_eq!(
            RangePreset::Last12Months.range(enrolled, today, data, 0.0).0,
            day_number(date(2024, 9, 1))
        );
        assert_eq!(week_label(day_number(date(2025, 8, 4)), enrolled), "W2");
        assert_eq!(week_label(day_number(date(2025, 7, 19)), enrolled), "W0");
        assert_eq!(week_label(day_number(date(2025, 7, 12)), enrolled), "W-1");
    }
}
