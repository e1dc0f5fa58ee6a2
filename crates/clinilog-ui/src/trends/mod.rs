//! The Trends tab: a column of plots, one per catalog group (bilirubin
//! total/direct/indirect together, ALT and AST, ...; then the scores), all on
//! one linked date axis (zoom, pan and the hover cursor move together), with
//! the printed reference interval as a shaded band that steps where the lab
//! changed it, out-of-range points as triangles labelled H or L (larger,
//! HH or LL, beyond the critical limits), values
//! printed with `<`/`>` as open markers, and treatment events as labelled
//! vertical lines through every plot. Under the plots, the symptom
//! timeline: a strip per symptom, a shaded cell per entry with its rating.
//!
//! Also: a normalised view (every lab as multiples of its upper limit of
//! normal, optionally on a log scale), a table of the same data, range
//! presets, week labels, and export of the view (PNG) and its data (CSV).
//! Everything drawn comes from [`TrendsModel`], built when the patient, the
//! units or the scores change; nothing is queried per frame.

pub mod axis;
pub mod model;

pub use axis::Axis;
pub use model::{AxisLabels, GroupView, SeriesView, TreatmentMark, TrendsAction, TrendsModel, TrendsState, TrendsView};

/// Days of margin around the data when the view is reset.
const PAD_DAYS: f64 = 3.0;
/// Beyond this many out-of-range points, H/L letters are left out (the
/// triangle's direction still tells H from L).
const MAX_LETTERED_POINTS: usize = 40;

use eframe::egui::{self, Color32, Id, Rect, RichText, Ui};
use egui_plot::{
    GridMark, HLine, HoverPosition, Line, MarkerShape, Plot, PlotPoint, PlotPoints, PlotUi, Points, Polygon, Text,
    VLine,
};
use jiff::civil::Date;

use super::theme;
use super::widgets::{empty_state, muted};
use clinilog_domain::Flag;
use clinilog_domain::catalog::display_unit;
use clinilog_domain::trend::{SeriesKind, date_of_day, day_number};
use clinilog_domain::trend_view::{RangePreset, TrendTable, range_dates, trend_table, week_label};

fn series_color(i: usize) -> Color32 {
    theme::SERIES[i % theme::SERIES.len()]
}

/// Draws the Trends tab; returns a request for the screen.
pub fn trends_ui(ui: &mut Ui, model: &TrendsModel, state: &mut TrendsState, today: Date) -> Option<TrendsAction> {
    let mut action = None;
    if model.groups.is_empty() && model.strips.is_empty() {
        empty_state(
            ui,
            "Nothing to plot yet.",
            "Record an entry with lab values or symptom ratings in the Log tab; its trends appear here.",
        );
        return None;
    }
    if state.shown_range.is_none() {
        // A patient just opened: show all of this patient's data, whatever
        // the plots showed for the last one.
        state.pending_range = Some((model.data_range.0 - PAD_DAYS, model.data_range.1 + PAD_DAYS));
    }
    toolbar_ui(ui, model, state, today, &mut action);
    let anchor = match state.axis {
        AxisLabels::Dates => None,
        AxisLabels::WeeksSinceEnrollment => model.enrolled,
        AxisLabels::WeeksSinceFirstTreatment => model.first_treatment.or(model.enrolled),
    };
    let link = Id::unique("trends_link");
    let area = egui::ScrollArea::vertical()
        .id_salt("trends_scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            let axis = Axis {
                anchor,
                width: ui.available_width(),
            };
            let start = ui.cursor().min;
            match state.view {
                TrendsView::Plots => {
                    let visible: Vec<&GroupView> = model
                        .groups
                        .iter()
                        .filter(|g| !state.hidden.contains(&g.code))
                        .collect();
                    for g in visible {
                        if let Some(id) = group_plot_ui(ui, g, model, state, link, axis) {
                            action = Some(TrendsAction::OpenEntry(id));
                        }
                        ui.add_space(theme::SECTION_GAP);
                    }
                    if !model.strips.is_empty()
                        && let Some(id) = symptom_timeline_ui(ui, model, state, link, axis)
                    {
                        action = Some(TrendsAction::OpenEntry(id));
                    }
                }
                TrendsView::Normalised => {
                    if let Some(id) = normalised_ui(ui, model, state, link, axis) {
                        action = Some(TrendsAction::OpenEntry(id));
                    }
                }
                TrendsView::Table => table_ui(ui, &current_table(model, state)),
            }
            Rect::from_min_max(
                start,
                ui.cursor().min.max(start + egui::vec2(ui.available_width(), 0.0)),
            )
        });
    state.area = Some(area.inner_rect.intersect(area.inner));
    state.pending_range = None;
    action
}

