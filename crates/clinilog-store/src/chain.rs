//! The audit trail as a hash chain: every audit row has a gapless
//! sequence number `seq` (from 1) and
//!
//! ```text
//! row_hash = SHA-256( "clinilog audit v1" 0x00
//!                     || seq as 8 bytes, big-endian
//!                     || the previous row's row_hash, 32 bytes (32 zero bytes for seq 1)
//!                     || field(at_utc) || field(user) || field(action) || field(table_name)
//!                     || field(row_id) || field(before_json) || field(after_json) || field(reason) )
//!
//! field(NULL)    = 0xFF
//! field(text t)  = 0x01 || byte length of t in UTF-8 as 4 bytes, big-endian || t in UTF-8
//! field(int i)   = 0x02 || i as 8 bytes, big-endian (two's complement)
//! ```
//!
//! stored as 64 lower-case hex digits. A fixed byte layout, not a
//! serialization whose key order may change: the file computes it here, in
//! the transaction that appends the row; the server computes the same
//! bytes in its audit trigger with PostgreSQL's `sha256()` (`pg/schema.rs`),
//! after a transaction-scoped advisory lock, so that the chain's order is
//! the commit order. [`verify`] recomputes it for `clinilog check`.
//!
//! A change of a past row breaks its hash; a row taken from the middle
//! leaves a gap in `seq`; rows taken from the end (or the whole trail
//! rewritten) are caught against an anchor, the head `(seq, hash)` kept
//! outside the database: beside each backup, in each printed report and
//! FHIR Bundle, or wherever `clinilog audit-head` printed it.

use sha2::{Digest, Sha256};

/// The domain tag that starts every hashed row.
const TAG: &[u8] = b"clinilog audit v1\0";

/// A point of the chain kept outside the database: its sequence number and
/// hash, written `SEQ:HASH`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Anchor {
    pub seq: i64,
    pub hash: String,
}

impl std::fmt::Display for Anchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl std::str::FromStr for Anchor {
    type Err = String;

    /// `SEQ:HASH` (64 hex digits), as printed by `audit-head` and in reports.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad =
            || format!("\"{s}\" is not an audit anchor: write it SEQ:HASH, such as 1234:9f86d0...(64 hex digits)");
        let (seq, hash) = s.trim().split_once(':').ok_or_else(bad)?;
        let seq: i64 = seq.trim().parse().map_err(|_| bad())?;
        let hash = hash.trim().to_ascii_lowercase();
        if seq < 1 || hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        Ok(Self { seq, hash })
    }
}

fn field_text(h: &mut Sha256, t: Option<&str>) {
    match t {
        None => h.update([0xFF]),
        Some(t) => {
            h.update([0x01]);
            h.update((t.len() as u32).to_be_bytes());
            h.update(t.as_bytes());
        }
    }
}

fn field_int(h: &mut Sha256, i: Option<i64>) {
    match i {
        None => h.update([0xFF]),
        Some(i) => {
            h.update([0x02]);
            h.update(i.to_be_bytes());
        }
    }
}

/// The fields of an audit row that the hash covers.
#[derive(Clone, Copy, Debug)]
pub struct RowFields<'a> {
    pub at_utc: &'a str,
    pub user: &'a str,
    pub action: &'a str,
    pub table_name: &'a str,
    pub row_id: Option<i64>,
    pub before_json: Option<&'a str>,
    pub after_json: Option<&'a str>,
    pub reason: Option<&'a str>,
}

