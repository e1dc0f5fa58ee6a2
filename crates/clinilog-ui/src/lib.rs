//! The window (eframe/egui): the app shell, one file per screen, shared
//! widgets and the theme.
//!
//! Screens draw from view models and return an [`Action`]; the shell
//! carries it out against the store, then reloads the view model. So the
//! window never queries while drawing, never writes SQL, and a failed write
//! leaves the form, and everything typed in it, open with the error shown.

pub mod backups;
pub mod calculator;
pub mod capture;
mod chrome;
pub mod cohort;
mod connection;
pub mod due;
pub mod entry_form;
pub mod exports;
pub mod file_care;
pub mod follow_up;
pub mod form;
pub mod import;
pub mod job;
mod navigation;
mod out_of_range;
pub mod patient;
pub mod patients;
pub mod protect;
pub mod theme;
pub mod treatments;
pub mod trends;
pub mod widgets;
mod writes;

use eframe::egui::{self, RichText, Ui};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use clinilog_domain::catalog::UnitSystem;
use clinilog_domain::score_inputs::DEFAULT_CARRY_DAYS;
use clinilog_domain::{Catalog, Entry, EntryData, Patient, PatientData, TreatmentData, TreatmentEvent};
use clinilog_store::{ClinicStore, DraftKey, FileStore, Location, StoreError, local_time};
use form::KeptDraft;
use job::Job;
use patient::PatientScreen;
use patients::PatientsScreen;

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
    /// Trends plot groups the user hid.
    pub hidden_groups: Vec<String>,
    /// At most this often, while the file changes, a backup is taken.
    pub backup_interval_minutes: u32,
    /// Backups also go to this folder (a USB stick, a network share).
    pub second_backup_dir: Option<std::path::PathBuf>,
    /// The clinic's name, in the printed report's page header.
    pub clinic_name: String,
    /// Files that passed SQLite's check on this workstation, as they were
    /// then: one that has not changed since is not read whole again at open.
    pub checked_files: Vec<clinilog_store::CheckedFile>,
    /// Files whose audit chain was recomputed whole and found intact, as
    /// they were then, with the head it ended at: one unchanged since (its
    /// size and time, within a week) is not hashed whole again at open.
    pub chain_checked: Vec<(clinilog_store::CheckedFile, clinilog_store::chain::Anchor)>,
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            clinician: String::new(),
            carry_days: DEFAULT_CARRY_DAYS,
            units: UnitSystem::Conventional,
            hidden_groups: Vec::new(),
            backup_interval_minutes: 60,
            second_backup_dir: None,
            clinic_name: String::new(),
            checked_files: Vec::new(),
            chain_checked: Vec::new(),
        }
    }
}

/// How many checked files `Prefs` remembers (the most recent ones).
const CHECKED_FILES_KEPT: usize = 20;

const PREFS_KEY: &str = "clinilog_prefs";

/// What a screen asks the shell to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    ShowPatients,
    /// The *Due* screen (the week of today, or as last shown).
    ShowDue,
    /// The *Cohort* screen (as last shown).
    ShowCohort,
    /// Print the cohort shown as PDF through a file dialog.
    PrintCohort,
    OpenPatient(i64),
    /// Open the patient with a new entry dated `date` (from the due list).
    RecordEntryOn {
        patient_id: i64,
        date: Date,
    },
    /// A write to the file; its result goes back to where it came from.
    Write(Write),
    /// Forget the kept draft of a form (saved, cancelled or discarded).
    DiscardDraft(DraftKey),
    /// Load the open patient again (after a change made elsewhere).
    ReloadPatient,
    /// Save the data of the Trends view (CSV text) through a file dialog.
    ExportCsv(String),
    /// Save a picture of this part of the window through a file dialog.
    ExportPng(egui::Rect),
    /// Save the patient's record as a FHIR R4 Bundle through a file dialog.
    ExportFhir(i64),
    /// Print the patient's report (PDF) through a file dialog.
    PrintReport(i64),
    /// Open the demo clinic in a window of its own (`clinilog --demo`).
    TryDemo,
    /// Read this lab report for a new entry of the open patient (capture).
    ReadReport(std::path::PathBuf),
    /// Remember a lab's test name as a catalog measure (the clinic's mapping file).
    RememberTestName {
        name: String,
        code: String,
    },
    /// Show the report this entry was read from.
    ShowReport(i64),
}

