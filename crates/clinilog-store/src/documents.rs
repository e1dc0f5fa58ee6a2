//! The printed reports entries were read from, kept in the file.
//!
//! In the database rather than beside it: a report (a PDF of 50 KB to a
//! few MB, a photo of a few MB; more than 20 MB is refused before it gets
//! here) is then encrypted with the file, copied by every backup and
//! restored with it, and cannot be lost or swapped on its own. Each is kept
//! once by its SHA-256, never changed or deleted, and read back only after
//! its hash is checked again.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use clinilog_domain::EntryData;
use clinilog_domain::capture::{DocumentInfo, SourceDocument};
use clinilog_domain::entry::Entry;

use super::entries::insert_entry;
use super::{Store, StoreError, stamp::now_utc};

impl Store {
    /// Records an entry read from a report, and the report with it, in one
    /// transaction; the entry's audit row names the report and its SHA-256.
    pub fn record_entry_with_source(
        &mut self,
        patient_id: i64,
        data: &EntryData,
        doc: &SourceDocument,
        user: &str,
    ) -> Result<Entry, StoreError> {
        self.may_write(user)?;
        self.patient(patient_id)?;
        let actual: String = Sha256::digest(&doc.bytes).iter().map(|b| format!("{b:02x}")).collect();
        if actual != doc.sha256 {
            return Err(StoreError::Corrupt {
                what: "report",
                detail: format!(
                    "{} changed while it was read (SHA-256 {actual}, not {})",
                    doc.name, doc.sha256
                ),
            });
        }
        let tx = self.conn.transaction()?;
        let now = now_utc();
        tx.execute(
            "INSERT INTO documents (sha256, name, media_type, size, bytes, added_by, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (sha256) DO NOTHING",
            params![
                doc.sha256,
                doc.name,
                doc.media_type,
                doc.bytes.len() as i64,
                doc.bytes,
                user,
                now
            ],
        )?;
        let doc_id: i64 = tx.query_row("SELECT id FROM documents WHERE sha256 = ?1", [&doc.sha256], |r| {
            r.get(0)
        })?;
        let reason = format!("read from the lab report {} (SHA-256 {})", doc.name, doc.sha256);
        let (entry_id, recorded_at) = insert_entry(&tx, patient_id, data, user, Some(&reason))?;
        tx.execute(
            "INSERT INTO entry_documents (entry_id, document_id) VALUES (?1, ?2)",
            params![entry_id, doc_id],
        )?;
        tx.commit()?;
        Ok(Entry {
            id: entry_id,
            patient_id,
            version: 1,
            recorded_at,
            data: data.clone(),
        })
    }

    /// The report an entry was read from.
    pub fn entry_source(&self, entry_id: i64) -> Result<Option<DocumentInfo>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT d.id, d.name, d.media_type, d.sha256, d.size, d.added_at
                 FROM entry_documents e JOIN documents d ON d.id = e.document_id
                 WHERE e.entry_id = ?1 ORDER BY d.id LIMIT 1",
                [entry_id],
                |r| {
                    Ok(DocumentInfo {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        media_type: r.get(2)?,
                        sha256: r.get(3)?,
                        size: r.get(4)?,
                        added_at: r.get(5)?,
                    })
                },
            )
            .optional()?)
    }

    /// A kept report's bytes, its SHA-256 checked again.
    pub fn document_bytes(&self, id: i64) -> Result<Vec<u8>, StoreError> {
        let (sha, bytes): (String, Vec<u8>) = self
            .conn
            .query_row("SELECT sha256, bytes FROM documents WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?
            .ok_or(StoreError::NotFound {
                what: "report",
                id: id.to_string(),
            })?;
        let actual: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        if actual != sha {
            return Err(StoreError::Corrupt {
                what: "report",
                detail: format!("report {id} no longer matches its SHA-256 {sha}"),
            });
        }
        Ok(bytes)
    }

    /// The reports a patient's entries were read from, by entry id.
    pub fn patient_documents(&self, patient_id: i64) -> Result<HashMap<i64, DocumentInfo>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT ed.entry_id, d.id, d.name, d.media_type, d.sha256, d.size, d.added_at
             FROM entry_documents ed JOIN documents d ON d.id = ed.document_id
             JOIN entries e ON e.id = ed.entry_id WHERE e.patient_id = ?1",
        )?;
        let rows = stmt.query_map([patient_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                DocumentInfo {
                    id: r.get(1)?,
                    name: r.get(2)?,
                    media_type: r.get(3)?,
                    sha256: r.get(4)?,
                    size: r.get(5)?,
                    added_at: r.get(6)?,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every entry read from a report: its SHA-256, by entry id.
    pub fn entry_sources(&self) -> Result<HashMap<i64, String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT e.entry_id, d.sha256 FROM entry_documents e JOIN documents d ON d.id = e.document_id")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
