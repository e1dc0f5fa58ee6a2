//! The Treatments tab: the list of treatment events and the "Add
//! treatment" form.

use eframe::egui::{self, Ui};
use egui_extras::{Column, TableBuilder};
use jiff::civil::Date;

use super::form::{Form, FormOutcome, FormText, show_form};
use super::widgets::{empty_state, field_message, muted, new_shortcut, write_button};
use super::{Action, Write, theme};
use clinilog_domain::treatment::field;
use clinilog_domain::{Patient, TreatmentData, TreatmentDraft, TreatmentEvent, TreatmentKind};
use clinilog_store::DraftKey;

/// The treatment form: "Add treatment", or "Edit treatment" with a reason.
pub type TreatmentForm = Form<TreatmentDraft, TreatmentEvent>;

/// A blank "Add treatment" form for `patient_id`.
pub fn new_treatment_form(patient_id: i64, today: Date, recorded_by: &str) -> TreatmentForm {
    Form::new(
        DraftKey::NewTreatment { patient: patient_id },
        TreatmentDraft::blank(today, recorded_by),
        None,
        (),
        field::DATE,
    )
}

/// The form prefilled with `event`, for an edit.
pub fn edit_treatment_form(event: &TreatmentEvent) -> TreatmentForm {
    Form::new(
        DraftKey::EditTreatment(event.id),
        TreatmentDraft::from_data(&event.data),
        Some(event.clone()),
        (),
        field::DATE,
    )
}

/// A void being asked for: which record, why, and the store's refusal.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Void {
    pub id: i64,
    pub reason: String,
    pub error: Option<String>,
}

impl Void {
    pub fn new(id: i64) -> Self {
        Self { id, ..Self::default() }
    }

    /// Asks for the void: `question`, *`reason_label`* with its field, the
    /// `confirm` button (enabled once a reason is typed) and *Keep it*, then
    /// the store's refusal prefixed with `refused` ("Not voided"). Gives the
    /// reason when confirmed; `close` is set by *Keep it*.
    pub fn ask(
        &mut self,
        ui: &mut Ui,
        question: &str,
        reason_label: &str,
        confirm: &str,
        refused: &str,
        close: &mut bool,
    ) -> Option<String> {
        let mut confirmed = None;
        ui.horizontal(|ui| {
            ui.label(question);
            let label = ui.label(reason_label);
            ui.add(egui::TextEdit::singleline(&mut self.reason).desired_width(240.0))
                .labelled_by(label.id);
            if ui
                .add_enabled(!self.reason.trim().is_empty(), egui::Button::new(confirm))
                .on_disabled_hover_text("Give a reason first")
                .clicked()
            {
                confirmed = Some(self.reason.trim().to_owned());
            }
            if ui.button("Keep it").clicked() {
                *close = true;
            }
        });
        field_message(ui, self.error.as_deref().map(|e| format!("{refused}: {e}")).as_deref());
        confirmed
    }
}

/// What the Treatments tab needs from its screen besides its rows and forms.
pub struct TabContext<'a> {
    pub patient: &'a Patient,
    pub today: Date,
    pub clinician: &'a str,
    /// The file is open read-only: nothing that writes is offered.
    pub read_only: bool,
}

