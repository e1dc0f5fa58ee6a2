//! The patients screen: the list, search as you type, and the "New
//! patient" form with its messages beside the fields.

use eframe::egui::{self, RichText, Ui};
use egui_extras::{Column, TableBuilder};
use jiff::civil::Date;

use super::widgets::{field_message, labelled_date, labelled_text, muted, save_shortcut};
use super::{Action, theme};
use crate::domain::patient::field;
use crate::domain::validate::message_for;
use crate::domain::{FieldError, Patient, PatientDraft, Sex};
use crate::store::PatientSummary;

/// The view model of the patients screen, loaded on navigation and after a save.
#[derive(Default)]
pub struct PatientsScreen {
    pub rows: Vec<PatientSummary>,
    pub search: String,
    pub form: Option<PatientForm>,
}

/// The "New patient" form: what was typed stays until it is saved or cancelled.
pub struct PatientForm {
    pub draft: PatientDraft,
    /// The patient whose details are edited; a reason is then required.
    pub editing: Option<Patient>,
    pub reason: String,
    pub errors: Vec<FieldError>,
    pub attempted: bool,
    pub store_error: Option<String>,
    /// Local time of the kept draft this form was restored from.
    pub restored_from: Option<String>,
    pub saved_draft: Option<String>,
    pub draft_checked: bool,
}

impl PatientForm {
    pub fn new(today: Date) -> Self {
        Self {
            draft: PatientDraft {
                enrolled: today.to_string(),
                ..PatientDraft::default()
            },
            editing: None,
            reason: String::new(),
            errors: Vec::new(),
            attempted: false,
            store_error: None,
            restored_from: None,
            saved_draft: None,
            draft_checked: false,
        }
    }
}

impl PatientForm {
    /// The form prefilled with `patient`'s details, for an edit.
    pub fn edit(patient: &Patient) -> Self {
        let d = &patient.data;
        Self {
            draft: PatientDraft {
                mrn: d.mrn.clone(),
                name: d.name.clone(),
                birth_date: d.birth_date.to_string(),
                sex: Some(d.sex),
                diagnosis: d.diagnosis.clone(),
                enrolled: d.enrolled.to_string(),
                notes: d.notes.clone(),
            },
            editing: Some(patient.clone()),
            reason: String::new(),
            errors: Vec::new(),
            attempted: false,
            store_error: None,
            restored_from: None,
            saved_draft: None,
            draft_checked: false,
        }
    }
}

impl PatientsScreen {
    pub fn new(rows: Vec<PatientSummary>) -> Self {
        Self {
            rows,
            ..Self::default()
        }
    }

    /// Rows matching the search (name or MRN, any case).
    pub fn visible_rows(&self) -> impl Iterator<Item = &PatientSummary> {
        let needle = self.search.trim().to_lowercase();
        self.rows.iter().filter(move |r| {
            needle.is_empty()
                || r.patient.data.name.to_lowercase().contains(&needle)
                || r.patient.data.mrn.to_lowercase().contains(&needle)
        })
    }

    pub fn ui(&mut self, ui: &mut Ui, today: Date, clinician: &str) -> Option<Action> {
        let mut action = None;
        ui.horizontal(|ui| {
            ui.heading("Patients");
            ui.add_space(theme::SECTION_GAP);
            if self.form.is_none() && ui.button("New patient").clicked() {
                self.form = Some(PatientForm::new(today));
            }
        });
        ui.add_space(theme::SECTION_GAP);
        if clinician.trim().is_empty() {
            ui.label(
                RichText::new("Enter your name under \"Recording as\" (bottom left): every change is signed with it.")
                    .color(theme::ERROR),
            );
        }
        if let Some(form) = &mut self.form {
            match patient_form_ui(ui, form, today) {
                FormOutcome::Save(data) => action = Some(Action::CreatePatient(data)),
                FormOutcome::Cancel => {
                    action = Some(Action::DiscardDraft("patient:new".to_owned()));
                    self.form = None;
                }
                FormOutcome::Editing => {}
            }
            ui.separator();
        }
        if self.rows.is_empty() {
            ui.add_space(theme::SECTION_GAP);
            ui.label("No patients in this file yet.");
            muted(
                ui,
                "Click \"New patient\" to register the first one. To look around first, start Clinilog with --demo.",
            );
            return action;
        }
        ui.horizontal(|ui| {
            let label = ui.label("Search");
            ui.add(
                egui::TextEdit::singleline(&mut self.search)
                    .hint_text("name or MRN")
                    .desired_width(theme::WIDE_FIELD_WIDTH),
            )
            .labelled_by(label.id);
        });
        ui.add_space(4.0);
        let visible: Vec<&PatientSummary> = self.visible_rows().collect();
        if visible.is_empty() {
            muted(ui, format!("No patient matches \"{}\".", self.search.trim()));
            return action;
        }
        TableBuilder::new(ui)
            .id_salt("patients_table")
            .striped(true)
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::auto().at_least(90.0))
            .column(Column::auto().at_least(200.0))
            .column(Column::auto().at_least(40.0))
            .column(Column::auto().at_least(40.0))
            .column(Column::auto().at_least(220.0).clip(true))
            .column(Column::auto().at_least(90.0))
            .column(Column::remainder())
            .header(22.0, |mut h| {
                for title in ["MRN", "Name", "Age", "Sex", "Diagnosis", "Last entry", "Entries"] {
                    h.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(24.0, visible.len(), |mut row| {
                    let r = visible[row.index()];
                    let p = &r.patient;
                    row.col(|ui| {
                        ui.label(&p.data.mrn);
                    });
                    row.col(|ui| {
                        if ui.button(&p.data.name).on_hover_text("Open this patient").clicked() {
                            action = Some(Action::OpenPatient(p.id));
                        }
                    });
                    row.col(|ui| {
                        ui.label(p.age_on(today).to_string());
                    });
                    row.col(|ui| {
                        ui.label(p.data.sex.short());
                    });
                    row.col(|ui| {
                        ui.label(&p.data.diagnosis);
                    });
                    row.col(|ui| {
                        ui.label(r.last_entry.map_or("none".to_owned(), |d| d.to_string()));
                    });
                    row.col(|ui| {
                        ui.label(r.entry_count.to_string());
                    });
                });
            });
        action
    }
}

