//! `clinilog report`: the printed report as PDF, read back with poppler's
//! `pdftotext`, `pdfinfo` and `pdffonts` (installed by `.ci/setup`), since
//! a missing glyph fails silently; page 1 of the demo report is kept as a
//! picture (`tests/snapshots/report_demo_page1.png`, `UPDATE_SNAPSHOTS=1`
//! to write it again).

use clinilog::store::ClinicStore;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn clinilog(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clinilog"))
        .args(args)
        .output()
        .unwrap()
}

fn poppler(tool: &str, args: &[&str]) -> String {
    let o = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} is not installed ({e}): run .ci/setup (poppler-utils)"));
    assert!(o.status.success(), "{tool}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

fn report(db: &Path, mrn: &str, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "report",
        "--db",
        db.to_str().unwrap(),
        "--patient",
        mrn,
        "--out",
        out.to_str().unwrap(),
        "--user",
        "Dr Test",
        "--clinic",
        "Liver Clinic",
    ];
    args.extend_from_slice(extra);
    clinilog(&args)
}

fn pages(pdf: &Path) -> usize {
    let info = poppler("pdfinfo", &[pdf.to_str().unwrap()]);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Every font of the PDF embedded (`pdffonts`: the "emb" column says yes).
fn assert_fonts_embedded(pdf: &Path) {
    let fonts = poppler("pdffonts", &[pdf.to_str().unwrap()]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "{fonts}");
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        // name type [encoding words] emb sub uni object ID
        let emb = cols[cols.len() - 5];
        assert_eq!(emb, "yes", "not embedded: {row}");
    }
}

fn demo_db(dir: &Path, busy: bool) -> PathBuf {
    let db = dir.join("clinic.sqlite");
    let mut args = vec!["demo", "--db", db.to_str().unwrap()];
    if busy {
        args.push("--busy");
    }
    assert!(clinilog(&args).status.success());
    db
}

#[test]
fn the_demo_report_prints_the_values_as_printed_the_cycles_and_its_pages() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path(), false);
    let pdf = dir.path().join("demo.pdf");
    let o = report(&db, "DEMO-001", &pdf, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = poppler("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]);
    for expect in [
        "Patient monitoring report",
        "DEMO-001",
        "Liver Clinic",
        "Total bilirubin (mg/dL)",
        "12.30 H",
        "6.50 H",
        "4.60 H",
        "Treatment cycles",
        "Adverse events",
        "No adverse event recorded in this period; \"no adverse events since the last visit\" recorded on",
        "Serial values",
        "Scores",
        "MELD",
        "Symptom course",
        "Trend figures",
        "printed by Dr Test",
        "Lab values are as printed by the laboratory",
    ] {
        assert!(text.contains(expect), "{expect:?} not in the report:\n{text}");
    }
    let cycles = text
        .lines()
        .filter(|l| l.contains("Cell infusion") || l.contains("infusion"))
        .count();
    assert!(cycles >= 3, "the three cycles:\n{text}");
    let n = pages(&pdf);
    assert!(text.contains(&format!("page 1 of {n}")), "{text}");
    assert_fonts_embedded(&pdf);

    // Page 1 as a picture, kept and looked at.
    let png = dir.path().join("page");
    poppler(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            pdf.to_str().unwrap(),
            png.to_str().unwrap(),
        ],
    );
    let got = image::open(dir.path().join("page.png")).unwrap().to_rgb8();
    let kept = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/report_demo_page1.png");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() || !kept.exists() {
        got.save(&kept).unwrap();
    }
    let want = image::open(&kept).unwrap().to_rgb8();
    assert_eq!(got.dimensions(), want.dimensions());
    let differ = got.pixels().zip(want.pixels()).filter(|(a, b)| a != b).count();
    let share = differ as f64 / f64::from(got.width() * got.height());
    // The footer's time and file path change between runs; nothing else may.
    assert!(
        share < 0.02,
        "{:.1}% of page 1 differs from {}",
        share * 100.0,
        kept.display()
    );
}

