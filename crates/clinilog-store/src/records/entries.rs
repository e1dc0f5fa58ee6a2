//! Entries and their observations: record, edit with a reason (the old
//! observations stay under their data version), void with a reason, read.

use clinilog_domain::catalog::SYMPTOM_UNIT;
use clinilog_domain::history::RecordKind;
use clinilog_domain::{
    Comparator, Decimal, Entry, EntryData, Flag, LabResult, ReferenceInterval, ReferenceSource, SymptomRating,
};

use super::audit::Change;
use super::{check_version, decimal_col, now_utc, parse_date_col};
use crate::StoreError;
use crate::sql::{Row, Sql, Value, vals};

/// Writes the observations of one data version of an entry: labs as
/// printed, with their interval in the value's unit (one unit per line),
/// then symptom ratings.
fn insert_observations(
    sql: &mut dyn Sql,
    entry_id: i64,
    data_version: i64,
    patient_id: i64,
    data: &EntryData,
) -> Result<(), StoreError> {
    const INSERT: &str = "INSERT INTO observations (entry_id, entry_version, patient_id, collected_on, measure_code,
             kind, value_text, value, comparator, unit, ref_low, ref_high, ref_source, flag, ref_unit)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
    let date = data.collected_on.to_string();
    // Each value's own columns, `measure_code` to `ref_unit`.
    let labs = data.labs.iter().map(|lab| {
        vec![
            Value::from(lab.code.as_str()),
            "lab".into(),
            lab.value.as_str().into(),
            lab.value.value().into(),
            lab.comparator.map(Comparator::as_str).into(),
            lab.unit.as_str().into(),
            lab.reference.low.as_ref().map(Decimal::as_str).into(),
            lab.reference.high.as_ref().map(Decimal::as_str).into(),
            lab.reference_source.as_str().into(),
            lab.flag.interval().letter().into(),
            lab.unit.as_str().into(),
        ]
    });
    let symptoms = data.symptoms.iter().map(|s| {
        vec![
            Value::from(s.code.as_str()),
            "symptom".into(),
            s.value.to_string().into(),
            f64::from(s.value).into(),
            Value::Null,
            SYMPTOM_UNIT.into(),
            Value::Null,
            Value::Null,
            Value::Null,
            "".into(),
            Value::Null,
        ]
    });
    for own in labs.chain(symptoms) {
        let mut row = vec![
            Value::from(entry_id),
            data_version.into(),
            patient_id.into(),
            date.as_str().into(),
        ];
        row.extend(own);
        sql.execute(INSERT, &row)?;
    }
    Ok(())
}

/// Writes a new entry, its observations and the audit row of its creation
/// (with `reason` when it came from elsewhere, such as an imported file).
/// Gives the entry's id and when it was recorded.
pub(crate) fn insert_entry(
    sql: &mut dyn Sql,
    patient_id: i64,
    data: &EntryData,
    user: &str,
    reason: Option<&str>,
) -> Result<(i64, String), StoreError> {
    let recorded_at = now_utc();
    let entry_id = sql.query_int(
        "INSERT INTO entries (patient_id, collected_on, note, recorded_by, recorded_at, changed_by, changed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $5) RETURNING id",
        vals![
            patient_id,
            data.collected_on.to_string(),
            &data.note,
            &data.recorded_by,
            recorded_at.as_str(),
            user
        ],
    )?;
    insert_observations(sql, entry_id, 1, patient_id, data)?;
    Change::of(user, RecordKind::Entry, entry_id, patient_id).created(sql, data, reason)?;
    Ok((entry_id, recorded_at))
}

/// Records an entry with all its observations, in an open transaction.
pub(crate) fn record_entry(
    sql: &mut dyn Sql,
    patient_id: i64,
    data: &EntryData,
    user: &str,
    reason: Option<&str>,
) -> Result<Entry, StoreError> {
    super::require_patient(sql, patient_id)?;
    let (id, recorded_at) = insert_entry(sql, patient_id, data, user, reason)?;
    Ok(Entry {
        id,
        patient_id,
        version: 1,
        recorded_at,
        data: data.clone(),
    })
}

