//! The window, driven headless through egui_kittest by visible labels.

mod dialogs;
mod fit;
mod harness;

pub(crate) use harness::*;

use crate::common;
use clinilog::store::ClinicStore;

use clinilog::cli::demo::write_demo;
use clinilog::domain::{Catalog, Flag};
use clinilog::store::{DraftKey, FileStore};
use clinilog::ui::{ClinilogApp, Prefs};
use eframe::egui;
use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use jiff::civil::date;

#[test]
fn create_a_patient_record_an_entry_and_find_it_in_the_log_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinic.sqlite");
    let mut h = harness(FileStore::open(&path).unwrap(), "Dr Rao");
    h.get_by_label_contains("No patients registered yet");

    click(&mut h, "New patient");
    type_into(&mut h, "MRN", "H-42");
    type_into(&mut h, "Name", "Ana Diaz");
    type_into(&mut h, "Birth date", "1974-01-15");
    h.get_by_role_and_label(Role::ComboBox, "Sex").click();
    h.run();
    click(&mut h, "Female");
    type_into(&mut h, "Diagnosis", "Cirrhosis, hepatitis C");
    click(&mut h, "Save patient");

    // The patient screen opens on the empty Log.
    h.get_by_label("Ana Diaz");
    h.get_by_label_contains("No entries yet");
    click(&mut h, "New entry");
    type_into(&mut h, "Total bilirubin", "12,30");
    h.get_by_label("reads as 12.30 mg/dL: H, above the interval");
    type_into(&mut h, "Direct bilirubin", "9.80");
    type_into(&mut h, "Fatigue", "7");
    click(&mut h, "Save entry");

    h.get_by_label("Total bilirubin (mg/dL)");
    h.get_by_label("12.30 H");
    h.get_by_label("Indirect bilirubin (mg/dL)");
    h.get_by_label("2.50 H (calc.)");
    h.get_by_label("Log (1)");
    h.get_by_label_contains("Entry of 2025-09-01 saved");
    drop(h);

    let store = FileStore::open(&path).unwrap();
    let patient = store.patient_by_mrn("H-42").unwrap().expect("patient stored");
    assert_eq!(patient.data.name, "Ana Diaz");
    let entries = store.entries(patient.id).unwrap();
    assert_eq!(entries.len(), 1);
    let bili = entries[0].data.lab("bili_total").unwrap();
    assert_eq!(
        (bili.value.as_str(), bili.unit.as_str(), bili.flag),
        ("12.30", "mg/dL", Flag::High)
    );
    assert_eq!(entries[0].data.symptom("fatigue"), Some(7));
    assert!(
        entries[0].data.lab("bili_indirect").is_none(),
        "calculated values are not stored"
    );
    assert_eq!(entries[0].data.recorded_by, "Dr Rao");
}

#[test]
fn an_invalid_value_blocks_the_save_and_keeps_what_was_typed() {
    let (_dir, path, mut h) = on_demo_patient();
    click(&mut h, "New entry");
    type_into(&mut h, "Total bilirubin", "12..3");
    type_into(&mut h, "ALT (SGPT)", "60");
    h.get_by_label_contains("Total bilirubin: \"12..3\" has more than one decimal separator");
    // Save stays disabled while a field is in error...
    assert!(h.get_by_label("Save entry").accesskit_node().is_disabled());
    click(&mut h, "Save entry");
    assert!(h.query_by_label_contains("Not saved").is_none());
    // ...and a save attempt from the keyboard says why and puts the cursor on the first error.
    type_into(&mut h, "ALT (SGPT)", "");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    h.run();
    h.get_by_label_contains("Not saved: 1 field(s) need attention");
    h.run();
    assert!(h.get_by_role_and_label(Role::TextInput, "Total bilirubin").is_focused());
    assert_eq!(
        h.get_by_role_and_label(Role::TextInput, "Total bilirubin")
            .value()
            .as_deref(),
        Some("12..3")
    );
    assert_eq!(
        h.get_by_role_and_label(Role::TextInput, "ALT (SGPT)")
            .value()
            .as_deref(),
        Some("60")
    );
    drop(h);
    let store = FileStore::open(&path).unwrap();
    let id = store.patient_by_mrn("DEMO-001").unwrap().unwrap().id;
    assert_eq!(store.entries(id).unwrap().len(), 5, "nothing was saved");
}

#[test]
fn patient_form_messages_name_the_fields_and_search_filters_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = FileStore::open(dir.path().join("c.sqlite")).unwrap();
    write_demo(&mut store, &Catalog::builtin().unwrap(), date(2025, 9, 1)).unwrap();
    let mut h = harness(store, "Dr Rao");

    h.get_by_label("DEMO-001");
    type_into(&mut h, "Search", "zzz");
    h.get_by_label_contains("No patient matches \"zzz\"");

    click(&mut h, "New patient");
    assert!(
        h.get_by_role_and_label(Role::TextInput, "MRN").is_focused(),
        "the form opens with the cursor in its first field"
    );
    type_into(&mut h, "MRN", "DEMO-001");
    type_into(&mut h, "Birth date", "15/01/1974");
    // A message shows beside the field as soon as it holds text; Save waits.
    h.get_by_label_contains("Birth date \"15/01/1974\" is not a date");
    assert!(h.get_by_label("Save patient").accesskit_node().is_disabled());
    assert!(h.query_by_label("Name is required").is_none());
    // A save attempt from the keyboard shows every message and puts the
    // cursor on the first field in error, in the form's order.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    h.run();
    h.run();
    assert!(h.get_by_role_and_label(Role::TextInput, "Name").is_focused());
    h.get_by_label("Name is required");
    h.get_by_label_contains("Birth date \"15/01/1974\" is not a date: enter it as YYYY-MM-DD");
    h.get_by_label_contains("Sex is required");

    // A taken MRN is a store error: shown, and the form keeps the text.
    type_into(&mut h, "Name", "Someone Else");
    replace_text(&mut h, "Birth date", "1980-02-02");
    h.get_by_role_and_label(Role::ComboBox, "Sex").click();
    h.run();
    click(&mut h, "Male");
    click(&mut h, "Save patient");
    let msg = "a patient with MRN \"DEMO-001\" already exists: open that patient or use another MRN";
    assert_eq!(
        h.get_all_by_label(&format!("Not saved: {msg}")).count(),
        2,
        "beside the form and in the status bar"
    );
    assert_eq!(
        h.get_by_role_and_label(Role::TextInput, "Name").value().as_deref(),
        Some("Someone Else")
    );
}

#[test]
fn demo_patient_trends_show_a_plot_per_measure_and_treatments_are_listed() {
    let (_dir, _path, mut h) = on_demo_patient();
    h.get_by_label("Log (5)");
    h.get_by_label("9.80 H");

    click(&mut h, "Treatments (3)");
    assert_eq!(
        h.get_all_by_label("Donor adipose-derived MSC with amniotic-fluid-derived exosomes")
            .count(),
        3
    );

    click(&mut h, "Trends");
    // One plot per catalog group, with its unit.
    for title in [
        "Bilirubin (mg/dL)",
        "ALT and AST (U/L)",
        "ALP and GGT (U/L)",
        "Creatinine (mg/dL)",
        "AST/ALT ratio (ratio)",
    ] {
        h.get_by_label(title);
    }
    assert!(
        h.query_by_label("Albumin (g/dL)").is_none(),
        "no plot for a group never recorded"
    );
    // The three treatment lines, named.
    for c in ["C1", "C2", "C3"] {
        h.get_by_label(c);
    }
    // The symptom timeline and its strips.
    h.get_by_label("Symptom timeline");
    for strip in [
        "Fatigue (0-10)",
        "Energy (0-10)",
        "Loss of appetite (0-10)",
        "Quality of life (0-10)",
        "Jaundice (skin/eyes) (yes/no)",
    ] {
        h.get_by_label(strip);
    }
}

#[test]
fn ctrl_s_saves_the_entry_from_inside_a_field() {
    let (_dir, path, mut h) = on_demo_patient();
    click(&mut h, "New entry");
    // Albumin was never measured for this patient: it waits in the collapsed panel.
    assert!(h.query_by_role_and_label(Role::TextInput, "Albumin").is_none());
    h.get_by_label_contains("Other lab measures").click();
    h.run();
    type_into(&mut h, "Albumin", "2,9");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    h.run();
    h.get_by_label("Log (6)");
    h.get_by_label("Albumin (g/dL)");
    h.get_by_label("2.9 L");
    drop(h);
    let store = FileStore::open(&path).unwrap();
    let id = store.patient_by_mrn("DEMO-001").unwrap().unwrap().id;
    let newest = &store.entries(id).unwrap()[0];
    assert_eq!(newest.data.lab("albumin").unwrap().value.as_str(), "2.9");
}

#[test]
fn the_log_shows_scores_and_a_date_opens_their_breakdown() {
    let (_dir, _path, mut h) = on_demo_patient();
    // The demo has no INR or albumin: those scores are one note, not columns of "-".
    assert!(h.query_by_label("MELD").is_none());
    h.get_by_label_contains("Not computed for this patient yet: MELD needs INR");
    h.get_by_label_contains("ALBI needs albumin (g/dL)");
    assert!(
        h.query_by_label_contains("AST/ALT needs").is_none(),
        "AST/ALT is computed: it keeps its column"
    );
    h.get_by_label("AST/ALT");
    // Baseline AST 160 / ALT 60; the week after carries both.
    assert_eq!(h.get_all_by_label("2.67").count(), 2);

    h.get_by_role_and_label(Role::Link, "2025-07-19").click();
    h.run();
    h.get_by_label("Entry of 2025-07-19");
    h.get_by_label("MELD not computed: missing INR");
    h.get_by_label("AST/ALT 2.67");
    h.get_by_label("160 U/L");
}

/// Sets every calculator field: the given ones to their value, the others empty.
fn calculator_inputs(h: &mut App<'_>, values: &[(&str, &str)]) {
    for label in [
        "Bilirubin (total)",
        "INR",
        "Creatinine",
        "Sodium",
        "Albumin",
        "AST",
        "ALT",
        "AST upper limit of normal",
        "Platelets",
        "Age",
    ] {
        let value = values.iter().find(|(l, _)| *l == label).map_or("", |(_, v)| v);
        replace_text(h, label, value);
        if value.is_empty() {
            h.key_press(egui::Key::Backspace);
            h.run();
        }
    }
}

fn choose(h: &mut App<'_>, combo: &str, option: &str) {
    h.get_by_role_and_label(Role::ComboBox, combo).click();
    h.run();
    h.get_all_by_label(option).last().unwrap().click();
    h.run();
}

/// The six public test vectors of the clinical reference, typed into the
/// calculator window one after the other.
#[test]
fn the_score_calculator_agrees_with_the_reference_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(FileStore::open(dir.path().join("c.sqlite")).unwrap(), "Dr Rao");
    click(&mut h, "Tools");
    click(&mut h, "Score calculator");
    // 1. MELD: bili 1.9, INR 1.2, Cr 1.3 -> 13 (a decimal comma is fine).
    calculator_inputs(
        &mut h,
        &[("Bilirubin (total)", "1,9"), ("INR", "1.2"), ("Creatinine", "1.3")],
    );
    h.get_by_label("MELD 13");
    h.get_by_label_contains("MELD-Na not computed: missing sodium (mmol/L)");
    // 2. MELD in SI units: INR 2.0, bili 54 umol/L, Cr 170 umol/L -> 25.
    click(&mut h, "SI units: bilirubin and creatinine in umol/L, albumin in g/L");
    calculator_inputs(
        &mut h,
        &[("Bilirubin (total)", "54"), ("INR", "2.0"), ("Creatinine", "170")],
    );
    h.get_by_label("MELD 25");
    click(&mut h, "SI units: bilirubin and creatinine in umol/L, albumin in g/L");
    // 3. MELD-Na: Cr 1.0, bili 1.5, INR 1.5, Na 135 -> 15.
    calculator_inputs(
        &mut h,
        &[
            ("Bilirubin (total)", "1.5"),
            ("INR", "1.5"),
            ("Creatinine", "1.0"),
            ("Sodium", "135"),
        ],
    );
    h.get_by_label("MELD-Na 15");
    // 4. MELD 3.0, male: bili 2.0, Cr 1.5, INR 1.5, Na 137, albumin 3.0 -> 18.
    choose(&mut h, "Sex", "male");
    calculator_inputs(
        &mut h,
        &[
            ("Bilirubin (total)", "2.0"),
            ("INR", "1.5"),
            ("Creatinine", "1.5"),
            ("Sodium", "137"),
            ("Albumin", "3.0"),
        ],
    );
    h.get_by_label("MELD 3.0 18");
    // 5. APRI: AST 38, ULN 40, platelets 150 -> 0.63.
    calculator_inputs(
        &mut h,
        &[("AST", "38"), ("AST upper limit of normal", "40"), ("Platelets", "150")],
    );
    h.get_by_label("APRI 0.63");
    // 6. Child-Pugh: bili 3.2, albumin 2.6, INR 2.0, mild ascites, HE grade 1-2 -> 12, class C.
    choose(&mut h, "Ascites", "mild");
    choose(&mut h, "Encephalopathy", "grade 1-2");
    calculator_inputs(
        &mut h,
        &[("Bilirubin (total)", "3.2"), ("INR", "2.0"), ("Albumin", "2.6")],
    );
    h.get_by_label("Child-Pugh 12 (C)");
    // A value that is not a number is named beside its field.
    type_into(&mut h, "Sodium", "x");
    h.get_by_label_contains("\"x\" is not a number");
}

