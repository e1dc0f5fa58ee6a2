//! The connection to a server: a lost one goes offline (banner, typing
//! kept) and a job tries a new one every few seconds; other workstations'
//! saves are heard on a connection of their own and what they changed is
//! read again. Nothing here runs for a file.

use super::*;

/// *Log in*: the server asks for the login's password (none in
/// `PGPASSWORD` or `~/.pgpass`, or the one there was refused). What is
/// typed is kept in memory only: never written to disk or preferences.
pub(crate) struct LoginPrompt {
    target: clinilog_store::pg::PgTarget,
    password: String,
    error: Option<String>,
    focus: bool,
    job: Option<Job<Result<Box<dyn ClinicStore>, StoreError>>>,
}

impl LoginPrompt {
    pub(crate) fn new(target: clinilog_store::pg::PgTarget, error: Option<String>) -> Self {
        Self {
            target,
            password: String::new(),
            error,
            focus: true,
            job: None,
        }
    }
}

impl ClinilogApp {
    /// The window on a server that asks for a password: it opens with the
    /// *Log in* dialog, and nothing is read until the server takes one.
    pub fn logging_in(
        target: clinilog_store::pg::PgTarget,
        catalog: Catalog,
        prefs: Prefs,
    ) -> Result<Self, StoreError> {
        // Nothing is shown behind the dialog: an empty store in memory.
        let placeholder = FileStore::open(":memory:")?;
        let mut app = Self::on(
            Box::new(placeholder),
            Location::Server(Box::new(target.clone())),
            catalog,
            prefs,
        );
        app.login_prompt = Some(LoginPrompt::new(target, None));
        // Nothing is read (nor a spinner drawn) until the server takes the password.
        app.want_list = false;
        if let Screen::Patients(s) = &mut app.screen {
            s.loading = false;
        }
        Ok(app)
    }

    /// The *Log in* dialog is open.
    pub fn asking_password(&self) -> bool {
        self.login_prompt.is_some()
    }

    /// Draws *Log in*, and takes the connection once the server answers.
    pub(crate) fn login_ui(&mut self, ctx: &egui::Context) {
        let Some(p) = &mut self.login_prompt else { return };
        if let Some(done) = Job::take(&mut p.job) {
            match done {
                Ok(Ok(store)) => {
                    let target = p.target.with_password(&p.password);
                    self.login_prompt = None;
                    self.offline = None;
                    self.login = store.server_login();
                    self.store = store;
                    self.location = Location::Server(Box::new(target));
                    self.info(format!("Logged in to {}.", self.location.describe()));
                    self.show_patients_of_new_file();
                    return;
                }
                Ok(Err(StoreError::NeedsPassword { .. })) => {
                    p.error = Some("The server refused this password: type it again.".to_owned());
                    p.password.clear();
                    p.focus = true;
                }
                Ok(Err(e)) => p.error = Some(e.to_string()),
                Err(_) => p.error = Some("The connection stopped unexpectedly: try again.".to_owned()),
            }
        }
        let mut submit = false;
        egui::Modal::new(egui::Id::unique("login")).show(ctx, |ui| {
            ui.set_width(440.0);
            ui.label(RichText::new("Log in to the clinic's server").strong().size(16.0));
            widgets::muted(ui, p.target.describe());
            ui.horizontal(|ui| {
                let label = ui.label(format!("Password for {}", p.target.user()));
                let r = ui
                    .add(
                        egui::TextEdit::singleline(&mut p.password)
                            .password(true)
                            .desired_width(200.0),
                    )
                    .labelled_by(label.id);
                // Read before the field takes the cursor back.
                submit = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                widgets::focus_until_taken(&r, &mut p.focus);
                widgets::modal_field_focus(ui, &r);
            });
            let busy = p.job.is_some();
            ui.horizontal(|ui| {
                let ready = !p.password.is_empty() && !busy;
                if ui.add_enabled(ready, egui::Button::new("Log in")).clicked() {
                    submit = true;
                }
                if busy {
                    ui.spinner();
                    widgets::muted(ui, "Connecting...");
                }
            });
            if let Some(e) = &p.error {
                ui.label(RichText::new(e).color(theme::ERROR));
            }
            widgets::muted(
                ui,
                "The password is kept in memory while Clinilog runs; it is never written to disk.",
            );
            submit &= !p.password.is_empty() && !busy;
        });
        if submit {
            let target = p.target.with_password(&p.password);
            p.error = None;
            p.job = Some(Job::spawn(ctx, "log in", move |_| {
                Location::Server(Box::new(target)).open()
            }));
        }
    }

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
                        Ok(store) => return Some(Ok(store)),
                        // Asked again only when the server asks.
                        Err(e @ StoreError::NeedsPassword { .. }) => return Some(Err(e)),
                        Err(_) if cancel.is_set() => return None,
                        Err(_) => std::thread::sleep(RETRY_EVERY),
                    }
                }
            }));
        }
        let store = match Job::take(&mut self.reconnect_job) {
            Some(Ok(Some(Ok(store)))) => store,
            Some(Ok(Some(Err(e)))) => {
                // No longer trying by itself: the dialog says what is needed.
                self.offline = None;
                if let Location::Server(target) = &self.location {
                    let said = match e {
                        StoreError::NeedsPassword { .. } => {
                            "The connection was lost, and the server refused the password it had (was it changed?): \
                             type it again."
                                .to_owned()
                        }
                        other => other.to_string(),
                    };
                    self.login_prompt = Some(LoginPrompt::new((**target).clone(), Some(said)));
                }
                return;
            }
            _ => return,
        };
        self.offline = None;
        self.login = store.server_login();
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
