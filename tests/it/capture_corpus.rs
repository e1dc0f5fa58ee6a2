//! A corpus of printed lab reports made by the tests themselves: twelve
//! labs' layouts typeset by typst (different fonts, column orders,
//! interval styles, a two-column page, a second page with its header
//! repeated), each as a text PDF and as a scan (rendered, turned, noisy).
//! Each layout says what it prints, so a reading can be checked value by
//! value. Used by `tests/it/capture.rs` and `benches/capture.rs`.

#![allow(dead_code)]

use clinilog::interop::capture::{ocr, pdf};
use image::{GrayImage, Luma};

/// One printed row and what it truly says in the catalog's terms.
#[derive(Clone, Debug)]
pub struct Printed {
    pub name: &'static str,
    pub value: &'static str,
    pub unit: &'static str,
    pub interval: &'static str,
    pub flag: &'static str,
    /// `(code, value as stored, unit, low, high)`; `None`: no catalog measure (to be listed).
    pub truth: Option<(&'static str, &'static str, &'static str, &'static str, &'static str)>,
}

const fn p(
    name: &'static str,
    value: &'static str,
    unit: &'static str,
    interval: &'static str,
    flag: &'static str,
    truth: Option<(&'static str, &'static str, &'static str, &'static str, &'static str)>,
) -> Printed {
    Printed {
        name,
        value,
        unit,
        interval,
        flag,
        truth,
    }
}

/// The seed case's first report (REFERENCE.md, 2025-07-19), as one lab prints it.
pub fn seed_rows() -> Vec<Printed> {
    vec![
        p(
            "S. Creatinine",
            "1.00",
            "mg/dL",
            "0.6 - 1.5",
            "",
            Some(("creatinine", "1.00", "mg/dL", "0.6", "1.5")),
        ),
        p(
            "SGPT",
            "60",
            "U/L",
            "Up to 40",
            "H",
            Some(("alt", "60", "U/L", "", "40")),
        ),
        p(
            "SGOT",
            "160",
            "U/L",
            "Up to 40",
            "H",
            Some(("ast", "160", "U/L", "", "40")),
        ),
        p(
            "Alkaline Phosphatase",
            "151",
            "U/L",
            "Up to 260",
            "",
            Some(("alp", "151", "U/L", "", "260")),
        ),
        p(
            "Total Bilirubin",
            "12.30",
            "mg/dL",
            "0.0 - 1.0",
            "H",
            Some(("bili_total", "12.30", "mg/dL", "0.0", "1.0")),
        ),
        p(
            "Direct Bilirubin",
            "9.80",
            "mg/dL",
            "Up to 0.80",
            "H",
            Some(("bili_direct", "9.80", "mg/dL", "", "0.80")),
        ),
        p(
            "Indirect Bilirubin",
            "2.50",
            "mg/dL",
            "Up to 0.30",
            "H",
            Some(("bili_indirect", "2.50", "mg/dL", "", "0.30")),
        ),
    ]
}

/// One lab's layout.
pub struct Layout {
    pub name: &'static str,
    pub rows: Vec<Printed>,
    /// The typst source.
    pub source: String,
    /// Pages the PDF has.
    pub pages: usize,
    /// Degrees the scan is turned by, and its noise (0 to 1).
    pub turn: f32,
    pub noise: f32,
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn cell(s: &str) -> String {
    format!(
        "[{}]",
        s.replace('<', "\\<")
            .replace('>', "\\>")
            .replace('*', "\\*")
            .replace('#', "\\#")
    )
}

struct Style {
    font: &'static str,
    size: &'static str,
    columns: &'static [&'static str],
    header: &'static [&'static str],
    date: &'static str,
    patient_block: &'static str,
}

fn table(style: &Style, rows: &[Printed], order: &[char]) -> String {
    let mut s = format!(
        "#table(columns: ({}), stroke: none, inset: (x: 4pt, y: 3pt), align: left,\n",
        style.columns.join(", ")
    );
    for h in style.header {
        s.push_str(&format!("  [*{}*],", h));
    }
    s.push('\n');
    for r in rows {
        for c in order {
            let text = match c {
                'n' => r.name.to_owned(),
                'v' => r.value.to_owned(),
                'u' => r.unit.to_owned(),
                'i' => r.interval.to_owned(),
                'f' => r.flag.to_owned(),
                'V' => format!("{} {}", r.value, r.flag).trim().to_owned(),
                'U' => format!("{} {}", r.value, r.unit),
                _ => String::new(),
            };
            s.push_str(&format!("  {},", cell(&text)));
        }
        s.push('\n');
    }
    s.push_str(")\n");
    s
}

fn page(style: &Style, lab: &str, body: &str) -> String {
    format!(
        "#set page(paper: \"a4\", margin: 1.6cm)\n#set text(font: (\"{}\", \"Noto Sans\"), size: {})\n\
         #text(size: 1.4em)[*{}*] \\\n Clinical Biochemistry Report\n#v(8pt)\n{}\n#v(8pt)\n{}",
        style.font,
        style.size,
        esc(lab),
        style.patient_block.replace("{date}", style.date),
        body
    )
}

const PATIENT: &str = "#grid(columns: (1fr, 1fr), row-gutter: 5pt,\n  [Patient Name: Demo: cirrhosis case report], [MRN: DEMO-001],\n  [DOB: 15/03/1974], [Collected: {date}],\n  [Sex: Male], [Reported: 20/07/2025])";

/// The twelve layouts.
pub fn layouts() -> Vec<Layout> {
    let seed = seed_rows();
    let mut out = Vec::new();
    let mut add = |name, rows: Vec<Printed>, source: String, pages, turn, noise| {
        out.push(Layout {
            name,
            rows,
            source,
            pages,
            turn,
            noise,
        })
    };

    // 1. The classic: Test | Result | Flag | Unit | Reference interval.
    let st = Style {
        font: "Noto Sans",
        size: "10pt",
        columns: &["2fr", "1fr", "0.5fr", "1fr", "1.4fr"],
        header: &["Test", "Result", "Flag", "Unit", "Reference Interval"],
        date: "19/07/2025 08:40",
        patient_block: PATIENT,
    };
    add(
        "classic",
        seed.clone(),
        page(
            &st,
            "City Hospital Laboratory",
            &table(&st, &seed, &['n', 'v', 'f', 'u', 'i']),
        ),
        1,
        1.5,
        0.3,
    );

    // 2. Range before result, in Ubuntu.
    let st2 = Style {
        font: "Ubuntu",
        size: "10.5pt",
        columns: &["2fr", "1.4fr", "0.8fr", "0.8fr"],
        header: &["Investigation", "Biological Ref. Range", "Units", "Result"],
        ..st
    };
    let rows2: Vec<Printed> = seed
        .iter()
        .map(|r| Printed {
            interval: match r.interval {
                "0.6 - 1.5" => "(0.6 - 1.5)",
                "0.0 - 1.0" => "(0.0 - 1.0)",
                other => other,
            },
            ..r.clone()
        })
        .collect();
    add(
        "range first",
        rows2.clone(),
        page(&st2, "Sunrise Diagnostics", &table(&st2, &rows2, &['n', 'i', 'u', 'v'])),
        1,
        -2.0,
        0.4,
    );

    // 3. Monospace, no table header: lines by their shape.
    let st3 = Style {
        font: "Hack",
        size: "9pt",
        columns: &["2.2fr", "0.8fr", "0.8fr", "1.2fr"],
        header: &[],
        ..st
    };
    let rows3: Vec<Printed> = seed
        .iter()
        .map(|r| Printed {
            name: match r.name {
                "S. Creatinine" => "Creatinine",
                "Total Bilirubin" => "T.Bil",
                "Direct Bilirubin" => "D.Bil",
                "Indirect Bilirubin" => "I.Bil",
                n => n,
            },
            interval: match r.interval {
                "0.6 - 1.5" => "0.6-1.5",
                "0.0 - 1.0" => "0.0-1.0",
                other => other,
            },
            ..r.clone()
        })
        .collect();
    add(
        "monospace, no header",
        rows3.clone(),
        page(&st3, "QuickLab", &table(&st3, &rows3, &['n', 'v', 'u', 'i'])),
        1,
        2.5,
        0.3,
    );

    // 4. Decimal commas, European intervals.
    let rows4 = vec![
        p("Kreatinin (Creatinine)", "1,00", "mg/dL", "0,6 - 1,5", "", None),
        p(
            "Creatinine",
            "1,00",
            "mg/dL",
            "0,6 - 1,5",
            "",
            Some(("creatinine", "1.00", "mg/dL", "0.6", "1.5")),
        ),
        p("ALT", "60", "U/L", "< 40", "H", Some(("alt", "60", "U/L", "", "40"))),
        p("AST", "160", "U/L", "< 40", "H", Some(("ast", "160", "U/L", "", "40"))),
        p(
            "Bilirubin total",
            "12,30",
            "mg/dL",
            "0,0 - 1,0",
            "H",
            Some(("bili_total", "12.30", "mg/dL", "0.0", "1.0")),
        ),
        p(
            "Albumin",
            "2,9",
            "g/dL",
            "3,5 - 5,2",
            "L",
            Some(("albumin", "2.9", "g/dL", "3.5", "5.2")),
        ),
        p(
            "INR",
            "1,6",
            "",
            "0,8 - 1,2",
            "H",
            Some(("inr", "1.6", "{INR}", "0.8", "1.2")),
        ),
    ];
    let st4 = Style {
        font: "Noto Sans",
        size: "10pt",
        columns: &["2fr", "1fr", "1fr", "1.2fr", "0.5fr"],
        header: &["Parameter", "Value", "Unit", "Normal", "Flag"],
        date: "19.07.2025",
        ..st
    };
    add(
        "decimal commas",
        rows4.clone(),
        page(
            &st4,
            "Labor Dr. Muster",
            &table(&st4, &rows4, &['n', 'v', 'u', 'i', 'f']),
        ),
        1,
        -1.0,
        0.5,
    );

    // 5. Two tables side by side.
    let left = &seed[..4];
    let right = &seed[4..];
    let mut two = String::from(
        "#table(columns: (1.5fr, 0.7fr, 0.7fr, 1fr, 0.3fr, 1.5fr, 0.7fr, 0.7fr, 1fr), stroke: none, inset: (x: 3pt, y: 3pt),\n  [*Test*], [*Result*], [*Unit*], [*Range*], [], [*Test*], [*Result*], [*Unit*], [*Range*],\n",
    );
    for (i, l) in left.iter().enumerate() {
        two.push_str(&format!(
            "  {}, {}, {}, {}, [],",
            cell(l.name),
            cell(l.value),
            cell(l.unit),
            cell(l.interval)
        ));
        match right.get(i) {
            Some(r) => two.push_str(&format!(
                " {}, {}, {}, {},\n",
                cell(r.name),
                cell(r.value),
                cell(r.unit),
                cell(r.interval)
            )),
            None => two.push_str(" [], [], [], [],\n"),
        }
    }
    two.push_str(")\n");
    let st5 = Style {
        font: "Noto Sans",
        size: "9pt",
        ..st
    };
    add(
        "two columns",
        seed.clone(),
        page(&st5, "Twin Column Labs", &two),
        1,
        1.0,
        0.3,
    );

    // 6. Two pages, the patient block and the table header repeated.
    let more = vec![
        p(
            "Albumin",
            "2.8",
            "g/dL",
            "3.5 - 5.2",
            "L",
            Some(("albumin", "2.8", "g/dL", "3.5", "5.2")),
        ),
        p(
            "Total Protein",
            "6.1",
            "g/dL",
            "6.0 - 8.3",
            "",
            Some(("protein_total", "6.1", "g/dL", "6.0", "8.3")),
        ),
        p(
            "INR",
            "1.7",
            "",
            "0.8 - 1.2",
            "H",
            Some(("inr", "1.7", "{INR}", "0.8", "1.2")),
        ),
        p(
            "Sodium",
            "131",
            "mmol/L",
            "135 - 145",
            "L",
            Some(("sodium", "131", "mmol/L", "135", "145")),
        ),
    ];
    let st6 = Style {
        font: "Noto Sans",
        size: "10pt",
        columns: &["2fr", "1fr", "1fr", "1.4fr"],
        header: &["Test Name", "Result", "Units", "Reference Range"],
        ..st
    };
    let mut rows6 = seed.clone();
    rows6.extend(more.clone());
    let body6 = format!(
        "{}\n#pagebreak()\n#text(size: 1.4em)[*Metro Lab*] (continued)\n#v(8pt)\n{}\n#v(8pt)\n{}",
        table(&st6, &seed, &['n', 'v', 'u', 'i']),
        PATIENT.replace("{date}", st6.date),
        table(&st6, &more, &['n', 'v', 'u', 'i'])
    );
    add("two pages", rows6, page(&st6, "Metro Lab", &body6), 2, -1.5, 0.3);

    // 7. `max` and `<` intervals.
    let rows7: Vec<Printed> = seed
        .iter()
        .map(|r| Printed {
            interval: match r.interval {
                "Up to 40" => "40 max",
                "Up to 260" => "< 260",
                "Up to 0.80" => "0.80 max",
                "Up to 0.30" => "< 0.30",
                other => other,
            },
            ..r.clone()
        })
        .collect();
    let st7 = Style {
        font: "Ubuntu",
        size: "11pt",
        columns: &["2fr", "1fr", "1fr", "1.2fr"],
        header: &["Analyte", "Result", "Unit", "Reference"],
        date: "19-Jul-2025",
        ..st
    };
    add(
        "max and less-than",
        rows7.clone(),
        page(&st7, "Northside Pathology", &table(&st7, &rows7, &['n', 'v', 'u', 'i'])),
        1,
        0.8,
        0.4,
    );

    // 8. Intervals by sex.
    let rows8 = vec![
        p(
            "Creatinine",
            "1.00",
            "mg/dL",
            "M: 0.7-1.3 F: 0.6-1.1",
            "",
            Some(("creatinine", "1.00", "mg/dL", "0.7", "1.3")),
        ),
        p(
            "Hemoglobin",
            "11.2",
            "g/dL",
            "M: 13.0-17.0 F: 12.0-15.0",
            "L",
            Some(("hemoglobin", "11.2", "g/dL", "13.0", "17.0")),
        ),
        p(
            "ALT",
            "60",
            "U/L",
            "Up to 40",
            "H",
            Some(("alt", "60", "U/L", "", "40")),
        ),
        p(
            "GGT",
            "88",
            "U/L",
            "M: 10-71 F: 6-42",
            "H",
            Some(("ggt", "88", "U/L", "10", "71")),
        ),
    ];
    let st8 = Style {
        font: "Noto Sans",
        size: "10pt",
        columns: &["1.6fr", "0.8fr", "0.8fr", "2fr"],
        header: &["Test", "Result", "Units", "Reference Interval"],
        ..st
    };
    add(
        "intervals by sex",
        rows8.clone(),
        page(&st8, "Hillview Clinic Lab", &table(&st8, &rows8, &['n', 'v', 'u', 'i'])),
        1,
        -2.5,
        0.3,
    );

    // 9. The flag printed in the result cell.
    let st9 = Style {
        font: "Noto Sans",
        size: "10pt",
        columns: &["2fr", "1fr", "1fr", "1.4fr"],
        header: &["Description", "Result", "Unit", "Ref. Interval"],
        ..st
    };
    add(
        "flag beside the value",
        seed.clone(),
        page(&st9, "Riverside Hospital", &table(&st9, &seed, &['n', 'V', 'u', 'i'])),
        1,
        2.0,
        0.5,
    );

    // 10. The unit printed with the value, no unit column.
    let st10 = Style {
        font: "Ubuntu",
        size: "10pt",
        columns: &["2fr", "1.2fr", "1.4fr"],
        header: &["Test", "Result", "Normal Range"],
        ..st
    };
    add(
        "unit with the value",
        seed.clone(),
        page(&st10, "Valley Diagnostics", &table(&st10, &seed, &['n', 'U', 'i'])),
        1,
        -0.7,
        0.4,
    );

    // 11. Large bold print, a date with the month's name.
    let st11 = Style {
        font: "Noto Sans",
        size: "12pt",
        columns: &["2fr", "1fr", "1fr", "1.4fr"],
        header: &["Examination", "Result", "Units", "Reference Range"],
        date: "19 Jul 2025",
        ..st
    };
    let bold = format!(
        "#set text(weight: \"bold\")\n{}",
        table(&st11, &seed, &['n', 'v', 'u', 'i'])
    );
    add(
        "large bold",
        seed.clone(),
        page(&st11, "Central Reference Lab", &bold),
        1,
        3.0,
        0.3,
    );

    // 12. Dense: small print, a full panel, tests outside the catalog.
    let rows12 = vec![
        p(
            "Total Bilirubin",
            "12.30",
            "mg/dL",
            "0.0 - 1.0",
            "H",
            Some(("bili_total", "12.30", "mg/dL", "0.0", "1.0")),
        ),
        p(
            "Direct Bilirubin",
            "9.80",
            "mg/dL",
            "Up to 0.80",
            "H",
            Some(("bili_direct", "9.80", "mg/dL", "", "0.80")),
        ),
        p(
            "SGPT",
            "60",
            "U/L",
            "Up to 40",
            "H",
            Some(("alt", "60", "U/L", "", "40")),
        ),
        p(
            "SGOT",
            "160",
            "U/L",
            "Up to 40",
            "H",
            Some(("ast", "160", "U/L", "", "40")),
        ),
        p("Serum Calcium", "8.9", "mg/dL", "8.5 - 10.5", "", None),
        p("Uric Acid", "5.1", "mg/dL", "3.5 - 7.2", "", None),
        p(
            "Albumin",
            "2.9",
            "g/dL",
            "3.5 - 5.2",
            "L",
            Some(("albumin", "2.9", "g/dL", "3.5", "5.2")),
        ),
        p(
            "Platelet count",
            "92",
            "10^3/uL",
            "150 - 400",
            "L",
            Some(("platelets", "92", "10*3/uL", "150", "400")),
        ),
        p(
            "Hemoglobin",
            "11.2",
            "g/dL",
            "13.0 - 17.0",
            "L",
            Some(("hemoglobin", "11.2", "g/dL", "13.0", "17.0")),
        ),
        p(
            "Sodium",
            "131",
            "mmol/L",
            "135 - 145",
            "L",
            Some(("sodium", "131", "mmol/L", "135", "145")),
        ),
        p(
            "Creatinine",
            "1.00",
            "mg/dL",
            "0.6 - 1.5",
            "",
            Some(("creatinine", "1.00", "mg/dL", "0.6", "1.5")),
        ),
        p(
            "Prothrombin time",
            "16.8",
            "sec",
            "11 - 13.5",
            "H",
            Some(("pt", "16.8", "s", "11", "13.5")),
        ),
    ];
    let st12 = Style {
        font: "Noto Sans",
        size: "8.5pt",
        columns: &["2fr", "1fr", "1fr", "1.4fr", "0.5fr"],
        header: &["Test", "Result", "Unit", "Bio. Ref. Interval", "Flag"],
        ..st
    };
    add(
        "dense panel",
        rows12.clone(),
        page(&st12, "Apex Labs", &table(&st12, &rows12, &['n', 'v', 'u', 'i', 'f'])),
        1,
        -1.2,
        0.6,
    );
    out
}

/// The fonts the labs print in (all in the dependency tree already).
pub fn fonts() -> Vec<&'static [u8]> {
    vec![
        include_bytes!("../../assets/fonts/NotoSans-Regular.ttf"),
        include_bytes!("../../assets/fonts/NotoSans-Bold.ttf"),
        epaint_default_fonts::UBUNTU_LIGHT,
        epaint_default_fonts::HACK_REGULAR,
    ]
}