/// A write to the file, as a screen asks for it.
#[derive(Clone, Debug, PartialEq)]
pub enum Write {
    CreatePatient(PatientData),
    UpdatePatient {
        patient: Box<Patient>,
        data: PatientData,
        reason: String,
    },
    RecordEntry {
        patient_id: i64,
        data: EntryData,
    },
    /// A new entry read from a printed report, the report kept with it.
    RecordEntryFromReport {
        patient_id: i64,
        data: EntryData,
        document: Box<clinilog_domain::capture::SourceDocument>,
    },
    EditEntry {
        entry: Box<Entry>,
        data: EntryData,
        reason: String,
    },
    VoidEntry {
        entry: Box<Entry>,
        reason: String,
    },
    AddTreatment {
        patient_id: i64,
        data: TreatmentData,
    },
    EditTreatment {
        event: Box<TreatmentEvent>,
        data: TreatmentData,
        reason: String,
    },
    VoidTreatment {
        event: Box<TreatmentEvent>,
        reason: String,
    },
    AssignProtocol {
        patient_id: i64,
        data: clinilog_domain::protocol::AssignmentData,
    },
    ShiftPlan {
        assignment: Box<clinilog_domain::protocol::Assignment>,
        shift: clinilog_domain::protocol::ShiftData,
    },
    /// A late or missed item of the plan closed as not done.
    ClosePlanItem {
        assignment: Box<clinilog_domain::protocol::Assignment>,
        closure: clinilog_domain::protocol::ClosureData,
    },
    VoidAssignment {
        assignment: Box<clinilog_domain::protocol::Assignment>,
        reason: String,
    },
    AddAdverseEvent {
        patient_id: i64,
        data: clinilog_domain::adverse::AdverseEventData,
    },
    EditAdverseEvent {
        event: Box<clinilog_domain::adverse::AdverseEvent>,
        data: clinilog_domain::adverse::AdverseEventData,
        reason: String,
    },
    VoidAdverseEvent {
        event: Box<clinilog_domain::adverse::AdverseEvent>,
        reason: String,
    },
    RecordNoAdverseEvents {
        patient_id: i64,
        data: clinilog_domain::adverse::NoEventsData,
    },
}

/// Who asked for a write: the form (by its draft key) or the void.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteOrigin {
    Form(DraftKey),
    VoidEntry(i64),
    VoidTreatment(i64),
    VoidAssignment(i64),
    /// *Not done...* of an item of this assignment's plan.
    ClosePlanItem(i64),
    VoidAdverseEvent(i64),
    /// "No adverse events since the last visit" of this patient.
    NoAdverseEvents(i64),
}

