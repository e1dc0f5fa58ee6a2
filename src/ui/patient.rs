//! The patient screen: header, and the Log, Treatments and Trends tabs.
//!
//! Everything drawn here comes from the view model loaded when the patient
//! was opened or after a save; nothing is queried while drawing.

use eframe::egui::{self, RichText, Ui};
use egui_extras::{Column, TableBuilder};
use jiff::civil::Date;

use super::entry_form::{EntryForm, EntrySave, entry_form_ui};
use super::patients::{FormOutcome, PatientForm, patient_form_ui};
use super::treatments::{TreatmentForm, treatments_ui};
use super::trends::{TrendsAction, TrendsModel, TrendsState, trends_ui};
use super::widgets::{flag_color, muted, score_terms_ui};
use super::{Action, theme};
use crate::domain::catalog::{UnitSystem, display_unit};
use crate::domain::history::describe;
use crate::domain::score_inputs::{EntryScores, all_entry_scores};
use crate::domain::scores::ScoreKind;
use crate::domain::{Catalog, Entry, Flag, Origin, Patient, TreatmentEvent};
use crate::store::{AuditRecord, local_time};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Log,
    Treatments,
    Trends,
    History,
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
    pub history: Vec<HistoryRow>,
    pub tab: Tab,
    pub entry_form: Option<EntryForm>,
    pub treatment_form: Option<TreatmentForm>,
    /// The treatment event whose void is being confirmed, with the reason typed.
    pub treatment_void: Option<(i64, String)>,
    /// "Edit details" of the patient.
    pub details_form: Option<PatientForm>,
    /// What is typed as the reason for voiding the open entry.
    pub void_reason: String,
    pub trends_state: TrendsState,
}

impl PatientScreen {
    pub fn new(
        patient: Patient,
        entries: Vec<Entry>,
        treatments: Vec<TreatmentEvent>,
        audit: &[AuditRecord],
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
            history: Vec::new(),
            tab: Tab::Log,
            entry_form: None,
            treatment_form: None,
            treatment_void: None,
            details_form: None,
            void_reason: String::new(),
            trends_state: TrendsState::default(),
        };
        screen.reload(entries, treatments, audit, catalog);
        screen
    }

    /// Replaces the loaded data, keeping the tab and any open form.
    pub fn reload(
        &mut self,
        entries: Vec<Entry>,
        treatments: Vec<TreatmentEvent>,
        audit: &[AuditRecord],
        catalog: &Catalog,
    ) {
        self.entries = entries;
        self.treatments = treatments;
        self.history = HistoryRow::build(audit, catalog);
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
            if self.details_form.is_none() && ui.button("Edit details").clicked() {
                self.details_form = Some(PatientForm::edit(&self.patient));
            }
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
        if let Some(form) = &mut self.details_form {
            ui.separator();
            match patient_form_ui(ui, form, today) {
                FormOutcome::Save(data) => {
                    action = Some(Action::UpdatePatient {
                        patient: Box::new(self.patient.clone()),
                        data,
                        reason: form.reason.trim().to_owned(),
                    })
                }
                FormOutcome::Cancel => {
                    action = Some(Action::DiscardDraft(format!("patient:edit:{}", self.patient.id)));
                    self.details_form = None;
                }
                FormOutcome::Editing => {}
            }
        }
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.tab, Tab::Log, format!("Log ({})", self.entries.len()));
            ui.selectable_value(
                &mut self.tab,
                Tab::Treatments,
                format!("Treatments ({})", self.treatments.len()),
            );
            ui.selectable_value(&mut self.tab, Tab::Trends, "Trends");
            ui.selectable_value(&mut self.tab, Tab::History, format!("History ({})", self.history.len()));
        });
        ui.separator();
        let tab_action = match self.tab {
            Tab::Log => self.log_ui(ui, catalog, today, clinician),
            Tab::Treatments => treatments_ui(
                ui,
                &self.treatments,
                &mut self.treatment_form,
                &mut self.treatment_void,
                &self.patient,
                today,
                clinician,
            ),
            Tab::Trends => match trends_ui(ui, &self.trends, &mut self.trends_state, today) {
                Some(TrendsAction::OpenEntry(id)) => {
                    self.tab = Tab::Log;
                    self.breakdown = Some(id);
                    self.void_reason.clear();
                    None
                }
                Some(TrendsAction::ExportCsv(csv)) => Some(Action::ExportCsv(csv)),
                Some(TrendsAction::ExportPng(rect)) => Some(Action::ExportPng(rect)),
                None => None,
            },
            Tab::History => {
                history_ui(ui, &self.history);
                None
            }
        };
        action.or(tab_action)
    }

    fn log_ui(&mut self, ui: &mut Ui, catalog: &Catalog, today: Date, clinician: &str) -> Option<Action> {
        if let Some(form) = &mut self.entry_form {
            let patient = &self.patient;
            let history = &self.entries;
            let mut discard = false;
            let mut reload = false;
            let outcome = egui::ScrollArea::vertical()
                .id_salt("entry_form_scroll")
                .show(ui, |ui| {
                    entry_form_ui(ui, form, catalog, patient, history, today, &mut discard, &mut reload)
                })
                .inner;
            if reload {
                return Some(Action::ReloadPatient);
            }
            if discard {
                let key = form.draft_key(patient.id);
                let fresh = match &form.editing {
                    Some(e) => EntryForm::edit(e, catalog, patient, history),
                    None => EntryForm::new(catalog, patient, today, clinician, history, self.units),
                };
                *form = fresh;
                return Some(Action::DiscardDraft(key));
            }
            return match outcome {
                FormOutcome::Save(EntrySave::New(data)) => Some(Action::RecordEntry(data)),
                FormOutcome::Save(EntrySave::Edit { entry, data, reason }) => {
                    Some(Action::EditEntry { entry, data, reason })
                }
                FormOutcome::Cancel => {
                    let key = form.draft_key(patient.id);
                    self.entry_form = None;
                    Some(Action::DiscardDraft(key))
                }
                FormOutcome::Editing => None,
            };
        }
        if ui.button("New entry").clicked() {
            self.entry_form = Some(EntryForm::new(
                catalog,
                &self.patient,
                today,
                clinician,
                &self.entries,
                self.units,
            ));
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
            muted(
                ui,
                "back. Click a date to see the entry's scores, or to edit or void it.",
            );
            if changed {
                self.rebuild(catalog);
            }
        });
        let mut action = None;
        if let Some(id) = self.breakdown {
            let mut open = true;
            let entry = self.entries.iter().find(|e| e.id == id);
            if let (Some(entry), Some(scores)) = (entry, self.scores.iter().find(|s| s.entry_id == id)) {
                egui::Window::new(format!("Entry of {}", entry.data.collected_on))
                    .id(egui::Id::unique(("entry_window", id)))
                    .open(&mut open)
                    .default_pos(theme::BREAKDOWN_POS)
                    .default_width(560.0)
                    .default_height(620.0)
                    .vscroll(true)
                    .show(ui.ctx(), |ui| {
                        ui.horizontal(|ui| {
                            if ui.button("Edit entry").clicked() {
                                self.entry_form = Some(EntryForm::edit(entry, catalog, &self.patient, &self.entries));
                            }
                            let label = ui.label("Reason for voiding");
                            ui.add(egui::TextEdit::singleline(&mut self.void_reason).desired_width(200.0))
                                .labelled_by(label.id);
                            let can_void = !self.void_reason.trim().is_empty();
                            if ui
                                .add_enabled(can_void, egui::Button::new("Void entry"))
                                .on_disabled_hover_text("Give a reason first")
                                .on_hover_text("Leaves the Log and the plots; stays in the file and the History")
                                .clicked()
                            {
                                action = Some(Action::VoidEntry {
                                    entry: Box::new(entry.clone()),
                                    reason: self.void_reason.trim().to_owned(),
                                });
                            }
                        });
                        muted(
                            ui,
                            format!(
                                "Recorded by {} at {}",
                                entry.data.recorded_by,
                                local_time(&entry.recorded_at)
                            ),
                        );
                        ui.separator();
                        score_breakdown_ui(ui, scores);
                    });
            }
            if !open || self.entry_form.is_some() {
                self.breakdown = None;
            }
        }
        egui::ScrollArea::horizontal()
            .id_salt("log_hscroll")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                if let Some(id) = log_table_ui(ui, &self.log) {
                    self.breakdown = Some(id);
                    self.void_reason.clear();
                }
            });
        action
    }
}

