//! The Trends tab: one plot per lab measure over calendar dates, sharing a
//! linked date axis, with the printed reference interval as a shaded band
//! (stepping where the printed interval changed), out-of-range points drawn
//! with a distinct marker and an H or L label, and treatment events as
//! labelled vertical lines.

use eframe::egui::{self, Id, RichText, Ui};
use egui_plot::{
    GridInput, GridMark, HoverPosition, Line, MarkerShape, Plot, PlotPoint, PlotPoints, Points, Polygon, Text, VLine,
};

use super::theme;
use super::widgets::muted;
use crate::domain::catalog::{UnitSystem, display_unit};
use crate::domain::score_inputs::EntryScores;
use crate::domain::trend::{BandSegment, Series, band_segments, date_of_day, day_number, lab_series, score_series};
use crate::domain::{Catalog, Entry, Flag, Patient, TreatmentEvent};

/// A treatment line: where, its short label and what hover shows.
#[derive(Clone, Debug, PartialEq)]
pub struct TreatmentMark {
    pub x: f64,
    pub label: String,
    pub detail: String,
}

/// One plot: a series and its band segments.
#[derive(Clone, Debug, PartialEq)]
pub struct TrendPlot {
    pub series: Series,
    pub bands: Vec<BandSegment>,
}

/// What the Trends tab draws, built when the patient's data is loaded.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrendsModel {
    pub plots: Vec<TrendPlot>,
    pub treatments: Vec<TreatmentMark>,
    /// Days shown by default: all data and treatments, padded.
    pub x_range: (f64, f64),
}

const PAD_DAYS: f64 = 3.0;
const MAX_LETTERED_POINTS: usize = 40;

impl TrendsModel {
    pub fn build(
        entries: &[Entry],
        treatments: &[TreatmentEvent],
        catalog: &Catalog,
        patient: &Patient,
        scores: &[EntryScores],
        units: UnitSystem,
    ) -> Self {
        let plots: Vec<TrendPlot> = lab_series(entries, catalog, patient.data.sex, units)
            .into_iter()
            .chain(score_series(scores))
            .map(|series| TrendPlot {
                bands: band_segments(&series.points, PAD_DAYS),
                series,
            })
            .collect();
        let treatments: Vec<TreatmentMark> = treatments
            .iter()
            .map(|t| {
                let d = &t.data;
                let dose = d.dose_text();
                let mut detail = format!("{} {}: {} {}", d.short_label(), d.date, d.kind.label(), d.product);
                if !dose.is_empty() {
                    detail.push_str(&format!(", {dose}"));
                }
                if !d.route.is_empty() {
                    detail.push_str(&format!(", {}", d.route));
                }
                TreatmentMark {
                    x: day_number(d.date),
                    label: d.short_label(),
                    detail,
                }
            })
            .collect();
        let xs = plots
            .iter()
            .flat_map(|p| p.series.points.iter().map(|pt| day_number(pt.date)))
            .chain(treatments.iter().map(|t| t.x));
        let (lo, hi) = xs.fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)));
        let x_range = if lo <= hi {
            (lo - PAD_DAYS, hi + PAD_DAYS)
        } else {
            (0.0, 1.0)
        };
        Self {
            plots,
            treatments,
            x_range,
        }
    }
}

