//! Tools > Import results: a file of lab results (CSV or HL7 v2) read into
//! the open file. The form (the one form model: file, format, date order,
//! patient, register new patients) ends in *Preview*; the preview lists
//! every line with what it became; *Import* writes the new values in one
//! transaction. Both run on a thread of their own with a progress bar and
//! *Cancel* (which leaves the file unchanged); the window polls them each
//! frame and never waits.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use eframe::egui::{self, RichText, Ui};
use jiff::civil::Date;

use super::form::{Form, FormOutcome, FormText, show_form};
use super::job::Job;
use super::theme;
use super::widgets::muted;
use clinilog_domain::import::{DateOrder, Format, ImportDraft, ImportRequest, LineStatus, import_field};
use clinilog_domain::{Catalog, FieldError};
use clinilog_interop::import::{
    ConfirmUnusual, ImportError, ImportOptions, ImportSummary, MAPPING_FILE, PreviewLine, Watch, import_file,
    local_codes_for, mapping_folder,
};
use clinilog_store::{DraftKey, Location};

/// How many lines a preview keeps to show (every line is counted).
const PREVIEW_LINES: usize = 20_000;

/// A preview or an import running on its thread: whether it writes, the
/// share of the file read so far (as `f32` bits), and its job.
struct Run {
    write: bool,
    progress: Arc<AtomicU32>,
    job: Option<Job<Result<ImportSummary, String>>>,
}

impl Run {
    fn cancel(&self) {
        if let Some(job) = &self.job {
            job.cancel();
        }
    }
}

/// What the Import window shows and what was typed in it.
pub struct ImportWindow {
    pub open: bool,
    pub form: Form<ImportDraft, ()>,
    job: Option<Run>,
    /// The last preview, and the request it answers.
    pub preview: Option<(ImportRequest, ImportSummary)>,
    /// What the last import did.
    pub done: Option<String>,
    /// Why the last run stopped (refused, cancelled, an error).
    pub problem: Option<String>,
    /// Show only the lines that will not be imported.
    pub only_problems: bool,
    /// The lines of this file whose value is unusual for its measure, as
    /// the previews found them (line -> what it says and why), kept while
    /// the request stays the same so a confirmed line stays listed.
    unusual: std::collections::BTreeMap<u64, String>,
    /// The unusual lines the user confirmed as printed.
    confirmed: std::collections::BTreeSet<u64>,
}

impl Default for ImportWindow {
    fn default() -> Self {
        Self {
            open: false,
            form: Form::new(DraftKey::Import, ImportDraft::default(), None, (), import_field::FILE),
            job: None,
            preview: None,
            done: None,
            problem: None,
            only_problems: false,
            unusual: std::collections::BTreeMap::new(),
            confirmed: std::collections::BTreeSet::new(),
        }
    }
}

/// What the window asks the shell to do.
#[derive(Clone, Debug, PartialEq)]
pub enum ImportAction {
    /// Values were written: reload what is shown, and back up.
    Imported(String),
}

/// What the window needs from the shell.
pub struct ImportContext<'a> {
    /// Where the records are (the preview reads them, the import writes them).
    pub location: &'a Location,
    pub read_only: bool,
    pub catalog: &'a Catalog,
    /// Who signs the import, or why nobody can yet.
    pub signer: Result<String, String>,
    pub today: Date,
    /// The window's context: a run asks it for a frame when done.
    pub ctx: &'a egui::Context,
}

impl ImportWindow {
    pub fn running(&self) -> bool {
        self.job.is_some()
    }

    /// An import (not a preview) is writing into the file.
    pub fn writing(&self) -> bool {
        self.job.as_ref().is_some_and(|j| j.write)
    }