impl Write {
    /// The form or void this write comes from: each write has exactly one.
    pub fn origin(&self) -> WriteOrigin {
        match self {
            Write::CreatePatient(_) => WriteOrigin::Form(DraftKey::NewPatient),
            Write::UpdatePatient { patient, .. } => WriteOrigin::Form(DraftKey::EditPatient(patient.id)),
            Write::RecordEntry { patient_id, .. } | Write::RecordEntryFromReport { patient_id, .. } => {
                WriteOrigin::Form(DraftKey::NewEntry { patient: *patient_id })
            }
            Write::EditEntry { entry, .. } => WriteOrigin::Form(DraftKey::EditEntry(entry.id)),
            Write::VoidEntry { entry, .. } => WriteOrigin::VoidEntry(entry.id),
            Write::AddTreatment { patient_id, .. } => {
                WriteOrigin::Form(DraftKey::NewTreatment { patient: *patient_id })
            }
            Write::EditTreatment { event, .. } => WriteOrigin::Form(DraftKey::EditTreatment(event.id)),
            Write::VoidTreatment { event, .. } => WriteOrigin::VoidTreatment(event.id),
            Write::AssignProtocol { patient_id, .. } => {
                WriteOrigin::Form(DraftKey::NewAssignment { patient: *patient_id })
            }
            Write::ShiftPlan { assignment, .. } => WriteOrigin::Form(DraftKey::ShiftPlan(assignment.id)),
            Write::VoidAssignment { assignment, .. } => WriteOrigin::VoidAssignment(assignment.id),
            Write::ClosePlanItem { assignment, .. } => WriteOrigin::ClosePlanItem(assignment.id),
            Write::AddAdverseEvent { patient_id, .. } => {
                WriteOrigin::Form(DraftKey::NewAdverseEvent { patient: *patient_id })
            }
            Write::EditAdverseEvent { event, .. } => WriteOrigin::Form(DraftKey::EditAdverseEvent(event.id)),
            Write::VoidAdverseEvent { event, .. } => WriteOrigin::VoidAdverseEvent(event.id),
            Write::RecordNoAdverseEvents { patient_id, .. } => WriteOrigin::NoAdverseEvents(*patient_id),
        }
    }
}

pub enum Screen {
    Patients(Box<PatientsScreen>),
    Patient(Box<PatientScreen>),
    /// What the protocols ask for this week.
    Due(Box<due::DueScreen>),
    /// One measure across patients, aligned at day 0.
    Cohort(Box<cohort::CohortScreen>),
}

impl Default for Screen {
    fn default() -> Self {
        Screen::Patients(Box::default())
    }
}

/// What a new connection's job gives: the records, the server's asking for
/// a password, or nothing (cancelled).
type Reconnected = Option<Result<Box<dyn ClinicStore>, StoreError>>;

/// A patient with entries, treatment events and audit trail.
type LoadedPatient = (
    Patient,
    Vec<Entry>,
    Vec<TreatmentEvent>,
    Vec<clinilog_store::AuditRecord>,
    follow_up::FollowUp,
);

/// A line for the status bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    pub text: String,
    pub is_error: bool,
}

