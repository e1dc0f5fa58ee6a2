//! Lab results in from files: CSV (long or wide) and HL7 v2 ORU^R01.
//!
//! [`import_file`] streams the file once through a reader (`table.rs`,
//! `hl7.rs`) that hands out each result as printed, decides what each
//! becomes with the rules of `domain/import.rs`, and writes everything in
//! one transaction (`store/import.rs`): all or nothing, an audit row per
//! entry naming the file and its SHA-256. Results of one patient and date
//! that stand together in the file make one entry. A preview (`write` =
//! false) runs exactly the same way and writes nothing.
//!
//! Memory stays flat on any size of file: only the lines of the current
//! patient and date are held, plus one small record per patient and date
//! seen (for duplicates across the file) and the first lines of the preview.

mod hl7;
mod table;
mod text;

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};

use jiff::civil::Date;
use sha2::{Digest, Sha256};

use clinilog_domain::catalog::display_unit;
use clinilog_domain::entry::TOTAL;
use clinilog_domain::import::{
    DateOrder, LineStatus, LocalCodes, RawPatient, RawResult, ReadValue, TestMap, ValueProblem, conflicting_parts,
    is_placeholder, read_date, read_sex, read_value, same_value, split_value, unambiguous,
};
use clinilog_domain::{Catalog, EntryData, PatientData, PatientDraft, Sex};
use clinilog_store::import::{Batch, StoredValues};
use clinilog_store::{ClinicStore, StoreError};

pub use clinilog_domain::import::Format;

/// What the user chose for one import.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// `None`: told from the file (an HL7 file starts with `MSH`).
    pub format: Option<Format>,
    /// How `04/08/2025` reads; `None` reads only ISO and HL7 dates.
    pub dates: Option<DateOrder>,
    /// Register patients the file describes (name, sex, birth date) whose MRN is unknown.
    pub create_patients: bool,
    /// The MRN of every row of a file without a patient column.
    pub patient: Option<String>,
    /// The clinic's own test codes.
    pub local_codes: LocalCodes,
    /// Who imports (signs the entries and the audit rows).
    pub user: String,
    pub today: Date,
    /// How many lines the summary keeps for a preview (every line still
    /// goes to the `on_line` callback).
    pub keep_lines: usize,
    /// Which values unusual for their measure are confirmed as printed (and
    /// imported); the others are held back.
    pub confirm_unusual: ConfirmUnusual,
}

/// Which unusual values of a file the user confirmed as printed.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum ConfirmUnusual {
    /// None: every unusual value is held back.
    #[default]
    None,
    /// All of them (`--confirm-unusual`, or "Confirm all" in the preview).
    All,
    /// Those on these lines of the file, confirmed one by one.
    Lines(std::collections::BTreeSet<u64>),
}

impl ConfirmUnusual {
    pub fn covers(&self, line: u64) -> bool {
        match self {
            ConfirmUnusual::None => false,
            ConfirmUnusual::All => true,
            ConfirmUnusual::Lines(lines) => lines.contains(&line),
        }
    }
}

/// One line of the file and what it became.
#[derive(Clone, Debug, PartialEq)]
pub struct PreviewLine {
    pub line: u64,
    pub mrn: String,
    /// The date as the file printed it, and as it was read.
    pub date_text: String,
    pub date: Option<Date>,
    /// The test as printed, and the catalog measure it was matched to.
    pub test: String,
    pub measure: Option<String>,
    /// As printed (`12,30`, `70 U/L`).
    pub value: String,
    /// The unit it is stored in (as printed when it was not read).
    pub unit: String,
    pub interval: String,
    /// `H`/`L` from the interval; the file's own flag is not trusted.
    pub flag: String,
    pub status: LineStatus,
    /// What a reader should know of a value that is imported: how a comma
    /// was read, a file's flag that the interval does not give.
    pub note: String,
}

impl PreviewLine {
    /// `2025-08-04 (4 Aug 2025)`: how the date was read, or the text when it was not.
    pub fn date_read(&self) -> String {
        match self.date {
            Some(d) => format!("{d} ({})", unambiguous(d)),
            None => self.date_text.clone(),
        }
    }
}

