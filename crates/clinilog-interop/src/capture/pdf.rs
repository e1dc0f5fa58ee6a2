//! The words of a text PDF, with their boxes, read in-process with hayro
//! (`hayro-interpret` walks the page's content and hands each glyph to a
//! device; this one keeps the glyph's character and its em box instead of
//! drawing it), and a page rendered to pixels (`hayro`) for the crops
//! shown beside each value and for pages that are only an image.

use hayro::hayro_interpret::font::Glyph;
use hayro::hayro_interpret::hayro_cmap::BfString;
use hayro::hayro_interpret::hayro_syntax::Pdf;
use hayro::hayro_interpret::util::TransformExt;
use hayro::hayro_interpret::{
    BlendMode, ClipPath, Context, Device, GlyphDrawMode, Image, InterpreterCache, InterpreterSettings, Paint,
    PathDrawMode, SoftMask, interpret_page,
};
use image::GrayImage;
use kurbo::{Affine, BezPath, Point, Rect as KRect, Shape};

use clinilog_domain::capture::{Rect, Word};

/// What one page of a PDF holds.
pub struct PdfPage {
    /// Its words, in points from the top left.
    pub words: Vec<Word>,
    /// Width and height in points.
    pub size: (f32, f32),
    /// Images drawn on it (a scanned page is one image and no text).
    pub images: usize,
}

/// Opens a PDF; a sentence when it cannot be read.
pub fn open(bytes: &[u8]) -> Result<Pdf, String> {
    Pdf::new(bytes.to_vec()).map_err(|e| format!("the file is not a PDF that can be read ({e:?})"))
}

/// Every page's words and images.
pub fn pages(pdf: &Pdf) -> Vec<PdfPage> {
    let cache = InterpreterCache::new();
    let settings = InterpreterSettings::default();
    let mut out = Vec::new();
    for (index, page) in pdf.pages().iter().enumerate() {
        let (w, h) = page.render_dimensions();
        let initial = page.initial_transform(true);
        let mut ctx = Context::new(
            initial.to_kurbo(),
            KRect::new(0.0, 0.0, f64::from(w), f64::from(h)),
            &cache,
            page.xref(),
            settings.clone(),
        );
        let mut device = TextDevice {
            page: index,
            words: Vec::new(),
            current: None,
            images: 0,
        };
        interpret_page(page, &mut ctx, &mut device);
        device.end_word();
        out.push(PdfPage {
            words: device.words,
            size: (w, h),
            images: device.images,
        });
    }
    out
}

/// Renders a page at `scale` pixels per point, in grey.
pub fn render(pdf: &Pdf, index: usize, scale: f32) -> Option<GrayImage> {
    let page = pdf.pages().get(index)?;
    let cache = hayro::RenderCache::new();
    let settings = hayro::RenderSettings {
        x_scale: scale,
        y_scale: scale,
        bg_color: hayro::vello_cpu::color::palette::css::WHITE,
        ..Default::default()
    };
    let pixmap = hayro::render(page, &cache, &InterpreterSettings::default(), &settings);
    let (w, h) = (u32::from(pixmap.width()), u32::from(pixmap.height()));
    let rgba = pixmap.take_unpremultiplied();
    let luma: Vec<u8> = rgba
        .iter()
        .map(|p| {
            let y = 0.299 * f32::from(p.r) + 0.587 * f32::from(p.g) + 0.114 * f32::from(p.b);
            // Transparent is the white page.
            let a = f32::from(p.a) / 255.0;
            (y * a + 255.0 * (1.0 - a)).round().clamp(0.0, 255.0) as u8
        })
        .collect();
    GrayImage::from_raw(w, h, luma)
}

struct Pending {
    text: String,
    rect: Rect,
    size: f32,
    baseline: f32,
}

struct TextDevice {
    page: usize,
    words: Vec<Word>,
    current: Option<Pending>,
    images: usize,
}

impl TextDevice {
    fn end_word(&mut self) {
        if let Some(p) = self.current.take()
            && !p.text.trim().is_empty()
        {
            self.words.push(Word {
                text: p.text,
                page: self.page,
                rect: p.rect,
                confidence: None,
            });
        }
    }
}

impl<'a> Device<'a> for TextDevice {
    fn set_soft_mask(&mut self, _: Option<SoftMask<'a>>) {}
    fn set_blend_mode(&mut self, _: BlendMode) {}
    fn draw_path(&mut self, _: &BezPath, _: Affine, _: &Paint<'a>, _: &PathDrawMode) {}
    fn push_clip_path(&mut self, _: &ClipPath) {}
    fn push_transparency_group(&mut self, _: f32, _: Option<SoftMask<'a>>, _: BlendMode) {}
    fn pop_clip_path(&mut self) {}
    fn pop_transparency_group(&mut self) {}
    fn draw_image(&mut self, _: Image<'a, '_>, _: Affine) {
        self.images += 1;
    }

    fn draw_glyph(
        &mut self,
        glyph: &Glyph<'a>,
        transform: Affine,
        glyph_transform: Affine,
        _: &Paint<'a>,
        _: &GlyphDrawMode,
    ) {
        let text = match glyph.as_unicode() {
            Some(BfString::Char(c)) => c.to_string(),
            Some(BfString::String(s)) => s,
            None => String::new(),
        };
        let full = transform * glyph_transform;
        // The glyph's em box (outlines are in units of 1000 per em): the
        // advance across, descender to ascender up, so every glyph of a
        // line has the same height whatever its ink.
        let advance = match glyph {
            Glyph::Outline(o) => o
                .advance_width()
                .filter(|a| *a > 0.0 && *a < 3000.0)
                .map_or_else(|| o.outline().bounding_box().x1.max(250.0), f64::from),
            Glyph::Type3(_) => 500.0,
        };
        let corners = [
            Point::new(0.0, -220.0),
            Point::new(advance, -220.0),
            Point::new(0.0, 780.0),
            Point::new(advance, 780.0),
        ]
        .map(|p| full * p);
        let rect = corners.iter().skip(1).fold(
            Rect {
                x0: corners[0].x as f32,
                y0: corners[0].y as f32,
                x1: corners[0].x as f32,
                y1: corners[0].y as f32,
            },
            |r, p| {
                r.union(Rect {
                    x0: p.x as f32,
                    y0: p.y as f32,
                    x1: p.x as f32,
                    y1: p.y as f32,
                })
            },
        );
        let size = rect.height().max(0.1);
        let baseline = (full * Point::ZERO).y as f32;
        if text.chars().all(char::is_whitespace) {
            self.end_word();
            return;
        }
        let joins = self.current.as_ref().is_some_and(|p| {
            (p.baseline - baseline).abs() < 0.3 * p.size
                && rect.x0 - p.rect.x1 < 0.12 * p.size.max(size)
                && rect.x0 > p.rect.x0
        });
        if !joins {
            self.end_word();
        }
        match &mut self.current {
            Some(p) => {
                p.text.push_str(&text);
                p.rect = p.rect.union(rect);
                p.size = p.size.max(size);
            }
            None => {
                self.current = Some(Pending {
                    text,
                    rect,
                    size,
                    baseline,
                })
            }
        }
    }
}