pub struct ClinilogApp {
    /// The records, in a file or on a server: the window does not tell them apart.
    store: Box<dyn ClinicStore>,
    /// Where the open records are (a backup looked at: that backup's file).
    location: Location,
    catalog: Catalog,
    pub prefs: Prefs,
    pub screen: Screen,
    pub status: Option<Status>,
    pub calculator: calculator::Calculator,
    last_draft_write: f64,
    pending_clinician: String,
    /// The name field of the question of who records is to get the cursor.
    focus_name: bool,
    /// *Change* beside "Recording as" was clicked: the question is asked again.
    changing_clinician: bool,
    today: Option<Date>,
    /// Files written out: where they go, the report being laid out, the Trends picture awaited.
    pub exports: exports::Exports,
    /// Care of the open file: its check, its backups, a backup looked at.
    pub file_care: file_care::FileCare,
    pub import: import::ImportWindow,
    /// *Tools > Report settings* is open.
    pub report_settings: bool,
    /// The second frame has started the work that needs the window's context.
    started: bool,
    /// The first frame was drawn: background reads may start (they wait
    /// for it, so that the window shows at once even on a large clinic).
    first_frame_drawn: bool,
    /// The window's context, as of the last frame: what a job started
    /// outside a frame asks for a frame when it is done.
    ctx: egui::Context,
    /// The preferences changed in a way worth writing now (a clean check).
    save_prefs_now: bool,
    /// The patient list is to be read again (on a thread, at the next frame).
    want_list: bool,
    /// The patient list being read on its thread.
    list_job: Option<Job<Result<Box<PatientsScreen>, String>>>,
    /// How many patients have a critical (LL/HH) latest value, as last read
    /// with the out-of-range values (the status bar says it).
    critical_patients: Option<usize>,
    /// The patients screen while a patient is open: shown again at once on
    /// the way back, while the list is read afresh.
    kept_list: Option<Box<PatientsScreen>>,
    /// The Due screen while another is shown (its week, filter and sort).
    kept_due: Option<Box<due::DueScreen>>,
    /// The Cohort screen while another is shown.
    kept_cohort: Option<Box<cohort::CohortScreen>>,
    /// The connection to the server is lost (what was said): a banner, the
    /// typing kept, a new connection tried on a thread.
    offline: Option<String>,
    /// The new connection, once the server answers again.
    reconnect_job: Option<Job<Reconnected>>,
    /// Other workstations' saves, heard on a connection of its own (a server only).
    changes: Option<std::sync::mpsc::Receiver<clinilog_store::pg::ChangeNote>>,
    /// Who is logged in, on a server set up by `server init`: the server
    /// signs with this login, so it is who records (no *Change*).
    login: Option<clinilog_store::pg::server::Login>,
    /// *Log in*, while the server asks for a password.
    login_prompt: Option<connection::LoginPrompt>,
    /// *Tools > Protect this file*.
    pub protect: protect::ProtectWindow,
    /// *Help > About Clinilog* is open.
    pub about: bool,
    /// *Unlock*, while the file's key is not on this computer.
    unlock_prompt: Option<protect::UnlockPrompt>,
    /// A new clinic's file (plain, no patient yet) at first start: who
    /// records is asked with an offer to encrypt it, ticked or not here.
    offer_protection: Option<bool>,
}

impl ClinilogApp {
    /// The window on a SQLite file.
    pub fn new(store: FileStore, catalog: Catalog, prefs: Prefs) -> Self {
        let location = Location::File(store.path().to_owned());
        Self::on(Box::new(store), location, catalog, prefs)
    }

    /// The window on records wherever they are.
    pub fn on(store: Box<dyn ClinicStore>, location: Location, catalog: Catalog, prefs: Prefs) -> Self {
        let mut app = Self {
            store,
            location,
            catalog,
            prefs,
            screen: Screen::Patients(Box::default()),
            status: None,
            calculator: calculator::Calculator::default(),
            last_draft_write: f64::NEG_INFINITY,
            pending_clinician: String::new(),
            focus_name: true,
            changing_clinician: false,
            today: None,
            exports: exports::Exports::default(),
            file_care: file_care::FileCare::default(),
            import: import::ImportWindow::default(),
            report_settings: false,
            started: false,
            first_frame_drawn: false,
            ctx: egui::Context::default(),
            save_prefs_now: false,
            want_list: false,
            list_job: None,
            critical_patients: None,
            kept_list: None,
            kept_due: None,
            kept_cohort: None,
            offline: None,
            reconnect_job: None,
            changes: None,
            login: None,
            login_prompt: None,
            protect: protect::ProtectWindow::default(),
            about: false,
            unlock_prompt: None,
            offer_protection: None,
        };
        app.login = app.store.server_login();
        if app.prefs.clinician.trim().is_empty() && app.new_clinic_file() {
            app.offer_protection = Some(false);
        }
        app.file_care.newest_backup = clinilog_store::newest_backup(&app.backup_dirs());
        app.show_patients();
        app
    }

    /// Who records: on a server set up by `server init`, the login (the
    /// server signs with it); else the name given on this workstation.
    pub fn clinician(&self) -> String {
        match &self.login {
            Some(l) => l.signer(),
            None => self.prefs.clinician.clone(),
        }
    }

    /// Fixes "today" (for tests and screenshots that must not depend on the clock).
    pub fn with_today(mut self, today: Date) -> Self {
        self.today = Some(today);
        self
    }

