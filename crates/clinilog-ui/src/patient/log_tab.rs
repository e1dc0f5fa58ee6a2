//! The Log tab: the New entry buttons (and a report read into an entry),
//! the entry form with the report's panel beside it, the Log table and the
//! window of one entry (its scores, edit and void).

use eframe::egui::{self, RichText, Ui};
use egui_extras::{Column, TableBuilder};
use jiff::civil::Date;

use super::super::capture::{Answer, PanelAction, Question};
use super::super::entry_form::{edit_entry_form, entry_form_ui, new_entry_form};
use super::super::form::FormOutcome;
use super::super::treatments::Void;
use super::super::widgets::{
    empty_state, field_message, flag_color, muted, new_shortcut, score_terms_ui, write_button,
};
use super::super::{Action, Write, theme};
use super::{LogModel, PatientScreen, Tab};
use clinilog_domain::score_inputs::EntryScores;
use clinilog_domain::{Catalog, Flag};
use clinilog_store::local_time;

impl PatientScreen {
    pub(super) fn log_ui(&mut self, ui: &mut Ui, catalog: &Catalog, today: Date, clinician: &str) -> Option<Action> {
        // A report read on its job: questions first, else the form filled in.
        if let Some(done) = super::super::job::Job::take(&mut self.capture.job) {
            match done {
                Ok(Ok(c)) => {
                    let other = super::super::capture::other_patient(&c, &self.patient).map(|o| (o, false));
                    let ambiguous = match super::super::capture::collection_date(&c, None) {
                        Err(Some(text)) => Some(text),
                        _ => None,
                    };
                    let q = Question {
                        capture: Box::new(c),
                        other_patient: other,
                        ambiguous_date: ambiguous,
                        date_order: None,
                    };
                    if q.other_patient.is_none() && q.ambiguous_date.is_none() {
                        self.open_from_report(ui.ctx(), q, catalog, today, clinician);
                    } else {
                        self.capture.question = Some(q);
                    }
                }
                Ok(Err(e)) => self.capture.error = Some(e),
                Err(_) => self.capture.error = Some("the report could not be read: the reading stopped".to_owned()),
            }
        }
        super::super::capture::shown_ui(ui.ctx(), &mut self.capture.shown);
        if let Some(q) = &mut self.capture.question {
            match super::super::capture::question_ui(ui, q, &self.patient) {
                Some(Answer::Open) => {
                    if let Some(q) = self.capture.question.take() {
                        self.open_from_report(ui.ctx(), q, catalog, today, clinician);
                    }
                }
                Some(Answer::Cancel) => self.capture.question = None,
                None => {}
            }
            return None;
        }
        if let Some(form) = &mut self.entry_form {
            let mut remember = None;
            if let Some(view) = &mut self.capture.view {
                if let Some(PanelAction::Remember { name, code }) =
                    super::super::capture::beside_form_ui(ui, view, catalog)
                {
                    remember = Some(Action::RememberTestName { name, code });
                }
                if view.report_tab {
                    return remember;
                }
            }
            if remember.is_some() {
                return remember;
            }
            let patient = &self.patient;
            let history = &self.entries;
            // Both ways: with less room than its lines need, the form
            // scrolls sideways rather than run under the report's panel.
            let beside = self.capture.view.is_some();
            let outcome = egui::ScrollArea::both()
                .id_salt("entry_form_scroll")
                // Clear of the panel's resize handle, which reaches over its edge.
                .max_width(ui.available_width() - if beside { theme::SPLITTER_GAP } else { 0.0 })
                .show(ui, |ui| entry_form_ui(ui, form, catalog, patient, history, today))
                .inner;
            let from_report = self.capture.view.as_ref().map(|v| Box::new(v.document.clone()));
            return match outcome {
                FormOutcome::Save(data) => Some(Action::Write(match (&form.editing, from_report) {
                    (Some(entry), _) => Write::EditEntry {
                        entry: Box::new(entry.clone()),
                        data,
                        reason: form.state.reason.trim().to_owned(),
                    },
                    (None, Some(document)) => Write::RecordEntryFromReport {
                        patient_id: patient.id,
                        data,
                        document,
                    },
                    (None, None) => Write::RecordEntry {
                        patient_id: patient.id,
                        data,
                    },
                })),
                FormOutcome::Cancel => {
                    let key = form.key;
                    self.entry_form = None;
                    self.capture.view = None;
                    Some(Action::DiscardDraft(key))
                }
                FormOutcome::DiscardDraft => Some(Action::DiscardDraft(form.key)),
                FormOutcome::Reload => Some(Action::ReloadPatient),
                FormOutcome::Editing => None,
            };
        }
        let mut from_report = false;
        let new = ui
            .horizontal(|ui| {
                let new = write_button(ui, self.read_only, egui::Button::new("New entry")).on_hover_text("Ctrl+N");
                from_report = match &self.capture.unavailable {
                    Some(why) => ui
                        .add_enabled(false, egui::Button::new("New entry from report..."))
                        .on_disabled_hover_text(why.as_str())
                        .clicked(),
                    None => write_button(ui, self.read_only, egui::Button::new("New entry from report..."))
                        .on_hover_text("Read the lab's PDF, or a scan or photo of the printed report, into a new entry")
                        .clicked(),
                };
                if self.capture.job.is_some() {
                    ui.spinner();
                    ui.label("Reading the report...");
                }
                new
            })
            .inner;
        if new.clicked() || (!self.read_only && new_shortcut(ui)) {
            self.entry_form = Some(new_entry_form(
                catalog,
                &self.patient,
                today,
                clinician,
                &self.entries,
                self.units,
            ));
            return None;
        }
        if from_report {
            self.capture.asking = Some(String::new());
            self.capture.error = None;
        }
        if let Some(e) = &self.capture.error {
            ui.colored_label(theme::ERROR, format!("The report was not read: {e}"));
        }
        if let Some(path) = &mut self.capture.asking
            && let Some(answer) = super::super::capture::ask_file_ui(ui, path)
        {
            self.capture.asking = None;
            if let Some(path) = answer {
                return Some(Action::ReadReport(path));
            }
        }
        // A report dropped on the Log is read as if chosen.
        if !self.read_only
            && self.capture.unavailable.is_none()
            && let Some(path) = ui.ctx().input(|i| {
                i.raw
                    .dropped_files
                    .iter()
                    .map(|f| f.path().to_owned())
                    .find(|p| !p.as_os_str().is_empty())
            })
        {
            return Some(Action::ReadReport(path));
        }
        if let Some(line) = super::super::follow_up::log_line(&self.follow.data) {
            let grave = self
                .follow
                .data
                .adverse
                .iter()
                .any(|e| e.data.grade >= 3 || e.data.serious);
            let color = if grave { theme::ERROR } else { theme::MUTED };
            if ui
                .add(egui::Label::new(RichText::new(line).color(color)).sense(egui::Sense::click()))
                .on_hover_text("Open the Adverse events tab")
                .clicked()
            {
                self.tab = Tab::AdverseEvents;
            }
        }
        if self.log.rows.is_empty() {
            empty_state(
                ui,
                "No entries yet.",
                "Click \"New entry\" to record this week's lab report, symptom ratings or a note.",
            );
            return None;
        }
        muted(
            ui,
            "Newest first. H above, L below the printed reference interval; HH, LL beyond the critical (call-back) \
             limits; (calc.) calculated by Clinilog.",
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
        // Scores never computed for this patient: one note, not columns of "-".
        if !self.log.missing_scores.is_empty() {
            muted(
                ui,
                format!(
                    "Not computed for this patient yet: {}.",
                    self.log.missing_scores.join("; ")
                ),
            );
        }
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
                            if write_button(ui, self.read_only, egui::Button::new("Edit entry")).clicked() {
                                self.entry_form = Some(edit_entry_form(entry, catalog, &self.patient, &self.entries));
                            }
                            let label = ui.label("Reason for voiding");
                            ui.add(egui::TextEdit::singleline(&mut self.entry_void.reason).desired_width(200.0))
                                .labelled_by(label.id);
                            let can_void = !self.entry_void.reason.trim().is_empty();
                            if ui
                                .add_enabled(can_void && !self.read_only, egui::Button::new("Void entry"))
                                .on_disabled_hover_text("Give a reason first")
                                .on_hover_text("Leaves the Log and the plots; stays in the file and the History")
                                .clicked()
                            {
                                action = Some(Action::Write(Write::VoidEntry {
                                    entry: Box::new(entry.clone()),
                                    reason: self.entry_void.reason.trim().to_owned(),
                                }));
                            }
                        });
                        let refused = self.entry_void.error.as_ref().map(|e| format!("Not voided: {e}"));
                        field_message(ui, refused.as_deref());
                        muted(
                            ui,
                            format!(
                                "Recorded by {} at {}",
                                entry.data.recorded_by,
                                local_time(&entry.recorded_at)
                            ),
                        );
                        if let Some(doc) = self.capture.sources.get(&id) {
                            ui.horizontal(|ui| {
                                muted(ui, format!("Read from the lab report {}", doc.name));
                                if ui.button("Show the report").clicked() {
                                    action = Some(Action::ShowReport(id));
                                }
                            });
                        }
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
                    self.entry_void = Void::new(id);
                }
            });
        action
    }
}

/// Draws the log; returns the entry whose date was clicked.
fn log_table_ui(ui: &mut Ui, log: &LogModel) -> Option<i64> {
    let mut clicked = None;
    let score_columns = log.score_kinds.len();
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
