//! A printed lab report read back into values: the pure rules.
//!
//! A reader in `interop/capture` hands out the report's words with their
//! boxes (from a text PDF's glyphs, or from Tesseract on a scan). This
//! module rebuilds the lines ([`rebuild_lines`]), finds the table's columns
//! from its header row (`Test | Result | Unit | Reference`, in any order,
//! repeated on a two-column page) or, without one, from what each cell looks
//! like, and reads on each row a test name, a value with its comparator, a
//! unit and the printed interval ([`read_rows`]). [`propose`] then matches
//! each row to a catalog measure ([`TestMap`]) and checks the value with the
//! rules of a typed line ([`read_value`]): what passes is proposed, what
//! does not is listed with why, never guessed. The patient and the
//! collection date printed in the header are read by [`read_header`].

use jiff::civil::Date;

use super::catalog::{Catalog, display_unit};
use super::import::{DateOrder, RawResult, ReadValue, TestMap, ValueProblem, name_key, read_value};
use super::names::{NameMatch, NameMatcher};
use super::number::Decimal;
use super::patient::Sex;

/// The report file an entry was read from, kept with it: its name as
/// chosen, its type, its SHA-256 (hex) and its bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceDocument {
    pub name: String,
    pub media_type: String,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

/// A kept report as listed (without its bytes).
#[derive(Clone, Debug, PartialEq)]
pub struct DocumentInfo {
    pub id: i64,
    pub name: String,
    pub media_type: String,
    pub sha256: String,
    pub size: i64,
    pub added_at: String,
}

/// A box on a page, in the page's units (PDF points, or a scan's pixels),
/// y growing downwards.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rect {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

impl Rect {
    pub fn union(self, o: Rect) -> Rect {
        Rect {
            x0: self.x0.min(o.x0),
            y0: self.y0.min(o.y0),
            x1: self.x1.max(o.x1),
            y1: self.y1.max(o.y1),
        }
    }

    pub fn height(self) -> f32 {
        self.y1 - self.y0
    }

    pub fn center_x(self) -> f32 {
        (self.x0 + self.x1) / 2.0
    }

    fn overlap_y(self, o: Rect) -> f32 {
        (self.y1.min(o.y1) - self.y0.max(o.y0)).max(0.0)
    }
}

/// One word of a report as read.
#[derive(Clone, Debug, PartialEq)]
pub struct Word {
    pub text: String,
    /// From 0.
    pub page: usize,
    pub rect: Rect,
    /// Tesseract's confidence (0 to 100) for a scanned word; `None` for the
    /// text of a PDF, which is exact.
    pub confidence: Option<f32>,
}

/// A line of the page: words side by side, left to right.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub page: usize,
    pub rect: Rect,
    pub words: Vec<Word>,
}

impl Line {
    pub fn text(&self) -> String {
        self.words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ")
    }

    /// The words cut where the gap is wider than a space: table cells.
    fn cells(&self) -> Vec<Vec<&Word>> {
        let gap = cell_gap(self.rect.height());
        let mut cells: Vec<Vec<&Word>> = Vec::new();
        let mut last_x1 = f32::MIN;
        for w in &self.words {
            match cells.last_mut() {
                Some(cell) if w.rect.x0 - last_x1 < gap => cell.push(w),
                _ => cells.push(vec![w]),
            }
            last_x1 = w.rect.x1;
        }
        cells
    }
}

/// A gap wider than this (for a line this high) ends a cell: a space is
/// about a quarter of the font's size, a column gap more than one.
fn cell_gap(line_height: f32) -> f32 {
    line_height * 0.9
}