    pub fn today(&self) -> Date {
        self.today.unwrap_or_else(|| jiff::Zoned::now().date())
    }

    /// SQLite's check of the open file is running.
    pub fn checking_file(&self) -> bool {
        self.file_care.integrity_job.is_some() || self.file_care.chain_job.is_some() || self.file_care.chain_wanted
    }

    /// The patient list is still being read, or the latest out-of-range
    /// values that follow it (the filter's, and the status bar's count of
    /// critical values).
    /// A printed report is being read for the open patient (capture).
    pub fn reading_report(&self) -> bool {
        matches!(&self.screen, Screen::Patient(s) if s.capture.job.is_some())
    }

    pub fn list_loading(&self) -> bool {
        self.want_list
            || self.list_job.is_some()
            || matches!(&self.screen, Screen::Patients(s) if s.reading_out_of_range())
    }

    /// Whether the due list is being read (or about to be).
    pub fn due_loading(&self) -> bool {
        matches!(&self.screen, Screen::Due(s) if s.reading())
    }

    pub fn store(&self) -> &dyn ClinicStore {
        &*self.store
    }

    /// Where the open records are.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Puts other records in the place of the open ones (a backup looked
    /// at, the file again); gives the ones that were open.
    fn replace_store(&mut self, store: Box<dyn ClinicStore>, location: Location) -> Box<dyn ClinicStore> {
        self.location = location;
        self.login = store.server_login();
        // Other records: their chain is checked afresh.
        self.file_care.chain = None;
        if self.started {
            let ctx = self.ctx.clone();
            self.file_care.chain_job = None;
            self.start_chain_check_after(&ctx);
        }
        std::mem::replace(&mut self.store, store)
    }

    fn error(&mut self, e: &StoreError) {
        self.lost_connection(e);
        self.status = Some(Status {
            text: e.to_string(),
            is_error: true,
        });
    }

    fn info(&mut self, text: String) {
        self.status = Some(Status { text, is_error: false });
    }

    /// Whether the cohort is being read (or about to be).
    pub fn cohort_loading(&self) -> bool {
        matches!(&self.screen, Screen::Cohort(s) if s.reading())
    }