pub enum FormOutcome<T> {
    Editing,
    Save(T),
    Cancel,
}

pub fn patient_form_ui(ui: &mut Ui, form: &mut PatientForm, today: Date) -> FormOutcome<crate::domain::PatientData> {
    let title = if form.editing.is_some() {
        "Edit patient details"
    } else {
        "New patient"
    };
    ui.label(RichText::new(title).strong().size(16.0));
    if let Some(when) = &form.restored_from {
        ui.label(
            RichText::new(format!(
                "Restored what was typed on {when} and not saved; Cancel discards it."
            ))
            .color(theme::WARN),
        );
    }
    form.errors = form.draft.validate(today).err().unwrap_or_default();
    if form.editing.is_some() && form.reason.trim().is_empty() {
        form.errors
            .push(FieldError::new("reason", "Reason for the change is required"));
    }
    let show = |key: &str| {
        if form.attempted {
            message_for(&form.errors, key)
        } else {
            None
        }
    };
    let d = &mut form.draft;
    egui::Grid::new("patient_form")
        .num_columns(3)
        .spacing([8.0, 6.0])
        .show(ui, |ui| {
            labelled_text(ui, "MRN", &mut d.mrn, theme::FORM_FIELD_WIDTH * 1.5);
            field_message(ui, show(field::MRN));
            ui.end_row();
            labelled_text(ui, "Name", &mut d.name, theme::WIDE_FIELD_WIDTH);
            field_message(ui, show(field::NAME));
            ui.end_row();
            labelled_date(ui, "Birth date", &mut d.birth_date);
            field_message(ui, show(field::BIRTH_DATE));
            ui.end_row();
            let sex_label = ui.label("Sex");
            let selected = d.sex.map_or("choose", Sex::label);
            egui::ComboBox::from_id_salt("patient_sex")
                .selected_text(selected)
                .show_ui(ui, |ui| {
                    for s in Sex::ALL {
                        ui.selectable_value(&mut d.sex, Some(s), s.label());
                    }
                })
                .response
                .labelled_by(sex_label.id);
            field_message(ui, show(field::SEX));
            ui.end_row();
            labelled_text(ui, "Diagnosis", &mut d.diagnosis, theme::WIDE_FIELD_WIDTH);
            muted(ui, "diagnosis or etiology");
            ui.end_row();
            labelled_date(ui, "Enrollment date", &mut d.enrolled);
            field_message(ui, show(field::ENROLLED));
            ui.end_row();
            labelled_text(ui, "Notes", &mut d.notes, theme::WIDE_FIELD_WIDTH);
            ui.end_row();
            if form.editing.is_some() {
                labelled_text(ui, "Reason for the change", &mut form.reason, theme::WIDE_FIELD_WIDTH);
                field_message(ui, show("reason"));
                ui.end_row();
            }
        });
    if let Some(e) = &form.store_error {
        ui.label(RichText::new(e).color(theme::ERROR));
    }
    let mut outcome = FormOutcome::Editing;
    ui.horizontal(|ui| {
        let shortcut = save_shortcut(ui);
        let label = if form.editing.is_some() {
            "Save details"
        } else {
            "Save patient"
        };
        if ui.button(label).on_hover_text("Ctrl+S").clicked() || shortcut {
            form.attempted = true;
            match form.draft.validate(today) {
                Ok(data) if form.errors.is_empty() => outcome = FormOutcome::Save(data),
                Ok(_) => {}
                Err(errors) => form.errors = errors,
            }
        }
        if ui.button("Cancel").clicked() {
            outcome = FormOutcome::Cancel;
        }
    });
    if form.attempted && !form.errors.is_empty() {
        ui.label(RichText::new("Not saved: correct the fields marked above.").color(theme::ERROR));
    }
    outcome
}