/// Words into lines: on each page, words whose boxes overlap by half their
/// height are one line; lines top to bottom, words left to right.
pub fn rebuild_lines(mut words: Vec<Word>) -> Vec<Line> {
    words.retain(|w| !w.text.trim().is_empty());
    words.sort_by(|a, b| {
        (a.page, a.rect.y0 + a.rect.y1)
            .partial_cmp(&(b.page, b.rect.y0 + b.rect.y1))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut lines: Vec<Line> = Vec::new();
    for w in words {
        let joins = lines
            .iter_mut()
            .rev()
            .take(3)
            .find(|l| l.page == w.page && l.rect.overlap_y(w.rect) > 0.5 * w.rect.height().min(l.rect.height()));
        match joins {
            Some(line) => {
                line.rect = line.rect.union(w.rect);
                line.words.push(w);
            }
            None => lines.push(Line {
                page: w.page,
                rect: w.rect,
                words: vec![w],
            }),
        }
    }
    for l in &mut lines {
        l.words
            .sort_by(|a, b| a.rect.x0.partial_cmp(&b.rect.x0).unwrap_or(std::cmp::Ordering::Equal));
    }
    lines.sort_by(|a, b| {
        (a.page, a.rect.y0)
            .partial_cmp(&(b.page, b.rect.y0))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    lines
}

/// What a column of the results table holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    Test,
    Result,
    Unit,
    Interval,
    Flag,
    /// A column Clinilog does not read (method, specimen).
    Other,
}

fn column_of(header: &str) -> Option<Column> {
    let k = name_key(header);
    let is = |words: &[&str]| words.iter().any(|w| k == *w);
    let starts = |words: &[&str]| words.iter().any(|w| k.starts_with(w));
    if is(&[
        "test",
        "tests",
        "testname",
        "investigation",
        "investigations",
        "parameter",
        "parameters",
        "analyte",
        "examination",
        "testdescription",
        "description",
        "particulars",
        "testparameter",
        "testparameters",
        "parametername",
        "investigationname",
        "component",
        "testdetails",
    ]) {
        Some(Column::Test)
    } else if is(&[
        "result",
        "results",
        "value",
        "observedvalue",
        "observed",
        "yourresult",
        "resultvalue",
        "observation",
        "observations",
        "observedvalues",
        "yourvalue",
        "patientvalue",
        "finalresult",
    ]) {
        Some(Column::Result)
    } else if is(&["unit", "units", "uom", "unitofmeasure", "unitofmeasurement"]) {
        Some(Column::Unit)
    } else if starts(&[
        "reference",
        "ref",
        "normal",
        "biological",
        "bioref",
        "range",
        "interval",
        "expected",
    ]) {
        Some(Column::Interval)
    } else if is(&["flag", "flags", "hl", "status"]) {
        Some(Column::Flag)
    } else if is(&[
        "method",
        "methodology",
        "technology",
        "specimen",
        "sample",
        "sampletype",
        "specimentype",
        "comment",
        "remarks",
        "loinc",
        "code",
    ]) {
        Some(Column::Other)
    } else {
        None
    }
}

/// A table header: its columns from left to right, each with the x where
/// its heading starts and ends.
#[derive(Clone, Debug, PartialEq)]
pub struct TableHeader {
    pub columns: Vec<(Column, f32, f32)>,
}

impl TableHeader {
    /// Reads a line as a header row when its cells name a result column and
    /// a test column (and nothing that is not a heading).
    pub fn of(line: &Line) -> Option<TableHeader> {
        let mut columns = Vec::new();
        for cell in line.cells() {
            let text = cell.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ");
            let rect = cell.iter().fold(cell[0].rect, |r, w| r.union(w.rect));
            let col = column_of(&text).or_else(|| {
                // `Reference Interval`, `Test Name`: the first word decides
                // when the whole cell does not.
                column_of(cell[0].text.as_str()).filter(|c| *c != Column::Other)
            })?;
            columns.push((col, rect.x0, rect.x1));
        }
        let has = |c| columns.iter().any(|(k, _, _)| *k == c);
        (has(Column::Result) && has(Column::Test)).then_some(TableHeader { columns })
    }

    /// The column a word centred at `x` is under: the boundary between two
    /// columns is the middle of the gap between their headings.
    fn column_at(&self, x: f32) -> usize {
        let mut i = 0;
        while i + 1 < self.columns.len() {
            let boundary = (self.columns[i].2 + self.columns[i + 1].1) / 2.0;
            if x < boundary {
                return i;
            }
            i += 1;
        }
        i
    }
}

/// One row of the results table as printed, each part as text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row {
    pub page: usize,
    /// The row on its page (name to interval), for the crop shown beside the value.
    pub rect: Rect,
    pub test: String,
    pub value: String,
    pub unit: String,
    pub interval: String,
    pub flag: String,
    /// The lowest OCR confidence of the value's and unit's words (`None`: a text PDF).
    pub confidence: Option<f32>,
    /// The name as printed on the value's own line (`test` may have a
    /// wrapped second line joined to it).
    pub line_name: String,
    /// The row this one is printed under (`BILIRUBIN` for `DIRECT`), empty
    /// when none.
    pub parent: String,
}

/// A number as labs print one: digits, one `.` or `,`, perhaps a comparator.
fn is_value(t: &str) -> bool {
    let t = t.trim();
    let t = t
        .strip_prefix(['<', '>', '≤', '≥'])
        .unwrap_or(t)
        .trim_start_matches('=')
        .trim();
    !t.is_empty()
        && t.chars().next().is_some_and(|c| c.is_ascii_digit())
        && t.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        && (t.chars().filter(|c| *c == '.' || *c == ',').count() <= 1 || Decimal::parse(t).is_ok())
}

/// A line under a row that is no part of its name: the method, the
/// specimen or a note printed under the test (`Method: IFCC`, `(IFCC without
/// P5P)`, `Serum`), often in smaller type.
fn is_method_line(text: &str, height: f32, row_height: f32) -> bool {
    let t = text.trim();
    let lower = t.to_lowercase();
    let specimen = [
        "serum",
        "plasma",
        "blood",
        "whole blood",
        "edta",
        "edta whole blood",
        "calculated",
        "citrated plasma",
    ];
    (t.starts_with('(') && t.ends_with(')'))
        || specimen.contains(&lower.trim_end_matches('.'))
        || [
            "method",
            "sample:",
            "sample type",
            "specimen",
            "note:",
            "technology",
            "principle",
            "ifcc",
        ]
        .iter()
        .any(|w| lower.starts_with(w))
        || (row_height > 0.0 && height < row_height * 0.8)
}

/// A section heading or a parent row: the name in capitals where the row
/// above is not (`PLATELET COUNT` above `Platelet Count`).
fn is_heading(text: &str, row_above: &str) -> bool {
    let caps = |t: &str| {
        let letters: Vec<char> = t.chars().filter(|c| c.is_alphabetic()).collect();
        letters.len() >= 3 && letters.iter().all(|c| c.is_uppercase())
    };
    caps(text) && !caps(row_above)
}

fn is_flag(t: &str) -> bool {
    matches!(
        t.trim().trim_matches('*').to_lowercase().as_str(),
        "h" | "l" | "high" | "low" | "hh" | "ll" | "n" | "a" | "abnormal" | "" | "↑" | "↓" | "borderline" | "critical"
    )
}

fn is_interval_text(t: &str) -> bool {
    let l = t.trim().to_lowercase();
    l.starts_with("up to")
        || l.starts_with("upto")
        || l.starts_with('<')
        || l.starts_with('>')
        || l.starts_with('(')
        || l.starts_with("m:")
        || l.starts_with("m ")
        || l.ends_with("max")
        || l.ends_with("min")
        || (l.chars().next().is_some_and(|c| c.is_ascii_digit())
            && (l.contains('-') || l.contains('–') || l.contains(" to ")))
}

fn looks_like_unit(t: &str) -> bool {
    let t = t.trim();
    !t.is_empty()
        && t.len() <= 12
        && !t.contains(' ')
        && (t.contains('/')
            || t.contains('%')
            || t.contains('^')
            || t.eq_ignore_ascii_case("sec")
            || t.eq_ignore_ascii_case("s")
            || t.eq_ignore_ascii_case("ratio")
            || t.eq_ignore_ascii_case("inr"))
}

fn words_text(words: &[&Word]) -> String {
    words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ")
}

/// A scan's specks at the edges of a cell: tokens of nothing but marks
/// (`~`, `|`, `-`, `‘`), and quote marks stuck to the first word. A `<`,
/// `>` or parenthesis is kept.
pub fn trim_specks(text: &str) -> String {
    let speck = |c: char| "~‘’'\"|_—–-•·.,:;`".contains(c);
    let mut tokens: Vec<&str> = text.split_whitespace().collect();
    while tokens.first().is_some_and(|t| t.chars().all(speck)) {
        tokens.remove(0);
    }
    while tokens.last().is_some_and(|t| t.chars().all(speck)) {
        tokens.pop();
    }
    let joined = tokens.join(" ");
    joined
        .trim_start_matches(['‘', '’', '\'', '"', '`', '~', '|'])
        .trim_end_matches(['|', '~'])
        .trim()
        .to_owned()
}

fn min_confidence(words: &[&Word]) -> Option<f32> {
    words.iter().filter_map(|w| w.confidence).reduce(f32::min)
}

/// The table rows of a report: under a header row, each line cut into the
/// header's columns (a header repeated side by side makes two tables on a
/// line); a line with no header above it is read by what its cells look
/// like (name, value, unit, interval). Lines that hold no value are not rows.
pub fn read_rows(lines: &[Line]) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut header: Option<(usize, Vec<TableHeader>)> = None;
    // Per table on the line, the row read from the line above.
    let mut last_row: [Option<usize>; 4] = [None; 4];
    // Per table, the heading the rows below are printed under, and the
    // height of the last row's line.
    let mut parent: [String; 4] = Default::default();
    let mut row_height = [0f32; 4];
    for line in lines {
        if let Some(h) = TableHeader::of(line) {
            header = Some((line.page, split_tables(h)));
            parent = Default::default();
            continue;
        }
        match &header {
            Some((page, tables)) if *page == line.page => {
                for (i, table) in tables.iter().enumerate() {
                    let end = tables
                        .get(i + 1)
                        .map_or(f32::MAX, |t| t.columns[0].1 - line.rect.height() * 0.5);
                    let start = if i == 0 {
                        f32::MIN
                    } else {
                        table.columns[0].1 - line.rect.height() * 0.5
                    };
                    let words: Vec<&Word> = line
                        .words
                        .iter()
                        .filter(|w| w.rect.center_x() >= start && w.rect.center_x() < end)
                        .collect();
                    let t = i.min(3);
                    match row_under(table, &words, line.page) {
                        Under::Row(mut row) => {
                            row.line_name = row.test.clone();
                            row.parent = parent[t].clone();
                            row_height[t] = line.rect.height();
                            last_row[t] = Some(rows.len());
                            rows.push(row);
                        }
                        // A method or specimen line under the name: no part of it.
                        Under::NameOnly(text, rect) if is_method_line(&text, rect.height(), row_height[t]) => {}
                        // A name wrapped onto a second line (`Alkaline` /
                        // `Phosphatase` in a narrow column): it belongs to
                        // the row just above. A heading starts the rows
                        // below it instead (`BILIRUBIN` above `DIRECT`).
                        Under::NameOnly(text, rect) => {
                            match last_row[t].and_then(|k| rows.get_mut(k)) {
                                Some(prev)
                                    if rect.y0 - prev.rect.y1 < rect.height()
                                        && !is_heading(&text, &prev.line_name) =>
                                {
                                    prev.test = format!("{} {text}", prev.test);
                                    prev.rect = prev.rect.union(rect);
                                }
                                _ => parent[t] = trim_specks(&text),
                            }
                            last_row[t] = None;
                        }
                        Under::Nothing => last_row[i.min(3)] = None,
                    }
                }
            }
            _ => {
                let by_shape = rows_by_shape(line);
                if by_shape.is_empty() {
                    rows.extend(row_of_labelled_line(line));
                } else {
                    rows.extend(by_shape);
                }
            }
        }
    }
    rows
}

/// A header row that repeats its headings (a two-column page) as one table per repetition.
fn split_tables(h: TableHeader) -> Vec<TableHeader> {
    let mut tables: Vec<TableHeader> = Vec::new();
    for c in h.columns {
        match tables.last_mut() {
            Some(t) if c.0 != Column::Test => t.columns.push(c),
            _ => tables.push(TableHeader { columns: vec![c] }),
        }
    }
    tables
}

enum Under {
    Row(Row),
    NameOnly(String, Rect),
    Nothing,
}

fn row_under(table: &TableHeader, words: &[&Word], page: usize) -> Under {
    let mut parts: Vec<Vec<&Word>> = vec![Vec::new(); table.columns.len()];
    for w in words {
        parts[table.column_at(w.rect.center_x())].push(w);
    }
    let of = |c: Column| -> Vec<&Word> {
        table
            .columns
            .iter()
            .zip(&parts)
            .filter(|((k, _, _), _)| *k == c)
            .flat_map(|(_, p)| p.iter().copied())
            .collect()
    };
    let (test, mut value, unit, interval, flag) = (
        of(Column::Test),
        of(Column::Result),
        of(Column::Unit),
        of(Column::Interval),
        of(Column::Flag),
    );
    if !test.is_empty() && words.len() == test.len() {
        let rect = test.iter().fold(test[0].rect, |r, w| r.union(w.rect));
        return Under::NameOnly(words_text(&test), rect);
    }
    if test.is_empty() || value.is_empty() {
        return Under::Nothing;
    }
    // A flag printed beside the value in the result column (`12.30 H`).
    let mut flag_text = words_text(&flag);
    if value.len() > 1
        && value.last().is_some_and(|w| is_flag(&w.text) && !is_value(&w.text))
        && let Some(w) = value.pop()
    {
        flag_text = w.text.clone();
    }
    let mut value_text = words_text(&value);
    // `< 40`: the comparator printed apart from its number.
    if value.len() == 2 && matches!(value[0].text.as_str(), "<" | ">") {
        value_text = format!("{}{}", value[0].text, value[1].text);
    }
    let mut unit_text = words_text(&unit);
    // A unit printed in the result column (`70 U/L`) when there is no unit column.
    if !is_value(&value_text) && value.len() == 2 && is_value(&value[0].text) && unit.is_empty() {
        value_text = value[0].text.clone();
        unit_text = value[1].text.clone();
    }
    // A result that is no number (a scan's smudge, `see note`) is still a
    // row: listed as not read, with its picture, never dropped.
    if value_text.trim().is_empty() {
        return Under::Nothing;
    }
    let all: Vec<&Word> = words.to_vec();
    let rect = all.iter().fold(all[0].rect, |r, w| r.union(w.rect));
    let mut sure: Vec<&Word> = value.clone();
    sure.extend(&unit);
    // A flag printed between the result and the interval, under the
    // interval's heading (`High 10.00 - 49.00`).
    let mut interval_text = trim_specks(&words_text(&interval));
    if let Some((first, rest)) = interval_text.split_once(' ')
        && !first.is_empty()
        && is_flag(first)
        && first.chars().all(char::is_alphabetic)
        && !rest.trim().is_empty()
        && flag_text.trim().is_empty()
    {
        flag_text = first.to_owned();
        interval_text = rest.trim().to_owned();
    }
    Under::Row(Row {
        page,
        rect,
        test: trim_specks(&words_text(&test)),
        value: trim_specks(&value_text),
        unit: trim_specks(&unit_text),
        interval: interval_text,
        flag: flag_text,
        confidence: min_confidence(&sure),
        ..Row::default()
    })
}

/// A line under no header: name cells, then a value, then a unit, an
/// interval and a flag in any order, as their shapes say. Two results side
/// by side (a second name after a value) make two rows.
fn rows_by_shape(line: &Line) -> Vec<Row> {
    let cells = line.cells();
    let mut rows = Vec::new();
    let mut i = 0;
    while i < cells.len() {
        // The name: cells up to the first value.
        let start = i;
        let mut name: Vec<&Word> = Vec::new();
        while i < cells.len() && !is_value(&words_text(&cells[i])) && !starts_with_value(&cells[i]) {
            name.extend(cells[i].iter().copied());
            i += 1;
        }
        if i >= cells.len() || name.is_empty() || !name.iter().any(|w| w.text.chars().any(char::is_alphabetic)) {
            break;
        }
        let value_cell = &cells[i];
        let (value_words, unit_in_cell): (Vec<&Word>, Vec<&Word>) = if is_value(&words_text(value_cell)) {
            (value_cell.clone(), Vec::new())
        } else {
            (vec![value_cell[0]], value_cell[1..].to_vec())
        };
        i += 1;
        let mut row = Row {
            page: line.page,
            test: words_text(&name),
            value: words_text(&value_words).replace(' ', ""),
            unit: words_text(&unit_in_cell),
            ..Row::default()
        };
        let mut sure = value_words.clone();
        sure.extend(&unit_in_cell);
        let mut last = value_cell.last().map_or(line.rect, |w| w.rect);
        while i < cells.len() {
            let t = words_text(&cells[i]);
            if row.interval.is_empty() && is_interval_text(&t) {
                row.interval = t;
            } else if row.unit.is_empty() && looks_like_unit(&t) {
                row.unit = t;
                sure.extend(cells[i].iter().copied());
            } else if row.flag.is_empty() && is_flag(&t) {
                row.flag = t;
            } else {
                break;
            }
            last = cells[i].last().map_or(last, |w| w.rect);
            i += 1;
        }
        // A flag printed in the value's cell (`12.30 H`).
        if row.unit.split_whitespace().count() == 1 && is_flag(&row.unit) && row.flag.is_empty() {
            row.flag = std::mem::take(&mut row.unit);
        }
        let first = cells[start][0].rect;
        row.rect = Rect { x1: last.x1, ..first }.union(Rect {
            x0: first.x0,
            y0: line.rect.y0,
            x1: last.x1,
            y1: line.rect.y1,
        });
        row.confidence = min_confidence(&sure);
        for part in [&mut row.test, &mut row.unit, &mut row.interval] {
            *part = trim_specks(part);
        }
        row.line_name = row.test.clone();
        if is_value(&row.value) && (!row.unit.is_empty() || !row.interval.is_empty()) {
            rows.push(row);
        }
    }
    rows
}

/// A result printed as a sentence, in one cell: `Hemoglobin: 11.2 g/dL
/// (Ref: 12.0 - 15.5)`. The name ends with a colon; a unit or an interval
/// follows the value.
fn row_of_labelled_line(line: &Line) -> Option<Row> {
    let words: Vec<&Word> = line.words.iter().collect();
    let at = words.iter().position(|w| is_value(&w.text))?;
    let name = words_text(&words[..at]);
    let name = name.trim().strip_suffix(':')?.trim();
    if name.is_empty() || name.contains(':') || !name.chars().any(char::is_alphabetic) {
        return None;
    }
    let mut rest = &words[at + 1..];
    let unit = match rest.first() {
        Some(w) if looks_like_unit(&w.text) => {
            rest = &rest[1..];
            w.text.clone()
        }
        _ => String::new(),
    };
    let interval = words_text(rest);
    if unit.is_empty() && !interval.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(Row {
        page: line.page,
        rect: line.rect,
        test: trim_specks(name),
        value: words[at].text.clone(),
        unit,
        interval: trim_specks(&interval),
        confidence: min_confidence(&words[at..]),
        line_name: trim_specks(name),
        ..Row::default()
    })
}

fn starts_with_value(cell: &[&Word]) -> bool {
    cell.len() >= 2 && is_value(&cell[0].text) && looks_like_unit(&cell[1].text)
}

/// A printed interval in the shapes labs use, for this patient's sex: the
/// low and high limits as printed (either may be empty). `None` when the
/// text is no interval Clinilog reads (then the value is not proposed).
pub fn read_interval(raw: &str, sex: Sex) -> Option<(String, String)> {
    let t = raw.trim().trim_start_matches('(').trim_end_matches(')').trim();
    if t.is_empty() {
        return Some((String::new(), String::new()));
    }
    // A label before the interval (`Ref: 12.0 - 15.5`, `Normal range: ...`).
    let lower_all = t.to_lowercase();
    for label in [
        "bio. ref. interval:",
        "biological reference interval:",
        "reference range:",
        "reference interval:",
        "normal range:",
        "ref. range:",
        "ref range:",
        "reference:",
        "normal:",
        "ref.:",
        "ref:",
        "ref.",
    ] {
        if lower_all.starts_with(label) {
            return read_interval(&t[label.len()..], sex);
        }
    }
    let lower = t.to_lowercase();
    // `M: 0.7-1.3 F: 0.6-1.1`: the patient's sex chooses; unknown, none.
    if lower.starts_with("m:") || lower.starts_with("m ") || lower.starts_with("f:") || lower.starts_with("male") {
        let (m, f) = split_by_sex(&lower)?;
        return match sex {
            Sex::Male => read_interval(&m, sex),
            Sex::Female => read_interval(&f, sex),
            Sex::Other | Sex::Unknown => None,
        };
    }
    let number = |s: &str| -> Option<String> {
        let s = s.trim();
        let s = s.split_whitespace().next().unwrap_or("");
        if !is_value(s) {
            return None;
        }
        // `4,800`: a decimal comma or thousands? Not read, never guessed.
        if let Some((int, frac)) = s.split_once(',')
            && !frac.contains(',')
            && frac.len() == 3
            && int.len() <= 3
            && !frac.contains('.')
        {
            return None;
        }
        Decimal::parse(s).ok().map(|d| d.as_str().to_owned())
    };
    for prefix in ["up to", "upto", "<=", "≤", "<"] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            return Some((String::new(), number(rest)?));
        }
    }
    for prefix in [">=", "≥", ">"] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            return Some((number(rest)?, String::new()));
        }
    }
    for suffix in ["max", "max."] {
        if let Some(rest) = lower.strip_suffix(suffix) {
            return Some((String::new(), number(rest)?));
        }
    }
    for suffix in ["min", "min."] {
        if let Some(rest) = lower.strip_suffix(suffix) {
            return Some((number(rest)?, String::new()));
        }
    }
    for sep in [" - ", " – ", " to ", "–", "-"] {
        if let Some((a, b)) = lower.split_once(sep) {
            let (a, b) = (number(a)?, number(b)?);
            let unit_after = b.len() < lower.split_once(sep).map_or(0, |(_, rest)| rest.trim().len());
            let _ = unit_after;
            return Some((a, b));
        }
    }
    None
}

