//! Liver scores, exactly the versions of `assets/clinical.md` section 4.
//!
//! Each score is a pure function of named inputs in stated units. It
//! returns the reported value, the unrounded value where rounding applies,
//! the class or grade where one exists, the version it implements, and a
//! breakdown (each input as used, after bounds, and each term or point).
//! A score whose inputs are missing is not computed: the error names every
//! missing input.

use std::fmt;

use serde::Serialize;

/// Which score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScoreKind {
    Meld,
    MeldNa,
    Meld3,
    ChildPugh,
    Albi,
    Apri,
    Fib4,
    AstAlt,
}

impl ScoreKind {
    pub const ALL: [ScoreKind; 8] = [
        ScoreKind::Meld,
        ScoreKind::MeldNa,
        ScoreKind::Meld3,
        ScoreKind::ChildPugh,
        ScoreKind::Albi,
        ScoreKind::Apri,
        ScoreKind::Fib4,
        ScoreKind::AstAlt,
    ];

    /// The command-line name: `meld`, `meld-na`, `meld3`, ...
    pub fn cli_name(self) -> &'static str {
        match self {
            ScoreKind::Meld => "meld",
            ScoreKind::MeldNa => "meld-na",
            ScoreKind::Meld3 => "meld3",
            ScoreKind::ChildPugh => "child-pugh",
            ScoreKind::Albi => "albi",
            ScoreKind::Apri => "apri",
            ScoreKind::Fib4 => "fib4",
            ScoreKind::AstAlt => "ast-alt",
        }
    }

    pub fn from_cli_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.cli_name() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ScoreKind::Meld => "MELD",
            ScoreKind::MeldNa => "MELD-Na",
            ScoreKind::Meld3 => "MELD 3.0",
            ScoreKind::ChildPugh => "Child-Pugh",
            ScoreKind::Albi => "ALBI",
            ScoreKind::Apri => "APRI",
            ScoreKind::Fib4 => "FIB-4",
            ScoreKind::AstAlt => "AST/ALT",
        }
    }

    pub fn version(self) -> &'static str {
        match self {
            ScoreKind::Meld => "MELD (UNOS; Kamath 2001 as adopted by UNOS, no etiology term)",
            ScoreKind::MeldNa => "MELD-Na (OPTN 2016; Kim, NEJM 2008)",
            ScoreKind::Meld3 => "MELD 3.0 (Kim et al., Gastroenterology 2021;161:1887)",
            ScoreKind::ChildPugh => "Child-Pugh (Pugh 1973)",
            ScoreKind::Albi => "ALBI (Johnson 2015)",
            ScoreKind::Apri => "APRI (Wai 2003)",
            ScoreKind::Fib4 => "FIB-4 (Sterling 2006)",
            ScoreKind::AstAlt => "AST/ALT (De Ritis) ratio",
        }
    }
}

/// Ascites as Child-Pugh grades it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ascites {
    None,
    Mild,
    ModerateSevere,
}

impl Ascites {
    /// From the International Ascites Club grade recorded with an entry:
    /// grade 1 (ultrasound only) is mild, grades 2 and 3 moderate-severe.
    pub fn from_iac_grade(grade: u8) -> Self {
        match grade {
            0 => Ascites::None,
            1 => Ascites::Mild,
            _ => Ascites::ModerateSevere,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Ascites::None => "none",
            Ascites::Mild => "mild",
            Ascites::ModerateSevere => "moderate-severe",
        }
    }
}

/// Hepatic encephalopathy as Child-Pugh grades it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encephalopathy {
    None,
    Grade1To2,
    Grade3To4,
}

impl Encephalopathy {
    /// From the West Haven grade recorded with an entry.
    pub fn from_west_haven(grade: u8) -> Self {
        match grade {
            0 => Encephalopathy::None,
            1 | 2 => Encephalopathy::Grade1To2,
            _ => Encephalopathy::Grade3To4,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Encephalopathy::None => "none",
            Encephalopathy::Grade1To2 => "grade 1-2",
            Encephalopathy::Grade3To4 => "grade 3-4",
        }
    }
}

/// Every input any score takes, in the units named. `None` is missing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScoreInputs {
    /// Total bilirubin, mg/dL.
    pub bilirubin: Option<f64>,
    pub inr: Option<f64>,
    /// Creatinine, mg/dL.
    pub creatinine: Option<f64>,
    /// Sodium, mmol/L.
    pub sodium: Option<f64>,
    /// Albumin, g/dL.
    pub albumin: Option<f64>,
    /// Dialysis twice in the past 7 days, or 24 h of CVVHD.
    pub dialysis: Option<bool>,
    /// `true` for female, `false` for male; `None` when neither is recorded.
    pub female: Option<bool>,
    /// Years.
    pub age: Option<f64>,
    /// U/L.
    pub ast: Option<f64>,
    pub alt: Option<f64>,
    /// Upper limit of normal for AST, U/L.
    pub ast_uln: Option<f64>,
    /// 10^9/L (same number as 10^3/uL).
    pub platelets: Option<f64>,
    pub ascites: Option<Ascites>,
    pub encephalopathy: Option<Encephalopathy>,
}

/// An input a score may need. Its label (in messages and breakdowns) and
/// its command-line option come from here, so the two never drift apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScoreInput {
    Bilirubin,
    Inr,
    Creatinine,
    Sodium,
    Albumin,
    Sex,
    Age,
    Ast,
    Alt,
    AstUln,
    Platelets,
    Ascites,
    Encephalopathy,
}

