//! The entry form, built for copying a printed report from the keyboard.
//!
//! It opens with the collection date focused. Tab moves through the values
//! and their printed intervals in the report's order (the measures this
//! patient has had come first; the others wait in a collapsed panel), and
//! tabbing into a field selects what it holds, so typing replaces it.
//! Beside each value: its unit (click to switch, or type the unit after the
//! value), the interval (prefilled from this patient's last report), the
//! previous value with its date and the change. Enter in "Recorded by" or
//! Ctrl+S saves; Esc cancels, asking first when anything was typed.
//!
//! What was typed never leaves the form through an error: it stays until
//! it is saved or discarded, and it is kept as a draft in the file meanwhile.

use std::collections::HashMap;

use eframe::egui::{self, Id, Key, Response, RichText, Sense, Ui};
use egui_extras::DatePickerButton;
use jiff::civil::Date;

use super::drafts::FormDraft;
use super::patients::FormOutcome;
use super::theme;
use super::widgets::{field_message, muted, save_shortcut, select_all, select_all_on_focus};
use crate::domain::catalog::{UnitSystem, display_unit};
use crate::domain::entry::{field, parse_lab_value, split_unit_suffix};
use crate::domain::entry_context::{PreviousResult, change_text, measured_before, previous_results, warnings};
use crate::domain::validate::{message_for, parse_iso_date};
use crate::domain::{Catalog, Entry, EntryData, EntryDraft, FieldError, LabDraft, Measure, Patient, ReferenceInterval};

/// What the form saves.
pub enum EntrySave {
    New(EntryData),
    Edit {
        entry: Box<Entry>,
        data: EntryData,
        reason: String,
    },
}

pub struct EntryForm {
    pub draft: EntryDraft,
    /// The entry being edited; its version guards the save.
    pub editing: Option<Entry>,
    pub reason: String,
    pub errors: Vec<FieldError>,
    pub attempted: bool,
    pub store_error: Option<String>,
    /// Set when the store refused a stale save: offer to reload.
    pub conflict: bool,
    pub confirm_cancel: bool,
    /// Local time of the draft this form was restored from.
    pub restored_from: Option<String>,
    /// The draft as last written to the file.
    pub saved_draft: Option<String>,
    pub draft_checked: bool,
    focus: Option<String>,
    picker_date: Date,
}

/// Field key of the edit reason.
pub const REASON: &str = "reason";

impl EntryForm {
    /// A new entry for `patient` dated `today`.
    pub fn new(
        catalog: &Catalog,
        patient: &Patient,
        today: Date,
        recorded_by: &str,
        history: &[Entry],
        units: UnitSystem,
    ) -> Self {
        let sex = patient.data.sex;
        let mut draft = EntryDraft::for_patient(catalog, sex, today, recorded_by, history);
        // Measures never recorded for this patient start in the preferred unit.
        for line in &mut draft.labs {
            if let Some(spec) = catalog.measure(&line.code).and_then(Measure::lab)
                && !measured_before(history, &line.code)
            {
                line.unit = spec.unit_for(units).to_owned();
                let r = spec.default_reference_in(sex, &line.unit);
                line.ref_low = r.low.map(|d| d.to_string()).unwrap_or_default();
                line.ref_high = r.high.map(|d| d.to_string()).unwrap_or_default();
            }
        }
        Self::from_draft(draft, None, today)
    }

    /// The form for editing `entry`.
    pub fn edit(entry: &Entry, catalog: &Catalog, patient: &Patient, history: &[Entry]) -> Self {
        let others: Vec<Entry> = history.iter().filter(|e| e.id != entry.id).cloned().collect();
        let draft = EntryDraft::from_entry(entry, catalog, patient.data.sex, &others);
        Self::from_draft(draft, Some(entry.clone()), entry.data.collected_on)
    }

    fn from_draft(draft: EntryDraft, editing: Option<Entry>, date: Date) -> Self {
        Self {
            draft,
            editing,
            reason: String::new(),
            errors: Vec::new(),
            attempted: false,
            store_error: None,
            conflict: false,
            confirm_cancel: false,
            restored_from: None,
            saved_draft: None,
            draft_checked: false,
            focus: Some(field::DATE.to_owned()),
            picker_date: date,
        }
    }

    /// Where this form's draft is kept in the file.
    pub fn draft_key(&self, patient_id: i64) -> String {
        match &self.editing {
            Some(e) => format!("entry:edit:{}", e.id),
            None => format!("entry:new:{patient_id}"),
        }
    }

