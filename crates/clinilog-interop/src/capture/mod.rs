//! A printed lab report in: its PDF (text read in-process) or a scan or
//! photo (PNG, JPEG, or a PDF page that is only an image, read by
//! Tesseract), to the values it prints, each matched and checked with the
//! rules of a typed line (`domain/capture.rs`), with the picture of its
//! row for the clinician to compare. Nothing is saved here.

pub mod pdf;

pub use clinilog_ocr as ocr;

use std::path::Path;

use image::GrayImage;
use sha2::{Digest, Sha256};

use clinilog_domain::capture::{
    Line, Proposal, Reading, ReportHeader, Row, propose, read_header, read_rows, rebuild_lines,
};
use clinilog_domain::import::{LocalCodes, TestMap};
use clinilog_domain::{Catalog, Sex};

/// The largest report kept with an entry (the database holds it).
pub const MAX_DOCUMENT_BYTES: usize = 20 * 1024 * 1024;

/// Pixels per PDF point of the pictures of a text PDF's pages (144 dpi).
const CROP_SCALE: f32 = 2.0;

/// How the report's words were read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The text of a PDF: exact.
    TextPdf,
    /// Tesseract on a scan or photo (or a PDF page that is only an image).
    Scan,
}

/// The report file itself, kept with the entry.
pub use clinilog_domain::capture::SourceDocument as Document;

/// Reads a report file into memory, refused when too large or of another kind.
pub fn read_file(path: &Path) -> Result<Document, String> {
    {
        let bytes = std::fs::read(path).map_err(|e| format!("{} cannot be read: {e}", path.display()))?;
        if bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(format!(
                "{} is {} MB: a report of up to {} MB is read and kept with its entry (scan it at 300 dpi in grey, or export it as PDF)",
                path.display(),
                bytes.len() / (1024 * 1024),
                MAX_DOCUMENT_BYTES / (1024 * 1024)
            ));
        }
        let media_type = media_type(&bytes).ok_or_else(|| {
            format!(
                "{} is not a lab report Clinilog reads: a PDF, PNG or JPEG file is read",
                path.display()
            )
        })?;
        Ok(Document {
            name: path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            media_type: media_type.to_owned(),
            sha256: Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect(),
            bytes,
        })
    }
}

/// What the file's first bytes say it is.
pub fn media_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// One page's picture, and how many pixels a word unit of that page is.
#[derive(Clone)]
pub struct PagePicture {
    pub image: GrayImage,
    pub scale: f32,
}

/// A report read.
#[derive(Clone)]
pub struct Capture {
    pub document: Document,
    pub source: Source,
    pub header: ReportHeader,
    /// Every row of the results table, matched and checked.
    pub proposals: Vec<Proposal>,
    /// The pages' pictures (when asked for), crops are cut from them.
    pub pages: Vec<PagePicture>,
    /// How many lines of text were found (0: nothing was read).
    pub lines: usize,
}

/// What reading a report needs besides the file.
pub struct CaptureOptions<'a> {
    pub catalog: &'a Catalog,
    pub local_codes: &'a LocalCodes,
    /// The open patient's sex (intervals printed per sex).
    pub sex: Sex,
    /// Keep each page's picture for the crops (the window); the command line does not.
    pub pictures: bool,
}

/// Reads a report file.
pub fn read_report(path: &Path, o: &CaptureOptions<'_>) -> Result<Capture, String> {
    read_document(read_file(path)?, o)
}

/// Reads a report already in memory.
pub fn read_document(document: Document, o: &CaptureOptions<'_>) -> Result<Capture, String> {
    let (lines, pages, source) = match document.media_type.as_str() {
        "application/pdf" => read_pdf(&document.bytes, o.pictures)?,
        _ => {
            let img = image::load_from_memory(&document.bytes)
                .map_err(|e| format!("{}: the picture cannot be read ({e})", document.name))?
                .to_luma8();
            let program = ocr::program()?;
            let page = ocr::prepare(&img);
            let words = ocr::words(&program, &page, 0)?;
            (
                rebuild_lines(words),
                vec![PagePicture {
                    image: page,
                    scale: 1.0,
                }],
                Source::Scan,
            )
        }
    };
    let tests = TestMap::new(o.catalog, o.local_codes);
    let rows: Vec<Row> = read_rows(&lines);
    let mut proposals = propose(&rows, o.catalog, &tests, o.sex);
    if source == Source::Scan {
        second_reading(&pages, &mut proposals, o.catalog)?;
    }
    Ok(Capture {
        header: read_header(&lines),
        proposals,
        pages: if o.pictures { pages } else { Vec::new() },
        lines: lines.len(),
        document,
        source,
    })
}

type Read = (Vec<Line>, Vec<PagePicture>, Source);