impl ScoreInput {
    /// How a message names it, with the unit it is taken in.
    pub fn label(self) -> &'static str {
        match self {
            ScoreInput::Bilirubin => "bilirubin (mg/dL)",
            ScoreInput::Inr => "INR",
            ScoreInput::Creatinine => "creatinine (mg/dL)",
            ScoreInput::Sodium => "sodium (mmol/L)",
            ScoreInput::Albumin => "albumin (g/dL)",
            ScoreInput::Sex => "sex (female or male)",
            ScoreInput::Age => "age (years)",
            ScoreInput::Ast => "AST (U/L)",
            ScoreInput::Alt => "ALT (U/L)",
            ScoreInput::AstUln => "AST upper limit of normal (U/L)",
            ScoreInput::Platelets => "platelets (10^9/L)",
            ScoreInput::Ascites => "ascites",
            ScoreInput::Encephalopathy => "encephalopathy",
        }
    }

    /// The option of `clinilog score` that gives it.
    pub fn cli_option(self) -> &'static str {
        match self {
            ScoreInput::Bilirubin => "--bilirubin",
            ScoreInput::Inr => "--inr",
            ScoreInput::Creatinine => "--creatinine",
            ScoreInput::Sodium => "--sodium",
            ScoreInput::Albumin => "--albumin",
            ScoreInput::Sex => "--sex",
            ScoreInput::Age => "--age",
            ScoreInput::Ast => "--ast",
            ScoreInput::Alt => "--alt",
            ScoreInput::AstUln => "--ast-uln",
            ScoreInput::Platelets => "--platelets",
            ScoreInput::Ascites => "--ascites",
            ScoreInput::Encephalopathy => "--encephalopathy",
        }
    }
}

/// Why a score was not computed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ScoreError {
    #[error("{score} not computed: missing {}", .missing.iter().map(|m| m.label()).collect::<Vec<_>>().join(", "))]
    Missing {
        score: &'static str,
        missing: Vec<ScoreInput>,
    },
    #[error("{score} not computed: {input} must be {rule} (got {value})")]
    Invalid {
        score: &'static str,
        input: &'static str,
        rule: &'static str,
        value: f64,
    },
}

/// One line of a breakdown: an input as used, or a term, or points.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Term {
    pub name: String,
    pub value: f64,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoreResult {
    pub kind: ScoreKind,
    /// The reported score: the integer for the MELD family, the points for
    /// Child-Pugh, the number (rounded to 2 decimals) for the others.
    pub value: f64,
    /// Before the final rounding (MELD: MELD(i) x 10).
    pub unrounded: f64,
    /// Child-Pugh A/B/C, ALBI grade 1/2/3.
    pub class: Option<String>,
    pub version: &'static str,
    pub terms: Vec<Term>,
}

impl ScoreResult {
    /// `13`, `12 (C)`, `-2.10 (grade 2)`, `0.63`.
    pub fn display(&self) -> String {
        let number = match self.kind {
            ScoreKind::Meld | ScoreKind::MeldNa | ScoreKind::Meld3 | ScoreKind::ChildPugh => {
                format!("{}", self.value)
            }
            _ => format!("{:.2}", self.value),
        };
        match (&self.class, self.kind) {
            (Some(c), ScoreKind::Albi) => format!("{number} (grade {c})"),
            (Some(c), _) => format!("{number} ({c})"),
            (None, _) => number,
        }
    }
}

impl fmt::Display for ScoreResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.label(), self.display())
    }
}

fn term(name: &str, value: f64, detail: impl Into<String>) -> Term {
    Term {
        name: name.to_owned(),
        value,
        detail: detail.into(),
    }
}

/// Collects required inputs; every missing one is named.
struct Need {
    score: &'static str,
    missing: Vec<ScoreInput>,
}

impl Need {
    fn new(kind: ScoreKind) -> Self {
        Self {
            score: kind.label(),
            missing: Vec::new(),
        }
    }

    /// The value, or a placeholder and a note that `name` is missing
    /// (`done` then refuses to compute).
    fn get<T: Copy + Default>(&mut self, value: Option<T>, name: ScoreInput) -> T {
        match value {
            Some(v) => v,
            None => {
                self.missing.push(name);
                T::default()
            }
        }
    }

    fn done(self) -> Result<(), ScoreError> {
        if self.missing.is_empty() {
            Ok(())
        } else {
            Err(ScoreError::Missing {
                score: self.score,
                missing: self.missing,
            })
        }
    }
}

fn positive(kind: ScoreKind, input: &'static str, value: f64) -> Result<f64, ScoreError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(ScoreError::Invalid {
            score: kind.label(),
            input,
            rule: "a positive number",
            value,
        })
    }
}

