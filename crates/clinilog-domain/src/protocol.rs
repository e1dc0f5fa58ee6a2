//! Treatment protocols: what should happen to a patient, laid out in dates.
//!
//! A [`Protocol`] is a named plan read from `assets/protocols/*.toml`: the
//! treatment cycles and the days between them, and the visits (days counted
//! from day 0, the first cycle) with the measures expected at each.
//! [`lay_out`] turns it into dated [`PlanItem`]s from a start date;
//! [`shift`] moves a delayed item and everything planned after it;
//! [`follow`] says of each item whether it was done (by the nearest entry or
//! treatment within the window), is due, upcoming or overdue and by how
//! much, and which expected measures a done visit lacks.

use std::sync::Arc;

use jiff::civil::Date;
use jiff::{Span, ToSpan};
use serde::{Deserialize, Serialize};

use super::catalog::Catalog;
use super::entry::Entry;
use super::treatment::{TreatmentEvent, TreatmentKind};

/// The seed case's protocol, built in.
pub const SEED_PROTOCOL_TOML: &str = include_str!("../../../assets/protocols/msc_exosomes_3_cycles.toml");
pub const SEED_PROTOCOL_FILE: &str = "assets/protocols/msc_exosomes_3_cycles.toml";

/// A protocol file that cannot be used: which file, and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("protocol is invalid: {problem} (in {file})")]
pub struct ProtocolError {
    pub file: String,
    pub problem: String,
}

/// A named plan of treatment cycles and visits.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// A planned date still counts this many days either side.
    #[serde(default = "default_window")]
    pub window_days: i64,
    /// A visit or cycle whose window closed more than this many days ago
    /// is *missed*: it leaves each week's due list (a *Missed* filter
    /// shows it). Default 28 (four weeks).
    #[serde(default = "default_missed_after")]
    pub missed_after_days: i64,
    pub treatment: TreatmentPlan,
    #[serde(default)]
    pub visits: Vec<VisitSpec>,
}

fn default_window() -> i64 {
    3
}

fn default_missed_after() -> i64 {
    28
}

/// The cycles, and what a recorded treatment is prefilled with.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreatmentPlan {
    pub kind: TreatmentKind,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub dose: String,
    #[serde(default)]
    pub dose_unit: String,
    #[serde(default)]
    pub route: String,
    pub cycles: u32,
    /// From the start of one cycle to the next.
    #[serde(default)]
    pub days_between_cycles: i64,
}

/// A visit on one day (`day`), or one every `every_days` from `from_day`
/// to `until_day` (both included), with the measures expected at it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitSpec {
    pub name: String,
    #[serde(default)]
    pub day: Option<i64>,
    #[serde(default)]
    pub every_days: Option<i64>,
    #[serde(default)]
    pub from_day: Option<i64>,
    #[serde(default)]
    pub until_day: Option<i64>,
    #[serde(default)]
    pub measures: Vec<String>,
}

impl Protocol {
    /// The seed case's protocol (three cycles 15 days apart).
    pub fn seed() -> Result<Self, ProtocolError> {
        Self::parse(
            SEED_PROTOCOL_TOML,
            SEED_PROTOCOL_FILE,
            &Catalog::builtin().map_err(|e| ProtocolError {
                file: SEED_PROTOCOL_FILE.to_owned(),
                problem: e.to_string(),
            })?,
        )
    }

    /// Reads and checks a protocol; `file` names it in errors, and every
    /// expected measure must be in `catalog`.
    pub fn parse(text: &str, file: &str, catalog: &Catalog) -> Result<Self, ProtocolError> {
        let fail = |problem: String| ProtocolError {
            file: file.to_owned(),
            problem,
        };
        let p: Protocol = toml::from_str(text).map_err(|e| fail(e.to_string().trim().replace('\n', " ")))?;
        if p.name.trim().is_empty() {
            return Err(fail("name is empty: give the protocol a name".to_owned()));
        }
        if !(0..=30).contains(&p.window_days) {
            return Err(fail(format!("window_days is {}: use 0 to 30 days", p.window_days)));
        }
        if !(1..=365).contains(&p.missed_after_days) {
            return Err(fail(format!(
                "missed_after_days is {}: use 1 to 365 days",
                p.missed_after_days
            )));
        }
        let t = &p.treatment;
        if t.cycles == 0 || t.cycles > 50 {
            return Err(fail(format!("treatment.cycles is {}: use 1 to 50", t.cycles)));
        }
        if t.cycles > 1 && !(1..=365).contains(&t.days_between_cycles) {
            return Err(fail(format!(
                "treatment.days_between_cycles is {}: with {} cycles, use 1 to 365 days",
                t.days_between_cycles, t.cycles
            )));
        }
        for v in &p.visits {
            let at = format!("visit \"{}\"", v.name);
            if v.name.trim().is_empty() {
                return Err(fail("a visit has no name".to_owned()));
            }
            match (v.day, v.every_days, v.from_day, v.until_day) {
                (Some(day), None, None, None) if (0..=3650).contains(&day) => {}
                (Some(day), None, None, None) => return Err(fail(format!("{at}: day {day} is not 0 to 3650"))),
                (None, Some(every), Some(from), Some(until))
                    if every >= 1 && 0 <= from && from <= until && until <= 3650 => {}
                (None, Some(_), Some(_), Some(_)) => {
                    return Err(fail(format!(
                        "{at}: every_days must be at least 1 and 0 <= from_day <= until_day <= 3650"
                    )));
                }
                _ => {
                    return Err(fail(format!(
                        "{at}: give either day, or every_days with from_day and until_day"
                    )));
                }
            }
            if let Some(m) = v.measures.iter().find(|m| catalog.measure(m).is_none()) {
                return Err(fail(format!("{at}: \"{m}\" is not a measure of the catalog")));
            }
        }
        Ok(p)
    }
}

/// The protocols this build offers (the files of `assets/protocols/`,
/// built in), by name.
pub fn builtin_protocols(catalog: &Catalog) -> Result<Vec<(Protocol, &'static str)>, ProtocolError> {
    [(SEED_PROTOCOL_TOML, SEED_PROTOCOL_FILE)]
        .into_iter()
        .map(|(text, file)| Protocol::parse(text, file, catalog).map(|p| (p, text)))
        .collect()
}

