//! Close-code knowledge: the table lives in wsdoctor-core
//! ([`wsdoctor_core::tables::close`]), shared with `check`'s session rules;
//! re-exported here for this crate's callers.

pub use wsdoctor_core::tables::close::{
    CloseCode, CloseCodeInfo, CloseRange, close_causes, close_code,
};
