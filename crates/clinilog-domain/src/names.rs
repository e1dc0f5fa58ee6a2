//! Test names as labs print them, matched to catalog measures.
//!
//! A printed name goes through the catalog's names and aliases and the
//! clinic's mapping file as it is; then through what labs add around a
//! name: a prefix (`Serum`, `S.`, `Sr.`), an abbreviation or a method in
//! parentheses before or after it (`AST (SGOT) (IFCC without P5P)`), two
//! names for one test (`SGOT/AST`), British spellings (`haemoglobin`,
//! `leucocyte`), a plural; then a typo of one letter in a long name; then
//! the name under its parent row (`DIRECT` under `BILIRUBIN`). A name that
//! two of these read as two measures is *ambiguous*: both are named, none
//! is taken. A name about another specimen (urine, a fluid) or a ratio is
//! only matched as a whole.

use std::collections::BTreeSet;

use super::catalog::Catalog;
use super::import::{TestMap, name_key};

/// What a printed test name is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameMatch {
    /// One catalog measure (its code).
    Measure(String),
    /// Two or more measures could be meant (their codes): none is taken.
    Ambiguous(Vec<String>),
    /// No catalog measure.
    Unknown,
}

/// Words before a name that say the specimen every catalog measure has.
const PREFIXES: [&str; 9] = [
    "serum",
    "s.",
    "s",
    "sr.",
    "sr",
    "plasma",
    "blood",
    "whole blood",
    "venous",
];

/// Words that make a name another measure than the one it contains
/// (`Sodium, Urine`, `AST:ALT Ratio`): such a name matches only as a whole.
const OTHER_MEASURE: [&str; 14] = [
    "urine", "urinary", "csf", "fluid", "ascitic", "pleural", "stool", "ratio", "index", "absolute", "24", "spot",
    "variant", "glycated",
];

/// Matches printed names to a catalog's measures.
pub struct NameMatcher<'a> {
    tests: &'a TestMap,
    /// Every catalog name and alias as its words, with its measure.
    names: Vec<(Vec<String>, String)>,
}

impl<'a> NameMatcher<'a> {
    pub fn new(catalog: &Catalog, tests: &'a TestMap) -> Self {
        let mut names = Vec::new();
        for m in catalog.measures() {
            for name in std::iter::once(&m.name).chain(&m.aliases) {
                names.push((words_of(name), m.code.clone()));
            }
        }
        NameMatcher { tests, names }
    }

    /// The measure a printed name is, `parent` being the name of the row it
    /// is printed under (empty when none).
    pub fn find(&self, printed: &str, parent: &str) -> NameMatch {
        match self.find_alone(printed) {
            NameMatch::Unknown if is_parent_name(parent) => self.find_alone(&format!("{} {printed}", parent.trim())),
            m => m,
        }
    }

    fn find_alone(&self, printed: &str) -> NameMatch {
        if let Some(c) = self.exact(printed) {
            return NameMatch::Measure(c);
        }
        let Forms { names, inside, parts } = forms(printed);
        let mut found: BTreeSet<String> = names.iter().filter_map(|f| self.exact(f)).collect();
        // An abbreviation in parentheses confirms the name outside, or
        // contradicts it (`ALT (SGOT)`: ambiguous); alone it names nothing.
        if !found.is_empty() {
            found.extend(inside.iter().filter_map(|f| self.exact(f)));
        }
        // Two names printed as one (`SGOT/AST`): each must be a measure.
        let each: Vec<Option<String>> = parts.iter().map(|p| self.exact(p)).collect();
        if each.len() >= 2 && each.iter().all(Option::is_some) {
            found.extend(each.into_iter().flatten());
        }
        if let Some(m) = one_or_ambiguous(found) {
            return m;
        }
        // A letter wrong in one long word of a name (`Creatinlne`,
        // `Bilirubin Totl`), never in a short one or a first letter, where
        // names of other tests differ (`RBC Count`, `WBC Count`).
        let mut near = BTreeSet::new();
        for f in std::iter::once(printed.to_owned()).chain(names) {
            let words = words_of(&f);
            for (catalog_words, code) in &self.names {
                if one_word_misspelled(&words, catalog_words) {
                    near.insert(code.clone());
                }
            }
        }
        one_or_ambiguous(near).unwrap_or(NameMatch::Unknown)
    }