/// What an import did (or, for a preview, would do).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportSummary {
    pub file_name: String,
    pub sha256: String,
    /// `CSV, long (one row per result), separated by semicolons`.
    pub shape: String,
    pub new: u64,
    pub present: u64,
    pub conflicts: u64,
    pub rejected: u64,
    pub skipped: u64,
    /// Values held back as unusual for their measure, not confirmed.
    pub unusual: u64,
    /// Entries written (or to be written).
    pub entries: u64,
    /// MRNs registered from the file (or to be).
    pub patients_created: Vec<String>,
    /// Tests no measure matched, with how many lines named each.
    pub unknown_tests: BTreeMap<String, u64>,
    /// The first lines, in file order.
    pub lines: Vec<PreviewLine>,
    /// Whether it was written.
    pub written: bool,
}

/// `1,000,000`: a count with its thousands grouped, for reading.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl ImportSummary {
    pub fn lines_total(&self) -> u64 {
        self.new + self.present + self.conflicts + self.rejected + self.skipped + self.unusual
    }

    /// `12 new values in 3 entries, 4 already present, 1 rejected`.
    pub fn counts_text(&self) -> String {
        let mut parts = vec![format!(
            "{} new value{} in {} entr{}",
            grouped(self.new),
            if self.new == 1 { "" } else { "s" },
            grouped(self.entries),
            if self.entries == 1 { "y" } else { "ies" }
        )];
        for (n, what) in [
            (self.present, "already present"),
            (self.conflicts, "in conflict with a stored value"),
            (self.rejected, "rejected"),
            (self.skipped, "skipped"),
            (
                self.unusual,
                "held back as unusual (confirm them as printed to import them)",
            ),
        ] {
            if n > 0 {
                parts.push(format!("{} {what}", grouped(n)));
            }
        }
        if !self.patients_created.is_empty() {
            parts.push(format!("{} new patient(s)", self.patients_created.len()));
        }
        parts.join(", ")
    }
}

/// Why an import did not happen. Nothing is written in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read the file: {0}")]
    Read(std::io::Error),
    #[error("the file is refused: {0}")]
    Refused(String),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("the import was cancelled: nothing was written")]
    Cancelled,
}

/// What a reader hands out.
#[derive(Debug)]
pub enum Item {
    /// A result to read.
    Result(RawResult),
    /// A result that is not to be imported, with the reason (HL7 status).
    Skip { raw: RawResult, reason: String },
    /// A line that holds no readable result.
    Problem { line: u64, reason: String },
}

/// The file's SHA-256 as 64 hex digits, read in 1 MiB blocks.
fn sha256_of(path: &Path, cancel: &AtomicBool) -> Result<String, ImportError> {
    let mut file = File::open(path).map_err(ImportError::Read)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(ImportError::Cancelled);
        }
        let n = file.read(&mut buf).map_err(ImportError::Read)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// What the first bytes say: refused when empty or binary; HL7 or CSV.
fn sniff(path: &Path) -> Result<Format, ImportError> {
    let mut head = Vec::with_capacity(8192);
    File::open(path)
        .map_err(ImportError::Read)?
        .take(8192)
        .read_to_end(&mut head)
        .map_err(ImportError::Read)?;
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
    if text.iter().all(u8::is_ascii_whitespace) {
        return Err(ImportError::Refused("the file is empty".to_owned()));
    }
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return Err(ImportError::Refused(
            "the file is UTF-16 text: save it as UTF-8 (CSV UTF-8 in a spreadsheet) and import that".to_owned(),
        ));
    }
    if head.contains(&0) {
        return Err(ImportError::Refused(
            "this is not a text file (it holds binary data): export the results as CSV or HL7".to_owned(),
        ));
    }
    let start = text.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(0);
    Ok(if text[start..].starts_with(b"MSH") {
        Format::Hl7
    } else {
        Format::Csv
    })
}

/// A patient as the import knows them.
#[derive(Clone, Debug)]
enum Who {
    /// Registered: id, sex, birth date.
    Known(i64, Sex, Date),
    /// To be registered from the file (`id` once written; `listed` once
    /// counted in the summary).
    New {
        data: Box<PatientData>,
        id: Option<i64>,
        listed: bool,
    },
    /// Lines of this MRN are refused, with the reason.
    Refused(String),
}

