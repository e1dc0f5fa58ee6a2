//! Which screen shows, and what each reads: the patient list (read on a
//! job, then its out-of-range values), the Due and Cohort screens (each
//! reading on its own job), a patient (read at once, its view models built),
//! and the screens kept while another shows, to come back to as left.

use super::*;

impl ClinilogApp {
    /// Shows the patient list and reads it again, off the window's thread:
    /// the list as last read (search, sort, filter, an open form) stays on
    /// screen meanwhile.
    pub(crate) fn show_patients(&mut self) {
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
    pub(crate) fn show_patients_of_new_file(&mut self) {
        self.kept_list = None;
        // Kept screens go with their readings of the previous file.
        self.kept_due = None;
        self.kept_cohort = None;
        self.screen = Screen::Patients(Box::default());
        self.show_patients();
    }

    /// The patients screen, shown or kept while a patient is open.
    pub(crate) fn patients_screen(&mut self) -> Option<&mut PatientsScreen> {
        match (&mut self.screen, &mut self.kept_list) {
            (Screen::Patients(s), _) | (_, Some(s)) => Some(s),
            (_, None) => None,
        }
    }

    /// Starts reading the list (and the out-of-range filter's values) when
    /// asked, and takes what arrived.
    pub(crate) fn poll_list(&mut self, ctx: &egui::Context) {
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
    pub(crate) fn keep(&mut self, screen: Screen) {
        match screen {
            Screen::Patients(list) => self.kept_list = Some(list),
            Screen::Due(d) => self.kept_due = Some(d),
            Screen::Cohort(c) => self.kept_cohort = Some(c),
            Screen::Patient(_) => {}
        }
    }

    /// Shows the Cohort screen as last left (reading it the first time).
    pub(crate) fn show_cohort(&mut self) {
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

    pub(crate) fn show_due(&mut self) {
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
    pub(crate) fn poll_screen(&mut self, ctx: &egui::Context) {
        let (location, catalog, units) = (&self.location, &self.catalog, self.prefs.units);
        match &mut self.screen {
            Screen::Due(s) => s.poll(ctx, location, catalog),
            Screen::Cohort(s) => s.poll(ctx, location, catalog, units),
            Screen::Patients(_) | Screen::Patient(_) => {}
        }
    }

    pub(crate) fn open_patient(&mut self, id: i64) {
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
                screen.chain = self.file_care.chain.clone();
                screen.capture.sources = self.store.patient_documents(id).unwrap_or_default();
                if self.location.file().is_none() {
                    screen.capture.unavailable = Some(
                        "A report read is kept with its entry, which a server does not do yet: read it in a clinic file, or type it"
                            .to_owned(),
                    );
                }
                self.screen = Screen::Patient(screen);
            }
            Err(e) => self.error(&e),
        }
    }

    /// Everything the patient screen shows, read once.
    pub(crate) fn load_patient(&self, id: i64) -> Result<LoadedPatient, StoreError> {
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
    pub(crate) fn reload_patient(&mut self) {
        let Screen::Patient(screen) = &self.screen else {
            return;
        };
        let loaded = self.load_patient(screen.patient.id);
        let Screen::Patient(screen) = &mut self.screen else {
            return;
        };
        match loaded {
            Ok((patient, entries, treatments, audit, follow)) => {
                screen.capture.sources = self.store.patient_documents(patient.id).unwrap_or_default();
                screen.patient = patient;
                screen.reload(entries, treatments, &audit, &self.catalog);
                screen.follow.data = follow;
            }
            Err(e) => self.error(&e),
        }
    }

    /// Values came in from a file: what is shown is read again, and the
    /// file counts as changed for the next backup.
    pub(crate) fn imported(&mut self, text: String) {
        self.file_care.dirty = true;
        match &mut self.screen {
            Screen::Patients(_) => self.show_patients(),
            Screen::Due(_) => self.show_due(),
            Screen::Cohort(s) => s.wants_read = true,
            Screen::Patient(_) => self.reload_patient(),
        }
        self.status = Some(Status { text, is_error: false });
    }
}
