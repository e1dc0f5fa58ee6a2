//! Files in and out of Clinilog. Works on domain values only; the caller
//! reads them from the store.

pub mod csv;
pub mod import;