/// A protocol assigned to a patient from a start date (day 0, the first
/// cycle), as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssignmentData {
    pub protocol: String,
    /// The protocol file's text when it was assigned: a later edit of the
    /// file does not move a patient's plan.
    pub protocol_text: String,
    pub start: Date,
    pub note: String,
    pub recorded_by: String,
}

/// An item of a plan moved by some days, and why (kept for the audit
/// trail and applied, in order, every time the plan is laid out).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShiftData {
    /// The item's label (`C2`, `Day 30`).
    pub item: String,
    /// Its date before the shift.
    pub planned_on: Date,
    pub days: i64,
    pub reason: String,
    pub recorded_by: String,
}

/// A late or missed visit or cycle closed as *not done*, with why (the
/// patient declined, moved, died; the sample was lost): kept with its
/// audit row; the item leaves the due list and shows as not done.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClosureData {
    /// The item's label (`Day 90`, `C3`).
    pub item: String,
    /// Its planned date (after shifts) when it was closed.
    pub planned_on: Date,
    pub reason: String,
    pub recorded_by: String,
}

impl ClosureData {
    /// A closure of `item` (as laid out) with `reason`: the reason is needed.
    pub fn new(item: &PlanItem, reason: &str, recorded_by: &str) -> Result<Self, String> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err("Reason: say why it was not done (declined, moved, died, sample lost...)".to_owned());
        }
        Ok(Self {
            item: item.what.label(),
            planned_on: item.date,
            reason: reason.to_owned(),
            recorded_by: recorded_by.to_owned(),
        })
    }
}

/// A stored assignment with its shifts and closures, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    pub id: i64,
    pub patient_id: i64,
    pub version: i64,
    pub data: AssignmentData,
    pub shifts: Vec<ShiftData>,
    pub closures: Vec<ClosureData>,
}

impl Assignment {
    /// The protocol as it was assigned.
    pub fn protocol(&self, catalog: &Catalog) -> Result<Protocol, ProtocolError> {
        Protocol::parse(
            &self.data.protocol_text,
            &format!("the protocol \"{}\" as assigned", self.data.protocol),
            catalog,
        )
    }

    /// The plan laid out from the start date, with every shift applied.
    pub fn plan(&self, schedule: &Schedule) -> Vec<PlanItem> {
        let mut items = schedule.from(self.data.start);
        for s in &self.shifts {
            apply_shift(&mut items, s);
        }
        for c in &self.closures {
            if let Some(i) = items
                .iter_mut()
                .find(|i| i.what.label() == c.item && i.date == c.planned_on)
            {
                i.not_done = Some(c.reason.clone().into());
            }
        }
        items
    }

    /// The shifts whose item is not in the plan (the file's check names them).
    pub fn shifts_not_found(&self, schedule: &Schedule) -> Vec<&ShiftData> {
        let mut items = schedule.from(self.data.start);
        self.shifts.iter().filter(|s| !apply_shift(&mut items, s)).collect()
    }
}

pub mod field {
    pub const PROTOCOL: &str = "protocol";
    pub const START: &str = "start";
    pub const NOTE: &str = "note";
    pub const RECORDED_BY: &str = "recorded_by";
    pub const ITEM: &str = "item";
    pub const DAYS: &str = "days";
}

/// The "Assign protocol" form as typed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssignDraft {
    pub protocol: String,
    pub start: String,
    pub note: String,
    pub recorded_by: String,
}

impl AssignDraft {
    pub fn blank(protocol: &str, start: Date, recorded_by: &str) -> Self {
        Self {
            protocol: protocol.to_owned(),
            start: start.to_string(),
            note: String::new(),
            recorded_by: recorded_by.to_owned(),
        }
    }

