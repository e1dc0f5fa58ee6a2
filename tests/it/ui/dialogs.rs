//! Dialogs are keyboard-first like forms: each opens with the cursor in
//! its first field, so the first keystrokes land there.

use super::*;

/// Types `text` where the cursor is, without clicking anything first.
fn type_at_cursor(h: &mut App<'_>, text: &str) {
    h.event(egui::Event::Text(text.to_owned()));
    h.run();
}

/// The demo clinic, a patient list, on a file of its own.
fn on_demo_clinic() -> (tempfile::TempDir, App<'static>) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = FileStore::open(dir.path().join("clinic.sqlite")).unwrap();
    write_demo(&mut store, &Catalog::builtin().unwrap(), date(2025, 9, 1)).unwrap();
    let h = harness(store, "Dr Rao");
    (dir, h)
}

fn open_tool(h: &mut App<'_>, item: &str) {
    click(h, "Tools");
    click(h, item);
}

/// A new clinic's first start: the name typed at once is who records.
#[test]
fn who_is_recording_opens_in_your_name_on_a_new_clinic() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(FileStore::open(dir.path().join("new.sqlite")).unwrap(), "");
    h.get_by_label("Who is recording?");
    h.get_by_label_contains("Encrypt this new clinic's file");
    assert!(focused(&h, "Your name"), "the cursor starts in Your name");
    type_at_cursor(&mut h, "Dr Imani");
    assert_eq!(value(&h, "Your name").as_deref(), Some("Dr Imani"));
    h.key_press(egui::Key::Enter);
    h.run();
    assert_eq!(h.state().prefs.clinician, "Dr Imani");
}

/// *Change* beside "Recording as" asks again, in the field.
#[test]
fn who_is_recording_opens_in_your_name_when_changed() {
    let (_dir, mut h) = on_demo_clinic();
    click(&mut h, "Change");
    h.get_by_label("Who is recording?");
    assert!(focused(&h, "Your name"), "the cursor starts in Your name");
}

#[test]
fn report_settings_opens_in_the_clinic_name() {
    let (_dir, mut h) = on_demo_clinic();
    open_tool(&mut h, "Report settings...");
    assert!(focused(&h, "Clinic name (on printed reports)"));
    type_at_cursor(&mut h, "Hepatology clinic");
    assert_eq!(h.state().prefs.clinic_name, "Hepatology clinic");
}

#[test]
fn the_score_calculator_opens_in_its_first_input() {
    let (_dir, mut h) = on_demo_clinic();
    open_tool(&mut h, "Score calculator");
    assert!(focused(&h, "Bilirubin (total)"));
}

#[test]
fn import_results_opens_in_the_file() {
    let (_dir, mut h) = on_demo_clinic();
    open_tool(&mut h, "Import results...");
    assert!(focused(&h, "File"));
}

#[test]
fn save_as_opens_in_the_path() {
    let (_dir, _path, mut h) = on_demo_patient();
    h.state_mut().exports.no_file_dialog = true;
    click(&mut h, "Print report");
    h.run_steps(4);
    h.get_by_label_contains("No file was chosen in a dialog");
    assert!(focused(&h, "Save to"));
}

#[test]
fn new_entry_from_report_opens_in_the_report_file() {
    let (_dir, _path, mut h) = on_demo_patient();
    click(&mut h, "New entry from report...");
    assert!(focused(&h, "Report file"));
}

#[test]
fn unlock_opens_in_the_recovery_key() {
    let dir = tempfile::tempdir().unwrap();
    let app = ClinilogApp::unlocking(
        dir.path().join("clinic.sqlite"),
        "its key is not in this computer's keyring".to_owned(),
        Catalog::builtin().unwrap(),
        prefs("Dr Rao"),
    )
    .unwrap();
    let h = run_app(app, [1366.0, 768.0]);
    h.get_by_label("This clinic file is encrypted");
    assert!(focused(&h, "Recovery key"));
}

#[test]
fn log_in_opens_in_the_password() {
    let target = clinilog::store::pg::PgTarget::parse("postgres://nurse@127.0.0.1:9/clinic").unwrap();
    let app = ClinilogApp::logging_in(target, Catalog::builtin().unwrap(), prefs("")).unwrap();
    let h = run_app(app, [1366.0, 768.0]);
    h.get_by_label("Log in to the clinic's server");
    assert!(
        h.get_by_role_and_label(Role::PasswordInput, "Password for nurse")
            .is_focused()
    );
}
