//! Tools > Backups: the backups of the open file (newest first, with when,
//! size and what each holds), *Back up now*, *Open read-only* and
//! *Restore* (after a confirmation), and where and how often backups are
//! taken. The list is read when the window opens and after each backup;
//! backups themselves run on a thread of their own (`ui/mod.rs`).

use std::path::PathBuf;

use eframe::egui::{self, RichText, Ui};

use super::theme;
use super::widgets::{field_message, muted};
use clinilog_store::BackupInfo;

/// What the Backups window shows and what was typed in it.
#[derive(Default)]
pub struct BackupsWindow {
    pub open: bool,
    /// The backups, newest first, as read last.
    pub list: Vec<BackupInfo>,
    /// The backup whose restore is being confirmed.
    pub confirm_restore: Option<PathBuf>,
    /// The second folder as typed.
    pub second_dir: String,
    /// A backup is being taken.
    pub running: bool,
    /// What went wrong last, if anything.
    pub error: Option<String>,
}

/// What the window asks the shell to do.
#[derive(Clone, Debug, PartialEq)]
pub enum BackupsAction {
    BackUpNow,
    OpenReadOnly(PathBuf),
    Restore(PathBuf),
    /// Backups also go to this folder (`None`: only beside the file).
    SetSecondDir(Option<PathBuf>),
    SetInterval(u32),
}

/// `12.3 MB`, `840 kB`.
fn size_text(bytes: u64) -> String {
    if bytes >= 1_000_000 {
        format!("{:.1} MB", bytes as f64 / 1e6)
    } else {
        format!("{} kB", bytes.div_ceil(1000))
    }
}

pub fn backups_window(
    ctx: &egui::Context,
    w: &mut BackupsWindow,
    folder: &str,
    interval_minutes: u32,
) -> Option<BackupsAction> {
    let mut open = w.open;
    let mut action = None;
    egui::Window::new("Backups")
        .open(&mut open)
        .default_pos(theme::CALCULATOR_POS)
        .default_width(720.0)
        .default_height(520.0)
        .vscroll(true)
        .show(ctx, |ui| action = backups_ui(ui, w, folder, interval_minutes));
    w.open = open;
    action
}

fn backups_ui(ui: &mut Ui, w: &mut BackupsWindow, folder: &str, interval_minutes: u32) -> Option<BackupsAction> {
    let mut action = None;
    muted(
        ui,
        format!(
            "Backups are taken automatically when the file changed and the newest is older than the interval, \
             and when the window closes; older ones are thinned (all of today and yesterday, then one a day for \
             14 days, a week for 8 weeks, a month for 12 months). Folder: {folder}"
        ),
    );
    ui.horizontal(|ui| {
        if ui.add_enabled(!w.running, egui::Button::new("Back up now")).clicked() {
            action = Some(BackupsAction::BackUpNow);
        }
        if w.running {
            muted(ui, "Taking a backup... (the window goes on meanwhile)");
        }
    });
    ui.horizontal(|ui| {
        let label = ui.label("Every");
        let mut minutes = interval_minutes;
        if ui
            .add(egui::DragValue::new(&mut minutes).range(5..=1440).suffix(" minutes"))
            .labelled_by(label.id)
            .changed()
        {
            action = Some(BackupsAction::SetInterval(minutes));
        }
        muted(ui, "at most, while the file changes");
    });
    ui.horizontal(|ui| {
        let label = ui.label("Also back up to");
        ui.add(
            egui::TextEdit::singleline(&mut w.second_dir)
                .hint_text("a folder on a USB stick or a network share")
                .desired_width(theme::WIDE_FIELD_WIDTH),
        )
        .labelled_by(label.id);
        if ui.button("Use this folder").clicked() {
            let dir = w.second_dir.trim();
            action = Some(BackupsAction::SetSecondDir(
                (!dir.is_empty()).then(|| PathBuf::from(dir)),
            ));
        }
    });
    field_message(ui, w.error.as_deref());
    ui.separator();
    if w.list.is_empty() {
        ui.label("No backups yet.");
        muted(ui, "Click \"Back up now\" to take the first one.");
        return action;
    }
    egui::Grid::new("backups_grid")
        .num_columns(5)
        .striped(true)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            for h in ["Taken", "Size", "Patients", "Entries", ""] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for b in &w.list {
                ui.label(
                    b.taken_at
                        .to_zoned(jiff::tz::TimeZone::system())
                        .strftime("%Y-%m-%d %H:%M:%S")
                        .to_string(),
                );
                ui.label(size_text(b.size));
                match &b.locked {
                    Some(why) => {
                        ui.label(why.as_str());
                        ui.label("");
                    }
                    None => {
                        ui.label(b.patients.to_string());
                        ui.label(b.entries.to_string());
                    }
                }
                ui.horizontal(|ui| {
                    if ui.small_button("Open read-only").clicked() {
                        action = Some(BackupsAction::OpenReadOnly(b.path.clone()));
                    }
                    if ui.small_button("Restore").clicked() {
                        w.confirm_restore = Some(b.path.clone());
                    }
                });
                ui.end_row();
            }
        });
    if let Some(path) = w.confirm_restore.clone() {
        ui.separator();
        ui.label(
            RichText::new(
                "Restore this backup? The file as it is now is first kept as a backup itself, then replaced; \
                 the restore is recorded with your name.",
            )
            .color(theme::WARN),
        );
        muted(ui, path.display().to_string());
        ui.horizontal(|ui| {
            if ui.button("Restore this backup").clicked() {
                action = Some(BackupsAction::Restore(path.clone()));
                w.confirm_restore = None;
            }
            if ui.button("Keep the file as it is").clicked() {
                w.confirm_restore = None;
            }
        });
    }
    action
}