    /// The assignment, with the chosen protocol's text as it is now; a
    /// start before the patient's birth, or more than a year ahead, is
    /// refused (a plan may start in the coming weeks).
    pub fn validate(
        &self,
        protocols: &[(Protocol, &str)],
        birth_date: Date,
        today: Date,
    ) -> Result<AssignmentData, Vec<super::FieldError>> {
        use super::validate::{FieldError, parse_date, required};
        let mut errors = Vec::new();
        let text = protocols.iter().find(|(p, _)| p.name == self.protocol).map(|(_, t)| *t);
        if text.is_none() {
            errors.push(FieldError::new(
                field::PROTOCOL,
                format!(
                    "Protocol: choose one of {}",
                    protocols
                        .iter()
                        .map(|(p, _)| format!("\"{}\"", p.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let start = parse_date(field::START, "Start (day 0)", &self.start, &mut errors);
        if let Some(d) = start {
            if d < birth_date {
                errors.push(FieldError::new(
                    field::START,
                    format!("Start (day 0) {d} is before the patient's birth date {birth_date}"),
                ));
            }
            if day_count(today, d) > 365 {
                errors.push(FieldError::new(
                    field::START,
                    format!("Start (day 0) {d} is more than a year ahead: check the year"),
                ));
            }
        }
        let recorded_by = required(field::RECORDED_BY, "Recorded by", &self.recorded_by, &mut errors);
        match (text, start, recorded_by) {
            (Some(text), Some(start), Some(recorded_by)) if errors.is_empty() => Ok(AssignmentData {
                protocol: self.protocol.clone(),
                protocol_text: text.to_owned(),
                start,
                note: self.note.trim().to_owned(),
                recorded_by,
            }),
            _ => Err(errors),
        }
    }
}

/// The "Shift the plan" form as typed (its reason is the form's own).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ShiftDraft {
    pub item: String,
    pub days: String,
}

impl ShiftDraft {
    /// The shift of `items` (the plan as shifted so far), signed by `recorded_by`.
    pub fn validate(
        &self,
        items: &[PlanItem],
        reason: &str,
        recorded_by: &str,
    ) -> Result<ShiftData, Vec<super::FieldError>> {
        use super::validate::FieldError;
        if self.item.trim().is_empty() {
            return Err(vec![FieldError::new(
                field::ITEM,
                "Item: choose the cycle or visit to move",
            )]);
        }
        // The reason is checked by the form itself; a placeholder lets the rest be checked.
        match check_shift(
            items,
            &self.item,
            &self.days,
            if reason.trim().is_empty() { "-" } else { reason },
        ) {
            Ok((planned_on, days)) => Ok(ShiftData {
                item: self.item.clone(),
                planned_on,
                days,
                reason: reason.trim().to_owned(),
                recorded_by: recorded_by.to_owned(),
            }),
            Err(e) if e.starts_with("Days") => Err(vec![FieldError::new(field::DAYS, e)]),
            Err(e) => Err(vec![FieldError::new(field::ITEM, e)]),
        }
    }
}

/// Applies a stored shift: the item of that label (the one planned on its
/// recorded date when the label repeats), moved with what follows it.
fn apply_shift(items: &mut [PlanItem], s: &ShiftData) -> bool {
    let at = items
        .iter()
        .position(|i| i.what.label() == s.item && i.date == s.planned_on)
        .or_else(|| items.iter().position(|i| i.what.label() == s.item));
    match at {
        Some(i) => {
            shift(items, i, s.days);
            true
        }
        None => false,
    }
}

/// Checks a shift before it is stored: the item exists in the plan, the
/// days are a whole number from -365 to 365 other than 0, a reason is given.
pub fn check_shift(items: &[PlanItem], item: &str, days: &str, reason: &str) -> Result<(Date, i64), String> {
    let planned = items
        .iter()
        .find(|i| i.what.label() == item)
        .ok_or_else(|| format!("\"{item}\" is not an item of this plan"))?;
    let days = match days.trim().parse::<i64>() {
        Ok(d) if d != 0 && (-365..=365).contains(&d) => d,
        _ => {
            return Err(format!(
                "Days \"{}\" is not a shift: enter a whole number of days from -365 to 365, not 0 (7 delays a week)",
                days.trim()
            ));
        }
    };
    if reason.trim().is_empty() {
        return Err(
            "A reason is required for shifting a plan (for example: infection, cycle delayed a week)".to_owned(),
        );
    }
    Ok((planned.date, days))
}

/// What a plan item is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Planned {
    /// Treatment cycle n (from 1).
    Cycle(u32),
    /// A visit, by name ("Day 30", "Week 2"), shared by every plan laid out.
    Visit(Arc<str>),
}

impl Planned {
    /// `C2`, `Day 30`.
    pub fn label(&self) -> String {
        match self {
            Planned::Cycle(n) => format!("C{n}"),
            Planned::Visit(name) => name.to_string(),
        }
    }
}

/// One dated item of a patient's plan.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanItem {
    pub what: Planned,
    pub date: Date,
    /// Measures expected at a visit (none for a cycle), shared by every
    /// plan laid out.
    pub measures: Arc<[String]>,
    /// Closed as not done, with this reason ([`ClosureData`]).
    pub not_done: Option<Arc<str>>,
}

fn days(n: i64) -> Span {
    n.days()
}

/// Days since 1970-01-01 (days-from-civil, proleptic Gregorian): the
/// plan's arithmetic runs for every item of every patient on the due list.
fn day_number(d: Date) -> i64 {
    let (m, dd) = (i64::from(d.month()), i64::from(d.day()));
    let y = i64::from(d.year()) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + dd - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days from `a` to `b` (negative when `b` is earlier).
pub fn day_count(a: Date, b: Date) -> i64 {
    day_number(b) - day_number(a)
}

/// A protocol's items as days from the start, computed once and laid out
/// for each patient with [`Schedule::from`].
#[derive(Clone, Debug)]
pub struct Schedule {
    items: Vec<(Planned, i64, Arc<[String]>)>,
}

impl Schedule {
    /// The protocol's cycles and visits as days from day 0. A repeating
    /// visit is named with its week ("Week 2") when it repeats every 7
    /// days, else with its day ("Week on day 10").
    pub fn of(p: &Protocol) -> Self {
        let none: Arc<[String]> = Arc::new([]);
        let mut items: Vec<(Planned, i64, Arc<[String]>)> = (0..p.treatment.cycles)
            .map(|i| {
                (
                    Planned::Cycle(i + 1),
                    i64::from(i) * p.treatment.days_between_cycles,
                    none.clone(),
                )
            })
            .collect();
        for v in &p.visits {
            let measures: Arc<[String]> = v.measures.clone().into();
            match (v.day, v.every_days, v.from_day, v.until_day) {
                (Some(day), ..) => items.push((Planned::Visit(v.name.as_str().into()), day, measures)),
                (None, Some(every), Some(from), Some(until)) => {
                    let mut day = from;
                    while day <= until {
                        let name = if every == 7 && day % 7 == 0 {
                            format!("{} {}", v.name, day / 7)
                        } else {
                            format!("{} on day {day}", v.name)
                        };
                        items.push((Planned::Visit(name.into()), day, measures.clone()));
                        day += every;
                    }
                }
                _ => {}
            }
        }
        items.sort_by_key(|(what, day, _)| (*day, matches!(what, Planned::Visit(_))));
        Self { items }
    }

    /// The dated plan from `start` (day 0), in date order (a cycle before a
    /// visit on the same day).
    pub fn from(&self, start: Date) -> Vec<PlanItem> {
        self.items
            .iter()
            .map(|(what, day, measures)| PlanItem {
                what: what.clone(),
                date: start.saturating_add(days(*day)),
                measures: measures.clone(),
                not_done: None,
            })
            .collect()
    }
}

/// The protocol's cycles and visits from `start` (day 0, the first cycle),
/// in date order; see [`Schedule`].
pub fn lay_out(p: &Protocol, start: Date) -> Vec<PlanItem> {
    Schedule::of(p).from(start)
}

/// Moves item `index` by `by` days, and with it every item planned on or
/// after its old date (a cycle delayed a week moves the later cycles and
/// visits). Earlier items stay. The caller records why, in the audit log.
pub fn shift(items: &mut [PlanItem], index: usize, by: i64) {
    let Some(from) = items.get(index).map(|i| i.date) else {
        return;
    };
    for item in items.iter_mut().filter(|i| i.date >= from) {
        item.date = item.date.saturating_add(days(by));
    }
    items.sort_by_key(|i| (i.date, matches!(i.what, Planned::Visit(_))));
}

/// Where a plan item stands on a day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Done on that date (an entry for a visit, a treatment for a cycle).
    Done(Date),
    /// Its window has not opened yet.
    Upcoming,
    /// Within its window today.
    Due,
    /// Its window closed without it: days since the planned date.
    Overdue(i64),
    /// Closed as not done, with the reason.
    NotDone(Arc<str>),
}

/// A plan item as followed: its status, and for a done visit the entry
/// that did it (an index into the entries given to [`follow`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Followed<'a> {
    pub item: &'a PlanItem,
    pub status: Status,
    pub entry: Option<usize>,
}

impl Followed<'_> {
    /// The measures expected at this visit that its entry lacks (none for a
    /// cycle or a visit not done); `entries` as their dates were given to
    /// [`follow`].
    pub fn missing<'e>(&'e self, entries: &'e [Entry]) -> Vec<&'e str> {
        let Some(e) = self.entry.and_then(|i| entries.get(i)) else {
            return Vec::new();
        };
        self.item.missing(|m| has_measure(e, m))
    }
}

impl PlanItem {
    /// The measures this visit expects that `has` says are not there.
    pub fn missing(&self, has: impl Fn(&str) -> bool) -> Vec<&str> {
        self.measures.iter().map(String::as_str).filter(|m| !has(m)).collect()
    }
}

/// Whether the entry holds a value of measure `code`.
fn has_measure(e: &Entry, code: &str) -> bool {
    e.data.lab(code).is_some() || e.data.symptom(code).is_some()
}

/// The date and cycle of each treatment, as [`follow`] and [`due_in_week`]
/// take them (a cycle is done by its number, else by its date).
pub fn treatment_dates(treatments: &[TreatmentEvent]) -> Vec<(Date, Option<u32>)> {
    treatments.iter().map(|t| (t.data.date, t.data.cycle)).collect()
}

/// The dates of `entries`, as [`follow`] and [`due_in_week`] take them.
pub fn entry_dates(entries: &[Entry]) -> Vec<Date> {
    entries.iter().map(|e| e.data.collected_on).collect()
}

/// Each plan item's status on `today`. A visit is done by the entry nearest
/// its date within the window, a cycle by the treatment event of that cycle
/// number (else the nearest one within the window). Entries and events are
/// paired with items nearest first, each used once (two entries, two
/// visits: each its own); then a visit still open is done by any entry
/// inside its window, one already used included: an entry inside the
/// windows of two visits (the seed's Week 4 and Day 30, two days apart)
/// does both. A cycle still needs a treatment event of its own.
pub fn follow<'a>(
    p: &Protocol,
    items: &'a [PlanItem],
    entries: &[Date],
    treatments: &[(Date, Option<u32>)],
    today: Date,
) -> Vec<Followed<'a>> {
    let w = p.window_days;
    // Day numbers once: every item is compared with every entry.
    let item_days: Vec<i64> = items.iter().map(|i| day_number(i.date)).collect();
    let entry_days: Vec<i64> = entries.iter().map(|d| day_number(*d)).collect();
    // What did each item: index of the entry (visits) or treatment (cycles).
    let mut done_by: Vec<Option<usize>> = vec![None; items.len()];
    let mut used_treatments = vec![false; treatments.len()];
    // A cycle by its number first.
    for (i, item) in items.iter().enumerate() {
        if let Planned::Cycle(n) = item.what
            && let Some(j) = (0..treatments.len()).find(|&j| !used_treatments[j] && treatments[j].1 == Some(n))
        {
            used_treatments[j] = true;
            done_by[i] = Some(j);
        }
    }
    // Then the nearest pairs within the window, nearest first, each used once.
    let mut pairs: Vec<(i64, usize, usize)> = Vec::new();
    for (i, item) in items.iter().enumerate().filter(|(i, _)| done_by[*i].is_none()) {
        match item.what {
            Planned::Cycle(_) => pairs.extend(
                treatments
                    .iter()
                    .enumerate()
                    .filter(|(j, t)| !used_treatments[*j] && t.1.is_none())
                    .map(|(j, t)| ((day_number(t.0) - item_days[i]).abs(), i, j))
                    .filter(|(g, ..)| *g <= w),
            ),
            Planned::Visit(_) => pairs.extend(
                entry_days
                    .iter()
                    .enumerate()
                    .map(|(j, d)| ((d - item_days[i]).abs(), i, j))
                    .filter(|(g, ..)| *g <= w),
            ),
        }
    }
    pairs.sort_by_key(|&(g, i, _)| (g, item_days[i]));
    let mut used_entries = vec![false; entries.len()];
    for (_, i, j) in pairs {
        if done_by[i].is_some() {
            continue;
        }
        let used = match items[i].what {
            Planned::Cycle(_) => &mut used_treatments[j],
            Planned::Visit(_) => &mut used_entries[j],
        };
        if !*used {
            *used = true;
            done_by[i] = Some(j);
        }
    }
    // A visit still open, with an entry inside its window (used for
    // another visit): done by the nearest such entry.
    for (i, item) in items.iter().enumerate() {
        if done_by[i].is_some() || !matches!(item.what, Planned::Visit(_)) {
            continue;
        }
        done_by[i] = entry_days
            .iter()
            .enumerate()
            .map(|(j, d)| ((d - item_days[i]).abs(), j))
            .filter(|(g, _)| *g <= w)
            .min()
            .map(|(_, j)| j);
    }
    let today_day = day_number(today);
    let mut out = Vec::with_capacity(items.len());
    for (i, (item, by)) in items.iter().zip(done_by).enumerate() {
        let done = by.map(|j| match item.what {
            Planned::Cycle(_) => (treatments[j].0, None),
            Planned::Visit(_) => (entries[j], Some(j)),
        });
        let (status, entry) = match done {
            Some((date, entry)) => (Status::Done(date), entry),
            None if item.not_done.is_some() => (Status::NotDone(item.not_done.clone().unwrap_or_default()), None),
            None => {
                let from_planned = today_day - item_days[i];
                let status = if from_planned < -w {
                    Status::Upcoming
                } else if from_planned <= w {
                    Status::Due
                } else {
                    Status::Overdue(from_planned)
                };
                (status, None)
            }
        };
        out.push(Followed { item, status, entry });
    }
    out
}

