//! The Trends tab: one plot per lab measure over calendar dates, sharing a
//! linked date axis, with the printed reference interval as a shaded band
//! (stepping where the printed interval changed), out-of-range points drawn
//! with a distinct marker and an H or L label, and treatment events as
//! labelled vertical lines.

use eframe::egui::{self, Id, RichText, Ui};
use egui_plot::{
    GridInput, GridMark, HoverPosition, Line, MarkerShape, Plot, PlotPoint, PlotPoints, Points,
    Polygon, Text, VLine,
};

use super::theme;
use super::widgets::muted;
use crate::domain::trend::{
    BandSegment, Series, band_segments, date_of_day, day_number, lab_series,
};
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

impl TrendsModel {
    pub fn build(
        entries: &[Entry],
        treatments: &[TreatmentEvent],
        catalog: &Catalog,
        patient: &Patient,
    ) -> Self {
        let plots: Vec<TrendPlot> = lab_series(entries, catalog, patient.data.sex)
            .into_iter()
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
                let mut detail = format!(
                    "{} {}: {} {}",
                    d.short_label(),
                    d.date,
                    d.kind.label(),
                    d.product
                );
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

/// Date ticks at least ~90 px apart: days, weeks, months or years.
fn date_grid(input: GridInput, width_px: f32) -> Vec<GridMark> {
    let (min, max) = input.bounds;
    let span = (max - min).max(1.0);
    let max_ticks = (f64::from(width_px) / 90.0).max(2.0);
    let steps = [
        1.0, 2.0, 7.0, 14.0, 30.0, 61.0, 91.0, 182.0, 365.0, 730.0, 1826.0,
    ];
    let step = steps
        .into_iter()
        .find(|s| span / s <= max_ticks)
        .unwrap_or(3652.0);
    let start = (min / step).ceil() * step;
    let mut marks = Vec::new();
    let mut x = start;
    while x <= max && marks.len() < 200 {
        marks.push(GridMark {
            value: x,
            step_size: step,
        });
        x += step;
    }
    marks
}

fn date_label(x: f64) -> String {
    date_of_day(x).map_or_else(String::new, |d| d.to_string())
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
    egui::ScrollArea::vertical()
        .id_salt("trends_scroll")
        .show(ui, |ui| {
            for (i, plot) in model.plots.iter().enumerate() {
                plot_ui(ui, plot, model, link, i);
                ui.add_space(theme::SECTION_GAP);
            }
        });
}

fn plot_ui(ui: &mut Ui, plot: &TrendPlot, model: &TrendsModel, link: Id, index: usize) {
    let s = &plot.series;
    ui.label(RichText::new(format!("{} ({})", s.name, s.unit)).strong());
    let color = theme::SERIES[index % theme::SERIES.len()];
    let width = ui.available_width();
    let unit = s.unit.clone();
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
        .y_axis_label(s.unit.clone())
        .x_axis_label("collection date")
        .default_x_bounds(model.x_range.0, model.x_range.1)
        .include_y(y_hi * 1.1)
        .include_y(y_lo)
        .allow_scroll(false)
        .x_grid_spacer(move |input| date_grid(input, width))
        .x_axis_formatter(|mark, _| date_label(mark.value))
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
            HoverPosition::Elsewhere { position } => Some(date_label(position.x)),
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
                plot_ui.vline(
                    VLine::new(t.detail.clone(), t.x)
                        .color(theme::TREATMENT)
                        .width(1.5),
                );
                plot_ui.text(
                    Text::new(
                        t.detail.clone(),
                        PlotPoint::new(t.x, y_hi * 1.08),
                        RichText::new(&t.label).strong(),
                    )
                    .color(theme::TREATMENT),
                );
            }
            let xy: Vec<[f64; 2]> = s
                .points
                .iter()
                .map(|p| [day_number(p.date), p.value])
                .collect();
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
                    if flag != Flag::Normal {
                        for [x, y] in &at {
                            plot_ui.text(
                                Text::new(
                                    s.name.clone(),
                                    PlotPoint::new(*x, *y),
                                    RichText::new(flag.letter()).strong(),
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