/// The lines of one patient and date that stand together in the file.
struct Run {
    mrn: String,
    date: Date,
    /// The registered patient's id (none for one the file registers).
    patient_id: Option<i64>,
    lines: Vec<(PreviewLine, Option<ReadValue>)>,
}

struct Engine<'a, 't> {
    tx: Box<dyn Batch + 't>,
    catalog: &'a Catalog,
    map: TestMap,
    opts: &'a ImportOptions,
    write: bool,
    file_name: String,
    patients: HashMap<String, Who>,
    stored: Option<(i64, StoredValues)>,
    run: Option<Run>,
    /// Measures already seen per patient and date, by catalog position.
    seen: HashMap<(String, Date), u128>,
    summary: ImportSummary,
    on_line: &'a mut dyn FnMut(&PreviewLine),
}

fn shown_unit(v: &ReadValue) -> (String, String, String) {
    match v {
        ReadValue::Lab(l) => (
            display_unit(&l.unit),
            l.reference.describe(),
            l.flag.letter().to_owned(),
        ),
        ReadValue::Symptom(_) => (String::new(), String::new(), String::new()),
    }
}

/// How a thousands-like comma was read, and a flag the file printed that
/// the interval does not give (the stored flag is the interval's).
fn note_on(raw: &RawResult, value: &ReadValue) -> String {
    let ReadValue::Lab(lab) = value else {
        return String::new();
    };
    let mut notes = Vec::new();
    let number = split_value(&raw.value).0;
    let number = number.trim_start_matches(['<', '>']);
    if let Some((_, frac)) = number.split_once(',')
        && frac.len() == 3
        && !number.contains('.')
    {
        notes.push(if lab.value.as_str().contains('.') {
            format!("the comma read as a decimal point: {}", lab.value)
        } else {
            format!("the comma read as a thousands separator: {}", lab.value)
        });
    }
    let file_flag = match raw.flag.trim().to_uppercase().as_str() {
        "H" | "HH" | "HIGH" | ">" | "A" | "AA" => "H",
        "L" | "LL" | "LOW" | "<" => "L",
        _ => "",
    };
    let ours = lab.flag.letter();
    if !file_flag.is_empty() && file_flag != ours {
        let reads = match ours {
            "" => "within it".to_owned(),
            f => f.to_owned(),
        };
        notes.push(format!(
            "the file flags it {}; against the interval {} it reads {reads}",
            raw.flag.trim(),
            lab.reference.describe()
        ));
    }
    notes.join("; ")
}

impl Engine<'_, '_> {
    fn line_of(raw: &RawResult, status: LineStatus) -> PreviewLine {
        let interval = if raw.range.is_empty() && !(raw.low.is_empty() && raw.high.is_empty()) {
            format!("{} - {}", raw.low, raw.high)
        } else {
            raw.range.clone()
        };
        PreviewLine {
            line: raw.line,
            mrn: raw.mrn.clone(),
            date_text: raw.date.clone(),
            date: None,
            test: if raw.test.is_empty() {
                raw.code.clone()
            } else {
                raw.test.clone()
            },
            measure: None,
            value: raw.value.clone(),
            unit: raw.unit.clone(),
            interval,
            flag: raw.flag.clone(),
            status,
            note: String::new(),
        }
    }

    fn emit(&mut self, line: PreviewLine) {
        let s = &mut self.summary;
        match &line.status {
            LineStatus::New => s.new += 1,
            LineStatus::Present => s.present += 1,
            LineStatus::Conflict(_) => s.conflicts += 1,
            LineStatus::Rejected(_) => s.rejected += 1,
            LineStatus::Skipped(_) => s.skipped += 1,
            LineStatus::Unusual(_) => s.unusual += 1,
        }
        (self.on_line)(&line);
        if s.lines.len() < self.opts.keep_lines {
            s.lines.push(line);
        }
    }

    fn who(&mut self, mrn: &str, details: Option<&RawPatient>, first_date: Date) -> Result<Who, ImportError> {
        if let Some(w) = self.patients.get(mrn) {
            return Ok(w.clone());
        }
        let who = match self.tx.patient_by_mrn(mrn)? {
            Some(p) => Who::Known(p.id, p.data.sex, p.data.birth_date),
            None if !self.opts.create_patients => Who::Refused(format!(
                "MRN {mrn} is not registered: register the patient first, or import with \"register new patients\" \
                 (--create-patients)"
            )),
            None => self.draft_patient(mrn, details, first_date),
        };
        self.patients.insert(mrn.to_owned(), who.clone());
        Ok(who)
    }

