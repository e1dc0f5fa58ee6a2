//! Files the window writes out: a patient as FHIR, the printed report and
//! the cohort's (laid out on a job), the Trends PNG, CSV tables; through the
//! desktop's file dialog, or a typed path when there is none.

use super::*;

/// Files the window writes out, and what is under way: where they go (the
/// desktop's dialog, a typed path, or a folder set by tests), the report
/// being laid out on its job, the Trends picture waiting for its screenshot.
/// Kept by the shell, not by a screen: a report still being laid out when
/// the clinician goes back to the list is saved all the same.
#[derive(Default)]
pub struct Exports {
    /// Exports go here instead of through a file dialog (tests).
    pub dir: Option<std::path::PathBuf>,
    /// Exports ask for a typed path instead of a file dialog (tests).
    pub no_file_dialog: bool,
    /// An export waiting for a path typed by hand (no file from the dialog).
    save_as: Option<SaveAs>,
    /// A report being laid out on its own thread: where it goes, and the PDF.
    report_job: Option<ReportJob>,
    /// The Trends view to save once the screenshot arrives.
    pub(crate) pending_png: Option<egui::Rect>,
    png_requested: bool,
    png_shot: std::sync::Arc<std::sync::Mutex<Option<std::sync::Arc<egui::ColorImage>>>>,
}

/// A report being laid out: where it goes, and its PDF or why not.
type ReportJob = Job<(std::path::PathBuf, Result<Vec<u8>, String>)>;

/// Shown when the save dialog returns no file: cancelled, or no dialog could open.
const NO_FILE_CHOSEN: &str = "No file was chosen: type where to save it in Save as, or Cancel. (If no dialog \
    appeared, this desktop has no file dialog service, such as xdg-desktop-portal.)";

/// What an export saves once it has a path.
pub(crate) enum SaveWhat {
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

impl ClinilogApp {
    /// `trends-MRN-2025-08-19.csv`
    pub(crate) fn export_name(&self, ext: &str) -> String {
        let mrn = match &self.screen {
            Screen::Patient(s) => s.patient.data.mrn.clone(),
            Screen::Patients(_) | Screen::Due(_) => "clinilog".to_owned(),
            Screen::Cohort(_) => return format!("cohort-{}.{ext}", self.today()),
        };
        format!("trends-{mrn}-{}.{ext}", self.today())
    }