/// The table of the visible groups within the range shown.
fn current_table(model: &TrendsModel, state: &TrendsState) -> TrendTable {
    let range = state.shown_range.and_then(range_dates);
    trend_table(&model.visible_series(&state.hidden), range)
}

fn toolbar_ui(
    ui: &mut Ui,
    model: &TrendsModel,
    state: &mut TrendsState,
    today: Date,
    action: &mut Option<TrendsAction>,
) {
    ui.horizontal_wrapped(|ui| {
        ui.selectable_value(&mut state.view, TrendsView::Plots, "Plots");
        ui.selectable_value(&mut state.view, TrendsView::Normalised, "Normalised (x ULN)");
        ui.selectable_value(&mut state.view, TrendsView::Table, "Table");
        ui.separator();
        let enrolled = model.enrolled.unwrap_or(today);
        for preset in RangePreset::ALL {
            if ui.button(preset.label()).clicked() {
                state.pending_range = Some(preset.range(enrolled, today, model.data_range, PAD_DAYS));
            }
        }
        if ui
            .button("Reset view")
            .on_hover_text("Or double-click a plot")
            .clicked()
        {
            state.pending_range = Some(RangePreset::All.range(enrolled, today, model.data_range, PAD_DAYS));
        }
        ui.separator();
        let label = ui.label("Axis");
        egui::ComboBox::from_id_salt("trends_axis")
            .selected_text(state.axis.label())
            .show_ui(ui, |ui| {
                for a in [
                    AxisLabels::Dates,
                    AxisLabels::WeeksSinceEnrollment,
                    AxisLabels::WeeksSinceFirstTreatment,
                ] {
                    ui.selectable_value(&mut state.axis, a, a.label());
                }
            })
            .response
            .labelled_by(label.id);
        if state.view == TrendsView::Normalised {
            ui.checkbox(&mut state.log_scale, "Log scale");
        }
        ui.separator();
        if ui
            .button("Export PNG")
            .on_hover_text("Save this view as a picture")
            .clicked()
            && let Some(rect) = state.area
        {
            *action = Some(TrendsAction::ExportPng(rect));
        }
        if ui
            .button("Export CSV")
            .on_hover_text("Save the data of this view (dates x measures)")
            .clicked()
        {
            match clinilog_interop::csv::trend_table(&current_table(model, state)) {
                Ok(csv) => *action = Some(TrendsAction::ExportCsv(csv)),
                Err(e) => {
                    muted(ui, format!("CSV failed: {e}"));
                }
            }
        }
    });
    if state.view == TrendsView::Plots && !model.groups.is_empty() {
        ui.horizontal_wrapped(|ui| {
            muted(ui, "Show:");
            for g in &model.groups {
                let mut shown = !state.hidden.contains(&g.code);
                if ui.checkbox(&mut shown, &g.name).changed() {
                    if shown {
                        state.hidden.remove(&g.code);
                    } else {
                        state.hidden.insert(g.code.clone());
                    }
                }
            }
        });
    }
    if !model.treatments.is_empty() {
        ui.horizontal_wrapped(|ui| {
            muted(ui, "Treatment lines:");
            for t in &model.treatments {
                ui.label(RichText::new(&t.label).color(theme::TREATMENT).strong())
                    .on_hover_text(&t.detail);
                muted(ui, t.date.to_string());
            }
        });
    }
    if !model.adverse.is_empty() {
        ui.horizontal_wrapped(|ui| {
            muted(ui, "Adverse events (dashed lines, CTCAE grade):");
            for t in &model.adverse {
                ui.label(RichText::new(&t.label).color(theme::ADVERSE).strong())
                    .on_hover_text(&t.detail);
                muted(ui, t.date.to_string());
            }
        });
    }
    muted(
        ui,
        "Shaded: reference interval as printed. Triangles with H or L: out of range; larger, with HH or LL: \
         critical. Open markers: values printed \
         with < or >. Purple lines: treatments. Dashed lines marked AE G1 to G5: adverse events by grade. Drag to \
         pan, scroll with Ctrl to zoom, double-click to reset; click a point to open its entry.",
    );
}

