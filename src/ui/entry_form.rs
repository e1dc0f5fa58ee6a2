//! The "New entry" form: collection date, the lab panel in the printed
//! order of a report with unit and editable reference interval beside each
//! value, symptom ratings on their scales, note and who recorded it.
//!
//! What was typed stays in the form through validation errors and store
//! errors; it leaves only on save or cancel.

use eframe::egui::{self, RichText, Ui};
use egui_extras::DatePickerButton;
use jiff::civil::Date;

use super::patients::FormOutcome;
use super::theme;
use super::widgets::{field_message, labelled_date, labelled_text, muted, save_shortcut};
use crate::domain::catalog::display_unit;
use crate::domain::entry::{field, parse_lab_value};
use crate::domain::validate::{message_for, parse_iso_date};
use crate::domain::{Catalog, EntryData, EntryDraft, FieldError, Patient, ReferenceInterval};

pub struct EntryForm {
    pub draft: EntryDraft,
    pub errors: Vec<FieldError>,
    pub attempted: bool,
    pub store_error: Option<String>,
    picker_date: Date,
}

impl EntryForm {
    pub fn new(catalog: &Catalog, patient: &Patient, today: Date, recorded_by: &str) -> Self {
        Self {
            draft: EntryDraft::blank(catalog, patient.data.sex, today, recorded_by),
            errors: Vec::new(),
            attempted: false,
            store_error: None,
            picker_date: today,
        }
    }
}

fn validate(form: &EntryForm, catalog: &Catalog, patient: &Patient, today: Date) -> Result<EntryData, Vec<FieldError>> {
    form.draft
        .validate(catalog, patient.data.sex, patient.data.birth_date, today)
}

