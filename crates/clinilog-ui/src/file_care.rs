//! Care of the open file: SQLite's check when it opens (on a job; a damaged
//! file is swapped for its latest good backup, read-only), backups (on a
//! job, after saves and when the window closes), looking at a backup and
//! restoring one (*Tools > Backups*).

use super::*;

/// What the chain's job gives: its report, and the file as it was with the
/// head to remember when it was recomputed whole and found intact.
pub(crate) type ChainChecked = (
    clinilog_store::chain::ChainReport,
    Option<(clinilog_store::CheckedFile, clinilog_store::chain::Anchor)>,
);

/// Care of the open file, and its jobs: SQLite's check after it opened,
/// the backup running, whether anything was written since the last one, a
/// backup looked at read-only, and *Tools > Backups*. Kept by the shell,
/// not by a screen: a save on any screen makes the file due for a backup,
/// and the window's closing takes the last one.
#[derive(Default)]
pub struct FileCare {
    /// *Tools > Backups*.
    pub window: backups::BackupsWindow,
    /// A backup running on its own thread: its result arrives here.
    pub(crate) backup_job: Option<Job<Result<Vec<clinilog_store::BackupInfo>, String>>>,
    /// Something was written since the last backup.
    pub(crate) dirty: bool,
    /// When the newest backup was taken.
    pub(crate) newest_backup: Option<jiff::Timestamp>,
    /// While a backup is open read-only: the file to go back to.
    pub(crate) viewing_backup: Option<std::path::PathBuf>,
    /// The file failed its integrity check (what the check said).
    pub(crate) damaged: Option<String>,
    /// SQLite's check of the file, run on a thread after it opened: what
    /// it found, and the file as it was when a clean check began.
    pub(crate) integrity_job: Option<Job<(Option<String>, Option<clinilog_store::CheckedFile>)>>,
    /// The audit trail's hash chain, recomputed on a job after the window
    /// opened (a file or a server), and what it found.
    pub(crate) chain_job: Option<Job<Result<ChainChecked, String>>>,
    pub(crate) chain: Option<std::sync::Arc<patient::history::ChainVerdict>>,
    /// The chain is to be checked again (other records were opened).
    pub(crate) chain_wanted: bool,
}

impl ClinilogApp {
    /// Recomputes the audit chain on a connection of its own (seconds on a
    /// large clinic: never in a frame).
    /// A file that has not changed since its chain was found intact on
    /// this workstation (its size and time, within a week) is not hashed
    /// whole again: only its head is read, and must be the one remembered.
    pub(crate) fn start_chain_check(&mut self, ctx: &egui::Context) {
        let location = self.location.clone();
        let now = jiff::Timestamp::now();
        let seen = location.file().and_then(|p| clinilog_store::CheckedFile::of(p, now));
        let known = seen.as_ref().and_then(|seen| {
            self.prefs
                .chain_checked
                .iter()
                .find(|(c, _)| c.covers(seen))
                .map(|(_, head)| head.clone())
        });
        let catalog = self.catalog.clone();
        self.file_care.chain_job = Some(Job::spawn(ctx, "audit chain", move |_| {
            let store = location.open_read_only().map_err(|e| e.to_string())?;
            if let Some(known) = known
                && store.audit_head().map_err(|e| e.to_string())?.as_ref() == Some(&known)
            {
                return Ok((
                    clinilog_store::chain::ChainReport::unchanged_since(known.seq as u64, known),
                    None,
                ));
            }
            // The chain, and every record against its trail.
            let report = store.verify_trail(&catalog).map_err(|e| e.to_string())?;
            // Remembered as the file was when the check began, if intact.
            let remember = seen.filter(|_| report.is_intact()).zip(report.head.clone());
            Ok((report, remember))
        }));
    }

    /// As [`Self::start_chain_check`], once the records that replace the
    /// open ones are in place (the next frame).
    pub(crate) fn start_chain_check_after(&mut self, ctx: &egui::Context) {
        self.file_care.chain_wanted = true;
        ctx.request_repaint();
    }