fn split_by_sex(lower: &str) -> Option<(String, String)> {
    let norm = lower.replace("female", "f").replace("male", "m");
    let m_at = norm.find("m:").or_else(|| norm.find("m "))?;
    let f_at = norm.find("f:").or_else(|| norm.find("f "))?;
    let part = |at: usize, end: usize| norm[at + 2..end].trim().trim_end_matches([',', ';']).trim().to_owned();
    if m_at < f_at {
        Some((part(m_at, f_at), part(f_at, norm.len())))
    } else {
        Some((part(m_at, norm.len()), part(f_at, m_at)))
    }
}

/// What became of one row of the report.
#[derive(Clone, Debug, PartialEq)]
pub enum Reading {
    /// Read, checked as a typed line would be, and proposed.
    Read(ReadValue),
    /// Not proposed, with why (the crop is shown; the line is left empty).
    NotRead(String),
}

/// One row of the report and what it became.
#[derive(Clone, Debug, PartialEq)]
pub struct Proposal {
    pub row: Row,
    /// The catalog measure the test name was matched to.
    pub measure: Option<String>,
    pub reading: Reading,
    /// Sure enough to be saved without a look (`capture` without `--all`):
    /// a text PDF's value, or a scan's value read with high confidence.
    pub confident: bool,
    /// The low and high limits as read from the printed interval.
    pub interval: (String, String),
}