    /// Draws the whole window into `ui` (eframe's root, or a test harness).
    pub fn show(&mut self, ui: &mut Ui) {
        let today = self.today();
        // Jobs started outside a frame's reach (a backup after a save) ask it for theirs.
        self.ctx = ui.ctx().clone();
        if !self.first_frame_drawn {
            // The first frame goes on screen before any background read
            // starts (the list, its out-of-range values, the file's check):
            // on a 2-core machine they would compete with it, and a large
            // clinic's window would show late. The next frame starts them.
            self.first_frame_drawn = true;
            ui.ctx().request_repaint();
        } else if self.login_prompt.is_none() && self.unlock_prompt.is_none() {
            if !std::mem::replace(&mut self.started, true) {
                self.start_integrity_check(ui.ctx());
                self.start_chain_check(ui.ctx());
                self.start_listening(ui.ctx());
            }
            self.poll_connection(ui.ctx());
            self.poll_changes();
            self.poll_list(ui.ctx());
            self.poll_screen(ui.ctx());
        }
        let go = self.top_bar(ui);
        self.status_bar(ui);
        self.banners(ui);
        if self.login_prompt.is_some() {
            self.login_ui(ui.ctx());
        } else if self.unlock_prompt.is_some() {
            self.unlock_ui(ui.ctx());
        } else if self.login.is_none() && (self.prefs.clinician.trim().is_empty() || self.changing_clinician) {
            self.ask_who_records(ui.ctx());
        }
        let clinician = self.clinician();
        self.protect_ui(ui.ctx());
        if self.about {
            self.about_ui(ui.ctx());
        }
        let logging_in = self.login_prompt.is_some() || self.unlock_prompt.is_some();
        let action = egui::CentralPanel::default()
            .show(ui, |ui| match &mut self.screen {
                // Nothing of the clinic is there before the server takes the password.
                _ if logging_in => {
                    widgets::muted(ui, "Log in (or unlock the file) to see the clinic's records.");
                    None
                }
                Screen::Patients(s) => s.ui(ui, today, &clinician, self.location.file()),
                Screen::Patient(s) => s.ui(ui, &self.catalog, today, &clinician),
                Screen::Due(s) => s.ui(ui, &self.catalog, today, self.store.read_only()),
                Screen::Cohort(s) => s.ui(ui, &self.catalog, self.prefs.units),
            })
            .inner;
        if self.calculator.open {
            calculator::calculator_window(ui.ctx(), &mut self.calculator, &self.catalog);
        }
        if self.file_care.window.open {
            let folder = self
                .backup_dirs()
                .first()
                .map(|d| d.display().to_string())
                .unwrap_or_default();
            let asked = backups::backups_window(
                ui.ctx(),
                &mut self.file_care.window,
                &folder,
                self.prefs.backup_interval_minutes,
            );
            if let Some(a) = asked {
                self.backups_action(a);
            }
        }
        if self.import.open || self.import.running() {
            let cx = import::ImportContext {
                location: &self.location,
                read_only: self.store.read_only(),
                catalog: &self.catalog,
                signer: self.signer(),
                today,
                ctx: ui.ctx(),
            };
            if let Some(import::ImportAction::Imported(text)) = import::import_window(ui.ctx(), &mut self.import, &cx) {
                self.imported(text);
            }
        }
        if self.report_settings {
            let mut open = true;
            egui::Window::new("Report settings")
                .open(&mut open)
                .collapsible(false)
                .show(ui.ctx(), |ui| {
                    let label = ui.label("Clinic name (on printed reports)");
                    let r = ui
                        .add(egui::TextEdit::singleline(&mut self.prefs.clinic_name).desired_width(260.0))
                        .labelled_by(label.id);
                    widgets::first_field_focus(ui, &r);
                    widgets::muted(
                        ui,
                        "Printed in the header of every page of a report. Kept on this workstation.",
                    );
                });
            self.report_settings = open;
        }
        self.save_as_ui(ui.ctx());
        self.poll_report();
        self.poll_backup();
        self.poll_integrity();
        self.poll_chain();
        if let Screen::Patient(p) = &self.screen {
            self.prefs.carry_days = p.carry_days;
            self.prefs.hidden_groups = p.trends_state.hidden.iter().cloned().collect();
        }
        if let Some(action) = action.or(go) {
            self.apply(action);
        }
        let now = ui.input(|i| i.time);
        self.sync_drafts(now, false);
        self.poll_png(ui.ctx());
    }
}

impl Drop for ClinilogApp {
    /// What is typed but not yet written as a draft goes to the file now,
    /// and a file that changed is backed up as the window closes.
    fn drop(&mut self) {
        self.sync_drafts(f64::INFINITY, true);
        if let Some(job) = self.file_care.backup_job.take() {
            let _ = job.wait();
        }
        if self.file_care.dirty
            && !self.store.read_only()
            && let Some(db) = self.location.file()
        {
            let _ = clinilog_store::backup_file(db, &self.backup_dirs(), self.today());
        }
    }
}

impl eframe::App for ClinilogApp {
    fn ui(&mut self, ui: &mut Ui, frame: &mut eframe::Frame) {
        self.show(ui);
        // A clean check is kept at once, not only when the window closes.
        if std::mem::take(&mut self.save_prefs_now)
            && let Some(storage) = frame.storage_mut()
        {
            eframe::set_value(storage, PREFS_KEY, &self.prefs);
            storage.flush();
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, PREFS_KEY, &self.prefs);
    }
}

/// A store refusal as shown beside a form, and whether it was a conflict.
/// How often a lost server is tried again.
const RETRY_EVERY: std::time::Duration = std::time::Duration::from_secs(3);