/// A number for a breakdown line: at most 3 decimals, no trailing zeros.
fn num(x: f64) -> String {
    let t = format!("{x:.3}");
    let t = t.trim_end_matches('0').trim_end_matches('.');
    if t == "-0" { "0".to_owned() } else { t.to_owned() }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// MELD (UNOS): inputs below 1.0 set to 1.0, creatinine capped at 4.0,
/// dialysis sets creatinine to 4.0; MELD(i) rounded to the tenth, x 10.
pub fn meld(inputs: &ScoreInputs) -> Result<ScoreResult, ScoreError> {
    let kind = ScoreKind::Meld;
    let (meld_i, terms) = meld_i(kind, inputs)?;
    let unrounded = meld_i * 10.0;
    let value = ((meld_i * 10.0).round()).clamp(6.0, 40.0);
    let mut terms = terms;
    terms.push(term(
        "MELD(i) x 10",
        unrounded,
        "rounded to the tenth, x 10; score kept within 6-40",
    ));
    Ok(ScoreResult {
        kind,
        value,
        unrounded,
        class: None,
        version: kind.version(),
        terms,
    })
}

/// MELD(i) and its breakdown, shared by MELD and MELD-Na.
fn meld_i(kind: ScoreKind, inputs: &ScoreInputs) -> Result<(f64, Vec<Term>), ScoreError> {
    let mut need = Need::new(kind);
    let bili = need.get(inputs.bilirubin, ScoreInput::Bilirubin);
    let inr = need.get(inputs.inr, ScoreInput::Inr);
    let cr = need.get(inputs.creatinine, ScoreInput::Creatinine);
    need.done()?;
    let bili = positive(kind, "bilirubin", bili)?;
    let inr = positive(kind, "INR", inr)?;
    let cr = positive(kind, "creatinine", cr)?;
    let dialysis = inputs.dialysis.unwrap_or(false);
    let b = bili.max(1.0);
    let i = inr.max(1.0);
    let c = if dialysis { 4.0 } else { cr.clamp(1.0, 4.0) };
    let t_cr = 0.957 * c.ln();
    let t_b = 0.378 * b.ln();
    let t_i = 1.120 * i.ln();
    let meld_i = t_cr + t_b + t_i + 0.643;
    let cr_detail = if dialysis {
        "dialysis: set to 4.0".to_owned()
    } else {
        format!("{} mg/dL, used {} (bounds 1.0-4.0)", num(cr), num(c))
    };
    Ok((
        meld_i,
        vec![
            term("0.957 ln(creatinine)", t_cr, cr_detail),
            term(
                "0.378 ln(bilirubin)",
                t_b,
                format!("{} mg/dL, used {} (at least 1.0)", num(bili), num(b)),
            ),
            term(
                "1.120 ln(INR)",
                t_i,
                format!("{}, used {} (at least 1.0)", num(inr), num(i)),
            ),
            term("constant", 0.643, ""),
            term("MELD(i)", meld_i, "sum"),
        ],
    ))
}

/// MELD-Na (OPTN 2016): above 11, MELD + 1.32 (137 - Na) - 0.033 MELD (137 - Na)
/// with the rounded MELD and Na bounded 125-137; rounded; capped at 40.
pub fn meld_na(inputs: &ScoreInputs) -> Result<ScoreResult, ScoreError> {
    let kind = ScoreKind::MeldNa;
    let mut need = Need::new(kind);
    need.get(inputs.bilirubin, ScoreInput::Bilirubin);
    need.get(inputs.inr, ScoreInput::Inr);
    need.get(inputs.creatinine, ScoreInput::Creatinine);
    let na = need.get(inputs.sodium, ScoreInput::Sodium);
    need.done()?;
    let na = positive(kind, "sodium", na)?;
    let base = meld(inputs).map_err(|e| match e {
        ScoreError::Invalid { input, rule, value, .. } => ScoreError::Invalid {
            score: kind.label(),
            input,
            rule,
            value,
        },
        other => other,
    })?;
    let m = base.value;
    let na_used = na.clamp(125.0, 137.0);
    let mut terms = base.terms;
    terms.push(term("MELD", m, "rounded MELD score"));
    let (unrounded, detail) = if m > 11.0 {
        let u = m + 1.32 * (137.0 - na_used) - 0.033 * m * (137.0 - na_used);
        (
            u,
            format!("MELD > 11: MELD + 1.32 (137 - Na) - 0.033 MELD (137 - Na), Na {na} used {na_used}"),
        )
    } else {
        (m, "MELD 11 or less: MELD-Na = MELD".to_owned())
    };
    terms.push(term("MELD-Na unrounded", unrounded, detail));
    Ok(ScoreResult {
        kind,
        value: unrounded.round().min(40.0),
        unrounded,
        class: None,
        version: kind.version(),
        terms,
    })
}

/// MELD 3.0 (Kim 2021).
pub fn meld3(inputs: &ScoreInputs) -> Result<ScoreResult, ScoreError> {
    let kind = ScoreKind::Meld3;
    let mut need = Need::new(kind);
    let female = need.get(inputs.female, ScoreInput::Sex);
    let bili = need.get(inputs.bilirubin, ScoreInput::Bilirubin);
    let inr = need.get(inputs.inr, ScoreInput::Inr);
    let cr = need.get(inputs.creatinine, ScoreInput::Creatinine);
    let na = need.get(inputs.sodium, ScoreInput::Sodium);
    let alb = need.get(inputs.albumin, ScoreInput::Albumin);
    need.done()?;
    let bili = positive(kind, "bilirubin", bili)?;
    let inr = positive(kind, "INR", inr)?;
    let cr = positive(kind, "creatinine", cr)?;
    let na = positive(kind, "sodium", na)?;
    let alb = positive(kind, "albumin", alb)?;
    let dialysis = inputs.dialysis.unwrap_or(false);
    let b = bili.max(1.0);
    let i = inr.max(1.0);
    let c = if dialysis { 3.0 } else { cr.clamp(1.0, 3.0) };
    let n = na.clamp(125.0, 137.0);
    let a = alb.clamp(1.5, 3.5);
    let terms = vec![
        term(
            "1.33 (female)",
            if female { 1.33 } else { 0.0 },
            if female { "female" } else { "male" },
        ),
        term(
            "4.56 ln(bilirubin)",
            4.56 * b.ln(),
            format!("{} mg/dL, used {} (at least 1.0)", num(bili), num(b)),
        ),
        term(
            "0.82 (137 - Na)",
            0.82 * (137.0 - n),
            format!("{} mmol/L, used {} (bounds 125-137)", num(na), num(n)),
        ),
        term("-0.24 (137 - Na) ln(bilirubin)", -0.24 * (137.0 - n) * b.ln(), ""),
        term(
            "9.09 ln(INR)",
            9.09 * i.ln(),
            format!("{}, used {} (at least 1.0)", num(inr), num(i)),
        ),
        term(
            "11.14 ln(creatinine)",
            11.14 * c.ln(),
            if dialysis {
                "dialysis: set to 3.0".to_owned()
            } else {
                format!("{} mg/dL, used {} (bounds 1.0-3.0)", num(cr), num(c))
            },
        ),
        term(
            "1.85 (3.5 - albumin)",
            1.85 * (3.5 - a),
            format!("{} g/dL, used {} (bounds 1.5-3.5)", num(alb), num(a)),
        ),
        term("-1.83 (3.5 - albumin) ln(creatinine)", -1.83 * (3.5 - a) * c.ln(), ""),
        term("constant", 6.0, ""),
    ];
    let unrounded: f64 = terms.iter().map(|t| t.value).sum();
    Ok(ScoreResult {
        kind,
        value: unrounded.round().min(40.0),
        unrounded,
        class: None,
        version: kind.version(),
        terms,
    })
}

/// Child-Pugh (Pugh 1973): values on a cut point score 2.
pub fn child_pugh(inputs: &ScoreInputs) -> Result<ScoreResult, ScoreError> {
    let kind = ScoreKind::ChildPugh;
    let mut need = Need::new(kind);
    let bili = need.get(inputs.bilirubin, ScoreInput::Bilirubin);
    let alb = need.get(inputs.albumin, ScoreInput::Albumin);
    let inr = need.get(inputs.inr, ScoreInput::Inr);
    let ascites = inputs.ascites;
    let enceph = inputs.encephalopathy;
    if ascites.is_none() {
        need.missing.push(ScoreInput::Ascites);
    }
    if enceph.is_none() {
        need.missing.push(ScoreInput::Encephalopathy);
    }
    need.done()?;
    let (Some(ascites), Some(enceph)) = (ascites, enceph) else {
        unreachable!("checked above")
    };
    let bili_points = if bili < 2.0 {
        1
    } else if bili <= 3.0 {
        2
    } else {
        3
    };
    let alb_points = if alb > 3.5 {
        1
    } else if alb >= 2.8 {
        2
    } else {
        3
    };
    let inr_points = if inr < 1.7 {
        1
    } else if inr <= 2.3 {
        2
    } else {
        3
    };
    let ascites_points = match ascites {
        Ascites::None => 1,
        Ascites::Mild => 2,
        Ascites::ModerateSevere => 3,
    };
    let enceph_points = match enceph {
        Encephalopathy::None => 1,
        Encephalopathy::Grade1To2 => 2,
        Encephalopathy::Grade3To4 => 3,
    };
    let total = bili_points + alb_points + inr_points + ascites_points + enceph_points;
    let class = match total {
        ..=6 => "A",
        7..=9 => "B",
        _ => "C",
    };
    Ok(ScoreResult {
        kind,
        value: f64::from(total),
        unrounded: f64::from(total),
        class: Some(class.to_owned()),
        version: kind.version(),
        terms: vec![
            term(
                "bilirubin points",
                f64::from(bili_points),
                format!("{} mg/dL (<2 / 2-3 / >3)", num(bili)),
            ),
            term(
                "albumin points",
                f64::from(alb_points),
                format!("{} g/dL (>3.5 / 2.8-3.5 / <2.8)", num(alb)),
            ),
            term(
                "INR points",
                f64::from(inr_points),
                format!("{} (<1.7 / 1.7-2.3 / >2.3)", num(inr)),
            ),
            term("ascites points", f64::from(ascites_points), ascites.label()),
            term("encephalopathy points", f64::from(enceph_points), enceph.label()),
        ],
    })
}

/// ALBI (Johnson 2015): 0.66 log10(bilirubin umol/L) - 0.085 albumin (g/L).
pub fn albi(inputs: &ScoreInputs) -> Result<ScoreResult, ScoreError> {
    let kind = ScoreKind::Albi;
    let mut need = Need::new(kind);
    let bili = need.get(inputs.bilirubin, ScoreInput::Bilirubin);
    let alb = need.get(inputs.albumin, ScoreInput::Albumin);
    need.done()?;
    let bili = positive(kind, "bilirubin", bili)?;
    let bili_umol = bili * 17.1;
    let alb_g_l = alb * 10.0;
    let t_b = 0.66 * bili_umol.log10();
    let t_a = -0.085 * alb_g_l;
    let unrounded = t_b + t_a;
    let grade = albi_grade(unrounded);
    Ok(ScoreResult {
        kind,
        value: round2(unrounded),
        unrounded,
        class: Some(grade.to_owned()),
        version: kind.version(),
        terms: vec![
            term(
                "0.66 log10(bilirubin)",
                t_b,
                format!("{} mg/dL = {bili_umol:.1} umol/L (x 17.1)", num(bili)),
            ),
            term(
                "-0.085 albumin",
                t_a,
                format!("{} g/dL = {alb_g_l:.0} g/L (x 10)", num(alb)),
            ),
            term(
                "grade cut points",
                unrounded,
                "1: <= -2.60; 2: > -2.60 to <= -1.39; 3: > -1.39",
            ),
        ],
    })
}

/// ALBI grade: 1 at or below -2.60, 2 above -2.60 up to -1.39, 3 above -1.39.
pub fn albi_grade(albi: f64) -> &'static str {
    if albi <= -2.60 {
        "1"
    } else if albi <= -1.39 {
        "2"
    } else {
        "3"
    }
}

