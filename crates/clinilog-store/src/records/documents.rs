//! The printed reports entries were read from, kept with the records.
//!
//! In the database rather than beside it: a report (a PDF of 50 KB to a
//! few MB, a photo of a few MB; more than 20 MB is refused before it gets
//! here) is then encrypted with the file, copied by every backup and
//! restored with it, and cannot be lost or swapped on its own. Each is kept
//! once by its SHA-256, never changed or deleted, and read back only after
//! its hash is checked again.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use clinilog_domain::EntryData;
use clinilog_domain::capture::{DocumentInfo, SourceDocument};
use clinilog_domain::entry::Entry;

use super::now_utc;
use crate::StoreError;
use crate::sql::{Row, Sql, vals};

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Records an entry read from a report, and the report with it, in an open
/// transaction; the entry's audit row names the report and its SHA-256.
pub(crate) fn record_entry_with_source(
    sql: &mut dyn Sql,
    patient_id: i64,
    data: &EntryData,
    doc: &SourceDocument,
    user: &str,
) -> Result<Entry, StoreError> {
    let actual = sha256_hex(&doc.bytes);
    if actual != doc.sha256 {
        return Err(StoreError::Corrupt {
            what: "report",
            detail: format!(
                "{} changed while it was read (SHA-256 {actual}, not {})",
                doc.name, doc.sha256
            ),
        });
    }
    sql.execute(
        "INSERT INTO documents (sha256, name, media_type, size, bytes, added_by, added_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (sha256) DO NOTHING",
        vals![
            &doc.sha256,
            &doc.name,
            &doc.media_type,
            doc.bytes.len() as i64,
            doc.bytes.as_slice(),
            user,
            now_utc()
        ],
    )?;
    let doc_id = sql.query_int("SELECT id FROM documents WHERE sha256 = $1", vals![&doc.sha256])?;
    let reason = format!("read from the lab report {} (SHA-256 {})", doc.name, doc.sha256);
    let entry = super::entries::record_entry(sql, patient_id, data, user, Some(&reason))?;
    sql.execute(
        "INSERT INTO entry_documents (entry_id, document_id) VALUES ($1, $2)",
        vals![entry.id, doc_id],
    )?;
    Ok(entry)
}

fn document_info(r: &dyn Row, first: usize) -> Result<DocumentInfo, StoreError> {
    Ok(DocumentInfo {
        id: r.int(first)?,
        name: r.string(first + 1)?,
        media_type: r.string(first + 2)?,
        sha256: r.string(first + 3)?,
        size: r.int(first + 4)?,
        added_at: r.string(first + 5)?,
    })
}

/// The report an entry was read from.
pub(crate) fn entry_source(sql: &mut dyn Sql, entry_id: i64) -> Result<Option<DocumentInfo>, StoreError> {
    sql.query_opt(
        "SELECT d.id, d.name, d.media_type, d.sha256, d.size, d.added_at
         FROM entry_documents e JOIN documents d ON d.id = e.document_id
         WHERE e.entry_id = $1 ORDER BY d.id LIMIT 1",
        vals![entry_id],
        |r| document_info(r, 0),
    )
}

/// A kept report's bytes, its SHA-256 checked again.
pub(crate) fn document_bytes(sql: &mut dyn Sql, id: i64) -> Result<Vec<u8>, StoreError> {
    let (sha, bytes) = sql
        .query_opt("SELECT sha256, bytes FROM documents WHERE id = $1", vals![id], |r| {
            Ok((r.string(0)?, r.blob(1)?.to_vec()))
        })?
        .ok_or(StoreError::NotFound {
            what: "report",
            id: id.to_string(),
        })?;
    if sha256_hex(&bytes) != sha {
        return Err(StoreError::Corrupt {
            what: "report",
            detail: format!("report {id} no longer matches its SHA-256 {sha}"),
        });
    }
    Ok(bytes)
}

/// The reports a patient's entries were read from, by entry id.
pub(crate) fn patient_documents(sql: &mut dyn Sql, patient_id: i64) -> Result<HashMap<i64, DocumentInfo>, StoreError> {
    let rows = sql.query_all(
        "SELECT ed.entry_id, d.id, d.name, d.media_type, d.sha256, d.size, d.added_at
         FROM entry_documents ed JOIN documents d ON d.id = ed.document_id
         JOIN entries e ON e.id = ed.entry_id WHERE e.patient_id = $1",
        vals![patient_id],
        |r| Ok((r.int(0)?, document_info(r, 1)?)),
    )?;
    Ok(rows.into_iter().collect())
}

/// Every entry read from a report: its SHA-256, by entry id.
pub(crate) fn entry_sources(sql: &mut dyn Sql) -> Result<HashMap<i64, String>, StoreError> {
    let rows = sql.query_all(
        "SELECT e.entry_id, d.sha256 FROM entry_documents e JOIN documents d ON d.id = e.document_id",
        vals![],
        |r| Ok((r.int(0)?, r.string(1)?)),
    )?;
    Ok(rows.into_iter().collect())
}