pub fn treatments_ui(
    ui: &mut Ui,
    treatments: &[TreatmentEvent],
    form: &mut Option<TreatmentForm>,
    voiding: &mut Option<Void>,
    cx: &TabContext<'_>,
) -> Option<Action> {
    let TabContext {
        patient,
        today,
        clinician,
        read_only,
    } = *cx;
    let mut action = None;
    if let Some(f) = form {
        match treatment_form_ui(ui, f, patient, today) {
            FormOutcome::Save(data) => {
                action = Some(Action::Write(match &f.editing {
                    Some(event) => Write::EditTreatment {
                        event: Box::new(event.clone()),
                        data,
                        reason: f.state.reason.trim().to_owned(),
                    },
                    None => Write::AddTreatment {
                        patient_id: patient.id,
                        data,
                    },
                }))
            }
            FormOutcome::Cancel => {
                action = Some(Action::DiscardDraft(f.key));
                *form = None;
            }
            FormOutcome::DiscardDraft => action = Some(Action::DiscardDraft(f.key)),
            FormOutcome::Reload => action = Some(Action::ReloadPatient),
            FormOutcome::Editing => {}
        }
        ui.separator();
    } else {
        let add = write_button(ui, read_only, egui::Button::new("Add treatment")).on_hover_text("Ctrl+N");
        if add.clicked() || (!read_only && new_shortcut(ui)) {
            *form = Some(new_treatment_form(patient.id, today, clinician));
        }
    }
    if let Some(v) = voiding
        && let Some(event) = treatments.iter().find(|t| t.id == v.id)
    {
        let mut close = false;
        let question = format!("Void treatment {} of {}?", event.data.short_label(), event.data.date);
        if let Some(reason) = v.ask(
            ui,
            &question,
            "Reason for voiding",
            "Void treatment",
            "Not voided",
            &mut close,
        ) {
            action = Some(Action::Write(Write::VoidTreatment {
                event: Box::new(event.clone()),
                reason,
            }));
        }
        if close {
            *voiding = None;
        }
        ui.separator();
    }
    if treatments.is_empty() {
        empty_state(
            ui,
            "No treatment events yet.",
            "Click \"Add treatment\" to record an infusion, procedure or medication; it appears as a line on every trend plot.",
        );
        return action;
    }
    TableBuilder::new(ui)
        .id_salt("treatments_table")
        .striped(true)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        // Edit and Void come first: a long note never pushes them out of sight.
        .column(Column::auto().at_least(80.0))
        .column(Column::auto().at_least(90.0))
        .column(Column::auto().at_least(50.0))
        .column(Column::auto().at_least(110.0))
        .column(Column::auto().at_least(260.0).clip(true))
        .column(Column::auto().at_least(110.0))
        .column(Column::auto().at_least(50.0))
        .column(Column::auto().at_least(100.0))
        .column(Column::remainder().at_least(200.0).clip(true))
        .header(22.0, |mut h| {
            for title in [
                "",
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
                let event = &treatments[row.index()];
                let t = &event.data;
                row.col(|ui| {
                    if write_button(ui, read_only, egui::Button::new("Edit").small()).clicked() {
                        *form = Some(edit_treatment_form(event));
                    }
                    if write_button(ui, read_only, egui::Button::new("Void").small()).clicked() {
                        *voiding = Some(Void::new(event.id));
                    }
                });
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

/// Draws the treatment form: its field grid inside the shared form frame.
fn treatment_form_ui(
    ui: &mut Ui,
    form: &mut TreatmentForm,
    patient: &Patient,
    today: Date,
) -> FormOutcome<TreatmentData> {
    let editing = form.editing.is_some();
    let text = FormText {
        title: if editing { "Edit treatment" } else { "Add treatment" }.to_owned(),
        save: if editing { "Save changes" } else { "Save treatment" },
        noun: "treatment",
    };
    let birth = patient.data.birth_date;
    show_form(
        ui,
        form,
        &text,
        |d, _| d.validate(birth, today),
        |ui, f, d, _| {
            egui::Grid::new("treatment_form")
                .num_columns(3)
                .spacing([8.0, 6.0])
                .show(ui, |ui| {
                    f.date(ui, field::DATE, "Date", &mut d.date);
                    f.message(ui, field::DATE, !d.date.trim().is_empty());
                    ui.end_row();
                    let kind_label = ui.label("Kind");
                    let r = egui::ComboBox::from_id_salt("treatment_kind")
                        .selected_text(d.kind.label())
                        .show_ui(ui, |ui| {
                            for k in TreatmentKind::ALL {
                                ui.selectable_value(&mut d.kind, k, k.label());
                            }
                        })
                        .response
                        .labelled_by(kind_label.id);
                    f.register(ui, field::KIND, &r, "");
                    ui.label("");
                    ui.end_row();
                    f.text(ui, field::PRODUCT, "Product", &mut d.product, theme::WIDE_FIELD_WIDTH);
                    f.message(ui, field::PRODUCT, !d.product.trim().is_empty());
                    ui.end_row();
                    f.text(ui, field::DOSE, "Dose", &mut d.dose, theme::FORM_FIELD_WIDTH);
                    f.message(ui, field::DOSE, !d.dose.trim().is_empty());
                    ui.end_row();
                    f.text(
                        ui,
                        field::DOSE_UNIT,
                        "Dose unit",
                        &mut d.dose_unit,
                        theme::FORM_FIELD_WIDTH * 1.5,
                    );
                    ui.horizontal(|ui| {
                        muted(ui, "for example: million cells, billion exosomes, mg");
                        f.message(ui, field::DOSE_UNIT, !d.dose_unit.trim().is_empty());
                    });
                    ui.end_row();
                    f.text(ui, field::ROUTE, "Route", &mut d.route, theme::FORM_FIELD_WIDTH);
                    muted(ui, "IV, oral, ...");
                    ui.end_row();
                    f.text(ui, field::CYCLE, "Cycle", &mut d.cycle, theme::FORM_FIELD_WIDTH * 0.6);
                    ui.horizontal(|ui| {
                        muted(ui, "1, 2, 3... (empty if not part of a cycle)");
                        f.message(ui, field::CYCLE, !d.cycle.trim().is_empty());
                    });
                    ui.end_row();
                    f.text(ui, field::NOTE, "Note", &mut d.note, theme::WIDE_FIELD_WIDTH);
                    ui.label("");
                    ui.end_row();
                    f.last_text(
                        ui,
                        field::RECORDED_BY,
                        "Recorded by",
                        &mut d.recorded_by,
                        theme::WIDE_FIELD_WIDTH,
                    );
                    f.reason_row(ui);
                });
        },
    )
}
