//! What the benches share.

use std::hint::black_box;

use clinilog::store::ClinicStore;

/// What opening a patient reads, as the window's `load_patient` does.
pub fn open_patient(store: &dyn ClinicStore, id: i64) -> usize {
    let patient = store.patient(id).unwrap();
    let entries = store.entries(id).unwrap();
    let treatments = store.treatments(id).unwrap();
    let history = store.history(id).unwrap();
    let assignments = store.assignments(id).unwrap();
    let adverse = store.adverse_events(id).unwrap();
    let none = store.no_adverse_events(id).unwrap();
    black_box(&patient);
    entries.len() + treatments.len() + history.len() + assignments.len() + adverse.len() + none.len()
}