/// Common settings of every plot in the column.
fn base_plot<'a>(id: &str, link: Id, axis: Axis, state: &TrendsState, model: &TrendsModel) -> Plot<'a> {
    let (lo, hi) = model.data_range;
    Plot::new(("trend_plot", id))
        .height(theme::PLOT_HEIGHT)
        .link_axis(link, [true, false])
        .link_cursor(link, [true, false])
        .y_axis_min_width(theme::PLOT_Y_AXIS_WIDTH)
        .grid_color(theme::GRID)
        .default_x_bounds(lo - PAD_DAYS, hi + PAD_DAYS)
        .allow_scroll(false)
        .x_grid_spacer(move |input| axis.marks(input))
        .x_axis_formatter(move |mark, range| axis.label(mark.value, range))
        .x_axis_label(match axis.anchor {
            Some(_) => state.axis.label(),
            None => "collection date",
        })
}

/// Draws the treatment lines and their labels at `label_y`.
fn treatment_lines(plot_ui: &mut PlotUi<'_>, model: &TrendsModel, label_y: f64) {
    for t in &model.treatments {
        plot_ui.vline(VLine::new("", t.x).color(theme::TREATMENT).width(1.5));
        plot_ui.text(
            Text::new(
                "",
                PlotPoint::new(t.x, label_y),
                RichText::new(&t.label)
                    .strong()
                    .size(theme::PLOT_LABEL_SIZE)
                    .color(theme::TREATMENT),
            )
            .anchor(egui::Align2::LEFT_TOP),
        );
    }
    // Adverse events: dashed, labelled to the left of the line with the
    // grade in text (a treatment's label is to the right).
    for t in &model.adverse {
        plot_ui.vline(
            VLine::new("", t.x)
                .color(theme::ADVERSE)
                .width(1.5)
                .style(egui_plot::LineStyle::dashed_loose()),
        );
        plot_ui.text(
            Text::new(
                "",
                PlotPoint::new(t.x, label_y),
                RichText::new(&t.label)
                    .strong()
                    .size(theme::PLOT_LABEL_SIZE)
                    .color(theme::ADVERSE),
            )
            .anchor(egui::Align2::RIGHT_TOP),
        );
    }
}

/// Applies a pending range and remembers what is shown; on a click, the
/// entry of the point nearest the pointer (within a few pixels).
fn after_drawing(
    plot_ui: &mut PlotUi<'_>,
    state: &TrendsState,
    points: &[(f64, f64, i64)],
) -> (Option<(f64, f64)>, Option<i64>) {
    if let Some((a, b)) = state.pending_range {
        plot_ui.set_plot_bounds_x(a..=b);
    }
    let bounds = plot_ui.plot_bounds();
    let shown = Some((bounds.min()[0], bounds.max()[0]));
    let mut clicked = None;
    if plot_ui.response().clicked()
        && let Some(pointer) = plot_ui.response().hover_pos()
    {
        clicked = points
            .iter()
            .map(|(x, y, id)| (plot_ui.screen_from_plot(PlotPoint::new(*x, *y)).distance(pointer), *id))
            .filter(|(d, _)| *d <= 12.0)
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, id)| id);
    }
    (shown, clicked)
}