fn refusal(e: StoreError) -> (String, bool) {
    (e.to_string(), matches!(e, StoreError::Conflict { .. }))
}

fn units_label(u: UnitSystem) -> &'static str {
    match u {
        UnitSystem::Conventional => "conventional (mg/dL)",
        UnitSystem::Si => "SI (umol/L)",
    }
}

/// The window's options: its title, size and smallest size (also those of
/// the empty window `benches/window.sh` compares startup with).
/// The window's application id: the desktop entry's name without `.desktop`.
pub const APP_ID: &str = "org.clinilog.Clinilog";

pub fn native_options(title: &str) -> eframe::NativeOptions {
    // The application icon (assets/package/clinilog.svg, rendered), and the
    // id that ties the window to its desktop entry (WM_CLASS, Wayland app id).
    let icon = eframe::icon_data::from_png_bytes(include_bytes!("../../../assets/package/clinilog-256.png")).ok();
    let viewport = egui::ViewportBuilder::default()
        .with_title(title)
        .with_app_id(APP_ID)
        .with_inner_size([1280.0, 820.0])
        .with_min_inner_size([760.0, 480.0]);
    eframe::NativeOptions {
        viewport: match icon {
            Some(icon) => viewport.with_icon(icon),
            None => viewport,
        },
        ..Default::default()
    }
}

/// Opens the window on open records; returns when the window closes. The
/// title says where they are: the file, or the server and database.
/// With no store (`None`), the records are on a server that asks for a
/// password: the window opens with *Log in*.
pub fn run_window(store: Option<Box<dyn ClinicStore>>, location: Location, catalog: Catalog) -> Result<(), String> {
    let options = native_options(&format!("Clinilog - {}", location.describe()));
    eframe::run_native(
        "clinilog",
        options,
        Box::new(move |cc| {
            theme::apply(&cc.egui_ctx);
            let prefs = cc
                .storage
                .and_then(|s| eframe::get_value(s, PREFS_KEY))
                .unwrap_or_default();
            Ok(Box::new(match (store, location) {
                (Some(store), location) => ClinilogApp::on(store, location, catalog, prefs),
                (None, Location::Server(target)) => ClinilogApp::logging_in(*target, catalog, prefs)?,
                (None, Location::File(path)) => match FileStore::open(&path) {
                    Ok(store) => ClinilogApp::new(store, catalog, prefs),
                    Err(StoreError::Locked { why, .. }) => ClinilogApp::unlocking(path, why, catalog, prefs)?,
                    Err(e) => return Err(e.into()),
                },
            }))
        }),
    )
    .map_err(|e| format!("cannot open the window: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// eframe's storage as a map (what it writes to app.ron).
    #[derive(Default)]
    struct Map(std::collections::HashMap<String, String>);

    impl eframe::Storage for Map {
        fn get_string(&self, key: &str) -> Option<String> {
            self.0.get(key).cloned()
        }
        fn set_string(&mut self, key: &str, value: String) {
            self.0.insert(key.to_owned(), value);
        }
        fn remove_string(&mut self, key: &str) {
            self.0.remove(key);
        }
        fn flush(&mut self) {}
    }

    /// The preferences read back as written, checked files included (a
    /// value that does not read back would silently reset every preference).
    #[test]
    fn preferences_read_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.sqlite");
        std::fs::write(&path, b"x").unwrap();
        let prefs = Prefs {
            clinician: "Dr Rao".into(),
            checked_files: vec![clinilog_store::CheckedFile::of(&path, jiff::Timestamp::now()).unwrap()],
            ..Prefs::default()
        };
        let mut storage = Map::default();
        eframe::set_value(&mut storage, PREFS_KEY, &prefs);
        let back: Option<Prefs> = eframe::get_value(&storage, PREFS_KEY);
        assert_eq!(back, Some(prefs));
    }
}