#[test]
fn log_breakdown_and_calculator_agree_on_an_entry_meld() {
    let (_dir, _path, mut h) = on_demo_patient();
    click(&mut h, "New entry");
    replace_text(&mut h, "Collection date", "2025-08-25");
    h.get_by_label_contains("Other lab measures").click();
    h.run();
    type_into(&mut h, "Total bilirubin", "1.9");
    type_into(&mut h, "INR", "1.2");
    type_into(&mut h, "Creatinine", "1.3");
    click(&mut h, "Save entry");
    // Reference vector 1 in the Log column...
    h.get_by_label("13");
    h.get_by_role_and_label(Role::Link, "2025-08-25").click();
    h.run();
    // ...in the breakdown...
    h.get_by_label("MELD 13");
    h.get_by_label("1.9 mg/dL");
    // ...and in the calculator.
    click(&mut h, "Tools");
    click(&mut h, "Score calculator");
    type_into(&mut h, "Bilirubin (total)", "1.9");
    type_into(&mut h, "Creatinine", "1.3");
    assert_eq!(
        h.get_all_by_label("MELD 13").count(),
        1,
        "breakdown only, until the calculator has INR"
    );
    type_into(&mut h, "INR", "1.2");
    assert_eq!(h.get_all_by_label("MELD 13").count(), 2, "breakdown and calculator");
}

#[test]
fn the_units_preference_shows_every_value_in_si() {
    let (_dir, _path, mut h) = on_demo_patient();
    h.get_by_label("12.30 H");
    h.get_by_role_and_label(Role::ComboBox, "Units").click();
    h.run();
    click(&mut h, "SI (umol/L)");
    h.get_by_label("Total bilirubin (umol/L)");
    h.get_by_label("210.3 H");
    h.get_by_label("Creatinine (umol/L)");
    h.get_by_label("88");
    assert!(h.query_by_label("12.30 H").is_none());
    click(&mut h, "Trends");
    h.get_by_label("Bilirubin (umol/L)");
    assert_eq!(h.state().prefs.units, clinilog::domain::catalog::UnitSystem::Si);
}

/// A patient with no entries yet, straight in the store.
fn new_patient(store: &mut FileStore) -> i64 {
    let data = clinilog::domain::PatientDraft {
        mrn: "H-51".into(),
        name: "Case Fiftyone".into(),
        birth_date: "1974-01-15".into(),
        sex: Some(clinilog::domain::Sex::Male),
        diagnosis: "Cirrhosis".into(),
        enrolled: "2025-07-19".into(),
        notes: String::new(),
    }
    .validate(date(2025, 9, 1))
    .unwrap();
    store.create_patient(&data, "Dr Rao").unwrap().id
}

/// Counts keystrokes while typing from the keyboard only.
struct Keyboard {
    strokes: usize,
}

impl Keyboard {
    fn text(&mut self, h: &mut App<'_>, text: &str) {
        for c in text.chars() {
            h.event(egui::Event::Text(c.to_string()));
            self.strokes += 1;
        }
        h.run();
    }
    fn key(&mut self, h: &mut App<'_>, key: egui::Key) {
        h.key_press(key);
        h.run();
        self.strokes += 1;
    }
    fn tab(&mut self, h: &mut App<'_>, times: usize) {
        for _ in 0..times {
            self.key(h, egui::Key::Tab);
        }
    }
    /// Tabs into a prefilled field and types over it (empty: clears it).
    fn over(&mut self, h: &mut App<'_>, text: &str) {
        self.tab(h, 1);
        if text.is_empty() {
            self.key(h, egui::Key::Backspace);
        } else {
            self.text(h, text);
        }
    }
}

#[test]
fn the_baseline_report_is_entered_from_the_keyboard_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinic.sqlite");
    let mut store = FileStore::open(&path).unwrap();
    new_patient(&mut store);
    let mut h = harness(store, "Dr Rao");
    click(&mut h, "Case Fiftyone");
    click(&mut h, "New entry");
    assert!(
        h.get_by_role_and_label(Role::TextInput, "Collection date").is_focused(),
        "the date has the cursor"
    );

    let mut k = Keyboard { strokes: 0 };
    k.text(&mut h, "2025-07-19"); // the prefilled date is selected: typing replaces it
    k.tab(&mut h, 3); // past the calendar button and the panel header, into total bilirubin
    assert!(h.get_by_role_and_label(Role::TextInput, "Total bilirubin").is_focused());
    // value, then the interval as printed (low, high); a limit the lab did not print is cleared
    for (value, low, high) in [
        ("12,30", "0.0", "1.0"),
        ("9.80", "", "0.80"),
        ("2.50", "", "0.30"),
        ("60", "", "40"),
        ("160", "", "40"),
        ("151", "", "260"),
    ] {
        k.text(&mut h, value);
        k.over(&mut h, low);
        k.over(&mut h, high);
        k.tab(&mut h, 1);
    }
    // GGT, albumin, total protein, INR, prothrombin time, sodium: not on this report.
    k.tab(&mut h, 6 * 3);
    assert!(h.get_by_role_and_label(Role::TextInput, "Creatinine").is_focused());
    k.text(&mut h, "1.00");
    k.over(&mut h, "0.6");
    k.over(&mut h, "1.5");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    h.run();
    k.strokes += 2;

    h.get_by_label("Entry of 2025-07-19 saved.");
    for shown in ["12.30 H", "9.80 H", "2.50 H", "60 H", "160 H", "151", "1.00"] {
        h.get_by_label(shown);
    }
    println!("keystrokes for the baseline report: {}", k.strokes);
    assert!(k.strokes < 120, "{} keystrokes", k.strokes);
    drop(h);

    let store = FileStore::open(&path).unwrap();
    let id = store.patient_by_mrn("H-51").unwrap().unwrap().id;
    let e = &store.entries(id).unwrap()[0];
    let printed = |code: &str| {
        let l = e.data.lab(code).unwrap();
        format!("{} [{}] {}", l.value_text(), l.reference.describe(), l.flag.letter())
    };
    assert_eq!(printed("bili_total"), "12.30 [0.0 - 1.0] H");
    assert_eq!(printed("bili_direct"), "9.80 [up to 0.80] H");
    assert_eq!(printed("bili_indirect"), "2.50 [up to 0.30] H");
    assert_eq!(printed("alt"), "60 [up to 40] H");
    assert_eq!(printed("ast"), "160 [up to 40] H");
    assert_eq!(printed("alp"), "151 [up to 260] ");
    assert_eq!(printed("creatinine"), "1.00 [0.6 - 1.5] ");
    assert_eq!(e.data.labs.len(), 7);
}

#[test]
fn an_edit_with_a_reason_and_a_void_both_show_in_history() {
    let (_dir, _path, mut h) = on_demo_patient();

    // Edit the week-2 report: 6.50 was a typo for 6.05.
    h.get_by_role_and_label(Role::Link, "2025-08-04").click();
    h.run();
    click(&mut h, "Edit entry");
    h.get_by_label("Edit entry of 2025-08-04");
    replace_text(&mut h, "Total bilirubin", "6.05");
    assert!(
        h.get_by_label("Save changes").accesskit_node().is_disabled(),
        "no reason yet"
    );
    type_into(
        &mut h,
        "Reason for the change",
        "transcription error: 6.05 on the report",
    );
    click(&mut h, "Save changes");
    h.get_by_label("Entry of 2025-08-04 changed.");
    h.get_by_label("6.05 H");

    // Void the 2025-07-26 weekly review.
    h.get_by_role_and_label(Role::Link, "2025-07-26").click();
    h.run();
    assert!(
        h.get_by_label("Void entry").accesskit_node().is_disabled(),
        "no reason yet"
    );
    type_into(&mut h, "Reason for voiding", "entered for the wrong patient");
    click(&mut h, "Void entry");
    h.get_by_label("Log (4)");
    assert!(h.query_by_role_and_label(Role::Link, "2025-07-26").is_none());

    // The demo's 11 records (patient, 5 entries, 3 cycles, its protocol,
    // no adverse events) and the edit and the void.
    click(&mut h, "History (13)");
    // Checked when the window opened: the demo's 11; the edit and the void since.
    h.get_by_label_contains("Verified: this patient's 11 change(s) match their hashes in the audit chain");
    h.get_by_label_contains("2 since then are checked at the next start");
    h.get_by_label("Entry of 2025-08-04 edited");
    h.get_by_label("Protocol \"MSC + exosomes, 3 cycles\" assigned from 2025-07-19");
    h.get_by_label("No adverse events since the last visit on 2025-08-19: recorded");
    h.get_by_label_contains("Total bilirubin: 6.50 mg/dL, high (interval 0.0 - 1.0) -> 6.05 mg/dL, high");
    h.get_by_label("transcription error: 6.05 on the report");
    h.get_by_label("Entry of 2025-07-26 voided");
    h.get_by_label("entered for the wrong patient");
    assert!(h.get_all_by_label("Dr Rao").count() >= 2);
}

#[test]
fn a_draft_is_restored_after_the_app_is_dropped_and_built_again() {
    let (_dir, path, mut h) = on_demo_patient();
    click(&mut h, "New entry");
    type_into(&mut h, "Total bilirubin", "3,95");
    type_into(&mut h, "Fatigue", "3");
    drop(h); // the window closes (or the process dies after its last draft write)

    let mut h = harness(FileStore::open(&path).unwrap(), "Dr Rao");
    click(&mut h, "Demo: cirrhosis case report");
    click(&mut h, "New entry");
    h.get_by_label_contains("Restored what was typed on");
    assert_eq!(
        h.get_by_role_and_label(Role::TextInput, "Total bilirubin")
            .value()
            .as_deref(),
        Some("3,95")
    );
    assert_eq!(
        h.get_by_role_and_label(Role::TextInput, "Fatigue").value().as_deref(),
        Some("3")
    );
    click(&mut h, "Save entry");
    h.get_by_label("3.95 H");
    drop(h);
    // Saved: the draft is gone.
    let store = FileStore::open(&path).unwrap();
    let id = store.patient_by_mrn("DEMO-001").unwrap().unwrap().id;
    assert!(store.load_draft(DraftKey::NewEntry { patient: id }).unwrap().is_none());
}

#[test]
fn discarding_a_draft_clears_the_form_and_the_file() {
    let (_dir, path, mut h) = on_demo_patient();
    click(&mut h, "New entry");
    type_into(&mut h, "Total bilirubin", "4.4");
    drop(h);
    let mut h = harness(FileStore::open(&path).unwrap(), "Dr Rao");
    click(&mut h, "Demo: cirrhosis case report");
    click(&mut h, "New entry");
    click(&mut h, "Discard draft");
    assert_eq!(
        h.get_by_role_and_label(Role::TextInput, "Total bilirubin")
            .value()
            .as_deref(),
        Some("")
    );
    drop(h);
    let store = FileStore::open(&path).unwrap();
    let id = store.patient_by_mrn("DEMO-001").unwrap().unwrap().id;
    assert!(store.load_draft(DraftKey::NewEntry { patient: id }).unwrap().is_none());
}

#[test]
fn esc_asks_before_discarding_what_was_typed() {
    let (_dir, _path, mut h) = on_demo_patient();
    click(&mut h, "New entry");
    h.key_press(egui::Key::Escape);
    h.run();
    assert!(
        h.query_by_label("New entry").is_some() && h.query_by_label("Save entry").is_none(),
        "nothing typed: closed"
    );
    click(&mut h, "New entry");
    type_into(&mut h, "Total bilirubin", "4.4");
    h.key_press(egui::Key::Escape);
    h.run();
    h.get_by_label("Discard what you typed in this entry?");
    click(&mut h, "Keep editing");
    assert_eq!(
        h.get_by_role_and_label(Role::TextInput, "Total bilirubin")
            .value()
            .as_deref(),
        Some("4.4")
    );
    h.key_press(egui::Key::Escape);
    h.run();
    click(&mut h, "Discard");
    assert!(h.query_by_label("Save entry").is_none());
}

