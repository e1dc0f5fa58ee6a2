//! The *Cohort* screen, beside *Patients* and *Due*: one measure (a lab or
//! a score) for the patients chosen, aligned at day 0 (the first cycle, or
//! enrolment). A plot with a thin line per patient and the weekly median
//! and interquartile band; a table with the baseline, the values nearest
//! the chosen days, the changes and their summaries; a responder rule.
//! The values are read on a thread with a read-only connection; the table
//! is computed again in memory when the days, windows or rule change.

use eframe::egui::{self, RichText, Ui};
use egui_extras::{Column, TableBuilder};
use egui_plot::{HoverPosition, Line, Plot, PlotPoint, PlotPoints, Polygon, Text, VLine};

use super::job::Job;
use super::widgets::{empty_state, field_message, muted};
use super::{Action, theme};
use clinilog_domain::Catalog;
use clinilog_domain::catalog::UnitSystem;
use clinilog_domain::cohort::{
    Align, Cohort, CohortMeasure, CohortOptions, PatientValues, Responder, Spread, WeekBand, cohort, cycle_markers,
    weekly_bands,
};
use clinilog_domain::protocol::day_count;
use clinilog_domain::validate::parse_iso_date;
use clinilog_interop::import::grouped;
use clinilog_store::{CohortFilter, Location};

/// How many patients' lines the plot draws (the band and table use all).
pub const MAX_LINES: usize = 400;
/// The median line's name (its hover tells the week's n).
const MEDIAN: &str = "weekly median (all patients)";
/// A week's band is drawn when at least this many patients have a value.
pub const MIN_BAND_N: usize = 3;

/// A patient's line on the plot: values (not censored) by days since day 0.
struct PatientLine {
    patient_id: i64,
    name: String,
    points: Vec<PlotPoint>,
}

/// The lines the plot draws, the first [`MAX_LINES`] patients with a day 0
/// and a usable value; built once per reading, drawn borrowed each frame.
fn patient_lines(values: &[PatientValues]) -> Vec<PatientLine> {
    values
        .iter()
        .filter_map(|p| {
            let day0 = p.day0?;
            let points: Vec<PlotPoint> = p
                .points
                .iter()
                .filter(|pt| !pt.censored)
                .map(|pt| PlotPoint::new(day_count(day0, pt.date) as f64, pt.value))
                .collect();
            (!points.is_empty()).then(|| PatientLine {
                patient_id: p.patient_id,
                name: p.name.clone(),
                points,
            })
        })
        .take(MAX_LINES)
        .collect()
}

/// What a reading brings: the values, and the protocols in the file.
pub type CohortRead = Result<(Vec<PatientValues>, Vec<String>), String>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleKind {
    FallPercent,
    FallBy,
}

pub struct CohortScreen {
    pub measures: Vec<CohortMeasure>,
    pub measure: usize,
    pub align: Align,
    pub protocol: Option<String>,
    pub protocols: Vec<String>,
    pub diagnosis: String,
    pub enrolled_from: String,
    pub enrolled_to: String,
    /// Hand-picked patients: MRNs separated by commas or spaces (empty: all).
    pub mrns: String,
    pub at_text: String,
    pub baseline_text: String,
    pub window_text: String,
    pub rule: RuleKind,
    pub rule_amount: String,
    /// The day the responder rule looks at (one of the days listed).
    pub rule_day: i64,
    /// The plot (with the summaries and responders), or the table.
    pub show_table: bool,
    pub problem: Option<String>,
    /// What was read, and for which measure and units.
    values: Vec<PatientValues>,
    read_for: Option<(CohortMeasure, Align, UnitSystem)>,
    pub table: Option<Cohort>,
    options: CohortOptions,
    bands: Vec<WeekBand>,
    lines: Vec<PatientLine>,
    markers: Vec<(u32, f64, usize)>,
    pub loading: bool,
    pub wants_read: bool,
    pub error: Option<String>,
    /// The values being read.
    job: Option<Job<CohortRead>>,
}

