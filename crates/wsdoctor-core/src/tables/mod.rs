//! The facts several commands need, each kept once: `check`, `explain`, `logs`, `lint`
//! and the lab read them from here and keep no copy of their own.

pub mod close;
pub mod h2;
pub mod no_proxy;
pub mod stacks;
pub mod status;
pub mod timeouts;
pub mod wspath;

pub use close::{CloseCode, CloseCodeInfo, CloseRange, close_causes, close_code};
pub use no_proxy::no_proxy_matches;
pub use stacks::{STACK_FAILURES, StackFailure, stack_failures};
pub use status::{reason, status_cause, status_causes};
pub use timeouts::{TimeoutKind, VENDOR_TIMEOUTS, VendorTimeout, vendor_timeout};
pub use wspath::{WS_PATH_WORDS, is_ws_path, ws_path_word};