#[test]
fn the_first_start_asks_who_records_and_remembers_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(FileStore::open(dir.path().join("c.sqlite")).unwrap(), "");
    h.get_by_label("Who is recording?");
    type_into(&mut h, "Your name", "Dr Imani");
    click(&mut h, "Continue");
    assert!(h.query_by_label("Who is recording?").is_none());
    assert_eq!(h.state().prefs.clinician, "Dr Imani");
    h.get_by_label("Dr Imani");
    // The name is not a text field (stray typing never changes who signs):
    // Change asks again, and Cancel keeps it.
    assert!(h.query_by_role_and_label(Role::TextInput, "Recording as").is_none());
    click(&mut h, "Change");
    h.get_by_label("Who is recording?");
    click(&mut h, "Cancel");
    assert_eq!(h.state().prefs.clinician, "Dr Imani");
    click(&mut h, "Change");
    replace_text(&mut h, "Your name", "Dr Osei");
    click(&mut h, "Continue");
    assert_eq!(h.state().prefs.clinician, "Dr Osei");
    h.get_by_label("Dr Osei");
}

#[test]
fn a_stale_edit_from_a_second_window_is_refused_and_keeps_the_typing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.sqlite");
    let mut store = FileStore::open(&path).unwrap();
    write_demo(&mut store, &Catalog::builtin().unwrap(), date(2025, 9, 1)).unwrap();
    let mut mine = harness(store, "Nurse Kim");
    click(&mut mine, "Demo: cirrhosis case report");
    mine.get_by_role_and_label(Role::Link, "2025-08-19").click();
    mine.run();
    click(&mut mine, "Edit entry");
    replace_text(&mut mine, "Total bilirubin", "4.06");
    type_into(&mut mine, "Reason for the change", "my correction");

    // Meanwhile, another window on the same file changes that entry.
    let mut other = FileStore::open(&path).unwrap();
    let id = other.patient_by_mrn("DEMO-001").unwrap().unwrap().id;
    let entry = other.entries(id).unwrap().remove(0);
    let mut data = entry.data.clone();
    data.note = "checked against the report".into();
    other.edit_entry(&entry, &data, "note added", "Dr Rao").unwrap();

    click(&mut mine, "Save changes");
    assert_eq!(
        mine.get_all_by_label_contains("Not saved: changed by Dr Rao at")
            .count(),
        2,
        "beside the form and in the status bar"
    );
    assert_eq!(
        mine.get_by_role_and_label(Role::TextInput, "Total bilirubin")
            .value()
            .as_deref(),
        Some("4.06")
    );
    click(&mut mine, "Reload");
    click(&mut mine, "Save changes");
    mine.get_by_label("Entry of 2025-08-19 changed.");
    drop(mine);
    let e = FileStore::open(&path).unwrap().entries(id).unwrap().remove(0);
    assert_eq!(e.data.lab("bili_total").unwrap().value.as_str(), "4.06");
}

#[test]
fn a_follow_up_report_reuses_the_printed_intervals() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinic.sqlite");
    let mut store = FileStore::open(&path).unwrap();
    let id = new_patient(&mut store);
    let catalog = Catalog::builtin().unwrap();
    // The baseline report, as the previous test typed it.
    let mut d = clinilog::domain::EntryDraft::blank(&catalog, clinilog::domain::Sex::Male, date(2025, 7, 19), "Dr Rao");
    for (code, v, lo, hi) in [
        ("bili_total", "12.30", "0.0", "1.0"),
        ("bili_direct", "9.80", "", "0.80"),
        ("bili_indirect", "2.50", "", "0.30"),
    ] {
        let l = d.labs.iter_mut().find(|l| l.code == code).unwrap();
        (l.value, l.ref_low, l.ref_high) = (v.into(), lo.into(), hi.into());
    }
    let data = d
        .validate(
            &catalog,
            clinilog::domain::Sex::Male,
            date(1974, 1, 15),
            date(2025, 9, 1),
        )
        .unwrap();
    store.record_entry(id, &data, "Dr Rao").unwrap();

    let mut h = harness(store, "Dr Rao");
    click(&mut h, "Case Fiftyone");
    click(&mut h, "New entry");
    h.get_by_label_contains("Lab results measured before for this patient (3)");
    let mut k = Keyboard { strokes: 0 };
    k.text(&mut h, "2025-08-04");
    k.tab(&mut h, 3);
    for (i, value) in ["6.50", "4.87", "1.63"].into_iter().enumerate() {
        k.text(&mut h, value);
        if i < 2 {
            k.tab(&mut h, 3); // the intervals are already the ones printed
        }
    }
    // Beside the value: the previous one and the change.
    h.get_by_label("12.30 on 2025-07-19, -5.80 (-47%)");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    h.run();
    k.strokes += 2;
    h.get_by_label("Entry of 2025-08-04 saved.");
    println!("keystrokes for a follow-up report of 3 values: {}", k.strokes);
    assert_eq!(k.strokes, 33, "a 3-value follow-up took {} keystrokes", k.strokes);
    drop(h);
    let store = FileStore::open(&path).unwrap();
    let e = &store.entries(id).unwrap()[0];
    assert_eq!(e.data.lab("bili_direct").unwrap().reference.describe(), "up to 0.80");
    assert_eq!(e.data.lab("bili_total").unwrap().display(), "6.50 H");
}

fn demo_trends() -> (tempfile::TempDir, App<'static>) {
    let (dir, _path, mut h) = on_demo_patient();
    click(&mut h, "Trends");
    (dir, h)
}

#[test]
fn trends_groups_can_be_hidden_and_the_choice_is_remembered() {
    let (_dir, mut h) = demo_trends();
    h.get_by_role_and_label(Role::CheckBox, "ALT and AST").click();
    h.run();
    assert!(h.query_by_label("ALT and AST (U/L)").is_none());
    h.get_by_label("Bilirubin (mg/dL)");
    assert_eq!(h.state().prefs.hidden_groups, ["aminotransferases"]);
    // Back to the list and in again: still hidden.
    click(&mut h, "< Patients");
    click(&mut h, "Demo: cirrhosis case report");
    click(&mut h, "Trends");
    assert!(h.query_by_label("ALT and AST (U/L)").is_none());
}

#[test]
fn trends_table_normalised_view_and_csv_export() {
    let (dir, mut h) = demo_trends();
    h.state_mut().exports.dir = Some(dir.path().to_owned());
    click(&mut h, "Table");
    h.get_by_label("Total bilirubin (mg/dL)");
    h.get_by_label("6.50 H");
    h.get_by_label("2025-08-19");
    click(&mut h, "Normalised (x ULN)");
    h.get_by_label("All labs as multiples of their upper limit of normal (x ULN)");
    h.get_by_role_and_label(Role::CheckBox, "Log scale");
    click(&mut h, "Export CSV");
    h.get_by_label_contains("Saved the data of this view");
    let csv = std::fs::read_to_string(dir.path().join("trends-DEMO-001-2025-09-01.csv")).unwrap();
    let csv = csv
        .strip_prefix('\u{feff}')
        .expect("a CSV file starts with the UTF-8 byte-order mark");
    assert!(
        csv.starts_with("date,Total bilirubin (mg/dL),Direct bilirubin (mg/dL),Indirect bilirubin (mg/dL),"),
        "{csv}"
    );
    assert!(
        csv.contains("2025-07-19,12.30 H,9.80 H,2.50 H,60 H,160 H,151,"),
        "{csv}"
    );
}

#[test]
fn range_presets_set_the_shown_dates() {
    let (_dir, mut h) = demo_trends();
    click(&mut h, "Last 12 months");
    let shown = |h: &App<'_>| match &h.state().screen {
        clinilog::ui::Screen::Patient(p) => p.trends_shown_range().unwrap(),
        _ => panic!("not on the patient"),
    };
    let (from, to) = shown(&h);
    let day = clinilog::domain::trend::day_number;
    assert!((from - (day(date(2024, 9, 1)) - 3.0)).abs() < 0.5, "{from}");
    assert!((to - (day(date(2025, 9, 1)) + 3.0)).abs() < 0.5, "{to}");
    click(&mut h, "All");
    let (from, to) = shown(&h);
    assert!((from - (day(date(2025, 7, 19)) - 3.0)).abs() < 0.5 && (to - (day(date(2025, 8, 19)) + 3.0)).abs() < 0.5);
}

/// The demo patient's Trends tab, rendered on the CPU (wgpu on Mesa) and
/// compared with `tests/snapshots/demo_trends.png`. After a deliberate
/// change of the view: `UPDATE_SNAPSHOTS=1 cargo nextest run snapshot`, then
/// look at the new picture before committing it.
#[test]
// A fixed path, not a tempfile folder: the status bar shows it, and the
// picture must not change from run to run.
#[allow(clippy::disallowed_methods)]
fn snapshot_of_the_demo_trends_tab() {
    let dir = std::env::temp_dir().join("clinilog-snapshot");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut store = FileStore::open(dir.join("demo.sqlite")).unwrap();
    write_demo(&mut store, &Catalog::builtin().unwrap(), date(2025, 9, 1)).unwrap();
    let app = ClinilogApp::new(
        store,
        Catalog::builtin().unwrap(),
        Prefs {
            clinician: "Dr Rao".into(),
            ..Prefs::default()
        },
    )
    .with_today(date(2025, 9, 1));
    let mut h = Harness::builder()
        .with_size([1280.0, 2000.0])
        .wgpu()
        .build_ui_state(|ui, app: &mut ClinilogApp| app.show(ui), app);
    clinilog::ui::theme::apply(&h.ctx);
    h.run_steps(1);
    settle(&mut h);
    h.run();
    click(&mut h, "Demo: cirrhosis case report");
    click(&mut h, "Trends");
    h.run();
    h.snapshot("demo_trends");
}

#[test]
fn another_patient_opens_on_its_own_dates() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = FileStore::open(dir.path().join("c.sqlite")).unwrap();
    let catalog = Catalog::builtin().unwrap();
    write_demo(&mut store, &catalog, date(2025, 9, 1)).unwrap();
    clinilog::cli::demo::write_busy_demo(&mut store, &catalog, date(2025, 9, 1)).unwrap();
    let mut h = harness(store, "Dr Rao");
    click(&mut h, "Demo: cirrhosis case report");
    click(&mut h, "Trends");
    click(&mut h, "Last 3 months");
    click(&mut h, "< Patients");
    click(&mut h, "Generated: five-year weekly follow-up");
    click(&mut h, "Trends");
    h.run();
    let clinilog::ui::Screen::Patient(p) = &h.state().screen else {
        panic!()
    };
    let (from, to) = p.trends_shown_range().unwrap();
    let day = clinilog::domain::trend::day_number;
    assert!((from - (day(date(2020, 9, 1)) - 3.0)).abs() < 0.5, "{from}");
    assert!((to - (day(date(2025, 8, 19)) + 3.0)).abs() < 0.5, "{to}");
    h.get_by_label("Hemoglobin (g/dL)");
    h.get_by_label("WBC (10^3/uL)");
    h.get_by_label("MELD scores (points)");
}

#[test]
fn a_change_alert_shows_beside_a_value_while_another_field_is_in_error() {
    let (_dir, _path, mut h) = on_demo_patient();
    click(&mut h, "New entry");
    // 4.60 on 2025-08-19 -> 9.9 is +115%, beyond the 50% alert for bilirubin.
    type_into(&mut h, "Total bilirubin", "9.9");
    type_into(&mut h, "ALT (SGPT)", "abc");
    h.get_by_label_contains("changed +115% since 2025-08-19 (4.60 mg/dL); more than 50%: check the value");
    h.get_by_label_contains("ALT (SGPT): \"abc\" is not a number");
}

/// The three forms share one model: each opens with the cursor in its
/// first field; Esc closes a form with nothing typed and asks before it
/// discards typing.
#[test]
fn every_form_opens_in_its_first_field_and_esc_asks_before_discarding_typing() {
    let (_dir, _path, mut h) = on_demo_patient();
    // (button that opens it, its first field, a field to type into, its title)
    let forms = [
        ("Edit details", "MRN", "Notes", "Edit patient details"),
        ("New entry", "Collection date", "Total bilirubin", "New entry"),
        ("Add treatment", "Date", "Product", "Add treatment"),
        ("Assign protocol", "Start (day 0)", "Note", "Assign a protocol"),
        (
            "Record adverse event",
            "Term (CTCAE v5)",
            "Note",
            "Record an adverse event",
        ),
    ];
    for (open, first, field, title) in forms {
        match open {
            "Add treatment" => click(&mut h, "Treatments (3)"),
            "Assign protocol" => click(&mut h, "Plan (1)"),
            "Record adverse event" => click(&mut h, "Adverse events (0)"),
            _ => {}
        }
        click(&mut h, open);
        h.run();
        assert!(focused(&h, first), "{title}: the cursor starts in {first}");
        h.key_press(egui::Key::Escape);
        h.run();
        assert!(
            h.query_by_label("Cancel").is_none(),
            "{title}: nothing typed, Esc closed it"
        );

        click(&mut h, open);
        type_into(&mut h, field, "typed");
        h.key_press(egui::Key::Escape);
        h.run();
        h.get_by_label_contains("Discard what you typed in this");
        // Esc again keeps editing, with the cursor back in the field.
        h.key_press(egui::Key::Escape);
        h.run();
        h.run();
        assert!(h.query_by_label("Keep editing").is_none(), "{title}: still editing");
        assert!(focused(&h, field), "{title}: the cursor is back in {field}");
        assert!(value(&h, field).is_some_and(|v| v.contains("typed")), "{title}: kept");
        // Esc, then Enter on the focused Discard, closes it.
        h.key_press(egui::Key::Escape);
        h.run();
        h.run();
        h.key_press(egui::Key::Enter);
        h.run();
        assert!(h.query_by_label("Cancel").is_none(), "{title}: discarded and closed");
    }
}

