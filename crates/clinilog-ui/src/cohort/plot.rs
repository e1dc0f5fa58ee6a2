//! The Cohort screen's plot (a line per patient, the weekly median and
//! IQR band, the cycles at their median day) and its table.

use super::*;

impl CohortScreen {
    /// The plot: a line per patient (up to [`MAX_LINES`]), the weekly IQR
    /// band and median, the cycles' median days; hovering names the
    /// patient, a click opens it.
    pub(super) fn plot(&self, ui: &mut Ui, name: &str, unit: &str) -> Option<Action> {
        let mut action = None;
        ui.label(RichText::new(format!("{name} ({unit})")).strong());
        ui.add(
            egui::Label::new(
                RichText::new(format!(
                    "Grey lines: each patient{}. Blue line and shaded band: the weekly median and interquartile \
                     range, in weeks where at least {MIN_BAND_N} patients have a value. Purple: the cycles, at their \
                     median day (n: patients who had it).",
                    if self.values.len() > MAX_LINES {
                        format!(
                            " (the first {MAX_LINES} of {} by name)",
                            grouped(self.values.len() as u64)
                        )
                    } else {
                        String::new()
                    }
                ))
                .color(theme::MUTED),
            )
            .wrap(),
        );
        let lines = &self.lines;
        let unit_label = unit.to_owned();
        let width = ui.available_width();
        let response = Plot::new("cohort_plot")
            // Weeks from day 0, labelled in days.
            .x_grid_spacer(move |input| crate::trends::axis::week_marks(input, width, 0.0))
            .x_axis_formatter(|mark, _| format!("{}", mark.value.round() as i64))
            .height(260.0)
            .y_axis_min_width(theme::PLOT_Y_AXIS_WIDTH)
            .x_axis_label("days since day 0")
            .y_axis_label(unit_label)
            .grid_color(theme::GRID)
            .allow_scroll(false)
            .label_formatter(|pos| match pos {
                HoverPosition::NearDataPoint {
                    plot_name: MEDIAN,
                    position,
                    ..
                } => {
                    let week = ((position.x - 3.5) / 7.0).round() as i64;
                    let band = self.bands.iter().find(|b| b.week == week)?;
                    Some(format!(
                        "week {week} (days {} to {}): median {:.2}, IQR {:.2} to {:.2}, n={}",
                        week * 7,
                        week * 7 + 6,
                        band.spread.median,
                        band.spread.q1,
                        band.spread.q3,
                        grouped(band.spread.n as u64)
                    ))
                }
                HoverPosition::NearDataPoint {
                    plot_name, position, ..
                } if !plot_name.is_empty() => Some(format!("{plot_name}\nday {:.0}: {:.2}", position.x, position.y)),
                HoverPosition::NearDataPoint { position, .. } | HoverPosition::Elsewhere { position } => {
                    Some(format!("day {:.0}", position.x))
                }
            })
            .show(ui, |plot_ui| {
                for l in lines {
                    plot_ui.line(
                        Line::new(l.name.as_str(), PlotPoints::Borrowed(&l.points))
                            .color(theme::MUTED.gamma_multiply(0.5))
                            .width(1.0),
                    );
                }
                if !self.bands.is_empty() {
                    let x = |b: &WeekBand| b.week as f64 * 7.0 + 3.5;
                    // One quadrilateral per pair of weeks: egui fills convex shapes only.
                    for w in self.bands.windows(2).filter(|w| w[1].week == w[0].week + 1) {
                        let (a, b) = (&w[0], &w[1]);
                        plot_ui.polygon(
                            Polygon::new(
                                "",
                                PlotPoints::new(vec![
                                    [x(a), a.spread.q1],
                                    [x(b), b.spread.q1],
                                    [x(b), b.spread.q3],
                                    [x(a), a.spread.q3],
                                ]),
                            )
                            .fill_color(theme::BAND)
                            .stroke(egui::Stroke::NONE),
                        );
                    }
                    plot_ui.line(
                        Line::new(
                            MEDIAN,
                            PlotPoints::new(self.bands.iter().map(|b| [x(b), b.spread.median]).collect()),
                        )
                        .color(theme::SERIES[0])
                        .width(2.5),
                    );
                }
                let top = self
                    .bands
                    .iter()
                    .map(|b| b.spread.q3)
                    .chain(lines.iter().flat_map(|l| l.points.iter().map(|p| p.y)))
                    .fold(f64::MIN, f64::max);
                for (c, day, n) in &self.markers {
                    plot_ui.vline(VLine::new("", *day).color(theme::TREATMENT).width(1.5));
                    plot_ui.text(
                        Text::new(
                            "",
                            PlotPoint::new(*day, top),
                            RichText::new(format!("C{c} (n={})", grouped(*n as u64)))
                                .size(theme::PLOT_LABEL_SIZE)
                                .color(theme::TREATMENT),
                        )
                        .anchor(egui::Align2::LEFT_TOP),
                    );
                }
                // A click opens the patient whose point is nearest (a few pixels).
                if plot_ui.response().clicked()
                    && let Some(pointer) = plot_ui.response().hover_pos()
                {
                    let ui_ref: &egui_plot::PlotUi<'_> = plot_ui;
                    action = lines
                        .iter()
                        .flat_map(|l| {
                            l.points
                                .iter()
                                .map(move |p| (ui_ref.screen_from_plot(*p).distance(pointer), l.patient_id))
                        })
                        .filter(|(d, _)| *d <= 8.0)
                        .min_by(|a, b| a.0.total_cmp(&b.0))
                        .map(|(_, id)| Action::OpenPatient(id));
                }
            });
        ui.horizontal(|ui| {
            if ui
                .button("Export PNG")
                .on_hover_text("Save a picture of this plot")
                .clicked()
            {
                action = Some(Action::ExportPng(response.response.rect));
            }
            muted(ui, "Click a point to open that patient.");
        });
        action
    }