/// A kept report's pages as pictures (to be shown again): a PDF's pages
/// drawn at 1.5 pixels per point, an image as it is.
pub fn pictures_of(bytes: &[u8]) -> Result<Vec<GrayImage>, String> {
    match media_type(bytes) {
        Some("application/pdf") => {
            let doc = pdf::open(bytes)?;
            let n = doc.pages().len();
            Ok((0..n).filter_map(|i| pdf::render(&doc, i, 1.5)).collect())
        }
        Some(_) => Ok(vec![
            image::load_from_memory(bytes)
                .map_err(|e| format!("the picture cannot be read ({e})"))?
                .to_luma8(),
        ]),
        None => Err("the kept report is of a kind Clinilog does not show".to_owned()),
    }
}

fn read_pdf(bytes: &[u8], pictures: bool) -> Result<Read, String> {
    let doc = pdf::open(bytes)?;
    let pages = pdf::pages(&doc);
    let text_words: usize = pages.iter().map(|p| p.words.len()).sum();
    // A page with images and (almost) no text is a scan: each is rendered
    // at 300 dpi and read by Tesseract.
    let scanned = text_words < 5 && pages.iter().any(|p| p.images > 0);
    if scanned {
        let program = ocr::program()?;
        let mut words = Vec::new();
        let mut pictures_out = Vec::new();
        for i in 0..pages.len() {
            let img = pdf::render(&doc, i, 300.0 / 72.0).ok_or("a page of the PDF could not be drawn")?;
            let page = ocr::prepare(&img);
            words.extend(ocr::words(&program, &page, i)?);
            pictures_out.push(PagePicture {
                image: page,
                scale: 1.0,
            });
        }
        return Ok((rebuild_lines(words), pictures_out, Source::Scan));
    }
    let mut pictures_out = Vec::new();
    if pictures {
        for i in 0..pages.len() {
            if let Some(image) = pdf::render(&doc, i, CROP_SCALE) {
                pictures_out.push(PagePicture {
                    image,
                    scale: CROP_SCALE,
                });
            }
        }
    }
    let words = pages.into_iter().flat_map(|p| p.words).collect();
    Ok((rebuild_lines(words), pictures_out, Source::TextPdf))
}

impl Capture {
    /// The picture of a row of the report, a little margin around it.
    pub fn crop(&self, row: &Row) -> Option<GrayImage> {
        let page = self.pages.get(row.page)?;
        let s = page.scale;
        let margin = row.rect.height() * 0.15;
        let (w, h) = page.image.dimensions();
        let x0 = ((row.rect.x0 - margin) * s).max(0.0) as u32;
        let y0 = ((row.rect.y0 - margin) * s).max(0.0) as u32;
        let x1 = (((row.rect.x1 + margin) * s) as u32).min(w);
        let y1 = (((row.rect.y1 + margin) * s) as u32).min(h);
        (x1 > x0 && y1 > y0).then(|| image::imageops::crop_imm(&page.image, x0, y0, x1 - x0, y1 - y0).to_image())
    }

    /// The values read and proposed.
    pub fn read(&self) -> impl Iterator<Item = &Proposal> {
        self.proposals.iter().filter(|p| matches!(p.reading, Reading::Read(_)))
    }

    /// The rows not read, each with why.
    pub fn not_read(&self) -> impl Iterator<Item = &Proposal> {
        self.proposals
            .iter()
            .filter(|p| matches!(p.reading, Reading::NotRead(_)))
    }
}

