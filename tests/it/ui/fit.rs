//! Every screen fits its window: at 1280x720, 1366x768 and 1920x1080
//! points, at 1 and 2 pixels per point, nothing overlaps, nothing lies
//! outside the window where no scroll area reaches it, and no text is
//! squeezed to a word per line ([`misfits`]).

use super::*;

fn patient(h: &mut App<'_>) {
    click(h, "Demo: cirrhosis case report");
}

fn tool(h: &mut App<'_>, item: &str) {
    click(h, "Tools");
    click(h, item);
}

/// The check itself: two buttons drawn over each other, a field beyond
/// the window's edge and a text squeezed to a word per line are each seen.
#[test]
fn the_fit_check_sees_overlap_a_widget_off_the_window_and_squeezed_text() {
    let mut h = Harness::builder().with_size([400.0, 300.0]).build_ui(|ui| {
        let _ = ui.put(
            egui::Rect::from_min_size(egui::pos2(10.0, 10.0), egui::vec2(80.0, 20.0)),
            egui::Button::new("One"),
        );
        let _ = ui.put(
            egui::Rect::from_min_size(egui::pos2(50.0, 15.0), egui::vec2(80.0, 20.0)),
            egui::Button::new("Two"),
        );
        let _ = ui.put(
            egui::Rect::from_min_size(egui::pos2(380.0, 100.0), egui::vec2(80.0, 20.0)),
            egui::Button::new("Beyond"),
        );
        ui.scope_builder(
            egui::UiBuilder::new().max_rect(egui::Rect::from_min_size(
                egui::pos2(10.0, 150.0),
                egui::vec2(40.0, 140.0),
            )),
            |ui| ui.add(egui::Label::new("a message squeezed into a column one word wide").wrap()),
        );
    });
    h.run();
    let found = misfits(&h, [400.0, 300.0]).join("\n");
    assert!(
        found.contains("\"One\"") && found.contains("\"Two\"") && found.contains("overlap"),
        "{found}"
    );
    assert!(
        found.contains("\"Beyond\"") && found.contains("outside the 400x300 window"),
        "{found}"
    );
    assert!(found.contains("squeezed"), "{found}");
}

#[test]
fn the_patient_list_fits() {
    assert_fits("Patients", |_, _| {});
}

#[test]
fn the_new_patient_form_fits() {
    assert_fits("New patient", |h, _| click(h, "New patient"));
}

#[test]
fn the_log_fits() {
    assert_fits("Log", |h, _| patient(h));
}

#[test]
fn the_treatments_tab_fits() {
    assert_fits("Treatments", |h, _| {
        patient(h);
        click(h, "Treatments (3)");
    });
}

#[test]
fn the_plan_tab_fits() {
    assert_fits("Plan", |h, _| {
        patient(h);
        click(h, "Plan (1)");
    });
}

#[test]
fn the_adverse_events_tab_fits() {
    assert_fits("Adverse events", |h, _| {
        patient(h);
        click(h, "Adverse events (0)");
    });
}

#[test]
fn the_trends_tab_fits() {
    assert_fits("Trends", |h, _| {
        patient(h);
        click(h, "Trends");
    });
}

#[test]
fn the_history_tab_fits() {
    assert_fits("History", |h, _| {
        patient(h);
        click(h, "History (11)");
    });
}

#[test]
fn the_entry_form_fits() {
    assert_fits("New entry", |h, _| {
        patient(h);
        click(h, "New entry");
        replace_text(h, "Total bilirubin", "99999");
    });
}

#[test]
fn the_entry_window_fits() {
    assert_fits("Entry of 2025-07-19", |h, _| {
        patient(h);
        h.get_by_role_and_label(Role::Link, "2025-07-19").click();
        h.run();
        h.get_by_label("Edit entry");
    });
}

#[test]
fn the_patient_details_form_fits() {
    assert_fits("Edit details", |h, _| {
        patient(h);
        click(h, "Edit details");
    });
}

#[test]
fn the_treatment_form_fits() {
    assert_fits("Add treatment", |h, _| {
        patient(h);
        click(h, "Treatments (3)");
        click(h, "Add treatment");
    });
}

#[test]
fn the_protocol_form_fits() {
    assert_fits("Assign protocol", |h, _| {
        patient(h);
        click(h, "Plan (1)");
        click(h, "Assign protocol");
    });
}

#[test]
fn the_adverse_event_form_fits() {
    assert_fits("Record adverse event", |h, _| {
        patient(h);
        click(h, "Adverse events (0)");
        click(h, "Record adverse event");
    });
}

#[test]
fn the_entry_form_read_from_a_report_fits_beside_its_panel() {
    assert_fits("New entry from report", |h, dir| {
        patient(h);
        read_report(h, &seed_report(dir));
        h.get_by_label("From the report");
        // Long messages beside the values (issue 43's squeezed column).
        replace_text(h, "Total bilirubin", "99999");
        replace_text(h, "AST (SGOT)", "abc");
    });
}

