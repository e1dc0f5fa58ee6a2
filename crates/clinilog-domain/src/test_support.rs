//! Builders shared by the domain's unit tests.

use jiff::civil::{Date, date};

use super::catalog::Catalog;
use super::entry::{Entry, EntryDraft};
use super::patient::Sex;

/// A validated entry of a male patient. Each line is `(code, value, unit,
/// low, high)`: for a lab, the unit (empty: the catalog's) and the interval
/// as printed (empty: none); a symptom takes only its value.
pub fn entry_printed(id: i64, on: Date, lines: &[(&str, &str, &str, &str, &str)]) -> Entry {
    let catalog = Catalog::builtin().unwrap();
    let mut d = EntryDraft::blank(&catalog, Sex::Male, on, "t");
    for (code, value, unit, low, high) in lines {
        if let Some(l) = d.labs.iter_mut().find(|l| l.code == *code) {
            l.value = (*value).into();
            if !unit.is_empty() {
                l.unit = (*unit).into();
            }
            let spec = catalog.measure(code).and_then(|m| m.lab()).unwrap();
            l.print_interval(spec, low, high);
        } else {
            d.symptoms.iter_mut().find(|s| s.code == *code).unwrap().value = (*value).into();
        }
    }
    let data = d
        .validate(&catalog, Sex::Male, date(1970, 1, 1), date(2030, 1, 1))
        .unwrap();
    Entry {
        id,
        patient_id: 1,
        version: 1,
        recorded_at: String::new(),
        data,
    }
}

/// Lines of `(code, value, low, high)` in the catalog's unit.
pub fn entry_with_intervals(id: i64, on: Date, lines: &[(&str, &str, &str, &str)]) -> Entry {
    let lines: Vec<_> = lines.iter().map(|(c, v, l, h)| (*c, *v, "", *l, *h)).collect();
    entry_printed(id, on, &lines)
}

/// Lines of `(code, value)`: catalog unit, catalog default intervals.
pub fn entry(id: i64, on: Date, lines: &[(&str, &str)]) -> Entry {
    let catalog = Catalog::builtin().unwrap();
    let lines: Vec<(&str, &str, &str, String, String)> = lines
        .iter()
        .map(|(c, v)| {
            let r = catalog
                .measure(c)
                .and_then(|m| m.lab())
                .map(|spec| spec.default_reference(Sex::Male))
                .unwrap_or_default();
            let text = |d: Option<super::Decimal>| d.map(|x| x.to_string()).unwrap_or_default();
            (*c, *v, "", text(r.low), text(r.high))
        })
        .collect();
    let borrowed: Vec<_> = lines
        .iter()
        .map(|(c, v, u, l, h)| (*c, *v, *u, l.as_str(), h.as_str()))
        .collect();
    entry_printed(id, on, &borrowed)
}
