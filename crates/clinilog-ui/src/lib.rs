//! The window (eframe/egui): the app shell, one file per screen, shared
//! widgets and the theme.
//!
//! Screens draw from view models and return an [`Action`]; the shell
//! carries it out against the store, then reloads the view model. So the
//! window never queries while drawing, never writes SQL, and a failed write
//! leaves the form, and everything typed in it, open with the error shown.

pub mod backups;
pub mod calculator;
pub mod cohort;
pub mod due;
pub mod entry_form;
pub mod follow_up;
pub mod form;
pub mod import;
pub mod job;
pub mod patient;
pub mod patients;
pub mod theme;
pub mod treatments;
pub mod trends;
pub mod widgets;

use eframe::egui::{self, RichText, Ui};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use clinilog_domain::catalog::UnitSystem;
use clinilog_domain::score_inputs::DEFAULT_CARRY_DAYS;
use clinilog_domain::{Catalog, Entry, EntryData, Patient, PatientData, TreatmentData, TreatmentEvent};
use clinilog_store::{ClinicStore, DraftKey, Location, Store, StoreError, local_time};
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
            Write::RecordEntry { patient_id, .. } => WriteOrigin::Form(DraftKey::NewEntry { patient: *patient_id }),
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

/// Where a report being laid out arrives: the PDF, or why not.
/// A report being laid out: where it goes, and its PDF or why not.
type ReportJob = Job<(std::path::PathBuf, Result<Vec<u8>, String>)>;

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
    /// The name field of the first-run question got the cursor once.
    asked_focus: bool,
    /// *Change* beside "Recording as" was clicked: the question is asked again.
    changing_clinician: bool,
    /// The Trends view to save once the screenshot arrives.
    pending_png: Option<egui::Rect>,
    png_requested: bool,
    png_shot: std::sync::Arc<std::sync::Mutex<Option<std::sync::Arc<egui::ColorImage>>>>,
    /// Exports go here instead of through a file dialog (tests).
    pub export_dir: Option<std::path::PathBuf>,
    today: Option<Date>,
    pub backups: backups::BackupsWindow,
    pub import: import::ImportWindow,
    /// *Tools > Report settings* is open.
    pub report_settings: bool,
    /// An export waiting for a path typed by hand (no file from the dialog).
    save_as: Option<SaveAs>,
    /// Exports ask for a typed path instead of a file dialog (tests).
    pub no_file_dialog: bool,
    /// A report being laid out on its own thread: where it goes, and the PDF.
    report_job: Option<ReportJob>,
    /// A backup running on its own thread: its result arrives here.
    backup_job: Option<Job<Result<Vec<clinilog_store::BackupInfo>, String>>>,
    /// Something was written since the last backup.
    dirty: bool,
    /// When the newest backup was taken.
    newest_backup: Option<jiff::Timestamp>,
    /// While a backup is open read-only: the file to go back to.
    viewing_backup: Option<std::path::PathBuf>,
    /// The file failed its integrity check (what the check said).
    damaged: Option<String>,
    /// SQLite's check of the file, run on a thread after it opened: what
    /// it found, and the file as it was when a clean check began.
    integrity_job: Option<Job<(Option<String>, Option<clinilog_store::CheckedFile>)>>,
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
    reconnect_job: Option<Job<Option<Box<dyn ClinicStore>>>>,
    /// Other workstations' saves, heard on a connection of its own (a server only).
    changes: Option<std::sync::mpsc::Receiver<clinilog_store::pg::ChangeNote>>,
}

impl ClinilogApp {
    /// The window on a SQLite file.
    pub fn new(store: Store, catalog: Catalog, prefs: Prefs) -> Self {
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
            asked_focus: false,
            changing_clinician: false,
            pending_png: None,
            png_requested: false,
            png_shot: Default::default(),
            export_dir: None,
            today: None,
            backups: backups::BackupsWindow::default(),
            import: import::ImportWindow::default(),
            report_job: None,
            save_as: None,
            no_file_dialog: false,
            report_settings: false,
            backup_job: None,
            dirty: false,
            newest_backup: None,
            viewing_backup: None,
            damaged: None,
            integrity_job: None,
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
        };
        app.newest_backup = clinilog_store::newest_backup(&app.backup_dirs());
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

    /// SQLite's check of the open file is running.
    pub fn checking_file(&self) -> bool {
        self.integrity_job.is_some()
    }