/// Replaces an entry's date, values and note in an open transaction
/// (reason checked). The old values stay in the records and in the audit
/// trail; `entry.version` is the version the editor started from.
pub(crate) fn edit_entry(
    sql: &mut dyn Sql,
    entry: &Entry,
    data: &EntryData,
    reason: &str,
    user: &str,
) -> Result<Entry, StoreError> {
    check_version(sql, RecordKind::Entry, entry.id, entry.version)?;
    let (version, data_version) = sql
        .query_opt(
            "UPDATE entries SET collected_on = $1, note = $2, recorded_by = $3, version = version + 1,
                 data_version = data_version + 1, changed_by = $4, changed_at = $5
             WHERE id = $6 RETURNING version, data_version",
            vals![
                data.collected_on.to_string(),
                &data.note,
                &data.recorded_by,
                user,
                now_utc(),
                entry.id
            ],
            |r| Ok((r.int(0)?, r.int(1)?)),
        )?
        .ok_or(StoreError::NotFound {
            what: "entry",
            id: entry.id.to_string(),
        })?;
    insert_observations(sql, entry.id, data_version, entry.patient_id, data)?;
    Change::of(user, RecordKind::Entry, entry.id, entry.patient_id).edited(sql, &entry.data, data, reason)?;
    Ok(Entry {
        id: entry.id,
        patient_id: entry.patient_id,
        version,
        recorded_at: entry.recorded_at.clone(),
        data: data.clone(),
    })
}

/// The patient's entries that are not voided, newest first, with their
/// current observations.
pub(crate) fn read_entries(sql: &mut dyn Sql, patient_id: i64) -> Result<Vec<Entry>, StoreError> {
    let mut entries = sql.query_all(
        "SELECT id, version, collected_on, note, recorded_by, recorded_at FROM entries
         WHERE patient_id = $1 AND voided_at IS NULL ORDER BY collected_on DESC, id DESC",
        vals![patient_id],
        |r| {
            Ok(Entry {
                id: r.int(0)?,
                patient_id,
                version: r.int(1)?,
                recorded_at: r.string(5)?,
                data: EntryData {
                    collected_on: parse_date_col(r.text(2)?, "entry")?,
                    labs: Vec::new(),
                    symptoms: Vec::new(),
                    note: r.string(3)?,
                    recorded_by: r.string(4)?,
                },
            })
        },
    )?;
    let index: std::collections::HashMap<i64, usize> = entries.iter().enumerate().map(|(i, e)| (e.id, i)).collect();
    sql.query(
        "SELECT o.entry_id, o.kind, o.measure_code, o.value_text, o.comparator, o.unit, o.ref_low, o.ref_high,
             o.ref_source, o.flag, o.ref_unit
         FROM entries e JOIN observations o ON o.entry_id = e.id AND o.entry_version = e.data_version
         WHERE e.patient_id = $1 AND e.voided_at IS NULL ORDER BY o.entry_id, o.id",
        vals![patient_id],
        &mut |r| {
            let Some(&i) = index.get(&r.int(0)?) else {
                return Ok(());
            };
            push_observation(&mut entries[i].data, r, 1)
        },
    )?;
    Ok(entries)
}

/// One observation into its entry's values: `kind` at column `first`, then
/// the columns of [`LAB_COLUMNS`] (a symptom rating's value in `value_text`).
pub(crate) fn push_observation(data: &mut EntryData, r: &dyn Row, first: usize) -> Result<(), StoreError> {
    if r.text(first)? == "symptom" {
        let text = r.text(first + 2)?;
        let value = text.parse::<u8>().map_err(|e| StoreError::Corrupt {
            what: "symptom rating",
            detail: format!("\"{text}\": {e}"),
        })?;
        data.symptoms.push(SymptomRating {
            code: r.string(first + 1)?,
            value,
        });
    } else {
        data.labs.push(lab_from_row(r, first + 1)?);
    }
    Ok(())
}

/// The columns of a lab observation as [`lab_from_row`] reads them, from
/// its first: measure code, value as printed, comparator, unit, interval
/// low and high, interval source, flag, interval unit.
pub(crate) const LAB_COLUMNS: &str =
    "o.measure_code, o.value_text, o.comparator, o.unit, o.ref_low, o.ref_high, o.ref_source, o.flag, o.ref_unit";

