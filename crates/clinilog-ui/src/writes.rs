//! Writes and their routing: an [`Action`] from a screen is carried out
//! here; a [`Write`] is signed, performed on the store in one transaction,
//! and its result handed back to the form that asked (by its origin); the
//! drafts of open forms are kept in the store as they are typed.

use super::*;
use exports::SaveWhat;

impl ClinilogApp {
    /// Who signs a write: the workstation's clinician.
    pub(crate) fn signer(&self) -> Result<String, String> {
        let user = self.clinician();
        let user = user.trim();
        if user.is_empty() {
            Err(
                "say who records first (Change, beside \"Recording as\" at the bottom of the window): every change is signed"
                    .to_owned(),
            )
        } else {
            Ok(user.to_owned())
        }
    }

    pub(crate) fn discard_draft(&mut self, key: DraftKey) {
        if let Err(e) = self.store.discard_draft(key) {
            self.error(&e);
        }
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
            Action::TryDemo => {
                // A window of its own on a throw-away file: this clinic's file is not touched.
                let started =
                    std::env::current_exe().and_then(|exe| std::process::Command::new(exe).arg("--demo").spawn());
                match started {
                    Ok(_) => self.info("The demo clinic opens in a window of its own.".to_owned()),
                    Err(e) => {
                        self.status = Some(Status {
                            text: format!("Could not start the demo: {e}"),
                            is_error: true,
                        })
                    }
                }
            }
            Action::ExportPng(rect) => {
                self.exports.pending_png = Some(rect);
                self.info("Taking a picture of the view...".to_owned());
            }
            Action::Write(write) => self.write(write),
            Action::ReadReport(path) => self.read_report(path),
            Action::RememberTestName { name, code } => self.remember_test_name(&name, &code),
            Action::ShowReport(entry_id) => self.show_report(entry_id),
        }
    }

    /// Reads a lab report for the open patient on a job (capture).
    pub(crate) fn read_report(&mut self, path: std::path::PathBuf) {
        let Screen::Patient(screen) = &mut self.screen else {
            return;
        };
        if screen.entry_form.is_some() {
            self.info("Save or cancel the entry that is open first, then read the report.".to_owned());
            return;
        }
        let local = match clinilog_interop::import::local_codes_for(&self.location, None, &self.catalog) {
            Ok(l) => l,
            Err(e) => {
                screen.capture.error = Some(e);
                return;
            }
        };
        let catalog = self.catalog.clone();
        let sex = screen.patient.data.sex;
        screen.capture.asking = None;
        screen.capture.error = None;
        screen.capture.job = Some(job::Job::spawn(&self.ctx, "capture", move |_| {
            clinilog_interop::capture::read_report(
                &path,
                &clinilog_interop::capture::CaptureOptions {
                    catalog: &catalog,
                    local_codes: &local,
                    sex,
                    pictures: true,
                },
            )
        }));
    }

    /// Keeps a lab's test name in the clinic's mapping file, then reads
    /// the open report's rows again with it.
    pub(crate) fn remember_test_name(&mut self, name: &str, code: &str) {
        use clinilog_interop::import::{MAPPING_FILE, local_codes_for, mapping_folder};
        let Some(folder) = mapping_folder(&self.location) else {
            return self.info("There is no folder for the clinic's mapping file.".to_owned());
        };
        let path = folder.join(MAPPING_FILE);
        let before = std::fs::read_to_string(&path).unwrap_or_default();
        let after = clinilog_domain::capture::remember_test_name(&before, name, code);
        if let Err(e) = std::fs::write(&path, after) {
            self.status = Some(Status {
                text: format!("Not remembered: could not write {}: {e}", path.display()),
                is_error: true,
            });
            return;
        }
        let local = match local_codes_for(&self.location, None, &self.catalog) {
            Ok(l) => l,
            Err(e) => {
                // Never leave a mapping file that no longer reads.
                let _ = std::fs::write(&path, before);
                self.status = Some(Status {
                    text: format!("Not remembered: {e}"),
                    is_error: true,
                });
                return;
            }
        };
        let measure = self.catalog.measure(code).map_or(code.to_owned(), |m| m.name.clone());
        if let Screen::Patient(s) = &mut self.screen {
            s.relearn(&self.catalog, &local);
        }
        self.info(format!(
            "Remembered: \"{name}\" is {measure} ({}). Reports read from now on know it.",
            path.display()
        ));
    }

    /// Shows the report an entry was read from, its pages drawn once.
    pub(crate) fn show_report(&mut self, entry_id: i64) {
        let Screen::Patient(screen) = &mut self.screen else {
            return;
        };
        let Some(info) = screen.capture.sources.get(&entry_id).cloned() else {
            return;
        };
        let mut shown = capture::Shown {
            info: info.clone(),
            pages: Vec::new(),
            error: None,
        };
        match self.store.document_bytes(info.id) {
            Ok(bytes) => match clinilog_interop::capture::pictures_of(&bytes) {
                Ok(pages) => {
                    for (i, img) in pages.iter().enumerate() {
                        shown
                            .pages
                            .push(capture::texture(&self.ctx, &format!("kept report page {i}"), img));
                    }
                }
                Err(e) => shown.error = Some(e),
            },
            Err(e) => shown.error = Some(e.to_string()),
        }
        screen.capture.shown = Some(shown);
    }

    /// Performs a write and hands its result to the form or void it came
    /// from only: saved (that form closes, its draft goes), or refused (the
    /// message beside it, the typing kept). Other open forms are untouched.
    pub(crate) fn write(&mut self, write: Write) {
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
                self.file_care.dirty = true;
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
    pub(crate) fn perform(&mut self, write: Write, user: &str) -> Result<(String, Option<i64>), StoreError> {
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
            Write::RecordEntryFromReport {
                patient_id,
                data,
                document,
            } => store
                .record_entry_with_source(patient_id, &data, &document, user)
                .map(|_| {
                    format!(
                        "Entry of {} saved, with the report {}.",
                        data.collected_on, document.name
                    )
                }),
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
            Write::ClosePlanItem { assignment, closure } => store
                .close_plan_item(&assignment, &closure, user)
                .map(|_| format!("{} (planned {}) closed as not done.", closure.item, closure.planned_on)),
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
}
