//! Drafts: what is typed into an unsaved form, kept in the file so that it
//! survives a closed window or a crash. Drafts are not clinical records and
//! are not audited.

use rusqlite::{OptionalExtension, params};

use super::stamp::now_utc;
use super::{Store, StoreError};

/// Which form a draft belongs to. Also names the form a write came from,
/// so that the write's result goes back to that form only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DraftKey {
    NewPatient,
    EditPatient(i64),
    NewEntry {
        patient: i64,
    },
    EditEntry(i64),
    NewTreatment {
        patient: i64,
    },
    EditTreatment(i64),
    NewAssignment {
        patient: i64,
    },
    /// A shift of the plan of this assignment.
    ShiftPlan(i64),
    NewAdverseEvent {
        patient: i64,
    },
    EditAdverseEvent(i64),
    /// Tools > Import results (not kept: it names a file, not clinical typing).
    Import,
}

impl DraftKey {
    /// The key as kept in the `drafts` table (the only place it is text).
    pub(super) fn as_text(self) -> String {
        match self {
            DraftKey::NewPatient => "patient:new".to_owned(),
            DraftKey::EditPatient(id) => format!("patient:edit:{id}"),
            DraftKey::NewEntry { patient } => format!("entry:new:{patient}"),
            DraftKey::EditEntry(id) => format!("entry:edit:{id}"),
            DraftKey::NewTreatment { patient } => format!("treatment:new:{patient}"),
            DraftKey::EditTreatment(id) => format!("treatment:edit:{id}"),
            DraftKey::NewAssignment { patient } => format!("assignment:new:{patient}"),
            DraftKey::ShiftPlan(id) => format!("assignment:shift:{id}"),
            DraftKey::NewAdverseEvent { patient } => format!("adverse:new:{patient}"),
            DraftKey::EditAdverseEvent(id) => format!("adverse:edit:{id}"),
            DraftKey::Import => "import".to_owned(),
        }
    }
}

impl Store {
    /// Keeps what was typed into an unsaved form.
    pub fn save_draft(&mut self, key: DraftKey, json: &str) -> Result<(), StoreError> {
        self.may_write("drafts")?;
        self.conn.execute(
            "INSERT INTO drafts (key, json, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at",
            params![key.as_text(), json, now_utc()],
        )?;
        Ok(())
    }

    /// The draft kept for `key`, with when it was last written (UTC).
    pub fn load_draft(&self, key: DraftKey) -> Result<Option<(String, String)>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT json, updated_at FROM drafts WHERE key = ?1",
                [key.as_text()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    pub fn discard_draft(&mut self, key: DraftKey) -> Result<(), StoreError> {
        self.may_write("drafts")?;
        self.conn
            .execute("DELETE FROM drafts WHERE key = ?1", [key.as_text()])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_has_its_own_key_text() {
        let keys = [
            DraftKey::NewPatient,
            DraftKey::EditPatient(1),
            DraftKey::NewEntry { patient: 1 },
            DraftKey::EditEntry(1),
            DraftKey::NewTreatment { patient: 1 },
            DraftKey::EditTreatment(1),
            DraftKey::EditTreatment(2),
        ];
        let texts: std::collections::HashSet<String> = keys.iter().map(|k| k.as_text()).collect();
        assert_eq!(texts.len(), keys.len());
        // The text of files written before the enum existed still finds its draft.
        assert_eq!(DraftKey::NewEntry { patient: 7 }.as_text(), "entry:new:7");
        assert_eq!(DraftKey::NewPatient.as_text(), "patient:new");
    }

    #[test]
    fn a_draft_is_kept_per_form_and_discarded_alone() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("d.sqlite")).unwrap();
        store
            .save_draft(DraftKey::NewEntry { patient: 1 }, "{\"a\":1}")
            .unwrap();
        store
            .save_draft(DraftKey::NewTreatment { patient: 1 }, "{\"b\":1}")
            .unwrap();
        store.discard_draft(DraftKey::NewEntry { patient: 1 }).unwrap();
        assert!(store.load_draft(DraftKey::NewEntry { patient: 1 }).unwrap().is_none());
        let (json, _) = store
            .load_draft(DraftKey::NewTreatment { patient: 1 })
            .unwrap()
            .unwrap();
        assert_eq!(json, "{\"b\":1}");
    }
}
