//! A printed lab report in: its PDF (text read in-process) or a scan or
//! photo (PNG, JPEG, or a PDF page that is only an image, read by
//! Tesseract), to the values it prints, each matched and checked with the
//! rules of a typed line (`domain/capture.rs`), with the picture of its
//! row for the clinician to compare. Nothing is saved here.

pub mod ocr;
pub mod pdf;

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
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// The file's name as it was chosen (no folder).
    pub name: String,
    pub media_type: String,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

impl Document {
    pub fn read(path: &Path) -> Result<Document, String> {
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
    read_document(Document::read(path)?, o)
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
    let proposals = propose(&rows, o.catalog, &tests, o.sex);
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
        let margin = row.rect.height() * 0.4;
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
