//! The patient screen: header, and the Log, Treatments and Trends tabs.
//!
//! Everything drawn here comes from the view model loaded when the patient
//! was opened or after a save; nothing is queried while drawing.

use eframe::egui::{self, RichText, Ui};
use egui_extras::{Column, TableBuilder};
use jiff::civil::Date;

use super::entry_form::{EntryForm, entry_form_ui};
use super::patients::FormOutcome;
use super::treatments::{TreatmentForm, treatments_ui};
use super::trends::{TrendsModel, trends_ui};
use super::widgets::{flag_color, muted};
use super::{Action, theme};
use crate::domain::catalog::{UnitSystem, display_unit};
use crate::domain::score_inputs::{EntryScores, all_entry_scores};
use crate::domain::scores::ScoreKind;
use crate::domain::{Catalog, Entry, Flag, Origin, Patient, TreatmentEvent};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Log,
    Treatments,
    Trends,
}

/// One cell of the log table.
#[derive(Clone, Debug, PartialEq)]
pub struct LogCell {
    pub text: String,
    pub flag: Flag,
    pub calculated: bool,
    /// Why a score is missing, or which inputs were carried.
    pub hover: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LogRow {
    pub entry_id: i64,
    pub date: Date,
    pub cells: Vec<Option<LogCell>>,
    pub note: String,
    pub recorded_by: String,
}

/// The Log tab's table: one column per measure ever recorded for this
/// patient (catalog order, unit in the header), entries newest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogModel {
    pub headers: Vec<String>,
    pub rows: Vec<LogRow>,
}

impl LogModel {
    /// `scores` are the entries' scores, in the same order as `entries`.
    pub fn build(
        entries: &[Entry],
        catalog: &Catalog,
        patient: &Patient,
        scores: &[EntryScores],
        units: UnitSystem,
    ) -> Self {
        let sex = patient.data.sex;
        // Every value in the unit of the display preference.
        let per_entry: Vec<Vec<_>> = entries
            .iter()
            .map(|e| {
                e.data
                    .lab_values(catalog, sex)
                    .into_iter()
                    .map(|(lab, origin)| match catalog.measure(&lab.code).and_then(|m| m.lab()) {
                        Some(spec) => (lab.in_unit(spec, spec.unit_for(units)), origin),
                        None => (lab, origin),
                    })
                    .collect()
            })
            .collect();
        let mut codes: Vec<&str> = Vec::new();
        for values in &per_entry {
            for (lab, _) in values {
                if !codes.contains(&lab.code.as_str()) {
                    codes.push(&lab.code);
                }
            }
        }
        for e in entries {
            for s in &e.data.symptoms {
                if !codes.contains(&s.code.as_str()) {
                    codes.push(&s.code);
                }
            }
        }
        codes.sort_by_key(|c| catalog.order_of(c));
        // Scores first: they are what a decision looks at.
        let headers = ScoreKind::ALL
            .into_iter()
            .map(|k| k.label().to_owned())
            .chain(codes.iter().map(|c| {
                catalog.measure(c).map_or_else(
                    || (*c).to_owned(),
                    |m| match m.lab() {
                        Some(spec) => format!("{} ({})", m.name, display_unit(spec.unit_for(units))),
                        None => m.label_with_unit(),
                    },
                )
            }))
            .collect();
        let rows = entries
            .iter()
            .zip(&per_entry)
            .enumerate()
            .map(|(i, (e, values))| LogRow {
                entry_id: e.id,
                date: e.data.collected_on,
                cells: ScoreKind::ALL
                    .into_iter()
                    .map(|kind| score_cell(scores.get(i), kind))
                    .chain(codes.iter().map(|code| {
                        if let Some((lab, origin)) = values.iter().find(|(l, _)| l.code == *code) {
                            let calculated = *origin == Origin::Calculated;
                            return Some(LogCell {
                                text: if calculated {
                                    format!("{} (calc.)", lab.display())
                                } else {
                                    lab.display()
                                },
                                flag: lab.flag,
                                calculated,
                                hover: None,
                            });
                        }
                        let value = e.data.symptom(code)?;
                        let scale = catalog.measure(code).and_then(|m| m.scale())?;
                        Some(LogCell {
                            text: scale.short(value),
                            flag: Flag::Normal,
                            calculated: false,
                            hover: None,
                        })
                    }))
                    .collect(),
                note: e.data.note.clone(),
                recorded_by: e.data.recorded_by.clone(),
            })
            .collect();
        Self { headers, rows }
    }
}

/// A score cell: the value and class, or "-" with the missing inputs on hover.
fn score_cell(scores: Option<&EntryScores>, kind: ScoreKind) -> Option<LogCell> {
    let result = scores?.result(kind)?;
    Some(match result {
        Ok(r) => {
            let carried: Vec<String> = scores?
                .carried()
                .iter()
                .map(|u| format!("{} {} ({})", u.name, u.value, u.source.describe()))
                .collect();
            LogCell {
                text: r.display(),
                flag: Flag::Normal,
                calculated: true,
                hover: Some(if carried.is_empty() {
                    r.version.to_owned()
                } else {
                    format!("{}\nCarried: {}", r.version, carried.join("; "))
                }),
            }
        }
        Err(e) => LogCell {
            text: "-".to_owned(),
            flag: Flag::Normal,
            calculated: false,
            hover: Some(e.to_string()),
        },
    })
}

