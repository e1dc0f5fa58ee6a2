//! The entry form, built for copying a printed report from the keyboard.
//!
//! It opens with the collection date focused. Tab moves through the values
//! and their printed intervals in the report's order (the measures this
//! patient has had come first; the others wait in a collapsed panel).
//! Beside each value: its unit (click to switch, or type the unit after the
//! value), the interval (prefilled from this patient's last report), the
//! previous value with its date and the change, and what the value reads
//! as. Enter in "Recorded by" or Ctrl+S saves; Esc cancels, asking first
//! when anything was typed (the shared form frame, `form.rs`).
//!
//! The domain checks the draft line by line ([`EntryCheck`]); this file
//! only draws it, and the check is recomputed when a field changes.

use eframe::egui::{self, RichText, Sense, Ui};
use egui_extras::DatePickerButton;
use jiff::civil::Date;

use super::form::{Fields, Form, FormOutcome, FormText, show_form};
use super::theme;
use super::widgets::muted;
use clinilog_domain::catalog::{UnitSystem, display_unit};
use clinilog_domain::entry::field;
use clinilog_domain::entry::{CommaReading, IntervalReading};
use clinilog_domain::entry_context::{EntryCheck, EntryFor, Warning, change_text, measured_before};
use clinilog_domain::validate::parse_iso_date;
use clinilog_domain::{Catalog, Entry, EntryData, EntryDraft, Flag, LabDraft, Measure, Patient};
use clinilog_store::DraftKey;

/// What only the entry form keeps besides its draft.
#[derive(Clone, Debug)]
pub struct EntryExtra {
    /// The draft checked line by line, as of the last change.
    pub check: Option<EntryCheck>,
    /// The date the calendar button shows.
    picker_date: Date,
}

/// The entry form: "New entry", or "Edit entry of ..." with a reason.
pub type EntryForm = Form<EntryDraft, Entry, EntryExtra>;

/// A new entry for `patient` dated `today`.
pub fn new_entry_form(
    catalog: &Catalog,
    patient: &Patient,
    today: Date,
    recorded_by: &str,
    history: &[Entry],
    units: UnitSystem,
) -> EntryForm {
    let sex = patient.data.sex;
    let mut draft = EntryDraft::for_patient(catalog, sex, today, recorded_by, history);
    // Measures never recorded for this patient start in the preferred unit.
    for line in &mut draft.labs {
        if let Some(spec) = catalog.measure(&line.code).and_then(Measure::lab)
            && !measured_before(history, &line.code)
        {
            line.unit = spec.unit_for(units).to_owned();
            line.follow_unit(spec);
        }
    }
    let extra = EntryExtra {
        check: None,
        picker_date: today,
    };
    Form::new(
        DraftKey::NewEntry { patient: patient.id },
        draft,
        None,
        extra,
        field::DATE,
    )
}

/// The form for editing `entry`.
pub fn edit_entry_form(entry: &Entry, catalog: &Catalog, patient: &Patient, history: &[Entry]) -> EntryForm {
    let others: Vec<Entry> = history.iter().filter(|e| e.id != entry.id).cloned().collect();
    let draft = EntryDraft::from_entry(entry, catalog, patient.data.sex, &others);
    let extra = EntryExtra {
        check: None,
        picker_date: entry.data.collected_on,
    };
    Form::new(
        DraftKey::EditEntry(entry.id),
        draft,
        Some(entry.clone()),
        extra,
        field::DATE,
    )
}

/// Draws the form; returns what to save, a cancel, or nothing.
pub fn entry_form_ui(
    ui: &mut Ui,
    form: &mut EntryForm,
    catalog: &Catalog,
    patient: &Patient,
    history: &[Entry],
    today: Date,
) -> FormOutcome<EntryData> {
    let who = EntryFor {
        sex: patient.data.sex,
        birth_date: patient.data.birth_date,
        today,
        history,
        editing: form.editing.as_ref().map(|e| e.id),
    };
    let text = FormText {
        title: match &form.editing {
            Some(e) => format!("Edit entry of {}", e.data.collected_on),
            None => "New entry".to_owned(),
        },
        save: if form.editing.is_some() {
            "Save changes"
        } else {
            "Save entry"
        },
        noun: "entry",
    };
    show_form(
        ui,
        form,
        &text,
        |draft, extra| {
            let check = EntryCheck::of(draft, catalog, who);
            let result = check.result.clone();
            extra.check = Some(check);
            result
        },
        |ui, f, draft, extra| entry_fields(ui, f, draft, extra, catalog, who),
    )
}

