//! The window (eframe/egui): the app shell, one file per screen, shared
//! widgets and the theme.
//!
//! Screens draw from view models and return an [`Action`]; the shell
//! carries it out against the store, then reloads the view model. So the
//! window never queries while drawing, never writes SQL, and a failed write
//! leaves the form, and everything typed in it, open with the error shown.

pub mod calculator;
pub mod entry_form;
pub mod patient;
pub mod patients;
pub mod theme;
pub mod treatments;
pub mod trends;
pub mod widgets;

use eframe::egui::{self, RichText, Ui};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::domain::catalog::UnitSystem;
use crate::domain::score_inputs::DEFAULT_CARRY_DAYS;
use crate::domain::{Catalog, EntryData, PatientData, TreatmentData};
use crate::store::{Store, StoreError};
use patient::PatientScreen;
use patients::{PatientForm, PatientsScreen};

/// UI preferences kept by eframe between runs. Patient data never goes here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    /// The clinician's name, prefilled as "Recorded by" and signing every change.
    pub clinician: String,
    /// Days a missing score input may be carried from an earlier entry.
    pub carry_days: i64,
    /// Show values in conventional or SI units.
    pub units: UnitSystem,
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            clinician: String::new(),
            carry_days: DEFAULT_CARRY_DAYS,
            units: UnitSystem::Conventional,
        }
    }
}

const PREFS_KEY: &str = "clinilog_prefs";

/// What a screen asks the shell to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    ShowPatients,
    OpenPatient(i64),
    CreatePatient(PatientData),
    RecordEntry(EntryData),
    AddTreatment(TreatmentData),
}

pub enum Screen {
    Patients(Box<PatientsScreen>),
    Patient(Box<PatientScreen>),
}

/// A line for the status bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    pub text: String,
    pub is_error: bool,
}

pub struct ClinilogApp {
    store: Store,
    catalog: Catalog,
    pub prefs: Prefs,
    pub screen: Screen,
    pub status: Option<Status>,
    pub calculator: calculator::Calculator,
    today: Option<Date>,
}

impl ClinilogApp {
    pub fn new(store: Store, catalog: Catalog, prefs: Prefs) -> Self {
        let mut app = Self {
            store,
            catalog,
            prefs,
            screen: Screen::Patients(Box::default()),
            status: None,
            calculator: calculator::Calculator::default(),
            today: None,
        };
        app.show_patients();
        app
    }

    /// Fixes "today" (for tests and screenshots that must not depend on the clock).
    pub fn with_today(mut self, today: Date) -> Self {
        self.today = Some(today);
        self
    }

