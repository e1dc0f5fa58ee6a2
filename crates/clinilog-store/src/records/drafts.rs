//! Drafts: what is typed into an unsaved form, kept in the file so that it
//! survives a closed window or a crash. Drafts are not clinical records and
//! are not audited.

use super::now_utc;
use crate::StoreError;
use crate::sql::{Sql, vals};

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
    pub(crate) fn as_text(self) -> String {
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

/// Keeps what was typed into an unsaved form (the workstation's own, on a
/// server).
pub(crate) fn save_draft(sql: &mut dyn Sql, station: &str, key: DraftKey, json: &str) -> Result<(), StoreError> {
    let d = sql.dialect();
    sql.execute(
        d.draft_upsert(),
        &vals![key.as_text(), json, now_utc(), station][..d.draft_params(4)],
    )?;
    Ok(())
}

/// The draft kept for `key`, with when it was last written (UTC).
pub(crate) fn load_draft(
    sql: &mut dyn Sql,
    station: &str,
    key: DraftKey,
) -> Result<Option<(String, String)>, StoreError> {
    let query = format!(
        "SELECT json, updated_at FROM drafts WHERE key = $1 {}",
        sql.dialect().draft_owner()
    );
    let n = sql.dialect().draft_params(2);
    sql.query_opt(&query, &vals![key.as_text(), station][..n], |r| {
        Ok((r.string(0)?, r.string(1)?))
    })
}

pub(crate) fn discard_draft(sql: &mut dyn Sql, station: &str, key: DraftKey) -> Result<(), StoreError> {
    let delete = format!("DELETE FROM drafts WHERE key = $1 {}", sql.dialect().draft_owner());
    let n = sql.dialect().draft_params(2);
    sql.execute(&delete, &vals![key.as_text(), station][..n])?;
    Ok(())
}

/// Every draft as its key (with its workstation on a server) and its JSON,
/// for the check.
pub(crate) fn all_drafts(sql: &mut dyn Sql) -> Result<Vec<(String, String)>, StoreError> {
    let query = format!("SELECT {}, json FROM drafts ORDER BY 1", sql.dialect().draft_name());
    sql.query_all(&query, vals![], |r| Ok((r.string(0)?, r.string(1)?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ClinicStore;

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
        let mut store = crate::FileStore::open(dir.path().join("d.sqlite")).unwrap();
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