    fn start(&mut self, cx: &ImportContext<'_>, req: &ImportRequest, write: bool) {
        let user = match (&cx.signer, write) {
            (Ok(u), _) => u.clone(),
            (Err(_), false) => "preview".to_owned(),
            (Err(e), true) => {
                self.problem = Some(format!("Not imported: {e}"));
                return;
            }
        };
        let local_codes = match local_codes_for(cx.location, None, cx.catalog) {
            Ok(c) => c,
            Err(e) => {
                self.problem = Some(e);
                return;
            }
        };
        let opts = ImportOptions {
            format: req.format,
            dates: req.dates,
            create_patients: req.create_patients,
            patient: req.patient.clone(),
            local_codes,
            user,
            today: cx.today,
            keep_lines: PREVIEW_LINES,
            confirm_unusual: ConfirmUnusual::Lines(self.confirmed.clone()),
        };
        let progress = Arc::new(AtomicU32::new(0));
        let (db, file, catalog) = (cx.location.clone(), PathBuf::from(&req.file), cx.catalog.clone());
        let p = progress.clone();
        let job = Job::spawn(cx.ctx, if write { "import" } else { "import preview" }, move |cancel| {
            run_job(&db, &file, &catalog, &opts, write, &p, cancel.flag())
        });
        self.problem = None;
        self.done = None;
        self.job = Some(Run {
            write,
            progress,
            job: Some(job),
        });
    }

    /// Takes the result of a finished run.
    fn poll(&mut self, ctx: &egui::Context) -> Option<ImportAction> {
        let run = self.job.as_mut()?;
        match Job::take(&mut run.job) {
            None => {
                // The progress bar moves while the file is read.
                ctx.request_repaint_after(std::time::Duration::from_millis(100));
                None
            }
            Some(Err(_)) => {
                self.job = None;
                self.problem = Some("The import stopped unexpectedly: nothing was written".to_owned());
                None
            }
            Some(Ok(result)) => {
                let write = run.write;
                self.job = None;
                match result {
                    Err(e) => {
                        self.problem = Some(e);
                        None
                    }
                    Ok(summary) if !write => {
                        let req = self.form.draft.validate().ok()?;
                        if self.preview.as_ref().is_none_or(|(r, _)| *r != req) {
                            self.unusual.clear();
                            self.confirmed.clear();
                        }
                        for l in &summary.lines {
                            if let LineStatus::Unusual(why) = &l.status {
                                let what =
                                    format!("line {}: {} {} {} {}", l.line, l.mrn, l.date_read(), l.test, l.value);
                                self.unusual.insert(l.line, format!("{what}: {why}"));
                            }
                        }
                        self.preview = Some((req, summary));
                        None
                    }
                    Ok(summary) => {
                        let text = if summary.written {
                            format!("Imported from {}: {}", summary.file_name, summary.counts_text())
                        } else {
                            format!("Nothing imported from {}: {}", summary.file_name, summary.counts_text())
                        };
                        self.done = Some(text.clone());
                        let req = self.form.draft.validate().ok();
                        self.preview = req.map(|r| (r, summary.clone()));
                        summary.written.then_some(ImportAction::Imported(text))
                    }
                }
            }
        }
    }
}

fn run_job(
    db: &Location,
    file: &Path,
    catalog: &Catalog,
    opts: &ImportOptions,
    write: bool,
    progress: &AtomicU32,
    cancel: &AtomicBool,
) -> Result<ImportSummary, String> {
    let mut store = if write { db.open() } else { db.open_read_only() }.map_err(|e| e.to_string())?;
    let watch = Watch {
        progress: &|share| progress.store(share.to_bits(), Ordering::Relaxed),
        cancel,
    };
    import_file(&mut *store, catalog, file, opts, write, &watch, &mut |_| {}).map_err(|e| match e {
        ImportError::Cancelled => "Cancelled: nothing was written".to_owned(),
        e => format!("Not imported: {e}"),
    })
}

fn format_label(f: Option<Format>) -> &'static str {
    match f {
        None => "Tell from the file",
        Some(Format::Csv) => "CSV",
        Some(Format::Hl7) => "HL7 v2",
    }
}

fn dates_label(d: Option<DateOrder>) -> &'static str {
    match d {
        None => "Only 2025-08-04 (ask me for others)",
        Some(DateOrder::Dmy) => "Day/month/year: 04/08/2025 is 4 Aug",
        Some(DateOrder::Mdy) => "Month/day/year: 04/08/2025 is 8 Apr",
        Some(DateOrder::Ymd) => "Year/month/day: 2025/08/04",
    }
}