impl CohortScreen {
    pub fn new(catalog: &Catalog) -> Self {
        let measures = CohortMeasure::all(catalog);
        let measure = measures
            .iter()
            .position(|m| *m == CohortMeasure::Lab("bili_total".into()))
            .unwrap_or(0);
        Self {
            measures,
            measure,
            align: Align::FirstCycle,
            protocol: None,
            protocols: Vec::new(),
            diagnosis: String::new(),
            enrolled_from: String::new(),
            enrolled_to: String::new(),
            mrns: String::new(),
            at_text: "14, 30, 90, 180".to_owned(),
            baseline_text: "14".to_owned(),
            window_text: "7".to_owned(),
            rule: RuleKind::FallPercent,
            rule_amount: "30".to_owned(),
            rule_day: 30,
            show_table: false,
            problem: None,
            values: Vec::new(),
            read_for: None,
            table: None,
            options: CohortOptions {
                baseline_days: 14,
                at_days: vec![14, 30, 90, 180],
                window_days: 7,
            },
            bands: Vec::new(),
            lines: Vec::new(),
            markers: Vec::new(),
            loading: false,
            wants_read: true,
            job: None,
            error: None,
        }
    }

    /// What the thread reads: the measure, alignment and filter chosen.
    pub fn request(&self) -> Result<(CohortMeasure, Align, CohortFilter), String> {
        let date = |t: &str, label: &str| -> Result<Option<jiff::civil::Date>, String> {
            match t.trim() {
                "" => Ok(None),
                t => parse_iso_date(t)
                    .map(Some)
                    .ok_or_else(|| format!("{label}: \"{t}\" is not a date: enter it as YYYY-MM-DD")),
            }
        };
        let filter = CohortFilter {
            protocol: self.protocol.clone(),
            diagnosis: Some(self.diagnosis.trim().to_owned()).filter(|d| !d.is_empty()),
            enrolled_from: date(&self.enrolled_from, "Enrolled from")?,
            enrolled_to: date(&self.enrolled_to, "Enrolled to")?,
            mrns: {
                let mrns: Vec<String> = self
                    .mrns
                    .split([',', ' ', ';'])
                    .map(str::trim)
                    .filter(|m| !m.is_empty())
                    .map(str::to_owned)
                    .collect();
                (!mrns.is_empty()).then_some(mrns)
            },
        };
        Ok((self.measures[self.measure].clone(), self.align, filter))
    }

    /// The values read.
    /// Starts reading the values when asked (once the reading under way has
    /// ended), on a thread with its own read-only connection, and takes
    /// what arrived.
    pub fn poll(&mut self, ctx: &egui::Context, location: &Location, catalog: &Catalog, system: UnitSystem) {
        if self.wants_read && self.job.is_none() {
            self.wants_read = false;
            if let Ok((measure, align, filter)) = self.request() {
                self.loading = true;
                let (location, catalog) = (location.clone(), catalog.clone());
                self.job = Some(Job::spawn(ctx, "cohort", move |_| {
                    let read = location.open_read_only().and_then(|store| {
                        let values = store.cohort_values(&measure, align, system, &catalog, &filter)?;
                        Ok((values, store.protocol_names()?))
                    });
                    read.map_err(|e| e.to_string())
                }));
            }
        }
        if let Some(read) = Job::take(&mut self.job) {
            self.set_values(read.unwrap_or_else(|_| Err("the reading stopped".to_owned())), system);
        }
    }

    /// Whether the values are being read (or about to be).
    pub fn reading(&self) -> bool {
        self.wants_read || self.job.is_some()
    }