/// OCR confidence (0 to 100) under which a scanned value is never proposed
/// as confident: it goes to the form to be compared with its crop.
pub const CONFIDENT_OCR: f32 = 85.0;

/// Each row matched to a catalog measure and checked as a typed line. A
/// measure printed twice keeps its first row; later ones are listed as not
/// read. `unusual_ok`: values unusual for their measure are proposed (they
/// are still held for confirmation in the form).
pub fn propose(rows: &[Row], catalog: &Catalog, tests: &TestMap, sex: Sex) -> Vec<Proposal> {
    let mut out: Vec<Proposal> = Vec::new();
    let matcher = NameMatcher::new(catalog, tests);
    for row in rows {
        let not_read = |measure: Option<String>, why: String| Proposal {
            row: row.clone(),
            measure,
            reading: Reading::NotRead(why),
            confident: false,
            interval: Default::default(),
        };
        let code = match name_of(&matcher, row) {
            NameMatch::Measure(code) => code,
            NameMatch::Ambiguous(codes) => {
                let names: Vec<String> = codes
                    .iter()
                    .map(|c| catalog.measure(c).map_or(c.clone(), |m| m.name.clone()))
                    .collect();
                out.push(not_read(
                    None,
                    format!(
                        "\"{}\" could be {}: choose the measure it is",
                        row.test,
                        names.join(" or ")
                    ),
                ));
                continue;
            }
            // Only a line that looks like a result is listed (a number with
            // a unit or an interval): headings, notes and footers are not.
            NameMatch::Unknown if !looks_like_result(row) => continue,
            NameMatch::Unknown => {
                out.push(not_read(
                    None,
                    format!(
                        "\"{}\" is no catalog measure: choose the measure it is, or add it to clinilog-mapping.toml",
                        row.test
                    ),
                ));
                continue;
            }
        };
        let Some(measure) = catalog.measure(&code) else {
            continue;
        };
        if out
            .iter()
            .any(|p| p.measure.as_deref() == Some(code.as_str()) && matches!(p.reading, Reading::Read(_)))
        {
            // A measure named again in a note or a table of causes: no result.
            if !looks_like_result(row) {
                continue;
            }
            out.push(Proposal {
                row: row.clone(),
                measure: Some(code.clone()),
                reading: Reading::NotRead(format!(
                    "{} is printed twice on this report: only the first is read",
                    measure.name
                )),
                confident: false,
                interval: Default::default(),
            });
            continue;
        }
        let Some((low, high)) = read_interval(&row.interval, sex) else {
            let why = if matches!(sex, Sex::Other | Sex::Unknown) && row.interval.to_lowercase().contains("m") {
                format!(
                    "{}: the interval \"{}\" depends on sex, and the patient's sex is not recorded",
                    measure.name, row.interval
                )
            } else {
                format!("{}: the interval \"{}\" is not read", measure.name, row.interval)
            };
            out.push(Proposal {
                row: row.clone(),
                measure: Some(code),
                reading: Reading::NotRead(why),
                confident: false,
                interval: Default::default(),
            });
            continue;
        };
        // A unit printed after the interval when there is no unit column
        // (`2.1 - 5.0 Lakhs/Cumm`).
        let unit = match measure.lab() {
            Some(spec) if row.unit.trim().is_empty() => row
                .interval
                .split_whitespace()
                .last()
                .filter(|u| u.chars().any(char::is_alphabetic))
                .and_then(|u| spec.unit_named(u))
                .map_or_else(String::new, str::to_owned),
            _ => row.unit.clone(),
        };
        let raw = RawResult {
            test: row.test.clone(),
            value: row.value.clone(),
            unit,
            low: low.clone(),
            high: high.clone(),
            ..RawResult::default()
        };
        let reading = match read_value(&raw, measure, catalog, sex, false) {
            Ok(v) => Reading::Read(v),
            // Unusual but well formed: proposed, the form asks to confirm it.
            Err(ValueProblem::Unusual(_)) => match read_value(&raw, measure, catalog, sex, true) {
                Ok(v) => Reading::Read(v),
                Err(e) => Reading::NotRead(e.reason().to_owned()),
            },
            Err(e) => Reading::NotRead(e.reason().to_owned()),
        };
        let confident = matches!(reading, Reading::Read(_)) && row.confidence.is_none_or(|c| c >= CONFIDENT_OCR);
        out.push(Proposal {
            row: row.clone(),
            measure: Some(code),
            reading,
            confident,
            interval: (low, high),
        });
    }
    out
}

/// The measure a row names: its name as printed (a wrapped line joined),
/// else its name on the value's own line, each under its parent row. Two
/// readings that differ are ambiguous.
fn name_of(matcher: &NameMatcher<'_>, row: &Row) -> NameMatch {
    let whole = matcher.find(&row.test, &row.parent);
    if row.line_name.is_empty() || row.line_name == row.test {
        return whole;
    }
    match (whole, matcher.find(&row.line_name, &row.parent)) {
        (NameMatch::Measure(a), NameMatch::Measure(b)) if a != b => NameMatch::Ambiguous(vec![a, b]),
        (NameMatch::Unknown, other) | (other, _) => other,
    }
}

