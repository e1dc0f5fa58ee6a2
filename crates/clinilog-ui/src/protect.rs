//! *Tools > Protect this file*: the clinic file encrypted at rest, its
//! recovery key shown once and confirmed as written down; and *Unlock*,
//! when the window opens on an encrypted file whose key this computer
//! does not have: the recovery key typed, the key kept in the keyring.
//! The store does the work (`store/protect.rs`, `store/keys.rs`); nothing
//! typed here (a recovery key) is written to disk or preferences.

use super::*;
use clinilog_store::keys;

/// The *Protect this file* dialog.
#[derive(Default)]
pub struct ProtectWindow {
    pub open: bool,
    /// Encrypt at once, with no question first (ticked at first start).
    pub(crate) start: bool,
    /// The encryption is done: the recovery key to write down.
    recovery: Option<String>,
    /// "I have written it down" ticked.
    written: bool,
    /// What happened (where the key went, the plain copies).
    said: Vec<String>,
    error: Option<String>,
}

/// The recovery key on two lines (6 groups, then 5), so that no group is
/// cut by the dialog's edge.
fn recovery_lines(recovery: &str) -> String {
    let groups: Vec<&str> = recovery.split('-').collect();
    let (first, rest) = groups.split_at(groups.len().min(6));
    format!("{}\n{}", first.join("-"), rest.join("-"))
}

/// *Unlock*: the open file is encrypted and its key is not here.
pub(crate) struct UnlockPrompt {
    path: std::path::PathBuf,
    why: String,
    typed: String,
    error: Option<String>,
    focus: bool,
}

impl ClinilogApp {
    /// The window on an encrypted file whose key this computer does not
    /// have: it opens with *Unlock*, and nothing is read until the recovery
    /// key opens the file.
    pub fn unlocking(
        path: std::path::PathBuf,
        why: String,
        catalog: Catalog,
        prefs: Prefs,
    ) -> Result<Self, StoreError> {
        let placeholder = FileStore::open(":memory:")?;
        // The status bar names the file; nothing is read from it until it opens.
        let mut app = Self::on(Box::new(placeholder), Location::File(path.clone()), catalog, prefs);
        app.unlock_prompt = Some(UnlockPrompt {
            path,
            why,
            typed: String::new(),
            error: None,
            focus: true,
        });
        app.want_list = false;
        if let Screen::Patients(s) = &mut app.screen {
            s.loading = false;
        }
        Ok(app)
    }

    /// The *Unlock* dialog is open.
    pub fn asking_recovery_key(&self) -> bool {
        self.unlock_prompt.is_some()
    }