/// APRI (Wai 2003): (AST / AST ULN) / platelets (10^9/L) x 100.
pub fn apri(inputs: &ScoreInputs) -> Result<ScoreResult, ScoreError> {
    let kind = ScoreKind::Apri;
    let mut need = Need::new(kind);
    let ast = need.get(inputs.ast, ScoreInput::Ast);
    let uln = need.get(inputs.ast_uln, ScoreInput::AstUln);
    let plt = need.get(inputs.platelets, ScoreInput::Platelets);
    need.done()?;
    let uln = positive(kind, "AST upper limit of normal", uln)?;
    let plt = positive(kind, "platelets", plt)?;
    let unrounded = ast / uln / plt * 100.0;
    Ok(ScoreResult {
        kind,
        value: round2(unrounded),
        unrounded,
        class: None,
        version: kind.version(),
        terms: vec![
            term("AST / ULN", ast / uln, format!("{} / {} U/L", num(ast), num(uln))),
            term("platelets", plt, "10^9/L"),
            term("x 100 / platelets", unrounded, ""),
        ],
    })
}

/// FIB-4 (Sterling 2006): age x AST / (platelets (10^9/L) x sqrt(ALT)).
pub fn fib4(inputs: &ScoreInputs) -> Result<ScoreResult, ScoreError> {
    let kind = ScoreKind::Fib4;
    let mut need = Need::new(kind);
    let age = need.get(inputs.age, ScoreInput::Age);
    let ast = need.get(inputs.ast, ScoreInput::Ast);
    let alt = need.get(inputs.alt, ScoreInput::Alt);
    let plt = need.get(inputs.platelets, ScoreInput::Platelets);
    need.done()?;
    let alt = positive(kind, "ALT", alt)?;
    let plt = positive(kind, "platelets", plt)?;
    let unrounded = age * ast / (plt * alt.sqrt());
    Ok(ScoreResult {
        kind,
        value: round2(unrounded),
        unrounded,
        class: None,
        version: kind.version(),
        terms: vec![
            term("age x AST", age * ast, format!("{} years x {} U/L", num(age), num(ast))),
            term(
                "platelets x sqrt(ALT)",
                plt * alt.sqrt(),
                format!("{} x sqrt({})", num(plt), num(alt)),
            ),
        ],
    })
}

