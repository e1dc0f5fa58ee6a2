//! Scans and photos read by Tesseract, the program (Debian's
//! `tesseract-ocr`), through its TSV output: one row per word with its box
//! and confidence. Before it, the steps a phone photo needs: grey, uneven
//! light evened out, contrast stretched, the page straightened (the angle
//! whose row profile is sharpest), and small images enlarged to about 300
//! dots per inch. Tesseract is optional: without it, scans are refused with
//! what to install, and text PDFs are read as before.

use std::path::PathBuf;
use std::process::Command;

use image::{GrayImage, Luma, imageops};

use clinilog_domain::capture::{Rect, Word};

/// The Tesseract program to run: `CLINILOG_TESSERACT` when set (tests
/// point it at a missing program), else `tesseract` on the PATH.
pub fn program() -> Result<PathBuf, String> {
    let program = std::env::var_os("CLINILOG_TESSERACT").map_or_else(|| PathBuf::from("tesseract"), PathBuf::from);
    match Command::new(&program).arg("--version").output() {
        Ok(out) if out.status.success() => Ok(program),
        _ => Err(
            "reading a scan or a photo needs Tesseract, which is not installed: install it (on Debian and Ubuntu: sudo apt install tesseract-ocr), then try again; PDFs from a lab's portal are read without it"
                .to_owned(),
        ),
    }
}

/// The page made ready for Tesseract: grey, even light, full contrast,
/// straight, about 300 dots per inch. Also what the crops are cut from.
pub fn prepare(img: &GrayImage) -> GrayImage {
    let mut img = img.clone();
    // Enlarge a small image: text under about 20 pixels high is read badly.
    if img.width() < 2000 {
        let f = 2480.0 / img.width().max(1) as f32;
        let (w, h) = ((img.width() as f32 * f) as u32, (img.height() as f32 * f) as u32);
        img = imageops::resize(&img, w, h, imageops::FilterType::Triangle);
    }
    even_light(&mut img);
    stretch(&mut img);
    img = median3(&img);
    let angle = skew_angle(&img);
    if angle.abs() > 0.05 {
        img = rotate(&img, -angle);
    }
    binarize(&mut img);
    img
}

/// The image `f` times its size (smooth).
pub fn scale(img: &GrayImage, f: f32) -> GrayImage {
    let (w, h) = ((img.width() as f32 * f) as u32, (img.height() as f32 * f) as u32);
    imageops::resize(img, w.max(1), h.max(1), imageops::FilterType::Triangle)
}

/// Each pixel the median of its 3 by 3 neighbourhood: specks and grain go,
/// strokes stay.
fn median3(img: &GrayImage) -> GrayImage {
    let (w, h) = img.dimensions();
    let mut out = img.clone();
    let raw = img.as_raw();
    let wu = w as usize;
    for y in 1..h.saturating_sub(1) as usize {
        for x in 1..wu - 1 {
            let mut v = [0u8; 9];
            let mut k = 0;
            for dy in 0..3 {
                let row = (y + dy - 1) * wu;
                v[k..k + 3].copy_from_slice(&raw[row + x - 1..row + x + 2]);
                k += 3;
            }
            v.sort_unstable();
            out.put_pixel(x as u32, y as u32, Luma([v[4]]));
        }
    }
    out
}

/// Black and white at Otsu's threshold (the one that best splits ink from paper).
fn binarize(img: &mut GrayImage) {
    let mut hist = [0f64; 256];
    for p in img.pixels() {
        hist[usize::from(p[0])] += 1.0;
    }
    let total: f64 = hist.iter().sum();
    let sum_all: f64 = hist.iter().enumerate().map(|(i, n)| i as f64 * n).sum();
    let (mut w0, mut sum0, mut best, mut threshold) = (0.0, 0.0, 0.0, 128u8);
    for (t, n) in hist.iter().enumerate() {
        w0 += n;
        sum0 += t as f64 * n;
        let w1 = total - w0;
        if w0 == 0.0 || w1 == 0.0 {
            continue;
        }
        let (m0, m1) = (sum0 / w0, (sum_all - sum0) / w1);
        let between = w0 * w1 * (m0 - m1).powi(2);
        if between > best {
            best = between;
            threshold = t as u8;
        }
    }
    // A page with little ink (a second page of four lines) has no second
    // peak: Otsu would split the paper's grain. The light is even by now
    // (paper near white), so the threshold stays where ink is.
    let threshold = threshold.clamp(90, 170);
    for p in img.pixels_mut() {
        p[0] = if p[0] <= threshold { 0 } else { 255 };
    }
}