#[test]
fn a_busy_patient_gives_many_pages_each_with_the_patient_header() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path(), true);
    let pdf = dir.path().join("busy.pdf");
    let mrn = clinilog::cli::demo::BUSY_MRN;
    let o = report(&db, mrn, &pdf, &["--plots", "aminotransferases,albumin"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let n = pages(&pdf);
    assert!(n >= 10, "a 260-entry patient fills many pages: {n}");
    for page in 1..=n {
        let p = page.to_string();
        let text = poppler(
            "pdftotext",
            &["-layout", "-f", &p, "-l", &p, pdf.to_str().unwrap(), "-"],
        );
        assert!(
            text.contains(&format!("MRN {mrn}")),
            "page {page} has no patient header:\n{text}"
        );
        assert!(text.contains(&format!("page {page} of {n}")), "page {page}:\n{text}");
    }
    assert_fonts_embedded(&pdf);
}

#[test]
fn names_in_any_script_print_as_typed_and_an_empty_record_says_so() {
    use clinilog::domain::{PatientData, Sex};
    use clinilog::store::FileStore;
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path(), false);
    let name = "José Łukasz Müller #*_ $x$ राम 王小明 محمد";
    {
        let mut store = FileStore::open(&db).unwrap();
        let mut data = store.patient_by_mrn("DEMO-001").unwrap().unwrap();
        let old = data.clone();
        data.data.name = name.to_owned();
        store
            .update_patient(&old, &data.data, "name in full", "Dr Test")
            .unwrap();
        store
            .create_patient(
                &PatientData {
                    mrn: "EMPTY-1".into(),
                    name: "No Entries".into(),
                    birth_date: jiff::civil::date(1970, 1, 1),
                    sex: Sex::Female,
                    diagnosis: String::new(),
                    enrolled: jiff::civil::date(2025, 1, 1),
                    notes: String::new(),
                },
                "Dr Test",
            )
            .unwrap();
    }
    let pdf = dir.path().join("names.pdf");
    let o = report(&db, "DEMO-001", &pdf, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = poppler("pdftotext", &["-raw", pdf.to_str().unwrap(), "-"]);
    for part in ["José Łukasz Müller", "#*_ $x$", "राम", "王小明"] {
        assert!(text.contains(part), "{part:?} not printed:\n{text}");
    }
    // Arabic is extracted in visual or logical order depending on poppler; either is fine.
    assert!(
        text.contains("محمد") || text.contains("دمحم"),
        "Arabic not printed:\n{text}"
    );
    assert_fonts_embedded(&pdf);

    let empty = dir.path().join("empty.pdf");
    let o = report(&db, "EMPTY-1", &empty, &[]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("nothing to report: EMPTY-1 has no entries or treatments"));
    assert!(!empty.exists(), "no empty file is left");
}

/// An adverse event prints in its section with its grade in words, its
/// relation, cycle and outcome.
#[test]
fn an_adverse_event_prints_with_its_grade_relation_and_outcome() {
    use clinilog::domain::adverse::{AdverseEventDraft, Outcome, Relation};
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path(), false);
    {
        let mut store = clinilog::store::FileStore::open(&db).unwrap();
        let demo = store.patient_by_mrn("DEMO-001").unwrap().unwrap();
        let mut d = AdverseEventDraft::blank(jiff::civil::date(2025, 7, 22), Some(1), "Dr Rao");
        d.term = "Fever".into();
        d.grade = "2".into();
        d.relation = Some(Relation::Possible);
        d.resolved_on = "2025-07-24".into();
        d.outcome = Outcome::Resolved;
        let data = d.validate(demo.data.birth_date, jiff::civil::date(2025, 9, 1)).unwrap();
        store.add_adverse_event(demo.id, &data, "Dr Rao").unwrap();
    }
    let pdf = dir.path().join("ae.pdf");
    let o = report(&db, "DEMO-001", &pdf, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = poppler("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]);
    let line = text
        .lines()
        .find(|l| l.contains("Fever"))
        .unwrap_or_else(|| panic!("no Fever line:\n{text}"));
    for expect in [
        "2025-07-22",
        "2 (moderate)",
        "no",
        "Possible",
        "C1",
        "Resolved 2025-07-24",
    ] {
        assert!(line.contains(expect), "{expect:?} not in {line:?}");
    }
    assert!(text.contains("Graded by CTCAE v5"), "{text}");
}

/// `clinilog cohort --pdf`: the cohort printed in the report's style, read
/// back with poppler: the choices, the summary and the case report's row,
/// the fonts embedded.
#[test]
fn the_cohort_prints_as_a_pdf_report() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path(), false);
    let pdf = dir.path().join("cohort.pdf");
    let o = clinilog(&[
        "cohort",
        "--db",
        db.to_str().unwrap(),
        "--measure",
        "bili_total",
        "--at",
        "14,30",
        "--pdf",
        pdf.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = poppler("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]);
    for expect in [
        "Cohort outcomes",
        "Total bilirubin (mg/dL), day 0 at the first cycle",
        "Patients: all; 1 with a day 0, 0 without one left out",
        "days since day 0",
        "Change from baseline",
        "n=1, median -7.70 (IQR -7.70 to -7.70)",
        "12.30 (2025-07-19)",
        "6.50 (-5.80, -47.2%)",
        "4.60 (-7.70, -62.6%)",
        "page 1 of ",
    ] {
        assert!(text.contains(expect), "{expect:?} not in the cohort report:\n{text}");
    }
    assert_fonts_embedded(&pdf);
}

/// A sodium of 115 mmol/L prints as `115 LL` in the report's table: beyond
/// the critical (call-back) limit, not only below the interval; and the
/// report's legend says what LL means.
#[test]
fn a_critical_value_prints_ll() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path(), false);
    crate::common::record_labs(&db, "DEMO-001", jiff::civil::date(2025, 9, 1), &[("sodium", "115")]);
    let pdf = dir.path().join("critical.pdf");
    let o = report(&db, "DEMO-001", &pdf, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = poppler("pdftotext", &["-raw", pdf.to_str().unwrap(), "-"]);
    assert!(text.contains("115 LL"), "{text}");
    assert!(text.contains("HH or LL beyond the"), "{text}");
}