/// Hover text for a point of one series of a group, or the date and any
/// treatment near the pointer.
fn hover_text(
    group: &[SeriesView],
    model: &TrendsModel,
    unit: &str,
    pos: &HoverPosition<'_>,
    axis: Axis,
    y_of: &dyn Fn(f64) -> f64,
) -> Option<String> {
    let (near, position) = match pos {
        HoverPosition::NearDataPoint { position, .. } => (true, position),
        HoverPosition::Elsewhere { position } => (false, position),
    };
    let x = position.x;
    let date = date_of_day(x)?;
    // Near a point (or its H/L letter): the point of that date closest to the pointer.
    let nearest = near
        .then(|| {
            group
                .iter()
                .flat_map(|s| s.series.points.iter().enumerate().map(move |(i, p)| (s, i, p)))
                .filter(|(_, _, p)| p.date == date)
                .min_by(|a, b| {
                    (y_of(a.2.value) - position.y)
                        .abs()
                        .total_cmp(&(y_of(b.2.value) - position.y).abs())
                })
                .map(|(s, i, _)| (s, i))
        })
        .flatten();
    if let Some((s, i)) = nearest {
        let p = &s.series.points[i];
        let (prev, base) = s.changes[i];
        let pct = |c: Option<f64>| c.map_or("-".to_owned(), |v| format!("{v:+.0}%"));
        let mut text = format!(
            "{}\n{date}: {} {}{}",
            s.series.name,
            p.value_text,
            display_unit(unit),
            match p.flag {
                Flag::Normal => String::new(),
                f => format!(" {}", f.letter()),
            }
        );
        if !p.reference_text.is_empty() {
            text.push_str(&format!("\nprinted interval {}", p.reference_text));
        }
        text.push_str(&format!(
            "\nchange {} from previous, {} from baseline",
            pct(prev),
            pct(base)
        ));
        if p.origin == clinilog_domain::Origin::Calculated && s.series.kind == SeriesKind::Lab {
            text.push_str("\n(calculated by Clinilog)");
        }
        return Some(text);
    }
    let mut text = match axis.anchor {
        Some(a) => format!("{date} ({})", week_label(x, a)),
        None => date.to_string(),
    };
    for t in model
        .treatments
        .iter()
        .chain(&model.adverse)
        .filter(|t| (t.x - x).abs() <= 1.0)
    {
        text.push('\n');
        text.push_str(&t.detail);
    }
    Some(text)
}

