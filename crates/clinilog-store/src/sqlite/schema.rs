//! The schema, one migration per `user_version`.
//!
//! Observations are rows (entry, measure, value...), so a new catalog
//! measure needs no schema change. `patient_id` and `collected_on` are
//! repeated on each observation so that "values of measure M for patient P
//! by date" is one index range.

/// `PRAGMA application_id` of a Clinilog file ("Clng").
pub const APPLICATION_ID: i32 = 0x436C_6E67;

/// Migration `i` takes the file from `user_version` i to i + 1.
pub const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE patients (
    id          INTEGER PRIMARY KEY,
    mrn         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    birth_date  TEXT NOT NULL,
    sex         TEXT NOT NULL CHECK (sex IN ('female', 'male', 'other', 'unknown')),
    diagnosis   TEXT NOT NULL DEFAULT '',
    enrolled    TEXT NOT NULL,
    notes       TEXT NOT NULL DEFAULT '',
    archived    INTEGER NOT NULL DEFAULT 0,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL
);

CREATE TABLE entries (
    id           INTEGER PRIMARY KEY,
    patient_id   INTEGER NOT NULL REFERENCES patients(id),
    collected_on TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    voided_at    TEXT,
    void_reason  TEXT,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX entries_by_patient_date ON entries (patient_id, collected_on);

CREATE TABLE observations (
    id           INTEGER PRIMARY KEY,
    entry_id     INTEGER NOT NULL REFERENCES entries(id),
    patient_id   INTEGER NOT NULL REFERENCES patients(id),
    collected_on TEXT NOT NULL,
    measure_code TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('lab', 'symptom')),
    value_text   TEXT NOT NULL,
    value        REAL NOT NULL,
    comparator   TEXT CHECK (comparator IN ('<', '>')),
    unit         TEXT NOT NULL,
    ref_low      TEXT,
    ref_high     TEXT,
    ref_source   TEXT CHECK (ref_source IN ('report', 'catalog')),
    flag         TEXT NOT NULL DEFAULT '' CHECK (flag IN ('', 'L', 'H')),
    UNIQUE (entry_id, measure_code)
);
CREATE INDEX observations_by_patient_measure_date
    ON observations (patient_id, measure_code, collected_on);

CREATE TABLE treatment_events (
    id          INTEGER PRIMARY KEY,
    patient_id  INTEGER NOT NULL REFERENCES patients(id),
    date        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    product     TEXT NOT NULL,
    dose        TEXT,
    dose_unit   TEXT NOT NULL DEFAULT '',
    route       TEXT NOT NULL DEFAULT '',
    cycle       INTEGER,
    note        TEXT NOT NULL DEFAULT '',
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    voided_at   TEXT,
    void_reason TEXT,
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX treatment_events_by_patient_date ON treatment_events (patient_id, date);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at_utc      TEXT NOT NULL,
    user        TEXT NOT NULL,
    action      TEXT NOT NULL,
    table_name  TEXT NOT NULL,
    row_id      INTEGER,
    before_json TEXT,
    after_json  TEXT,
    reason      TEXT
);
CREATE INDEX audit_log_by_row ON audit_log (table_name, row_id);