/// The hash of the row `seq` after `prev` (hex; `None` for the first).
pub fn row_hash(seq: i64, prev: Option<&str>, f: RowFields<'_>) -> String {
    let mut h = Sha256::new();
    h.update(TAG);
    h.update(seq.to_be_bytes());
    let mut prev_bytes = [0u8; 32];
    if let Some(p) = prev {
        for (i, b) in prev_bytes.iter_mut().enumerate() {
            *b = p
                .get(i * 2..i * 2 + 2)
                .and_then(|x| u8::from_str_radix(x, 16).ok())
                .unwrap_or(0);
        }
    }
    h.update(prev_bytes);
    field_text(&mut h, Some(f.at_utc));
    field_text(&mut h, Some(f.user));
    field_text(&mut h, Some(f.action));
    field_text(&mut h, Some(f.table_name));
    field_int(&mut h, f.row_id);
    field_text(&mut h, f.before_json);
    field_text(&mut h, f.after_json);
    field_text(&mut h, f.reason);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// What the chain's check found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChainReport {
    /// Rows read.
    pub rows: u64,
    /// The last row's `(seq, hash)`, as stored.
    pub head: Option<Anchor>,
    /// Each problem in a sentence (the first broken row, each gap, an
    /// anchor the chain does not reach or does not match).
    pub problems: Vec<String>,
    /// The sequence numbers of the audit rows that fail their hash.
    pub broken: Vec<i64>,
    /// Rows outside the chain (no sequence number).
    pub unchained: u64,
    /// Every stored `(seq, hash)`, for the anchors (kept compact).
    hashes: Vec<(i64, [u8; 32])>,
}

fn raw(hex: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = hex
            .get(i * 2..i * 2 + 2)
            .and_then(|x| u8::from_str_radix(x, 16).ok())
            .unwrap_or(0);
    }
    out
}

impl ChainReport {
    /// The report of a chain found intact before, ending at `head`, in a
    /// file that has not changed since (nothing was recomputed).
    pub fn unchanged_since(rows: u64, head: Anchor) -> Self {
        Self {
            rows,
            head: Some(head),
            ..Self::default()
        }
    }

    /// Whether the chain is whole: no broken row, no gap, anchors met.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }

    /// Checks the chain against an anchor kept outside the database
    /// (`source` says where: "the backup of 2025-08-19 14:03").
    pub fn check_anchor(&mut self, anchor: &Anchor, source: &str) {
        let head = self.head.as_ref().map_or(0, |h| h.seq);
        if head < anchor.seq {
            self.problems.push(format!(
                "the audit trail ends at row {head}, but {source} recorded it at row {} ({anchor}): rows were \
                 removed from its end, or the trail was replaced",
                anchor.seq
            ));
            return;
        }
        match self.hashes.binary_search_by_key(&anchor.seq, |(s, _)| *s) {
            Ok(i) if self.hashes[i].1 == raw(&anchor.hash) => {}
            Ok(_) => self.problems.push(format!(
                "audit row {} differs from {source} ({anchor}): the trail was rewritten since",
                anchor.seq
            )),
            Err(_) => self.problems.push(format!(
                "audit row {} of {source} ({anchor}) is missing from the trail",
                anchor.seq
            )),
        }
    }
}

/// Recomputes the chain over its rows, in `seq` order (rows never chained
/// come first, by id). Reports the first row whose hash does not match
/// (and counts the others), each gap in `seq`, and unchained rows.
///
/// Fed one row at a time, as a query streams them: a
/// large clinic's trail is never held in memory whole.
#[derive(Default)]
pub struct Verifier {
    report: ChainReport,
    prev: Option<(i64, String)>,
    unchained: u64,
    first_broken: Option<(i64, i64)>,
}

impl Verifier {
    /// The next row: its id, place in the chain and stored hash (`None` on
    /// a row never chained), and the fields the hash covers.
    pub fn push(&mut self, id: i64, seq: Option<i64>, stored: Option<&str>, fields: RowFields<'_>) {
        let report = &mut self.report;
        report.rows += 1;
        let (Some(seq), Some(stored)) = (seq, stored) else {
            self.unchained += 1;
            return;
        };
        let expected_seq = self.prev.as_ref().map_or(1, |(s, _)| s + 1);
        if seq > expected_seq {
            report.problems.push(if seq == expected_seq + 1 {
                format!(
                    "audit row {expected_seq} is missing: the trail goes from row {} to row {seq}",
                    expected_seq - 1
                )
            } else {
                format!(
                    "audit rows {expected_seq} to {} are missing: the trail goes from row {} to row {seq}",
                    seq - 1,
                    expected_seq - 1
                )
            });
        } else if seq < expected_seq {
            report.problems.push(format!(
                "audit row {seq} appears twice or out of order (after row {})",
                expected_seq - 1
            ));
        }
        // Each row is checked against the hash stored in the row before it:
        // a changed row breaks itself, not every row after it. The row
        // after a gap cannot be checked (its predecessor is gone): the gap
        // is the problem said.
        let computed = row_hash(seq, self.prev.as_ref().map(|(_, h)| h.as_str()), fields);
        if seq == expected_seq && computed != stored {
            report.broken.push(seq);
            self.first_broken.get_or_insert((seq, id));
        }
        report.hashes.push((seq, raw(stored)));
        match &mut self.prev {
            Some((s, h)) => {
                *s = seq;
                h.clear();
                h.push_str(stored);
            }
            None => self.prev = Some((seq, stored.to_owned())),
        }
    }