pub fn import_window(ctx: &egui::Context, w: &mut ImportWindow, cx: &ImportContext<'_>) -> Option<ImportAction> {
    let mut open = w.open;
    let mut action = w.poll(ctx);
    egui::Window::new("Import results")
        .open(&mut open)
        .default_pos(theme::CALCULATOR_POS)
        .default_width(1100.0)
        .max_width((ctx.content_rect().width() - 40.0).max(600.0))
        .default_height(620.0)
        .show(ctx, |ui| {
            if let Some(a) = import_ui(ui, w, cx) {
                action = Some(a);
            }
        });
    // Closing the window stops a running preview or import (nothing is written).
    if !open && let Some(job) = &w.job {
        job.cancel();
    }
    w.open = open;
    action
}

fn check(draft: &ImportDraft) -> Result<ImportRequest, Vec<FieldError>> {
    let req = draft.validate()?;
    let path = Path::new(&req.file);
    if !path.is_file() {
        return Err(vec![FieldError::new(
            import_field::FILE,
            "No such file: type its full path or use Choose...",
        )]);
    }
    Ok(req)
}

fn import_ui(ui: &mut Ui, w: &mut ImportWindow, cx: &ImportContext<'_>) -> Option<ImportAction> {
    let text = FormText {
        title: "Read lab results from a file".to_owned(),
        save: "Preview",
        noun: "import",
    };
    let outcome = show_form(
        ui,
        &mut w.form,
        &text,
        |d, _| check(d),
        |ui, f, d, _| {
            egui::Grid::new("import_form")
                .num_columns(3)
                .spacing([8.0, 6.0])
                .show(ui, |ui| {
                    let label = ui.label("File");
                    ui.horizontal(|ui| {
                        let r = ui
                            .add(egui::TextEdit::singleline(&mut d.file).desired_width(theme::WIDE_FIELD_WIDTH + 160.0))
                            .labelled_by(label.id);
                        f.register(ui, import_field::FILE, &r, &d.file.clone());
                        let choose = ui.button("Choose...");
                        // Every control of the form is registered, so Ctrl+S and Esc work from each.
                        f.register(ui, "import:choose", &choose, "");
                        if choose.clicked()
                            && let Some(p) = rfd::FileDialog::new()
                                .add_filter("Results (CSV, HL7)", &["csv", "txt", "hl7", "oru"])
                                .pick_file()
                        {
                            d.file = p.display().to_string();
                        }
                    });
                    f.message(ui, import_field::FILE, !d.file.is_empty());
                    ui.end_row();

                    let label = ui.label("Format");
                    let r = egui::ComboBox::from_id_salt("import_format")
                        .selected_text(format_label(d.format))
                        .show_ui(ui, |ui| {
                            for x in [None, Some(Format::Csv), Some(Format::Hl7)] {
                                ui.selectable_value(&mut d.format, x, format_label(x));
                            }
                        })
                        .response
                        .labelled_by(label.id);
                    f.register(ui, "import:format", &r, "");
                    ui.label("");
                    ui.end_row();

                    let label = ui.label("Dates such as 04/08/2025");
                    let r = egui::ComboBox::from_id_salt("import_dates")
                        .width(300.0)
                        .selected_text(dates_label(d.dates))
                        .show_ui(ui, |ui| {
                            for x in [None, Some(DateOrder::Dmy), Some(DateOrder::Mdy), Some(DateOrder::Ymd)] {
                                ui.selectable_value(&mut d.dates, x, dates_label(x));
                            }
                        })
                        .response
                        .labelled_by(label.id);
                    f.register(ui, "import:dates", &r, "");
                    ui.label("");
                    ui.end_row();

                    let r = f.text(
                        ui,
                        import_field::PATIENT,
                        "Patient (MRN) of a file without an MRN column",
                        &mut d.patient,
                        140.0,
                    );
                    f.submit_on_enter(ui, &r);
                    f.message(ui, import_field::PATIENT, !d.patient.is_empty());
                    ui.end_row();

                    ui.label("");
                    let r = ui.checkbox(
                        &mut d.create_patients,
                        "Register new patients from the file (name, sex and birth date)",
                    );
                    f.register(ui, "import:create", &r, "");
                    ui.label("");
                    ui.end_row();
                });
        },
    );
    match outcome {
        FormOutcome::Save(req) => {
            if w.job.is_none() {
                w.start(cx, &req, false);
            }
        }
        FormOutcome::Cancel => {
            w.open = false;
            if let Some(job) = &w.job {
                job.cancel();
            }
        }
        FormOutcome::Editing | FormOutcome::DiscardDraft | FormOutcome::Reload => {}
    }
    ui.separator();
    if let Some(job) = &w.job {
        let share = f32::from_bits(job.progress.load(Ordering::Relaxed));
        ui.horizontal(|ui| {
            ui.label(if job.write {
                "Importing..."
            } else {
                "Reading the file..."
            });
            ui.add(egui::ProgressBar::new(share).desired_width(320.0).show_percentage());
            let stop = if job.write {
                "Cancel the import"
            } else {
                "Cancel the preview"
            };
            if ui.button(stop).on_hover_text("Stops; nothing is written").clicked() {
                job.cancel();
            }
        });
        return None;
    }
    if let Some(p) = &w.problem {
        ui.label(RichText::new(p).color(theme::ERROR));
    }
    if let Some(d) = &w.done {
        ui.label(RichText::new(d).color(theme::OK));
    }
    let Some((req, summary)) = &w.preview else {
        muted(
            ui,
            "Choose a file and press Preview: every line is listed with what it becomes before anything is written.",
        );
        return None;
    };
    let stale = w.form.draft.validate().ok().as_ref() != Some(req);
    preview_ui(ui, w.only_problems, summary, cx.location);
    ui.checkbox(&mut w.only_problems, "Show only lines that are not imported");
    if summary.written {
        return None;
    }
    if !w.unusual.is_empty() && !stale && unusual_ui(ui, &w.unusual, &mut w.confirmed) {
        // The counts and the Import button follow the confirmations.
        let req = req.clone();
        w.start(cx, &req, false);
        return None;
    }
    let why_not = if cx.read_only {
        Some("This file is open read-only: nothing can be imported into it".to_owned())
    } else if stale {
        Some("The choices changed since this preview: press Preview again".to_owned())
    } else if summary.new == 0 {
        Some("Nothing new to import".to_owned())
    } else {
        cx.signer.as_ref().err().cloned()
    };
    let label = format!(
        "Import {} value{}",
        clinilog_interop::import::grouped(summary.new),
        if summary.new == 1 { "" } else { "s" }
    );
    let button = ui.add_enabled(why_not.is_none(), egui::Button::new(label));
    let button = match &why_not {
        Some(why) => button.on_disabled_hover_text(why.as_str()),
        None => button.on_hover_text("Writes the new values in one step: all or nothing"),
    };
    if let Some(why) = &why_not {
        muted(ui, why.as_str());
    }
    if button.clicked() {
        let req = req.clone();
        w.start(cx, &req, true);
    }
    None
}