/// The Monday of the week `day` falls in.
pub fn week_start(day: Date) -> Date {
    let back = i64::from(day.weekday().to_monday_zero_offset());
    day.saturating_sub(days(back))
}

/// One line of a patient's due list for a week.
#[derive(Clone, Debug, PartialEq)]
pub enum DueLine {
    /// Not done, and its date falls in the week, or fell before it with its
    /// window still open on the Monday.
    Due { what: Planned, date: Date },
    /// Not done, and its window closed before the week: days late on its Monday.
    Overdue { what: Planned, date: Date, days_late: i64 },
    /// Not done, and its window closed more than the protocol's
    /// `missed_after_days` before the week: not on the week's list (the
    /// *Missed* filter, `due --missed`), days late on its Monday.
    Missed { what: Planned, date: Date, days_late: i64 },
    /// The latest visit done by the week's end lacks these expected
    /// measures (catalog codes, in the protocol's order): one line per visit.
    Missing {
        what: Planned,
        measures: Vec<String>,
        done_on: Date,
    },
}

impl DueLine {
    /// The date the line is about (planned, or the visit's).
    pub fn date(&self) -> Date {
        match self {
            DueLine::Due { date, .. } | DueLine::Overdue { date, .. } | DueLine::Missed { date, .. } => *date,
            DueLine::Missing { done_on, .. } => *done_on,
        }
    }
}