/// Date ticks at least ~90 px apart: every day, 2 days or week; beyond a
/// month, on the first of every 1, 2, 3, 6, 12... months.
fn date_grid(input: GridInput, width_px: f32) -> Vec<GridMark> {
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
            && let Ok(d) = jiff::civil::Date::new(y, m, 1)
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

/// A tick label: the full date when days matter, `YYYY-MM` on a wide view.
fn tick_label(x: f64, visible: &std::ops::RangeInclusive<f64>) -> String {
    match date_of_day(x) {
        Some(d) if visible.end() - visible.start() > 120.0 && d.day() == 1 => {
            format!("{:04}-{:02}", d.year(), d.month())
        }
        Some(d) => d.to_string(),
        None => String::new(),
    }
}

pub fn trends_ui(ui: &mut Ui, model: &TrendsModel) {
    if model.plots.is_empty() {
        ui.add_space(theme::SECTION_GAP);
        ui.label("No lab values to plot yet.");
        muted(
            ui,
            "Record an entry with lab values in the Log tab; each measure gets its own plot here.",
        );
        return;
    }
    muted(
        ui,
        "Shaded: reference interval as printed. Triangles with H or L: out of range. Open markers: values printed \
         with < or >. Vertical lines: treatment cycles. Drag to pan, scroll to zoom, double-click to reset.",
    );
    let link = Id::unique("trends_link");
    egui::ScrollArea::vertical().id_salt("trends_scroll").show(ui, |ui| {
        for plot in &model.plots {
            plot_ui(ui, plot, model, link);
            ui.add_space(theme::SECTION_GAP);
        }
    });
}

fn plot_ui(ui: &mut Ui, plot: &TrendPlot, model: &TrendsModel, link: Id) {
    let s = &plot.series;
    let unit = display_unit(&s.unit);
    ui.label(RichText::new(format!("{} ({unit})", s.name)).strong());
    let color = theme::SERIES[0];
    let width = ui.available_width();
    let points_for_hover = s.points.clone();
    let (y_lo, y_hi) = s
        .points
        .iter()
        .flat_map(|p| [Some(p.value), p.high, p.low])
        .flatten()
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    Plot::new(("trend_plot", &s.code))
        .height(theme::PLOT_HEIGHT)
        .link_axis(link, [true, false])
        .link_cursor(link, [true, false])
        .y_axis_min_width(theme::PLOT_Y_AXIS_WIDTH)
        .y_axis_label(unit.clone())
        .grid_color(theme::GRID)
        .x_axis_label("collection date")
        .default_x_bounds(model.x_range.0, model.x_range.1)
        .include_y(y_hi * 1.1)
        .include_y(y_lo)
        .allow_scroll(false)
        .x_grid_spacer(move |input| date_grid(input, width))
        .x_axis_formatter(|mark, range| tick_label(mark.value, range))
        .label_formatter(move |pos| match pos {
            HoverPosition::NearDataPoint { position, .. } => {
                let date = date_of_day(position.x)?;
                let p = points_for_hover.iter().find(|p| p.date == date)?;
                Some(format!(
                    "{date}\n{} {unit} {}\nprinted interval {}",
                    p.value_text,
                    p.flag.letter(),
                    p.reference_text
                ))
            }
            HoverPosition::Elsewhere { position } => date_of_day(position.x).map(|d| d.to_string()),
        })
        .show(ui, |plot_ui| {
            for band in &plot.bands {
                plot_ui.polygon(
                    Polygon::new(
                        "reference interval",
                        PlotPoints::new(vec![
                            [band.x0, band.low],
                            [band.x1, band.low],
                            [band.x1, band.high],
                            [band.x0, band.high],
                        ]),
                    )
                    .fill_color(theme::BAND)
                    .stroke(egui::Stroke::NONE),
                );
            }
            for t in &model.treatments {
                plot_ui.vline(VLine::new(t.detail.clone(), t.x).color(theme::TREATMENT).width(1.5));
                plot_ui.text(
                    Text::new(
                        t.detail.clone(),
                        PlotPoint::new(t.x, y_hi * 1.08),
                        RichText::new(&t.label)
                            .strong()
                            .size(theme::PLOT_LABEL_SIZE)
                            .color(theme::TREATMENT),
                    )
                    .color(theme::TREATMENT),
                );
            }
            let xy: Vec<[f64; 2]> = s.points.iter().map(|p| [day_number(p.date), p.value]).collect();
            plot_ui.line(
                Line::new(s.name.clone(), PlotPoints::new(xy))
                    .color(color)
                    .width(1.5)
                    .allow_band(false),
            );
            // One item per marker style, not per point: a busy patient has hundreds.
            for flag in [Flag::Normal, Flag::High, Flag::Low] {
                for open in [false, true] {
                    let at: Vec<[f64; 2]> = s
                        .points
                        .iter()
                        .filter(|p| p.flag == flag && p.comparator.is_some() == open)
                        .map(|p| [day_number(p.date), p.value])
                        .collect();
                    if at.is_empty() {
                        continue;
                    }
                    let (shape, radius, marker_color) = match flag {
                        Flag::High => (MarkerShape::Up, 6.0, theme::HIGH),
                        Flag::Low => (MarkerShape::Down, 6.0, theme::LOW),
                        Flag::Normal => (MarkerShape::Circle, 4.0, color),
                    };
                    // Letters beside every marker help a short series; on a long
                    // one they pile up, and the triangles carry the flag alone.
                    if flag != Flag::Normal && s.points.len() <= MAX_LETTERED_POINTS {
                        for [x, y] in &at {
                            plot_ui.text(
                                Text::new(
                                    s.name.clone(),
                                    PlotPoint::new(*x, *y),
                                    RichText::new(flag.letter())
                                        .strong()
                                        .size(theme::PLOT_LABEL_SIZE)
                                        .color(marker_color),
                                )
                                .anchor(egui::Align2::LEFT_BOTTOM)
                                .color(marker_color),
                            );
                        }
                    }
                    plot_ui.points(
                        Points::new(s.name.clone(), PlotPoints::new(at))
                            .shape(shape)
                            .radius(radius)
                            .filled(!open)
                            .color(marker_color),
                    );
                }
            }
        });
}