    /// The patient list is still being read, or the latest out-of-range
    /// values that follow it (the filter's, and the status bar's count of
    /// critical values).
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
        std::mem::replace(&mut self.store, store)
    }

    fn error(&mut self, e: &StoreError) {
        self.lost_connection(e);
        self.status = Some(Status {
            text: e.to_string(),
            is_error: true,
        });
    }

    /// A lost connection to the server: the banner says so and a new
    /// connection is tried (the next frame starts it).
    fn lost_connection(&mut self, e: &StoreError) {
        if let StoreError::ConnectionLost { server, detail } = e {
            self.offline = Some(format!(
                "Not connected to the server ({server}: {detail}). What you typed is kept; Clinilog tries again \
                 every few seconds, and saving waits until the connection is back."
            ));
        }
    }

    /// The connection to the server is lost (the banner's text).
    pub fn offline(&self) -> Option<&str> {
        self.offline.as_deref()
    }

    /// While the connection is lost, tries a new one every few seconds on a
    /// thread; once it answers, what is shown is read again (open forms keep
    /// their typing).
    fn poll_connection(&mut self, ctx: &egui::Context) {
        if self.offline.is_some() && self.reconnect_job.is_none() {
            let location = self.location.clone();
            self.reconnect_job = Some(Job::spawn(ctx, "reconnect", move |cancel| {
                loop {
                    match location.open() {
                        Ok(store) => return Some(store),
                        Err(_) if cancel.is_set() => return None,
                        Err(_) => std::thread::sleep(RETRY_EVERY),
                    }
                }
            }));
        }
        let Some(Ok(Some(store))) = Job::take(&mut self.reconnect_job) else {
            return;
        };
        self.offline = None;
        self.store = store;
        self.info(format!("Connected again to {}.", self.location.describe()));
        self.refresh_shown(None);
    }

    /// Listens for other workstations' saves (records on a server): a
    /// connection of its own waits for the server's notifications on a
    /// thread, which asks for a frame when one arrives; nothing is read
    /// every frame.
    fn start_listening(&mut self, ctx: &egui::Context) {
        let Location::Server(target) = &self.location else {
            return;
        };
        let target = (**target).clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            loop {
                if let Ok(mut listener) = clinilog_store::pg::Listener::start(&target) {
                    while let Ok(heard) = listener.next(std::time::Duration::from_secs(60)) {
                        if let Some(note) = heard {
                            if tx.send(note).is_err() {
                                return;
                            }
                            ctx.request_repaint();
                        }
                    }
                }
                std::thread::sleep(RETRY_EVERY);
            }
        });
        self.changes = Some(rx);
    }

    /// Takes the saves heard from other workstations: the open patient they
    /// changed and the lists are read again.
    fn poll_changes(&mut self) {
        let Some(rx) = &self.changes else { return };
        let own = self.store.connection_id();
        let notes: Vec<_> = rx.try_iter().filter(|n| Some(n.from_pid) != own).collect();
        if notes.is_empty() || self.offline.is_some() {
            return;
        }
        let open = match &self.screen {
            Screen::Patient(s) => Some(s.patient.id),
            _ => None,
        };
        let about_open = notes.iter().rev().find(|n| Some(n.patient_id) == open);
        if let Some(note) = about_open {
            self.info(format!(
                "{} saved a change to this patient on another workstation: shown.",
                note.by
            ));
        }
        self.refresh_shown(open.filter(|_| about_open.is_none()));
    }

    /// Reads again what is shown: the list, the due list, the cohort, or
    /// the open patient (but `unless` that patient: nothing of it changed).
    fn refresh_shown(&mut self, unless: Option<i64>) {
        match &mut self.screen {
            Screen::Patients(_) => self.show_patients(),
            Screen::Due(s) => s.wants_read = true,
            Screen::Cohort(s) => s.wants_read = true,
            Screen::Patient(p) if Some(p.patient.id) == unless => {}
            Screen::Patient(_) => self.reload_patient(),
        }
    }

    fn info(&mut self, text: String) {
        self.status = Some(Status { text, is_error: false });
    }

    /// Shows the patient list and reads it again, off the window's thread:
    /// the list as last read (search, sort, filter, an open form) stays on
    /// screen meanwhile.
    fn show_patients(&mut self) {
        let mut screen = match std::mem::take(&mut self.screen) {
            Screen::Patients(s) => s,
            other => {
                self.keep(other);
                self.kept_list.take().unwrap_or_default()
            }
        };
        screen.loading = true;
        screen.read_only = self.store.read_only();
        self.screen = Screen::Patients(screen);
        self.want_list = true;
        self.list_job = None;
    }

    /// Another file (or a backup) is now open: nothing of the list of the
    /// previous one stays on screen.
    fn show_patients_of_new_file(&mut self) {
        self.kept_list = None;
        // Kept screens go with their readings of the previous file.
        self.kept_due = None;
        self.kept_cohort = None;
        self.screen = Screen::Patients(Box::default());
        self.show_patients();
    }

    /// The patients screen, shown or kept while a patient is open.
    fn patients_screen(&mut self) -> Option<&mut PatientsScreen> {
        match (&mut self.screen, &mut self.kept_list) {
            (Screen::Patients(s), _) | (_, Some(s)) => Some(s),
            (_, None) => None,
        }
    }

    /// Starts reading the list (and the out-of-range filter's values) when
    /// asked, and takes what arrived.
    fn poll_list(&mut self, ctx: &egui::Context) {
        if std::mem::take(&mut self.want_list) {
            self.list_job = Some(patients::load_list(ctx, self.location.clone()));
        }
        match Job::take(&mut self.list_job) {
            None => {}
            Some(Ok(Ok(list))) => {
                if let Some(screen) = self.patients_screen() {
                    screen.take_list(*list);
                    // Read again for the new list: the filter in use and
                    // the status bar's count of critical latest values.
                    screen.wants_out_of_range = true;
                }
            }
            // The thread's own connection failed (a file in memory, a
            // folder that refuses it): read here, once.
            Some(Ok(Err(_)) | Err(_)) => {
                let read = self.store.patient_summaries();
                let Some(screen) = self.patients_screen() else { return };
                let failed = match read {
                    Ok(rows) => {
                        screen.take_list(PatientsScreen::new(rows));
                        None
                    }
                    Err(e) => {
                        screen.loading = false;
                        Some(e)
                    }
                };
                if let Some(e) = failed {
                    self.error(&e);
                }
            }
        }
        // The latest out-of-range values follow the list shown.
        let (location, catalog) = (&self.location, &self.catalog);
        let read = match &mut self.screen {
            Screen::Patients(s) if self.list_job.is_none() => s.poll_out_of_range(ctx, location, catalog),
            _ => None,
        };
        match read {
            None => {}
            Some(Ok(critical)) => self.critical_patients = Some(critical),
            Some(Err(e)) => {
                self.status = Some(Status {
                    text: format!("The out-of-range filter is not available: {e}"),
                    is_error: true,
                });
            }
        }
    }

    /// Shows the Due screen as last left (or this week's), and reads its
    /// list again on a thread: a save since may have changed it.
    /// Keeps a screen being left, to show again as it was (a patient is
    /// not kept: it is read again when opened).
    fn keep(&mut self, screen: Screen) {
        match screen {
            Screen::Patients(list) => self.kept_list = Some(list),
            Screen::Due(d) => self.kept_due = Some(d),
            Screen::Cohort(c) => self.kept_cohort = Some(c),
            Screen::Patient(_) => {}
        }
    }

    /// Shows the Cohort screen as last left (reading it the first time).
    fn show_cohort(&mut self) {
        let leaving = std::mem::take(&mut self.screen);
        self.keep(leaving);
        let screen = match self.kept_cohort.take() {
            // Read again: a save since may have changed it (the table as
            // last read stays on screen meanwhile).
            Some(mut c) => {
                c.wants_read = true;
                c
            }
            None => Box::new(cohort::CohortScreen::new(&self.catalog)),
        };
        self.screen = Screen::Cohort(screen);
    }

    /// Whether the cohort is being read (or about to be).
    pub fn cohort_loading(&self) -> bool {
        matches!(&self.screen, Screen::Cohort(s) if s.reading())
    }

    fn show_due(&mut self) {
        let leaving = std::mem::take(&mut self.screen);
        self.keep(leaving);
        let today = self.today();
        let mut screen = self
            .kept_due
            .take()
            .unwrap_or_else(|| Box::new(due::DueScreen::new(today)));
        screen.wants_read = true;
        self.screen = Screen::Due(screen);
    }

    /// The shown screen's own background reading (the due list, the
    /// cohort): started when it asks, taken when it is there.
    fn poll_screen(&mut self, ctx: &egui::Context) {
        let (location, catalog, units) = (&self.location, &self.catalog, self.prefs.units);
        match &mut self.screen {
            Screen::Due(s) => s.poll(ctx, location, catalog),
            Screen::Cohort(s) => s.poll(ctx, location, catalog, units),
            Screen::Patients(_) | Screen::Patient(_) => {}
        }
    }

    fn open_patient(&mut self, id: i64) {
        let loaded = self.load_patient(id);
        match loaded {
            Ok((patient, entries, treatments, audit, follow)) => {
                let leaving = std::mem::take(&mut self.screen);
                self.keep(leaving);
                let mut screen = Box::new(PatientScreen::new(
                    patient,
                    entries,
                    treatments,
                    &audit,
                    &self.catalog,
                    self.prefs.carry_days,
                    self.prefs.units,
                ));
                screen.trends_state.hidden = self.prefs.hidden_groups.iter().cloned().collect();
                screen.read_only = self.store.read_only();
                screen.follow.data = follow;
                self.screen = Screen::Patient(screen);
            }
            Err(e) => self.error(&e),
        }
    }

    /// Everything the patient screen shows, read once.
    fn load_patient(&self, id: i64) -> Result<LoadedPatient, StoreError> {
        let patient = self.store.patient(id)?;
        let mut entries = self.store.entries(id)?;
        for e in &mut entries {
            e.data.mark_flags(&self.catalog, patient.data.sex);
        }
        let follow = follow_up::FollowUp::new(
            self.store.assignments(id)?,
            self.store.adverse_events(id)?,
            self.store.no_adverse_events(id)?,
            &self.catalog,
        );
        Ok((
            patient,
            entries,
            self.store.treatments(id)?,
            self.store.history(id)?,
            follow,
        ))
    }

    /// Loads the open patient again; open forms keep what was typed.
    fn reload_patient(&mut self) {
        let Screen::Patient(screen) = &self.screen else {
            return;
        };
        let loaded = self.load_patient(screen.patient.id);
        let Screen::Patient(screen) = &mut self.screen else {
            return;
        };
        match loaded {
            Ok((patient, entries, treatments, audit, follow)) => {
                screen.patient = patient;
                screen.reload(entries, treatments, &audit, &self.catalog);
                screen.follow.data = follow;
            }
            Err(e) => self.error(&e),
        }
    }

    /// Values came in from a file: what is shown is read again, and the
    /// file counts as changed for the next backup.
    fn imported(&mut self, text: String) {
        self.dirty = true;
        match &mut self.screen {
            Screen::Patients(_) => self.show_patients(),
            Screen::Due(_) => self.show_due(),
            Screen::Cohort(s) => s.wants_read = true,
            Screen::Patient(_) => self.reload_patient(),
        }
        self.status = Some(Status { text, is_error: false });
    }

    /// Who signs a write: the workstation's clinician.
    fn signer(&self) -> Result<String, String> {
        let user = self.prefs.clinician.trim();
        if user.is_empty() {
            Err(
                "say who records first (Change, beside \"Recording as\" at the bottom of the window): every change is signed"
                    .to_owned(),
            )
        } else {
            Ok(user.to_owned())
        }
    }

    fn discard_draft(&mut self, key: DraftKey) {
        if let Err(e) = self.store.discard_draft(key) {
            self.error(&e);
        }
    }

    /// A failed export: said in the status bar.
    fn not_exported(&mut self, msg: String) {
        self.status = Some(Status {
            text: format!("Not exported: {msg}"),
            is_error: true,
        });
    }

    /// Carries out a screen's action.
    pub fn apply(&mut self, action: Action) {
        match action {
            Action::ShowPatients => self.show_patients(),
            Action::ShowDue => self.show_due(),
            Action::ShowCohort => self.show_cohort(),
            Action::PrintCohort => self.print_cohort(),
            Action::OpenPatient(id) => self.open_patient(id),
            Action::RecordEntryOn { patient_id, date } => {
                self.open_patient(patient_id);
                let clinician = self.prefs.clinician.clone();
                if let Screen::Patient(s) = &mut self.screen
                    && s.patient.id == patient_id
                {
                    s.new_entry_on(date, &self.catalog, &clinician);
                }
            }
            Action::ReloadPatient => {
                self.reload_patient();
                if let Screen::Patient(s) = &mut self.screen {
                    s.rebase_forms();
                }
                self.info("Reloaded. What you typed is kept: save again to apply it.".to_owned());
            }
            Action::DiscardDraft(key) => self.discard_draft(key),
            Action::ExportCsv(csv) => {
                let name = self.export_name("csv");
                let bytes = [clinilog_interop::csv::BOM, csv.as_bytes()].concat();
                self.save_file(&name, "CSV", SaveWhat::File(bytes, "the data of this view"));
            }
            Action::ExportFhir(id) => self.export_fhir(id),
            Action::PrintReport(id) => self.print_report(id),
            Action::ExportPng(rect) => {
                self.pending_png = Some(rect);
                self.info("Taking a picture of the view...".to_owned());
            }
            Action::Write(write) => self.write(write),
        }
    }

    /// Performs a write and hands its result to the form or void it came
    /// from only: saved (that form closes, its draft goes), or refused (the
    /// message beside it, the typing kept). Other open forms are untouched.
    fn write(&mut self, write: Write) {
        let origin = write.origin();
        let done = match self.signer() {
            // The import's own connection holds the file: a save would wait for it.
            Ok(_) if self.import.writing() => Err((
                "an import is being written into this file: save again when it is done".to_owned(),
                false,
            )),
            Ok(user) => self.perform(write, &user).map_err(|e| {
                self.lost_connection(&e);
                refusal(e)
            }),
            Err(msg) => Err((msg, false)),
        };
        match done {
            Ok((text, created)) => {
                self.dirty = true;
                if let WriteOrigin::Form(key) = origin {
                    self.discard_draft(key);
                }
                self.info(text);
                match created {
                    Some(id) => self.open_patient(id),
                    None => {
                        if let Screen::Patient(s) = &mut self.screen {
                            s.write_done(origin);
                        }
                        self.reload_patient();
                    }
                }
            }
            Err((msg, conflict)) => {
                match &mut self.screen {
                    Screen::Patients(s) => {
                        if let Some(f) = s.form.as_mut().filter(|f| origin == WriteOrigin::Form(f.key)) {
                            f.refused(msg.clone(), conflict);
                        }
                    }
                    Screen::Patient(s) => s.write_refused(origin, &msg, conflict),
                    Screen::Due(_) | Screen::Cohort(_) => {}
                }
                self.status = Some(Status {
                    text: format!("Not saved: {msg}"),
                    is_error: true,
                });
            }
        }
    }

    /// The store call of a write: the status line on success (and the new
    /// patient to open), or the refusal and whether it was a conflict.
    fn perform(&mut self, write: Write, user: &str) -> Result<(String, Option<i64>), StoreError> {
        let store = &mut self.store;
        let result = match write {
            Write::CreatePatient(data) => {
                return store.create_patient(&data, user).map(|p| {
                    (
                        format!("Patient {} ({}) registered.", p.data.name, p.data.mrn),
                        Some(p.id),
                    )
                });
            }
            Write::UpdatePatient { patient, data, reason } => store
                .update_patient(&patient, &data, &reason, user)
                .map(|_| "Patient details saved.".to_owned()),
            Write::RecordEntry { patient_id, data } => store
                .record_entry(patient_id, &data, user)
                .map(|_| format!("Entry of {} saved.", data.collected_on)),
            Write::EditEntry { entry, data, reason } => store
                .edit_entry(&entry, &data, &reason, user)
                .map(|_| format!("Entry of {} changed.", data.collected_on)),
            Write::VoidEntry { entry, reason } => store
                .void_entry(&entry, &reason, user)
                .map(|()| format!("Entry of {} voided.", entry.data.collected_on)),
            Write::AddTreatment { patient_id, data } => store
                .add_treatment(patient_id, &data, user)
                .map(|_| format!("Treatment of {} ({}) saved.", data.date, data.short_label())),
            Write::EditTreatment { event, data, reason } => store
                .edit_treatment(&event, &data, &reason, user)
                .map(|_| format!("Treatment of {} changed.", data.date)),
            Write::VoidTreatment { event, reason } => store
                .void_treatment(&event, &reason, user)
                .map(|()| format!("Treatment of {} voided.", event.data.date)),
            Write::AssignProtocol { patient_id, data } => store
                .assign_protocol(patient_id, &data, user)
                .map(|_| format!("Protocol \"{}\" assigned from {}.", data.protocol, data.start)),
            Write::ShiftPlan { assignment, shift } => store
                .shift_plan(&assignment, &shift, user)
                .map(|_| format!("{} shifted by {} days, with what follows it.", shift.item, shift.days)),
            Write::VoidAssignment { assignment, reason } => store
                .void_assignment(&assignment, &reason, user)
                .map(|()| format!("Protocol \"{}\" stopped.", assignment.data.protocol)),
            Write::AddAdverseEvent { patient_id, data } => store
                .add_adverse_event(patient_id, &data, user)
                .map(|_| format!("Adverse event {} saved.", data.headline())),
            Write::EditAdverseEvent { event, data, reason } => store
                .edit_adverse_event(&event, &data, &reason, user)
                .map(|_| format!("Adverse event {} changed.", data.headline())),
            Write::VoidAdverseEvent { event, reason } => store
                .void_adverse_event(&event, &reason, user)
                .map(|()| format!("Adverse event {} voided.", event.data.headline())),
            Write::RecordNoAdverseEvents { patient_id, data } => store
                .record_no_adverse_events(patient_id, &data, user)
                .map(|_| format!("No adverse events since the last visit, as of {}: recorded.", data.on)),
        };
        result.map(|text| (text, None))
    }

    /// Checks the open file's integrity on a thread of its own (a large file
    /// takes seconds), so the window opens at once.
    /// Runs SQLite's check of the open file on a thread, unless this
    /// workstation checked the file as it is now within the last days (a
    /// large file takes seconds of reading). `ctx` gets a frame when done.
    fn start_integrity_check(&mut self, ctx: &egui::Context) {
        let Some(path) = self.location.file().map(std::path::Path::to_owned) else {
            // A server checks its own pages.
            return;
        };
        if self.store.read_only() || !path.is_file() {
            return;
        }
        let seen = clinilog_store::CheckedFile::of(&path, jiff::Timestamp::now());
        if let Some(seen) = &seen
            && self.prefs.checked_files.iter().any(|c| c.covers(seen))
        {
            return;
        }
        self.integrity_job = Some(Job::spawn(ctx, "file check", move |_| {
            let found = Store::open_read_only(&path)
                .and_then(|s| s.quick_check())
                .unwrap_or(None);
            (found, seen)
        }));
    }

    /// A file that failed its check is not worked on: its latest good backup
    /// is shown read-only (or, with none, the file itself read-only), and
    /// the banner says so; *Tools > Backups > Restore* puts a backup back.
    fn poll_integrity(&mut self) {
        let Some(done) = Job::take(&mut self.integrity_job) else {
            return;
        };
        let (problem, seen) = done.unwrap_or((None, None));
        let Some(problem) = problem else {
            // Clean: remembered as the file was when the check began.
            if let Some(seen) = seen {
                let checked = &mut self.prefs.checked_files;
                checked.retain(|c| c.path != seen.path);
                checked.push(seen);
                let extra = checked.len().saturating_sub(CHECKED_FILES_KEPT);
                checked.drain(..extra);
                self.save_prefs_now = true;
            }
            return;
        };
        let Some(file) = self.location.file().map(std::path::Path::to_owned) else {
            return;
        };
        let latest = clinilog_store::list_backups(&clinilog_store::default_backup_dir(&file))
            .ok()
            .and_then(|l| l.into_iter().next());
        let shown = latest.as_ref().map_or(file.clone(), |b| b.path.clone());
        match Store::open_read_only(&shown) {
            Ok(store) => {
                drop(self.replace_store(Box::new(store), Location::File(shown)));
                if latest.is_some() {
                    self.viewing_backup = Some(file);
                }
                self.damaged = Some(problem);
                self.dirty = false;
                self.show_patients_of_new_file();
            }
            Err(e) => self.error(&e),
        }
    }

    /// Where backups go: `backups/` beside the file, and the second folder if set.
    fn backup_dirs(&self) -> Vec<std::path::PathBuf> {
        // A server's backups are its own (pg_dump), not the window's.
        let Some(db) = self.viewing_backup.as_deref().or(self.location.file()) else {
            return Vec::new();
        };
        let mut dirs = vec![clinilog_store::default_backup_dir(db)];
        dirs.extend(self.prefs.second_backup_dir.clone());
        dirs
    }

    /// The backups beside the file, newest first.
    fn backup_list(&self) -> Result<Vec<clinilog_store::BackupInfo>, StoreError> {
        let dirs = self.backup_dirs();
        let mut list = Vec::new();
        for dir in &dirs {
            list.extend(clinilog_store::list_backups(dir)?);
        }
        list.sort_by_key(|b| std::cmp::Reverse(b.taken_at));
        Ok(list)
    }

    fn open_backups(&mut self) {
        self.backups.open = true;
        self.backups.second_dir = self
            .prefs
            .second_backup_dir
            .as_ref()
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        self.refresh_backups();
    }

    fn refresh_backups(&mut self) {
        match self.backup_list() {
            Ok(list) => {
                self.newest_backup = list.first().map(|b| b.taken_at);
                self.backups.list = list;
            }
            Err(e) => self.backups.error = Some(e.to_string()),
        }
    }

    /// Takes a backup on a thread of its own; the window goes on.
    pub fn start_backup(&mut self) {
        if self.backup_job.is_some() || self.viewing_backup.is_some() {
            return;
        }
        let Some(db) = self.location.file().map(std::path::Path::to_owned) else {
            return;
        };
        let dirs = self.backup_dirs();
        let today = self.today();
        self.backup_job = Some(Job::spawn(&self.ctx, "backup", move |_| {
            clinilog_store::backup_file(&db, &dirs, today).map_err(|e| e.to_string())
        }));
        self.backups.running = true;
        self.dirty = false;
    }

    /// Collects a finished backup, and starts one when the file changed
    /// and the newest backup is older than the interval.
    fn poll_backup(&mut self) {
        if self.backup_job.is_some() {
            if let Some(done) = Job::take(&mut self.backup_job) {
                self.backups.running = false;
                match done.unwrap_or_else(|_| Err("the backup stopped unexpectedly".to_owned())) {
                    Ok(_) => {
                        self.backups.error = None;
                        self.refresh_backups();
                    }
                    Err(e) => {
                        self.dirty = true;
                        self.backups.error = Some(format!("Not backed up: {e}"));
                        self.status = Some(Status {
                            text: format!("Not backed up: {e}"),
                            is_error: true,
                        });
                    }
                }
            }
            return;
        }
        let interval = jiff::SignedDuration::from_secs(i64::from(self.prefs.backup_interval_minutes) * 60);
        let due = match self.newest_backup {
            Some(at) => jiff::Timestamp::now().duration_since(at) >= interval,
            None => true,
        };
        if self.dirty && due && !self.store.read_only() {
            self.start_backup();
        }
    }

    fn backups_action(&mut self, action: backups::BackupsAction) {
        use backups::BackupsAction;
        match action {
            BackupsAction::BackUpNow => self.start_backup(),
            BackupsAction::SetInterval(minutes) => self.prefs.backup_interval_minutes = minutes,
            BackupsAction::SetSecondDir(dir) => {
                self.prefs.second_backup_dir = dir;
                self.refresh_backups();
            }
            BackupsAction::OpenReadOnly(path) => match Store::open_read_only(&path) {
                Ok(backup) => {
                    let was = self.location.clone();
                    drop(self.replace_store(Box::new(backup), Location::File(path)));
                    if let Location::File(file) = was {
                        self.viewing_backup.get_or_insert(file);
                    }
                    self.backups.open = false;
                    self.show_patients_of_new_file();
                }
                Err(e) => self.backups.error = Some(e.to_string()),
            },
            BackupsAction::Restore(path) => self.restore_backup(&path),
        }
    }

    /// Back from a backup opened read-only to the file.
    fn leave_backup(&mut self) {
        let Some(db) = self.viewing_backup.take() else {
            return;
        };
        match Store::open(&db) {
            Ok(store) => {
                drop(self.replace_store(Box::new(store), Location::File(db)));
                self.show_patients_of_new_file();
            }
            Err(e) => {
                self.viewing_backup = Some(db);
                self.error(&e);
            }
        }
    }

    /// Puts a backup in the place of the open file: the file as it is is
    /// kept as a backup first, and the restore is recorded with who did it.
    fn restore_backup(&mut self, backup: &std::path::Path) {
        let user = match self.signer() {
            Ok(u) => u,
            Err(msg) => {
                self.backups.error = Some(msg);
                return;
            }
        };
        if let Some(job) = self.backup_job.take() {
            let _ = job.wait();
            self.backups.running = false;
        }
        // The file itself (which may be damaged) is replaced, not reopened first.
        let db = match (self.viewing_backup.take(), self.location.file()) {
            (Some(file), _) => file,
            (None, Some(file)) => file.to_owned(),
            (None, None) => return,
        };
        self.damaged = None;
        // The file must be closed while it is replaced.
        let placeholder = match Store::open(":memory:") {
            Ok(s) => s,
            Err(e) => return self.error(&e),
        };
        drop(self.replace_store(Box::new(placeholder), Location::File(":memory:".into())));
        let restored = clinilog_store::restore(&db, backup, &user);
        match Store::open(&db) {
            Ok(store) => drop(self.replace_store(Box::new(store), Location::File(db))),
            Err(e) => return self.error(&e),
        }
        match restored {
            Ok(kept) => self.info(format!(
                "Restored the backup; the file as it was is kept as {}",
                kept.path.display()
            )),
            Err(e) => self.error(&e),
        }
        self.dirty = false;
        self.refresh_backups();
        self.show_patients_of_new_file();
    }

    /// `trends-MRN-2025-08-19.csv`
    fn export_name(&self, ext: &str) -> String {
        let mrn = match &self.screen {
            Screen::Patient(s) => s.patient.data.mrn.clone(),
            Screen::Patients(_) | Screen::Due(_) => "clinilog".to_owned(),
            Screen::Cohort(_) => return format!("cohort-{}.{ext}", self.today()),
        };
        format!("trends-{mrn}-{}.{ext}", self.today())
    }

    /// The patient's record as a FHIR R4 Bundle, written where the user says.
    fn export_fhir(&mut self, patient_id: i64) {
        let json = self.store.patient(patient_id).map_err(|e| e.to_string()).and_then(|p| {
            let records = clinilog_interop::fhir::records(&*self.store, Some(&p.data.mrn), &self.catalog)
                .map_err(|e| e.to_string())?;
            let only_patient = records.iter().all(|r| r.is_only_patient());
            clinilog_interop::fhir::bundle(&self.catalog, &records, &jiff::Timestamp::now().to_string())
                .map(|j| (p.data.mrn.clone(), j, only_patient))
                .map_err(|e| e.to_string())
        });
        let (mrn, json, only_patient) = match json {
            Ok(x) => x,
            Err(e) => return self.not_exported(format!("could not build the FHIR Bundle: {e}")),
        };
        let name = format!("fhir-{mrn}-{}.json", self.today());
        let noun = if only_patient {
            "the FHIR Bundle (the patient only: no entries or treatments yet)"
        } else {
            "the FHIR Bundle"
        };
        self.save_file(&name, "FHIR JSON", SaveWhat::File((json + "\n").into_bytes(), noun));
    }

    /// Saves an export where the user says: the file dialog, or, when it
    /// gives no file (cancelled, or this desktop has no dialog service), a
    /// path typed into *Save as*.
    fn save_file(&mut self, name: &str, kind: &str, what: SaveWhat) {
        let ext = name.rsplit('.').next().unwrap_or("").to_owned();
        match self.choose_export_path(name, kind, &ext) {
            Some(path) => self.save_to(&path, what),
            None => {
                let dir = directories::UserDirs::new()
                    .and_then(|u| {
                        u.document_dir()
                            .map(std::path::Path::to_owned)
                            .or(Some(u.home_dir().to_owned()))
                    })
                    .unwrap_or_default();
                self.save_as = Some(SaveAs {
                    path: dir.join(name).display().to_string(),
                    what,
                    focus: true,
                });
                self.info(NO_FILE_CHOSEN.to_owned());
            }
        }
    }

    fn save_to(&mut self, path: &std::path::Path, what: SaveWhat) {
        match what {
            SaveWhat::File(bytes, noun) => match std::fs::write(path, bytes) {
                Ok(()) => self.info(format!("Saved {noun}: {}", path.display())),
                Err(e) => self.not_exported(format!("could not write {noun}: {e}: {}", path.display())),
            },
            SaveWhat::Report(data) => {
                let path = path.to_owned();
                self.report_job = Some(Job::spawn(&self.ctx, "report", move |_| {
                    (path, clinilog_interop::report::render_pdf(&data))
                }));
                self.info("Laying out the report...".to_owned());
            }
            SaveWhat::CohortReport(data) => {
                let path = path.to_owned();
                self.report_job = Some(Job::spawn(&self.ctx, "cohort report", move |_| {
                    (path, clinilog_interop::cohort_report::render_cohort_pdf(&data))
                }));
                self.info("Laying out the report...".to_owned());
            }
        }
    }

    /// *Save as*: the path of an export typed by hand.
    fn save_as_ui(&mut self, ctx: &egui::Context) {
        let Some(s) = &mut self.save_as else {
            return;
        };
        let mut done = None;
        egui::Window::new("Save as").collapsible(false).show(ctx, |ui| {
            widgets::muted(ui, "No file was chosen in a dialog. Type where to save it:");
            let label = ui.label("Save to");
            let r = ui
                .add(egui::TextEdit::singleline(&mut s.path).desired_width(theme::WIDE_FIELD_WIDTH + 120.0))
                .labelled_by(label.id);
            if std::mem::take(&mut s.focus) {
                r.request_focus();
            }
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            ui.horizontal(|ui| {
                if ui.button("Save").clicked() || enter {
                    done = Some(true);
                }
                if ui.button("Cancel").clicked() {
                    done = Some(false);
                }
            });
        });
        match done {
            Some(true) => {
                if let Some(s) = self.save_as.take() {
                    let path = std::path::PathBuf::from(s.path.trim());
                    if path.parent().is_some_and(|d| !d.as_os_str().is_empty() && !d.is_dir()) {
                        self.not_exported(format!("the folder does not exist: {}", path.display()));
                        self.save_as = Some(s);
                    } else {
                        self.save_to(&path, s.what);
                    }
                }
            }
            Some(false) => {
                self.save_as = None;
                self.info("Not exported.".to_owned());
            }
            None => {}
        }
    }

    /// The patient's printed report: its data is read here, the PDF is laid
    /// out on a thread (typst takes a moment for a busy patient) and written
    /// where the user said.
    fn print_report(&mut self, patient_id: i64) {
        if self.report_job.is_some() {
            return self.info("A report is being laid out; wait for it to be saved".to_owned());
        }
        let (patient, entries, treatments, _, follow) = match self.load_patient(patient_id) {
            Ok(x) => x,
            Err(e) => return self.error(&e),
        };
        let opts = clinilog_interop::report::ReportOptions {
            clinic: self.prefs.clinic_name.clone(),
            from: None,
            to: None,
            // The groups shown in Trends (the bilirubin group always).
            groups: self
                .catalog
                .groups
                .iter()
                .map(|g| g.code.clone())
                .filter(|c| !self.prefs.hidden_groups.contains(c))
                .collect(),
            printed_by: self.prefs.clinician.clone(),
            printed_at: jiff::Zoned::now().strftime("%Y-%m-%d %H:%M").to_string(),
            file: self.location.describe(),
            today: self.today(),
        };
        let data = clinilog_interop::report::report_data(&self.catalog, &patient, &entries, &treatments, &opts)
            .with_adverse(&follow.adverse, &follow.none, &opts);
        if data.dates() == 0 && treatments.is_empty() {
            return self.info(format!(
                "Nothing to print: {} has no entries or treatments yet",
                patient.data.name
            ));
        }
        let name = format!("report-{}-{}.pdf", patient.data.mrn, self.today());
        self.save_file(&name, "PDF", SaveWhat::Report(Box::new(data)));
    }

    /// The Cohort screen's report, saved where the user says.
    fn print_cohort(&mut self) {
        if self.report_job.is_some() {
            return self.info("A report is being laid out; wait for it to be saved".to_owned());
        }
        let Screen::Cohort(s) = &self.screen else { return };
        let text = clinilog_interop::cohort_report::CohortReportText {
            clinic: self.prefs.clinic_name.clone(),
            choices: Vec::new(),
            responders: String::new(),
            printed_by: self.prefs.clinician.clone(),
            printed_at: jiff::Zoned::now().strftime("%Y-%m-%d %H:%M").to_string(),
            file: self.location.describe(),
        };
        match s.report(&self.catalog, text) {
            Some(report) => {
                let name = format!("cohort-{}.pdf", self.today());
                self.save_file(&name, "PDF", SaveWhat::CohortReport(Box::new(report)));
            }
            None => self.info("Nothing to print yet: the cohort is being read".to_owned()),
        }
    }

    /// Writes a finished report.
    fn poll_report(&mut self) {
        let Some(done) = Job::take(&mut self.report_job) else {
            return;
        };
        let Ok((path, result)) = done else {
            return self.not_exported("the report was not saved: the layout stopped unexpectedly".to_owned());
        };
        match result.and_then(|pdf| std::fs::write(&path, pdf).map_err(|e| format!("could not write it: {e}"))) {
            Ok(()) => self.info(format!("Saved the report: {}", path.display())),
            Err(e) => self.not_exported(format!("the report was not saved: {e}: {}", path.display())),
        }
    }

    /// Where to write an export: the folder set for tests, else a native
    /// "Save as" dialog (`None` when cancelled or when no dialog can open).
    fn choose_export_path(&self, name: &str, kind: &str, ext: &str) -> Option<std::path::PathBuf> {
        if let Some(dir) = &self.export_dir {
            return Some(dir.join(name));
        }
        if self.no_file_dialog {
            return None;
        }
        rfd::FileDialog::new()
            .set_file_name(name)
            .add_filter(kind, &[ext])
            .save_file()
    }

    /// Saves the part of a screenshot that shows the Trends view.
    fn save_png(&mut self, image: &egui::ColorImage, rect: egui::Rect, pixels_per_point: f32) {
        let [w, h] = image.size;
        let px = |v: f32, max: usize| ((v * pixels_per_point).round().max(0.0) as usize).min(max);
        let (x0, y0, x1, y1) = (
            px(rect.min.x, w),
            px(rect.min.y, h),
            px(rect.max.x, w),
            px(rect.max.y, h),
        );
        if x1 <= x0 || y1 <= y0 {
            return self.not_exported("the view to save is empty".to_owned());
        }
        let mut out = image::RgbaImage::new((x1 - x0) as u32, (y1 - y0) as u32);
        for y in y0..y1 {
            for x in x0..x1 {
                let c = image.pixels[y * w + x];
                out.put_pixel(
                    (x - x0) as u32,
                    (y - y0) as u32,
                    image::Rgba([c.r(), c.g(), c.b(), c.a()]),
                );
            }
        }
        let name = self.export_name("png");
        let mut bytes = std::io::Cursor::new(Vec::new());
        match out.write_to(&mut bytes, image::ImageFormat::Png) {
            Ok(()) => self.save_file(
                &name,
                "PNG image",
                SaveWhat::File(bytes.into_inner(), "a picture of this view"),
            ),
            Err(e) => self.not_exported(format!("could not make the PNG picture: {e}")),
        }
    }

    /// Restores kept drafts into newly opened forms, and writes changed
    /// drafts at most once a second (`force`: now, as when closing).
    pub fn sync_drafts(&mut self, now: f64, force: bool) {
        // While the server is away, what is typed stays in the open forms.
        if self.store.read_only()
            || self.import.writing()
            || self.offline.is_some()
            || (!force && now - self.last_draft_write < 1.0)
        {
            return;
        }
        let forms: Vec<&mut dyn KeptDraft> = match &mut self.screen {
            Screen::Patients(s) => s.form.iter_mut().map(|f| f as &mut dyn KeptDraft).collect(),
            Screen::Patient(s) => s.kept_drafts(),
            Screen::Due(_) | Screen::Cohort(_) => Vec::new(),
        };
        let mut failure = None;
        let mut wrote = false;
        for form in forms {
            let key = form.draft_key();
            if !*form.draft_checked() {
                *form.draft_checked() = true;
                match self.store.load_draft(key) {
                    Ok(Some((json, at))) => form.restore(&json, local_time(&at)),
                    Ok(None) => {}
                    Err(e) => failure = Some(e),
                }
                continue;
            }
            let json = form.draft_json();
            if json != *form.saved_draft() {
                let written = match &json {
                    Some(j) => self.store.save_draft(key, j),
                    None => self.store.discard_draft(key),
                };
                match written {
                    Ok(()) => *form.saved_draft() = json,
                    Err(e) => failure = Some(e),
                }
                wrote = true;
            }
        }
        if wrote {
            self.last_draft_write = now;
        }
        if let Some(e) = &failure {
            self.lost_connection(e);
        }
        // A draft that could not be kept says so, without hiding a refused save.
        if let Some(e) = failure
            && !self.status.as_ref().is_some_and(|s| s.is_error)
        {
            self.status = Some(Status {
                text: format!("What you typed could not be kept as a draft: {e}"),
                is_error: true,
            });
        }
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
        } else {
            if !std::mem::replace(&mut self.started, true) {
                self.start_integrity_check(ui.ctx());
                self.start_listening(ui.ctx());
            }
            self.poll_connection(ui.ctx());
            self.poll_changes();
            self.poll_list(ui.ctx());
            self.poll_screen(ui.ctx());
        }
        let mut go = None;
        egui::Panel::top("top_bar").show(ui, |ui| {
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                ui.label(RichText::new("Clinilog").strong().size(18.0));
                ui.separator();
                let on_patients = matches!(self.screen, Screen::Patients(_) | Screen::Patient(_));
                if ui
                    .selectable_label(on_patients, "Patients")
                    .on_hover_text("The patient list")
                    .clicked()
                    && !matches!(self.screen, Screen::Patients(_))
                {
                    go = Some(Action::ShowPatients);
                }
                if ui
                    .selectable_label(matches!(self.screen, Screen::Due(_)), "Due")
                    .on_hover_text(
                        "What the protocols ask for this week: visits and cycles due or late, measures missing",
                    )
                    .clicked()
                {
                    go = Some(Action::ShowDue);
                }
                if ui
                    .selectable_label(matches!(self.screen, Screen::Cohort(_)), "Cohort")
                    .on_hover_text("One measure across patients, aligned at the first cycle: plot, table, responders")
                    .clicked()
                    && !matches!(self.screen, Screen::Cohort(_))
                {
                    go = Some(Action::ShowCohort);
                }
                ui.separator();
                ui.menu_button("Tools", |ui| {
                    if ui.button("Score calculator").clicked() {
                        self.calculator.open = true;
                    }
                    // A server's backups are the server's (pg_dump).
                    let on_file = self.location.file().is_some();
                    let server_note = "On a server: its backups are the server's (pg_dump)";
                    if ui
                        .add_enabled(on_file, egui::Button::new("Backups"))
                        .on_disabled_hover_text(server_note)
                        .clicked()
                    {
                        self.open_backups();
                    }
                    if ui.button("Import results...").clicked() {
                        self.import.open = true;
                    }
                    if ui.button("Report settings...").clicked() {
                        self.report_settings = true;
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
            });
            ui.add_space(2.0);
        });
        egui::Panel::bottom("status_bar").show(ui, |ui| {
            ui.horizontal(|ui| {
                // Not a text field: stray typing must never change who signs.
                widgets::muted(ui, "Recording as");
                ui.label(RichText::new(&self.prefs.clinician).strong())
                    .on_hover_text("Every change is signed with this name; it is remembered on this computer");
                if ui
                    .small_button("Change")
                    .on_hover_text("Change who records on this computer")
                    .clicked()
                {
                    self.pending_clinician = self.prefs.clinician.clone();
                    self.asked_focus = false;
                    self.changing_clinician = true;
                }
                ui.separator();
                widgets::muted(
                    ui,
                    match &self.location {
                        Location::File(path) => format!("File: {}", path.display()),
                        Location::Server(target) => format!(
                            "Server: {}, database {} (as {})",
                            target.server(),
                            target.dbname(),
                            target.user()
                        ),
                    },
                );
                match self.critical_patients {
                    Some(0) => {
                        ui.separator();
                        widgets::muted(ui, "No critical latest values");
                    }
                    Some(n) => {
                        ui.separator();
                        ui.label(
                            RichText::new(format!(
                                "{} with a critical latest value (LL/HH)",
                                if n == 1 {
                                    "1 patient".to_owned()
                                } else {
                                    format!("{} patients", clinilog_interop::import::grouped(n as u64))
                                }
                            ))
                            .color(theme::HIGH)
                            .strong(),
                        )
                        .on_hover_text("Patients > Latest out of range > Critical only lists them");
                    }
                    None => {}
                }
                if let Some(s) = &self.status {
                    ui.separator();
                    let color = if s.is_error { theme::ERROR } else { theme::OK };
                    ui.label(RichText::new(&s.text).color(color));
                }
            });
        });
        if let Some(lost) = &self.offline {
            egui::Panel::top("offline_banner").show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.spinner();
                    ui.label(RichText::new(lost).color(theme::WARN).strong());
                });
            });
        }
        if self.store.read_only() {
            let mut leave = false;
            egui::Panel::top("read_only_banner").show(ui, |ui| {
                ui.horizontal(|ui| {
                    let text = match (&self.viewing_backup, &self.damaged) {
                        (Some(file), Some(problem)) => format!(
                            "{} failed its integrity check ({problem}). This is its latest good backup, open \
                             read-only: restore it from Tools > Backups.",
                            file.display()
                        ),
                        (Some(_), None) => format!(
                            "This is a backup, open read-only: nothing can be changed in it. {}",
                            self.location.describe()
                        ),
                        (None, Some(problem)) => format!(
                            "This file failed its integrity check ({problem}) and has no backup: it is open \
                             read-only. Copy it somewhere safe and ask for help before working on it."
                        ),
                        (None, None) => {
                            "Read-only: this file (or its folder) cannot be written, so nothing can be saved \
                                 in it. Ask for write access, or copy the file to a folder you may write."
                                .to_owned()
                        }
                    };
                    ui.label(RichText::new(text).color(theme::WARN).strong());
                    if self.viewing_backup.is_some()
                        && self.damaged.is_none()
                        && ui.button("Back to the file").clicked()
                    {
                        leave = true;
                    }
                });
            });
            if leave {
                self.leave_backup();
            }
        }
        if self.prefs.clinician.trim().is_empty() || self.changing_clinician {
            self.ask_who_records(ui.ctx());
        }
        let clinician = self.prefs.clinician.clone();
        let action = egui::CentralPanel::default()
            .show(ui, |ui| match &mut self.screen {
                Screen::Patients(s) => s.ui(ui, today, &clinician),
                Screen::Patient(s) => s.ui(ui, &self.catalog, today, &clinician),
                Screen::Due(s) => s.ui(ui, &self.catalog, today, self.store.read_only()),
                Screen::Cohort(s) => s.ui(ui, &self.catalog, self.prefs.units),
            })
            .inner;
        if self.calculator.open {
            calculator::calculator_window(ui.ctx(), &mut self.calculator, &self.catalog);
        }
        if self.backups.open {
            let folder = self
                .backup_dirs()
                .first()
                .map(|d| d.display().to_string())
                .unwrap_or_default();
            let asked =
                backups::backups_window(ui.ctx(), &mut self.backups, &folder, self.prefs.backup_interval_minutes);
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
                    ui.add(egui::TextEdit::singleline(&mut self.prefs.clinic_name).desired_width(260.0))
                        .labelled_by(label.id);
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
        if let Screen::Patient(p) = &self.screen {
            self.prefs.carry_days = p.carry_days;
            self.prefs.hidden_groups = p.trends_state.hidden.iter().cloned().collect();
        }
        if let Some(action) = action.or(go) {
            self.apply(action);
        }
        let now = ui.input(|i| i.time);
        self.sync_drafts(now, false);
        if let Some(rect) = self.pending_png {
            let arrived = self.png_shot.lock().ok().and_then(|mut slot| slot.take());
            match arrived {
                Some(image) => {
                    self.pending_png = None;
                    self.png_requested = false;
                    let ppp = ui.ctx().pixels_per_point();
                    self.save_png(&image, rect, ppp);
                }
                None if !self.png_requested => {
                    self.png_requested = true;
                    let slot = self.png_shot.clone();
                    let ctx = ui.ctx().clone();
                    ui.ctx().request_screenshot(move |image| {
                        if let Ok(mut s) = slot.lock() {
                            *s = Some(image);
                        }
                        ctx.request_repaint();
                    });
                }
                None => {}
            }
        }
    }

    /// Asked once per workstation: who signs the changes made here.
    fn ask_who_records(&mut self, ctx: &egui::Context) {
        egui::Modal::new(egui::Id::unique("who_records")).show(ctx, |ui| {
            ui.set_width(420.0);
            ui.label(RichText::new("Who is recording?").strong().size(16.0));
            ui.label(
                "Clinilog signs every change with the name of who made it. It is asked once on this computer \
                 and shown at the bottom of the window, where you can change it.",
            );
            let mut done = false;
            ui.horizontal(|ui| {
                let label = ui.label("Your name");
                let r = ui
                    .add(egui::TextEdit::singleline(&mut self.pending_clinician).desired_width(220.0))
                    .labelled_by(label.id);
                if !self.asked_focus {
                    r.request_focus();
                    self.asked_focus = true;
                }
                done = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            });
            let ready = !self.pending_clinician.trim().is_empty();
            ui.horizontal(|ui| {
                if (ui.add_enabled(ready, egui::Button::new("Continue")).clicked() || done) && ready {
                    self.prefs.clinician = self.pending_clinician.trim().to_owned();
                    self.changing_clinician = false;
                }
                if self.changing_clinician && ui.button("Cancel").clicked() {
                    self.changing_clinician = false;
                }
            });
        });
    }
}