    /// Takes the chain's verdict, and hands it to the open patient's screen.
    pub(crate) fn poll_chain(&mut self) {
        if std::mem::take(&mut self.file_care.chain_wanted) {
            let ctx = self.ctx.clone();
            self.start_chain_check(&ctx);
        }
        let Some(done) = Job::take(&mut self.file_care.chain_job) else {
            return;
        };
        match done {
            Ok(Ok((report, remember))) => {
                if let Some((file, head)) = remember {
                    let kept = &mut self.prefs.chain_checked;
                    kept.retain(|(c, _)| c.path != file.path);
                    kept.push((file, head));
                    let extra = kept.len().saturating_sub(CHECKED_FILES_KEPT);
                    kept.drain(..extra);
                    self.save_prefs_now = true;
                }
                if !report.is_intact() {
                    self.status = Some(Status {
                        text: format!("The audit trail fails its check: {}", report.problems[0]),
                        is_error: true,
                    });
                }
                let verdict = std::sync::Arc::new(patient::history::ChainVerdict {
                    report,
                    checked_at: jiff::Zoned::now().strftime("%Y-%m-%d %H:%M").to_string(),
                });
                if let Screen::Patient(p) = &mut self.screen {
                    p.chain = Some(verdict.clone());
                }
                self.file_care.chain = Some(verdict);
            }
            Ok(Err(e)) => {
                self.status = Some(Status {
                    text: format!("The audit trail could not be checked: {e}"),
                    is_error: true,
                })
            }
            Err(_) => {}
        }
    }

    /// Checks the open file's integrity on a thread of its own (a large file
    /// takes seconds), so the window opens at once.
    /// Runs SQLite's check of the open file on a thread, unless this
    /// workstation checked the file as it is now within the last days (a
    /// large file takes seconds of reading). `ctx` gets a frame when done.
    pub(crate) fn start_integrity_check(&mut self, ctx: &egui::Context) {
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
        self.file_care.integrity_job = Some(Job::spawn(ctx, "file check", move |_| {
            let found = FileStore::open_read_only(&path)
                .and_then(|s| s.quick_check())
                .unwrap_or(None);
            (found, seen)
        }));
    }