/// Each row a scan gave a value for is read a second time, on its own and
/// at another size, across the whole width of the table: the name, the
/// value, the unit and the interval must read the same both times, or the
/// value is not proposed (a 0.80 read once as 0.86 is never offered).
fn second_reading(pages: &[PagePicture], proposals: &mut [Proposal], catalog: &Catalog) -> Result<(), String> {
    const SCALE: f32 = 1.3;
    const GAP: u32 = 30;
    let wanted: Vec<usize> = (0..proposals.len())
        .filter(|&i| matches!(proposals[i].reading, Reading::Read(_)))
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    // Each page's table width: from the leftmost row to the rightmost.
    // (of the row's own table: rows that start where it starts, so the
    // table beside it on a two-column page is left out).
    let span = |row: &Row| {
        let near = row.rect.height() * 2.0;
        proposals
            .iter()
            .filter(|p| p.row.page == row.page && (p.row.rect.x0 - row.rect.x0).abs() < near)
            .fold((row.rect.x0, row.rect.x1), |(a, b), p| {
                (a.min(p.row.rect.x0), b.max(p.row.rect.x1))
            })
    };
    let mut strips = Vec::new();
    for &i in &wanted {
        let row = &proposals[i].row;
        let Some(page) = pages.get(row.page) else { continue };
        let (x0, x1) = span(row);
        let pad = row.rect.height() * 0.25;
        let (w, h) = page.image.dimensions();
        let (sx0, sy0) = ((x0 - pad).max(0.0) as u32, (row.rect.y0 - pad).max(0.0) as u32);
        let (sx1, sy1) = (((x1 + pad) as u32).min(w), ((row.rect.y1 + pad) as u32).min(h));
        if sx1 <= sx0 || sy1 <= sy0 {
            continue;
        }
        let crop = image::imageops::crop_imm(&page.image, sx0, sy0, sx1 - sx0, sy1 - sy0).to_image();
        strips.push((i, ocr::scale(&crop, SCALE)));
    }
    let width = strips.iter().map(|(_, s)| s.width()).max().unwrap_or(1) + 2 * GAP;
    let height: u32 = strips.iter().map(|(_, s)| s.height() + GAP).sum::<u32>() + GAP;
    let mut sheet = GrayImage::from_pixel(width, height, image::Luma([255]));
    let mut ranges = Vec::new();
    let mut y = GAP;
    for (i, s) in &strips {
        image::imageops::replace(&mut sheet, s, i64::from(GAP), i64::from(y));
        ranges.push((*i, y as f32, (y + s.height()) as f32));
        y += s.height() + GAP;
    }
    let program = ocr::program()?;
    let words = ocr::words(&program, &sheet, 0)?;
    let squeeze = |s: &str| s.split_whitespace().collect::<String>().to_lowercase();
    for (i, top, bottom) in ranges {
        let mut mine: Vec<&clinilog_domain::capture::Word> = words
            .iter()
            .filter(|w| {
                let c = (w.rect.y0 + w.rect.y1) / 2.0;
                c >= top && c < bottom
            })
            .collect();
        mine.sort_by(|a, b| a.rect.x0.partial_cmp(&b.rect.x0).unwrap_or(std::cmp::Ordering::Equal));
        let tokens: Vec<&str> = mine.iter().map(|w| w.text.as_str()).collect();
        let squeezed: String = tokens.concat().to_lowercase();
        let p = &mut proposals[i];
        // The digits must agree: the value's and the interval's numbers are
        // exactly the numbers the second reading sees on the row (a number
        // missed the first time, such as an interval, is a disagreement too).
        let mut first = numbers(&p.row.value);
        first.extend(numbers(&p.row.interval));
        // A unit's digits (`10^3/uL`) are no number; a value with its unit
        // stuck to it (`60U/L`) is. A lone digit the first reading has not
        // (a speck read as `4`) is let go; any other number is not.
        let mut second: Vec<String> = tokens
            .iter()
            .filter(|t| !t.contains(['^', '*']))
            .flat_map(|t| {
                let lead: String = t
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
                    .collect();
                if t.contains('/') { numbers(&lead) } else { numbers(t) }
            })
            .collect();
        second.retain(|n| n.len() > 1 || first.contains(n));
        first.sort();
        second.sort();
        let same_value = first == second;
        let name = clinilog_domain::import::name_key(&p.row.test);
        let same_name = clinilog_domain::import::name_key(&squeezed).contains(&name);
        // A unit is checked against the catalog already; read in a second
        // unit of the measure (g/L for g/dL), it must read so twice.
        let same_unit = unit_is_main(&p.reading, catalog) || squeezed.contains(&squeeze(&p.row.unit));
        if !(same_value && same_name && same_unit) {
            let what = [
                (!same_name).then_some("name"),
                (!same_value).then_some("numbers"),
                (!same_unit).then_some("unit"),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
            p.reading = Reading::NotRead(format!(
                "the scan is not clear here: its {what} read differently twice (\"{} {} {} {}\", then \"{}\"); type it from the picture",
                p.row.test,
                p.row.value,
                p.row.unit,
                p.row.interval,
                tokens.join(" ")
            ));
            p.confident = false;
        }
    }
    Ok(())
}

/// The numbers in a text, as digits with `.` for a decimal comma (`0,8 -
/// 1,2` gives 0.8 and 1.2).
fn numbers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() || ((c == '.' || c == ',') && !cur.is_empty()) {
            cur.push(if c == ',' { '.' } else { c });
        } else if !cur.is_empty() {
            out.push(cur.trim_end_matches('.').to_owned());
            cur.clear();
        }
    }
    out
}

/// Whether a value was read in its measure's first (conventional) unit.
fn unit_is_main(reading: &Reading, catalog: &Catalog) -> bool {
    let Reading::Read(clinilog_domain::import::ReadValue::Lab(l)) = reading else {
        return false;
    };
    catalog
        .measure(&l.code)
        .and_then(|m| m.lab().map(|s| s.unit == l.unit))
        .unwrap_or(false)
}
