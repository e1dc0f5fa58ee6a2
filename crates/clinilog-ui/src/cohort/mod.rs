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

mod plot;

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
use plot::table_days;

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
}