/// What a patient's plan asks for in the week containing `day` (from its
/// Monday to its Sunday): items due that week and items overdue on its
/// Monday with how late ([`WeekDue::lines`]), and the latest visit done by
/// the Sunday, whose missing measures [`WeekDue::with_missing`] adds.
/// `entries` are the dates of the patient's entries.
pub fn due_in_week(
    p: &Protocol,
    items: &[PlanItem],
    entries: &[Date],
    treatments: &[(Date, Option<u32>)],
    day: Date,
) -> WeekDue {
    let monday = week_start(day);
    let sunday = monday.saturating_add(days(6));
    // As of the Sunday: what is done by then counts (an entry or event
    // dated after it is put out of every window, its index kept); what is
    // late is counted from the Monday.
    let by_sunday: Vec<Date> = entries
        .iter()
        .map(|d| if *d > sunday { Date::MAX } else { *d })
        .collect();
    let treated: Vec<(Date, Option<u32>)> = treatments
        .iter()
        .map(|(d, c)| if *d > sunday { (Date::MAX, None) } else { (*d, *c) })
        .collect();
    let followed = follow(p, items, &by_sunday, &treated, sunday);
    let mut lines = Vec::new();
    let mut latest_visit: Option<&Followed> = None;
    for f in &followed {
        match f.status {
            Status::Done(on)
                if on <= sunday
                    && matches!(f.item.what, Planned::Visit(_))
                    && latest_visit.is_none_or(|l| matches!(l.status, Status::Done(d) if d <= on)) =>
            {
                latest_visit = Some(f);
            }
            Status::Done(_) | Status::NotDone(_) => {}
            _ if (monday..=sunday).contains(&f.item.date)
                || (f.item.date < monday && day_count(f.item.date, monday) <= p.window_days) =>
            {
                lines.push(DueLine::Due {
                    what: f.item.what.clone(),
                    date: f.item.date,
                })
            }
            _ if f.item.date < monday && day_count(f.item.date, monday) > p.window_days => {
                let days_late = day_count(f.item.date, monday);
                let (what, date) = (f.item.what.clone(), f.item.date);
                lines.push(if days_late > p.window_days + p.missed_after_days {
                    DueLine::Missed { what, date, days_late }
                } else {
                    DueLine::Overdue { what, date, days_late }
                })
            }
            _ => {}
        }
    }
    let last_visit = latest_visit.and_then(|f| match (f.status.clone(), f.entry) {
        (Status::Done(on), Some(entry)) => Some(LastVisit {
            entry,
            item: f.item.clone(),
            done_on: on,
        }),
        _ => None,
    });
    WeekDue { lines, last_visit }
}

/// A patient's week before its missing measures are looked up: what is due
/// and late, and the latest visit done (whose entry's measures a clinic's
/// due list reads for that one entry only).
#[derive(Clone, Debug, PartialEq)]
pub struct WeekDue {
    pub lines: Vec<DueLine>,
    pub last_visit: Option<LastVisit>,
}

/// The latest visit done by the week's end.
#[derive(Clone, Debug, PartialEq)]
pub struct LastVisit {
    /// Index of its entry in the dates given to [`due_in_week`].
    pub entry: usize,
    pub item: PlanItem,
    pub done_on: Date,
}

impl WeekDue {
    /// The week's lines with the measures the last visit's entry lacks
    /// (`has` tells whether that entry holds a measure): late first (the
    /// latest first), then due by date, then missing.
    pub fn with_missing(self, has: impl Fn(&str) -> bool) -> Vec<DueLine> {
        let mut out = self.lines;
        if let Some(v) = &self.last_visit {
            let measures: Vec<String> = v.item.missing(has).into_iter().map(str::to_owned).collect();
            if !measures.is_empty() {
                out.push(DueLine::Missing {
                    what: v.item.what.clone(),
                    measures,
                    done_on: v.done_on,
                });
            }
        }
        out.sort_by_key(|l| match l {
            DueLine::Overdue { days_late, date, .. } => (0, -days_late, *date),
            DueLine::Due { date, .. } => (1, 0, *date),
            DueLine::Missing { done_on, .. } => (2, 0, *done_on),
            DueLine::Missed { days_late, date, .. } => (3, -days_late, *date),
        });
        out
    }
}