    pub fn finish(self) -> ChainReport {
        let mut report = self.report;
        if let Some((seq, id)) = self.first_broken {
            let others = report.broken.len() - 1;
            report.problems.insert(
                0,
                format!(
                    "audit row {seq} (id {id}) does not match its hash: it was changed after it was written{}",
                    if others > 0 {
                        format!(" ({others} later row(s) fail too)")
                    } else {
                        String::new()
                    }
                ),
            );
        }
        if self.unchained > 0 {
            report.problems.push(format!(
                "{} audit row(s) are outside the chain (no sequence number): added by hand",
                self.unchained
            ));
        }
        report.unchained = self.unchained;
        report.head = self.prev.map(|(seq, hash)| Anchor { seq, hash });
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One audit row as the chain covers it.
    #[derive(Clone, Debug, PartialEq, Eq)]
    struct ChainRow {
        /// The row's id (for saying which row).
        id: i64,
        /// `None` on a row that was never chained.
        seq: Option<i64>,
        row_hash: Option<String>,
        at_utc: String,
        user: String,
        action: String,
        table_name: String,
        row_id: Option<i64>,
        before_json: Option<String>,
        after_json: Option<String>,
        reason: Option<String>,
    }

    impl ChainRow {
        fn fields(&self) -> RowFields<'_> {
            RowFields {
                at_utc: &self.at_utc,
                user: &self.user,
                action: &self.action,
                table_name: &self.table_name,
                row_id: self.row_id,
                before_json: self.before_json.as_deref(),
                after_json: self.after_json.as_deref(),
                reason: self.reason.as_deref(),
            }
        }
    }

    fn verify(rows: impl IntoIterator<Item = ChainRow>) -> ChainReport {
        let mut v = Verifier::default();
        for r in rows {
            v.push(r.id, r.seq, r.row_hash.as_deref(), r.fields());
        }
        v.finish()
    }

    fn row(id: i64, what: &str) -> ChainRow {
        ChainRow {
            id,
            seq: None,
            row_hash: None,
            at_utc: "2025-08-19T14:03:00Z".into(),
            user: "Dr Rao".into(),
            action: "create".into(),
            table_name: "entries".into(),
            row_id: Some(id),
            before_json: None,
            after_json: Some(what.into()),
            reason: None,
        }
    }

    /// Rows chained as the file chains them.
    fn chained(n: i64) -> Vec<ChainRow> {
        let mut prev: Option<String> = None;
        (1..=n)
            .map(|i| {
                let mut r = row(i, &format!("{{\"v\":{i}}}"));
                let h = row_hash(i, prev.as_deref(), r.fields());
                r.seq = Some(i);
                r.row_hash = Some(h.clone());
                prev = Some(h);
                r
            })
            .collect()
    }

    fn check(rows: &[ChainRow]) -> ChainReport {
        verify(rows.iter().cloned())
    }

    #[test]
    fn the_layout_is_fixed_by_a_known_vector() {
        // Computed once by hand from the layout above (Python's hashlib):
        // the layout may never change without a new domain tag.
        let f = RowFields {
            at_utc: "2025-08-19T14:03:00Z",
            user: "Dr Rao",
            action: "create",
            table_name: "entries",
            row_id: Some(7),
            before_json: None,
            after_json: Some("{}"),
            reason: None,
        };
        assert_eq!(
            row_hash(1, None, f),
            "ef77e380eb83f9e520154c99c7a44900771bc133990b73d93702863510660ab1"
        );
    }