    fn draft_patient(&self, mrn: &str, details: Option<&RawPatient>, first_date: Date) -> Who {
        let Some(d) = details else {
            return Who::Refused(format!(
                "MRN {mrn} is not registered and the file does not say who it is: \
                 registering needs name, sex and birth date columns"
            ));
        };
        let birth = match read_date(&d.birth_date, self.opts.dates) {
            Ok(b) => b,
            Err(e) => return Who::Refused(format!("MRN {mrn} cannot be registered: birth date {e}")),
        };
        let Some(sex) = read_sex(&d.sex) else {
            return Who::Refused(format!(
                "MRN {mrn} cannot be registered: sex \"{}\" is not F, M, O or U",
                d.sex
            ));
        };
        let draft = PatientDraft {
            mrn: mrn.to_owned(),
            name: d.name.clone(),
            birth_date: birth.to_string(),
            sex: Some(sex),
            diagnosis: String::new(),
            enrolled: first_date.min(self.opts.today).to_string(),
            notes: format!("Registered from the import of {}", self.file_name),
        };
        match draft.validate(self.opts.today) {
            Ok(data) => Who::New {
                data: Box::new(data),
                id: None,
                listed: false,
            },
            Err(errors) => Who::Refused(format!(
                "MRN {mrn} cannot be registered from the file: {}",
                errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join("; ")
            )),
        }
    }

    fn item(&mut self, item: Item) -> Result<(), ImportError> {
        match item {
            Item::Problem { line, reason } => {
                self.emit(PreviewLine {
                    line,
                    mrn: String::new(),
                    date_text: String::new(),
                    date: None,
                    test: String::new(),
                    measure: None,
                    value: String::new(),
                    unit: String::new(),
                    interval: String::new(),
                    flag: String::new(),
                    status: LineStatus::Rejected(reason),
                    note: String::new(),
                });
                Ok(())
            }
            Item::Skip { raw, reason } => {
                let line = Self::line_of(&raw, LineStatus::Skipped(reason));
                self.emit(line);
                Ok(())
            }
            Item::Result(raw) => self.result(raw),
        }
    }

