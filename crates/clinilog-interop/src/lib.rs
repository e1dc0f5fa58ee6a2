//! Files in and out of Clinilog. Writers work on domain values the caller
//! read from the store; the importer (`import/`) reads a file and writes
//! through one store transaction (`store::import::ImportTx`).

pub mod capture;
pub mod cohort_report;
pub mod csv;
pub mod fhir;
pub mod import;
pub mod report;