    #[test]
    fn an_untouched_chain_checks_clean_and_gives_its_head() {
        let rows = chained(5);
        let r = check(&rows);
        assert!(r.is_intact(), "{:?}", r.problems);
        assert_eq!(r.head.as_ref().map(|h| h.seq), Some(5));
        assert_eq!(r.head.unwrap().hash, rows[4].row_hash.clone().unwrap());
    }

    #[test]
    fn a_changed_row_is_named_by_its_sequence_number() {
        let mut rows = chained(5);
        rows[2].after_json = Some("{\"v\":99}".into());
        let r = check(&rows);
        assert_eq!(r.broken, [3]);
        assert!(
            r.problems[0].starts_with("audit row 3 (id 3) does not match its hash"),
            "{:?}",
            r.problems
        );
    }

    #[test]
    fn a_row_taken_from_the_middle_is_a_gap() {
        let mut rows = chained(6);
        rows.remove(3);
        let r = check(&rows);
        assert!(
            r.problems
                .iter()
                .any(|p| p == "audit row 4 is missing: the trail goes from row 3 to row 5"),
            "{:?}",
            r.problems
        );
        // Row 5 was hashed after row 4, which is gone: the gap is what is said.
        assert!(r.broken.is_empty());
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
    }

    #[test]
    fn rows_taken_from_the_end_are_caught_by_an_anchor() {
        let rows = chained(6);
        let anchor = Anchor {
            seq: 6,
            hash: rows[5].row_hash.clone().unwrap(),
        };
        let mut whole = check(&rows);
        whole.check_anchor(&anchor, "the backup");
        assert!(whole.is_intact(), "{:?}", whole.problems);
        let mut cut = check(&rows[..4]);
        assert!(cut.is_intact(), "a cut chain is whole by itself");
        cut.check_anchor(&anchor, "the backup of 2025-08-19");
        assert!(cut.problems[0].contains("ends at row 4, but the backup of 2025-08-19 recorded it at row 6"));
        // A rewritten trail of the same length does not meet the anchor.
        let mut other = chained(6);
        other[0].user = "Someone".into();
        let mut prev: Option<String> = None;
        for r in &mut other {
            let h = row_hash(r.seq.unwrap(), prev.as_deref(), r.fields());
            r.row_hash = Some(h.clone());
            prev = Some(h);
        }
        let mut rewritten = check(&other);
        assert!(rewritten.is_intact());
        rewritten.check_anchor(&anchor, "the report");
        assert!(
            rewritten.problems[0].contains("differs from the report"),
            "{:?}",
            rewritten.problems
        );
    }

    #[test]
    fn anchors_read_back_as_printed() {
        let a = Anchor {
            seq: 12,
            hash: "ab".repeat(32),
        };
        assert_eq!(a.to_string().parse::<Anchor>().unwrap(), a);
        assert!("12".parse::<Anchor>().is_err());
        assert!("x:ab".parse::<Anchor>().is_err());
        assert!(format!("0:{}", "ab".repeat(32)).parse::<Anchor>().is_err());
    }

    #[test]
    fn lengths_are_bytes_and_null_differs_from_empty() {
        let base = RowFields {
            at_utc: "t",
            user: "u",
            action: "a",
            table_name: "x",
            row_id: None,
            before_json: None,
            after_json: None,
            reason: None,
        };
        let empty = RowFields {
            reason: Some(""),
            ..base
        };
        assert_ne!(row_hash(1, None, base), row_hash(1, None, empty));
        // Moving a character from one field to the next changes the hash.
        let a = RowFields {
            user: "ab",
            action: "c",
            ..base
        };
        let b = RowFields {
            user: "a",
            action: "bc",
            ..base
        };
        assert_ne!(row_hash(1, None, a), row_hash(1, None, b));
    }
}