/// A row that holds a result: a number in its result cell, with a unit or
/// an interval.
fn looks_like_result(row: &Row) -> bool {
    row.value.split_whitespace().any(is_value) && (!row.unit.trim().is_empty() || !row.interval.trim().is_empty())
}

impl Proposal {
    /// `Creatinine 1.00 mg/dL (0.6 - 1.5)` or why it was not read.
    pub fn describe(&self, catalog: &Catalog) -> String {
        let name = self
            .measure
            .as_deref()
            .and_then(|c| catalog.measure(c))
            .map_or(self.row.test.as_str(), |m| m.name.as_str());
        match &self.reading {
            Reading::Read(v) => format!("{name}: {}", v.describe(catalog)),
            Reading::NotRead(why) => format!("\"{}\" not read: {why}", self.row.test),
        }
    }

    pub fn unit_shown(&self) -> String {
        match &self.reading {
            Reading::Read(ReadValue::Lab(l)) => display_unit(&l.unit),
            _ => self.row.unit.clone(),
        }
    }
}

/// Who and when, as the report's header printed them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReportHeader {
    pub mrn: Option<String>,
    pub name: Option<String>,
    pub birth_date_text: Option<String>,
    /// The date the entry is dated by, as printed: the collection date, or
    /// when none is printed the date the sample was received, registered
    /// or billed (in that order of trust; never the report's or print date).
    pub collected_text: Option<String>,
    /// The label that date was printed under (`Collected on`, `Registered
    /// On`, `Bill Date`), to be shown with it.
    pub collected_label: Option<String>,
    /// How the report's numeric dates read, when one of them says
    /// (`19/07/2025` can only be day/month/year).
    pub date_order: Option<DateOrder>,
}

impl ReportHeader {
    /// The date is the collection date itself (not a receipt, registration
    /// or bill date standing in for it).
    pub fn is_collection_date(&self) -> bool {
        self.collected_label.as_deref().is_none_or(|l| {
            let l = l.to_lowercase();
            l.contains("collect") || l.contains("sample date") || l.contains("drawn")
        })
    }
}

const LABELS: &[(&str, Field)] = &[
    ("patient id", Field::Mrn),
    ("mrn", Field::Mrn),
    ("uhid", Field::Mrn),
    ("reg. no", Field::Mrn),
    ("registration no", Field::Mrn),
    ("hospital no", Field::Mrn),
    ("patient name", Field::Name),
    ("name", Field::Name),
    ("date of birth", Field::Birth),
    ("dob", Field::Birth),
    ("d.o.b", Field::Birth),
    ("birth date", Field::Birth),
    ("collection date", Field::Dated(0)),
    ("collection date/time", Field::Dated(0)),
    ("collection date & time", Field::Dated(0)),
    ("collection date and time", Field::Dated(0)),
    ("collected on", Field::Dated(0)),
    ("collected date", Field::Dated(0)),
    ("collected", Field::Dated(0)),
    ("sample date", Field::Dated(0)),
    ("date of collection", Field::Dated(0)),
    ("date of sample collection", Field::Dated(0)),
    ("sample collection date", Field::Dated(0)),
    ("specimen collected", Field::Dated(0)),
    ("specimen collection date", Field::Dated(0)),
    ("sample collected", Field::Dated(0)),
    ("sample collected on", Field::Dated(0)),
    ("sample drawn on", Field::Dated(0)),
    ("drawn on", Field::Dated(0)),
    ("received on", Field::Dated(1)),
    ("received", Field::Dated(1)),
    ("received date", Field::Dated(1)),
    ("sample received on", Field::Dated(1)),
    ("sample received", Field::Dated(1)),
    ("receiving date", Field::Dated(1)),
    ("date of receipt", Field::Dated(1)),
    ("registered on", Field::Dated(2)),
    ("registered", Field::Dated(2)),
    ("registration date", Field::Dated(2)),
    ("registration on", Field::Dated(2)),
    ("reg. date", Field::Dated(2)),
    ("regd. on", Field::Dated(2)),
    ("reg. on", Field::Dated(2)),
    ("bill date", Field::Dated(3)),
    ("billing date", Field::Dated(3)),
    ("bill dt", Field::Dated(3)),
];

/// Labels whose value is not read but which end the value before them.
const OTHER_LABELS: &[&str] = &[
    "reported",
    "reported on",
    "report date",
    "printed",
    "printed on",
    "generated on",
    "age",
    "sex",
    "gender",
    "ref. by",
    "referred by",
    "doctor",
    "lab no",
    "page",
    "report status",
    "processed at",
    "collected at",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Mrn,
    Name,
    Birth,
    /// A date the entry may be dated by, and its rank: 0 collected, 1
    /// received, 2 registered, 3 billed.
    Dated(u8),
}

fn label_at(lower: &str, at: usize) -> Option<(usize, Option<Field>)> {
    let before_ok = at == 0 || !lower.as_bytes()[at - 1].is_ascii_alphanumeric();
    if !before_ok {
        return None;
    }
    let rest = &lower[at..];
    let mut best: Option<(usize, Option<Field>)> = None;
    for (label, f) in LABELS {
        if rest.starts_with(label) && best.is_none_or(|(n, _)| label.len() > n) {
            best = Some((label.len(), Some(*f)));
        }
    }
    for label in OTHER_LABELS {
        if rest.starts_with(label) && best.is_none_or(|(n, _)| label.len() > n) {
            best = Some((label.len(), None));
        }
    }
    let (n, f) = best?;
    // A label is followed by `:` (perhaps after spaces); a date's label may
    // stand alone before its date (`Registered On   26-Jul-2025`).
    let after = rest[n..].trim_start();
    if after.starts_with(':') {
        return Some((lower.len() - after.len() + 1, f));
    }
    let spaced = rest[n..].starts_with(' ');
    (matches!(f, Some(Field::Dated(_))) && spaced && after.starts_with(|c: char| c.is_ascii_digit()))
        .then_some((lower.len() - after.len(), f))
}