/// Draws one series: band, line, markers by flag, H/L letters. With
/// `own_color` the out-of-range triangles keep the series color (several
/// series on one plot stay apart; the triangle's direction tells H from L).
fn draw_series(plot_ui: &mut PlotUi<'_>, s: &SeriesView, color: Color32, own_color: bool, y_of: impl Fn(f64) -> f64) {
    for band in &s.bands {
        plot_ui.polygon(
            Polygon::new(
                "",
                PlotPoints::new(vec![
                    [band.x0, y_of(band.low)],
                    [band.x1, y_of(band.low)],
                    [band.x1, y_of(band.high)],
                    [band.x0, y_of(band.high)],
                ]),
            )
            .fill_color(theme::band(color))
            .stroke(egui::Stroke::NONE),
        );
    }
    let name = s.series.name.clone();
    let xy: Vec<[f64; 2]> = s
        .series
        .points
        .iter()
        .map(|p| [day_number(p.date), y_of(p.value)])
        .collect();
    plot_ui.line(
        Line::new(name.clone(), PlotPoints::new(xy))
            .color(color)
            .width(1.5)
            .allow_band(false),
    );
    // One item per marker style, not per point: a busy patient has hundreds.
    for flag in [
        Flag::Normal,
        Flag::High,
        Flag::Low,
        Flag::CriticalHigh,
        Flag::CriticalLow,
    ] {
        for open in [false, true] {
            let at: Vec<[f64; 2]> = s
                .series
                .points
                .iter()
                .filter(|p| p.flag == flag && p.comparator.is_some() == open)
                .map(|p| [day_number(p.date), y_of(p.value)])
                .collect();
            if at.is_empty() {
                continue;
            }
            let busy = s.series.points.len() > MAX_LETTERED_POINTS;
            let flagged = if busy { 4.5 } else { 6.0 };
            // A critical value: the same triangle, larger, and its letters doubled.
            let critical = if busy { 6.0 } else { 8.0 };
            let (shape, radius, marker_color) = match flag {
                Flag::High => (MarkerShape::Up, flagged, if own_color { color } else { theme::HIGH }),
                Flag::Low => (MarkerShape::Down, flagged, if own_color { color } else { theme::LOW }),
                Flag::CriticalHigh => (MarkerShape::Up, critical, if own_color { color } else { theme::HIGH }),
                Flag::CriticalLow => (MarkerShape::Down, critical, if own_color { color } else { theme::LOW }),
                Flag::Normal => (MarkerShape::Circle, if busy { 3.0 } else { 4.0 }, color),
            };
            // Letters beside every marker help a short series; on a long
            // one they pile up, and the triangles carry the flag alone.
            if flag != Flag::Normal && s.series.points.len() <= MAX_LETTERED_POINTS {
                // A critical marker is larger: its letters start beside it, not under it.
                let dx = if flag.is_critical() {
                    f64::from(radius) / plot_ui.transform().dpos_dvalue_x().abs().max(f64::EPSILON)
                } else {
                    0.0
                };
                for [x, y] in &at {
                    plot_ui.text(
                        Text::new(
                            "",
                            PlotPoint::new(*x + dx, *y),
                            RichText::new(flag.letter())
                                .strong()
                                .size(theme::PLOT_LABEL_SIZE)
                                .color(marker_color),
                        )
                        .anchor(egui::Align2::LEFT_BOTTOM),
                    );
                }
            }
            plot_ui.points(
                Points::new(name.clone(), PlotPoints::new(at))
                    .shape(shape)
                    .radius(radius)
                    .filled(!open)
                    .color(marker_color),
            );
        }
    }
}

fn group_plot_ui(
    ui: &mut Ui,
    g: &GroupView,
    model: &TrendsModel,
    state: &mut TrendsState,
    link: Id,
    axis: Axis,
) -> Option<i64> {
    let unit = display_unit(&g.unit);
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("{} ({unit})", g.name)).strong());
        if g.series.len() > 1 {
            for (i, s) in g.series.iter().enumerate() {
                ui.label(RichText::new(format!("- {}", s.series.name)).color(series_color(i)));
            }
        }
    });
    let (y_lo, y_hi) = g
        .series
        .iter()
        .flat_map(|s| s.series.points.iter())
        .flat_map(|p| [Some(p.value), p.high, p.low])
        .flatten()
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let points: Vec<(f64, f64, i64)> = g
        .series
        .iter()
        .flat_map(|s| {
            s.series
                .points
                .iter()
                .map(|p| (day_number(p.date), p.value, p.entry_id))
        })
        .collect();
    let group_unit = g.unit.clone();
    let response = base_plot(&g.code, link, axis, state, model)
        .y_axis_label(unit)
        // Room under the lowest point for its marker and letters (a sodium
        // of 115 LL sat on the frame), never below 0 for values that are not.
        .include_y(if y_lo >= 0.0 {
            (y_lo - 0.08 * (y_hi - y_lo)).max(0.0)
        } else {
            y_lo
        })
        .include_y(y_hi * 1.12)
        .label_formatter(|pos| hover_text(&g.series, model, &group_unit, pos, axis, &|v| v))
        .show(ui, |plot_ui| {
            treatment_lines(plot_ui, model, y_hi * 1.12);
            let several = g.series.len() > 1;
            for (i, s) in g.series.iter().enumerate() {
                draw_series(plot_ui, s, series_color(i), several, |v| v);
            }
            after_drawing(plot_ui, state, &points)
        });
    let (shown, clicked) = response.inner;
    if shown.is_some() {
        state.shown_range = shown;
    }
    clicked
}