    /// The draft to keep, or `None` when nothing was typed yet.
    pub fn draft_json(&self) -> Option<String> {
        if self.editing.is_none() && !self.draft.has_values() {
            return None;
        }
        FormDraft::to_json(&self.draft, &self.reason)
    }

    /// Puts a kept draft back into the form.
    pub fn restore(&mut self, json: &str, when: String) {
        if let Some(kept) = FormDraft::<EntryDraft>::from_json(json) {
            self.draft = kept.draft;
            self.reason = kept.reason;
            self.restored_from = Some(when);
            self.saved_draft = Some(json.to_owned());
        }
    }

    /// After a reload: the typed values stay, the edit now builds on the
    /// newest version of the entry.
    pub fn rebase(&mut self, newest: Option<&Entry>) {
        if let (Some(editing), Some(newest)) = (&mut self.editing, newest) {
            *editing = newest.clone();
        }
        self.conflict = false;
        self.store_error = None;
    }
}

/// Draws the form; returns what to save, or a cancel, or nothing.
#[allow(clippy::too_many_arguments)]
pub fn entry_form_ui(
    ui: &mut Ui,
    form: &mut EntryForm,
    catalog: &Catalog,
    patient: &Patient,
    history: &[Entry],
    today: Date,
    discard_draft: &mut bool,
    reload: &mut bool,
) -> FormOutcome<EntrySave> {
    let sex = patient.data.sex;
    let exclude = form.editing.as_ref().map(|e| e.id);
    let validated = form.draft.validate(catalog, sex, patient.data.birth_date, today);
    let mut errors = validated.as_ref().err().cloned().unwrap_or_default();
    if form.editing.is_some() && form.reason.trim().is_empty() {
        errors.push(FieldError::new(
            REASON,
            "Reason for the change is required: say why the entry is edited",
        ));
    }
    let warns = match &validated {
        Ok(data) => warnings(data, catalog, history, exclude),
        // Warnings for the lines that are fine, while another is in error.
        Err(errs) => {
            let mut fine = form.draft.clone();
            for l in &mut fine.labs {
                if errs.iter().any(|e| e.field.starts_with(&field::lab(&l.code))) {
                    l.value.clear();
                }
            }
            for s in &mut fine.symptoms {
                if errs.iter().any(|e| e.field == field::symptom(&s.code)) {
                    s.value.clear();
                }
            }
            fine.validate(catalog, sex, patient.data.birth_date, today)
                .map(|data| warnings(&data, catalog, history, exclude))
                .unwrap_or_default()
        }
    };
    form.errors = errors.clone();
    let attempted = form.attempted;
    let message = |key: &str, typed: bool| {
        if attempted || typed {
            message_for(&errors, key).map(str::to_owned)
        } else {
            None
        }
    };
    let date = parse_iso_date(form.draft.collected_on.trim()).unwrap_or(today);
    let previous = previous_results(history, date, exclude);
    let mut ids: HashMap<String, Id> = HashMap::new();

    let title = match &form.editing {
        Some(e) => format!("Edit entry of {}", e.data.collected_on),
        None => "New entry".to_owned(),
    };
    ui.label(RichText::new(title).strong().size(16.0));
    if let Some(when) = &form.restored_from {
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("Restored what was typed on {when} and not saved.")).color(theme::WARN));
            if ui.button("Discard draft").clicked() {
                *discard_draft = true;
            }
        });
    }

    egui::Grid::new("entry_head")
        .num_columns(3)
        .spacing([8.0, 6.0])
        .show(ui, |ui| {
            let label = ui.label("Collection date");
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut form.draft.collected_on)
                        .hint_text("YYYY-MM-DD")
                        .desired_width(theme::DATE_FIELD_WIDTH)
                        .min_size(egui::vec2(theme::DATE_FIELD_WIDTH, 0.0)),
                )
                .labelled_by(label.id);
            select_all_on_focus(ui, &r, &form.draft.collected_on);
            ids.insert(field::DATE.to_owned(), r.id);
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
                match message(field::DATE, true) {
                    Some(m) => field_message(ui, Some(&m)),
                    None => {
                        warning(ui, message_for(&warns, field::DATE));
                    }
                }
            });
            ui.end_row();
        });

    let has_history = !history.iter().all(|e| Some(e.id) == exclude);
    let (known, others): (Vec<usize>, Vec<usize>) =
        (0..form.draft.labs.len()).partition(|&i| has_history && measured_before(history, &form.draft.labs[i].code));
    let ctx = LabRows {
        catalog,
        patient,
        previous: &previous,
        warns: &warns,
    };
    ui.add_space(theme::SECTION_GAP);
    if known.is_empty() {
        egui::CollapsingHeader::new(RichText::new("Lab results (as printed on the report)").strong())
            .id_salt("labs_all")
            .default_open(true)
            .show(ui, |ui| {
                lab_grid(ui, "labs_all_grid", form, &others, &ctx, &message, &mut ids)
            });
    } else {
        egui::CollapsingHeader::new(
            RichText::new(format!(
                "Lab results measured before for this patient ({})",
                known.len()
            ))
            .strong(),
        )
        .id_salt("labs_known")
        .default_open(true)
        .show(ui, |ui| {
            lab_grid(ui, "labs_known_grid", form, &known, &ctx, &message, &mut ids)
        });
        let any_typed = others.iter().any(|&i| !form.draft.labs[i].value.trim().is_empty());
        egui::CollapsingHeader::new(RichText::new(format!("Other lab measures ({})", others.len())).strong())
            .id_salt("labs_other")
            .default_open(any_typed)
            .show(ui, |ui| {
                lab_grid(ui, "labs_other_grid", form, &others, &ctx, &message, &mut ids)
            });
    }
    muted(
        ui,
        "Empty values are not recorded. Intervals are prefilled from this patient's last report (or the catalog): \
         change them to what this report printed; leave a limit empty if none is printed.",
    );

    ui.add_space(theme::SECTION_GAP);
    egui::CollapsingHeader::new(RichText::new("Symptoms and findings").strong())
        .id_salt("symptoms")
        .default_open(true)
        .show(ui, |ui| {
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
                        let Some(scale) = measure.scale() else { continue };
                        let name = ui.label(&measure.name);
                        let w = theme::FORM_FIELD_WIDTH * 0.7;
                        let r = ui
                            .add(
                                egui::TextEdit::singleline(&mut line.value)
                                    .desired_width(w)
                                    .min_size(egui::vec2(w, 0.0)),
                            )
                            .labelled_by(name.id);
                        select_all_on_focus(ui, &r, &line.value);
                        ids.insert(field::symptom(&line.code), r.id);
                        muted(ui, scale.hint());
                        let typed = !line.value.trim().is_empty();
                        match message(&field::symptom(&line.code), typed) {
                            Some(m) => field_message(ui, Some(&m)),
                            None if typed => {
                                muted(
                                    ui,
                                    scale.parse(&line.value).map(|v| scale.describe(v)).unwrap_or_default(),
                                );
                            }
                            None => {
                                ui.label("");
                            }
                        }
                        ui.end_row();
                    }
                });
        });

    ui.add_space(theme::SECTION_GAP);
    let mut enter_in_last = false;
    egui::Grid::new("entry_tail")
        .num_columns(3)
        .spacing([8.0, 6.0])
        .show(ui, |ui| {
            let note = ui.label("Note");
            ui.add(
                egui::TextEdit::multiline(&mut form.draft.note)
                    .desired_rows(2)
                    .desired_width(theme::WIDE_FIELD_WIDTH * 1.5),
            )
            .labelled_by(note.id);
            ui.label("");
            ui.end_row();
            if form.editing.is_some() {
                let label = ui.label("Reason for the change");
                let r = ui
                    .add(
                        egui::TextEdit::singleline(&mut form.reason)
                            .desired_width(theme::WIDE_FIELD_WIDTH)
                            .min_size(egui::vec2(theme::WIDE_FIELD_WIDTH, 0.0)),
                    )
                    .labelled_by(label.id);
                ids.insert(REASON.to_owned(), r.id);
                field_message(ui, message(REASON, false).as_deref());
                ui.end_row();
            }
            let label = ui.label("Recorded by");
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut form.draft.recorded_by)
                        .desired_width(theme::WIDE_FIELD_WIDTH)
                        .min_size(egui::vec2(theme::WIDE_FIELD_WIDTH, 0.0)),
                )
                .labelled_by(label.id);
            ids.insert(field::RECORDED_BY.to_owned(), r.id);
            enter_in_last = r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
            field_message(ui, message(field::RECORDED_BY, false).as_deref());
            ui.end_row();
        });

    if let Some(e) = &form.store_error {
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("Not saved: {e}")).color(theme::ERROR));
            if form.conflict && ui.button("Reload").clicked() {
                *reload = true;
            }
        });
    }
    if attempted && let Some(m) = message_for(&errors, field::ENTRY) {
        field_message(ui, Some(m));
    }

    let mut outcome = FormOutcome::Editing;
    let shortcut = save_shortcut(ui);
    let escape = ui.input(|i| i.key_pressed(Key::Escape));
    if form.confirm_cancel {
        ui.horizontal(|ui| {
            ui.label(RichText::new("Discard what you typed in this entry?").color(theme::WARN));
            if ui.button("Discard").clicked() {
                outcome = FormOutcome::Cancel;
            }
            if ui.button("Keep editing").clicked() {
                form.confirm_cancel = false;
            }
        });
    }
    ui.horizontal(|ui| {
        let save_label = if form.editing.is_some() {
            "Save changes"
        } else {
            "Save entry"
        };
        let clicked = ui
            .add_enabled(errors.is_empty(), egui::Button::new(save_label))
            .on_hover_text("Ctrl+S, or Enter in Recorded by")
            .on_disabled_hover_text("Correct the fields marked in red first")
            .clicked();
        if clicked || shortcut || enter_in_last {
            form.attempted = true;
            match (validated, form.editing.clone()) {
                (Ok(data), None) => outcome = FormOutcome::Save(EntrySave::New(data)),
                (Ok(data), Some(entry)) if !form.reason.trim().is_empty() => {
                    outcome = FormOutcome::Save(EntrySave::Edit {
                        entry: Box::new(entry),
                        data,
                        reason: form.reason.trim().to_owned(),
                    });
                }
                _ => {
                    // Show every message and put the cursor on the first one.
                    form.focus = errors.iter().map(|e| e.field.clone()).find(|k| ids.contains_key(k));
                }
            }
        }
        if ui.button("Cancel").on_hover_text("Esc").clicked() || (escape && !form.confirm_cancel) {
            let typed = form.draft.has_values() || !form.reason.trim().is_empty();
            if typed && form.editing.is_none() || form.editing.is_some() && !form.reason.trim().is_empty() {
                form.confirm_cancel = true;
            } else {
                outcome = FormOutcome::Cancel;
            }
        }
    });
    if form.attempted && !errors.is_empty() {
        ui.label(
            RichText::new(format!(
                "Not saved: {} field(s) need attention; the messages are beside them.",
                errors.len()
            ))
            .color(theme::ERROR),
        );
    }
    if let Some(key) = form.focus.take() {
        match ids.get(&key) {
            Some(id) => {
                ui.memory_mut(|m| m.request_focus(*id));
                select_all(ui, *id, &field_text(form, &key));
            }
            None => form.focus = Some(key),
        }
    }
    outcome
}