/// A printed date without its time (`26-Jul-2025 09:37`, `3/5/2026
/// 11:35:00AM`, `03:11 PM 02 Dec, 2025`): its first three words that are
/// no time.
fn date_words(value: &str) -> String {
    let is_time = |w: &str| {
        let l = w.to_lowercase();
        let l = l
            .trim_end_matches("am")
            .trim_end_matches("pm")
            .trim_end_matches(['.', ',']);
        l.is_empty() || (l.contains(':') && l.chars().all(|c| c.is_ascii_digit() || c == ':'))
    };
    value
        .split_whitespace()
        .filter(|w| !is_time(w) && !matches!(w.to_lowercase().as_str(), "am" | "pm" | "hrs" | "hours"))
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads the patient and the collection date from the lines above the
/// results (labels such as `Patient ID:`, `Name:`, `DOB:`, `Collected:`).
/// Without a collection date, a receipt, registration or bill date stands
/// in, its label kept; a report or print date never does.
pub fn read_header(lines: &[Line]) -> ReportHeader {
    let mut h = ReportHeader::default();
    let mut orders: Vec<DateOrder> = Vec::new();
    // The best-ranked date found: (rank, label as printed, text).
    let mut dated: Option<(u8, String, String)> = None;
    for line in lines {
        let text = line.text();
        let lower = text.to_lowercase();
        if lower.len() != text.len() {
            continue;
        }
        // Every label on the line, with where its value starts.
        let mut found: Vec<(usize, usize, Option<Field>)> = Vec::new();
        let mut at = 0;
        while at < lower.len() {
            if lower.is_char_boundary(at)
                && let Some((value_at, f)) = label_at(&lower, at)
            {
                found.push((at, value_at, f));
                at = value_at;
                continue;
            }
            at += 1;
        }
        for (i, (label_at, value_at, f)) in found.iter().enumerate() {
            let end = found.get(i + 1).map_or(text.len(), |n| n.0);
            let value = text[*value_at..end]
                .trim()
                .trim_end_matches([',', ';', '|'])
                .trim()
                .to_owned();
            if value.is_empty() {
                continue;
            }
            let slot = match f {
                Some(Field::Mrn) => &mut h.mrn,
                Some(Field::Name) => &mut h.name,
                Some(Field::Birth) => &mut h.birth_date_text,
                Some(Field::Dated(rank)) => {
                    let date = date_words(&value);
                    // `Collected On .`: printed empty.
                    if date.chars().any(|c| c.is_ascii_digit()) && dated.as_ref().is_none_or(|(r, _, _)| rank < r) {
                        let label = text[*label_at..*value_at]
                            .trim()
                            .trim_end_matches(':')
                            .trim()
                            .to_owned();
                        dated = Some((*rank, label, date));
                    }
                    continue;
                }
                None => continue,
            };
            if slot.is_none() {
                let value = match f {
                    Some(Field::Mrn) => value.split_whitespace().next().unwrap_or("").to_owned(),
                    Some(Field::Birth) => date_words(&value),
                    _ => value,
                };
                *slot = Some(value);
            }
        }
        for word in &line.words {
            if let Some(o) = order_told(&word.text) {
                orders.push(o);
            }
        }
    }
    if let Some((_, label, text)) = dated {
        h.collected_label = Some(label);
        h.collected_text = Some(text);
    }
    orders.dedup();
    if orders.len() == 1 {
        h.date_order = orders.first().copied();
    }
    h
}

/// `19/07/2025` says day/month/year (19 is no month); `07/19/2025`
/// month/day/year; `04/08/2025` says nothing.
fn order_told(word: &str) -> Option<DateOrder> {
    let parts: Vec<&str> = word.trim_matches([',', ';']).split(['/', '.', '-']).collect();
    if parts.len() != 3
        || parts[2].len() != 4
        || !parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let (a, b) = (parts[0].parse::<u32>().ok()?, parts[1].parse::<u32>().ok()?);
    match (a > 12 && a <= 31 && b <= 12, b > 12 && b <= 31 && a <= 12) {
        (true, false) => Some(DateOrder::Dmy),
        (false, true) => Some(DateOrder::Mdy),
        _ => None,
    }
}

/// Reads a printed date: what [`super::import::read_date`] reads, plus
/// month names (`19-Jul-2025`, `19 Jul 2025`, `Jul 19, 2025`).
pub fn read_report_date(raw: &str, order: Option<DateOrder>) -> Result<Date, String> {
    let t = raw.trim();
    let months = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let parts: Vec<String> = t
        .split(['-', ' ', '/', ',', '.'])
        .filter(|p| !p.is_empty())
        .map(str::to_lowercase)
        .collect();
    if parts.len() >= 3 {
        let month = |p: &str| {
            months
                .iter()
                .position(|m| p.starts_with(m) && p.chars().all(char::is_alphabetic))
        };
        let num = |p: &str| p.parse::<i16>().ok();
        let dmy = month(&parts[1]).and_then(|m| Some((num(&parts[2])?, m, num(&parts[0])?)));
        let mdy = month(&parts[0]).and_then(|m| Some((num(&parts[2])?, m, num(&parts[1])?)));
        if let Some((y, m, d)) = dmy.or(mdy) {
            // `21-Apr-25`: a year of two digits is no year (25 AD), never guessed.
            if parts[2].len() != 4 {
                return Err(format!(
                    "\"{t}\" has no four-digit year: write the year in full, such as 2025"
                ));
            }
            let m = i8::try_from(m + 1).map_err(|e| e.to_string())?;
            let d = i8::try_from(d).map_err(|_| format!("\"{t}\" is not a date"))?;
            return Date::new(y, m, d).map_err(|_| format!("\"{t}\" is not a date"));
        }
    }
    super::import::read_date(t, order)
}

/// Fills the entry form with what was read: each value as printed (its
/// comparator kept), in its unit, with the interval the report printed.
/// Lines not read keep what they had; the form checks every line as if
/// typed (an unusual value still asks to be confirmed).
pub fn fill_draft(draft: &mut super::entry::EntryDraft, proposals: &[Proposal]) {
    for p in proposals {
        let Reading::Read(ReadValue::Lab(l)) = &p.reading else {
            continue;
        };
        let Some(line) = draft.labs.iter_mut().find(|d| d.code == l.code) else {
            continue;
        };
        if !line.value.trim().is_empty() {
            continue;
        }
        line.value = l.value_text();
        line.unit = l.unit.clone();
        if !(p.interval.0.is_empty() && p.interval.1.is_empty()) {
            line.ref_low = p.interval.0.clone();
            line.ref_high = p.interval.1.clone();
            line.ref_unit = l.unit.clone();
            line.ref_typed = true;
        }
    }
}

/// The clinic's mapping file with one more test name (`"S. Creatinine" =
/// "creatinine"` under `[tests]`), the rest of the text as it was.
pub fn remember_test_name(mapping: &str, name: &str, code: &str) -> String {
    let line = format!("{} = \"{}\"\n", toml_key(name), code);
    let mut out = String::new();
    let mut added = false;
    for l in mapping.split_inclusive('\n') {
        out.push_str(l);
        if !added && l.trim() == "[tests]" {
            if !l.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&line);
            added = true;
        }
    }
    if !added {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str("[tests]\n");
        out.push_str(&line);
    }
    out
}