    /// The measure a name is as it stands, British spellings and a plural
    /// aside.
    fn exact(&self, name: &str) -> Option<String> {
        let key = name_key(name);
        if key.is_empty() {
            return None;
        }
        let spelled = spelled(&key);
        // A plural of a long name only (`HbS` is no plural of `Hb`).
        let singular = spelled.strip_suffix('s').filter(|k| k.len() >= 5).map(str::to_owned);
        std::iter::once(key.clone())
            .chain([spelled.clone(), format!("{spelled}s")])
            .chain(singular)
            .find_map(|k| self.tests.resolve("", &k).map(|(c, _)| c.to_owned()))
    }
}

/// A row's name that rows below may be parts of (`SERUM BILIRUBIN`): a few
/// words, no number, no sentence.
fn is_parent_name(parent: &str) -> bool {
    let t = parent.trim();
    !t.is_empty()
        && t.split_whitespace().count() <= 4
        && !t.chars().any(|c| c.is_ascii_digit() || matches!(c, ':' | ';' | '*'))
}

fn one_or_ambiguous(found: BTreeSet<String>) -> Option<NameMatch> {
    match found.len() {
        0 => None,
        1 => found.into_iter().next().map(NameMatch::Measure),
        _ => Some(NameMatch::Ambiguous(found.into_iter().collect())),
    }
}

/// British spellings brought to the catalog's.
fn spelled(key: &str) -> String {
    key.replace("haem", "hem")
        .replace("leuco", "leuko")
        .replace("oedema", "edema")
}

/// The name without a prefix or a suffix that says the specimen every
/// catalog measure has (`Serum Creatinine`, `Creatinine, Serum`, `ALBUMIN -
/// SERUM`).
fn without_prefix(name: &str) -> String {
    let mut t = name.trim().to_owned();
    loop {
        let lower = t.to_lowercase();
        let Some(head) = ["serum", "plasma", "whole blood", "blood", "(serum)", "(plasma)"]
            .iter()
            .find_map(|s| lower.strip_suffix(s))
            .filter(|head| head.ends_with([' ', ',', '-']) && lower.len() == t.len() && t.is_char_boundary(head.len()))
        else {
            break;
        };
        let head = t[..head.len()].trim_end_matches([' ', ',', '-']).trim().to_owned();
        if head.is_empty() {
            break;
        }
        t = head;
    }
    loop {
        let lower = t.to_lowercase();
        let Some(p) = PREFIXES.iter().find(|p| {
            lower.len() == t.len()
                && lower.starts_with(*p)
                && lower[p.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c == ' ' || (p.ends_with('.') && c.is_alphabetic()))
        }) else {
            return t;
        };
        t = t[p.len()..].trim().to_owned();
    }
}

/// What labs print around a name, taken away in turn.
#[derive(Default)]
struct Forms {
    /// The name without its parentheses (from the end), without a
    /// specimen prefix.
    names: Vec<String>,
    /// Each parenthesis's text (`SGOT` in `AST (SGOT)`).
    inside: Vec<String>,
    /// Two names printed as one (`SGOT/AST`, `Hemoglobin, Hb`).
    parts: Vec<String>,
}

fn forms(printed: &str) -> Forms {
    let clean = |s: &str| s.trim().trim_matches([':', ',', '-', '.', ';']).trim().to_owned();
    let mut f = Forms::default();
    let push = |to: &mut Vec<String>, s: &str| {
        let s = clean(s);
        if !s.is_empty() && !to.contains(&s) {
            to.push(s);
        }
    };
    let (outside, inside) = split_parentheses(printed);
    let words: Vec<String> = outside
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_owned)
        .collect();
    let other_measure = words.iter().any(|w| OTHER_MEASURE.contains(&w.as_str()))
        || inside
            .iter()
            .any(|i| i.to_lowercase().split_whitespace().any(|w| OTHER_MEASURE.contains(&w)));
    push(&mut f.names, &without_prefix(printed));
    if other_measure {
        return f;
    }
    // Parentheses from the end: `AST (SGOT) (IFCC)` -> `AST (SGOT)` -> `AST`.
    let mut t = printed.trim().to_owned();
    while let Some(stripped) = strip_last_parenthesis(&t) {
        push(&mut f.names, &stripped);
        push(&mut f.names, &without_prefix(&stripped));
        t = stripped;
    }
    push(&mut f.names, &outside);
    push(&mut f.names, &without_prefix(&outside));
    for i in &inside {
        push(&mut f.inside, i);
    }
    let split: Vec<&str> = outside.split(['/', ',']).collect();
    if split.len() >= 2 {
        for part in split {
            push(&mut f.parts, &without_prefix(part));
        }
    }
    f
}