/// A save the store refuses (here: another window changed the record)
/// shows its message beside that form, and the typing stays: the same in
/// the patient, entry and treatment forms.
#[test]
fn a_refused_save_shows_beside_its_form_and_keeps_the_typing_in_every_form() {
    let (_dir, path, mut h) = on_demo_patient();
    let mut other = FileStore::open(&path).unwrap();
    let patient = other.patient_by_mrn("DEMO-001").unwrap().unwrap();

    click(&mut h, "Edit details");
    replace_text(&mut h, "Diagnosis", "Cirrhosis, alcohol-related");
    type_into(&mut h, "Reason for the change", "etiology confirmed");
    let mut data = patient.data.clone();
    data.notes = "seen elsewhere".into();
    other.update_patient(&patient, &data, "note", "Nurse Kim").unwrap();
    click(&mut h, "Save details");
    assert_eq!(
        h.get_all_by_label_contains("Not saved: changed by Nurse Kim").count(),
        2
    );
    assert_eq!(value(&h, "Diagnosis").as_deref(), Some("Cirrhosis, alcohol-related"));
    click(&mut h, "Reload");
    click(&mut h, "Save details");
    h.get_by_label("Patient details saved.");

    click(&mut h, "Treatments (3)");
    h.get_all_by_label("Edit").next().unwrap().click();
    h.run();
    replace_text(&mut h, "Product", "AD-MSC lot 7");
    type_into(&mut h, "Reason for the change", "lot number");
    let event = other.treatments(patient.id).unwrap().remove(0);
    let mut data = event.data.clone();
    data.note = "checked".into();
    other.edit_treatment(&event, &data, "note", "Nurse Kim").unwrap();
    click(&mut h, "Save changes");
    assert_eq!(
        h.get_all_by_label_contains("Not saved: changed by Nurse Kim").count(),
        2
    );
    assert_eq!(value(&h, "Product").as_deref(), Some("AD-MSC lot 7"));
}

/// A write's result goes back to the form it came from only: a refused
/// treatment save leaves the open entry form (in another tab) untouched,
/// and a saved treatment does not close it.
#[test]
fn a_refused_save_in_one_form_leaves_another_open_forms_typing_alone() {
    let (_dir, path, mut h) = on_demo_patient();
    click(&mut h, "New entry");
    type_into(&mut h, "Total bilirubin", "3.10");

    click(&mut h, "Treatments (3)");
    h.get_all_by_label("Edit").next().unwrap().click();
    h.run();
    type_into(&mut h, "Reason for the change", "dose unit");
    let mut other = FileStore::open(&path).unwrap();
    let id = other.patient_by_mrn("DEMO-001").unwrap().unwrap().id;
    let event = other.treatments(id).unwrap().remove(0);
    other.edit_treatment(&event, &event.data, "touch", "Nurse Kim").unwrap();
    click(&mut h, "Save changes");
    assert_eq!(h.get_all_by_label_contains("Not saved: changed by").count(), 2);
    click(&mut h, "Cancel");
    click(&mut h, "Discard");
    click(&mut h, "Add treatment");
    type_into(&mut h, "Product", "Exosomes");
    click(&mut h, "Save treatment");
    h.get_by_label_contains("Treatment of 2025-09-01");

    click(&mut h, "Log (5)");
    assert_eq!(
        value(&h, "Total bilirubin").as_deref(),
        Some("3.10"),
        "the entry form kept its typing"
    );
    assert_eq!(
        h.query_all_by_label_contains("Not saved").count(),
        0,
        "the treatment's refusal never reached the entry form"
    );
    click(&mut h, "Save entry");
    h.get_by_label("Entry of 2025-09-01 saved.");
}

/// Every form offers back what was typed and not saved, after the window
/// closed: the patient details and the treatment form too.
#[test]
fn the_details_and_treatment_forms_offer_their_draft_back() {
    let (_dir, path, mut h) = on_demo_patient();
    click(&mut h, "Edit details");
    replace_text(&mut h, "Diagnosis", "Cirrhosis, NASH");
    click(&mut h, "Treatments (3)");
    click(&mut h, "Add treatment");
    type_into(&mut h, "Product", "AD-MSC");
    drop(h);

    let mut h = harness(FileStore::open(&path).unwrap(), "Dr Rao");
    click(&mut h, "Demo: cirrhosis case report");
    click(&mut h, "Edit details");
    h.get_by_label_contains("Restored what was typed on");
    assert_eq!(value(&h, "Diagnosis").as_deref(), Some("Cirrhosis, NASH"));
    click(&mut h, "Discard draft");
    assert_ne!(value(&h, "Diagnosis").as_deref(), Some("Cirrhosis, NASH"));
    click(&mut h, "Treatments (3)");
    click(&mut h, "Add treatment");
    h.get_by_label_contains("Restored what was typed on");
    assert_eq!(value(&h, "Product").as_deref(), Some("AD-MSC"));
}

/// The demo patient's last report printed total bilirubin 0.0 - 1.0 mg/dL.
/// A value typed in umol/L takes that interval along, converted, and reads
/// in range; the file keeps value, unit and interval in umol/L, no H.
#[test]
fn a_value_typed_in_umol_per_l_reads_against_the_converted_interval() {
    let (_dir, path, mut h) = on_demo_patient();
    click(&mut h, "New entry");
    type_into(&mut h, "Total bilirubin", "12.3 umol/L");
    h.run();
    assert_eq!(value(&h, "Total bilirubin reference low").as_deref(), Some("0.0"));
    assert_eq!(value(&h, "Total bilirubin reference high").as_deref(), Some("17.1"));
    h.get_by_label("reads as 12.3 umol/L: within the interval");
    h.get_by_label("interval converted from 0.0 - 1.0 mg/dL");
    click(&mut h, "Save entry");
    h.get_by_label("Entry of 2025-09-01 saved.");

    // The next new entry starts in the patient's usual unit, mg/dL.
    click(&mut h, "New entry");
    assert_eq!(value(&h, "Total bilirubin reference high").as_deref(), Some("1.00"));
    type_into(&mut h, "Total bilirubin", "5");
    h.get_by_label("reads as 5 mg/dL: H, above the interval");
    drop(h);

    let store = FileStore::open(&path).unwrap();
    let id = store.patient_by_mrn("DEMO-001").unwrap().unwrap().id;
    let newest = store.entries(id).unwrap().remove(0);
    let bili = newest.data.lab("bili_total").unwrap();
    assert_eq!(
        (
            bili.value.as_str(),
            bili.unit.as_str(),
            bili.reference.describe(),
            bili.flag
        ),
        ("12.3", "umol/L", "0.0 - 17.1".to_owned(), Flag::Normal)
    );
}

/// An interval typed on this report is not converted behind the user's
/// back: when the value's unit changes, the line asks which unit the
/// report printed the interval in.
#[test]
fn a_typed_interval_in_another_unit_than_the_value_is_asked_about() {
    let (_dir, _path, mut h) = on_demo_patient();
    click(&mut h, "New entry");
    replace_text(&mut h, "Total bilirubin reference high", "1.2");
    type_into(&mut h, "Total bilirubin", "12.3 umol/L");
    h.get_by_label_contains("the interval was typed in mg/dL and the value is in umol/L");
    assert!(h.get_by_label("Save entry").accesskit_node().is_disabled());
    click(&mut h, "Interval in mg/dL: convert");
    assert_eq!(value(&h, "Total bilirubin reference high").as_deref(), Some("20.5"));
    h.get_by_label("reads as 12.3 umol/L: within the interval");
}

/// A file that may not be written opens with a banner; a save is refused
/// beside the form, and the file's bytes are unchanged afterwards.
#[test]
fn a_read_only_file_opens_with_a_banner_and_is_never_written() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinic.sqlite");
    let mut store = FileStore::open(&path).unwrap();
    write_demo(&mut store, &Catalog::builtin().unwrap(), date(2025, 9, 1)).unwrap();
    drop(store);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = std::fs::read(&path).unwrap();

    let mut h = harness(FileStore::open(&path).unwrap(), "Dr Rao");
    h.get_by_label_contains("Read-only: this file (or its folder) cannot be written");
    // Nothing that writes is offered; Ctrl+N opens nothing.
    assert!(h.get_by_label("New patient").accesskit_node().is_disabled());
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::N);
    h.run();
    assert!(h.query_by_label("Save patient").is_none());
    click(&mut h, "Demo: cirrhosis case report");
    assert!(h.get_by_label("New entry").accesskit_node().is_disabled());
    assert!(h.get_by_label("Edit details").accesskit_node().is_disabled());
    click(&mut h, "Treatments (3)");
    assert!(h.get_by_label("Add treatment").accesskit_node().is_disabled());
    assert!(h.get_all_by_label("Void").all(|b| b.accesskit_node().is_disabled()));
    drop(h);
    assert_eq!(std::fs::read(&path).unwrap(), before, "not a byte changed");
}

/// Tools > Backups: back up now (on a thread), open a backup read-only and
/// go back, then restore it over a later change.
#[test]
fn backups_are_taken_looked_at_and_restored_from_the_window() {
    let (_dir, path, mut h) = on_demo_patient();
    click(&mut h, "< Patients");
    click(&mut h, "Tools");
    click(&mut h, "Backups");
    h.get_by_label("No backups yet.");
    click_to_start(&mut h, "Back up now");
    wait_for(&mut h, "Open read-only");
    assert_eq!(h.get_all_by_label("Open read-only").count(), 1);

    click(&mut h, "Open read-only");
    h.get_by_label_contains("This is a backup, open read-only");
    h.get_by_label("Demo: cirrhosis case report");
    click(&mut h, "Back to the file");
    assert!(h.query_by_label_contains("This is a backup").is_none());

    // A change after the backup...
    click(&mut h, "New patient");
    type_into(&mut h, "MRN", "H-9");
    type_into(&mut h, "Name", "Later Patient");
    type_into(&mut h, "Birth date", "1980-01-01");
    h.get_by_role_and_label(Role::ComboBox, "Sex").click();
    h.run();
    click(&mut h, "Male");
    click(&mut h, "Save patient");
    h.get_by_label_contains("Patient Later Patient (H-9) registered.");
    click(&mut h, "< Patients");

    // ...is undone by restoring the backup, after a confirmation.
    click(&mut h, "Tools");
    click(&mut h, "Backups");
    wait_for(&mut h, "Restore");
    h.get_all_by_label("Restore").last().unwrap().click();
    h.run();
    h.get_by_label_contains("Restore this backup?");
    click_to_start(&mut h, "Restore this backup");
    wait_for(&mut h, "Restored the backup");
    assert!(h.query_by_label("Later Patient").is_none());
    h.get_by_label("Demo: cirrhosis case report");
    drop(h);
    let store = FileStore::open(&path).unwrap();
    assert!(store.patient_by_mrn("H-9").unwrap().is_none());
    let last = store.audit_log(None).unwrap().pop().unwrap();
    assert_eq!(last.user, "Dr Rao");
    assert_eq!(last.action, clinilog::domain::history::AuditAction::Restore);
}

/// A small tmpfs, unmounted when dropped.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(dir: &std::path::Path, kb: u32) -> Option<Self> {
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kb}k"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| SmallDisk(dir.to_owned()))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

/// Fills the disk with `filler` until it is full, then frees `free_kb`.
fn fill_disk(filler: &std::path::Path, free_kb: u64) {
    use std::io::Write;
    let mut f = std::fs::File::create(filler).unwrap();
    let chunk = vec![0u8; 4096];
    let mut written = 0u64;
    while f.write_all(&chunk).and_then(|()| f.sync_all()).is_ok() {
        written += 4096;
    }
    drop(f);
    let keep = written.saturating_sub(free_kb * 1024);
    std::fs::OpenOptions::new()
        .write(true)
        .open(filler)
        .unwrap()
        .set_len(keep)
        .unwrap();
}