-- Nothing clinical is ever hard-deleted.
CREATE TRIGGER patients_no_delete BEFORE DELETE ON patients
    BEGIN SELECT RAISE(ABORT, 'patients are never deleted: archive instead'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
    BEGIN SELECT RAISE(ABORT, 'entries are never deleted: void with a reason'); END;
CREATE TRIGGER observations_no_delete BEFORE DELETE ON observations
    BEGIN SELECT RAISE(ABORT, 'observations are never deleted'); END;
CREATE TRIGGER treatment_events_no_delete BEFORE DELETE ON treatment_events
    BEGIN SELECT RAISE(ABORT, 'treatment events are never deleted: void with a reason'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"#,
    r#"
-- v2: edits keep every version. `entries.version` counts every change (it
-- guards against overwriting a change made in another window);
-- `entries.data_version` counts the sets of values. Observations carry the
-- data version they belong to; an edit adds a new set and the old rows
-- stay. Drafts of unsaved forms survive a closed window or a crash.
ALTER TABLE entries ADD COLUMN data_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE entries ADD COLUMN changed_by TEXT;
ALTER TABLE entries ADD COLUMN changed_at TEXT;
ALTER TABLE patients ADD COLUMN changed_by TEXT;
ALTER TABLE patients ADD COLUMN changed_at TEXT;
ALTER TABLE treatment_events ADD COLUMN changed_by TEXT;
ALTER TABLE treatment_events ADD COLUMN changed_at TEXT;
CREATE TABLE observations_v2 (
    id            INTEGER PRIMARY KEY,
    entry_id      INTEGER NOT NULL REFERENCES entries(id),
    entry_version INTEGER NOT NULL DEFAULT 1,
    patient_id    INTEGER NOT NULL REFERENCES patients(id),
    collected_on  TEXT NOT NULL,
    measure_code  TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('lab', 'symptom')),
    value_text    TEXT NOT NULL,
    value         REAL NOT NULL,
    comparator    TEXT CHECK (comparator IN ('<', '>')),
    unit          TEXT NOT NULL,
    ref_low       TEXT,
    ref_high      TEXT,
    ref_source    TEXT CHECK (ref_source IN ('report', 'catalog')),
    flag          TEXT NOT NULL DEFAULT '' CHECK (flag IN ('', 'L', 'H')),
    UNIQUE (entry_id, entry_version, measure_code)
);
INSERT INTO observations_v2 (id, entry_id, entry_version, patient_id, collected_on, measure_code, kind,
    value_text, value, comparator, unit, ref_low, ref_high, ref_source, flag)
    SELECT id, entry_id, 1, patient_id, collected_on, measure_code, kind,
        value_text, value, comparator, unit, ref_low, ref_high, ref_source, flag
    FROM observations;
DROP TABLE observations;
ALTER TABLE observations_v2 RENAME TO observations;
CREATE INDEX observations_by_patient_measure_date
    ON observations (patient_id, measure_code, collected_on);
CREATE INDEX observations_by_entry ON observations (entry_id, entry_version);
CREATE TRIGGER observations_no_delete BEFORE DELETE ON observations
    BEGIN SELECT RAISE(ABORT, 'observations are never deleted'); END;
CREATE TRIGGER observations_no_update BEFORE UPDATE ON observations
    BEGIN SELECT RAISE(ABORT, 'observations are never changed: an edit adds a new version'); END;

CREATE TABLE drafts (
    key        TEXT PRIMARY KEY,
    json       TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"#,
    // v3: the unit the interval of a lab value was checked against (one
    // unit per line); NULL on rows written before, which are read with care.
    r#"
ALTER TABLE observations ADD COLUMN ref_unit TEXT;
"#,
    // v4: treatment protocols assigned to patients (with the protocol's
    // text as assigned) and the shifts of their plans (append-only, each
    // with its reason); adverse events (CTCAE term and grade) and the
    // explicit record that there were none since the last visit.
    r#"
CREATE TABLE protocol_assignments (
    id            INTEGER PRIMARY KEY,
    patient_id    INTEGER NOT NULL REFERENCES patients(id),
    protocol      TEXT NOT NULL,
    protocol_text TEXT NOT NULL,
    start_date    TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    recorded_by   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    voided_at     TEXT,
    void_reason   TEXT,
    version       INTEGER NOT NULL DEFAULT 1,
    changed_by    TEXT,
    changed_at    TEXT
);
CREATE INDEX protocol_assignments_by_patient ON protocol_assignments (patient_id);

CREATE TABLE plan_shifts (
    id            INTEGER PRIMARY KEY,
    assignment_id INTEGER NOT NULL REFERENCES protocol_assignments(id),
    item          TEXT NOT NULL,
    planned_on    TEXT NOT NULL,
    days          INTEGER NOT NULL CHECK (days <> 0),
    reason        TEXT NOT NULL CHECK (trim(reason) <> ''),
    recorded_by   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL
);
CREATE INDEX plan_shifts_by_assignment ON plan_shifts (assignment_id);

CREATE TABLE adverse_events (
    id          INTEGER PRIMARY KEY,
    patient_id  INTEGER NOT NULL REFERENCES patients(id),
    term        TEXT NOT NULL CHECK (trim(term) <> ''),
    grade       INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 5),
    onset       TEXT NOT NULL,
    resolved_on TEXT CHECK (resolved_on IS NULL OR resolved_on >= onset),
    serious     INTEGER NOT NULL CHECK (serious IN (0, 1)),
    relation    TEXT NOT NULL CHECK (relation IN ('unrelated', 'unlikely', 'possible', 'probable', 'definite')),
    cycle       INTEGER CHECK (cycle IS NULL OR cycle >= 1),
    action      TEXT NOT NULL CHECK (action IN ('not_changed', 'reduced', 'interrupted', 'withdrawn',
                                                'not_applicable', 'unknown')),
    outcome     TEXT NOT NULL CHECK (outcome IN ('ongoing', 'recovering', 'resolved', 'resolved_with_sequelae',
                                                 'fatal', 'unknown')),
    note        TEXT NOT NULL DEFAULT '',
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    voided_at   TEXT,
    void_reason TEXT,
    version     INTEGER NOT NULL DEFAULT 1,
    changed_by  TEXT,
    changed_at  TEXT
);
CREATE INDEX adverse_events_by_patient_onset ON adverse_events (patient_id, onset);

CREATE TABLE no_adverse_events (
    id          INTEGER PRIMARY KEY,
    patient_id  INTEGER NOT NULL REFERENCES patients(id),
    on_date     TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    voided_at   TEXT,
    void_reason TEXT,
    version     INTEGER NOT NULL DEFAULT 1,
    changed_by  TEXT,
    changed_at  TEXT
);
CREATE INDEX no_adverse_events_by_patient ON no_adverse_events (patient_id, on_date);

CREATE TRIGGER protocol_assignments_no_delete BEFORE DELETE ON protocol_assignments
    BEGIN SELECT RAISE(ABORT, 'protocol assignments are never deleted: void with a reason'); END;
CREATE TRIGGER plan_shifts_no_delete BEFORE DELETE ON plan_shifts
    BEGIN SELECT RAISE(ABORT, 'plan shifts are never deleted: shift back with a reason'); END;
CREATE TRIGGER plan_shifts_no_update BEFORE UPDATE ON plan_shifts
    BEGIN SELECT RAISE(ABORT, 'plan shifts are never changed: shift again with a reason'); END;
CREATE TRIGGER adverse_events_no_delete BEFORE DELETE ON adverse_events
    BEGIN SELECT RAISE(ABORT, 'adverse events are never deleted: void with a reason'); END;
CREATE TRIGGER no_adverse_events_no_delete BEFORE DELETE ON no_adverse_events
    BEGIN SELECT RAISE(ABORT, 'records of no adverse events are never deleted: void with a reason'); END;
"#,
    r#"
-- v5: the audit trail is a hash chain (`chain.rs`): a gapless sequence
-- number and each row's hash over the one before. The rows already there
-- are chained in id order by the migration's Rust step
-- (`Store::begin_chain`), which records that it did.
ALTER TABLE audit_log ADD COLUMN seq INTEGER;
ALTER TABLE audit_log ADD COLUMN row_hash TEXT;
CREATE UNIQUE INDEX audit_log_by_seq ON audit_log (seq);
"#,
    r#"
-- v6: a late or missed visit or cycle closed as not done, with why.
CREATE TABLE plan_closures (
    id            INTEGER PRIMARY KEY,
    assignment_id INTEGER NOT NULL REFERENCES protocol_assignments(id),
    item          TEXT NOT NULL,
    planned_on    TEXT NOT NULL,
    reason        TEXT NOT NULL CHECK (trim(reason) <> ''),
    recorded_by   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL
);
CREATE INDEX plan_closures_by_assignment ON plan_closures (assignment_id);
CREATE TRIGGER plan_closures_no_delete BEFORE DELETE ON plan_closures
    BEGIN SELECT RAISE(ABORT, 'closures are never deleted'); END;
CREATE TRIGGER plan_closures_no_update BEFORE UPDATE ON plan_closures
    BEGIN SELECT RAISE(ABORT, 'closures are never changed'); END;
"#,
    r#"
-- v7: the printed lab report an entry was read from (`clinilog capture`,
-- New entry from report), kept in the file with its SHA-256 so that it is
-- encrypted and backed up with the entries, and never changed.
CREATE TABLE documents (
    id          INTEGER PRIMARY KEY,
    sha256      TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    media_type  TEXT NOT NULL,
    size        INTEGER NOT NULL,
    bytes       BLOB NOT NULL,
    added_by    TEXT NOT NULL,
    added_at    TEXT NOT NULL
);
CREATE TABLE entry_documents (
    entry_id    INTEGER NOT NULL REFERENCES entries(id),
    document_id INTEGER NOT NULL REFERENCES documents(id),
    PRIMARY KEY (entry_id, document_id)
);
CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
    BEGIN SELECT RAISE(ABORT, 'kept reports are never deleted'); END;
CREATE TRIGGER documents_no_update BEFORE UPDATE ON documents
    BEGIN SELECT RAISE(ABORT, 'kept reports are never changed'); END;
CREATE TRIGGER entry_documents_no_delete BEFORE DELETE ON entry_documents
    BEGIN SELECT RAISE(ABORT, 'an entry keeps its report'); END;
"#,
    r#"
-- v8: a patient's archived flag is 0 or 1, as the server's CHECK has held
-- since its first schema (found when the two schemas were compared): SQLite
-- cannot add a CHECK to a column without rebuilding the table, so triggers
-- refuse anything else.
CREATE TRIGGER IF NOT EXISTS patients_archived_is_a_flag BEFORE INSERT ON patients WHEN NEW.archived NOT IN (0, 1)
    BEGIN SELECT RAISE(ABORT, 'archived is 0 or 1'); END;
CREATE TRIGGER IF NOT EXISTS patients_archived_stays_a_flag BEFORE UPDATE OF archived ON patients WHEN NEW.archived NOT IN (0, 1)
    BEGIN SELECT RAISE(ABORT, 'archived is 0 or 1'); END;
"#,
];

/// The migration (its index in [`MIGRATIONS`]) after which the rows
/// already in the audit trail are chained.
pub const CHAIN_MIGRATION: usize = 4;

/// Set once the chain has begun: a row added without its place in the
/// chain is refused (a tool that writes the file by hand must chain).
pub const CHAINED_ONLY: &str =
    "CREATE TRIGGER audit_log_chained BEFORE INSERT ON audit_log WHEN NEW.seq IS NULL OR NEW.row_hash IS NULL
    BEGIN SELECT RAISE(ABORT, 'an audit row needs its place in the chain (seq, row_hash)'); END;";

/// The schema version this build writes.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}