    pub(super) fn table_ui(&self, ui: &mut Ui) -> Option<Action> {
        let t = self.table.as_ref()?;
        let days = &self.options.at_days;
        let mut action = None;
        ui.add_space(theme::SECTION_GAP);
        let mut tb = TableBuilder::new(ui)
            .id_salt("cohort_table")
            .striped(true)
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::auto().at_least(220.0))
            .column(Column::auto().at_least(90.0))
            .column(Column::auto().at_least(90.0));
        for _ in days {
            tb = tb.column(Column::auto().at_least(150.0));
        }
        tb.column(Column::auto().at_least(50.0))
            .column(Column::remainder().at_least(200.0).clip(true))
            .header(22.0, |mut h| {
                let mut titles = vec!["Patient".to_owned(), "Day 0".to_owned(), "Baseline".to_owned()];
                titles.extend(days.iter().map(|d| format!("Day {d} (change)")));
                titles.extend(["Values".to_owned(), "Notes".to_owned()]);
                for title in titles {
                    h.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(22.0, t.rows.len(), |mut row| {
                    let r = &t.rows[row.index()];
                    row.col(|ui| {
                        if ui.link(&r.name).on_hover_text("Open this patient").clicked() {
                            action = Some(Action::OpenPatient(r.patient_id));
                        }
                    });
                    row.col(|ui| {
                        ui.label(r.day0.to_string());
                    });
                    row.col(|ui| {
                        ui.label(r.baseline.as_ref().map_or("-".to_owned(), |b| b.text.clone()))
                            .on_hover_text(r.baseline.as_ref().map_or(String::new(), |b| b.date.to_string()));
                    });
                    for i in 0..days.len() {
                        row.col(|ui| {
                            let text = match r.at.get(i).cloned().flatten() {
                                Some(p) => match (r.change[i], r.change_percent[i]) {
                                    (Some(c), Some(pc)) => format!("{} ({c:+.2}, {pc:+.1}%)", p.text),
                                    (Some(c), None) => format!("{} ({c:+.2})", p.text),
                                    _ => p.text.clone(),
                                },
                                None => "-".to_owned(),
                            };
                            ui.label(text);
                        });
                    }
                    row.col(|ui| {
                        ui.label(r.count.to_string());
                    });
                    row.col(|ui| {
                        let notes = r.notes.join("; ");
                        ui.label(&notes).on_hover_text(&notes);
                    });
                });
            });
        action
    }
}

pub(super) fn table_days(o: &CohortOptions) -> &[i64] {
    &o.at_days
}