    pub fn set_values(&mut self, read: CohortRead, system: UnitSystem) {
        self.loading = false;
        match read {
            Ok((values, protocols)) => {
                self.values = values;
                self.protocols = protocols;
                self.error = None;
                self.read_for = Some((self.measures[self.measure].clone(), self.align, system));
                self.bands = weekly_bands(&self.values, MIN_BAND_N);
                self.lines = patient_lines(&self.values);
                self.markers = cycle_markers(&self.values);
                self.recompute();
            }
            Err(e) => {
                self.error = Some(e);
                self.table = None;
            }
        }
    }

    /// The options typed, or what is wrong with them.
    fn typed_options(&self) -> Result<CohortOptions, String> {
        let at: Result<Vec<i64>, _> = self
            .at_text
            .split([',', ' '])
            .filter(|t| !t.trim().is_empty())
            .map(|t| t.trim().parse::<i64>())
            .collect();
        let at_days = match at {
            Ok(v) if !v.is_empty() && v.iter().all(|d| (1..=3650).contains(d)) => v,
            _ => {
                return Err(format!(
                    "Days: \"{}\" is not a list of days after day 0: enter whole numbers such as 14, 30, 90, 180",
                    self.at_text.trim()
                ));
            }
        };
        let days = |t: &str, label: &str| match t.trim().parse::<i64>() {
            Ok(d) if (0..=365).contains(&d) => Ok(d),
            _ => Err(format!(
                "{label}: \"{}\" is not a number of days from 0 to 365",
                t.trim()
            )),
        };
        Ok(CohortOptions {
            baseline_days: days(&self.baseline_text, "Baseline window")?,
            at_days,
            window_days: days(&self.window_text, "Day window")?,
        })
    }

    /// The table again from the values read (no reading).
    fn recompute(&mut self) {
        match self.typed_options() {
            Ok(o) => {
                self.problem = None;
                // The rule keeps its day while it is listed, else takes the first.
                if !o.at_days.contains(&self.rule_day) {
                    self.rule_day = o.at_days[0];
                }
                self.table = Some(cohort(&self.values, &o));
                self.options = o;
            }
            Err(e) => self.problem = Some(e),
        }
    }

    fn responder(&self) -> Option<Responder> {
        let amount: f64 = self.rule_amount.trim().replace(',', ".").parse().ok()?;
        Some(match self.rule {
            RuleKind::FallPercent => Responder::FallPercent {
                index: self.options.at_days.iter().position(|d| *d == self.rule_day)?,
                percent: amount,
            },
            RuleKind::FallBy => Responder::FallBy {
                index: self.options.at_days.iter().position(|d| *d == self.rule_day)?,
                points: amount,
            },
        })
    }

    /// The cohort as a printed report: what was chosen, the plot, the
    /// summaries, the responders and the table.
    pub fn report(
        &self,
        catalog: &Catalog,
        text: clinilog_interop::cohort_report::CohortReportText,
    ) -> Option<clinilog_interop::cohort_report::CohortReport> {
        let table = self.table.as_ref()?;
        let (measure, align, unit_system) = self.read_for.as_ref()?;
        let unit = measure.unit(catalog, *unit_system);
        let mut choices = vec![format!(
            "{} ({unit}), day 0 at {}",
            measure.name(catalog),
            match align {
                Align::FirstCycle => "the first cycle",
                Align::Enrolment => "enrolment",
            }
        )];
        let mut who = vec![
            self.protocol
                .as_ref()
                .map_or("all patients".to_owned(), |p| format!("on \"{p}\"")),
        ];
        if !self.diagnosis.trim().is_empty() {
            who.push(format!("diagnosis contains \"{}\"", self.diagnosis.trim()));
        }
        if !self.enrolled_from.trim().is_empty() || !self.enrolled_to.trim().is_empty() {
            who.push(format!(
                "enrolled {} to {}",
                self.enrolled_from.trim(),
                self.enrolled_to.trim()
            ));
        }
        if !self.mrns.trim().is_empty() {
            who.push(format!("MRNs {}", self.mrns.trim()));
        }
        choices.push(format!(
            "Patients: {}; {} with a day 0, {} without one left out",
            who.join(", "),
            grouped(table.rows.len() as u64),
            grouped(table.without_day0 as u64)
        ));
        choices.push(format!(
            "Baseline: the last value up to {} days before day 0; each day: the value nearest within {} days",
            self.options.baseline_days, self.options.window_days
        ));
        let responders = self.responder_line(&unit).unwrap_or_default();
        Some(clinilog_interop::cohort_report::cohort_report(
            &self.values,
            table,
            &self.options,
            &self.bands,
            &self.markers,
            &unit,
            clinilog_interop::cohort_report::CohortReportText {
                choices,
                responders,
                ..text
            },
        ))
    }

