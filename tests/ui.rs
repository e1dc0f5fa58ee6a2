//! The window, driven headless through egui_kittest by visible labels.

use clinilog::demo::write_demo;
use clinilog::domain::{Catalog, Flag};
use clinilog::store::Store;
use clinilog::ui::{ClinilogApp, Prefs};
use eframe::egui;
use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use jiff::civil::date;

type App<'a> = Harness<'a, ClinilogApp>;

fn harness(store: Store, clinician: &str) -> App<'static> {
    let app = ClinilogApp::new(
        store,
        Catalog::builtin().unwrap(),
        Prefs {
            clinician: clinician.into(),
            ..Prefs::default()
        },
    )
    .with_today(date(2025, 9, 1));
    let mut h = Harness::builder()
        .with_size([1500.0, 1900.0])
        .build_ui_state(|ui, app: &mut ClinilogApp| app.show(ui), app);
    h.run();
    h
}

fn type_into(h: &mut App<'_>, label: &str, text: &str) {
    h.get_by_role_and_label(Role::TextInput, label).click();
    h.run();
    h.get_by_role_and_label(Role::TextInput, label).type_text(text);
    h.run();
}

/// Selects what the field holds and types over it, as a user would.
fn replace_text(h: &mut App<'_>, label: &str, text: &str) {
    h.get_by_role_and_label(Role::TextInput, label).click();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run();
    h.get_by_role_and_label(Role::TextInput, label).type_text(text);
    h.run();
}

fn click(h: &mut App<'_>, label: &str) {
    h.get_by_label(label).click();
    h.run();
}

#[test]
fn create_a_patient_record_an_entry_and_find_it_in_the_log_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinic.sqlite");
    let mut h = harness(Store::open(&path).unwrap(), "Dr Rao");
    h.get_by_label_contains("No patients in this file yet");

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

    let store = Store::open(&path).unwrap();
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
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinic.sqlite");
    let mut store = Store::open(&path).unwrap();
    write_demo(&mut store, &Catalog::builtin().unwrap(), date(2025, 9, 1)).unwrap();
    let mut h = harness(store, "Dr Rao");

    click(&mut h, "Demo: cirrhosis case report");
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
    let store = Store::open(&path).unwrap();
    let id = store.patient_by_mrn("DEMO-001").unwrap().unwrap().id;
    assert_eq!(store.entries(id).unwrap().len(), 5, "nothing was saved");
}

#[test]
fn patient_form_messages_name_the_fields_and_search_filters_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("c.sqlite")).unwrap();
    write_demo(&mut store, &Catalog::builtin().unwrap(), date(2025, 9, 1)).unwrap();
    let mut h = harness(store, "Dr Rao");

    h.get_by_label("DEMO-001");
    type_into(&mut h, "Search", "zzz");
    h.get_by_label_contains("No patient matches \"zzz\"");

    click(&mut h, "New patient");
    type_into(&mut h, "MRN", "DEMO-001");
    type_into(&mut h, "Birth date", "15/01/1974");
    click(&mut h, "Save patient");
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
    h.get_by_label(msg);
    h.get_by_label(&format!("Not saved: {msg}"));
    assert_eq!(
        h.get_by_role_and_label(Role::TextInput, "Name").value().as_deref(),
        Some("Someone Else")
    );
}

#[test]
fn demo_patient_trends_show_a_plot_per_measure_and_treatments_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("c.sqlite")).unwrap();
    write_demo(&mut store, &Catalog::builtin().unwrap(), date(2025, 9, 1)).unwrap();
    let mut h = harness(store, "Dr Rao");
    click(&mut h, "Demo: cirrhosis case report");
    h.get_by_label("Log (5)");
    h.get_by_label("9.80 H");

    click(&mut h, "Treatments (3)");
    assert_eq!(
        h.get_all_by_label("Donor adipose-derived MSC with amniotic-fluid-derived exosomes")
            .count(),
        3
    );

    click(&mut h, "Trends");
    for title in [
        "Total bilirubin (mg/dL)",
        "Direct bilirubin (mg/dL)",
        "Indirect bilirubin (mg/dL)",
        "ALT (SGPT) (U/L)",
        "Creatinine (mg/dL)",
    ] {
        h.get_by_label(title);
    }
    assert!(
        h.query_by_label("Albumin (g/dL)").is_none(),
        "no plot for a measure never recorded"
    );
}

#[test]
fn ctrl_s_saves_the_entry_from_inside_a_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinic.sqlite");
    let mut store = Store::open(&path).unwrap();
    write_demo(&mut store, &Catalog::builtin().unwrap(), date(2025, 9, 1)).unwrap();
    let mut h = harness(store, "Dr Rao");
    click(&mut h, "Demo: cirrhosis case report");
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
    let store = Store::open(&path).unwrap();
    let id = store.patient_by_mrn("DEMO-001").unwrap().unwrap().id;
    let newest = &store.entries(id).unwrap()[0];
    assert_eq!(newest.data.lab("albumin").unwrap().value.as_str(), "2.9");
}

#[test]
fn the_log_shows_scores_and_a_date_opens_their_breakdown() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("c.sqlite")).unwrap();
    write_demo(&mut store, &Catalog::builtin().unwrap(), date(2025, 9, 1)).unwrap();
    let mut h = harness(store, "Dr Rao");
    click(&mut h, "Demo: cirrhosis case report");
    h.get_by_label("MELD");
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

#[test]
fn the_score_calculator_agrees_with_the_reference_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(Store::open(dir.path().join("c.sqlite")).unwrap(), "Dr Rao");
    click(&mut h, "Tools");
    click(&mut h, "Score calculator");
    type_into(&mut h, "Bilirubin (total)", "1,9");
    type_into(&mut h, "INR", "1.2");
    type_into(&mut h, "Creatinine", "1.3");
    h.get_by_label("MELD 13");
    h.get_by_label_contains("MELD-Na not computed: missing sodium (mmol/L)");
    type_into(&mut h, "Sodium", "x");
    h.get_by_label_contains("\"x\" is not a number");
}

#[test]
fn log_breakdown_and_calculator_agree_on_an_entry_meld() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("c.sqlite")).unwrap();
    write_demo(&mut store, &Catalog::builtin().unwrap(), date(2025, 9, 1)).unwrap();
    let mut h = harness(store, "Dr Rao");
    click(&mut h, "Demo: cirrhosis case report");
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
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("c.sqlite")).unwrap();
    write_demo(&mut store, &Catalog::builtin().unwrap(), date(2025, 9, 1)).unwrap();
    let mut h = harness(store, "Dr Rao");
    click(&mut h, "Demo: cirrhosis case report");
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
    h.get_by_label("Total bilirubin (umol/L)");
    assert_eq!(h.state().prefs.units, clinilog::domain::catalog::UnitSystem::Si);
}