impl DueLine {
    /// The line as the due list says it, measures by their catalog names:
    /// `Week 3: 9 days late (planned 2025-08-09)`, `Week 4: due (planned
    /// 2025-08-16)`, `Week 3: done 2025-08-11, lacks ALT, AST, INR`.
    pub fn describe(&self, catalog: &Catalog) -> String {
        match self {
            DueLine::Due { what, date } => format!("{}: due (planned {date})", what.label()),
            DueLine::Overdue {
                what, date, days_late, ..
            } => format!(
                "{}: {days_late} day{} late (planned {date})",
                what.label(),
                if *days_late == 1 { "" } else { "s" }
            ),
            DueLine::Missed { what, date, days_late } => {
                format!("{}: missed (planned {date}, {days_late} days ago)", what.label())
            }
            DueLine::Missing {
                what,
                measures,
                done_on,
            } => format!(
                "{}: done {done_on}, lacks {}",
                what.label(),
                measures
                    .iter()
                    .map(|m| catalog.measure(m).map_or(m.as_str(), |c| c.name.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// What the line is about, for sorting and filtering: `C2`, `Week 3`.
    pub fn what(&self) -> &Planned {
        match self {
            DueLine::Due { what, .. }
            | DueLine::Overdue { what, .. }
            | DueLine::Missing { what, .. }
            | DueLine::Missed { what, .. } => what,
        }
    }

    /// Days late (0 unless overdue or missed).
    pub fn days_late(&self) -> i64 {
        match self {
            DueLine::Overdue { days_late, .. } | DueLine::Missed { days_late, .. } => *days_late,
            _ => 0,
        }
    }

    /// Whether the line is a missed visit or cycle (not on the week's list
    /// unless asked for).
    pub fn is_missed(&self) -> bool {
        matches!(self, DueLine::Missed { .. })
    }

    /// `late`, `due`, `missing`, `missed`: the line's kind in a word (the
    /// CSV's column).
    pub fn kind_word(&self) -> &'static str {
        match self {
            DueLine::Overdue { .. } => "late",
            DueLine::Due { .. } => "due",
            DueLine::Missing { .. } => "missing",
            DueLine::Missed { .. } => "missed",
        }
    }
}

/// One patient's lines on a clinic's due list.
#[derive(Clone, Debug, PartialEq)]
pub struct PatientDue {
    pub patient_id: i64,
    pub mrn: String,
    pub name: String,
    pub protocol: String,
    pub lines: Vec<DueLine>,
    /// The protocol as assigned no longer reads (named, instead of lines).
    pub problem: Option<String>,
}

/// [`due_in_week`] with its missing measures, for a patient whose entries
/// are all read.
pub fn due_in_week_of(
    p: &Protocol,
    items: &[PlanItem],
    entries: &[Entry],
    treatments: &[TreatmentEvent],
    day: Date,
) -> Vec<DueLine> {
    let week = due_in_week(p, items, &entry_dates(entries), &treatment_dates(treatments), day);
    let entry = week.last_visit.as_ref().map(|v| &entries[v.entry]);
    week.with_missing(|m| entry.is_some_and(|e| has_measure(e, m)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TreatmentData;

    fn catalog() -> Catalog {
        Catalog::builtin().unwrap()
    }
    use jiff::civil::date;

    /// Every measure the seed protocol expects at a weekly visit.
    const WEEK: &[&str] = &[
        "bili_total",
        "alt",
        "ast",
        "albumin",
        "inr",
        "creatinine",
        "fatigue",
        "appetite_loss",
        "jaundice",
    ];

    fn seed() -> Protocol {
        Protocol::seed().unwrap()
    }

    /// An entry with a value for each of `codes` (labs 1.0, symptoms 1).
    fn entry(id: i64, on: Date, codes: &[&str]) -> Entry {
        let lines: Vec<(&str, &str)> = codes.iter().map(|c| (*c, "1")).collect();
        crate::test_support::entry(id, on, &lines)
    }

    fn treatment(id: i64, on: Date, cycle: Option<u32>) -> TreatmentEvent {
        TreatmentEvent {
            id,
            patient_id: 1,
            version: 1,
            data: TreatmentData {
                date: on,
                kind: TreatmentKind::CellInfusion,
                product: "MSC".into(),
                dose: None,
                dose_unit: String::new(),
                route: "IV".into(),
                cycle,
                note: String::new(),
                recorded_by: "Dr Rao".into(),
            },
        }
    }

    fn labels(items: &[PlanItem]) -> Vec<String> {
        items.iter().map(|i| format!("{} {}", i.what.label(), i.date)).collect()
    }

    #[test]
    fn the_seed_protocol_lays_out_three_cycles_weekly_visits_and_follow_ups() {
        let items = lay_out(&seed(), date(2025, 7, 19));
        assert_eq!(
            labels(&items),
            [
                "C1 2025-07-19",
                "Baseline 2025-07-19",
                "Week 1 2025-07-26",
                "Week 2 2025-08-02",
                "C2 2025-08-03",
                "Week 3 2025-08-09",
                "Week 4 2025-08-16",
                "C3 2025-08-18",
                "Day 30 2025-08-18",
                "Day 90 2025-10-17",
                "Day 180 2026-01-15",
            ]
        );
        assert!(
            items
                .iter()
                .all(|i| matches!(i.what, Planned::Cycle(_)) == i.measures.is_empty())
        );
    }

    #[test]
    fn a_delayed_cycle_moves_what_comes_after_it_only() {
        let mut items = lay_out(&seed(), date(2025, 7, 19));
        let c2 = items.iter().position(|i| i.what == Planned::Cycle(2)).unwrap();
        shift(&mut items, c2, 7);
        let at = |label: &str| items.iter().find(|i| i.what.label() == label).unwrap().date;
        assert_eq!(at("C1"), date(2025, 7, 19));
        assert_eq!(at("Week 2"), date(2025, 8, 2), "before C2: stays");
        assert_eq!(at("C2"), date(2025, 8, 10));
        assert_eq!(at("C3"), date(2025, 8, 25));
        assert_eq!(at("Day 180"), date(2026, 1, 22));
        assert!(items.windows(2).all(|w| w[0].date <= w[1].date), "still in date order");
    }

    /// The seed case's dates (entries on 19 Jul, 26 Jul, 4 Aug, 11 Aug,
    /// 19 Aug; cycles on 21 Jul, 30 Jul, 12 Aug numbered 1-3) followed on
    /// 2025-08-11: done, due and overdue items, and what a done visit lacks.
    #[test]
    fn the_seed_case_followed_on_2025_08_11() {
        let p = seed();
        let items = lay_out(&p, date(2025, 7, 19));
        let entries = [
            entry(1, date(2025, 7, 19), &["bili_total", "inr", "fatigue"]),
            entry(2, date(2025, 7, 26), &["fatigue"]),
            entry(3, date(2025, 8, 4), WEEK),
            entry(4, date(2025, 8, 11), &["fatigue"]),
        ];
        let treatments = [
            treatment(1, date(2025, 7, 21), Some(1)),
            treatment(2, date(2025, 7, 30), Some(2)),
        ];
        let followed = follow(
            &p,
            &items,
            &entry_dates(&entries),
            &treatment_dates(&treatments),
            date(2025, 8, 11),
        );
        let status = |label: &str| followed.iter().find(|f| f.item.what.label() == label).unwrap();
        assert_eq!(
            status("C1").status,
            Status::Done(date(2025, 7, 21)),
            "by its cycle number, outside the window"
        );
        assert_eq!(status("C2").status, Status::Done(date(2025, 7, 30)));
        assert_eq!(status("C3").status, Status::Upcoming);
        assert_eq!(status("Baseline").status, Status::Done(date(2025, 7, 19)));
        assert!(status("Baseline").missing(&entries).contains(&"albumin"));
        assert!(!status("Baseline").missing(&entries).contains(&"inr"));
        assert_eq!(status("Week 1").status, Status::Done(date(2025, 7, 26)));
        assert_eq!(
            status("Week 2").status,
            Status::Done(date(2025, 8, 4)),
            "2 days after, in the window"
        );
        assert!(
            status("Week 2").missing(&entries).is_empty(),
            "the week's measures are all there"
        );
        assert_eq!(status("Week 3").status, Status::Done(date(2025, 8, 11)));
        assert_eq!(status("Week 3").missing(&entries).len(), 8, "only fatigue was recorded");
        assert_eq!(status("Week 4").status, Status::Upcoming);
        assert_eq!(status("Day 30").status, Status::Upcoming);
        // A week later, nothing more recorded: the cycle and week 4 are late.
        let later = follow(
            &p,
            &items,
            &entry_dates(&entries),
            &treatment_dates(&treatments),
            date(2025, 8, 25),
        );
        let status = |label: &str| {
            later
                .iter()
                .find(|f| f.item.what.label() == label)
                .unwrap()
                .status
                .clone()
        };
        assert_eq!(status("Week 4"), Status::Overdue(9));
        assert_eq!(status("C3"), Status::Overdue(7));
        assert_eq!(status("Day 30"), Status::Overdue(7));
    }

    /// The three report dates (19 Jul, 4 Aug, 19 Aug) do the baseline, week
    /// 2 and day 30 (19 Aug is nearest day 30, 18 Aug); 19 Aug is inside
    /// week 4's window too (16 Aug, 3 days), so it does week 4 as well: an
    /// entry inside the windows of two visits does both (issue 30).
    #[test]
    fn an_entry_inside_two_windows_does_both_visits() {
        let p = seed();
        let items = lay_out(&p, date(2025, 7, 19));
        let done = |entries: &[Entry]| -> Vec<String> {
            follow(&p, &items, &entry_dates(entries), &[], date(2025, 8, 20))
                .iter()
                .filter_map(|f| match f.status {
                    Status::Done(d) => Some(format!("{} {d}", f.item.what.label())),
                    _ => None,
                })
                .collect()
        };
        let entries = [
            entry(1, date(2025, 7, 19), &["bili_total"]),
            entry(2, date(2025, 8, 4), &["bili_total"]),
            entry(3, date(2025, 8, 19), &["bili_total"]),
        ];
        assert_eq!(
            done(&entries),
            [
                "Baseline 2025-07-19",
                "Week 2 2025-08-04",
                "Week 4 2025-08-19",
                "Day 30 2025-08-19"
            ]
        );
        // Day 28 (the seed's Week 4) and Day 30 are two days apart: one
        // entry on day 28 does both, as a weekly clinic records them.
        let weekly = [entry(1, date(2025, 8, 16), &["bili_total"])];
        assert_eq!(done(&weekly), ["Week 4 2025-08-16", "Day 30 2025-08-16"]);
        // Two entries, two visits: each its own, nearest first.
        let two = [
            entry(1, date(2025, 8, 16), &["bili_total"]),
            entry(2, date(2025, 8, 18), &["bili_total"]),
        ];
        assert_eq!(done(&two), ["Week 4 2025-08-16", "Day 30 2025-08-18"]);
        // Outside every window an entry does nothing: week 3 (9 Aug) stays open.
        let followed = follow(&p, &items, &entry_dates(&entries), &[], date(2025, 8, 20));
        let week3 = followed.iter().find(|f| f.item.what.label() == "Week 3").unwrap();
        assert_eq!(week3.status, Status::Overdue(11));
    }

    /// A visit late by more than its window and the protocol's
    /// `missed_after_days` (default 28) is missed, and leaves the week.
    #[test]
    fn a_visit_late_beyond_the_protocol_time_is_missed() {
        let p = seed();
        assert_eq!(p.missed_after_days, 28);
        let items = lay_out(&p, date(2025, 7, 19));
        let entries = [entry(1, date(2025, 7, 19), WEEK)];
        let day90 = |week: Date| {
            due_in_week_of(&p, &items, &entries, &[], week)
                .into_iter()
                .find(|l| l.what().label() == "Day 90")
        };
        // Day 90 is 17 Oct: late by 31 days on Monday 17 Nov (window 3 + 28).
        let late = day90(date(2025, 11, 17)).unwrap();
        assert_eq!((late.kind_word(), late.days_late()), ("late", 31));
        let missed = day90(date(2025, 11, 24)).unwrap();
        assert_eq!((missed.kind_word(), missed.days_late()), ("missed", 38));
        assert!(missed.is_missed());
        // A protocol may set its own time; out of range is refused.
        let text = include_str!("../../../assets/protocols/msc_exosomes_3_cycles.toml");
        let short = Protocol::parse(
            &text.replace("missed_after_days = 28", "missed_after_days = 7"),
            "p.toml",
            &catalog(),
        )
        .unwrap();
        let items = lay_out(&short, date(2025, 7, 19));
        let l = due_in_week_of(&short, &items, &entries, &[], date(2025, 11, 3))
            .into_iter()
            .find(|l| l.what().label() == "Day 90")
            .unwrap();
        assert_eq!((l.kind_word(), l.days_late()), ("missed", 17));
        let e = Protocol::parse(
            &text.replace("missed_after_days = 28", "missed_after_days = 0"),
            "p.toml",
            &catalog(),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("missed_after_days is 0: use 1 to 365 days"),
            "{e}"
        );
    }

    #[test]
    fn due_and_overdue_count_days_across_a_year_end() {
        let p = seed();
        let items = vec![PlanItem {
            what: Planned::Visit("Day 30".into()),
            date: date(2025, 12, 30),
            measures: vec!["inr".to_owned()].into(),
            not_done: None,
        }];
        let on = |today: Date| follow(&p, &items, &[], &[], today)[0].status.clone();
        assert_eq!(on(date(2025, 12, 26)), Status::Upcoming);
        assert_eq!(on(date(2025, 12, 27)), Status::Due, "3 days before: the window opens");
        assert_eq!(on(date(2026, 1, 2)), Status::Due, "3 days after, across the new year");
        assert_eq!(on(date(2026, 1, 3)), Status::Overdue(4));
        // An entry within the window does it; its missing measures are named.
        let entries_done = [entry(1, date(2026, 1, 2), &["bili_total"])];
        let done = follow(&p, &items, &entry_dates(&entries_done), &[], date(2026, 1, 5));
        assert_eq!(done[0].status, Status::Done(date(2026, 1, 2)));
        assert_eq!(done[0].missing(&entries_done), ["inr"]);
    }

    /// The seed case on protocol from 19 Jul. In the week of Monday
    /// 2025-08-11, week 3 (9 Aug) is done by the 11 Aug entry, which lacks
    /// the INR; week 4 (16 Aug) is due; nothing is late.
    #[test]
    fn the_seed_case_due_in_the_week_of_2025_08_11() {
        let p = seed();
        let items = lay_out(&p, date(2025, 7, 19));
        let mut entries = vec![
            entry(1, date(2025, 7, 19), &["bili_total", "inr"]),
            entry(2, date(2025, 7, 26), &["fatigue"]),
            entry(3, date(2025, 8, 4), WEEK),
            entry(
                4,
                date(2025, 8, 11),
                &[
                    "bili_total",
                    "alt",
                    "ast",
                    "albumin",
                    "creatinine",
                    "fatigue",
                    "appetite_loss",
                    "jaundice",
                ],
            ),
        ];
        let treatments = [
            treatment(1, date(2025, 7, 21), Some(1)),
            treatment(2, date(2025, 8, 4), Some(2)),
        ];
        let lines = due_in_week_of(&p, &items, &entries, &treatments, date(2025, 8, 13));
        assert_eq!(
            lines,
            [
                DueLine::Due {
                    what: Planned::Visit("Week 4".into()),
                    date: date(2025, 8, 16)
                },
                DueLine::Missing {
                    what: Planned::Visit("Week 3".into()),
                    measures: vec!["inr".into()],
                    done_on: date(2025, 8, 11)
                },
            ]
        );
        // Without the 11 Aug entry, in the week of 18 Aug: week 3 is 9 days
        // late; week 4 (16 Aug) is still in its window on the Monday, so
        // due; cycle 3 and day 30 (18 Aug) are due; the latest visit done
        // (week 2, 4 Aug) has every measure it expects.
        entries.pop();
        let lines = due_in_week_of(&p, &items, &entries, &treatments, date(2025, 8, 18));
        assert_eq!(
            lines,
            [
                DueLine::Overdue {
                    what: Planned::Visit("Week 3".into()),
                    date: date(2025, 8, 9),
                    days_late: 9
                },
                DueLine::Due {
                    what: Planned::Visit("Week 4".into()),
                    date: date(2025, 8, 16)
                },
                DueLine::Due {
                    what: Planned::Cycle(3),
                    date: date(2025, 8, 18)
                },
                DueLine::Due {
                    what: Planned::Visit("Day 30".into()),
                    date: date(2025, 8, 18)
                },
            ]
        );
    }

    /// The day arithmetic agrees with jiff's over leap years and year ends.
    #[test]
    fn day_counts_agree_with_the_calendar() {
        let base = date(1999, 12, 25);
        let mut d = base;
        for _ in 0..4000 {
            assert_eq!(day_count(base, d), i64::from(base.until(d).unwrap().get_days()), "{d}");
            assert_eq!(day_count(d, base), -day_count(base, d));
            d = d.tomorrow().unwrap();
        }
        assert_eq!(day_count(date(2024, 2, 28), date(2024, 3, 1)), 2, "a leap year");
        assert_eq!(day_count(date(2025, 12, 30), date(2026, 1, 3)), 4);
    }

    #[test]
    fn a_week_starts_on_monday_across_a_year_end() {
        assert_eq!(week_start(date(2026, 1, 1)), date(2025, 12, 29));
        assert_eq!(week_start(date(2025, 12, 29)), date(2025, 12, 29));
        assert_eq!(week_start(date(2026, 1, 4)), date(2025, 12, 29), "a Sunday");
    }

    #[test]
    fn a_protocol_file_with_a_mistake_names_it() {
        let catalog = catalog();
        let bad = |text: &str| Protocol::parse(text, "p.toml", &catalog).unwrap_err().problem;
        let base = "name = \"P\"\n[treatment]\nkind = \"cell_infusion\"\ncycles = 2\ndays_between_cycles = 15\n";
        assert!(Protocol::parse(base, "p.toml", &catalog).is_ok());
        assert!(
            bad("name = \"P\"\n[treatment]\nkind = \"cell_infusion\"\ncycles = 2\n")
                .contains("days_between_cycles is 0")
        );
        assert!(
            bad(&format!(
                "{base}[[visits]]\nname = \"V\"\nday = 7\nmeasures = [\"bilirubin\"]\n"
            ))
            .contains("\"bilirubin\" is not a measure")
        );
        assert!(bad(&format!("{base}[[visits]]\nname = \"V\"\nevery_days = 7\n")).contains("give either day"));
        assert!(bad(&format!("{base}colour = 1\n")).contains("unknown field"));
    }
}