    /// "Responders (a fall of at least 30 % at day 30): 894 of 10,000 ...".
    fn responder_line(&self, unit: &str) -> Option<String> {
        let (rule, t) = (self.responder()?, self.table.as_ref()?);
        let told: Vec<bool> = t.rows.iter().filter_map(|r| rule.meets(r)).collect();
        let yes = told.iter().filter(|m| **m).count();
        Some(format!(
            "Responders (a fall of at least {} {} at day {}): {} of {} patients with a baseline and a value at that \
             day ({} cannot be told).",
            self.rule_amount.trim(),
            match self.rule {
                RuleKind::FallPercent => "%",
                RuleKind::FallBy => unit,
            },
            self.rule_day,
            grouped(yes as u64),
            grouped(told.len() as u64),
            grouped((t.rows.len() - told.len()) as u64)
        ))
    }

    /// The table as CSV.
    pub fn csv(&self) -> Option<String> {
        let t = self.table.as_ref()?;
        let (header, rows) = clinilog_interop::csv::cohort_table(t, &self.options.at_days);
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        clinilog_interop::csv::table_text(&header, rows).ok()
    }

    pub fn ui(&mut self, ui: &mut Ui, catalog: &Catalog, units: UnitSystem) -> Option<Action> {
        let mut action = None;
        let measure = self.measures[self.measure].clone();
        let unit = measure.unit(catalog, units);
        ui.heading("Cohort outcomes");
        let mut changed_read = false;
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Measure");
            let names: Vec<String> = self
                .measures
                .iter()
                .map(|m| match m {
                    CohortMeasure::Lab(_) => m.name(catalog),
                    CohortMeasure::Score(_) => format!("{} (score)", m.name(catalog)),
                })
                .collect();
            let before = self.measure;
            egui::ComboBox::from_id_salt("cohort_measure")
                .selected_text(&names[self.measure])
                .width(200.0)
                .height(500.0)
                .show_ui(ui, |ui| {
                    for (i, n) in names.iter().enumerate() {
                        ui.selectable_value(&mut self.measure, i, n);
                    }
                })
                .response
                .labelled_by(label.id);
            changed_read |= before != self.measure;
            let label = ui.label("Day 0");
            let before = self.align;
            egui::ComboBox::from_id_salt("cohort_align")
                .selected_text(match self.align {
                    Align::FirstCycle => "first cycle",
                    Align::Enrolment => "enrolment",
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.align, Align::FirstCycle, "first cycle");
                    ui.selectable_value(&mut self.align, Align::Enrolment, "enrolment");
                })
                .response
                .labelled_by(label.id);
            changed_read |= before != self.align;
            let label = ui.label("Protocol");
            let before = self.protocol.clone();
            let protocols = self.protocols.clone();
            egui::ComboBox::from_id_salt("cohort_protocol")
                .selected_text(self.protocol.as_deref().unwrap_or("all patients"))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.protocol, None, "all patients");
                    for p in protocols {
                        ui.selectable_value(&mut self.protocol, Some(p.clone()), p);
                    }
                })
                .response
                .labelled_by(label.id);
            changed_read |= before != self.protocol;
        });
        ui.horizontal_wrapped(|ui| {
            let field = |ui: &mut Ui, label: &str, text: &mut String, width: f32, hint: &str| {
                let l = ui.label(label);
                let r = ui
                    .add(egui::TextEdit::singleline(text).desired_width(width).hint_text(hint))
                    .labelled_by(l.id);
                r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter))
            };
            changed_read |= field(ui, "Diagnosis contains", &mut self.diagnosis, 140.0, "any");
            changed_read |= field(
                ui,
                "Enrolled from",
                &mut self.enrolled_from,
                theme::DATE_FIELD_WIDTH,
                "YYYY-MM-DD",
            );
            changed_read |= field(ui, "to", &mut self.enrolled_to, theme::DATE_FIELD_WIDTH, "YYYY-MM-DD");
            changed_read |= field(ui, "Only MRNs", &mut self.mrns, 160.0, "all");
            if ui
                .button("Show")
                .on_hover_text("Read the values again with these choices")
                .clicked()
            {
                changed_read = true;
            }
        });
        let mut changed_table = false;
        ui.horizontal_wrapped(|ui| {
            let field = |ui: &mut Ui, label: &str, text: &mut String, width: f32| {
                let l = ui.label(label);
                ui.add(egui::TextEdit::singleline(text).desired_width(width))
                    .labelled_by(l.id)
                    .changed()
            };
            changed_table |= field(ui, "Days", &mut self.at_text, 130.0);
            changed_table |= field(ui, "Baseline: up to (days before day 0)", &mut self.baseline_text, 40.0);
            changed_table |= field(ui, "Values within (days)", &mut self.window_text, 40.0);
        });
        if changed_read {
            match self.request() {
                Ok(_) => self.wants_read = true,
                Err(e) => self.problem = Some(e),
            }
        }
        if changed_table {
            self.recompute();
        }
        field_message(ui, self.problem.as_deref());
        if let Some(e) = &self.error {
            field_message(ui, Some(&format!("The cohort could not be read: {e}")));
            return None;
        }
        if self.loading && self.table.is_none() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Reading the values...");
            });
            return None;
        }
        let Some(table) = &self.table else {
            return None;
        };
        let stale = self
            .read_for
            .as_ref()
            .is_some_and(|(m, a, u)| *m != measure || *a != self.align || *u != units);
        let mut show_table = self.show_table;
        ui.horizontal(|ui| {
            ui.selectable_value(&mut show_table, false, "Plot");
            ui.selectable_value(&mut show_table, true, "Table");
            ui.separator();
            muted(
                ui,
                format!(
                    "{} patient{} with a day 0; {} without one left out{}",
                    grouped(table.rows.len() as u64),
                    if table.rows.len() == 1 { "" } else { "s" },
                    grouped(table.without_day0 as u64),
                    if stale { " (reading the new choice...)" } else { "" }
                ),
            );
            if self.loading {
                ui.spinner();
            }
            if ui.button("Export CSV").clicked()
                && let Some(csv) = self.csv()
            {
                action = Some(Action::ExportCsv(csv));
            }
            if ui
                .button("Print report")
                .on_hover_text(
                    "Save the cohort as PDF: the choices, the plot, the summaries, the responders, the table",
                )
                .clicked()
            {
                action = Some(Action::PrintCohort);
            }
        });
        if table.rows.is_empty() {
            empty_state(
                ui,
                "No patient with a day 0 among those chosen.",
                "Day 0 is the first treatment cycle (record treatments with their cycle number), or choose enrolment.",
            );
            return action;
        }
        self.show_table = show_table;
        let name = self
            .read_for
            .as_ref()
            .map_or(measure.name(catalog), |(m, ..)| m.name(catalog));
        if self.show_table {
            self.summary_ui(ui, table_days(&self.options));
            if let Some(a) = self.table_ui(ui) {
                action = Some(a);
            }
            return action;
        }
        egui::ScrollArea::vertical().show(ui, |ui| {
            if let Some(a) = self.plot(ui, &name, &unit) {
                action = Some(a);
            }
            self.summary_ui(ui, table_days(&self.options));
            self.responder_ui(ui, &unit);
        });
        action
    }

    /// The plot: a line per patient (up to [`MAX_LINES`]), the weekly IQR
    /// band and median, the cycles' median days; hovering names the
    /// patient, a click opens it.
    fn plot(&self, ui: &mut Ui, name: &str, unit: &str) -> Option<Action> {
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
            .x_grid_spacer(move |input| super::trends::axis::week_marks(input, width, 0.0))
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

    fn summary_ui(&self, ui: &mut Ui, days: &[i64]) {
        let Some(t) = &self.table else { return };
        let text = |s: &Option<Spread>, d: usize, suffix: &str| match s {
            Some(s) => format!(
                "n={}, median {:+.d$}{suffix} (IQR {:+.d$} to {:+.d$}{suffix})",
                grouped(s.n as u64),
                s.median,
                s.q1,
                s.q3
            ),
            None => "n=0".to_owned(),
        };
        ui.add_space(theme::SECTION_GAP);
        ui.strong("Change from baseline");
        egui::Grid::new("cohort_summary").striped(true).show(ui, |ui| {
            for (i, d) in days.iter().enumerate() {
                ui.label(format!("Day {d}"));
                ui.label(text(&t.change_spread[i], 2, ""));
                ui.label(text(&t.change_percent_spread[i], 1, "%"));
                ui.end_row();
            }
        });
    }

    fn responder_ui(&mut self, ui: &mut Ui, unit: &str) {
        ui.add_space(theme::SECTION_GAP);
        ui.horizontal(|ui| {
            ui.strong("Responders:");
            let l = ui.label("a fall of at least");
            ui.add(egui::TextEdit::singleline(&mut self.rule_amount).desired_width(40.0))
                .labelled_by(l.id);
            let l = ui.label("in");
            egui::ComboBox::from_id_salt("cohort_rule")
                .selected_text(match self.rule {
                    RuleKind::FallPercent => "%".to_owned(),
                    RuleKind::FallBy => unit.to_owned(),
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.rule, RuleKind::FallPercent, "%");
                    ui.selectable_value(&mut self.rule, RuleKind::FallBy, unit);
                })
                .response
                .labelled_by(l.id);
            let l = ui.label("at day");
            let days = self.options.at_days.clone();
            egui::ComboBox::from_id_salt("cohort_rule_day")
                .selected_text(self.rule_day.to_string())
                .show_ui(ui, |ui| {
                    for d in &days {
                        ui.selectable_value(&mut self.rule_day, *d, d.to_string());
                    }
                })
                .response
                .labelled_by(l.id);
        });
        let (Some(rule), Some(t)) = (self.responder(), &self.table) else {
            field_message(ui, Some("Responders: the amount is not a number"));
            return;
        };
        let told: Vec<(&str, bool)> = t
            .rows
            .iter()
            .filter_map(|r| rule.meets(r).map(|m| (r.name.as_str(), m)))
            .collect();
        let yes: Vec<&str> = told.iter().filter(|(_, m)| *m).map(|(n, _)| *n).collect();
        ui.label(format!(
            "{} of {} patients with a baseline and a value at that day responded ({} cannot be told)",
            grouped(yes.len() as u64),
            grouped(told.len() as u64),
            grouped((t.rows.len() - told.len()) as u64)
        ));
        if !yes.is_empty() {
            egui::CollapsingHeader::new(format!("Responders ({})", yes.len()))
                .id_salt("cohort_responders")
                .show(ui, |ui| {
                    ui.label(yes.join(", "));
                });
        }
    }

    fn table_ui(&self, ui: &mut Ui) -> Option<Action> {
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

fn table_days(o: &CohortOptions) -> &[i64] {
    &o.at_days
}
