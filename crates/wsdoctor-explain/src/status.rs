//! HTTP status → catalog causes: the table lives in wsdoctor-core
//! ([`wsdoctor_core::tables::status`]), shared with `check`; re-exported here for
//! this crate's callers.

pub use wsdoctor_core::tables::status::{reason, status_cause, status_causes};