/// Divides each pixel by the page's local brightness (a coarse blur), so
/// a shadow across a photo does not swallow the text.
fn even_light(img: &mut GrayImage) {
    let (w, h) = img.dimensions();
    let small_w = (w / 24).max(1);
    let small_h = (h / 24).max(1);
    let small = imageops::resize(img, small_w, small_h, imageops::FilterType::Triangle);
    // The paper is the brightest of a neighbourhood (text is thin).
    let mut bg = small.clone();
    for y in 0..small_h {
        for x in 0..small_w {
            let mut m = 0u8;
            for dy in -2i64..=2 {
                for dx in -2i64..=2 {
                    let (xx, yy) = (i64::from(x) + dx, i64::from(y) + dy);
                    if xx >= 0 && yy >= 0 && xx < i64::from(small_w) && yy < i64::from(small_h) {
                        m = m.max(small.get_pixel(xx as u32, yy as u32)[0]);
                    }
                }
            }
            bg.put_pixel(x, y, Luma([m]));
        }
    }
    let bg = imageops::resize(&bg, w, h, imageops::FilterType::Triangle);
    for (p, b) in img.pixels_mut().zip(bg.pixels()) {
        let b = f32::from(b[0]).max(40.0);
        p[0] = (f32::from(p[0]) * 255.0 / b).min(255.0) as u8;
    }
}

/// Darkest 0.2% to black, brightest 5% to white.
fn stretch(img: &mut GrayImage) {
    let mut hist = [0u64; 256];
    for p in img.pixels() {
        hist[usize::from(p[0])] += 1;
    }
    let total: u64 = hist.iter().sum();
    let at = |q: f64| {
        let mut acc = 0;
        for (i, n) in hist.iter().enumerate() {
            acc += n;
            if acc as f64 >= q * total as f64 {
                return i as f32;
            }
        }
        255.0
    };
    let (lo, hi) = (at(0.002), at(0.95));
    if hi - lo < 10.0 {
        return;
    }
    for p in img.pixels_mut() {
        p[0] = ((f32::from(p[0]) - lo) * 255.0 / (hi - lo)).clamp(0.0, 255.0) as u8;
    }
}

/// The page's skew in degrees (positive: text rising to the right), as the
/// angle whose projection of dark pixels onto rows is sharpest.
pub fn skew_angle(img: &GrayImage) -> f32 {
    let scale = (img.width() as f32 / 1000.0).max(1.0);
    let small = imageops::resize(
        img,
        (img.width() as f32 / scale) as u32,
        (img.height() as f32 / scale) as u32,
        imageops::FilterType::Triangle,
    );
    let dark: Vec<(f32, f32)> = small
        .enumerate_pixels()
        .filter(|(_, _, p)| p[0] < 128)
        .map(|(x, y, _)| (x as f32, y as f32))
        .collect();
    if dark.len() < 50 {
        return 0.0;
    }
    let score = |deg: f32| {
        let (s, c) = deg.to_radians().sin_cos();
        let n = small.height() as usize * 2 + small.width() as usize;
        let mut bins = vec![0f32; n];
        for (x, y) in &dark {
            // Row of the point once the page is turned back by `deg`.
            let r = y * c + x * s + small.width() as f32;
            if let Some(b) = bins.get_mut(r.max(0.0) as usize) {
                *b += 1.0;
            }
        }
        bins.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum::<f32>()
    };
    let best = |from: f32, to: f32, step: f32| {
        let mut best = (f32::MIN, 0.0);
        let mut a = from;
        while a <= to + 1e-6 {
            let s = score(a);
            if s > best.0 {
                best = (s, a);
            }
            a += step;
        }
        best.1
    };
    let coarse = best(-8.0, 8.0, 0.5);
    best(coarse - 0.5, coarse + 0.5, 0.1)
}

