//! The window's frame around the screens: the top bar (navigation, Tools,
//! units), the status bar (who records, where the records are, critical
//! values, the last message), the banners (offline, read-only) and the
//! first-start question of who records.

use super::*;

impl ClinilogApp {
    /// The top bar; a click on a screen's name is the action it returns.
    pub(crate) fn top_bar(&mut self, ui: &mut Ui) -> Option<Action> {
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
                    if ui
                        .add_enabled(on_file, egui::Button::new("Protect this file..."))
                        .on_hover_text("Encrypt the clinic file and its backups at rest, with a recovery key")
                        .on_disabled_hover_text("On a server: its disks are the server's administrator's")
                        .clicked()
                    {
                        self.protect.open = true;
                    }
                    if ui.button("Import results...").clicked() {
                        self.import.open = true;
                    }
                    if ui.button("Report settings...").clicked() {
                        self.report_settings = true;
                    }
                });
                ui.menu_button("Help", |ui| {
                    if ui.button("About Clinilog").clicked() {
                        self.about = true;
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
        go
    }

    pub(crate) fn status_bar(&mut self, ui: &mut Ui) {
        egui::Panel::bottom("status_bar").show(ui, |ui| {
            ui.horizontal(|ui| {
                // Not a text field: stray typing must never change who signs.
                match &self.login {
                    None if self.login_prompt.is_some() => {
                        widgets::muted(ui, "Not logged in yet");
                    }
                    Some(login) => {
                        let auditor = login.role == clinilog_store::pg::server::Role::Auditor;
                        widgets::muted(ui, if auditor { "Reading as" } else { "Recording as" });
                        ui.label(RichText::new(login.signer()).strong()).on_hover_text(format!(
                            "The server signs every change with the login {} ({}); to record as someone else, \
                             log in as them",
                            login.login,
                            login.role.as_str()
                        ));
                    }
                    None => {
                        widgets::muted(ui, "Recording as");
                        ui.label(RichText::new(&self.prefs.clinician).strong())
                            .on_hover_text("Every change is signed with this name; it is remembered on this computer");
                        if ui
                            .small_button("Change")
                            .on_hover_text("Change who records on this computer")
                            .clicked()
                        {
                            self.pending_clinician = self.prefs.clinician.clone();
                            self.focus_name = true;
                            self.changing_clinician = true;
                        }
                    }
                }
                ui.separator();
                let place = match &self.location {
                    Location::File(path) => format!("File: {}", path.display()),
                    Location::Server(target) => format!(
                        "Server: {}, database {} (as {})",
                        target.server(),
                        target.dbname(),
                        target.user()
                    ),
                };
                // The bar is one line: what does not fit is cut, and shown whole on hover.
                ui.scope(|ui| {
                    ui.set_max_width(ui.available_width() * 0.4);
                    ui.add(egui::Label::new(RichText::new(place).color(theme::MUTED)).truncate());
                });
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
                    ui.add(egui::Label::new(RichText::new(&s.text).color(color)).truncate());
                }
            });
        });
    }

    /// The offline and read-only banners, when they apply.
    pub(crate) fn banners(&mut self, ui: &mut Ui) {
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
                    let auditor = self
                        .login
                        .as_ref()
                        .filter(|l| l.role == clinilog_store::pg::server::Role::Auditor);
                    let text = match (&self.file_care.viewing_backup, &self.file_care.damaged) {
                        _ if let Some(login) = auditor => format!(
                            "Logged in as an auditor ({}): you can read, print and export every record and the \
                             audit trail; nothing can be saved.",
                            login.login
                        ),
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
                        (None, None) if matches!(self.location, Location::Server(_)) => format!(
                            "Read-only: {} is open for reading only; nothing can be saved.",
                            self.location.describe()
                        ),
                        (None, None) => {
                            "Read-only: this file (or its folder) cannot be written, so nothing can be saved \
                             in it. Ask for write access, or copy the file to a folder you may write."
                                .to_owned()
                        }
                    };
                    ui.label(RichText::new(text).color(theme::WARN).strong());
                    if self.file_care.viewing_backup.is_some()
                        && self.file_care.damaged.is_none()
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
    }

    /// Asked once per workstation: who signs the changes made here.
    pub(crate) fn ask_who_records(&mut self, ctx: &egui::Context) {
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
                // Read before the field takes the cursor back.
                done = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                widgets::focus_until_taken(&r, &mut self.focus_name);
                widgets::modal_field_focus(ui, &r);
            });
            if let Some(offer) = &mut self.offer_protection {
                ui.add_space(4.0);
                ui.checkbox(
                    offer,
                    "Encrypt this new clinic's file (recommended: a copied file or a lost backup then shows \
                     nothing without its key)",
                );
            }
            let ready = !self.pending_clinician.trim().is_empty();
            ui.horizontal(|ui| {
                if (ui.add_enabled(ready, egui::Button::new("Continue")).clicked() || done) && ready {
                    self.prefs.clinician = self.pending_clinician.trim().to_owned();
                    self.changing_clinician = false;
                    if self.offer_protection.take() == Some(true) {
                        self.protect.open = true;
                        self.protect.start = true;
                    }
                }
                if self.changing_clinician && ui.button("Cancel").clicked() {
                    self.changing_clinician = false;
                }
            });
        });
    }

    /// *Help > About Clinilog*: the version, where the records are, and the
    /// licences of the fonts and of every crate it is built from (the list
    /// is generated from the dependency graph: tests/it/licenses.rs).
    pub(crate) fn about_ui(&mut self, ctx: &egui::Context) {
        const LICENSES: &str = include_str!("../../../assets/package/licenses.txt");
        let mut open = true;
        egui::Window::new("About Clinilog")
            .open(&mut open)
            .collapsible(false)
            .default_width(620.0)
            .default_height(520.0)
            .show(ctx, |ui| {
                ui.label(
                    RichText::new(format!("Clinilog {}", env!("CARGO_PKG_VERSION")))
                        .strong()
                        .size(16.0),
                );
                ui.label("A clinic-side patient monitoring log.");
                ui.label(format!("Records: {}", self.location.describe()));
                if let Some(file) = self.location.file() {
                    let state = match clinilog_store::keys::encryption_of(file) {
                        clinilog_store::keys::Encryption::Plain => "not encrypted",
                        clinilog_store::keys::Encryption::Encrypted(_) => "encrypted",
                    };
                    widgets::muted(
                        ui,
                        format!(
                            "The file is {state}; its backups go to {}",
                            self.backup_dirs()
                                .iter()
                                .map(|d| d.display().to_string())
                                .collect::<Vec<_>>()
                                .join(" and ")
                        ),
                    );
                }
                ui.add_space(8.0);
                ui.label(RichText::new("Fonts").strong());
                for line in [
                    "Window: Ubuntu Light (Ubuntu Font Licence 1.0), Hack (MIT and Bitstream Vera), Noto Emoji and \
                     emoji-icon-font (SIL Open Font License 1.1, MIT), as egui bundles them.",
                    "Printed reports: Noto Sans, Noto Sans Devanagari and Noto Sans Arabic (SIL Open Font License \
                     1.1), Droid Sans Fallback (Apache License 2.0).",
                    "Built in from C: SQLCipher (BSD-3-Clause, on SQLite, public domain) and OpenSSL's libcrypto \
                     (Apache License 2.0).",
                ] {
                    widgets::muted(ui, line);
                }
                ui.add_space(8.0);
                ui.label(RichText::new("Crates").strong());
                let lines: Vec<&str> = LICENSES.lines().collect();
                let row = ui.text_style_height(&egui::TextStyle::Small);
                egui::ScrollArea::vertical()
                    .auto_shrink([false, false])
                    .show_rows(ui, row, lines.len(), |ui, rows| {
                        for line in &lines[rows] {
                            ui.label(RichText::new(*line).small());
                        }
                    });
            });
        if !open {
            self.about = false;
        }
    }
}