fn toml_key(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::LocalCodes;

    fn word(text: &str, x: f32, y: f32) -> Word {
        Word {
            text: text.into(),
            page: 0,
            rect: Rect {
                x0: x,
                y0: y,
                x1: x + 6.0 * text.chars().count() as f32,
                y1: y + 10.0,
            },
            confidence: None,
        }
    }

    /// A line of cells at the given x, each cell's words one space apart.
    fn line(cells: &[(&str, f32)], y: f32) -> Vec<Word> {
        let mut out = Vec::new();
        for (text, x) in cells {
            let mut x = *x;
            for w in text.split(' ') {
                out.push(word(w, x, y));
                x += 6.0 * w.chars().count() as f32 + 3.0;
            }
        }
        out
    }

    fn catalog() -> Catalog {
        Catalog::builtin().unwrap()
    }

    fn read(words: Vec<Word>, sex: Sex) -> Vec<Proposal> {
        let c = catalog();
        let tests = TestMap::new(&c, &LocalCodes::default());
        propose(&read_rows(&rebuild_lines(words)), &c, &tests, sex)
    }

    fn value_of(p: &Proposal) -> String {
        match &p.reading {
            Reading::Read(ReadValue::Lab(l)) => {
                format!("{} {} [{}-{}]", l.value_text(), l.unit, p.interval.0, p.interval.1)
            }
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn a_table_is_read_by_its_header_in_any_column_order() {
        let mut words = line(
            &[
                ("Investigation", 10.0),
                ("Reference Range", 150.0),
                ("Units", 260.0),
                ("Result", 320.0),
            ],
            0.0,
        );
        words.extend(line(
            &[
                ("S. Creatinine", 10.0),
                ("0.6 - 1.5", 150.0),
                ("mg/dL", 260.0),
                ("1.00", 320.0),
            ],
            20.0,
        ));
        words.extend(line(
            &[("SGPT", 10.0), ("Up to 40", 150.0), ("U/L", 260.0), ("60 H", 320.0)],
            40.0,
        ));
        let p = read(words, Sex::Male);
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(p[0].measure.as_deref(), Some("creatinine"));
        assert_eq!(value_of(&p[0]), "1.00 mg/dL [0.6-1.5]");
        assert_eq!(p[1].measure.as_deref(), Some("alt"));
        assert_eq!(value_of(&p[1]), "60 U/L [-40]");
        assert_eq!(p[1].row.flag, "H");
        assert!(p.iter().all(|p| p.confident));
    }

    #[test]
    fn a_header_repeated_side_by_side_makes_two_tables() {
        let mut words = line(
            &[
                ("Test", 10.0),
                ("Result", 110.0),
                ("Unit", 160.0),
                ("Range", 210.0),
                ("Test", 300.0),
                ("Result", 400.0),
                ("Unit", 450.0),
                ("Range", 500.0),
            ],
            0.0,
        );
        words.extend(line(
            &[
                ("SGPT", 10.0),
                ("60", 110.0),
                ("U/L", 160.0),
                ("< 40", 210.0),
                ("SGOT", 300.0),
                ("160", 400.0),
                ("U/L", 450.0),
                ("< 40", 500.0),
            ],
            20.0,
        ));
        let p = read(words, Sex::Male);
        let got: Vec<_> = p
            .iter()
            .map(|p| (p.measure.clone().unwrap_or_default(), value_of(p)))
            .collect();
        assert_eq!(
            got,
            [
                ("alt".to_owned(), "60 U/L [-40]".to_owned()),
                ("ast".to_owned(), "160 U/L [-40]".to_owned())
            ]
        );
    }

    #[test]
    fn without_a_header_cells_are_read_by_their_shape() {
        let words = line(
            &[
                ("Total Bilirubin", 10.0),
                ("12,30", 150.0),
                ("mg/dL", 200.0),
                ("(0,0 - 1,0)", 260.0),
            ],
            0.0,
        );
        let p = read(words, Sex::Male);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].measure.as_deref(), Some("bili_total"));
        let Reading::Read(ReadValue::Lab(l)) = &p[0].reading else {
            panic!("{p:?}")
        };
        assert_eq!(l.value.as_str(), "12.30");
        assert_eq!(p[0].interval, ("0.0".to_owned(), "1.0".to_owned()));
    }

    #[test]
    fn interval_shapes_labs_print() {
        let m = Sex::Male;
        let r = |s: &str| read_interval(s, m);
        let pair = |a: &str, b: &str| Some((a.to_owned(), b.to_owned()));
        assert_eq!(r("0.6 - 1.5"), pair("0.6", "1.5"));
        assert_eq!(r("0.6-1.5"), pair("0.6", "1.5"));
        assert_eq!(r("(0.6 - 1.5)"), pair("0.6", "1.5"));
        assert_eq!(r("0,6 - 1,5"), pair("0.6", "1.5"));
        assert_eq!(r("< 40"), pair("", "40"));
        assert_eq!(r("Up to 40"), pair("", "40"));
        assert_eq!(r("upto 0.80"), pair("", "0.80"));
        assert_eq!(r("40 max"), pair("", "40"));
        assert_eq!(r("> 3.5"), pair("3.5", ""));
        assert_eq!(r("M: 0.7-1.3 F: 0.6-1.1"), pair("0.7", "1.3"));
        assert_eq!(read_interval("M: 0.7-1.3 F: 0.6-1.1", Sex::Female), pair("0.6", "1.1"));
        assert_eq!(read_interval("M: 0.7-1.3 F: 0.6-1.1", Sex::Unknown), None);
        assert_eq!(r("see note"), None);
        assert_eq!(r(""), pair("", ""));
    }

    #[test]
    fn a_wrong_unit_or_an_unknown_test_is_listed_never_guessed() {
        let mut words = line(
            &[("Test", 10.0), ("Result", 150.0), ("Unit", 200.0), ("Range", 260.0)],
            0.0,
        );
        words.extend(line(
            &[
                ("Creatinine", 10.0),
                ("1.00", 150.0),
                ("g/L", 200.0),
                ("0.6 - 1.5", 260.0),
            ],
            20.0,
        ));
        words.extend(line(
            &[
                ("Alk. Phosphatase", 10.0),
                ("151", 150.0),
                ("U/L", 200.0),
                ("Up to 260", 260.0),
            ],
            40.0,
        ));
        let p = read(words, Sex::Male);
        assert_eq!(p.len(), 2);
        assert!(
            matches!(&p[0].reading, Reading::NotRead(why) if why.contains("g/L")),
            "{p:?}"
        );
        assert_eq!(p[1].measure, None);
        assert!(matches!(&p[1].reading, Reading::NotRead(why) if why.contains("Alk. Phosphatase")));
        assert!(p.iter().all(|p| !p.confident));
    }

    #[test]
    fn a_scanned_value_read_with_low_confidence_is_proposed_but_not_confident() {
        let mut words = line(&[("ALT", 10.0), ("60", 150.0), ("U/L", 200.0), ("< 40", 260.0)], 0.0);
        words[1].confidence = Some(60.0);
        let p = read(words, Sex::Male);
        assert!(matches!(p[0].reading, Reading::Read(_)));
        assert!(!p[0].confident);
    }

    #[test]
    fn the_header_gives_patient_and_date_and_the_date_order() {
        let mut words = line(&[("Patient Name: Demo Patient", 10.0), ("MRN: DEMO-001", 300.0)], 0.0);
        words.extend(line(
            &[("DOB: 15/03/1974", 10.0), ("Collected: 04/08/2025 09:10", 300.0)],
            20.0,
        ));
        words.extend(line(&[("Reported: 05/08/2025", 10.0)], 40.0));
        let h = read_header(&rebuild_lines(words));
        assert_eq!(h.mrn.as_deref(), Some("DEMO-001"));
        assert_eq!(h.name.as_deref(), Some("Demo Patient"));
        assert_eq!(h.birth_date_text.as_deref(), Some("15/03/1974"));
        assert_eq!(h.collected_text.as_deref(), Some("04/08/2025"));
        assert_eq!(h.collected_label.as_deref(), Some("Collected"));
        assert!(h.is_collection_date());
        assert_eq!(h.date_order, Some(DateOrder::Dmy));
        assert_eq!(
            read_report_date(h.collected_text.as_deref().unwrap(), h.date_order),
            Ok(jiff::civil::date(2025, 8, 4))
        );
        assert_eq!(
            read_report_date("19-Jul-2025", None),
            Ok(jiff::civil::date(2025, 7, 19))
        );
        assert_eq!(
            read_report_date("Jul 19, 2025", None),
            Ok(jiff::civil::date(2025, 7, 19))
        );
        assert!(read_report_date("04/08/2025", None).is_err());
    }

    /// Without a collection date, the receipt, registration or bill date
    /// dates the entry, in that order of trust, its label kept; a report
    /// or print date never does; a time before the date is no part of it.
    #[test]
    fn dates_under_every_label_in_their_order_of_trust() {
        let header = |lines: &[&str]| {
            let mut words = Vec::new();
            for (i, l) in lines.iter().enumerate() {
                words.extend(line(&[(l, 10.0)], 20.0 * i as f32));
            }
            read_header(&rebuild_lines(words))
        };
        let dated = |h: &ReportHeader| (h.collected_label.clone(), h.collected_text.clone());
        let h = header(&[
            "Registered on: 02:31 PM 16/10/2024",
            "Sample Received on: 17/10/2024",
            "Reported on: 18/10/2024",
        ]);
        assert_eq!(
            dated(&h),
            (Some("Sample Received on".into()), Some("17/10/2024".into()))
        );
        assert!(!h.is_collection_date());
        let h = header(&["Registered on: 16/10/2024", "Collection Date/Time: 03:11 PM 15/10/2024"]);
        assert_eq!(
            dated(&h),
            (Some("Collection Date/Time".into()), Some("15/10/2024".into()))
        );
        assert!(h.is_collection_date());
        // Printed empty, and a label with no colon before its date.
        let h = header(&["Collected On .", "Registered On 26-Jul-2025 09:37"]);
        assert_eq!(dated(&h), (Some("Registered On".into()), Some("26-Jul-2025".into())));
        assert_eq!(
            read_report_date("26-Jul-2025", None),
            Ok(jiff::civil::date(2025, 7, 26))
        );
        let h = header(&["Bill Date : 21-Apr-25 07:09 am", "Report Date : 21-Apr-25 09:49 am"]);
        assert_eq!(dated(&h), (Some("Bill Date".into()), Some("21-Apr-25".into())));
        assert!(
            read_report_date("21-Apr-25", None)
                .unwrap_err()
                .contains("four-digit year"),
            "a two-digit year is never read as a year"
        );
        let h = header(&[
            "Reported on: 18/10/2024",
            "Printed on: 19/10/2024",
            "Generated on : 02 Dec, 2025",
        ]);
        assert_eq!(dated(&h), (None, None));
        // A place printed after "collected" is no date.
        let h = header(&["Sample Collected At: 125, Shivam Bungalow"]);
        assert_eq!(dated(&h), (None, None));
    }

    /// A flag printed under the interval's heading is a flag; a unit
    /// printed after the interval, with no unit column, is the unit.
    #[test]
    fn a_flag_before_the_interval_and_a_unit_after_it() {
        let mut words = line(
            &[("Parameter", 10.0), ("Results", 200.0), ("Biological Reference", 300.0)],
            0.0,
        );
        words.extend(line(
            &[
                ("Platelet count", 10.0),
                ("2.78", 200.0),
                ("2.1 - 5.0 Lakhs/Cumm", 300.0),
            ],
            20.0,
        ));
        words.extend(line(
            &[
                ("ALT (SGPT)", 10.0),
                ("100.50", 200.0),
                ("High 10.00 - 49.00 U/L", 300.0),
            ],
            40.0,
        ));
        let p = read(words, Sex::Female);
        let got: Vec<String> = p.iter().map(value_of).collect();
        assert_eq!(got, ["2.78 10*5/uL [2.1-5.0]", "100.50 U/L [10.00-49.00]"]);
        assert_eq!(p[1].row.flag, "High");
    }

    /// A report with no table: each result a sentence in one cell.
    #[test]
    fn a_result_printed_as_a_labelled_sentence_is_a_row() {
        let mut words = Vec::new();
        for (i, l) in [
            "Patient Name: Test Patient",
            "Age: 18 Years",
            "Hemoglobin: 11.2 g/dL (Ref: 12.0 - 15.5)",
            "Platelet Count: 2,50,000 /uL (Ref: 1,50,000 - 4,50,000)",
            "Vitamin D appears below 30 ng/mL: see a physician.",
        ]
        .iter()
        .enumerate()
        {
            for (j, w) in l.split(' ').enumerate() {
                words.push(word(w, 10.0 + 60.0 * j as f32, 20.0 * i as f32));
            }
        }
        // One cell: words four points apart.
        let lines: Vec<Line> = rebuild_lines(words)
            .into_iter()
            .map(|mut l| {
                let mut x = 10.0;
                for w in &mut l.words {
                    let width = w.rect.x1 - w.rect.x0;
                    w.rect.x0 = x;
                    w.rect.x1 = x + width;
                    x += width + 4.0;
                }
                l
            })
            .collect();
        let c = catalog();
        let tests = TestMap::new(&c, &LocalCodes::default());
        let p = propose(&read_rows(&lines), &c, &tests, Sex::Female);
        let got: Vec<String> = p.iter().map(value_of).collect();
        assert_eq!(got, ["11.2 g/dL [12.0-15.5]", "250000 /uL [150000-450000]"]);
    }

    /// Sub-rows keep their parent, a method line printed under a name is no
    /// part of it, a heading is glued to no row, and only lines that look
    /// like results are listed as not read.
    #[test]
    fn parents_methods_headings_and_what_is_listed_as_not_read() {
        let at = [("Test", 10.0), ("Result", 250.0), ("Unit", 330.0), ("Reference", 420.0)];
        let mut words = line(&at, 0.0);
        let mut y = 20.0;
        let mut add = |cells: &[(&str, f32)]| {
            words.extend(line(cells, y));
            y += 14.0;
        };
        add(&[("LIVER FUNCTION TEST", 10.0)]);
        add(&[("SERUM BILIRUBIN", 10.0)]);
        add(&[("TOTAL", 20.0), ("1.2", 250.0), ("mg/dl", 330.0), ("0.2 - 1.2", 420.0)]);
        add(&[("DIRECT", 20.0), ("0.3", 250.0), ("mg/dl", 330.0), ("0.0 - 0.2", 420.0)]);
        add(&[
            ("INDIRECT", 20.0),
            ("0.9", 250.0),
            ("mg/dl", 330.0),
            ("0.2 - 1.0", 420.0),
        ]);
        add(&[("AST (SGOT)", 10.0), ("16", 250.0), ("U/L", 330.0), ("15 - 40", 420.0)]);
        add(&[("(IFCC without P5P)", 10.0)]);
        add(&[("Method: Kinetic", 10.0)]);
        add(&[
            ("Globulin", 10.0),
            ("2.9", 250.0),
            ("g/dl", 330.0),
            ("2.0 - 3.5", 420.0),
        ]);
        add(&[("Interpretation: a raised AST", 10.0), ("is seen in", 250.0)]);
        add(&[("Dr. A. Shah, MD", 10.0), ("Pathologist", 330.0)]);
        let p = read(words, Sex::Male);
        let shown: Vec<(String, String)> = p
            .iter()
            .map(|p| (p.row.test.clone(), p.measure.clone().unwrap_or_default()))
            .collect();
        assert_eq!(
            shown,
            [
                ("TOTAL".to_owned(), "bili_total".to_owned()),
                ("DIRECT".to_owned(), "bili_direct".to_owned()),
                ("INDIRECT".to_owned(), "bili_indirect".to_owned()),
                ("AST (SGOT)".to_owned(), "ast".to_owned()),
                ("Globulin".to_owned(), String::new()),
            ]
        );
        assert_eq!(value_of(&p[1]), "0.3 mg/dL [0.0-0.2]");
        assert_eq!(p[0].row.parent, "SERUM BILIRUBIN");
    }

    #[test]
    fn one_line_with_a_header_and_name_in_one_cell_is_split_at_the_next_label() {
        let words = line(&[("Name: Demo Patient MRN: DEMO-001 Sex: M", 10.0)], 0.0);
        let h = read_header(&rebuild_lines(words));
        assert_eq!(h.name.as_deref(), Some("Demo Patient"));
        assert_eq!(h.mrn.as_deref(), Some("DEMO-001"));
    }

    #[test]
    fn a_name_remembered_is_added_under_tests_and_read_back() {
        let c = catalog();
        let with = remember_test_name("", "Alk. Phosphatase", "alp");
        let local = LocalCodes::parse(&with, "m", &c).unwrap();
        assert_eq!(
            TestMap::new(&c, &local).resolve("", "Alk. Phosphatase").map(|m| m.0),
            Some("alp")
        );
        let existing = "# our lab\n[critical]\n\n[tests]\n\"BILT\" = \"bili_total\"\n";
        let both = remember_test_name(existing, "S. \"Crea\"", "creatinine");
        assert!(
            both.starts_with("# our lab\n[critical]\n\n[tests]\n\"S. \\\"Crea\\\"\" = \"creatinine\"\n\"BILT\""),
            "{both}"
        );
        let local = LocalCodes::parse(&both, "m", &c).unwrap();
        assert_eq!(local.len(), 2);
    }

    #[test]
    fn the_form_is_filled_with_values_as_printed_and_their_intervals() {
        let c = catalog();
        let mut words = line(
            &[("Test", 10.0), ("Result", 150.0), ("Unit", 200.0), ("Range", 260.0)],
            0.0,
        );
        words.extend(line(
            &[
                ("Total Bilirubin", 10.0),
                ("12.30", 150.0),
                ("mg/dL", 200.0),
                ("0.0 - 1.0", 260.0),
            ],
            20.0,
        ));
        words.extend(line(
            &[("Albumin", 10.0), ("28", 150.0), ("g/L", 200.0), ("35 - 52", 260.0)],
            40.0,
        ));
        let p = read(words, Sex::Male);
        let mut draft = crate::entry::EntryDraft::blank(&c, Sex::Male, jiff::civil::date(2025, 7, 19), "dr");
        fill_draft(&mut draft, &p);
        let bili = draft.labs.iter().find(|l| l.code == "bili_total").unwrap();
        assert_eq!(
            (bili.value.as_str(), bili.ref_low.as_str(), bili.ref_high.as_str()),
            ("12.30", "0.0", "1.0")
        );
        assert!(bili.ref_typed);
        let alb = draft.labs.iter().find(|l| l.code == "albumin").unwrap();
        assert_eq!(
            (alb.value.as_str(), alb.unit.as_str(), alb.ref_high.as_str()),
            ("28", "g/L", "52")
        );
        let data = draft
            .validate(
                &c,
                Sex::Male,
                jiff::civil::date(1974, 3, 15),
                jiff::civil::date(2025, 8, 1),
            )
            .unwrap();
        assert_eq!(data.labs.len(), 2);
    }
}