fn entry_fields(
    ui: &mut Ui,
    f: &mut Fields<'_>,
    draft: &mut EntryDraft,
    extra: &mut EntryExtra,
    catalog: &Catalog,
    who: EntryFor<'_>,
) {
    // Taken out while drawing (the date picker writes to `extra`), put back at the end.
    let Some(check) = extra.check.take() else {
        return;
    };
    egui::Grid::new("entry_head")
        .num_columns(3)
        .spacing([8.0, 6.0])
        .show(ui, |ui| {
            f.date(ui, field::DATE, "Collection date", &mut draft.collected_on);
            ui.horizontal(|ui| {
                if let Some(d) = parse_iso_date(draft.collected_on.trim()) {
                    extra.picker_date = d;
                }
                let before = extra.picker_date;
                ui.add(
                    DatePickerButton::new(&mut extra.picker_date)
                        .id_salt("entry_date_picker")
                        .show_icon(false)
                        .format("Calendar"),
                )
                .on_hover_text("Pick the collection date from a calendar");
                if extra.picker_date != before {
                    draft.collected_on = extra.picker_date.to_string();
                }
                if !f.message(ui, field::DATE, true) {
                    for w in check.warnings_of(field::DATE) {
                        warning(ui, &w.message());
                    }
                }
            });
            ui.end_row();
        });

    let has_history = !who.history.iter().all(|e| Some(e.id) == who.editing);
    let (known, others): (Vec<usize>, Vec<usize>) =
        (0..draft.labs.len()).partition(|&i| has_history && measured_before(who.history, &draft.labs[i].code));
    let rows = LabRows { catalog, check: &check };
    ui.add_space(theme::SECTION_GAP);
    if known.is_empty() {
        egui::CollapsingHeader::new(RichText::new("Lab results (as printed on the report)").strong())
            .id_salt("labs_all")
            .default_open(true)
            .show(ui, |ui| lab_grid(ui, f, "labs_all_grid", draft, &others, &rows));
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
        .show(ui, |ui| lab_grid(ui, f, "labs_known_grid", draft, &known, &rows));
        let any_typed = others.iter().any(|&i| !draft.labs[i].value.trim().is_empty());
        egui::CollapsingHeader::new(RichText::new(format!("Other lab measures ({})", others.len())).strong())
            .id_salt("labs_other")
            .default_open(any_typed)
            .show(ui, |ui| lab_grid(ui, f, "labs_other_grid", draft, &others, &rows));
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
                    for line in &mut draft.symptoms {
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
                        f.register(ui, &field::symptom(&line.code), &r, &line.value);
                        muted(ui, scale.hint());
                        let typed = !line.value.trim().is_empty();
                        if !f.message(ui, &field::symptom(&line.code), typed) {
                            let reads = typed
                                .then(|| scale.parse(&line.value).map(|v| scale.describe(v)).ok())
                                .flatten();
                            muted(ui, reads.unwrap_or_default());
                        }
                        ui.end_row();
                    }
                });
        });

    ui.add_space(theme::SECTION_GAP);
    egui::Grid::new("entry_tail")
        .num_columns(3)
        .spacing([8.0, 6.0])
        .show(ui, |ui| {
            let note = ui.label("Note");
            let r = ui
                .add(
                    egui::TextEdit::multiline(&mut draft.note)
                        .desired_rows(2)
                        .desired_width(theme::WIDE_FIELD_WIDTH * 1.5),
                )
                .labelled_by(note.id);
            f.register(ui, "note", &r, &draft.note);
            ui.label("");
            ui.end_row();
            f.last_text(
                ui,
                field::RECORDED_BY,
                "Recorded by",
                &mut draft.recorded_by,
                theme::WIDE_FIELD_WIDTH,
            );
            f.reason_row(ui);
        });
    extra.check = Some(check);
}

/// What every lab row needs besides its line.
struct LabRows<'a> {
    catalog: &'a Catalog,
    check: &'a EntryCheck,
}

fn lab_grid(ui: &mut Ui, f: &mut Fields<'_>, id: &str, draft: &mut EntryDraft, lines: &[usize], rows: &LabRows<'_>) {
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
                lab_row(ui, f, &mut draft.labs[i], rows);
                ui.end_row();
            }
        });
}