/// AST/ALT (De Ritis) ratio.
pub fn ast_alt(inputs: &ScoreInputs) -> Result<ScoreResult, ScoreError> {
    let kind = ScoreKind::AstAlt;
    let mut need = Need::new(kind);
    let ast = need.get(inputs.ast, ScoreInput::Ast);
    let alt = need.get(inputs.alt, ScoreInput::Alt);
    need.done()?;
    let alt = positive(kind, "ALT", alt)?;
    let unrounded = ast / alt;
    Ok(ScoreResult {
        kind,
        value: round2(unrounded),
        unrounded,
        class: None,
        version: kind.version(),
        terms: vec![term("AST / ALT", unrounded, format!("{} / {} U/L", num(ast), num(alt)))],
    })
}

/// Computes one score.
pub fn compute(kind: ScoreKind, inputs: &ScoreInputs) -> Result<ScoreResult, ScoreError> {
    match kind {
        ScoreKind::Meld => meld(inputs),
        ScoreKind::MeldNa => meld_na(inputs),
        ScoreKind::Meld3 => meld3(inputs),
        ScoreKind::ChildPugh => child_pugh(inputs),
        ScoreKind::Albi => albi(inputs),
        ScoreKind::Apri => apri(inputs),
        ScoreKind::Fib4 => fib4(inputs),
        ScoreKind::AstAlt => ast_alt(inputs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> ScoreInputs {
        ScoreInputs::default()
    }

    #[test]
    fn vector_1_meld() {
        let r = meld(&ScoreInputs {
            bilirubin: Some(1.9),
            inr: Some(1.2),
            creatinine: Some(1.3),
            ..inputs()
        })
        .unwrap();
        assert_eq!(r.value, 13.0);
    }

    #[test]
    fn vector_2_meld_from_si_inputs() {
        let r = meld(&ScoreInputs {
            bilirubin: Some(54.0 / 17.1),
            inr: Some(2.0),
            creatinine: Some(170.0 / 88.4),
            ..inputs()
        })
        .unwrap();
        assert!((r.unrounded - 24.798).abs() < 0.0005, "{}", r.unrounded);
        assert_eq!(r.value, 25.0);
    }

    #[test]
    fn vector_3_meld_na() {
        let r = meld_na(&ScoreInputs {
            creatinine: Some(1.0),
            bilirubin: Some(1.5),
            inr: Some(1.5),
            sodium: Some(135.0),
            ..inputs()
        })
        .unwrap();
        assert_eq!(r.value, 15.0);
        assert!((r.unrounded - 14.782).abs() < 1e-9);
    }

    #[test]
    fn vector_4_meld3_male() {
        let r = meld3(&ScoreInputs {
            female: Some(false),
            bilirubin: Some(2.0),
            creatinine: Some(1.5),
            inr: Some(1.5),
            sodium: Some(137.0),
            albumin: Some(3.0),
            ..inputs()
        })
        .unwrap();
        assert_eq!(r.value, 18.0);
        assert!((r.unrounded - 17.917).abs() < 0.001, "{}", r.unrounded);
    }

    #[test]
    fn vector_5_apri() {
        let r = apri(&ScoreInputs {
            ast: Some(38.0),
            ast_uln: Some(40.0),
            platelets: Some(150.0),
            ..inputs()
        })
        .unwrap();
        assert_eq!(r.value, 0.63);
        assert_eq!(r.display(), "0.63");
    }

    #[test]
    fn vector_6_child_pugh() {
        let r = child_pugh(&ScoreInputs {
            bilirubin: Some(3.2),
            albumin: Some(2.6),
            inr: Some(2.0),
            ascites: Some(Ascites::Mild),
            encephalopathy: Some(Encephalopathy::Grade1To2),
            ..inputs()
        })
        .unwrap();
        assert_eq!((r.value, r.class.as_deref()), (12.0, Some("C")));
        assert_eq!(r.display(), "12 (C)");
    }

    fn meld_of(bili: f64, inr: f64, cr: f64, dialysis: bool) -> ScoreResult {
        meld(&ScoreInputs {
            bilirubin: Some(bili),
            inr: Some(inr),
            creatinine: Some(cr),
            dialysis: Some(dialysis),
            ..inputs()
        })
        .unwrap()
    }

    #[test]
    fn meld_inputs_below_one_count_as_one() {
        let floor = meld_of(1.0, 1.0, 1.0, false);
        assert_eq!(floor.value, 6.0);
        assert!((floor.unrounded - 6.43).abs() < 1e-9);
        assert_eq!(meld_of(0.3, 0.9, 0.5, false).unrounded, floor.unrounded);
        assert_eq!(meld_of(0.3, 0.9, 0.5, false).value, 6.0);
        assert!(meld_of(1.01, 1.0, 1.0, false).unrounded > floor.unrounded);
    }

    #[test]
    fn meld_creatinine_is_capped_at_four_and_dialysis_sets_four() {
        let at_cap = meld_of(2.0, 1.5, 4.0, false);
        assert_eq!(meld_of(2.0, 1.5, 7.5, false).unrounded, at_cap.unrounded);
        assert!(meld_of(2.0, 1.5, 3.9, false).unrounded < at_cap.unrounded);
        assert_eq!(meld_of(2.0, 1.5, 1.1, true).unrounded, at_cap.unrounded);
        assert!(meld_of(2.0, 1.5, 1.1, true).terms[0].detail.contains("dialysis"));
    }

    #[test]
    fn meld_is_capped_at_forty() {
        assert_eq!(meld_of(50.0, 8.0, 4.0, false).value, 40.0);
        assert!(meld_of(50.0, 8.0, 4.0, false).unrounded > 40.0);
    }

    #[test]
    fn meld_rounds_meld_i_to_the_tenth_before_multiplying() {
        // MELD(i) 1.25039 -> 12.5039 -> 13 (vector 3's MELD).
        assert_eq!(meld_of(1.5, 1.5, 1.0, false).value, 13.0);
    }

    fn meld_na_of(meld_inputs: (f64, f64, f64), na: f64) -> ScoreResult {
        meld_na(&ScoreInputs {
            bilirubin: Some(meld_inputs.0),
            inr: Some(meld_inputs.1),
            creatinine: Some(meld_inputs.2),
            sodium: Some(na),
            ..inputs()
        })
        .unwrap()
    }

    #[test]
    fn meld_na_applies_only_above_eleven() {
        // MELD 6: sodium changes nothing.
        assert_eq!(meld_na_of((1.0, 1.0, 1.0), 125.0).value, 6.0);
        // MELD exactly 11 stays 11 whatever the sodium.
        let eleven = (1.0, 1.5, 1.0);
        assert_eq!(meld_of(eleven.0, eleven.1, eleven.2, false).value, 11.0);
        assert_eq!(meld_na_of(eleven, 125.0).value, 11.0);
        // MELD 13 with low sodium rises.
        assert!(meld_na_of((1.5, 1.5, 1.0), 130.0).value > 13.0);
    }

    #[test]
    fn meld_na_bounds_sodium_to_125_137_and_caps_at_forty() {
        let m = (1.5, 1.5, 1.0);
        assert_eq!(meld_na_of(m, 120.0).unrounded, meld_na_of(m, 125.0).unrounded);
        assert_eq!(meld_na_of(m, 145.0).unrounded, meld_na_of(m, 137.0).unrounded);
        assert_eq!(meld_na_of(m, 137.0).value, 13.0);
        assert!(meld_na_of(m, 126.0).unrounded < meld_na_of(m, 125.0).unrounded);
        assert_eq!(meld_na_of((30.0, 5.0, 4.0), 125.0).value, 40.0);
    }

    fn meld3_of(female: bool, bili: f64, cr: f64, inr: f64, na: f64, alb: f64, dialysis: bool) -> ScoreResult {
        meld3(&ScoreInputs {
            female: Some(female),
            bilirubin: Some(bili),
            creatinine: Some(cr),
            inr: Some(inr),
            sodium: Some(na),
            albumin: Some(alb),
            dialysis: Some(dialysis),
            ..inputs()
        })
        .unwrap()
    }

    #[test]
    fn meld3_bounds_and_caps() {
        let base = meld3_of(false, 2.0, 1.5, 1.5, 137.0, 3.0, false);
        assert!((meld3_of(true, 2.0, 1.5, 1.5, 137.0, 3.0, false).unrounded - base.unrounded - 1.33).abs() < 1e-9);
        // Creatinine at most 3.0; dialysis sets 3.0.
        let cr3 = meld3_of(false, 2.0, 3.0, 1.5, 137.0, 3.0, false);
        assert_eq!(
            meld3_of(false, 2.0, 6.0, 1.5, 137.0, 3.0, false).unrounded,
            cr3.unrounded
        );
        assert_eq!(
            meld3_of(false, 2.0, 1.2, 1.5, 137.0, 3.0, true).unrounded,
            cr3.unrounded
        );
        // Bilirubin, INR, creatinine at least 1.0.
        let ones = meld3_of(false, 1.0, 1.0, 1.0, 137.0, 3.5, false);
        assert_eq!(
            meld3_of(false, 0.4, 0.6, 0.9, 137.0, 3.5, false).unrounded,
            ones.unrounded
        );
        assert_eq!(ones.value, 6.0);
        // Sodium 125-137, albumin 1.5-3.5.
        assert_eq!(
            meld3_of(false, 2.0, 1.5, 1.5, 150.0, 3.0, false).unrounded,
            base.unrounded
        );
        let na125 = meld3_of(false, 2.0, 1.5, 1.5, 125.0, 3.0, false);
        assert_eq!(
            meld3_of(false, 2.0, 1.5, 1.5, 110.0, 3.0, false).unrounded,
            na125.unrounded
        );
        let alb35 = meld3_of(false, 2.0, 1.5, 1.5, 137.0, 3.5, false);
        assert_eq!(
            meld3_of(false, 2.0, 1.5, 1.5, 137.0, 4.2, false).unrounded,
            alb35.unrounded
        );
        let alb15 = meld3_of(false, 2.0, 1.5, 1.5, 137.0, 1.5, false);
        assert_eq!(
            meld3_of(false, 2.0, 1.5, 1.5, 137.0, 1.0, false).unrounded,
            alb15.unrounded
        );
        // Capped at 40.
        let high = meld3_of(true, 40.0, 3.0, 6.0, 125.0, 1.5, false);
        assert!(high.unrounded > 40.0);
        assert_eq!(high.value, 40.0);
    }

    fn cp(bili: f64, alb: f64, inr: f64, a: Ascites, e: Encephalopathy) -> ScoreResult {
        child_pugh(&ScoreInputs {
            bilirubin: Some(bili),
            albumin: Some(alb),
            inr: Some(inr),
            ascites: Some(a),
            encephalopathy: Some(e),
            ..inputs()
        })
        .unwrap()
    }

    #[test]
    fn child_pugh_cut_points_score_two() {
        use Ascites as A;
        use Encephalopathy as E;
        let points = |r: &ScoreResult, i: usize| r.terms[i].value;
        for (bili, p) in [(1.99, 1.0), (2.0, 2.0), (3.0, 2.0), (3.01, 3.0)] {
            assert_eq!(points(&cp(bili, 4.0, 1.0, A::None, E::None), 0), p, "bilirubin {bili}");
        }
        for (alb, p) in [(3.51, 1.0), (3.5, 2.0), (2.8, 2.0), (2.79, 3.0)] {
            assert_eq!(points(&cp(1.0, alb, 1.0, A::None, E::None), 1), p, "albumin {alb}");
        }
        for (inr, p) in [(1.69, 1.0), (1.7, 2.0), (2.3, 2.0), (2.31, 3.0)] {
            assert_eq!(points(&cp(1.0, 4.0, inr, A::None, E::None), 2), p, "INR {inr}");
        }
        assert_eq!(cp(1.0, 4.0, 1.0, A::None, E::None).display(), "5 (A)");
        assert_eq!(cp(2.0, 4.0, 1.0, A::None, E::None).display(), "6 (A)");
        assert_eq!(cp(2.0, 3.0, 1.0, A::None, E::None).display(), "7 (B)");
        assert_eq!(cp(3.0, 3.0, 2.0, A::Mild, E::Grade1To2).display(), "10 (C)");
        assert_eq!(cp(2.0, 3.0, 2.0, A::Mild, E::Grade1To2).display(), "10 (C)");
        assert_eq!(cp(2.0, 3.0, 2.0, A::Mild, E::None).display(), "9 (B)");
        assert_eq!(cp(9.0, 2.0, 3.0, A::ModerateSevere, E::Grade3To4).display(), "15 (C)");
    }

    #[test]
    fn entry_grades_map_to_child_pugh_categories() {
        assert_eq!(Ascites::from_iac_grade(0), Ascites::None);
        assert_eq!(Ascites::from_iac_grade(1), Ascites::Mild);
        assert_eq!(Ascites::from_iac_grade(2), Ascites::ModerateSevere);
        assert_eq!(Ascites::from_iac_grade(3), Ascites::ModerateSevere);
        assert_eq!(Encephalopathy::from_west_haven(0), Encephalopathy::None);
        assert_eq!(Encephalopathy::from_west_haven(2), Encephalopathy::Grade1To2);
        assert_eq!(Encephalopathy::from_west_haven(3), Encephalopathy::Grade3To4);
    }

    #[test]
    fn albi_grades_at_the_cut_points() {
        let albi_of = |bili, alb| {
            albi(&ScoreInputs {
                bilirubin: Some(bili),
                albumin: Some(alb),
                ..inputs()
            })
            .unwrap()
        };
        // 1.0 mg/dL = 17.1 umol/L; 4.0 g/dL = 40 g/L: 0.66 log10(17.1) - 3.4 = -2.5858.
        let r = albi_of(1.0, 4.0);
        assert!((r.unrounded - (0.66 * 17.1f64.log10() - 3.4)).abs() < 1e-12);
        assert_eq!(r.class.as_deref(), Some("2"));
        assert_eq!(albi_of(0.5, 4.5).class.as_deref(), Some("1"));
        assert_eq!(albi_of(6.0, 2.5).class.as_deref(), Some("3"));
        assert_eq!(albi_of(1.0, 4.0).display(), "-2.59 (grade 2)");
    }

    #[test]
    fn albi_grade_cut_points_on_both_sides() {
        assert_eq!(albi_grade(-2.60), "1");
        assert_eq!(albi_grade(-2.6001), "1");
        assert_eq!(albi_grade(-2.5999), "2");
        assert_eq!(albi_grade(-1.39), "2");
        assert_eq!(albi_grade(-1.3899), "3");
    }

    #[test]
    fn fib4_and_ast_alt() {
        let i = ScoreInputs {
            age: Some(51.0),
            ast: Some(160.0),
            alt: Some(60.0),
            platelets: Some(100.0),
            ..inputs()
        };
        let f = fib4(&i).unwrap();
        assert!((f.unrounded - 51.0 * 160.0 / (100.0 * 60f64.sqrt())).abs() < 1e-12);
        assert_eq!(f.value, 10.53);
        assert_eq!(ast_alt(&i).unwrap().display(), "2.67");
    }

    #[test]
    fn missing_inputs_are_all_named() {
        let err = meld3(&ScoreInputs {
            bilirubin: Some(2.0),
            ..inputs()
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "MELD 3.0 not computed: missing sex (female or male), INR, creatinine (mg/dL), sodium (mmol/L), albumin (g/dL)"
        );
        let err = child_pugh(&inputs()).unwrap_err().to_string();
        assert!(
            err.ends_with("missing bilirubin (mg/dL), albumin (g/dL), INR, ascites, encephalopathy"),
            "{err}"
        );
        let err = apri(&ScoreInputs {
            ast: Some(38.0),
            ..inputs()
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("AST upper limit of normal") && err.contains("platelets"),
            "{err}"
        );
        for kind in ScoreKind::ALL {
            assert!(compute(kind, &inputs()).is_err(), "{kind:?} computed from nothing");
        }
    }

    #[test]
    fn zero_or_negative_inputs_are_refused_not_logged() {
        let err = meld(&ScoreInputs {
            bilirubin: Some(0.0),
            inr: Some(1.0),
            creatinine: Some(1.0),
            ..inputs()
        })
        .unwrap_err();
        assert!(matches!(err, ScoreError::Invalid { input: "bilirubin", .. }), "{err:?}");
        assert!(
            apri(&ScoreInputs {
                ast: Some(30.0),
                ast_uln: Some(40.0),
                platelets: Some(0.0),
                ..inputs()
            })
            .is_err()
        );
    }

    #[test]
    fn cli_names_round_trip() {
        for kind in ScoreKind::ALL {
            assert_eq!(ScoreKind::from_cli_name(kind.cli_name()), Some(kind));
        }
        assert_eq!(ScoreKind::from_cli_name("meld4"), None);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn lab() -> impl Strategy<Value = f64> {
        0.1f64..60.0
    }

    fn meld_value(bili: f64, inr: f64, cr: f64, dialysis: bool) -> f64 {
        meld(&ScoreInputs {
            bilirubin: Some(bili),
            inr: Some(inr),
            creatinine: Some(cr),
            dialysis: Some(dialysis),
            ..ScoreInputs::default()
        })
        .unwrap()
        .value
    }

    proptest! {
        #[test]
        fn meld_never_decreases_when_an_input_rises(
            bili in lab(), inr in 0.5f64..15.0, cr in 0.1f64..20.0, rise in 0.0f64..10.0, dialysis: bool,
        ) {
            let base = meld_value(bili, inr, cr, dialysis);
            prop_assert!(meld_value(bili + rise, inr, cr, dialysis) >= base);
            prop_assert!(meld_value(bili, inr + rise, cr, dialysis) >= base);
            prop_assert!(meld_value(bili, inr, cr + rise, dialysis) >= base);
        }

        #[test]
        fn meld_family_stays_within_6_and_40(
            bili in lab(), inr in 0.5f64..15.0, cr in 0.1f64..20.0, na in 100.0f64..170.0,
            alb in 0.5f64..7.0, female: bool, dialysis: bool,
        ) {
            let i = ScoreInputs {
                bilirubin: Some(bili), inr: Some(inr), creatinine: Some(cr), sodium: Some(na),
                albumin: Some(alb), female: Some(female), dialysis: Some(dialysis), ..ScoreInputs::default()
            };
            for kind in [ScoreKind::Meld, ScoreKind::MeldNa, ScoreKind::Meld3] {
                let v = compute(kind, &i).unwrap().value;
                prop_assert!((6.0..=40.0).contains(&v), "{kind:?} gave {v}");
                prop_assert_eq!(v.fract(), 0.0);
            }
        }

        #[test]
        fn child_pugh_points_stay_within_5_and_15(
            bili in lab(), alb in 0.5f64..7.0, inr in 0.5f64..15.0, a in 0u8..4, e in 0u8..5,
        ) {
            let r = child_pugh(&ScoreInputs {
                bilirubin: Some(bili), albumin: Some(alb), inr: Some(inr),
                ascites: Some(Ascites::from_iac_grade(a)), encephalopathy: Some(Encephalopathy::from_west_haven(e)),
                ..ScoreInputs::default()
            }).unwrap();
            prop_assert!((5.0..=15.0).contains(&r.value));
            let class = r.class.unwrap();
            let expected = if r.value <= 6.0 { "A" } else if r.value <= 9.0 { "B" } else { "C" };
            prop_assert_eq!(class.as_str(), expected);
        }
    }
}