/// A lab observation from the row's columns `first..` (see [`LAB_COLUMNS`]).
pub(crate) fn lab_from_row(r: &dyn Row, first: usize) -> Result<LabResult, StoreError> {
    let c = |k: usize| first + k;
    let value = decimal_col(Some(r.text(c(1))?), "lab value")?.ok_or_else(|| StoreError::Corrupt {
        what: "lab value",
        detail: "empty".to_owned(),
    })?;
    let unit = r.text(c(3))?;
    Ok(LabResult {
        code: r.string(c(0))?,
        comparator: r.text_opt(c(2))?.and_then(Comparator::from_str_opt),
        value,
        unit: unit.to_owned(),
        reference: ReferenceInterval {
            low: decimal_col(r.text_opt(c(4))?, "reference interval")?,
            high: decimal_col(r.text_opt(c(5))?, "reference interval")?,
        },
        reference_source: if r.text_opt(c(6))? == Some("report") {
            ReferenceSource::Report
        } else {
            ReferenceSource::Catalog
        },
        flag: Flag::from_letter(r.text(c(7))?),
        unit_checked: r.text_opt(c(8))? == Some(unit),
        interval_doubt: false,
        // Kept in the audit row of the save, not in the observation.
        confirmed_unusual: false,
    })
}

/// A patient's latest value of one lab measure.
#[derive(Clone, Debug, PartialEq)]
pub struct LatestLab {
    pub patient_id: i64,
    pub collected_on: jiff::civil::Date,
    pub lab: LabResult,
}

/// Every patient's latest value of each lab measure (entries that are not
/// voided, their current data), where that value was flagged low or high
/// when it was stored, handed to `each` one by one (a large clinic has
/// hundreds of thousands). One pass over the observations, numbered per
/// patient and measure by a window function that both dialects run.
pub(crate) fn each_latest_flagged_lab(sql: &mut dyn Sql, each: &mut dyn FnMut(LatestLab)) -> Result<(), StoreError> {
    sql.query(
        &format!(
            "SELECT patient_id, collected_on, measure_code, value_text, comparator, unit, ref_low, ref_high,
                 ref_source, flag, ref_unit
             FROM (SELECT o.patient_id, o.collected_on, {LAB_COLUMNS},
                       ROW_NUMBER() OVER (PARTITION BY o.patient_id, o.measure_code
                                          ORDER BY o.collected_on DESC, o.id DESC) AS n
                   FROM observations o
                   JOIN entries e ON e.id = o.entry_id AND o.entry_version = e.data_version
                   WHERE e.voided_at IS NULL AND o.kind = 'lab') latest
             WHERE n = 1 AND flag <> ''"
        ),
        vals![],
        &mut |r| {
            each(LatestLab {
                patient_id: r.int(0)?,
                collected_on: parse_date_col(r.text(1)?, "observation")?,
                lab: lab_from_row(r, 2)?,
            });
            Ok(())
        },
    )
}

/// The patient's current values of one lab measure (entries not voided),
/// by date, through the index on (patient, measure, date).
pub(crate) fn each_lab_value(
    sql: &mut dyn Sql,
    patient_id: i64,
    code: &str,
    each: &mut dyn FnMut(jiff::civil::Date, LabResult),
) -> Result<(), StoreError> {
    sql.query(
        &format!(
            "SELECT o.collected_on, {LAB_COLUMNS}
             FROM observations o JOIN entries e ON e.id = o.entry_id AND o.entry_version = e.data_version
             WHERE o.patient_id = $1 AND o.measure_code = $2 AND e.voided_at IS NULL
             ORDER BY o.collected_on"
        ),
        vals![patient_id, code],
        &mut |r| {
            each(parse_date_col(r.text(0)?, "entry")?, lab_from_row(r, 1)?);
            Ok(())
        },
    )
}

/// The measure codes of an entry's current values.
pub(crate) fn entry_measures(sql: &mut dyn Sql, entry_id: i64) -> Result<Vec<String>, StoreError> {
    sql.query_all(
        "SELECT o.measure_code FROM observations o JOIN entries e
             ON e.id = o.entry_id AND o.entry_version = e.data_version
         WHERE e.id = $1",
        vals![entry_id],
        |r| r.string(0),
    )
}