fn normalised_ui(ui: &mut Ui, model: &TrendsModel, state: &mut TrendsState, link: Id, axis: Axis) -> Option<i64> {
    ui.label(RichText::new("All labs as multiples of their upper limit of normal (x ULN)").strong());
    ui.horizontal_wrapped(|ui| {
        for (i, s) in model.normalised.iter().enumerate() {
            ui.label(RichText::new(format!("- {}", s.series.name)).color(theme::palette(i)));
        }
    });
    if model.normalised.is_empty() {
        muted(ui, "No lab value has a printed or default upper limit yet.");
        return None;
    }
    let log = state.log_scale;
    let y_of = move |v: f64| if log { v.max(1e-3).log10() } else { v };
    let points: Vec<(f64, f64, i64)> = model
        .normalised
        .iter()
        .flat_map(|s| {
            s.series
                .points
                .iter()
                .map(|p| (day_number(p.date), y_of(p.value), p.entry_id))
        })
        .collect();
    let y_hi = points.iter().map(|p| p.1).fold(y_of(1.0), f64::max);
    let plot = base_plot("normalised", link, axis, state, model)
        .height(theme::PLOT_HEIGHT * 2.0)
        .y_axis_label(if log { "x ULN (log scale)" } else { "x ULN" })
        .include_y(y_of(1.0))
        .include_y(if log { y_of(0.1) } else { 0.0 })
        .label_formatter(move |pos| hover_text(&model.normalised, model, "x ULN", pos, axis, &y_of));
    let plot = if log {
        plot.y_axis_formatter(|mark, _| format!("{}x", trim(10f64.powf(mark.value))))
            .y_grid_spacer(|input| {
                let (lo, hi) = input.bounds;
                [
                    0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0,
                ]
                .into_iter()
                .map(|v: f64| v.log10())
                .filter(|y| *y >= lo && *y <= hi)
                .map(|y| GridMark {
                    value: y,
                    step_size: 0.3,
                })
                .collect()
            })
    } else {
        plot
    };
    let response = plot.show(ui, |plot_ui| {
        treatment_lines(plot_ui, model, y_hi * 1.05);
        plot_ui.hline(HLine::new("1x ULN", y_of(1.0)).color(theme::MUTED).width(1.0));
        for (i, s) in model.normalised.iter().enumerate() {
            let mut s = s.clone();
            s.bands.clear();
            draw_series(plot_ui, &s, theme::palette(i), true, y_of);
        }
        after_drawing(plot_ui, state, &points)
    });
    let (shown, clicked) = response.inner;
    if shown.is_some() {
        state.shown_range = shown;
    }
    clicked
}

