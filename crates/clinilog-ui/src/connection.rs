//! The connection to a server: a lost one goes offline (banner, typing
//! kept) and a job tries a new one every few seconds; other workstations'
//! saves are heard on a connection of their own and what they changed is
//! read again. Nothing here runs for a file.

use super::*;

impl ClinilogApp {
    /// A lost connection to the server: the banner says so and a new
    /// connection is tried (the next frame starts it).
    pub(crate) fn lost_connection(&mut self, e: &StoreError) {
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
    pub(crate) fn poll_connection(&mut self, ctx: &egui::Context) {
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
    pub(crate) fn start_listening(&mut self, ctx: &egui::Context) {
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
    pub(crate) fn poll_changes(&mut self) {
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
    pub(crate) fn refresh_shown(&mut self, unless: Option<i64>) {
        match &mut self.screen {
            Screen::Patients(_) => self.show_patients(),
            Screen::Due(s) => s.wants_read = true,
            Screen::Cohort(s) => s.wants_read = true,
            Screen::Patient(p) if Some(p.patient.id) == unless => {}
            Screen::Patient(_) => self.reload_patient(),
        }
    }
}
