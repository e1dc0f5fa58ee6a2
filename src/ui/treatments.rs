//! The Treatments tab: the list of treatment events and the "Add
//! treatment" form.

use eframe::egui::{self, RichText, Ui};
use egui_extras::{Column, TableBuilder};
use jiff::civil::Date;

use super::patients::FormOutcome;
use super::widgets::{field_message, labelled_date, labelled_text, muted, save_shortcut};
use super::{Action, theme};
use crate::domain::treatment::field;
use crate::domain::validate::message_for;
use crate::domain::{FieldError, Patient, TreatmentData, TreatmentDraft, TreatmentEvent, TreatmentKind};

pub struct TreatmentForm {
    pub draft: TreatmentDraft,
    pub errors: Vec<FieldError>,
    pub attempted: bool,
    pub store_error: Option<String>,
}

impl TreatmentForm {
    pub fn new(today: Date, recorded_by: &str) -> Self {
        Self {
            draft: TreatmentDraft::blank(today, recorded_by),
            errors: Vec::new(),
            attempted: false,
            store_error: None,
        }
    }
}

pub fn treatments_ui(
    ui: &mut Ui,
    treatments: &[TreatmentEvent],
    form: &mut Option<TreatmentForm>,
    patient: &Patient,
    today: Date,
    clinician: &str,
) -> Option<Action> {
    let mut action = None;
    if let Some(f) = form {
        match treatment_form_ui(ui, f, patient, today) {
            FormOutcome::Save(data) => action = Some(Action::AddTreatment(data)),
            FormOutcome::Cancel => *form = None,
            FormOutcome::Editing => {}
        }
        ui.separator();
    } else if ui.button("Add treatment").clicked() {
        *form = Some(TreatmentForm::new(today, clinician));
    }
    if treatments.is_empty() {
        ui.add_space(theme::SECTION_GAP);
        ui.label("No treatment events yet.");
        muted(
            ui,
            "Click \"Add treatment\" to record an infusion, procedure or medication; it appears as a line on every trend plot.",
        );
        return action;
    }
    TableBuilder::new(ui)
        .id_salt("treatments_table")
        .striped(true)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::auto().at_least(90.0))
        .column(Column::auto().at_least(50.0))
        .column(Column::auto().at_least(110.0))
        .column(Column::auto().at_least(260.0).clip(true))
        .column(Column::auto().at_least(110.0))
        .column(Column::auto().at_least(50.0))
        .column(Column::auto().at_least(100.0))
        .column(Column::remainder().clip(true))
        .header(22.0, |mut h| {
            for title in [
                "Date",
                "Cycle",
                "Kind",
                "Product",
                "Dose",
                "Route",
                "Recorded by",
                "Note",
            ] {
                h.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(22.0, treatments.len(), |mut row| {
                let t = &treatments[row.index()].data;
                let cells = [
                    t.date.to_string(),
                    t.cycle.map_or(String::new(), |c| c.to_string()),
                    t.kind.label().to_owned(),
                    t.product.clone(),
                    t.dose_text(),
                    t.route.clone(),
                    t.recorded_by.clone(),
                ];
                for c in cells {
                    row.col(|ui| {
                        ui.label(c);
                    });
                }
                row.col(|ui| {
                    ui.label(&t.note).on_hover_text(&t.note);
                });
            });
        });
    action
}

fn treatment_form_ui(
    ui: &mut Ui,
    form: &mut TreatmentForm,
    patient: &Patient,
    today: Date,
) -> FormOutcome<TreatmentData> {
    ui.label(RichText::new("Add treatment").strong().size(16.0));
    let birth = patient.data.birth_date;
    form.errors = form.draft.validate(birth, today).err().unwrap_or_default();
    let show = |key: &str| {
        if form.attempted {
            message_for(&form.errors, key)
        } else {
            None
        }
    };
    let d = &mut form.draft;
    egui::Grid::new("treatment_form")
        .num_columns(3)
        .spacing([8.0, 6.0])
        .show(ui, |ui| {
            labelled_date(ui, "Date", &mut d.date);
            field_message(ui, show(field::DATE));
            ui.end_row();
            let kind_label = ui.label("Kind");
            egui::ComboBox::from_id_salt("treatment_kind")
                .selected_text(d.kind.label())
                .show_ui(ui, |ui| {
                    for k in TreatmentKind::ALL {
                        ui.selectable_value(&mut d.kind, k, k.label());
                    }
                })
                .response
                .labelled_by(kind_label.id);
            ui.label("");
            ui.end_row();
            labelled_text(ui, "Product", &mut d.product, theme::WIDE_FIELD_WIDTH);
            field_message(ui, show(field::PRODUCT));
            ui.end_row();
            labelled_text(ui, "Dose", &mut d.dose, theme::FORM_FIELD_WIDTH);
            field_message(ui, show(field::DOSE));
            ui.end_row();
            labelled_text(ui, "Dose unit", &mut d.dose_unit, theme::FORM_FIELD_WIDTH * 1.5);
            ui.horizontal(|ui| {
                muted(ui, "for example: million cells, billion exosomes, mg");
                field_message(ui, show(field::DOSE_UNIT));
            });
            ui.end_row();
            labelled_text(ui, "Route", &mut d.route, theme::FORM_FIELD_WIDTH);
            muted(ui, "IV, oral, ...");
            ui.end_row();
            labelled_text(ui, "Cycle", &mut d.cycle, theme::FORM_FIELD_WIDTH * 0.6);
            ui.horizontal(|ui| {
                muted(ui, "1, 2, 3... (empty if not part of a cycle)");
                field_message(ui, show(field::CYCLE));
            });
            ui.end_row();
            labelled_text(ui, "Note", &mut d.note, theme::WIDE_FIELD_WIDTH);
            ui.label("");
            ui.end_row();
            labelled_text(ui, "Recorded by", &mut d.recorded_by, theme::WIDE_FIELD_WIDTH);
            field_message(ui, show(field::RECORDED_BY));
            ui.end_row();
        });
    if let Some(e) = &form.store_error {
        ui.label(RichText::new(format!("Not saved: {e}")).color(theme::ERROR));
    }
    let mut outcome = FormOutcome::Editing;
    ui.horizontal(|ui| {
        let shortcut = save_shortcut(ui);
        if ui.button("Save treatment").on_hover_text("Ctrl+S").clicked() || shortcut {
            form.attempted = true;
            match form.draft.validate(birth, today) {
                Ok(data) => outcome = FormOutcome::Save(data),
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