pub fn entry_form_ui(
    ui: &mut Ui,
    form: &mut EntryForm,
    catalog: &Catalog,
    patient: &Patient,
    today: Date,
) -> FormOutcome<EntryData> {
    form.errors = validate(form, catalog, patient, today).err().unwrap_or_default();
    let attempted = form.attempted;
    let errors = form.errors.clone();
    // A field's message shows once something is typed there, or after a save attempt.
    let message = |key: &str, typed: bool| {
        if attempted || typed {
            message_for(&errors, key).map(str::to_owned)
        } else {
            None
        }
    };

    ui.label(RichText::new("New entry").strong().size(16.0));
    egui::Grid::new("entry_head")
        .num_columns(3)
        .spacing([8.0, 6.0])
        .show(ui, |ui| {
            labelled_date(ui, "Collection date", &mut form.draft.collected_on);
            ui.horizontal(|ui| {
                if let Some(d) = parse_iso_date(form.draft.collected_on.trim()) {
                    form.picker_date = d;
                }
                let before = form.picker_date;
                ui.add(
                    DatePickerButton::new(&mut form.picker_date)
                        .id_salt("entry_date_picker")
                        .show_icon(false)
                        .format("Calendar"),
                )
                .on_hover_text("Pick the collection date from a calendar");
                if form.picker_date != before {
                    form.draft.collected_on = form.picker_date.to_string();
                }
                field_message(ui, message(field::DATE, true).as_deref());
            });
            ui.end_row();
        });

    ui.add_space(theme::SECTION_GAP);
    ui.label(RichText::new("Lab results (as printed on the report)").strong());
    muted(
        ui,
        "Leave a value empty if it was not measured. The reference interval is prefilled with the catalog default: \
         change it to what the report printed (leave a limit empty if none is printed).",
    );
    egui::Grid::new("entry_labs")
        .num_columns(7)
        .striped(true)
        .spacing([8.0, 4.0])
        .show(ui, |ui| {
            for h in [
                "Measure",
                "Value",
                "Unit",
                "Ref. low",
                "Ref. high",
                "Catalog default",
                "",
            ] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for line in &mut form.draft.labs {
                let Some(measure) = catalog.measure(&line.code) else {
                    continue;
                };
                let Some(spec) = measure.lab() else { continue };
                let name = ui.label(&measure.name);
                ui.add(
                    egui::TextEdit::singleline(&mut line.value)
                        .desired_width(theme::FORM_FIELD_WIDTH)
                        .min_size(egui::vec2(theme::FORM_FIELD_WIDTH, 0.0)),
                )
                .labelled_by(name.id);
                muted(ui, display_unit(&spec.unit));
                ui.add(
                    egui::TextEdit::singleline(&mut line.ref_low)
                        .desired_width(theme::FORM_FIELD_WIDTH * 0.7)
                        .min_size(egui::vec2(theme::FORM_FIELD_WIDTH * 0.7, 0.0)),
                )
                .accessible_name(format!("{} reference low", measure.name));
                ui.add(
                    egui::TextEdit::singleline(&mut line.ref_high)
                        .desired_width(theme::FORM_FIELD_WIDTH * 0.7)
                        .min_size(egui::vec2(theme::FORM_FIELD_WIDTH * 0.7, 0.0)),
                )
                .accessible_name(format!("{} reference high", measure.name));
                muted(ui, spec.default_reference(patient.data.sex).describe());
                let typed = !line.value.trim().is_empty();
                let problem = message(&field::lab(&line.code), typed)
                    .or_else(|| message(&field::ref_low(&line.code), true))
                    .or_else(|| message(&field::ref_high(&line.code), true));
                match problem {
                    Some(m) => field_message(ui, Some(&m)),
                    None if typed => {
                        // Show how the value was read, with the flag it will get.
                        if let Ok((comparator, value)) = parse_lab_value(&line.value) {
                            let reference = ReferenceInterval {
                                low: crate::domain::Decimal::parse(&line.ref_low).ok(),
                                high: crate::domain::Decimal::parse(&line.ref_high).ok(),
                            };
                            let flag = reference.flag(value.value(), comparator);
                            let verdict = match flag {
                                crate::domain::Flag::High => "H, above the interval",
                                crate::domain::Flag::Low => "L, below the interval",
                                crate::domain::Flag::Normal => "within the interval",
                            };
                            let shown = format!(
                                "reads as {}{} {}: {verdict}",
                                comparator.map_or("", |c| c.as_str()),
                                value,
                                spec.unit,
                            );
                            ui.label(RichText::new(shown).color(theme::MUTED));
                        } else {
                            ui.label("");
                        }
                    }
                    None => {
                        ui.label("");
                    }
                }
                ui.end_row();
            }
        });

    ui.add_space(theme::SECTION_GAP);
    ui.label(RichText::new("Symptoms").strong());
    egui::Grid::new("entry_symptoms")
        .num_columns(4)
        .striped(true)
        .spacing([8.0, 4.0])
        .show(ui, |ui| {
            for h in ["Symptom", "Rating", "Scale", ""] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for line in &mut form.draft.symptoms {
                let Some(measure) = catalog.measure(&line.code) else {
                    continue;
                };
                let Some(scale) = measure.scale() else {
                    continue;
                };
                let name = ui.label(&measure.name);
                ui.add(
                    egui::TextEdit::singleline(&mut line.value)
                        .desired_width(theme::FORM_FIELD_WIDTH * 0.7)
                        .min_size(egui::vec2(theme::FORM_FIELD_WIDTH * 0.7, 0.0)),
                )
                .labelled_by(name.id);
                muted(ui, scale.hint());
                let typed = !line.value.trim().is_empty();
                match message(&field::symptom(&line.code), typed) {
                    Some(m) => field_message(ui, Some(&m)),
                    None if typed => {
                        let text = scale.parse(&line.value).map(|v| scale.describe(v)).unwrap_or_default();
                        muted(ui, text);
                    }
                    None => {
                        ui.label("");
                    }
                }
                ui.end_row();
            }
        });

    ui.add_space(theme::SECTION_GAP);
    egui::Grid::new("entry_tail")
        .num_columns(3)
        .spacing([8.0, 6.0])
        .show(ui, |ui| {
            let note = ui.label("Note");
            ui.add(
                egui::TextEdit::multiline(&mut form.draft.note)
                    .desired_rows(2)
                    .desired_width(theme::WIDE_FIELD_WIDTH * 1.5)
                    .min_size(egui::vec2(theme::WIDE_FIELD_WIDTH * 1.5, 0.0)),
            )
            .labelled_by(note.id);
            ui.label("");
            ui.end_row();
            labelled_text(ui, "Recorded by", &mut form.draft.recorded_by, theme::WIDE_FIELD_WIDTH);
            field_message(ui, message(field::RECORDED_BY, false).as_deref());
            ui.end_row();
        });

    if let Some(e) = &form.store_error {
        ui.label(RichText::new(format!("Not saved: {e}")).color(theme::ERROR));
    }
    if attempted && let Some(m) = message_for(&errors, field::ENTRY) {
        field_message(ui, Some(m));
    }
    let mut outcome = FormOutcome::Editing;
    ui.horizontal(|ui| {
        let shortcut = save_shortcut(ui);
        if ui.button("Save entry").on_hover_text("Ctrl+S").clicked() || shortcut {
            form.attempted = true;
            match validate(form, catalog, patient, today) {
                Ok(data) => outcome = FormOutcome::Save(data),
                Err(errors) => form.errors = errors,
            }
        }
        if ui.button("Cancel").clicked() {
            outcome = FormOutcome::Cancel;
        }
    });
    if form.attempted && !form.errors.is_empty() {
        ui.label(
            RichText::new(format!(
                "Not saved: {} field(s) need attention; the messages are beside them.",
                form.errors.len()
            ))
            .color(theme::ERROR),
        );
    }
    outcome
}