/// Typesets a layout to PDF, with images by name for `#image`.
pub fn typeset(source: &str, images: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut builder = typst_as_lib::TypstEngine::builder()
        .main_file(source.to_owned())
        .fonts(fonts());
    if !images.is_empty() {
        builder = builder.with_static_file_resolver(images.iter().map(|(n, b)| (*n, b.clone())));
    }
    let engine = builder.build();
    let doc = engine.compile().output.expect("the layout compiles");
    typst_pdf::pdf(&doc, &typst_pdf::PdfOptions::default()).expect("PDF written")
}

/// A page of the PDF as a scanner or phone gives it: 200 dpi, grey paper,
/// turned by `turn` degrees, speckled and grainy by `noise`.
pub fn scan(pdf_bytes: &[u8], page: usize, turn: f32, noise: f32) -> GrayImage {
    let doc = pdf::open(pdf_bytes).expect("our PDF opens");
    let img = pdf::render(&doc, page, 200.0 / 72.0).expect("rendered");
    let mut img = ocr::rotate(&img, turn);
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D ^ (page as u64 + 1) ^ u64::from(turn.to_bits());
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (w, h) = img.dimensions();
    for (x, y, px) in img.enumerate_pixels_mut() {
        // Paper is not white, and a shadow falls from one side.
        let shade = 225.0 - 35.0 * (x as f32 / w as f32) * noise - 10.0 * (y as f32 / h as f32);
        let ink = f32::from(px[0]) / 255.0;
        let grain = ((next() % 1000) as f32 / 1000.0 - 0.5) * 60.0 * noise;
        let mut v = shade * ink + 30.0 * (1.0 - ink) + grain;
        if next() % 10_000 < (20.0 * noise) as u64 {
            v = if next() % 2 == 0 { 20.0 } else { 250.0 };
        }
        *px = Luma([v.clamp(0.0, 255.0) as u8]);
    }
    img
}

pub fn png(img: &GrayImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("PNG written");
    out.into_inner()
}

pub fn jpeg(img: &GrayImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(img)
        .expect("JPEG written");
    out.into_inner()
}

/// The scan of a layout as a file: a PNG or JPEG of one page, or a PDF of
/// page images (a scanner's PDF) when the report has several pages.
pub fn scan_file(layout: &Layout, text_pdf: &[u8], index: usize) -> (&'static str, Vec<u8>) {
    if layout.pages > 1 {
        let mut images = Vec::new();
        let mut src = String::from("#set page(paper: \"a4\", margin: 0pt)\n");
        for page in 0..layout.pages {
            let name = format!("p{page}.png");
            images.push((name.clone(), png(&scan(text_pdf, page, layout.turn, layout.noise))));
            if page > 0 {
                src.push_str("#pagebreak()\n");
            }
            src.push_str(&format!("#image(\"{name}\", width: 100%)\n"));
        }
        let refs: Vec<(&str, Vec<u8>)> = images.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
        return ("pdf", typeset(&src, &refs));
    }
    let img = scan(text_pdf, 0, layout.turn, layout.noise);
    if index % 3 == 2 {
        ("jpg", jpeg(&img))
    } else {
        ("png", png(&img))
    }
}