    /// A file that failed its check is not worked on: its latest good backup
    /// is shown read-only (or, with none, the file itself read-only), and
    /// the banner says so; *Tools > Backups > Restore* puts a backup back.
    pub(crate) fn poll_integrity(&mut self) {
        let Some(done) = Job::take(&mut self.file_care.integrity_job) else {
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
        match FileStore::open_read_only(&shown) {
            Ok(store) => {
                drop(self.replace_store(Box::new(store), Location::File(shown)));
                if latest.is_some() {
                    self.file_care.viewing_backup = Some(file);
                }
                self.file_care.damaged = Some(problem);
                self.file_care.dirty = false;
                self.show_patients_of_new_file();
            }
            Err(e) => self.error(&e),
        }
    }

    /// Where backups go: `backups/` beside the file, and the second folder if set.
    pub(crate) fn backup_dirs(&self) -> Vec<std::path::PathBuf> {
        // A server's backups are its own (pg_dump), not the window's.
        let Some(db) = self.file_care.viewing_backup.as_deref().or(self.location.file()) else {
            return Vec::new();
        };
        let mut dirs = vec![clinilog_store::default_backup_dir(db)];
        dirs.extend(self.prefs.second_backup_dir.clone());
        dirs
    }

    /// The backups beside the file, newest first.
    pub(crate) fn backup_list(&self) -> Result<Vec<clinilog_store::BackupInfo>, StoreError> {
        let dirs = self.backup_dirs();
        let mut list = Vec::new();
        for dir in &dirs {
            list.extend(clinilog_store::list_backups(dir)?);
        }
        list.sort_by_key(|b| std::cmp::Reverse(b.taken_at));
        Ok(list)
    }

    pub(crate) fn open_backups(&mut self) {
        self.file_care.window.open = true;
        self.file_care.window.second_dir = self
            .prefs
            .second_backup_dir
            .as_ref()
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        self.refresh_backups();
    }

    pub(crate) fn refresh_backups(&mut self) {
        match self.backup_list() {
            Ok(list) => {
                self.file_care.newest_backup = list.first().map(|b| b.taken_at);
                self.file_care.window.list = list;
            }
            Err(e) => self.file_care.window.error = Some(e.to_string()),
        }
    }

    /// Takes a backup on a thread of its own; the window goes on.
    pub fn start_backup(&mut self) {
        if self.file_care.backup_job.is_some() || self.file_care.viewing_backup.is_some() {
            return;
        }
        let Some(db) = self.location.file().map(std::path::Path::to_owned) else {
            return;
        };
        let dirs = self.backup_dirs();
        let today = self.today();
        self.file_care.backup_job = Some(Job::spawn(&self.ctx, "backup", move |_| {
            clinilog_store::backup_file(&db, &dirs, today).map_err(|e| e.to_string())
        }));
        self.file_care.window.running = true;
        self.file_care.dirty = false;
    }

    /// Collects a finished backup, and starts one when the file changed
    /// and the newest backup is older than the interval.
    pub(crate) fn poll_backup(&mut self) {
        if self.file_care.backup_job.is_some() {
            if let Some(done) = Job::take(&mut self.file_care.backup_job) {
                self.file_care.window.running = false;
                match done.unwrap_or_else(|_| Err("the backup stopped unexpectedly".to_owned())) {
                    Ok(_) => {
                        self.file_care.window.error = None;
                        self.refresh_backups();
                    }
                    Err(e) => {
                        self.file_care.dirty = true;
                        self.file_care.window.error = Some(format!("Not backed up: {e}"));
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
        let due = match self.file_care.newest_backup {
            Some(at) => jiff::Timestamp::now().duration_since(at) >= interval,
            None => true,
        };
        if self.file_care.dirty && due && !self.store.read_only() {
            self.start_backup();
        }
    }

    pub(crate) fn backups_action(&mut self, action: backups::BackupsAction) {
        use backups::BackupsAction;
        match action {
            BackupsAction::BackUpNow => self.start_backup(),
            BackupsAction::SetInterval(minutes) => self.prefs.backup_interval_minutes = minutes,
            BackupsAction::SetSecondDir(dir) => {
                self.prefs.second_backup_dir = dir;
                self.refresh_backups();
            }
            BackupsAction::OpenReadOnly(path) => match FileStore::open_read_only(&path) {
                Ok(backup) => {
                    let was = self.location.clone();
                    drop(self.replace_store(Box::new(backup), Location::File(path)));
                    if let Location::File(file) = was {
                        self.file_care.viewing_backup.get_or_insert(file);
                    }
                    self.file_care.window.open = false;
                    self.show_patients_of_new_file();
                }
                Err(e) => self.file_care.window.error = Some(e.to_string()),
            },
            BackupsAction::Restore(path) => self.restore_backup(&path),
        }
    }

    /// Back from a backup opened read-only to the file.
    pub(crate) fn leave_backup(&mut self) {
        let Some(db) = self.file_care.viewing_backup.take() else {
            return;
        };
        match FileStore::open(&db) {
            Ok(store) => {
                drop(self.replace_store(Box::new(store), Location::File(db)));
                self.show_patients_of_new_file();
            }
            Err(e) => {
                self.file_care.viewing_backup = Some(db);
                self.error(&e);
            }
        }
    }

    /// Puts a backup in the place of the open file: the file as it is is
    /// kept as a backup first, and the restore is recorded with who did it.
    pub(crate) fn restore_backup(&mut self, backup: &std::path::Path) {
        let user = match self.signer() {
            Ok(u) => u,
            Err(msg) => {
                self.file_care.window.error = Some(msg);
                return;
            }
        };
        if let Some(job) = self.file_care.backup_job.take() {
            let _ = job.wait();
            self.file_care.window.running = false;
        }
        // The file itself (which may be damaged) is replaced, not reopened first.
        let db = match (self.file_care.viewing_backup.take(), self.location.file()) {
            (Some(file), _) => file,
            (None, Some(file)) => file.to_owned(),
            (None, None) => return,
        };
        self.file_care.damaged = None;
        // The file must be closed while it is replaced.
        let placeholder = match FileStore::open(":memory:") {
            Ok(s) => s,
            Err(e) => return self.error(&e),
        };
        drop(self.replace_store(Box::new(placeholder), Location::File(":memory:".into())));
        let restored = clinilog_store::restore(&db, backup, &user);
        match FileStore::open(&db) {
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
        self.file_care.dirty = false;
        self.refresh_backups();
        self.show_patients_of_new_file();
    }
}