/// The values unusual for their measure, listed apart: each confirmed as
/// printed on its own, or all together. Whether a confirmation changed.
fn unusual_ui(
    ui: &mut Ui,
    unusual: &std::collections::BTreeMap<u64, String>,
    confirmed: &mut std::collections::BTreeSet<u64>,
) -> bool {
    let mut changed = false;
    ui.separator();
    ui.label(
        RichText::new(format!(
            "{} value{} unusual for the measure: held back until you confirm, against the printed report, \
             that each is as printed",
            unusual.len(),
            if unusual.len() == 1 { " is" } else { "s are" }
        ))
        .color(theme::WARN)
        .strong(),
    );
    egui::ScrollArea::vertical()
        .id_salt("import_unusual")
        .max_height(120.0)
        .show(ui, |ui| {
            for (line, text) in unusual {
                let mut on = confirmed.contains(line);
                let r = ui.checkbox(&mut on, format!("Confirm as printed: {text}"));
                if r.changed() {
                    changed = true;
                    if on {
                        confirmed.insert(*line);
                    } else {
                        confirmed.remove(line);
                    }
                }
            }
        });
    ui.horizontal(|ui| {
        let all = unusual.keys().all(|l| confirmed.contains(l));
        if ui
            .add_enabled(!all, egui::Button::new("Confirm all as printed"))
            .on_hover_text("Every unusual value above is stored exactly as the file prints it, marked confirmed")
            .clicked()
        {
            confirmed.extend(unusual.keys().copied());
            changed = true;
        }
        if ui
            .add_enabled(!confirmed.is_empty(), egui::Button::new("Confirm none"))
            .clicked()
        {
            confirmed.clear();
            changed = true;
        }
    });
    changed
}

