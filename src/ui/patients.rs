//! The patients screen: the list, search as you type, and the "New
//! patient" form with its messages beside the fields.

use eframe::egui::{self, RichText, Ui};
use egui_extras::{Column, TableBuilder};
use jiff::civil::Date;

use super::form::{Form, FormOutcome, FormText, show_form};
use super::widgets::{empty_state, muted, new_shortcut, write_button};
use super::{Action, Write, theme};
use crate::domain::patient::field;
use crate::domain::{Patient, PatientData, PatientDraft, Sex};
use crate::store::{DraftKey, PatientSummary};

/// The view model of the patients screen, loaded on navigation and after a save.
#[derive(Default)]
pub struct PatientsScreen {
    pub rows: Vec<PatientSummary>,
    pub search: String,
    pub form: Option<PatientForm>,
    /// The file is open read-only: nothing that writes is offered.
    pub read_only: bool,
}

/// The patient form: "New patient", or "Edit patient details" with a reason.
pub type PatientForm = Form<PatientDraft, Patient>;

/// A blank "New patient" form.
pub fn new_patient_form(today: Date) -> PatientForm {
    Form::new(DraftKey::NewPatient, PatientDraft::blank(today), None, (), field::MRN)
}

/// The form prefilled with `patient`'s details, for an edit.
pub fn edit_patient_form(patient: &Patient) -> PatientForm {
    Form::new(
        DraftKey::EditPatient(patient.id),
        PatientDraft::from_data(&patient.data),
        Some(patient.clone()),
        (),
        field::MRN,
    )
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
            let new = ui.add_enabled_ui(self.form.is_none(), |ui| {
                write_button(ui, self.read_only, egui::Button::new("New patient")).on_hover_text("Ctrl+N")
            });
            let new = new.inner;
            if new.clicked() || (self.form.is_none() && !self.read_only && new_shortcut(ui)) {
                self.form = Some(new_patient_form(today));
            }
        });
        ui.add_space(theme::SECTION_GAP);
        if clinician.trim().is_empty() {
            ui.label(
                RichText::new("Say who records (Change, beside \"Recording as\" at the bottom left): every change is signed with it.")
                    .color(theme::ERROR),
            );
        }
        if let Some(form) = &mut self.form {
            match patient_form_ui(ui, form, today) {
                FormOutcome::Save(data) => action = Some(Action::Write(Write::CreatePatient(data))),
                FormOutcome::Cancel => {
                    action = Some(Action::DiscardDraft(form.key));
                    self.form = None;
                }
                FormOutcome::DiscardDraft => action = Some(Action::DiscardDraft(form.key)),
                FormOutcome::Editing | FormOutcome::Reload => {}
            }
            ui.separator();
        }
        if self.rows.is_empty() {
            empty_state(
                ui,
                "No patients in this file yet.",
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

/// Draws the patient form: its field grid inside the shared form frame.
pub fn patient_form_ui(ui: &mut Ui, form: &mut PatientForm, today: Date) -> FormOutcome<PatientData> {
    let editing = form.editing.is_some();
    let text = FormText {
        title: if editing { "Edit patient details" } else { "New patient" }.to_owned(),
        save: if editing { "Save details" } else { "Save patient" },
        noun: "form",
    };
    show_form(
        ui,
        form,
        &text,
        |d, _| d.validate(today),
        |ui, f, d, _| {
            egui::Grid::new("patient_form")
                .num_columns(3)
                .spacing([8.0, 6.0])
                .show(ui, |ui| {
                    f.text(ui, field::MRN, "MRN", &mut d.mrn, theme::FORM_FIELD_WIDTH * 1.5);
                    f.message(ui, field::MRN, !d.mrn.trim().is_empty());
                    ui.end_row();
                    f.text(ui, field::NAME, "Name", &mut d.name, theme::WIDE_FIELD_WIDTH);
                    f.message(ui, field::NAME, !d.name.trim().is_empty());
                    ui.end_row();
                    f.date(ui, field::BIRTH_DATE, "Birth date", &mut d.birth_date);
                    f.message(ui, field::BIRTH_DATE, !d.birth_date.trim().is_empty());
                    ui.end_row();
                    let sex_label = ui.label("Sex");
                    let selected = d.sex.map_or("choose", Sex::label);
                    let r = egui::ComboBox::from_id_salt("patient_sex")
                        .selected_text(selected)
                        .show_ui(ui, |ui| {
                            for s in Sex::ALL {
                                ui.selectable_value(&mut d.sex, Some(s), s.label());
                            }
                        })
                        .response
                        .labelled_by(sex_label.id);
                    f.register(ui, field::SEX, &r, "");
                    f.message(ui, field::SEX, d.sex.is_some());
                    ui.end_row();
                    f.text(
                        ui,
                        field::DIAGNOSIS,
                        "Diagnosis",
                        &mut d.diagnosis,
                        theme::WIDE_FIELD_WIDTH,
                    );
                    muted(ui, "diagnosis or etiology");
                    ui.end_row();
                    f.date(ui, field::ENROLLED, "Enrollment date", &mut d.enrolled);
                    f.message(ui, field::ENROLLED, !d.enrolled.trim().is_empty());
                    ui.end_row();
                    f.last_text(ui, field::NOTES, "Notes", &mut d.notes, theme::WIDE_FIELD_WIDTH);
                    f.reason_row(ui);
                });
        },
    )
}