/// The view model of one patient.
pub struct PatientScreen {
    pub patient: Patient,
    pub entries: Vec<Entry>,
    pub treatments: Vec<TreatmentEvent>,
    pub log: LogModel,
    pub trends: TrendsModel,
    pub scores: Vec<EntryScores>,
    /// Days a missing score input may be carried from an earlier entry.
    pub carry_days: i64,
    /// Conventional or SI units for every value shown.
    pub units: UnitSystem,
    /// The entry whose score breakdown is open.
    pub breakdown: Option<i64>,
    pub tab: Tab,
    pub entry_form: Option<EntryForm>,
    pub treatment_form: Option<TreatmentForm>,
}

impl PatientScreen {
    pub fn new(
        patient: Patient,
        entries: Vec<Entry>,
        treatments: Vec<TreatmentEvent>,
        catalog: &Catalog,
        carry_days: i64,
        units: UnitSystem,
    ) -> Self {
        let mut screen = Self {
            patient,
            entries: Vec::new(),
            treatments: Vec::new(),
            log: LogModel::default(),
            trends: TrendsModel::default(),
            scores: Vec::new(),
            carry_days,
            units,
            breakdown: None,
            tab: Tab::Log,
            entry_form: None,
            treatment_form: None,
        };
        screen.reload(entries, treatments, catalog);
        screen
    }

    /// Replaces the loaded data, keeping the tab and any open form.
    pub fn reload(&mut self, entries: Vec<Entry>, treatments: Vec<TreatmentEvent>, catalog: &Catalog) {
        self.entries = entries;
        self.treatments = treatments;
        self.rebuild(catalog);
    }

    /// Rebuilds the view models from the loaded data (no query).
    pub fn rebuild(&mut self, catalog: &Catalog) {
        self.scores = all_entry_scores(&self.entries, &self.patient, catalog, self.carry_days);
        self.log = LogModel::build(&self.entries, catalog, &self.patient, &self.scores, self.units);
        self.trends = TrendsModel::build(
            &self.entries,
            &self.treatments,
            catalog,
            &self.patient,
            &self.scores,
            self.units,
        );
    }

    pub fn ui(&mut self, ui: &mut Ui, catalog: &Catalog, today: Date, clinician: &str) -> Option<Action> {
        let mut action = None;
        let p = &self.patient.data;
        ui.horizontal(|ui| {
            if ui
                .button("< Patients")
                .on_hover_text("Back to the patient list")
                .clicked()
            {
                action = Some(Action::ShowPatients);
            }
            ui.heading(&p.name);
        });
        ui.horizontal_wrapped(|ui| {
            muted(ui, "MRN");
            ui.label(&p.mrn);
            muted(ui, "Age");
            ui.label(format!("{} y", self.patient.age_on(today)));
            muted(ui, "Sex");
            ui.label(p.sex.label());
            muted(ui, "Diagnosis");
            ui.label(if p.diagnosis.is_empty() {
                "not recorded"
            } else {
                &p.diagnosis
            });
            muted(ui, "Enrolled");
            ui.label(p.enrolled.to_string());
        });
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.tab, Tab::Log, format!("Log ({})", self.entries.len()));
            ui.selectable_value(
                &mut self.tab,
                Tab::Treatments,
                format!("Treatments ({})", self.treatments.len()),
            );
            ui.selectable_value(&mut self.tab, Tab::Trends, "Trends");
        });
        ui.separator();
        match self.tab {
            Tab::Log => {
                if let Some(a) = self.log_ui(ui, catalog, today, clinician) {
                    action = Some(a);
                }
            }
            Tab::Treatments => {
                if let Some(a) = treatments_ui(
                    ui,
                    &self.treatments,
                    &mut self.treatment_form,
                    &self.patient,
                    today,
                    clinician,
                ) {
                    action = Some(a);
                }
            }
            Tab::Trends => trends_ui(ui, &self.trends),
        }
        action
    }

    fn log_ui(&mut self, ui: &mut Ui, catalog: &Catalog, today: Date, clinician: &str) -> Option<Action> {
        if let Some(form) = &mut self.entry_form {
            let patient = &self.patient;
            let outcome = egui::ScrollArea::vertical()
                .id_salt("entry_form_scroll")
                .show(ui, |ui| entry_form_ui(ui, form, catalog, patient, today))
                .inner;
            return match outcome {
                FormOutcome::Save(data) => Some(Action::RecordEntry(data)),
                FormOutcome::Cancel => {
                    self.entry_form = None;
                    None
                }
                FormOutcome::Editing => None,
            };
        }
        if ui.button("New entry").clicked() {
            self.entry_form = Some(EntryForm::new(catalog, &self.patient, today, clinician));
            return None;
        }
        if self.log.rows.is_empty() {
            ui.add_space(theme::SECTION_GAP);
            ui.label("No entries yet.");
            muted(
                ui,
                "Click \"New entry\" to record this week's lab report, symptom ratings or a note.",
            );
            return None;
        }
        muted(
            ui,
            "Newest first. H above, L below the printed reference interval; (calc.) calculated by Clinilog.",
        );
        ui.horizontal(|ui| {
            let label = muted(ui, "Scores may carry a missing value from an earlier entry up to");
            let changed = ui
                .add(egui::DragValue::new(&mut self.carry_days).range(0..=90).suffix(" days"))
                .labelled_by(label.id)
                .changed();
            muted(ui, "back; click a date for the breakdown.");
            if changed {
                self.rebuild(catalog);
            }
        });
        if let Some(id) = self.breakdown {
            let mut open = true;
            if let Some(scores) = self.scores.iter().find(|s| s.entry_id == id) {
                egui::Window::new(format!("Scores of {}", scores.date))
                    .id(egui::Id::unique(("score_breakdown", id)))
                    .open(&mut open)
                    .default_pos(theme::BREAKDOWN_POS)
                    .default_width(560.0)
                    .default_height(620.0)
                    .vscroll(true)
                    .show(ui.ctx(), |ui| score_breakdown_ui(ui, scores));
            }
            if !open {
                self.breakdown = None;
            }
        }
        egui::ScrollArea::horizontal()
            .id_salt("log_hscroll")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                if let Some(id) = log_table_ui(ui, &self.log) {
                    self.breakdown = Some(id);
                }
            });
        None
    }
}