/// The text of the field with this key, to select it when it gets the cursor.
fn field_text(form: &EntryForm, key: &str) -> String {
    let d = &form.draft;
    if key == field::DATE {
        return d.collected_on.clone();
    }
    if key == REASON {
        return form.reason.clone();
    }
    if key == field::RECORDED_BY {
        return d.recorded_by.clone();
    }
    for l in &d.labs {
        if key == field::lab(&l.code) {
            return l.value.clone();
        }
        if key == field::ref_low(&l.code) {
            return l.ref_low.clone();
        }
        if key == field::ref_high(&l.code) {
            return l.ref_high.clone();
        }
    }
    d.symptoms
        .iter()
        .find(|s| key == field::symptom(&s.code))
        .map(|s| s.value.clone())
        .unwrap_or_default()
}

/// What every lab row needs besides its line.
struct LabRows<'a> {
    catalog: &'a Catalog,
    patient: &'a Patient,
    previous: &'a std::collections::BTreeMap<String, PreviousResult>,
    warns: &'a [FieldError],
}

fn lab_grid(
    ui: &mut Ui,
    id: &str,
    form: &mut EntryForm,
    lines: &[usize],
    ctx: &LabRows<'_>,
    message: &dyn Fn(&str, bool) -> Option<String>,
    ids: &mut HashMap<String, Id>,
) {
    egui::Grid::new(id)
        .num_columns(7)
        .striped(true)
        .spacing([8.0, 4.0])
        .show(ui, |ui| {
            for h in ["Measure", "Value", "Unit", "Ref. low", "Ref. high", "Previous", ""] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for &i in lines {
                lab_row(ui, &mut form.draft.labs[i], ctx, message, ids);
                ui.end_row();
            }
        });
}

