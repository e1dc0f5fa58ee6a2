//! What every write stamps its rows with: the time, in UTC, and a
//! record as JSON (the audit trail's before and after). Shared by the audit
//! trail and the rows it follows, so that neither needs the other for it.

use jiff::Timestamp;
use serde::Serialize;

use super::StoreError;

pub(super) fn now_utc() -> String {
    Timestamp::now().to_string()
}

pub(super) fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt {
        what: "audit record",
        detail: e.to_string(),
    })
}