/// One row of the History tab, built when the patient is loaded.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryRow {
    pub when: String,
    pub who: String,
    pub what: String,
    pub changes: Vec<String>,
    pub reason: String,
}

impl HistoryRow {
    pub fn build(records: &[AuditRecord], catalog: &Catalog) -> Vec<Self> {
        records
            .iter()
            .rev()
            .map(|a| {
                let line = describe(
                    &a.table,
                    &a.action,
                    a.before_json.as_deref(),
                    a.after_json.as_deref(),
                    catalog,
                );
                HistoryRow {
                    when: local_time(&a.at_utc),
                    who: a.user.clone(),
                    what: line.what,
                    changes: line.changes,
                    reason: a.reason.clone().unwrap_or_default(),
                }
            })
            .collect()
    }
}

fn history_ui(ui: &mut Ui, rows: &[HistoryRow]) {
    muted(
        ui,
        "Every change to this patient's record, newest first. Times are local; the file keeps them in UTC.",
    );
    egui::ScrollArea::vertical()
        .id_salt("history_scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            egui::Grid::new("history_grid")
                .num_columns(5)
                .striped(true)
                .spacing([12.0, 6.0])
                .show(ui, |ui| {
                    for h in ["When", "Who", "What", "Values (before -> after)", "Reason"] {
                        ui.label(RichText::new(h).strong());
                    }
                    ui.end_row();
                    for r in rows {
                        ui.label(&r.when);
                        ui.label(&r.who);
                        ui.label(&r.what);
                        ui.vertical(|ui| {
                            ui.set_min_width(theme::HISTORY_VALUES_WIDTH);
                            for c in &r.changes {
                                ui.label(c);
                            }
                        });
                        ui.label(&r.reason);
                        ui.end_row();
                    }
                });
        });
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
                score_terms_ui(ui, r, ("breakdown_terms", scores.entry_id));
            }
            Err(e) => {
                ui.label(RichText::new(kind.label()).strong());
                muted(ui, e.to_string());
            }
        }
    }
}