#[test]
fn the_due_screen_fits() {
    assert_fits("Due", |h, _| click(h, "Due"));
}

#[test]
fn the_cohort_screen_fits() {
    assert_fits("Cohort", |h, _| click(h, "Cohort"));
}

#[test]
fn the_tool_windows_fit() {
    for item in [
        "Score calculator",
        "Backups",
        "Import results...",
        "Report settings...",
        "Protect this file...",
    ] {
        assert_fits(item, |h, _| tool(h, item));
    }
    assert_fits("About Clinilog", |h, _| {
        click(h, "Help");
        click(h, "About Clinilog");
    });
}

#[test]
fn the_dialogs_fit() {
    assert_fits("Who is recording? (Change)", |h, _| click(h, "Change"));
    assert_fits_on(
        "Who is recording? (a new clinic)",
        |dir| {
            ClinilogApp::new(
                FileStore::open(dir.join("new.sqlite")).unwrap(),
                Catalog::builtin().unwrap(),
                prefs(""),
            )
        },
        |h, _| {
            h.get_by_label("Who is recording?");
        },
    );
    assert_fits("Save as", |h, _| {
        patient(h);
        h.state_mut().exports.no_file_dialog = true;
        click(h, "Print report");
        h.run_steps(4);
        h.get_by_label_contains("No file was chosen in a dialog");
    });
    assert_fits_on(
        "Unlock",
        |dir| {
            ClinilogApp::unlocking(
                dir.join("clinic.sqlite"),
                "its key is not in this computer's keyring".to_owned(),
                Catalog::builtin().unwrap(),
                prefs("Dr Rao"),
            )
            .unwrap()
        },
        |h, _| {
            h.get_by_label("This clinic file is encrypted");
        },
    );
    assert_fits_on(
        "Log in",
        |_| {
            let target = clinilog::store::pg::PgTarget::parse("postgres://nurse@127.0.0.1:9/clinic").unwrap();
            ClinilogApp::logging_in(target, Catalog::builtin().unwrap(), prefs("")).unwrap()
        },
        |h, _| {
            h.get_by_label("Log in to the clinic's server");
        },
    );
}

/// A window too narrow for the form and the report side by side: the two
/// take turns as tabs, each fitting the window.
#[test]
fn in_a_narrow_window_the_form_and_the_report_are_tabs() {
    let size = [1000.0, 700.0];
    let dir = tempfile::tempdir().unwrap();
    let mut store = FileStore::open(dir.path().join("clinic.sqlite")).unwrap();
    write_demo(&mut store, &Catalog::builtin().unwrap(), date(2025, 9, 1)).unwrap();
    let app = ClinilogApp::new(store, Catalog::builtin().unwrap(), prefs("Dr Rao")).with_today(date(2025, 9, 1));
    let mut h = run_app(app, size);
    patient(&mut h);
    read_report(&mut h, &seed_report(dir.path()));
    h.get_by_label("Entry form");
    assert!(h.query_by_label("From the report").is_none(), "the form shows first");
    assert!(h.query_by_role_and_label(Role::Splitter, "Resize panel").is_none());
    h.get_by_role_and_label(Role::TextInput, "Total bilirubin");
    assert_eq!(misfits(&h, size), Vec::<String>::new());
    click(&mut h, "Report (7 read, 0 not read)");
    h.get_by_label("From the report");
    h.get_by_label("Total bilirubin: 12.30 mg/dL");
    assert!(h.query_by_role_and_label(Role::TextInput, "Total bilirubin").is_none());
    assert_eq!(misfits(&h, size), Vec::<String>::new());
    click(&mut h, "Entry form");
    // Saved from the keyboard (the Save button is further down the scroll).
    h.get_by_role_and_label(Role::TextInput, "Total bilirubin").click();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    h.run();
    settle(&mut h);
    h.run();
    h.get_by_label_contains("saved, with the report city-hospital-2025-07-19.pdf");
}

/// Wide enough, the report's panel sits beside the form, resizable.
#[test]
fn in_a_wide_window_the_report_is_a_panel_beside_the_form() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = FileStore::open(dir.path().join("clinic.sqlite")).unwrap();
    write_demo(&mut store, &Catalog::builtin().unwrap(), date(2025, 9, 1)).unwrap();
    let app = ClinilogApp::new(store, Catalog::builtin().unwrap(), prefs("Dr Rao")).with_today(date(2025, 9, 1));
    let mut h = run_app(app, [1366.0, 768.0]);
    patient(&mut h);
    read_report(&mut h, &seed_report(dir.path()));
    h.get_by_label("From the report");
    h.get_by_role_and_label(Role::TextInput, "Total bilirubin");
    h.get_by_role_and_label(Role::Splitter, "Resize panel");
    assert!(h.query_by_label("Entry form").is_none());
}