/// A full disk during a save: one clear sentence beside the form, the
/// typing kept, nothing half-written; once there is space, saving works.
#[test]
fn a_full_disk_refuses_the_save_in_one_sentence_and_keeps_the_form() {
    let dir = tempfile::tempdir().unwrap();
    let Some(disk) = SmallDisk::mount(dir.path(), 1024) else {
        eprintln!("cannot mount a tmpfs here (not root?): the full-disk test needs one");
        return;
    };
    let path = dir.path().join("clinic.sqlite");
    let mut store = FileStore::open(&path).unwrap();
    write_demo(&mut store, &Catalog::builtin().unwrap(), date(2025, 9, 1)).unwrap();
    drop(store); // the log is checkpointed and removed
    let filler = dir.path().join("filler");
    fill_disk(&filler, 40); // room for the log's index, not for the entry
    let mut h = harness(FileStore::open(&path).unwrap(), "Dr Rao");
    click(&mut h, "Demo: cirrhosis case report");
    click(&mut h, "New entry");
    type_into(&mut h, "Total bilirubin", "3.90");
    type_into(&mut h, "Fatigue", "4");
    click(&mut h, "Save entry");
    let sentence = "the disk that holds the file is full: nothing was saved; free some space and save again";
    assert_eq!(
        h.get_all_by_label(&format!("Not saved: {sentence}")).count(),
        2,
        "beside the form and in the status bar"
    );
    assert_eq!(value(&h, "Total bilirubin").as_deref(), Some("3.90"));
    h.get_by_label("Log (5)");

    std::fs::remove_file(&filler).unwrap();
    click(&mut h, "Save entry");
    h.get_by_label("Entry of 2025-09-01 saved.");
    h.get_by_label("Log (6)");
    drop(h);
    let store = FileStore::open(&path).unwrap();
    let id = store.patient_by_mrn("DEMO-001").unwrap().unwrap().id;
    assert_eq!(store.entries(id).unwrap().len(), 6);
    assert!(store.check(&Catalog::builtin().unwrap()).unwrap().is_empty());
    drop(store);
    drop(disk);
}

/// A file that fails its integrity check: the window opens at once, finds
/// the damage on a thread, and shows the latest good backup read-only with
/// a banner that says so.
#[test]
fn a_damaged_file_shows_its_latest_good_backup_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinic.sqlite");
    let mut store = FileStore::open(&path).unwrap();
    let catalog = Catalog::builtin().unwrap();
    clinilog::cli::demo::write_busy_demo(&mut store, &catalog, date(2025, 9, 1)).unwrap();
    write_demo(&mut store, &catalog, date(2025, 9, 1)).unwrap();
    let good = store.backup_to(&clinilog::store::default_backup_dir(&path)).unwrap();
    drop(store);
    let mut bytes = std::fs::read(&path).unwrap();
    // Far from the schema's pages, which the open itself reads.
    let middle = bytes.len() / 4096 / 2;
    for b in &mut bytes[middle * 4096..(middle + 4) * 4096] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();

    let mut h = harness(FileStore::open(&path).unwrap(), "Dr Rao");
    wait_for(&mut h, "failed its integrity check");
    h.get_by_label_contains("This is its latest good backup, open read-only");
    h.get_by_label("Demo: cirrhosis case report");
    h.get_by_label_contains(&format!("File: {}", good.path.display()));
    drop(h);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the damaged file is left as it is"
    );
}

/// A comma before three digits is read as the one reading the measure's
/// plausible range allows, and the line says which; where both are
/// plausible it asks.
#[test]
fn a_thousands_like_comma_is_read_as_the_plausible_reading_and_said() {
    let (_dir, _path, mut h) = on_demo_patient();
    click(&mut h, "New entry");
    type_into(&mut h, "Total bilirubin", "1,234");
    h.get_by_label("reads as 1.234 mg/dL: H, above the interval");
    h.get_by_label("the comma read as a decimal point");
    type_into(&mut h, "ALT (SGPT)", "1,234");
    h.get_by_label_contains("\"1,234\" could be 1234 or 1.234 U/L");
}

/// Tools > Import results: the form (the one form model), a preview that
/// lists every line with what it became and writes nothing, then one import;
/// the patient list shows the patient registered from the file.
#[test]
fn results_are_previewed_then_imported_from_the_window() {
    let (_dir, path, mut h) = on_demo_patient();
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/import/european_long.csv");
    click(&mut h, "< Patients");
    click(&mut h, "Tools");
    h.get_by_label("Import results...").click();
    h.run_steps(8);
    click(&mut h, "Preview");
    h.get_by_label_contains("File is required");
    type_into(&mut h, "File", file.to_str().unwrap());
    h.get_by_role_and_label(Role::ComboBox, "Dates such as 04/08/2025")
        .click();
    h.run();
    click(&mut h, "Day/month/year: 04/08/2025 is 4 Aug");
    click(&mut h, "Register new patients from the file (name, sex and birth date)");
    // Ctrl+S previews from any control of the form (here the check box).
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    h.run();
    wait_for(
        &mut h,
        "6 new values in 2 entries, 1 rejected, 1 skipped, 1 new patient(s)",
    );
    h.get_by_label_contains("CSV, long (one row per result), separated by semicolons");
    h.get_by_label_contains("unknown test \"Ferritin\": no LOINC code");
    h.get_by_label("no value (\"--\")");
    assert_eq!(h.get_all_by_label("rejected").count(), 1);
    assert!(h.query_by_label_contains("Unknown tests: \"Ferritin\" (1)").is_some());
    let preview_wrote = FileStore::open_read_only(&path)
        .unwrap()
        .patient_by_mrn("A-100")
        .unwrap();
    assert!(preview_wrote.is_none(), "a preview writes nothing");

    click_to_start(&mut h, "Import 6 values");
    wait_for(&mut h, "Anna Weber");
    // Said in the window and in the status bar.
    assert_eq!(
        h.get_all_by_label_contains("Imported from european_long.csv: 6 new values")
            .count(),
        2
    );
    drop(h);
    let store = FileStore::open(&path).unwrap();
    let p = store.patient_by_mrn("A-100").unwrap().unwrap();
    assert_eq!(store.entries(p.id).unwrap().len(), 2);
    assert_eq!(store.entries(p.id).unwrap()[0].data.recorded_by, "Dr Rao");
}

/// *Export FHIR* on a patient writes the record as a FHIR R4 Bundle.
#[test]
fn a_patient_is_exported_as_fhir_from_the_window() {
    let (dir, _path, mut h) = on_demo_patient();
    h.state_mut().exports.dir = Some(dir.path().to_owned());
    click(&mut h, "Export FHIR");
    h.get_by_label_contains("Saved the FHIR Bundle");
    let text = std::fs::read_to_string(dir.path().join("fhir-DEMO-001-2025-09-01.json")).unwrap();
    let bundle: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(bundle["type"], "collection");
    assert_eq!(bundle["entry"][0]["resource"]["identifier"][0]["value"], "DEMO-001");
    assert!(text.contains("\"value\": 12.30,"));
}

/// *Print report* lays the PDF out on a thread and saves it.
#[test]
fn a_patient_report_is_printed_from_the_window() {
    let (dir, _path, mut h) = on_demo_patient();
    h.state_mut().exports.dir = Some(dir.path().to_owned());
    click_to_start(&mut h, "Print report");
    wait_for(&mut h, "Saved the report");
    let pdf = std::fs::read(dir.path().join("report-DEMO-001-2025-09-01.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
}

/// With no file from a dialog (none could open, or it was cancelled), an
/// export asks for a path in *Save as*: a folder that does not exist is
/// refused and the field stays; a good path saves.
#[test]
fn an_export_without_a_file_dialog_is_saved_to_a_typed_path() {
    let (dir, _path, mut h) = on_demo_patient();
    h.state_mut().exports.no_file_dialog = true;
    click(&mut h, "Print report");
    h.run_steps(4);
    h.get_by_label_contains("No file was chosen in a dialog");
    let bad = dir.path().join("no-such-folder/report.pdf");
    replace_text(&mut h, "Save to", bad.to_str().unwrap());
    click(&mut h, "Save");
    h.get_by_label_contains("the folder does not exist");
    let good = dir.path().join("typed.pdf");
    replace_text(&mut h, "Save to", good.to_str().unwrap());
    click_to_start(&mut h, "Save");
    wait_for(&mut h, "Saved the report");
    assert!(std::fs::read(&good).unwrap().starts_with(b"%PDF-"));
    assert!(h.query_by_label("Save to").is_none(), "Save as closes");
}

/// The clinic's name for printed reports is set in Tools > Report settings.
#[test]
fn the_clinic_name_is_set_in_report_settings() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(FileStore::open(dir.path().join("c.sqlite")).unwrap(), "Dr Rao");
    click(&mut h, "Tools");
    click(&mut h, "Report settings...");
    h.run_steps(4);
    type_into(&mut h, "Clinic name (on printed reports)", "Hepatology Unit");
    assert_eq!(h.state().prefs.clinic_name, "Hepatology Unit");
}

/// Registers a woman born 1970-01-01, enrolled 2025-01-01.
fn register(store: &mut FileStore, mrn: &str, name: &str, diagnosis: &str) -> clinilog::domain::Patient {
    store
        .create_patient(
            &clinilog::domain::PatientData {
                mrn: mrn.into(),
                name: name.into(),
                birth_date: date(1970, 1, 1),
                sex: clinilog::domain::Sex::Female,
                diagnosis: diagnosis.into(),
                enrolled: date(2025, 1, 1),
                notes: String::new(),
            },
            "Dr Rao",
        )
        .unwrap()
}

/// The patient list: search by name, MRN or diagnosis in any case and with
/// or without accents; a click on a column title sorts by it, again the
/// other way.
#[test]
fn the_patient_list_searches_without_accents_and_sorts_by_a_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = FileStore::open(dir.path().join("c.sqlite")).unwrap();
    for (mrn, name, diagnosis) in [
        ("H-1", "José Álvarez", "Cirrhosis, alcohol-related"),
        ("H-2", "Ana Núñez", "NASH"),
    ] {
        register(&mut store, mrn, name, diagnosis);
    }
    let mut h = harness(store, "Dr Rao");
    h.get_by_label("2 patients");
    type_into(&mut h, "Search", "jose alcohol");
    h.get_by_label("1 of 2 patients");
    h.get_by_label("José Álvarez");
    assert!(h.query_by_label("Ana Núñez").is_none());
    // Clear the search: select it all and delete.
    h.get_by_role_and_label(Role::TextInput, "Search").click();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.key_press(egui::Key::Backspace);
    h.run();
    let order = |h: &App<'_>| {
        let a = h
            .get_by_label("José Álvarez")
            .accesskit_node()
            .raw_bounds()
            .map(|r| r.y0);
        let b = h.get_by_label("Ana Núñez").accesskit_node().raw_bounds().map(|r| r.y0);
        a < b
    };
    assert!(!order(&h), "by name: Ana first");
    click(&mut h, "MRN");
    assert!(order(&h), "by MRN: H-1 (José) first");
    click(&mut h, "MRN ^");
    assert!(!order(&h), "by MRN, descending");
    h.get_by_label("MRN v");
}

/// "Latest out of range": the lab measures some patient has out of range,
/// with how many; choosing one lists only those patients, with the value as
/// printed, its unit, its flag and its date.
#[test]
fn the_patient_list_filters_on_a_latest_value_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = FileStore::open(dir.path().join("c.sqlite")).unwrap();
    let catalog = Catalog::builtin().unwrap();
    write_demo(&mut store, &catalog, date(2025, 9, 1)).unwrap();
    let other = register(&mut store, "H-2", "Ana Núñez", "NASH");
    let mut draft =
        clinilog::domain::EntryDraft::blank(&catalog, clinilog::domain::Sex::Female, date(2025, 8, 1), "Dr Rao");
    draft.labs.iter_mut().find(|l| l.code == "bili_total").unwrap().value = "0.6".into();
    let data = draft
        .validate(
            &catalog,
            clinilog::domain::Sex::Female,
            date(1970, 1, 1),
            date(2025, 9, 1),
        )
        .unwrap();
    store.record_entry(other.id, &data, "Dr Rao").unwrap();

    let mut h = harness(store, "Dr Rao");
    h.get_by_label("2 patients");
    // The latest values are read (on a thread) when the list first opens.
    h.get_by_role_and_label(Role::ComboBox, "Latest out of range").click();
    h.run_steps(1);
    wait_for(&mut h, "Total bilirubin (1)");
    click(&mut h, "Total bilirubin (1)");
    h.get_by_label("1 of 2 patients");
    h.get_by_label("Demo: cirrhosis case report");
    assert!(
        h.query_by_label("Ana Núñez").is_none(),
        "her latest bilirubin is normal"
    );
    h.get_by_label("Latest Total bilirubin");
    h.get_by_label_contains("mg/dL, high, on 2025-");
    // Back to everyone.
    h.get_by_role_and_label(Role::ComboBox, "Latest out of range").click();
    h.run();
    click(&mut h, "any value");
    h.get_by_label("2 patients");
    h.get_by_label("Ana Núñez");
}