    fn result(&mut self, raw: RawResult) -> Result<(), ImportError> {
        let mut line = Self::line_of(&raw, LineStatus::New);
        let reject = |mut line: PreviewLine, why: String| {
            line.status = LineStatus::Rejected(why);
            line
        };
        if is_placeholder(&raw.value) {
            line.status = LineStatus::Skipped(format!("no value (\"{}\")", raw.value.trim()));
            self.emit(line);
            return Ok(());
        }
        let measure = self.map.resolve(&raw.code, &raw.test).map(|(c, _)| c.to_owned());
        let Some(measure) = measure.and_then(|c| self.catalog.measure(&c)) else {
            let named = [raw.code.trim(), raw.test.trim()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            *self.summary.unknown_tests.entry(named.clone()).or_default() += 1;
            let why = format!(
                "unknown test \"{named}\": no LOINC code, catalog name or alias matches; add it to the mapping file"
            );
            self.emit(reject(line, why));
            return Ok(());
        };
        line.measure = Some(measure.code.clone());
        let mrn = raw.mrn.trim().to_owned();
        if mrn.is_empty() {
            self.emit(reject(line, "no MRN on this line".to_owned()));
            return Ok(());
        }
        let date = match read_date(&raw.date, self.opts.dates) {
            Ok(d) => d,
            Err(e) => {
                self.emit(reject(line, format!("collection date {e}")));
                return Ok(());
            }
        };
        line.date = Some(date);
        if date > self.opts.today {
            let why = format!("collection date {date} is in the future (today is {})", self.opts.today);
            self.emit(reject(line, why));
            return Ok(());
        }
        let (sex, birth, id) = match self.who(&mrn, raw.patient.as_ref(), date)? {
            Who::Known(id, sex, birth) => (sex, birth, Some(id)),
            Who::New { data, .. } => (data.sex, data.birth_date, None),
            Who::Refused(why) => {
                self.emit(reject(line, why));
                return Ok(());
            }
        };
        if date < birth {
            let why = format!("collection date {date} is before the patient's birth date {birth}");
            self.emit(reject(line, why));
            return Ok(());
        }
        let value = match read_value(
            &raw,
            measure,
            self.catalog,
            sex,
            self.opts.confirm_unusual.covers(raw.line),
        ) {
            Ok(v) => v,
            Err(ValueProblem::Refused(why)) => {
                self.emit(reject(line, why));
                return Ok(());
            }
            Err(ValueProblem::Unusual(why)) => {
                line.status = LineStatus::Unusual(why);
                self.emit(line);
                return Ok(());
            }
        };
        let (unit, interval, flag) = shown_unit(&value);
        line.note = note_on(&raw, &value);
        (line.unit, line.interval, line.flag) = (unit, interval, flag);
        // Lines of one patient and date that stand together make one entry.
        if self.run.as_ref().is_some_and(|r| r.mrn != mrn || r.date != date) {
            self.close_run()?;
        }
        let run = self.run.get_or_insert_with(|| Run {
            mrn: mrn.clone(),
            date,
            patient_id: id,
            lines: Vec::new(),
        });
        if let Some((earlier, v)) = run
            .lines
            .iter()
            .find(|(l, v)| l.measure.as_deref() == Some(measure.code.as_str()) && v.is_some())
        {
            let status = match v {
                Some(v) if same_value(v, &value) => {
                    LineStatus::Skipped(format!("the same value as line {}", earlier.line))
                }
                _ => LineStatus::Rejected(format!(
                    "line {} gives another {} for this patient and date ({}); check which the report printed",
                    earlier.line, measure.name, earlier.value
                )),
            };
            line.status = status;
            self.emit(line);
            return Ok(());
        }
        let position = self.catalog.order_of(&measure.code).min(127);
        let seen = self.seen.get(&(mrn.clone(), date)).copied().unwrap_or(0);
        if seen & (1u128 << position) != 0 {
            let why = format!(
                "{} for this patient and date is on an earlier line of the file already",
                measure.name
            );
            self.emit(reject(line, why));
            return Ok(());
        }
        if let Some(id) = id {
            if self.stored.as_ref().is_none_or(|(p, _)| *p != id) {
                self.stored = Some((id, self.tx.stored_values(id)?));
            }
            if let Some((_, stored)) = &self.stored
                && let Some(s) = stored.get(&(date, measure.code.clone()))
            {
                line.status = if same_value(s, &value) {
                    LineStatus::Present
                } else {
                    LineStatus::Conflict(format!(
                        "{} {} is stored for {date}; the file says {}",
                        measure.name,
                        s.describe(self.catalog),
                        value.describe(self.catalog)
                    ))
                };
                // Held in the run so a repeat of it is caught.
                if let Some(run) = self.run.as_mut() {
                    run.lines.push((line, Some(value)));
                }
                return Ok(());
            }
        }
        if let Some(run) = self.run.as_mut() {
            run.lines.push((line, Some(value)));
        }
        Ok(())
    }

    /// The lines of one patient and date: checked together, written as one
    /// entry, then listed.
    fn close_run(&mut self) -> Result<(), ImportError> {
        let Some(mut run) = self.run.take() else {
            return Ok(());
        };
        // Values that must stand together (bilirubin parts and total) are
        // checked against the new ones and what is stored for the date.
        let mut labs: Vec<_> = run
            .lines
            .iter()
            .filter_map(|(l, v)| match (v, &l.status) {
                (Some(ReadValue::Lab(lab)), LineStatus::New) => Some(lab.clone()),
                _ => None,
            })
            .collect();
        if let (Some(id), Some((stored_id, stored))) = (run.patient_id, &self.stored)
            && id == *stored_id
        {
            for (m, _) in self.catalog.labs() {
                if labs.iter().any(|l| l.code == m.code) {
                    continue;
                }
                if let Some(ReadValue::Lab(lab)) = stored.get(&(run.date, m.code.clone())) {
                    labs.push(lab.clone());
                }
            }
        }
        for (code, why) in conflicting_parts(&labs, self.catalog) {
            let is_new = |l: &PreviewLine, c: &str| l.measure.as_deref() == Some(c) && l.status == LineStatus::New;
            // The new part goes; when the part is stored, the new total goes.
            let (target, why) = if run.lines.iter().any(|(l, _)| is_new(l, &code)) {
                (code.as_str(), why)
            } else {
                (TOTAL, format!("{why} (the part is stored for this date)"))
            };
            for (l, _) in run.lines.iter_mut() {
                if is_new(l, target) {
                    l.status = LineStatus::Rejected(why.clone());
                }
            }
        }
        let mut data = EntryData {
            collected_on: run.date,
            labs: Vec::new(),
            symptoms: Vec::new(),
            note: format!("Imported from {}", self.file_name),
            recorded_by: self.opts.user.clone(),
        };
        let mut mask = 0u128;
        for (l, v) in &run.lines {
            if l.status != LineStatus::New {
                continue;
            }
            let Some(v) = v else { continue };
            mask |= 1u128 << self.catalog.order_of(v.code()).min(127);
            match v {
                ReadValue::Lab(lab) => data.labs.push(lab.clone()),
                ReadValue::Symptom(s) => data.symptoms.push(s.clone()),
            }
        }
        *self.seen.entry((run.mrn.clone(), run.date)).or_default() |= mask;
        if !(data.labs.is_empty() && data.symptoms.is_empty()) {
            self.summary.entries += 1;
            let patient_id = self.patient_id(&run.mrn)?;
            if self.write
                && let Some(id) = patient_id
            {
                self.tx.add_entry(id, &data)?;
            }
        }
        for (l, _) in run.lines {
            self.emit(l);
        }
        Ok(())
    }

    /// The id of the patient to write to, registering them first when the
    /// file describes a new one (`None` in a preview).
    fn patient_id(&mut self, mrn: &str) -> Result<Option<i64>, ImportError> {
        let Some(who) = self.patients.get_mut(mrn) else {
            return Ok(None);
        };
        match who {
            Who::Known(id, ..) => Ok(Some(*id)),
            Who::New { data, id, listed } => {
                if !*listed {
                    *listed = true;
                    self.summary.patients_created.push(mrn.to_owned());
                }
                if self.write && id.is_none() {
                    *id = Some(self.tx.create_patient(data)?);
                }
                Ok(*id)
            }
            Who::Refused(_) => Ok(None),
        }
    }
}

/// How a caller follows an import: `progress` gets the share of the file
/// read (0 to 1); setting `cancel` stops it with nothing written.
pub struct Watch<'a> {
    pub progress: &'a dyn Fn(f32),
    pub cancel: &'a AtomicBool,
}