/// Turns the image by `deg` degrees (counter-clockwise positive), white
/// where nothing was, the size kept.
pub fn rotate(img: &GrayImage, deg: f32) -> GrayImage {
    let (w, h) = img.dimensions();
    let (s, c) = deg.to_radians().sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let mut out = GrayImage::from_pixel(w, h, Luma([255]));
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f32 - cx, y as f32 - cy);
            // Where this pixel comes from in the source.
            let sx = c * dx - s * dy + cx;
            let sy = s * dx + c * dy + cy;
            if sx < 0.0 || sy < 0.0 || sx >= (w - 1) as f32 || sy >= (h - 1) as f32 {
                continue;
            }
            let (x0, y0) = (sx as u32, sy as u32);
            let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
            let p = |xx, yy| f32::from(img.get_pixel(xx, yy)[0]);
            let v = p(x0, y0) * (1.0 - fx) * (1.0 - fy)
                + p(x0 + 1, y0) * fx * (1.0 - fy)
                + p(x0, y0 + 1) * (1.0 - fx) * fy
                + p(x0 + 1, y0 + 1) * fx * fy;
            out.put_pixel(x, y, Luma([v.round() as u8]));
        }
    }
    out
}

/// Runs Tesseract on a prepared page: its words, boxes in the page's pixels.
pub fn words(program: &PathBuf, img: &GrayImage, page: usize) -> Result<Vec<Word>, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("no temporary folder for the scan: {e}"))?;
    let input = dir.path().join("page.png");
    img.save(&input)
        .map_err(|e| format!("the scan could not be handed to Tesseract: {e}"))?;
    let out = Command::new(program)
        .arg(&input)
        .arg("stdout")
        .args(["--psm", "6", "-l", "eng", "tsv"])
        // One thread each: two pages are read side by side instead.
        .env("OMP_THREAD_LIMIT", "1")
        .output()
        .map_err(|e| format!("Tesseract did not start: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "Tesseract could not read the scan: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(parse_tsv(&String::from_utf8_lossy(&out.stdout), page))
}

/// Tesseract's TSV: level 5 rows are words.
pub fn parse_tsv(tsv: &str, page: usize) -> Vec<Word> {
    let mut words = Vec::new();
    for line in tsv.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 12 || f[0] != "5" {
            continue;
        }
        let n = |i: usize| f[i].parse::<f32>().unwrap_or(0.0);
        let text = f[11].trim();
        if text.is_empty() {
            continue;
        }
        let (x, y, w, h) = (n(6), n(7), n(8), n(9));
        words.push(Word {
            text: text.to_owned(),
            page,
            rect: Rect {
                x0: x,
                y0: y,
                x1: x + w,
                y1: y + h,
            },
            confidence: Some(n(10)),
        });
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_words_keep_their_boxes_and_confidence() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
                   4\t1\t1\t1\t1\t0\t10\t20\t300\t30\t-1\t\n\
                   5\t1\t1\t1\t1\t1\t10\t20\t80\t30\t96.5\tSGPT\n\
                   5\t1\t1\t1\t1\t2\t200\t21\t30\t29\t71.2\t60\n";
        let w = parse_tsv(tsv, 1);
        assert_eq!(w.len(), 2);
        assert_eq!(w[1].text, "60");
        assert_eq!(w[1].confidence, Some(71.2));
        assert_eq!(
            w[1].rect,
            Rect {
                x0: 200.0,
                y0: 21.0,
                x1: 230.0,
                y1: 50.0
            }
        );
        assert_eq!(w[1].page, 1);
    }

    #[test]
    fn a_turned_page_is_found_turned() {
        // Dark text-like bars on white, turned by 3 degrees.
        let mut img = GrayImage::from_pixel(1200, 900, Luma([255]));
        for row in 0..20 {
            for y in 0..8 {
                for x in 100..1100 {
                    if (x / 20) % 3 != 0 {
                        img.put_pixel(x, 100 + row * 36 + y, Luma([0]));
                    }
                }
            }
        }
        let turned = rotate(&img, 3.0);
        let found = skew_angle(&turned);
        assert!((found - 3.0).abs() < 0.3, "found {found}");
        let straight = rotate(&turned, -found);
        assert!(skew_angle(&straight).abs() < 0.3);
    }
}