/// The file is checked (on a thread) the first time it opens; the clean
/// check is remembered, and the unchanged file is not read whole again at
/// the next open. Once an entry is written, it is checked again.
#[test]
fn a_clean_check_is_remembered_until_the_file_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinic.sqlite");
    let mut store = FileStore::open(&path).unwrap();
    write_demo(&mut store, &Catalog::builtin().unwrap(), date(2025, 9, 1)).unwrap();
    // Closed: its write-ahead log is emptied into the file.
    drop(store);
    // The harness waits for the check (on its thread) to end.
    let h = harness(FileStore::open(&path).unwrap(), "Dr Rao");
    let checked = h.state().prefs.checked_files.clone();
    assert_eq!(checked.len(), 1);
    assert_eq!(checked[0].path, path);
    drop(h);

    // Opens the file with those preferences; what they hold once any check ended.
    let open_again = || {
        let app = ClinilogApp::new(
            FileStore::open(&path).unwrap(),
            Catalog::builtin().unwrap(),
            Prefs {
                clinician: "Dr Rao".into(),
                checked_files: checked.clone(),
                ..Prefs::default()
            },
        );
        let mut h = Harness::builder()
            .with_size([1500.0, 1900.0])
            .build_ui_state(|ui, app: &mut ClinilogApp| app.show(ui), app);
        h.run_steps(1);
        // Its threads end (and close their connections) before it is dropped.
        settle(&mut h);
        h.state().prefs.checked_files.clone()
    };
    assert_eq!(open_again(), checked, "unchanged: not read again");
    let mut store = FileStore::open(&path).unwrap();
    let patient = store.patient_summaries().unwrap()[0].patient.clone();
    let catalog = Catalog::builtin().unwrap();
    let mut draft = clinilog::domain::EntryDraft::blank(&catalog, patient.data.sex, date(2025, 8, 30), "Dr Rao");
    draft.labs.iter_mut().find(|l| l.code == "inr").unwrap().value = "1.3".into();
    let data = draft
        .validate(&catalog, patient.data.sex, patient.data.birth_date, date(2025, 9, 1))
        .unwrap();
    store.record_entry(patient.id, &data, "Dr Rao").unwrap();
    drop(store);
    let again = open_again();
    assert_eq!(again.len(), 1);
    assert!(again[0].checked_at > checked[0].checked_at, "changed: checked again");
    assert_ne!(again[0].modified, checked[0].modified);
}

/// The count above the list: one patient, or how many, with separators.
#[test]
fn the_list_counts_its_patients_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = FileStore::open(dir.path().join("c.sqlite")).unwrap();
    write_demo(&mut store, &Catalog::builtin().unwrap(), date(2025, 9, 1)).unwrap();
    let h = harness(store, "Dr Rao");
    h.get_by_label("1 patient");
    assert!(h.query_by_label("1 patients").is_none());
}

/// The Due screen beside Patients: the demo patient's plan (the seed
/// protocol from 2025-07-19) on 2025-09-01 has nothing late (the 19 Aug
/// entry is inside the windows of week 4 and day 30: it does both), and
/// day 30 lacks its labs, one line for the visit; another week typed shows
/// that week; sorting and the protocol filter work; *Record* opens the
/// patient's entry form dated as the line.
#[test]
fn the_due_screen_lists_the_week_and_opens_the_entry_form_on_its_date() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinic.sqlite");
    let mut store = FileStore::open(&path).unwrap();
    write_demo(&mut store, &Catalog::builtin().unwrap(), date(2025, 9, 1)).unwrap();
    let mut h = harness(store, "Dr Rao");
    click(&mut h, "Due");
    h.get_by_label("Due in the week of 2025-09-01 to 2025-09-07");
    h.get_by_label("1 visit for 1 patient: 0 late, 0 due, 1 lacking measures; 0 missed apart");
    h.get_by_label("lacks 8 values");
    h.get_by_label(
        "Day 30: done 2025-08-19, lacks ALT (SGPT), AST (SGOT), Alkaline phosphatase, Albumin, INR, Creatinine, \
         Sodium, Platelets",
    );
    assert!(h.query_by_label_contains("days late").is_none());
    // Another week, typed.
    replace_text(&mut h, "Week of", "2025-08-13");
    h.key_press(egui::Key::Enter);
    h.run_steps(1);
    settle(&mut h);
    h.run();
    h.get_by_label("Due in the week of 2025-08-11 to 2025-08-17");
    h.get_by_label("Week 4: due (planned 2025-08-16)");
    h.get_by_label("Week 3: done 2025-08-11, lacks Total bilirubin, ALT (SGPT), AST (SGOT), Albumin, INR, Creatinine");
    h.get_by_label("2 visits for 1 patient: 0 late, 1 due, 1 lacking measures; 0 missed apart");
    // Sorted by date, latest first: the week-4 line (16 Aug) comes before
    // the missing measures of 11 Aug.
    click(&mut h, "Date");
    click(&mut h, "Date ^");
    h.get_by_label("Date v");
    // The protocol filter lists the protocol on the list.
    h.get_by_role_and_label(Role::ComboBox, "Protocol").click();
    h.run();
    click(&mut h, "MSC + exosomes, 3 cycles (1)");
    h.get_by_label("Week 4: due (planned 2025-08-16)");
    // Record: the entry form, dated as the line (the first line: 16 Aug).
    h.get_all_by_label("Record").next().unwrap().click();
    h.run_steps(1);
    settle(&mut h);
    h.run();
    h.get_by_label("New entry");
    assert_eq!(
        h.get_by_role_and_label(Role::TextInput, "Collection date")
            .value()
            .as_deref(),
        Some("2025-08-16")
    );
    // Back to Due: the week and filter as left.
    click(&mut h, "Due");
    h.get_by_label("Due in the week of 2025-08-11 to 2025-08-17");
    // A missing measure opens that visit's entry for an edit, not a second entry.
    h.get_all_by_label("Record").last().unwrap().click();
    h.run_steps(1);
    settle(&mut h);
    h.run();
    h.get_by_label("Edit entry of 2025-08-11");
}

/// A file with nobody on a protocol says how patients get on the list.
#[test]
fn the_due_screen_of_a_file_without_protocols_says_how_to_fill_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path().join("empty.sqlite")).unwrap();
    let mut h = harness(store, "Dr Rao");
    click(&mut h, "Due");
    h.get_by_label("Nothing is due this week.");
    h.get_by_label_contains("once a protocol is assigned");
}

fn save_with_ctrl_s(h: &mut App<'_>) {
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    h.run();
    settle(h);
    h.run();
}

/// The adverse-event form: a CTCAE term picked from what was typed; a grade
/// 6, a resolution before the onset and an ongoing outcome with a
/// resolution date are refused beside their fields; an onset before the
/// first cycle is a warning, not a refusal. Saved, the event shows in its
/// tab, in the Log's line (grade in text) and in History; its typing
/// survives a closed window.
#[test]
fn an_adverse_event_is_checked_beside_its_fields_and_shows_everywhere() {
    let (_dir, path, mut h) = on_demo_patient();
    click(&mut h, "Adverse events (0)");
    h.get_by_label("No adverse events recorded.");
    h.get_by_label_contains("2025-08-19 (recorded by ");
    click(&mut h, "Record adverse event");
    type_into(&mut h, "Term (CTCAE v5)", "fev");
    click(&mut h, "Fever");
    assert_eq!(value(&h, "Term (CTCAE v5)").as_deref(), Some("Fever"));
    type_into(&mut h, "Grade", "6");
    h.get_by_label("Grade \"6\" is not a CTCAE grade: enter a whole number from 1 to 5");
    replace_text(&mut h, "Grade", "2");
    h.get_by_label("2 = moderate");
    // The cycle follows the onset: C3 (12 Aug) for today, C1 (21 Jul) for
    // 23 Jul, none before the first cycle.
    assert_eq!(value(&h, "After cycle").as_deref(), Some("3"));
    replace_text(&mut h, "Onset", "2025-07-23");
    assert_eq!(value(&h, "After cycle").as_deref(), Some("1"));
    replace_text(&mut h, "Onset", "2025-07-20");
    assert_eq!(value(&h, "After cycle").as_deref(), Some(""));
    type_into(&mut h, "Resolved on", "2025-07-19");
    h.get_by_label_contains("Resolved on 2025-07-19 is before the onset 2025-07-20");
    replace_text(&mut h, "Resolved on", "2025-07-23");
    save_with_ctrl_s(&mut h);
    h.get_by_label_contains("Outcome \"Ongoing\" with a resolution date");
    h.get_by_label_contains("Relation to treatment is required");
    choose(&mut h, "Outcome", "Resolved");
    choose(&mut h, "Relation to treatment", "Possible");
    h.get_by_label_contains("Onset 2025-07-20 is before the first treatment (2025-07-21)");
    // Closed and opened again: the typing comes back.
    drop(h);
    let mut h = harness(FileStore::open(&path).unwrap(), "Dr Rao");
    click(&mut h, "Demo: cirrhosis case report");
    click(&mut h, "Adverse events (0)");
    click(&mut h, "Record adverse event");
    h.get_by_label_contains("Restored what was typed on");
    assert_eq!(value(&h, "Resolved on").as_deref(), Some("2025-07-23"));
    click(&mut h, "Save adverse event");
    h.get_by_label("Adverse event Fever, grade 2 (moderate) saved.");
    h.get_by_label("Adverse events (1)");
    h.get_by_label("2 (moderate)");
    h.get_by_label("Resolved on 2025-07-23");
    click(&mut h, "Log (5)");
    h.get_by_label("Adverse events: Fever G2 (2025-07-20, resolved)");
    click(&mut h, "History (12)");
    h.get_by_label("Adverse event Fever, grade 2 (moderate) of 2025-07-20 recorded");
    // Voided with a reason: gone from the tab, told in History.
    click(&mut h, "Adverse events (1)");
    click(&mut h, "Void");
    assert!(
        h.get_by_label("Void adverse event").accesskit_node().is_disabled(),
        "no reason yet"
    );
    type_into(&mut h, "Reason for voiding", "recorded for the wrong patient");
    click(&mut h, "Void adverse event");
    h.get_by_label("Adverse events (0)");
    click(&mut h, "History (13)");
    h.get_by_label("Adverse event Fever, grade 2 (moderate) of 2025-07-20 voided");
}

/// A year on, days 90 and 180 (never recorded) have left the week's list;
/// *Missed* lists them, apart.
#[test]
fn missed_visits_leave_the_week_and_show_under_missed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinic.sqlite");
    let mut store = FileStore::open(&path).unwrap();
    write_demo(&mut store, &Catalog::builtin().unwrap(), date(2025, 9, 1)).unwrap();
    let mut h = run_app(
        ClinilogApp::new(store, Catalog::builtin().unwrap(), prefs("Dr Rao")).with_today(date(2026, 11, 30)),
        [1500.0, 1200.0],
    );
    click(&mut h, "Due");
    h.get_by_label("1 visit for 1 patient: 0 late, 0 due, 1 lacking measures; 2 missed apart");
    assert!(h.query_by_label_contains("Day 90").is_none());
    click(&mut h, "Missed (2)");
    h.get_by_label("2 missed visits for 1 patient (not on the week's list)");
    h.get_by_label("Day 90: missed (planned 2025-10-17, 409 days ago)");
    h.get_by_label("Day 180: missed (planned 2026-01-15, 319 days ago)");
    assert_eq!(h.get_all_by_label("missed").count(), 2);
    assert!(h.query_by_label_contains("Day 30").is_none());
    // The patient's Plan tab says the same.
    h.get_all_by_label("Demo: cirrhosis case report (DEMO-001)")
        .next()
        .unwrap()
        .click();
    h.run_steps(1);
    settle(&mut h);
    h.run();
    click(&mut h, "Plan (1)");
    h.get_by_label("missed (409 days ago)");
    h.get_by_label("missed (319 days ago)");
    // Day 90 closed as not done, with why: it leaves the missed list.
    h.get_all_by_label("Not done...").next().unwrap().click();
    h.run();
    h.get_by_label("Close Day 90 (planned 2025-10-17) as not done?");
    assert!(
        h.get_by_label("Close as not done").accesskit_node().is_disabled(),
        "no reason yet"
    );
    type_into(&mut h, "Why it was not done", "patient moved abroad");
    click(&mut h, "Close as not done");
    h.get_by_label("Day 90 (planned 2025-10-17) closed as not done.");
    h.get_by_label("not done: patient moved abroad");
    assert!(h.query_by_label("missed (409 days ago)").is_none());
    click(&mut h, "History (12)");
    h.get_by_label("Day 90 of 2025-10-17 closed as not done");
    click(&mut h, "Due");
    h.get_by_label("Missed (1)");
}