fn status_color(s: &LineStatus) -> egui::Color32 {
    match s {
        LineStatus::New => theme::OK,
        LineStatus::Present | LineStatus::Skipped(_) => theme::MUTED,
        LineStatus::Conflict(_) | LineStatus::Unusual(_) => theme::WARN,
        LineStatus::Rejected(_) => theme::ERROR,
    }
}

fn preview_ui(ui: &mut Ui, only_problems: bool, s: &ImportSummary, db: &Location) {
    ui.label(RichText::new(format!("{} ({})", s.file_name, s.shape)).strong());
    muted(ui, format!("SHA-256 {}", s.sha256));
    ui.label(s.counts_text());
    if !s.unknown_tests.is_empty() {
        let names = s
            .unknown_tests
            .iter()
            .map(|(t, n)| format!("\"{t}\" ({n})"))
            .collect::<Vec<_>>()
            .join(", ");
        let mapping = mapping_folder(db).map(|d| d.join(MAPPING_FILE)).unwrap_or_default();
        ui.label(
            RichText::new(format!(
                "Unknown tests: {names}. Map a lab's own code once in {} ([tests] \"CODE\" = \"alt\").",
                mapping.display()
            ))
            .color(theme::WARN),
        );
    }
    let lines: Vec<&PreviewLine> = s
        .lines
        .iter()
        .filter(|l| !only_problems || !matches!(l.status, LineStatus::New | LineStatus::Present))
        .collect();
    if (s.lines.len() as u64) < s.lines_total() {
        muted(
            ui,
            format!(
                "The first {} of {} lines are listed; the counts above are of every line.",
                clinilog_interop::import::grouped(s.lines.len() as u64),
                clinilog_interop::import::grouped(s.lines_total())
            ),
        );
    }
    // Line, status, MRN, date, test, value, unit, interval, flag; the reason takes the rest.
    let widths = [44.0, 100.0, 90.0, 170.0, 210.0, 80.0, 60.0, 90.0, 30.0];
    let header = [
        "Line",
        "Status",
        "MRN",
        "Date (as read)",
        "Test -> measure",
        "Value",
        "Unit",
        "Interval",
        "Flag",
        "Reason",
    ];
    let row = |ui: &mut Ui, cells: [String; 10], color: egui::Color32, strong: bool| {
        ui.horizontal(|ui| {
            for (i, c) in cells.into_iter().enumerate() {
                let mut t = RichText::new(c.as_str());
                if strong {
                    t = t.strong();
                } else if i == 1 || i == 9 {
                    t = t.color(color);
                }
                match widths.get(i) {
                    Some(&w) => {
                        ui.allocate_ui_with_layout(
                            egui::vec2(w, 18.0),
                            egui::Layout::left_to_right(egui::Align::Center),
                            |ui| {
                                ui.set_min_width(w);
                                ui.add(egui::Label::new(t).truncate());
                            },
                        );
                    }
                    None => {
                        let r = ui.add(egui::Label::new(t).truncate());
                        if !strong && !c.is_empty() {
                            r.on_hover_text(c);
                        }
                    }
                }
            }
        });
    };
    row(ui, header.map(str::to_owned), theme::NORMAL, true);
    egui::ScrollArea::vertical()
        .max_height(260.0)
        .auto_shrink([false, true])
        .show_rows(ui, 20.0, lines.len(), |ui, range| {
            for l in &lines[range] {
                let test = match &l.measure {
                    Some(m) => format!("{} -> {m}", l.test),
                    None => l.test.clone(),
                };
                row(
                    ui,
                    [
                        l.line.to_string(),
                        l.status.label().to_owned(),
                        l.mrn.clone(),
                        l.date_read(),
                        test,
                        l.value.clone(),
                        l.unit.clone(),
                        l.interval.clone(),
                        l.flag.clone(),
                        match l.status.reason() {
                            "" => l.note.clone(),
                            r => r.to_owned(),
                        },
                    ],
                    status_color(&l.status),
                    false,
                );
            }
        });
}
