//! The Treatments tab: the list of treatment events and the "Add
//! treatment" form.

use eframe::egui::{self, RichText, Ui};
use egui_extras::{Column, TableBuilder};
use jiff::civil::Date;

use super::drafts::DraftForm;
use super::patients::FormOutcome;
use super::widgets::{field_message, labelled_date, labelled_text, muted, save_shortcut};
use super::{Action, theme};
use crate::domain::treatment::field;
use crate::domain::validate::message_for;
use crate::domain::{FieldError, Patient, TreatmentData, TreatmentDraft, TreatmentEvent, TreatmentKind};

pub struct TreatmentForm {
    pub draft: TreatmentDraft,
    /// The event being edited; its version guards the save.
    pub editing: Option<TreatmentEvent>,
    pub reason: String,
    pub errors: Vec<FieldError>,
    pub attempted: bool,
    pub store_error: Option<String>,
    /// Local time of the kept draft this form was restored from.
    pub restored_from: Option<String>,
    pub saved_draft: Option<String>,
    pub draft_checked: bool,
}

impl TreatmentForm {
    pub fn new(today: Date, recorded_by: &str) -> Self {
        Self {
            draft: TreatmentDraft::blank(today, recorded_by),
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

    /// The form prefilled with `event`, for an edit.
    pub fn edit(event: &TreatmentEvent) -> Self {
        let d = &event.data;
        Self {
            draft: TreatmentDraft {
                date: d.date.to_string(),
                kind: d.kind,
                product: d.product.clone(),
                dose: d.dose.as_ref().map(|x| x.to_string()).unwrap_or_default(),
                dose_unit: d.dose_unit.clone(),
                route: d.route.clone(),
                cycle: d.cycle.map(|c| c.to_string()).unwrap_or_default(),
                note: d.note.clone(),
                recorded_by: d.recorded_by.clone(),
            },
            editing: Some(event.clone()),
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

pub fn treatments_ui(
    ui: &mut Ui,
    treatments: &[TreatmentEvent],
    form: &mut Option<TreatmentForm>,
    voiding: &mut Option<(i64, String)>,
    patient: &Patient,
    today: Date,
    clinician: &str,
) -> Option<Action> {
    let mut action = None;
    if let Some(f) = form {
        match treatment_form_ui(ui, f, patient, today) {
            FormOutcome::Save(data) => {
                action = Some(match &f.editing {
                    Some(event) => Action::EditTreatment {
                        event: Box::new(event.clone()),
                        data,
                        reason: f.reason.trim().to_owned(),
                    },
                    None => Action::AddTreatment(data),
                })
            }
            FormOutcome::Cancel => {
                action = Some(Action::DiscardDraft(f.draft_key(Some(patient.id))));
                *form = None;
            }
            FormOutcome::Editing => {}
        }
        ui.separator();
    } else if ui.button("Add treatment").clicked() {
        *form = Some(TreatmentForm::new(today, clinician));
    }
    if let Some((id, reason)) = voiding
        && let Some(event) = treatments.iter().find(|t| t.id == *id)
    {
        let mut close = false;
        ui.horizontal(|ui| {
            ui.label(format!(
                "Void treatment {} of {}?",
                event.data.short_label(),
                event.data.date
            ));
            let label = ui.label("Reason for voiding");
            ui.add(egui::TextEdit::singleline(reason).desired_width(240.0))
                .labelled_by(label.id);
            if ui
                .add_enabled(!reason.trim().is_empty(), egui::Button::new("Void treatment"))
                .on_disabled_hover_text("Give a reason first")
                .clicked()
            {
                action = Some(Action::VoidTreatment {
                    event: Box::new(event.clone()),
                    reason: reason.trim().to_owned(),
                });
            }
            if ui.button("Keep it").clicked() {
                close = true;
            }
        });
        if close {
            *voiding = None;
        }
        ui.separator();
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
        .column(Column::auto().at_least(200.0).clip(true))
        .column(Column::remainder())
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
                "",
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
                let event = &treatments[row.index()];
                row.col(|ui| {
                    if ui.small_button("Edit").clicked() {
                        *form = Some(TreatmentForm::edit(event));
                    }
                    if ui.small_button("Void").clicked() {
                        *voiding = Some((event.id, String::new()));
                    }
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
    let title = if form.editing.is_some() {
        "Edit treatment"
    } else {
        "Add treatment"
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
    let birth = patient.data.birth_date;
    form.errors = form.draft.validate(birth, today).err().unwrap_or_default();
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
            if form.editing.is_some() {
                labelled_text(ui, "Reason for the change", &mut form.reason, theme::WIDE_FIELD_WIDTH);
                field_message(ui, show("reason"));
                ui.end_row();
            }
        });
    if let Some(e) = &form.store_error {
        ui.label(RichText::new(format!("Not saved: {e}")).color(theme::ERROR));
    }
    let mut outcome = FormOutcome::Editing;
    ui.horizontal(|ui| {
        let shortcut = save_shortcut(ui);
        let label = if form.editing.is_some() {
            "Save changes"
        } else {
            "Save treatment"
        };
        if ui.button(label).on_hover_text("Ctrl+S").clicked() || shortcut {
            form.attempted = true;
            match form.draft.validate(birth, today) {
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