/// The Plan tab of the demo patient: planned and done side by side (cycles
/// done on their own dates, a missed visit, what a visit lacked); a shift
/// needs a whole number of days and a reason, moves what follows, and is
/// told in History.
#[test]
fn the_plan_tab_shows_planned_and_done_and_a_shift_moves_what_follows() {
    let (_dir, _path, mut h) = on_demo_patient();
    click(&mut h, "Plan (1)");
    h.get_by_label("MSC + exosomes, 3 cycles, from 2025-07-19");
    h.get_by_label("2025-08-03"); // C2 planned
    h.get_by_label("done 2025-07-30"); // C2 done
    // Week 4 (16 Aug) and day 30 (18 Aug) are both done by the 19 Aug entry.
    assert_eq!(h.get_all_by_label("done 2025-08-19").count(), 2);
    assert!(h.query_by_label_contains("missed").is_none());
    assert!(h.get_all_by_label("upcoming").count() >= 2, "day 90 and day 180");
    // Weeks 1 and 3 (26 Jul, 11 Aug) had symptoms only.
    assert!(h.get_all_by_label_contains("Albumin, INR, Creatinine").count() >= 2);
    click(&mut h, "Shift the plan...");
    choose(&mut h, "Cycle or visit", "Day 90 (2025-10-17)");
    type_into(&mut h, "Days", "0");
    h.get_by_label_contains("Days \"0\" is not a shift");
    replace_text(&mut h, "Days", "7");
    click(&mut h, "Shift");
    h.get_by_label(clinilog::ui::form::REASON_REQUIRED);
    type_into(&mut h, "Reason for the change", "patient travelling");
    click(&mut h, "Shift");
    h.get_by_label("Day 90 shifted by 7 days, with what follows it.");
    h.get_by_label("2025-10-24");
    h.get_by_label("2026-01-22"); // day 180 moved too
    h.get_by_label("Day 90 moved +7 days from 2025-10-17 (Dr Rao): patient travelling");
    click(&mut h, "History (12)");
    h.get_by_label("Plan shifted: Day 90 delayed 7 days, 2025-10-17 -> 2025-10-24, with what follows it");
    h.get_by_label("patient travelling");
}

/// A patient without a protocol: the Plan tab says so; assigning one lays
/// out its cycles and visits from the start date.
#[test]
fn a_protocol_is_assigned_from_the_plan_tab() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = FileStore::open(dir.path().join("c.sqlite")).unwrap();
    register(&mut store, "P-7", "Ana Berg", "Cirrhosis (MASH)");
    let mut h = harness(store, "Dr Rao");
    click(&mut h, "Ana Berg");
    click(&mut h, "Plan (0)");
    h.get_by_label("Not on a protocol.");
    click(&mut h, "Assign protocol");
    replace_text(&mut h, "Start (day 0)", "2025-08-25");
    click(&mut h, "Assign protocol");
    h.get_by_label("Protocol \"MSC + exosomes, 3 cycles\" assigned from 2025-08-25.");
    h.get_by_label("MSC + exosomes, 3 cycles, from 2025-08-25");
    h.get_by_label("Plan (1)");
    // On 2025-09-01 the baseline and C1 (25 Aug) are late, week 1 is due.
    assert_eq!(h.get_all_by_label("late: 7 days").count(), 2);
    h.get_by_label("due now");
}

/// An adverse event shows on every trend plot as a dashed line labelled
/// with its grade in text, listed under the plots with its details.
#[test]
fn an_adverse_event_is_marked_on_the_trends_with_its_grade() {
    let (_dir, path, mut h) = on_demo_patient();
    let mut store = FileStore::open(&path).unwrap();
    let demo = store.patient_by_mrn("DEMO-001").unwrap().unwrap();
    let mut d = clinilog::domain::adverse::AdverseEventDraft::blank(date(2025, 7, 23), Some(1), "Dr Rao");
    d.term = "Fever".into();
    d.grade = "3".into();
    d.relation = Some(clinilog::domain::adverse::Relation::Probable);
    let data = d.validate(date(1974, 1, 15), date(2025, 9, 1)).unwrap();
    store.add_adverse_event(demo.id, &data, "Dr Rao").unwrap();
    drop(store);
    click(&mut h, "< Patients");
    click(&mut h, "Demo: cirrhosis case report");
    click(&mut h, "Trends");
    h.get_by_label("Adverse events (dashed lines, CTCAE grade):");
    h.get_by_label("AE G3");
    h.get_by_label("2025-07-23");
    click(&mut h, "Log (5)");
    h.get_by_label("Adverse events: Fever G3 (2025-07-23, ongoing)");
}

/// The Cohort screen on the demo file: total bilirubin aligned at the
/// first cycle gives the case report's numbers in the table and summary;
/// the responder rule (a fall of 30 % at day 30) counts the patient; other
/// days recompute the table; the table exports as CSV; a patient's name
/// opens the patient.
#[test]
fn the_cohort_screen_shows_the_case_report_and_its_responder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinic.sqlite");
    let mut store = FileStore::open(&path).unwrap();
    write_demo(&mut store, &Catalog::builtin().unwrap(), date(2025, 9, 1)).unwrap();
    register(&mut store, "P-2", "Ana Berg", "Hepatitis C");
    let mut h = harness(store, "Dr Rao");
    h.state_mut().exports.dir = Some(dir.path().to_owned());
    click(&mut h, "Cohort");
    h.get_by_label("Total bilirubin (mg/dL)");
    h.get_by_label("1 patient with a day 0; 1 without one left out");
    // Hand-picked by MRN.
    type_into(&mut h, "Only MRNs", "demo-001");
    h.key_press(egui::Key::Enter);
    h.run_steps(1);
    settle(&mut h);
    h.run();
    h.get_by_label("1 patient with a day 0; 0 without one left out");
    h.get_by_label("n=1, median -7.70 (IQR -7.70 to -7.70)");
    click(&mut h, "Table");
    h.get_by_label("12.30");
    h.get_by_label("6.50 (-5.80, -47.2%)");
    h.get_by_label("4.60 (-7.70, -62.6%)");
    click(&mut h, "Plot");
    h.get_by_label("n=1, median -62.6% (IQR -62.6 to -62.6%)");
    h.get_by_label("1 of 1 patients with a baseline and a value at that day responded (0 cannot be told)");
    // A 70 % fall is too much to ask.
    replace_text(&mut h, "a fall of at least", "70");
    h.get_by_label("0 of 1 patients with a baseline and a value at that day responded (0 cannot be told)");
    click(&mut h, "Table");
    replace_text(&mut h, "Days", "30");
    assert!(h.query_by_label("6.50 (-5.80, -47.2%)").is_none(), "day 14 is gone");
    h.get_by_label("4.60 (-7.70, -62.6%)");
    replace_text(&mut h, "Days", "30, x");
    h.get_by_label_contains("Days: \"30, x\" is not a list of days");
    replace_text(&mut h, "Days", "14, 30");
    click(&mut h, "Export CSV");
    let csv = std::fs::read_to_string(dir.path().join("cohort-2025-09-01.csv")).unwrap();
    assert!(
        csv.contains("Demo: cirrhosis case report,2025-07-21,2025-07-19,12.30,2025-08-04,6.50,-5.80,-47.2,2025-08-19,4.60,-7.70,-62.6,3,"),
        "{csv}"
    );
    // The printed report, laid out on its thread.
    click_to_start(&mut h, "Print report");
    wait_for(&mut h, "Saved the report");
    let pdf = dir.path().join("cohort-2025-09-01.pdf");
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", pdf.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext runs (installed by .ci/setup)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Patients: all patients, MRNs demo-001; 1 with a day 0"),
        "{text}"
    );
    assert!(
        text.contains("Responders (a fall of at least 70 % at day 30): 0 of 1 patients"),
        "{text}"
    );
    click(&mut h, "Demo: cirrhosis case report");
    h.get_by_label("Log (5)");
    // A value corrected on the patient shows when the Cohort is shown again.
    let mut other = FileStore::open(&path).unwrap();
    let demo = other.patient_by_mrn("DEMO-001").unwrap().unwrap();
    let entry = other
        .entries(demo.id)
        .unwrap()
        .into_iter()
        .find(|e| e.data.collected_on == date(2025, 8, 19))
        .unwrap();
    let mut data = entry.data.clone();
    data.labs.iter_mut().find(|l| l.code == "bili_total").unwrap().value =
        clinilog::domain::Decimal::parse("4.50").unwrap();
    other
        .edit_entry(&entry, &data, "transcription error", "Dr Rao")
        .unwrap();
    click(&mut h, "Cohort");
    h.get_by_label_contains("n=1, median -7.80");
}

/// The adverse-event form is walked with Tab in its order, as a clinician
/// copying from a note does (seen with AT-SPI: Tab left the form).
#[test]
fn the_adverse_event_form_tabs_through_its_fields_in_order() {
    let (_dir, _path, mut h) = on_demo_patient();
    click(&mut h, "Adverse events (0)");
    click(&mut h, "Record adverse event");
    assert!(focused(&h, "Term (CTCAE v5)"));
    for next in ["Grade", "Onset", "Resolved on"] {
        h.key_press(egui::Key::Tab);
        h.run();
        assert!(focused(&h, next), "Tab goes to {next}");
    }
    // A partly typed term: Tab reaches the matching CTCAE terms, Enter
    // picks one, and the cursor goes on to Grade.
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::Tab);
    h.run();
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::Tab);
    h.run();
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::Tab);
    h.run();
    assert!(focused(&h, "Term (CTCAE v5)"));
    h.get_by_role_and_label(Role::TextInput, "Term (CTCAE v5)")
        .type_text("fev");
    h.run();
    h.key_press(egui::Key::Tab);
    h.run();
    assert!(
        h.get_by_label("Fever").is_focused(),
        "the first matching term has the cursor"
    );
    h.key_press(egui::Key::Enter);
    h.run();
    h.run();
    assert_eq!(value(&h, "Term (CTCAE v5)").as_deref(), Some("Fever"));
    assert!(focused(&h, "Grade"), "on to Grade");
}

/// The window on a server database: the status bar names the server; a
/// save on another workstation shows on the open patient without a click;
/// a cut connection shows a banner, keeps what was typed, and once the
/// window has connected again the same save goes through.
#[test]
fn on_a_server_another_workstations_save_shows_and_a_lost_connection_keeps_the_typing() {
    use clinilog::store::pg::PgStore;
    use clinilog::store::{ClinicStore, Location};
    let Some(db) = common::PgDatabase::fresh() else { return };
    let catalog = Catalog::builtin().unwrap();
    let mut store = PgStore::open(&db.target).unwrap();
    write_demo(&mut store, &catalog, date(2025, 9, 1)).unwrap();
    let demo = store.patient_by_mrn("DEMO-001").unwrap().unwrap();
    let app = ClinilogApp::on(
        Box::new(store),
        Location::Server(Box::new(db.target.clone())),
        catalog.clone(),
        Prefs {
            clinician: "Dr Rao".into(),
            ..Prefs::default()
        },
    )
    .with_today(date(2025, 9, 1));
    let mut h = Harness::builder()
        .with_size([1500.0, 1900.0])
        .build_ui_state(|ui, app: &mut ClinilogApp| app.show(ui), app);
    h.run_steps(1);
    settle(&mut h);
    h.get_by_label(&format!(
        "Server: {}, database {} (as {})",
        db.target.server(),
        db.target.dbname(),
        db.target.user()
    ));
    click(&mut h, "Demo: cirrhosis case report");
    h.get_by_label("Log (5)");

    // The nurse at reception records the week-5 labs.
    let mut reception = PgStore::open(&db.target).unwrap();
    let mut draft =
        clinilog::domain::EntryDraft::blank(&catalog, clinilog::domain::Sex::Male, date(2025, 8, 25), "Nurse Kim");
    draft.labs.iter_mut().find(|l| l.code == "bili_total").unwrap().value = "3.90".into();
    let data = draft
        .validate(&catalog, demo.data.sex, demo.data.birth_date, date(2025, 9, 1))
        .unwrap();
    reception.record_entry(demo.id, &data, "Nurse Kim").unwrap();
    wait_for(&mut h, "Log (6)");
    h.get_by_label_contains("Nurse Kim saved a change to this patient on another workstation");

    // The server goes away while a value is typed.
    click(&mut h, "New entry");
    db.away();
    h.get_by_role_and_label(Role::TextInput, "Total bilirubin").click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::TextInput, "Total bilirubin")
        .type_text("3,40");
    // The draft of the typing is written at once: that write finds the
    // connection lost, and the banner goes up before any save (its spinner
    // keeps the window drawing, so frames are run one by one).
    h.run_steps(3);
    h.get_by_label_contains("Not connected to the server");
    // While it is lost, the banner's spinner keeps the window drawing.
    click_to_start(&mut h, "Save entry");
    // The refusal is said where the typing is, and the banner says why.
    assert_eq!(
        h.query_all_by_label_contains("Not saved: the database server cannot be reached")
            .count(),
        2,
        "beside the form and in the status bar"
    );
    h.get_by_label_contains("Not connected to the server (postgres: ");
    h.get_by_label_contains("What you typed is kept; Clinilog tries again every few seconds");
    assert_eq!(
        value(&h, "Total bilirubin").as_deref(),
        Some("3,40"),
        "the typing is kept"
    );
    // Tried again while the server is away: still offline, still kept.
    for _ in 0..20 {
        h.run_steps(2);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    h.get_by_label_contains("Not connected to the server");
    db.back();
    wait_for(&mut h, "Connected again to postgres:");
    assert!(h.query_by_label_contains("Not connected to the server").is_none());
    assert_eq!(value(&h, "Total bilirubin").as_deref(), Some("3,40"));
    click(&mut h, "Save entry");
    h.get_by_label("Log (7)");
    // Reception's connection went too, and comes back the same way.
    assert!(reception.entries(demo.id).is_err());
    reception.reconnect().unwrap();
    assert_eq!(reception.entries(demo.id).unwrap().len(), 7);
}

