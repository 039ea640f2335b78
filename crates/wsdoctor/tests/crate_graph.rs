//! The crate rules of the design, checked on the real dependency graph (`cargo
//! metadata`): the sans-IO crates never reach tokio or a network crate, even through
//! a dependency of a dependency, and no library depends on the binary.

use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// Crates that mean an async runtime or sockets; the sans-IO crates must reach none.
const NETWORK: &[&str] = &[
    "tokio",
    "mio",
    "socket2",
    "hyper",
    "hyper-util",
    "h2",
    "h3",
    "quinn",
    "reqwest",
    "hickory-resolver",
    "hickory-proto",
    "tokio-rustls",
    "tokio-socks",
    "tokio-tungstenite",
    "async-std",
    "smol",
    "axum",
];
const SANS_IO: &[&str] = &["wsdoctor-core", "wsdoctor-proto"];

struct Graph {
    /// Package id → name.
    names: HashMap<String, String>,
    /// Package id → ids of its normal and build dependencies (dev ones cannot ship).
    deps: HashMap<String, Vec<String>>,
    /// Package id → names of its dependencies of any kind.
    all_dep_names: HashMap<String, Vec<String>>,
    workspace: Vec<String>,
}

fn graph() -> Graph {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml"))
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON");
    let names = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| (str(&p["id"]), str(&p["name"])))
        .collect::<HashMap<_, _>>();
    let mut deps = HashMap::new();
    let mut all_dep_names = HashMap::new();
    for node in meta["resolve"]["nodes"].as_array().expect("resolve.nodes") {
        let id = str(&node["id"]);
        let mut shipped = Vec::new();
        let mut any = Vec::new();
        for d in node["deps"].as_array().expect("deps") {
            let pkg = str(&d["pkg"]);
            any.push(names[&pkg].clone());
            let kinds = d["dep_kinds"].as_array().expect("dep_kinds");
            if kinds.iter().any(|k| k["kind"].as_str() != Some("dev")) {
                shipped.push(pkg);
            }
        }
        deps.insert(id.clone(), shipped);
        all_dep_names.insert(id, any);
    }
    let workspace = meta["workspace_members"]
        .as_array()
        .expect("workspace_members")
        .iter()
        .map(str)
        .collect();
    Graph {
        names,
        deps,
        all_dep_names,
        workspace,
    }
}

fn str(v: &Value) -> String {
    v.as_str().expect("a string in cargo metadata").to_string()
}

impl Graph {
    fn id(&self, name: &str) -> &String {
        self.workspace
            .iter()
            .find(|id| self.names[*id] == name)
            .unwrap_or_else(|| panic!("{name} is not a workspace member"))
    }

    /// Every package reachable from `root` through shipped dependencies, by name.
    fn reach(&self, root: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![self.id(root).clone()];
        while let Some(id) = todo.pop() {
            for d in &self.deps[&id] {
                if seen.insert(self.names[d].clone()) {
                    todo.push(d.clone());
                }
            }
        }
        seen
    }
}

#[test]
fn sans_io_crates_never_reach_a_runtime_or_the_network() {
    let g = graph();
    for krate in SANS_IO {
        let reached = g.reach(krate);
        let bad: Vec<_> = NETWORK.iter().filter(|n| reached.contains(**n)).collect();
        assert!(bad.is_empty(), "{krate} reaches {bad:?}");
    }
    // The check itself must be able to fail: the probe does reach tokio.
    assert!(g.reach("wsdoctor-net").contains("tokio"));
}

#[test]
fn no_library_depends_on_the_binary() {
    let g = graph();
    for id in &g.workspace {
        let name = &g.names[id];
        if name == "wsdoctor" {
            continue;
        }
        assert!(
            !g.all_dep_names[id].iter().any(|d| d == "wsdoctor"),
            "{name} depends on the binary crate wsdoctor"
        );
    }
}