    pub fn today(&self) -> Date {
        self.today.unwrap_or_else(|| jiff::Zoned::now().date())
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    fn error(&mut self, e: &StoreError) {
        self.status = Some(Status {
            text: e.to_string(),
            is_error: true,
        });
    }

    fn info(&mut self, text: String) {
        self.status = Some(Status { text, is_error: false });
    }

    fn show_patients(&mut self) {
        match self.store.patient_summaries() {
            Ok(rows) => self.screen = Screen::Patients(Box::new(PatientsScreen::new(rows))),
            Err(e) => {
                self.screen = Screen::Patients(Box::default());
                self.error(&e);
            }
        }
    }

    fn open_patient(&mut self, id: i64) {
        let loaded = self
            .store
            .patient(id)
            .and_then(|p| Ok((p, self.store.entries(id)?, self.store.treatments(id)?)));
        match loaded {
            Ok((patient, entries, treatments)) => {
                self.screen = Screen::Patient(Box::new(PatientScreen::new(
                    patient,
                    entries,
                    treatments,
                    &self.catalog,
                    self.prefs.carry_days,
                    self.prefs.units,
                )));
            }
            Err(e) => self.error(&e),
        }
    }

    fn reload_patient(&mut self) {
        let Screen::Patient(screen) = &mut self.screen else {
            return;
        };
        let id = screen.patient.id;
        match self.store.entries(id).and_then(|e| Ok((e, self.store.treatments(id)?))) {
            Ok((entries, treatments)) => screen.reload(entries, treatments, &self.catalog),
            Err(e) => self.error(&e),
        }
    }

    /// Carries out a screen's action. On a failed write the form stays open
    /// with what was typed and the error beside the Save button.
    pub fn apply(&mut self, action: Action) {
        match action {
            Action::ShowPatients => self.show_patients(),
            Action::OpenPatient(id) => self.open_patient(id),
            Action::CreatePatient(data) => {
                let user = self.prefs.clinician.trim().to_owned();
                let result = if user.is_empty() {
                    Err(
                        "enter your name under Clinician at the top of the window first: every change is signed"
                            .to_owned(),
                    )
                } else {
                    self.store.create_patient(&data, &user).map_err(|e| e.to_string())
                };
                match result {
                    Ok(p) => {
                        self.info(format!("Patient {} ({}) registered.", p.data.name, p.data.mrn));
                        self.open_patient(p.id);
                    }
                    Err(msg) => {
                        if let Screen::Patients(s) = &mut self.screen
                            && let Some(form) = &mut s.form
                        {
                            form.store_error = Some(msg.clone());
                        }
                        self.status = Some(Status {
                            text: format!("Not saved: {msg}"),
                            is_error: true,
                        });
                    }
                }
            }
            Action::RecordEntry(data) => {
                let Screen::Patient(screen) = &mut self.screen else {
                    return;
                };
                let user = data.recorded_by.clone();
                match self.store.record_entry(screen.patient.id, &data, &user) {
                    Ok(_) => {
                        screen.entry_form = None;
                        self.prefs.clinician = user;
                        self.info(format!("Entry of {} saved.", data.collected_on));
                        self.reload_patient();
                    }
                    Err(e) => {
                        if let Some(form) = &mut screen.entry_form {
                            form.store_error = Some(e.to_string());
                        }
                        self.error(&e);
                    }
                }
            }
            Action::AddTreatment(data) => {
                let Screen::Patient(screen) = &mut self.screen else {
                    return;
                };
                let user = data.recorded_by.clone();
                match self.store.add_treatment(screen.patient.id, &data, &user) {
                    Ok(t) => {
                        screen.treatment_form = None;
                        self.prefs.clinician = user;
                        self.info(format!(
                            "Treatment of {} ({}) saved.",
                            t.data.date,
                            t.data.short_label()
                        ));
                        self.reload_patient();
                    }
                    Err(e) => {
                        if let Some(form) = &mut screen.treatment_form {
                            form.store_error = Some(e.to_string());
                        }
                        self.error(&e);
                    }
                }
            }
        }
    }

    /// Draws the whole window into `ui` (eframe's root, or a test harness).
    pub fn show(&mut self, ui: &mut Ui) {
        let today = self.today();
        egui::Panel::top("top_bar").show(ui, |ui| {
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                ui.label(RichText::new("Clinilog").strong().size(18.0));
                ui.menu_button("Tools", |ui| {
                    if ui.button("Score calculator").clicked() {
                        self.calculator.open = true;
                    }
                });
                let label = ui.label("Units");
                let before = self.prefs.units;
                egui::ComboBox::from_id_salt("units_pref")
                    .selected_text(units_label(self.prefs.units))
                    .show_ui(ui, |ui| {
                        for u in [UnitSystem::Conventional, UnitSystem::Si] {
                            ui.selectable_value(&mut self.prefs.units, u, units_label(u));
                        }
                    })
                    .response
                    .labelled_by(label.id);
                if self.prefs.units != before
                    && let Screen::Patient(p) = &mut self.screen
                {
                    p.units = self.prefs.units;
                    p.rebuild(&self.catalog);
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    let field = ui.add(
                        egui::TextEdit::singleline(&mut self.prefs.clinician)
                            .hint_text("your name")
                            .desired_width(theme::WIDE_FIELD_WIDTH * 0.6),
                    );
                    let label = ui.label("Clinician");
                    field.labelled_by(label.id);
                });
            });
            ui.add_space(2.0);
        });
        egui::Panel::bottom("status_bar").show(ui, |ui| {
            ui.horizontal(|ui| {
                widgets::muted(ui, format!("File: {}", self.store.path().display()));
                if let Some(s) = &self.status {
                    ui.separator();
                    let color = if s.is_error { theme::ERROR } else { theme::OK };
                    ui.label(RichText::new(&s.text).color(color));
                }
            });
        });
        let clinician = self.prefs.clinician.clone();
        let action = egui::CentralPanel::default()
            .show(ui, |ui| match &mut self.screen {
                Screen::Patients(s) => s.ui(ui, today, &clinician),
                Screen::Patient(s) => s.ui(ui, &self.catalog, today, &clinician),
            })
            .inner;
        if self.calculator.open {
            calculator::calculator_window(ui.ctx(), &mut self.calculator, &self.catalog);
        }
        if let Screen::Patient(p) = &self.screen {
            self.prefs.carry_days = p.carry_days;
        }
        if let Some(action) = action {
            self.apply(action);
        }
    }

    /// Opens the "New patient" form (as the button does).
    pub fn open_new_patient_form(&mut self) {
        let today = self.today();
        if let Screen::Patients(s) = &mut self.screen {
            s.form.get_or_insert_with(|| PatientForm::new(today));
        }
    }
}

impl eframe::App for ClinilogApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, PREFS_KEY, &self.prefs);
    }
}

fn units_label(u: UnitSystem) -> &'static str {
    match u {
        UnitSystem::Conventional => "conventional (mg/dL)",
        UnitSystem::Si => "SI (umol/L)",
    }
}

/// Opens the window on an open store; returns when the window closes.
pub fn run_window(store: Store, catalog: Catalog) -> Result<(), String> {
    let title = format!("Clinilog - {}", store.path().display());
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(title)
            .with_inner_size([1280.0, 820.0])
            .with_min_inner_size([760.0, 480.0]),
        ..Default::default()
    };
    eframe::run_native(
        "clinilog",
        options,
        Box::new(move |cc| {
            theme::apply(&cc.egui_ctx);
            let prefs = cc
                .storage
                .and_then(|s| eframe::get_value(s, PREFS_KEY))
                .unwrap_or_default();
            Ok(Box::new(ClinilogApp::new(store, catalog, prefs)))
        }),
    )
    .map_err(|e| format!("cannot open the window: {e}"))
}