    /// The patient's record as a FHIR R4 Bundle, written where the user says.
    pub(crate) fn export_fhir(&mut self, patient_id: i64) {
        let json = self.store.patient(patient_id).map_err(|e| e.to_string()).and_then(|p| {
            let records = clinilog_interop::fhir::records(&*self.store, Some(&p.data.mrn), &self.catalog)
                .map_err(|e| e.to_string())?;
            let only_patient = records.iter().all(|r| r.is_only_patient());
            let head = self
                .store
                .audit_head()
                .map_err(|e| e.to_string())?
                .map(|h| h.to_string());
            clinilog_interop::fhir::bundle(
                &self.catalog,
                &records,
                &jiff::Timestamp::now().to_string(),
                head.as_deref(),
            )
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
    pub(crate) fn save_file(&mut self, name: &str, kind: &str, what: SaveWhat) {
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
                self.exports.save_as = Some(SaveAs {
                    path: dir.join(name).display().to_string(),
                    what,
                    focus: true,
                });
                self.info(NO_FILE_CHOSEN.to_owned());
            }
        }
    }

    pub(crate) fn save_to(&mut self, path: &std::path::Path, what: SaveWhat) {
        match what {
            SaveWhat::File(bytes, noun) => match std::fs::write(path, bytes) {
                Ok(()) => self.info(format!("Saved {noun}: {}", path.display())),
                Err(e) => self.not_exported(format!("could not write {noun}: {e}: {}", path.display())),
            },
            SaveWhat::Report(data) => {
                let path = path.to_owned();
                self.exports.report_job = Some(Job::spawn(&self.ctx, "report", move |_| {
                    (path, clinilog_interop::report::render_pdf(&data))
                }));
                self.info("Laying out the report...".to_owned());
            }
            SaveWhat::CohortReport(data) => {
                let path = path.to_owned();
                self.exports.report_job = Some(Job::spawn(&self.ctx, "cohort report", move |_| {
                    (path, clinilog_interop::cohort_report::render_cohort_pdf(&data))
                }));
                self.info("Laying out the report...".to_owned());
            }
        }
    }

    /// *Save as*: the path of an export typed by hand.
    pub(crate) fn save_as_ui(&mut self, ctx: &egui::Context) {
        let Some(s) = &mut self.exports.save_as else {
            return;
        };
        let mut done = None;
        egui::Window::new("Save as")
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
            .show(ctx, |ui| {
                widgets::muted(ui, "No file was chosen in a dialog. Type where to save it:");
                let label = ui.label("Save to");
                let r = ui
                    .add(egui::TextEdit::singleline(&mut s.path).desired_width(theme::WIDE_FIELD_WIDTH + 120.0))
                    .labelled_by(label.id);
                widgets::focus_until_taken(&r, &mut s.focus);
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
                if let Some(s) = self.exports.save_as.take() {
                    let path = std::path::PathBuf::from(s.path.trim());
                    if path.parent().is_some_and(|d| !d.as_os_str().is_empty() && !d.is_dir()) {
                        self.not_exported(format!("the folder does not exist: {}", path.display()));
                        self.exports.save_as = Some(s);
                    } else {
                        self.save_to(&path, s.what);
                    }
                }
            }
            Some(false) => {
                self.exports.save_as = None;
                self.info("Not exported.".to_owned());
            }
            None => {}
        }
    }

    /// The patient's printed report: its data is read here, the PDF is laid
    /// out on a thread (typst takes a moment for a busy patient) and written
    /// where the user said.
    pub(crate) fn print_report(&mut self, patient_id: i64) {
        if self.exports.report_job.is_some() {
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
            printed_by: self.clinician(),
            printed_at: jiff::Zoned::now().strftime("%Y-%m-%d %H:%M").to_string(),
            file: self.location.describe(),
            today: self.today(),
            audit_head: self.store.audit_head().ok().flatten().map(|h| h.to_string()),
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
    pub(crate) fn print_cohort(&mut self) {
        if self.exports.report_job.is_some() {
            return self.info("A report is being laid out; wait for it to be saved".to_owned());
        }
        let Screen::Cohort(s) = &self.screen else { return };
        let text = clinilog_interop::cohort_report::CohortReportText {
            clinic: self.prefs.clinic_name.clone(),
            choices: Vec::new(),
            responders: String::new(),
            printed_by: self.clinician(),
            printed_at: jiff::Zoned::now().strftime("%Y-%m-%d %H:%M").to_string(),
            file: self.location.describe(),
            audit_head: self.store.audit_head().ok().flatten().map(|h| h.to_string()),
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
    pub(crate) fn poll_report(&mut self) {
        let Some(done) = Job::take(&mut self.exports.report_job) else {
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
    pub(crate) fn choose_export_path(&self, name: &str, kind: &str, ext: &str) -> Option<std::path::PathBuf> {
        if let Some(dir) = &self.exports.dir {
            return Some(dir.join(name));
        }
        if self.exports.no_file_dialog {
            return None;
        }
        rfd::FileDialog::new()
            .set_file_name(name)
            .add_filter(kind, &[ext])
            .save_file()
    }

    /// Saves the part of a screenshot that shows the Trends view.
    pub(crate) fn save_png(&mut self, image: &egui::ColorImage, rect: egui::Rect, pixels_per_point: f32) {
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

    /// A failed export: said in the status bar.
    pub(crate) fn not_exported(&mut self, msg: String) {
        self.status = Some(Status {
            text: format!("Not exported: {msg}"),
            is_error: true,
        });
    }

    /// Saves the Trends view once the screenshot asked for it arrives.
    pub(crate) fn poll_png(&mut self, ctx: &egui::Context) {
        if let Some(rect) = self.exports.pending_png {
            let arrived = self.exports.png_shot.lock().ok().and_then(|mut slot| slot.take());
            match arrived {
                Some(image) => {
                    self.exports.pending_png = None;
                    self.exports.png_requested = false;
                    let ppp = ctx.pixels_per_point();
                    self.save_png(&image, rect, ppp);
                }
                None if !self.exports.png_requested => {
                    self.exports.png_requested = true;
                    let slot = self.exports.png_shot.clone();
                    let repaint = ctx.clone();
                    ctx.request_screenshot(move |image| {
                        if let Ok(mut s) = slot.lock() {
                            *s = Some(image);
                        }
                        repaint.request_repaint();
                    });
                }
                None => {}
            }
        }
    }
}