/// `AST (SGOT)` -> `AST`, when the name ends with a closed parenthesis
/// and something stands before it.
fn strip_last_parenthesis(t: &str) -> Option<String> {
    let t = t.trim();
    if !t.ends_with(')') {
        return None;
    }
    let open = t.rfind('(')?;
    let before = t[..open].trim();
    (!before.is_empty()).then(|| before.to_owned())
}

/// The text outside parentheses, and each parenthesis's text.
fn split_parentheses(t: &str) -> (String, Vec<String>) {
    let (mut outside, mut inside, mut depth, mut current) = (String::new(), Vec::new(), 0usize, String::new());
    for c in t.chars() {
        match c {
            '(' => {
                depth += 1;
                outside.push(' ');
            }
            ')' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    inside.push(std::mem::take(&mut current).trim().to_owned());
                }
            }
            c if depth > 0 => current.push(c),
            c => outside.push(c),
        }
    }
    let outside = outside.split_whitespace().collect::<Vec<_>>().join(" ");
    (outside, inside.into_iter().filter(|s| !s.is_empty()).collect())
}

/// A name's words, lower case, British spellings brought to the catalog's.
fn words_of(name: &str) -> Vec<String> {
    name.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| spelled(&w.to_lowercase()))
        .collect()
}

/// The same words but one, which is one letter off a word of five letters
/// or more, its first letter right.
fn one_word_misspelled(printed: &[String], catalog: &[String]) -> bool {
    if printed.len() != catalog.len() {
        return false;
    }
    let differ: Vec<(&String, &String)> = printed.iter().zip(catalog).filter(|(a, b)| a != b).collect();
    match differ.as_slice() {
        [(a, b)] => {
            a.chars().count().max(b.chars().count()) >= 5
                && a.chars().next() == b.chars().next()
                && within_one_edit(a, b)
        }
        _ => false,
    }
}