/// ALP 13,862 U/L (biliary obstruction) typed as printed: the line says it
/// is unusual and waits; Tab reaches its Confirm after the interval, Enter
/// confirms, Ctrl+S saves; the value is stored exactly so, flagged H, its
/// confirmation in the audit row. A negative ALP is still refused.
#[test]
fn an_unusual_value_is_confirmed_from_the_keyboard_and_stored_as_printed() {
    let (_dir, path, mut h) = on_demo_patient();
    click(&mut h, "New entry");
    type_into(&mut h, "Alkaline phosphatase", "-5");
    h.get_by_label_contains("Alkaline phosphatase: \"-5\" is negative");
    replace_text(&mut h, "Alkaline phosphatase", "13862");
    h.get_by_label_contains(
        "unusual for alkaline phosphatase: 13862 U/L is above the 3000 U/L commonly seen; confirm it is as printed",
    );
    assert!(
        h.get_by_label("Save entry").accesskit_node().is_disabled(),
        "the save waits"
    );
    let confirm = "Confirm 13862 U/L as printed";
    let mut k = Keyboard { strokes: 0 };
    for _ in 0..4 {
        if h.get_by_label(confirm).is_focused() {
            break;
        }
        k.tab(&mut h, 1);
    }
    assert!(h.get_by_label(confirm).is_focused(), "Tab reaches Confirm");
    k.key(&mut h, egui::Key::Enter);
    h.run();
    h.get_by_label("reads as 13862 U/L: H, above the interval");
    assert!(
        h.get_by_label("Alkaline phosphatase reference high").is_focused(),
        "the cursor stays after the interval, for Tab to go on"
    );
    h.get_by_label("confirmed as printed, although unusual for the measure");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    h.run();
    h.get_by_label_contains("Entry of 2025-09-01 saved");
    h.get_by_label("13862 H");
    drop(h);

    let store = FileStore::open(&path).unwrap();
    let id = store.patient_by_mrn("DEMO-001").unwrap().unwrap().id;
    let newest = &store.entries(id).unwrap()[0];
    let alp = newest.data.lab("alp").unwrap();
    assert_eq!((alp.value.as_str(), alp.flag), ("13862", Flag::High));
    let conn = rusqlite::Connection::open(&path).unwrap();
    let after: String = conn
        .query_row(
            "SELECT after_json FROM audit_log WHERE table_name = 'entries' AND row_id = ?1",
            [newest.id],
            |r| r.get(0),
        )
        .unwrap();
    assert!(after.contains("\"confirmed_unusual\":true"), "{after}");
}

/// A sodium of 115 mmol/L is below the call-back limit (120): LL in the
/// form, in the Log; the list's status bar counts the patient, and
/// "Critical only" keeps just them.
#[test]
fn a_critical_value_shows_ll_and_the_list_keeps_critical_patients_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = FileStore::open(dir.path().join("c.sqlite")).unwrap();
    write_demo(&mut store, &Catalog::builtin().unwrap(), date(2025, 9, 1)).unwrap();
    register(&mut store, "H-2", "Ana Núñez", "NASH");
    let mut h = harness(store, "Dr Rao");
    h.get_by_label("No critical latest values");
    click(&mut h, "Demo: cirrhosis case report");
    click(&mut h, "New entry");
    // Sodium was never measured for her: in the collapsed panel.
    h.get_by_label_contains("Other lab measures").click();
    h.run();
    type_into(&mut h, "Sodium", "115");
    h.get_by_label("reads as 115 mmol/L: LL, critical: below the call-back limit");
    save_with_ctrl_s(&mut h);
    h.get_by_label("115 LL");
    click(&mut h, "Patients");
    h.get_by_label("1 patient with a critical latest value (LL/HH)");
    h.get_by_label("2 patients");
    click(&mut h, "Critical only (LL/HH: 1)");
    h.get_by_label("1 of 2 patients");
    h.get_by_label("Demo: cirrhosis case report");
    assert!(h.query_by_label("Ana Núñez").is_none());
    // With a measure: its latest value, critical.
    h.get_by_role_and_label(Role::ComboBox, "Latest out of range").click();
    h.run();
    click(&mut h, "Sodium (1)");
    h.get_by_label("Latest Sodium");
    h.get_by_label_contains("115 mmol/L, critically low, on 2025-09-01");
    click(&mut h, "Critical only (LL/HH: 1)");
    h.get_by_label("1 of 2 patients");
}

/// Runs `test` (this test binary's test of that name) again with `env`,
/// as a user who may not write (`common::run_unprivileged`). Gives the
/// child's output once it passed.
fn rerun_unprivileged(test: &str, env: (&str, &std::path::Path), spare: &std::path::Path) -> String {
    let exe = std::env::current_exe().unwrap();
    let out = common::run_unprivileged(
        &exe,
        &[test, "--exact", "--nocapture", "--test-threads=1"],
        &[(env.0, env.1.as_os_str())],
        spare,
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && text.contains("1 passed"), "{text}");
    text
}

/// A 0444 file in a 0555 folder (a CD of records, a locked share), opened
/// by a user who really cannot write there: the window opens it read-only
/// with the banner, shows the patient, and leaves nothing beside it (no
/// `-shm`, no `-wal`, no backup).
#[test]
fn a_read_only_file_in_a_locked_folder_opens_read_only_for_a_user_who_cannot_write() {
    use std::os::unix::fs::PermissionsExt;
    const LOCKED: &str = "CLINILOG_TEST_LOCKED_FOLDER";
    if let Some(folder) = std::env::var_os(LOCKED) {
        // The child: an unprivileged user.
        let folder = std::path::PathBuf::from(folder);
        let path = folder.join("clinic.sqlite");
        assert!(
            std::fs::OpenOptions::new().append(true).open(&path).is_err(),
            "this user can write the file"
        );
        let before = common::folder_state(&folder);
        let mut h = harness(FileStore::open(&path).unwrap(), "Dr Rao");
        h.get_by_label_contains("Read-only: this file (or its folder) cannot be written");
        assert!(h.get_by_label("New patient").accesskit_node().is_disabled());
        click(&mut h, "Demo: cirrhosis case report");
        h.get_by_label("Log (5)");
        h.get_by_label("12.30 H");
        assert!(h.get_by_label("New entry").accesskit_node().is_disabled());
        drop(h);
        assert_eq!(
            common::folder_state(&folder),
            before,
            "nothing was written in the folder"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let folder = dir.path().join("records");
    std::fs::create_dir(&folder).unwrap();
    let path = folder.join("clinic.sqlite");
    let mut store = FileStore::open(&path).unwrap();
    write_demo(&mut store, &Catalog::builtin().unwrap(), date(2025, 9, 1)).unwrap();
    drop(store);
    assert_eq!(
        common::folder_state(&folder).len(),
        1,
        "the file alone, its log checkpointed"
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o555)).unwrap();
    rerun_unprivileged(
        "ui::a_read_only_file_in_a_locked_folder_opens_read_only_for_a_user_who_cannot_write",
        (LOCKED, &folder),
        dir.path(),
    );
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// An import preview lists a value unusual for its measure apart: held
/// back until it is confirmed as printed; confirmed, the counts and the
/// Import button follow, and it is stored exactly as the file prints it.
#[test]
fn an_unusual_imported_value_is_held_back_until_confirmed_in_the_preview() {
    let (dir, path, mut h) = on_demo_patient();
    let file = dir.path().join("cholestasis.csv");
    std::fs::write(
        &file,
        "Patient ID,Collection Date,Test Name,Result,Units,Reference Range\n\
         DEMO-001,2025-08-25,Alk Phos,13862,U/L,40 - 130\n\
         DEMO-001,2025-08-25,GGT,880,U/L,0 - 65\n",
    )
    .unwrap();
    click(&mut h, "< Patients");
    click(&mut h, "Tools");
    h.get_by_label("Import results...").click();
    h.run_steps(8);
    type_into(&mut h, "File", file.to_str().unwrap());
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    h.run();
    wait_for(&mut h, "1 new value in 1 entry, 1 held back as unusual");
    h.get_by_label_contains("1 value is unusual for the measure: held back until you confirm");
    let confirm = "Confirm as printed: line 2: DEMO-001 2025-08-25";
    h.get_by_label_contains(confirm);
    assert!(h.query_by_label("Import 2 values").is_none());
    h.get_by_label_contains(confirm).click();
    h.run_steps(3);
    wait_for(&mut h, "2 new values in 1 entry");
    assert!(
        h.query_by_label_contains(confirm).is_some(),
        "a confirmed line stays listed, to be unconfirmed"
    );
    click_to_start(&mut h, "Import 2 values");
    // Said in the window and in the status bar.
    let done = "Imported from cholestasis.csv: 2 new values in 1 entry";
    for _ in 0..600 {
        if h.query_all_by_label(done).count() == 2 {
            break;
        }
        h.run_steps(2);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(h.get_all_by_label(done).count(), 2);
    settle(&mut h);
    drop(h);
    let store = FileStore::open(&path).unwrap();
    let id = store.patient_by_mrn("DEMO-001").unwrap().unwrap().id;
    let e = store
        .entries(id)
        .unwrap()
        .into_iter()
        .find(|e| e.data.collected_on == date(2025, 8, 25))
        .unwrap();
    assert_eq!(e.data.lab("alp").unwrap().value.as_str(), "13862");
    assert_eq!(e.data.lab("ggt").unwrap().value.as_str(), "880");
}

/// A file whose audit row was changed behind Clinilog's back (its trigger
/// dropped): the patient's History says which change is not verified, and
/// the status bar says the trail fails its check. The workstation had
/// found the chain intact before (and remembered the file as it was then):
/// the change of the file is what makes it hash the chain whole again.
#[test]
fn the_history_tab_says_a_changed_audit_row_is_not_verified() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinic.sqlite");
    let mut store = FileStore::open(&path).unwrap();
    write_demo(&mut store, &Catalog::builtin().unwrap(), date(2025, 9, 1)).unwrap();
    drop(store);
    let h = harness(FileStore::open(&path).unwrap(), "Dr Rao");
    let saved = h.state().prefs.clone();
    assert_eq!(
        saved.chain_checked.len(),
        1,
        "an intact chain is remembered with the file as it was"
    );
    drop(h);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER audit_log_no_update;
         UPDATE audit_log SET \"user\" = 'Someone Else' WHERE seq = 2;",
    )
    .unwrap();
    drop(conn);
    let mut h = run_app(
        ClinilogApp::new(FileStore::open(&path).unwrap(), Catalog::builtin().unwrap(), saved)
            .with_today(date(2025, 9, 1)),
        [1500.0, 1900.0],
    );
    h.get_by_label_contains("The audit trail fails its check: audit row 2 (id 2) does not match its hash");
    click(&mut h, "Demo: cirrhosis case report");
    click(&mut h, "History (11)");
    h.get_by_label_contains("NOT verified: 1 change(s) of this patient");
    assert!(h.query_by_label_contains("Verified: this patient").is_none());
}

/// Someone who just installed Clinilog: an empty clinic says where its file
/// is and offers the demo; Help > About gives the version, the file and the
/// licences (generated from the dependency graph).
#[test]
fn an_empty_clinic_says_where_its_file_is_and_about_lists_the_licences() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinilog.sqlite");
    let mut h = harness(FileStore::open(&path).unwrap(), "Dr Rao");
    h.get_by_label("No patients registered yet.");
    h.get_by_label(&format!("This clinic's records are kept in {}", path.display()));
    h.get_by_label("Look around in the demo clinic");
    click(&mut h, "Help");
    click(&mut h, "About Clinilog");
    h.get_by_label(&format!("Clinilog {}", env!("CARGO_PKG_VERSION")));
    h.get_by_label(&format!("Records: {}", path.display()));
    h.get_by_label_contains("The file is not encrypted");
    h.get_by_label_contains("Noto Sans");
    h.get_by_label_contains("crates from crates.io, under these licences");
    assert!(h.query_all_by_label_contains("MIT OR Apache-2.0").count() > 1);
}
