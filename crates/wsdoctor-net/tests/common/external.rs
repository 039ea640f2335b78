//! Real proxies (squid, nginx, HAProxy) and Python `websockets` peers, from the shared
//! test kit. They start synchronously: an async test calls them before it serves
//! anything, so blocking its runtime for the start-up costs nothing.

use std::path::PathBuf;
// Each test binary uses a different subset.
#[allow(unused_imports)]
pub use wsdoctor_testkit::{Peer, Proxy, haproxy, nginx, peers_required, python_peer, squid};

/// The repository's shared peers (tests/peers at the root).
pub fn repo_peer(name: &str) -> PathBuf {
    wsdoctor_testkit::repo_root().join("tests/peers").join(name)
}

/// This crate's own peers.
pub fn own_peer(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/peers")
        .join(name)
}