/// Draws the log; returns the entry whose date was clicked.
fn log_table_ui(ui: &mut Ui, log: &LogModel) -> Option<i64> {
    let mut clicked = None;
    let score_columns = ScoreKind::ALL.len();
    let measure_columns = log.headers.len().saturating_sub(score_columns);
    let mut table = TableBuilder::new(ui)
        .id_salt("log_table")
        .striped(true)
        .resizable(true)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::auto().at_least(90.0));
    for _ in 0..score_columns.min(log.headers.len()) {
        table = table.column(Column::auto().at_least(56.0));
    }
    for _ in 0..measure_columns {
        table = table.column(Column::auto().at_least(80.0));
    }
    table = table
        .column(Column::auto().at_least(240.0).clip(true))
        .column(Column::auto().at_least(100.0));
    table
        .header(40.0, |mut h| {
            h.col(|ui| {
                ui.strong("Date");
            });
            for title in &log.headers {
                h.col(|ui| {
                    ui.add(egui::Label::new(RichText::new(title).strong()).wrap());
                });
            }
            h.col(|ui| {
                ui.strong("Note");
            });
            h.col(|ui| {
                ui.strong("Recorded by");
            });
        })
        .body(|body| {
            body.rows(22.0, log.rows.len(), |mut row| {
                let r = &log.rows[row.index()];
                row.col(|ui| {
                    if ui
                        .link(r.date.to_string())
                        .on_hover_text("Show this entry's scores and their inputs")
                        .clicked()
                    {
                        clicked = Some(r.entry_id);
                    }
                });
                for cell in &r.cells {
                    row.col(|ui| match cell {
                        Some(c) => {
                            let mut text = RichText::new(&c.text).color(flag_color(c.flag));
                            if c.flag != Flag::Normal {
                                text = text.strong();
                            }
                            if c.calculated {
                                text = text.italics();
                            }
                            let response = ui.label(text);
                            if let Some(h) = &c.hover {
                                response.on_hover_text(h);
                            }
                        }
                        None => {
                            ui.label("");
                        }
                    });
                }
                row.col(|ui| {
                    ui.label(&r.note).on_hover_text(&r.note);
                });
                row.col(|ui| {
                    ui.label(&r.recorded_by);
                });
            });
        });
    clicked
}

/// The breakdown of one entry's scores: every input with its value, unit
/// and source, then each score with its terms or points, or what it lacks.
fn score_breakdown_ui(ui: &mut Ui, scores: &EntryScores) {
    ui.label(RichText::new("Inputs").strong());
    egui::Grid::new(("breakdown_inputs", scores.entry_id))
        .striped(true)
        .show(ui, |ui| {
            for u in &scores.used {
                ui.label(u.name);
                ui.label(&u.value);
                muted(ui, u.source.describe());
                ui.end_row();
            }
        });
    for (kind, result) in &scores.results {
        ui.add_space(theme::SECTION_GAP);
        match result {
            Ok(r) => {
                ui.label(RichText::new(format!("{} {}", kind.label(), r.display())).strong());
                muted(ui, r.version);
                egui::Grid::new(("breakdown_terms", scores.entry_id, kind.cli_name())).show(ui, |ui| {
                    for t in &r.terms {
                        ui.label(&t.name);
                        ui.label(format!("{:.3}", t.value));
                        muted(ui, &t.detail);
                        ui.end_row();
                    }
                });
            }
            Err(e) => {
                ui.label(RichText::new(kind.label()).strong());
                muted(ui, e.to_string());
            }
        }
    }
}