/// Imports (or, with `write` false, previews) the results in `path` into
/// `store`; `on_line` sees every line's outcome.
pub fn import_file(
    store: &mut dyn ClinicStore,
    catalog: &Catalog,
    path: &Path,
    opts: &ImportOptions,
    write: bool,
    watch: &Watch<'_>,
    on_line: &mut dyn FnMut(&PreviewLine),
) -> Result<ImportSummary, ImportError> {
    let (progress, cancel) = (watch.progress, watch.cancel);
    let detected = sniff(path)?;
    let format = match (opts.format, detected) {
        (Some(Format::Hl7), Format::Csv) => {
            return Err(ImportError::Refused(
                "this is not an HL7 file: it does not start with an MSH segment".to_owned(),
            ));
        }
        (Some(f), _) => f,
        (None, d) => d,
    };
    let total = std::fs::metadata(path).map_err(ImportError::Read)?.len().max(1);
    let sha256 = sha256_of(path, cancel)?;
    let file_name = path
        .file_name()
        .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    let reason = format!("imported from {file_name} (SHA-256 {sha256})");
    let tx = store.begin_batch(&opts.user, &reason, write)?;
    let mut engine = Engine {
        tx,
        catalog,
        map: TestMap::new(catalog, &opts.local_codes),
        opts,
        write,
        file_name: file_name.clone(),
        patients: HashMap::new(),
        stored: None,
        run: None,
        seen: HashMap::new(),
        summary: ImportSummary {
            file_name,
            sha256,
            ..ImportSummary::default()
        },
        on_line,
    };
    let consumed = Rc::new(Cell::new(0u64));
    let input = BufReader::with_capacity(1 << 16, File::open(path).map_err(ImportError::Read)?);
    let mut count = 0u64;
    let counter = consumed.clone();
    let mut emit = |item: Item| -> Result<(), ImportError> {
        count += 1;
        if count.is_multiple_of(1024) {
            if cancel.load(Ordering::Relaxed) {
                return Err(ImportError::Cancelled);
            }
            progress(counter.get() as f32 / total as f32);
        }
        engine.item(item)
    };
    let shape = match format {
        Format::Csv => table::read(input, consumed, opts.patient.as_deref(), &mut emit)?,
        Format::Hl7 => hl7::read(input, consumed, &mut emit)?,
    };
    if cancel.load(Ordering::Relaxed) {
        return Err(ImportError::Cancelled);
    }
    engine.close_run()?;
    engine.summary.shape = shape;
    engine.summary.lines.sort_by_key(|l| l.line);
    let mut summary = engine.summary;
    if write && summary.new > 0 {
        engine.tx.commit()?;
        summary.written = true;
    }
    progress(1.0);
    Ok(summary)
}