    pub(crate) fn unlock_ui(&mut self, ctx: &egui::Context) {
        let Some(p) = &mut self.unlock_prompt else { return };
        let mut submit = false;
        egui::Modal::new(egui::Id::unique("unlock")).show(ctx, |ui| {
            ui.set_width(520.0);
            ui.label(RichText::new("This clinic file is encrypted").strong().size(16.0));
            widgets::muted(ui, p.path.display().to_string());
            ui.label(format!(
                "Clinilog cannot open it here: {}. Type the recovery key written down when the file was \
                 encrypted (11 groups of 5 letters and digits); its key is then kept in this computer's keyring.",
                p.why
            ));
            let label = ui.label("Recovery key");
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut p.typed)
                        .font(egui::TextStyle::Monospace)
                        .hint_text("XXXXX-XXXXX-XXXXX-...")
                        .desired_width(480.0),
                )
                .labelled_by(label.id);
            // Read before the field takes the cursor back.
            submit = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            widgets::focus_until_taken(&r, &mut p.focus);
            widgets::modal_field_focus(ui, &r);
            if ui
                .add_enabled(!p.typed.trim().is_empty(), egui::Button::new("Unlock"))
                .clicked()
            {
                submit = true;
            }
            if let Some(e) = &p.error {
                ui.label(RichText::new(e).color(theme::ERROR));
            }
        });
        if !submit || p.typed.trim().is_empty() {
            return;
        }
        let opened = keys::unlock(&p.path, &p.typed).and_then(|_| FileStore::open(&p.path));
        match opened {
            Ok(store) => {
                let path = p.path.clone();
                self.unlock_prompt = None;
                drop(self.replace_store(Box::new(store), Location::File(path.clone())));
                self.info(format!(
                    "Unlocked {}: its key is kept in this computer's keyring.",
                    path.display()
                ));
                self.show_patients_of_new_file();
            }
            Err(e) => {
                p.error = Some(e.to_string());
                p.focus = true;
            }
        }
    }

    /// Encrypts the open file (closed while it is converted, then opened
    /// again with its key), its backups in both folders too.
    fn protect_file(&mut self) {
        let Some(db) = self.location.file().map(std::path::Path::to_owned) else {
            return;
        };
        if let Some(job) = self.file_care.backup_job.take() {
            let _ = job.wait();
        }
        // A file with no patient yet has nothing to keep in plain form.
        let empty = self.store.patient_count().is_ok_and(|n| n == 0);
        let placeholder = match FileStore::open(":memory:") {
            Ok(s) => s,
            Err(e) => return self.error(&e),
        };
        drop(self.replace_store(Box::new(placeholder), Location::File(":memory:".into())));
        let mut dirs = vec![clinilog_store::default_backup_dir(&db)];
        dirs.extend(self.prefs.second_backup_dir.clone());
        let done = clinilog_store::protect::encrypt(&db, &dirs, empty);
        match FileStore::open(&db) {
            Ok(store) => drop(self.replace_store(Box::new(store), Location::File(db.clone()))),
            Err(e) => return self.error(&e),
        }
        let w = &mut self.protect;
        match done {
            Ok(done) => {
                w.recovery = done.key.as_ref().map(|k| k.recovery_key());
                w.written = false;
                w.error = None;
                w.said = vec![format!(
                    "Its key is kept in {}.",
                    done.kept_in.as_deref().unwrap_or("?")
                )];
                if done.backups > 0 {
                    w.said
                        .push(format!("{} backup(s) were encrypted with the same key.", done.backups));
                }
                if !done.plain_kept.is_empty() {
                    w.said.push(format!(
                        "The file as it was and its plain backups are kept, NOT encrypted, in {}: remove them \
                         once the encrypted file has served you (clinilog encrypt --remove-plain).",
                        clinilog_store::protect::plain_folder(&db).display()
                    ));
                }
            }
            Err(e) => w.error = Some(e.to_string()),
        }
        self.show_patients_of_new_file();
    }

    pub(crate) fn protect_ui(&mut self, ctx: &egui::Context) {
        if !self.protect.open {
            return;
        }
        let encrypted = self
            .location
            .file()
            .is_some_and(|f| keys::encryption_of(f) != keys::Encryption::Plain);
        let mut encrypt = false;
        let mut close = false;
        let w = &mut self.protect;
        egui::Modal::new(egui::Id::unique("protect")).show(ctx, |ui| {
            ui.set_width(560.0);
            ui.label(RichText::new("Protect this file").strong().size(16.0));
            if let Some(recovery) = &w.recovery {
                ui.label("The file is encrypted. This is its recovery key, shown this once:");
                ui.add_space(6.0);
                ui.label(RichText::new(recovery_lines(recovery)).monospace().size(17.0).strong());
                ui.add_space(6.0);
                ui.label(
                    "Write it on paper and keep the paper apart from this computer. With the file, it opens the \
                     clinic on another computer (after a repair, a new computer): Clinilog asks for it. Without \
                     the key and this paper, nobody can read the file.",
                );
                for line in &w.said {
                    widgets::muted(ui, line);
                }
                ui.checkbox(&mut w.written, "I have written the recovery key down");
                if ui.add_enabled(w.written, egui::Button::new("Done")).clicked() {
                    close = true;
                }
                return;
            }
            if encrypted {
                ui.label(
                    "This file is encrypted: whoever copies it, or a backup of it, reads nothing without its key, \
                     which is kept in this computer's keyring.",
                );
                if ui.button("Close").clicked() {
                    close = true;
                }
                return;
            }
            ui.label(
                "This file holds every patient of the clinic in plain form: whoever copies it, or finds a backup \
                 on a lost stick, reads it with any SQLite tool. Encrypted, it reads as noise without its key.",
            );
            ui.label(
                "Clinilog makes a random key and keeps it in this computer's keyring; you get a recovery key to \
                 write on paper. Backups are encrypted with the same key.",
            );
            if let Some(e) = &w.error {
                ui.label(RichText::new(e).color(theme::ERROR));
            }
            ui.horizontal(|ui| {
                if ui.button("Encrypt this file").clicked() {
                    encrypt = true;
                }
                if ui.button("Not now").clicked() {
                    close = true;
                }
            });
        });
        if close {
            self.protect = ProtectWindow::default();
        }
        if std::mem::take(&mut self.protect.start) && !encrypted {
            encrypt = true;
        }
        if encrypt {
            self.protect_file();
        }
    }

    /// A new clinic is offered encryption at first start: a plain file
    /// with no patient yet, when who records is asked.
    pub(crate) fn new_clinic_file(&self) -> bool {
        self.location
            .file()
            .is_some_and(|f| f.as_os_str() != ":memory:" && keys::encryption_of(f) == keys::Encryption::Plain)
            && self.store.patient_count().is_ok_and(|n| n == 0)
    }
}
