//! wsdoctor-testkit: the real peers and intermediaries the integration tests start,
//! once, instead of a copy per crate.
//!
//! Everything here runs on 127.0.0.1 with ports the OS picks, is killed on drop, and
//! waits for readiness with a deadline. A missing program or library skips the test
//! loudly, or fails it when peers are required (`WSDOCTOR_REQUIRE_PEERS` or `CI` set,
//! as `scripts/test.sh` and CI do). Synchronous on purpose: the binary's tests have
//! no runtime, and the async tests call these before they serve anything.

pub mod browser;
pub mod http;
pub mod peers;
pub mod proxies;

pub use browser::headless_chromium;
pub use peers::{
    Peer, node_echo, node_echo_with, peers_required, python_echo, python_peer, python_websockets,
    python_with, repo_root, require_program, start_peer,
};
pub use proxies::{NGINX_UPGRADE, Proxy, free_port, haproxy, nginx, squid, start};
