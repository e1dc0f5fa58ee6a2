//! The pure model of Clinilog: patients, the measure catalog, entries with
//! lab results as printed and symptom ratings, treatment events, form
//! validation, derived values and plot series.
//!
//! Nothing here touches the window, the database or the file system; every
//! rule is a function of its inputs and is unit-tested beside its code.

pub mod adverse;
pub mod backup;
pub mod capture;
pub mod catalog;
pub mod cohort;
pub mod entry;
pub mod entry_context;
pub mod history;
pub mod import;
pub mod interval;
pub mod names;
pub mod number;
pub mod patient;
pub mod protocol;
pub mod score_inputs;
pub mod scores;
#[cfg(test)]
mod test_support;
pub mod treatment;
pub mod trend;
pub mod trend_view;
pub mod validate;

pub use catalog::{Catalog, CatalogError, LabSpec, Measure, MeasureKind, Scale};
pub use entry::{
    Comparator, Entry, EntryData, EntryDraft, Flag, LabDraft, LabResult, Origin, ReferenceInterval, ReferenceSource,
    SymptomDraft, SymptomRating,
};
pub use number::{Decimal, NumberError};
pub use patient::{Patient, PatientData, PatientDraft, Sex};
pub use treatment::{TreatmentData, TreatmentDraft, TreatmentEvent, TreatmentKind};
pub use validate::FieldError;