/// Where the clinic's mapping file is looked for: beside a database file;
/// for a server database, in this workstation's Clinilog data folder.
pub fn mapping_folder(location: &clinilog_store::Location) -> Option<std::path::PathBuf> {
    match location.file() {
        Some(db) => db.parent().map(Path::to_owned),
        None => directories::ProjectDirs::from("", "", "clinilog").map(|d| d.data_dir().to_owned()),
    }
}

/// The name of a clinic's mapping file, looked for beside the database.
pub const MAPPING_FILE: &str = "clinilog-mapping.toml";

/// The clinic's own test codes: `explicit` when given (it must exist),
/// else [`MAPPING_FILE`] beside the database when there is one.
pub fn local_codes_for(
    location: &clinilog_store::Location,
    explicit: Option<&Path>,
    catalog: &Catalog,
) -> Result<LocalCodes, String> {
    let beside = mapping_folder(location).map(|d| d.join(MAPPING_FILE));
    let path = match (explicit, beside) {
        (Some(p), _) => p.to_owned(),
        (None, Some(p)) if p.is_file() => p,
        _ => return Ok(LocalCodes::default()),
    };
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("cannot read the mapping file {}: {e}", path.display()))?;
    LocalCodes::parse(&text, &path.display().to_string(), catalog)
}

/// Writes the lines that were not imported (rejected, conflicting,
/// skipped), with the reason, as CSV (for `--report`).
pub struct RejectedLines<W: std::io::Write> {
    writer: ::csv::Writer<W>,
    error: Option<::csv::Error>,
}

impl<W: std::io::Write> RejectedLines<W> {
    pub const HEADER: [&str; 10] = [
        "line", "status", "reason", "mrn", "date", "test", "measure", "value", "unit", "interval",
    ];

    pub fn new(mut out: W) -> Result<Self, ::csv::Error> {
        out.write_all(crate::csv::BOM)?;
        let mut writer = ::csv::Writer::from_writer(out);
        writer.write_record(Self::HEADER)?;
        Ok(Self { writer, error: None })
    }

    /// Adds the line when it was not imported.
    pub fn line(&mut self, l: &PreviewLine) {
        if matches!(l.status, LineStatus::New | LineStatus::Present) || self.error.is_some() {
            return;
        }
        let row = [
            l.line.to_string(),
            l.status.label().to_owned(),
            l.status.reason().to_owned(),
            l.mrn.clone(),
            l.date_text.clone(),
            l.test.clone(),
            l.measure.clone().unwrap_or_default(),
            l.value.clone(),
            l.unit.clone(),
            l.interval.clone(),
        ];
        if let Err(e) = self
            .writer
            .write_record(row.iter().map(|c| crate::csv::safe_cell(c).into_owned()))
        {
            self.error = Some(e);
        }
    }

    pub fn finish(mut self) -> Result<(), ::csv::Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.writer.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn counts_read_with_their_thousands_grouped() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1_000_000), "1,000,000");
        assert_eq!(grouped(12_345_678), "12,345,678");
    }
}