fn lab_row(ui: &mut Ui, f: &mut Fields<'_>, line: &mut LabDraft, rows: &LabRows<'_>) {
    let Some(measure) = rows.catalog.measure(&line.code) else {
        return;
    };
    let Some(spec) = measure.lab() else { return };
    let name = ui.label(&measure.name);
    let r = ui
        .add(
            egui::TextEdit::singleline(&mut line.value)
                .desired_width(theme::FORM_FIELD_WIDTH)
                .min_size(egui::vec2(theme::FORM_FIELD_WIDTH, 0.0)),
        )
        .labelled_by(name.id);
    f.register(ui, &field::lab(&line.code), &r, &line.value);
    // One unit per line: a prefilled interval follows the value's unit
    // (a unit typed after the value; a click on the unit does it itself).
    if r.changed() {
        line.follow_unit(spec);
    }

    // The unit: one typed after the value wins; else the line's unit, which
    // a click switches (not a Tab stop: the keyboard way is typing it).
    let unit = line.reading_unit(spec).to_owned();
    let typed_unit = unit != line.unit;
    let units = spec.units();
    if units.len() > 1 && !typed_unit {
        let r = ui
            .add(egui::Button::new(display_unit(&unit)).small().sense(Sense::CLICK))
            .on_hover_text(format!(
                "Click for {}",
                units.iter().map(|u| display_unit(u)).collect::<Vec<_>>().join(" / ")
            ));
        if r.clicked() {
            line.switch_unit(spec);
        }
    } else {
        muted(ui, display_unit(&unit));
    }
    let w = theme::FORM_FIELD_WIDTH * 0.7;
    let mut typed_interval = false;
    for (key, value, which) in [
        (field::ref_low(&line.code), &mut line.ref_low, "low"),
        (field::ref_high(&line.code), &mut line.ref_high, "high"),
    ] {
        let r = ui
            .add(
                egui::TextEdit::singleline(value)
                    .desired_width(w)
                    .min_size(egui::vec2(w, 0.0)),
            )
            .accessible_name(format!("{} reference {which}", measure.name));
        f.register(ui, &key, &r, value);
        typed_interval |= r.changed();
    }
    if typed_interval {
        line.interval_typed(spec);
    }

    // Previous value, in this line's unit, and the change.
    let reads = rows.check.reads.get(&line.code);
    match rows.check.previous.get(&line.code) {
        Some(p) => {
            let shown = p.result.in_unit(spec, &unit);
            let mut text = format!("{} on {}", shown.value_text(), p.date);
            if let Some(now) = reads
                && now.comparator.is_none()
                && shown.comparator.is_none()
            {
                text.push_str(&format!(
                    ", {}",
                    change_text(shown.value.value(), now.value.value(), spec.decimals_in(&unit))
                ));
            }
            muted(ui, text);
        }
        None => {
            muted(ui, "none");
        }
    }

    let typed = !line.value.trim().is_empty();
    let problem = f
        .error(&field::lab(&line.code), typed)
        .or_else(|| f.error(&field::ref_low(&line.code), true))
        .or_else(|| f.error(&field::ref_high(&line.code), true));
    // An unusual value, otherwise fine: said, with a Confirm that Tab reaches
    // after the interval; the save waits for it.
    let unusual = match problem {
        None => f.error(&field::unusual(&line.code), typed),
        Some(_) => None,
    };
    if let Some(message) = unusual {
        ui.vertical(|ui| {
            f.show_message(ui, Some(&message));
            let r = ui
                .button(format!(
                    "Confirm {} {} as printed",
                    line.value.trim(),
                    display_unit(&unit)
                ))
                .on_hover_text("The report prints this value: store it exactly so (the confirmation is audited)");
            f.register(ui, &format!("{}:confirm", field::unusual(&line.code)), &r, "");
            if r.clicked() {
                line.confirmed = line.value.clone();
                // The button goes: the cursor stays where it was, after the
                // interval, so that Tab goes on to the next line.
                f.focus(&field::ref_high(&line.code));
            }
        });
        return;
    }
    if f.show_message(ui, problem.as_deref()) {
        // A typed interval in another unit than the value: which one did the report print?
        if let IntervalReading::Ask { typed_in } = line.interval_reading(spec) {
            ui.horizontal(|ui| {
                if ui
                    .small_button(format!("Interval in {}", display_unit(&unit)))
                    .clicked()
                {
                    line.interval_printed_in(spec, &unit);
                }
                if ui
                    .small_button(format!("Interval in {}: convert", display_unit(&typed_in)))
                    .clicked()
                {
                    line.interval_printed_in(spec, &typed_in);
                }
            });
        }
        return;
    }
    ui.vertical(|ui| {
        if let Some(lab) = reads {
            let verdict = match lab.flag {
                Flag::CriticalHigh => "HH, critical: above the call-back limit",
                Flag::High => "H, above the interval",
                Flag::Low => "L, below the interval",
                Flag::CriticalLow => "LL, critical: below the call-back limit",
                Flag::Normal => "within the interval",
            };
            muted(
                ui,
                format!("reads as {} {}: {verdict}", lab.value_text(), display_unit(&lab.unit)),
            );
        }
        if reads.is_some_and(|l| l.confirmed_unusual) {
            muted(ui, "confirmed as printed, although unusual for the measure");
        }
        // `1,234`: which reading is usual for the measure.
        if reads.is_some()
            && line.value.contains(',')
            && let Some(reading) = line.comma_reading(spec)
        {
            muted(
                ui,
                match reading {
                    CommaReading::Decimal => "the comma read as a decimal point",
                    CommaReading::Thousands => "the comma read as a thousands separator",
                },
            );
        }
        if let Some(p) = line.prefill.as_ref().filter(|p| !line.ref_typed && p.unit != unit) {
            let printed = match (p.low.as_str(), p.high.as_str()) {
                ("", "") => "none".to_owned(),
                ("", h) => format!("up to {h}"),
                (l, "") => format!("from {l}"),
                (l, h) => format!("{l} - {h}"),
            };
            muted(
                ui,
                format!("interval converted from {printed} {}", display_unit(&p.unit)),
            );
        }
        for w in rows.check.warnings_of(&field::lab(&line.code)) {
            if matches!(w, Warning::ChangeBeyondAlert { .. }) {
                warning(ui, &w.message());
            }
        }
    });
}

fn warning(ui: &mut Ui, message: &str) {
    super::widgets::wrapped_message(ui, message, theme::WARN);
}