fn trim(v: f64) -> String {
    let t = format!("{v:.2}");
    t.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn symptom_timeline_ui(ui: &mut Ui, model: &TrendsModel, state: &mut TrendsState, link: Id, axis: Axis) -> Option<i64> {
    ui.label(RichText::new("Symptom timeline").strong());
    ui.horizontal_wrapped(|ui| {
        muted(ui, "Strips, top to bottom:");
        for s in &model.strips {
            ui.label(format!("{} ({})", s.name, s.scale.range()));
        }
    });
    let rows = model.strips.len();
    let names: Vec<String> = model.strips.iter().map(|s| s.name.clone()).collect();
    let mut points = Vec::new();
    let response = base_plot("symptoms", link, axis, state, model)
        .height((rows as f32 * 26.0 + 40.0).max(90.0))
        .show_grid([true, false])
        .allow_drag([true, false])
        .allow_zoom([true, false])
        .include_y(1.0)
        .include_y(-(rows as f64) + 0.5)
        .y_grid_spacer(move |_| {
            (0..rows)
                .map(|i| GridMark {
                    value: -(i as f64),
                    step_size: 1.0,
                })
                .collect()
        })
        .y_axis_formatter(move |mark, _| {
            let i = (-mark.value).round();
            if i >= 0.0 && (i as usize) < names.len() && (mark.value + i).abs() < 1e-6 {
                names[i as usize].clone()
            } else {
                String::new()
            }
        })
        .label_formatter(|pos| {
            let p = match pos {
                HoverPosition::NearDataPoint { position, .. } | HoverPosition::Elsewhere { position } => position,
            };
            let row = (-p.y).round();
            let strip = (row >= 0.0).then(|| model.strips.get(row as usize)).flatten()?;
            let date = date_of_day(p.x)?;
            let cell = strip
                .cells
                .iter()
                .min_by_key(|c| (day_number(c.date) - p.x).abs() as i64)?;
            let near = (day_number(cell.date) - p.x).abs() <= 3.5;
            Some(if near {
                format!("{}\n{}: {}", strip.name, cell.date, strip.scale.describe(cell.value))
            } else {
                format!("{}\n{date}", strip.name)
            })
        })
        .show(ui, |plot_ui| {
            for (row, strip) in model.strips.iter().enumerate() {
                let y = -(row as f64);
                for (i, c) in strip.cells.iter().enumerate() {
                    let x = day_number(c.date);
                    let half = |other: Option<&clinilog_domain::trend_view::SymptomCell>| {
                        other.map_or(3.0, |o| ((day_number(o.date) - x).abs() / 2.0).min(3.5))
                    };
                    let (x0, x1) = (
                        x - half(i.checked_sub(1).and_then(|j| strip.cells.get(j))),
                        x + half(strip.cells.get(i + 1)),
                    );
                    plot_ui.polygon(
                        Polygon::new(
                            "",
                            PlotPoints::new(vec![[x0, y - 0.42], [x1, y - 0.42], [x1, y + 0.42], [x0, y + 0.42]]),
                        )
                        .fill_color(theme::severity(c.severity))
                        .stroke(egui::Stroke::new(0.5, Color32::WHITE)),
                    );
                    plot_ui.text(Text::new(
                        "",
                        PlotPoint::new(x, y),
                        RichText::new(&c.text)
                            .size(11.0)
                            .color(theme::severity_text(c.severity)),
                    ));
                    points.push((x, y, c.entry_id));
                }
            }
            treatment_lines(plot_ui, model, 0.98);
            after_drawing(plot_ui, state, &points)
        });
    response.inner.1
}

fn table_ui(ui: &mut Ui, table: &TrendTable) {
    if table.rows.is_empty() {
        muted(ui, "No values in the range shown.");
        return;
    }
    muted(
        ui,
        "The values behind the plots, newest first, in the range shown and the groups shown.",
    );
    egui::ScrollArea::horizontal().id_salt("trends_table_h").show(ui, |ui| {
        egui::Grid::new("trends_table")
            .striped(true)
            .spacing([14.0, 4.0])
            .show(ui, |ui| {
                ui.label(RichText::new("Date").strong());
                for c in &table.columns {
                    ui.label(RichText::new(c).strong());
                }
                ui.end_row();
                for (d, cells) in &table.rows {
                    ui.label(d.to_string());
                    for c in cells {
                        ui.label(c);
                    }
                    ui.end_row();
                }
            });
    });
}