/// `a` and `b` differ by at most one letter inserted, removed or changed.
fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (short, long) = if a.len() <= b.len() { (&a, &b) } else { (&b, &a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let (mut i, mut j, mut edits) = (0, 0, 0);
    while i < short.len() && j < long.len() {
        if short[i] == long[j] {
            i += 1;
            j += 1;
            continue;
        }
        edits += 1;
        if edits > 1 {
            return false;
        }
        if short.len() == long.len() {
            i += 1;
        }
        j += 1;
    }
    edits + (long.len() - j) + (short.len() - i) <= 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::LocalCodes;

    fn find(printed: &str, parent: &str) -> NameMatch {
        let catalog = Catalog::builtin().unwrap();
        let local = LocalCodes::parse("[tests]\n\"Gamma GT (Szasz)\" = \"ggt\"\n", "mapping", &catalog).unwrap();
        let tests = TestMap::new(&catalog, &local);
        NameMatcher::new(&catalog, &tests).find(printed, parent)
    }

    fn is(code: &str) -> NameMatch {
        NameMatch::Measure(code.to_owned())
    }

    /// What labs print, and the measure it is.
    #[test]
    fn names_as_labs_print_them() {
        for (printed, code) in [
            ("AST (SGOT) (IFCC without P5P)", "ast"),
            ("ALT (SGPT)", "alt"),
            ("SGOT/AST", "ast"),
            ("SGPT/ALT", "alt"),
            ("(SGPT) ALT", "alt"),
            ("S G O T", "ast"),
            ("S.G.P.T.", "alt"),
            ("Serum Creatinine", "creatinine"),
            ("Sr. Creatinine", "creatinine"),
            ("S.Creatinine", "creatinine"),
            ("SERUM BILIRUBIN TOTAL", "bili_total"),
            ("Bilirubin Total (Oxidation)", "bili_total"),
            ("Bilirubin Direct", "bili_direct"),
            ("Bilirubin Indirect (Calculated)", "bili_indirect"),
            ("Alkaline Phosphatase (ALP) (IFCC-AMP)", "alp"),
            ("Total Protein (Biuret)", "protein_total"),
            ("Albumin (BCG)", "albumin"),
            ("Sodium (Indirect ISE)", "sodium"),
            ("HAEMOGLOBIN", "hemoglobin"),
            ("Hemoglobin (Hb)", "hemoglobin"),
            ("Total Leucocyte Count (TLC)", "wbc"),
            ("TOTAL LEUKOCYTE COUNT", "wbc"),
            ("Platelet Count", "platelets"),
            ("PLATELETS", "platelets"),
            ("Prothrombin Time (PT)", "pt"),
            ("Creatinlne", "creatinine"),
            ("Bilirubin Totl", "bili_total"),
            ("Gamma GT (Szasz)", "ggt"),
            // As Thyrocare-style reports print them.
            ("BILIRUBIN -DIRECT", "bili_direct"),
            ("BILIRUBIN (INDIRECT)", "bili_indirect"),
            ("BILIRUBIN - TOTAL", "bili_total"),
            ("PROTEIN - TOTAL", "protein_total"),
            ("ALBUMIN - SERUM", "albumin"),
            ("Creatinine, Serum", "creatinine"),
            ("GAMMA GLUTAMYL TRANSFERASE (GGT)", "ggt"),
            ("ASPARTATE AMINOTRANSFERASE (SGOT )", "ast"),
            ("ALANINE TRANSAMINASE (SGPT)", "alt"),
            ("TOTAL LEUCOCYTES COUNT", "wbc"),
        ] {
            assert_eq!(find(printed, ""), is(code), "{printed}");
        }
    }

    /// Sub-rows keep their parent: `DIRECT` under `BILIRUBIN`.
    #[test]
    fn a_sub_row_is_read_under_its_parent() {
        assert_eq!(find("DIRECT", "SERUM BILIRUBIN"), is("bili_direct"));
        assert_eq!(find("Indirect", "Bilirubin"), is("bili_indirect"));
        assert_eq!(find("Total", "S. Bilirubin"), is("bili_total"));
        assert_eq!(find("DIRECT", ""), NameMatch::Unknown);
    }

    /// Names of other measures, other specimens and ratios are not taken
    /// for the measure they contain.
    #[test]
    fn other_measures_are_not_taken_for_one_they_name() {
        for printed in [
            "AST:ALT Ratio",
            "BUN/Creatinine Ratio (Calculated)",
            "Urea/Creatinine Ratio",
            "Sodium, Urine",
            "Albumin (Urine)",
            "Absolute Neutrophil Count",
            "Mean Cell Haemoglobin (MCH)",
            "MEAN CELL HAEMOGLOBIN CON, MCHC",
            "Glycosylated Haemoglobin (HbA1c)",
            "Globulin (Calculated)",
            "A : G Ratio (Calculated)",
            "Mean Platelet Volume",
            "Differential Leucocyte Count (DLC)",
            "Creatine Kinase",
            "Protein",
            "DIRECT",
            "Albumin/Globulin",
            "Creatinine Clearance (Creatinine)",
            "XYZ (SGOT)",
            "RBC Count",
            "Total RBC count",
            "HbS",
        ] {
            assert_eq!(find(printed, ""), NameMatch::Unknown, "{printed}");
        }
    }

    /// A name that reads as two measures names both and takes neither.
    #[test]
    fn a_name_that_reads_as_two_measures_is_ambiguous() {
        let both = NameMatch::Ambiguous(vec!["alt".to_owned(), "ast".to_owned()]);
        assert_eq!(find("SGOT/SGPT", ""), both);
        assert_eq!(find("ALT (SGOT)", ""), both);
        assert_eq!(find("Hemoglobin, Hb", ""), is("hemoglobin"));
        assert_eq!(
            find("DIRECT", "1. Bilirubin: see note"),
            NameMatch::Unknown,
            "no sentence is a parent"
        );
    }

    proptest::proptest! {
        /// Any text, any parent: an answer, never a panic.
        #[test]
        fn any_printed_text_gets_an_answer(printed in "\\PC{0,40}", parent in "\\PC{0,16}") {
            let _ = find(&printed, &parent);
        }
    }

    #[test]
    fn one_edit_apart() {
        assert!(within_one_edit("creatinine", "creatinlne"));
        assert!(within_one_edit("albumin", "albumine"));
        assert!(within_one_edit("bilirubintotal", "bilirubintotl"));
        assert!(!within_one_edit("creatinine", "creatine"));
        assert!(!within_one_edit("bilirubindirect", "bilirubinindirect"));
    }
}