impl Drop for ClinilogApp {
    /// What is typed but not yet written as a draft goes to the file now,
    /// and a file that changed is backed up as the window closes.
    fn drop(&mut self) {
        self.sync_drafts(f64::INFINITY, true);
        if let Some(job) = self.backup_job.take() {
            let _ = job.wait();
        }
        if self.dirty
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

/// Shown when the save dialog returns no file: cancelled, or no dialog could open.
const NO_FILE_CHOSEN: &str = "No file was chosen: type where to save it in Save as, or Cancel. (If no dialog \
    appeared, this desktop has no file dialog service, such as xdg-desktop-portal.)";

/// What an export saves once it has a path.
enum SaveWhat {
    /// Bytes ready to write, and what they are ("the FHIR Bundle").
    File(Vec<u8>, &'static str),
    /// A report to lay out first.
    Report(Box<clinilog_interop::report::ReportData>),
    /// A cohort report to lay out first.
    CohortReport(Box<clinilog_interop::cohort_report::CohortReport>),
}

/// An export waiting for a path typed by hand.
struct SaveAs {
    path: String,
    what: SaveWhat,
    focus: bool,
}

fn units_label(u: UnitSystem) -> &'static str {
    match u {
        UnitSystem::Conventional => "conventional (mg/dL)",
        UnitSystem::Si => "SI (umol/L)",
    }
}

/// The window's options: its title, size and smallest size (also those of
/// the empty window `benches/window.sh` compares startup with).
pub fn native_options(title: &str) -> eframe::NativeOptions {
    eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(title)
            .with_inner_size([1280.0, 820.0])
            .with_min_inner_size([760.0, 480.0]),
        ..Default::default()
    }
}

/// Opens the window on open records; returns when the window closes. The
/// title says where they are: the file, or the server and database.
pub fn run_window(store: Box<dyn ClinicStore>, location: Location, catalog: Catalog) -> Result<(), String> {
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
            Ok(Box::new(ClinilogApp::on(store, location, catalog, prefs)))
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
