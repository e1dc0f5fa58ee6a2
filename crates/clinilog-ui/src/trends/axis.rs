//! The shared date axis of the Trends plots: where ticks go (days, weeks,
//! the first of every N months, or weeks since an anchor) and how they are
//! labelled. Pure functions of the visible range and the width in pixels.

use std::ops::RangeInclusive;

use egui_plot::{GridInput, GridMark};
use jiff::civil::Date;

use clinilog_domain::trend::{date_of_day, day_number};
use clinilog_domain::trend_view::week_label;

/// Date ticks at least ~90 px apart: every day, 2 days or week; beyond a
/// month, on the first of every 1, 2, 3, 6, 12... months.
pub fn date_grid(input: GridInput, width_px: f32) -> Vec<GridMark> {
    let (min, max) = input.bounds;
    let span = (max - min).max(1.0);
    let max_ticks = (f64::from(width_px) / 90.0).max(2.0);
    let mut marks = Vec::new();
    for step in [1.0, 2.0, 7.0, 14.0] {
        if span / step <= max_ticks {
            let mut x = (min / step).ceil() * step;
            while x <= max {
                marks.push(GridMark {
                    value: x,
                    step_size: step,
                });
                x += step;
            }
            return marks;
        }
    }
    let months = [1, 2, 3, 6, 12, 24, 60, 120]
        .into_iter()
        .find(|m| span / (30.44 * f64::from(*m)) <= max_ticks)
        .unwrap_or(240);
    let (Some(first), Some(last)) = (date_of_day(min), date_of_day(max)) else {
        return marks;
    };
    let mut month_index = i32::from(first.year()) * 12 + i32::from(first.month()) - 1;
    month_index = month_index.div_euclid(months) * months;
    let last_index = i32::from(last.year()) * 12 + i32::from(last.month()) - 1;
    while month_index <= last_index {
        let (y, m) = (month_index.div_euclid(12), month_index.rem_euclid(12) + 1);
        if let (Ok(y), Ok(m)) = (i16::try_from(y), i8::try_from(m))
            && let Ok(d) = Date::new(y, m, 1)
        {
            let x = day_number(d);
            if x >= min && x <= max {
                marks.push(GridMark {
                    value: x,
                    step_size: 30.44 * f64::from(months),
                });
            }
        }
        month_index += months;
    }
    marks
}

/// Week ticks from `anchor`: every 1, 2, 4, 8, 13, 26 or 52 weeks.
pub fn week_grid(input: GridInput, width_px: f32, anchor: Date) -> Vec<GridMark> {
    week_marks(input, width_px, day_number(anchor))
}

/// Week ticks from the day `a` (x in days): every 1, 2, 4, 8, 13, 26 or
/// 52 weeks, at most one per 90 px.
pub fn week_marks(input: GridInput, width_px: f32, a: f64) -> Vec<GridMark> {
    let (min, max) = input.bounds;
    let span = (max - min).max(1.0);
    let max_ticks = (f64::from(width_px) / 90.0).max(2.0);
    let weeks = [1.0, 2.0, 4.0, 8.0, 13.0, 26.0, 52.0, 104.0]
        .into_iter()
        .find(|w| span / (7.0 * w) <= max_ticks)
        .unwrap_or(260.0);
    let step = 7.0 * weeks;
    let mut x = a + ((min - a) / step).ceil() * step;
    let mut marks = Vec::new();
    while x <= max && marks.len() < 200 {
        marks.push(GridMark {
            value: x,
            step_size: step,
        });
        x += step;
    }
    marks
}

/// A tick label: the full date when days matter, `YYYY-MM` on a wide view.
pub fn tick_label(x: f64, visible: &RangeInclusive<f64>) -> String {
    match date_of_day(x) {
        Some(d) if visible.end() - visible.start() > 120.0 && d.day() == 1 => {
            format!("{:04}-{:02}", d.year(), d.month())
        }
        Some(d) => d.to_string(),
        None => String::new(),
    }
}

/// The x-axis settings every plot of the column shares.
#[derive(Clone, Copy)]
pub struct Axis {
    pub anchor: Option<Date>,
    pub width: f32,
}

impl Axis {
    pub fn label(&self, x: f64, range: &RangeInclusive<f64>) -> String {
        match self.anchor {
            Some(a) => week_label(x, a),
            None => tick_label(x, range),
        }
    }

    pub fn marks(&self, input: GridInput) -> Vec<GridMark> {
        match self.anchor {
            Some(a) => week_grid(input, self.width, a),
            None => date_grid(input, self.width),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn input(from: Date, to: Date) -> GridInput {
        GridInput {
            bounds: (day_number(from), day_number(to)),
            base_step_size: 1.0,
        }
    }

    #[test]
    fn a_month_of_data_gets_weekly_ticks_at_least_90_px_apart() {
        let marks = date_grid(input(date(2025, 7, 19), date(2025, 8, 19)), 600.0);
        assert!(marks.iter().all(|m| m.step_size == 7.0), "{marks:?}");
        assert!(marks.len() as f32 <= 600.0 / 90.0 + 1.0);
    }

    #[test]
    fn years_of_data_get_ticks_on_the_first_of_a_month() {
        let marks = date_grid(input(date(2021, 1, 10), date(2025, 12, 20)), 800.0);
        assert!(!marks.is_empty());
        for m in &marks {
            assert_eq!(date_of_day(m.value).map(|d| d.day()), Some(1), "{m:?}");
        }
        let range = day_number(date(2021, 1, 10))..=day_number(date(2025, 12, 20));
        assert!(tick_label(marks[0].value, &range).len() == 7, "YYYY-MM on a wide view");
    }

    #[test]
    fn week_ticks_count_from_the_anchor() {
        let anchor = date(2025, 7, 19);
        let marks = week_grid(input(date(2025, 7, 10), date(2025, 8, 30)), 900.0, anchor);
        assert!(marks.iter().any(|m| m.value == day_number(anchor)));
        let axis = Axis {
            anchor: Some(anchor),
            width: 900.0,
        };
        let range = 0.0..=1.0;
        assert_eq!(axis.label(day_number(date(2025, 8, 2)), &range), "W2");
    }

    /// The cohort's axis: days since day 0, ticks on whole weeks from 0,
    /// widening as the span grows (at most one per 90 px).
    #[test]
    fn week_marks_from_day_0_keep_90_px_apart() {
        let input = |lo: f64, hi: f64| GridInput {
            bounds: (lo, hi),
            base_step_size: 1.0,
        };
        let marks: Vec<f64> = week_marks(input(-10.0, 40.0), 900.0, 0.0)
            .iter()
            .map(|m| m.value)
            .collect();
        assert_eq!(marks, [-7.0, 0.0, 7.0, 14.0, 21.0, 28.0, 35.0]);
        let wide = week_marks(input(-14.0, 200.0), 600.0, 0.0);
        assert!(wide.len() <= 6, "{}", wide.len());
        assert!(
            wide.iter().all(|m| m.value.rem_euclid(28.0) == 0.0),
            "4-weekly from day 0"
        );
    }
}