fn lab_row(
    ui: &mut Ui,
    line: &mut LabDraft,
    ctx: &LabRows<'_>,
    message: &dyn Fn(&str, bool) -> Option<String>,
    ids: &mut HashMap<String, Id>,
) {
    let Some(measure) = ctx.catalog.measure(&line.code) else {
        return;
    };
    let Some(spec) = measure.lab() else { return };
    let sex = ctx.patient.data.sex;
    let name = ui.label(&measure.name);
    let r = ui
        .add(
            egui::TextEdit::singleline(&mut line.value)
                .desired_width(theme::FORM_FIELD_WIDTH)
                .min_size(egui::vec2(theme::FORM_FIELD_WIDTH, 0.0)),
        )
        .labelled_by(name.id);
    select_all_on_focus(ui, &r, &line.value);
    ids.insert(field::lab(&line.code), r.id);

    // The unit: a unit typed after the value wins; else the line's unit,
    // which a click switches (not a Tab stop: the keyboard way is typing it).
    let (_, typed_unit) = split_unit_suffix(&line.value, spec);
    let unit = typed_unit.map(str::to_owned).unwrap_or_else(|| line.unit.clone());
    let units = spec.units();
    if units.len() > 1 && typed_unit.is_none() {
        let r = ui
            .add(egui::Button::new(display_unit(&unit)).small().sense(Sense::CLICK))
            .on_hover_text(format!(
                "Click for {}",
                units.iter().map(|u| display_unit(u)).collect::<Vec<_>>().join(" / ")
            ));
        if r.clicked() {
            switch_unit(line, spec, sex);
        }
    } else {
        muted(ui, display_unit(&unit));
    }
    let w = theme::FORM_FIELD_WIDTH * 0.7;
    let low = ui
        .add(
            egui::TextEdit::singleline(&mut line.ref_low)
                .desired_width(w)
                .min_size(egui::vec2(w, 0.0)),
        )
        .accessible_name(format!("{} reference low", measure.name));
    select_all_on_focus(ui, &low, &line.ref_low);
    ids.insert(field::ref_low(&line.code), low.id);
    let high = ui
        .add(
            egui::TextEdit::singleline(&mut line.ref_high)
                .desired_width(w)
                .min_size(egui::vec2(w, 0.0)),
        )
        .accessible_name(format!("{} reference high", measure.name));
    select_all_on_focus(ui, &high, &line.ref_high);
    ids.insert(field::ref_high(&line.code), high.id);

    // Previous value, in this line's unit, and the change.
    let typed = !line.value.trim().is_empty();
    let parsed = parse_lab_value(split_unit_suffix(&line.value, spec).0).ok();
    match ctx.previous.get(&line.code) {
        Some(p) => {
            let shown = p.result.in_unit(spec, &unit);
            let mut text = format!("{} on {}", shown.value_text(), p.date);
            if let (Some((None, now)), None) = (&parsed, shown.comparator) {
                text.push_str(&format!(
                    ", {}",
                    change_text(shown.value.value(), now.value(), spec.decimals_in(&unit))
                ));
            }
            muted(ui, text);
        }
        None => {
            muted(ui, "none");
        }
    }

    let problem = message(&field::lab(&line.code), typed)
        .or_else(|| message(&field::ref_low(&line.code), true))
        .or_else(|| message(&field::ref_high(&line.code), true));
    match problem {
        Some(m) => field_message(ui, Some(&m)),
        None if typed => {
            let reads = parsed.map(|(comparator, value)| {
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
                format!(
                    "reads as {}{} {}: {verdict}",
                    comparator.map_or("", |c| c.as_str()),
                    value,
                    display_unit(&unit)
                )
            });
            ui.vertical(|ui| {
                if let Some(r) = reads {
                    muted(ui, r);
                }
                let key = field::lab(&line.code);
                for w in ctx
                    .warns
                    .iter()
                    .filter(|w| w.field == key && w.message.starts_with("changed"))
                {
                    warning(ui, Some(&w.message));
                }
            });
        }
        None => {
            ui.label("");
        }
    }
}

/// Switches a line to the measure's next unit; an interval still at the
/// catalog default follows, one typed from a report is kept.
fn switch_unit(line: &mut LabDraft, spec: &crate::domain::LabSpec, sex: crate::domain::Sex) {
    let units = spec.units();
    let at = units.iter().position(|u| *u == line.unit).unwrap_or(0);
    let next = units[(at + 1) % units.len()].to_owned();
    let old_default = spec.default_reference_in(sex, &line.unit);
    let text = |d: Option<crate::domain::Decimal>| d.map(|x| x.to_string()).unwrap_or_default();
    if line.ref_low == text(old_default.low.clone()) && line.ref_high == text(old_default.high.clone()) {
        let new_default = spec.default_reference_in(sex, &next);
        line.ref_low = text(new_default.low);
        line.ref_high = text(new_default.high);
    }
    line.unit = next;
}

fn warning(ui: &mut Ui, message: Option<&str>) -> Option<Response> {
    message.map(|m| {
        ui.scope(|ui| {
            ui.set_max_width(theme::MESSAGE_WIDTH);
            ui.add(egui::Label::new(RichText::new(m).color(theme::WARN)).wrap());
        })
        .response
    })
}
