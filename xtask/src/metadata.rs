//! The dependency graph as `cargo metadata --format-version 1` reports it, and a walk of the
//! *normal* graph a user gets when they depend on one of our crates with default features.
//!
//! `cargo metadata` resolves the whole workspace at once: its `resolve` section unifies the
//! features every member asks for, dev-dependencies included. Walking it naively would blame a
//! library for an optional dependency that only a test or a bench switches on. So the walk
//! follows an edge only when (1) the resolve says it is a normal edge (`dep_kinds[].kind` is
//! `null`; build and dev edges are skipped) and (2) the declaring package's manifest enables the
//! dependency under the features requested along the path from the root (default features
//! unless an edge turned them off). Platform-specific edges are followed whatever their `cfg`:
//! the check is about what a user may compile, on any target.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::PathBuf;

use serde_json::Value;

use crate::Result;

/// One package of the graph.
#[derive(Debug)]
pub(crate) struct Package {
    pub(crate) name: String,
    pub(crate) manifest_path: PathBuf,
    /// The source files of its library, binary and proc-macro targets (its crate roots).
    pub(crate) crate_roots: Vec<PathBuf>,
    /// Its bench targets.
    pub(crate) benches: Vec<Bench>,
    /// Its manifest's `[dependencies]` (all kinds), as declared.
    pub(crate) declared: Vec<DeclaredDep>,
    /// Its manifest's `[features]` table.
    features: BTreeMap<String, Vec<String>>,
}

/// A bench target.
#[derive(Debug)]
pub(crate) struct Bench {
    pub(crate) name: String,
    /// Features the bench needs (`required-features`); without them cargo refuses to run it.
    pub(crate) required_features: Vec<String>,
}

/// A dependency as written in a manifest.
#[derive(Debug)]
pub(crate) struct DeclaredDep {
    /// The package name depended on.
    pub(crate) name: String,
    /// The key the manifest uses for it (the `rename`, else the name); features refer to this.
    key: String,
    /// `None` for a normal dependency, else `dev` or `build`.
    pub(crate) kind: Option<String>,
    optional: bool,
    uses_default_features: bool,
    features: Vec<String>,
}

/// One resolved edge.
#[derive(Debug)]
struct Edge {
    to: String,
    normal: bool,
}

/// The parsed output of `cargo metadata`.
#[derive(Debug)]
pub(crate) struct Metadata {
    pub(crate) workspace_root: PathBuf,
    pub(crate) workspace_members: Vec<String>,
    pub(crate) packages: HashMap<String, Package>,
    edges: HashMap<String, Vec<Edge>>,
}

/// The normal graph reachable from one root: every package reached, with the shortest path.
#[derive(Debug)]
pub(crate) struct Reach {
    parent: BTreeMap<String, String>,
    root: String,
}

impl Metadata {
    /// Runs `cargo metadata` for this workspace.
    pub(crate) fn load() -> Result<Self> {
        let mut cmd = crate::cargo();
        cmd.args(["metadata", "--format-version", "1"]);
        let out = cmd
            .output()
            .map_err(|e| format!("could not run cargo metadata: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "cargo metadata failed ({}):\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        Self::parse(&String::from_utf8(out.stdout)?)
    }

    /// Parses `cargo metadata --format-version 1` output.
    pub(crate) fn parse(json: &str) -> Result<Self> {
        let v: Value = serde_json::from_str(json)?;
        let mut packages = HashMap::new();
        for p in array(&v, "packages")? {
            let id = string(p, "id")?;
            let mut crate_roots = Vec::new();
            let mut benches = Vec::new();
            for t in array(p, "targets")? {
                let kinds = array(t, "kind")?;
                let is = |kind: &str| kinds.iter().any(|k| k.as_str() == Some(kind));
                if is("lib") || is("rlib") || is("bin") || is("proc-macro") {
                    crate_roots.push(PathBuf::from(string(t, "src_path")?));
                }
                if is("bench") {
                    benches.push(Bench {
                        name: string(t, "name")?,
                        required_features: strings(t.get("required-features")),
                    });
                }
            }
            let mut declared = Vec::new();
            for d in array(p, "dependencies")? {
                let name = string(d, "name")?;
                let key = d
                    .get("rename")
                    .and_then(Value::as_str)
                    .map_or_else(|| name.clone(), str::to_owned);
                declared.push(DeclaredDep {
                    key,
                    name,
                    kind: d.get("kind").and_then(Value::as_str).map(str::to_owned),
                    optional: d.get("optional").and_then(Value::as_bool).unwrap_or(false),
                    uses_default_features: d
                        .get("uses_default_features")
                        .and_then(Value::as_bool)
                        .unwrap_or(true),
                    features: strings(d.get("features")),
                });
            }
            let features = match p.get("features").and_then(Value::as_object) {
                Some(map) => map
                    .iter()
                    .map(|(k, v)| (k.clone(), strings(Some(v))))
                    .collect(),
                None => BTreeMap::new(),
            };
            let package = Package {
                name: string(p, "name")?,
                manifest_path: PathBuf::from(string(p, "manifest_path")?),
                crate_roots,
                benches,
                declared,
                features,
            };
            packages.insert(id, package);
        }
        let mut edges = HashMap::new();
        let nodes = v
            .get("resolve")
            .and_then(|r| r.get("nodes"))
            .and_then(Value::as_array)
            .ok_or("cargo metadata output has no resolve.nodes")?;
        for n in nodes {
            let mut out = Vec::new();
            for d in array(n, "deps")? {
                let normal = array(d, "dep_kinds")?
                    .iter()
                    .any(|k| k.get("kind").is_none_or(Value::is_null));
                out.push(Edge {
                    to: string(d, "pkg")?,
                    normal,
                });
            }
            edges.insert(string(n, "id")?, out);
        }
        Ok(Metadata {
            workspace_root: PathBuf::from(string(&v, "workspace_root")?),
            workspace_members: strings(v.get("workspace_members")),
            packages,
            edges,
        })
    }

    /// The id of the workspace member named `name`.
    pub(crate) fn member(&self, name: &str) -> Option<&str> {
        self.workspace_members
            .iter()
            .find(|id| self.packages.get(*id).is_some_and(|p| p.name == name))
            .map(String::as_str)
    }

    /// The name of package `id` (the id itself if it is unknown).
    pub(crate) fn name<'a>(&'a self, id: &'a str) -> &'a str {
        self.packages.get(id).map_or(id, |p| p.name.as_str())
    }

    /// Walks the normal graph from `root` with its default features.
    pub(crate) fn normal_reach(&self, root: &str) -> Reach {
        // Features requested so far of every package reached; a package is (re)visited whenever
        // that set grows, because new features can enable new optional dependencies.
        let mut requested: HashMap<&str, BTreeSet<String>> = HashMap::new();
        let mut parent = BTreeMap::new();
        let mut queue = VecDeque::from([root]);
        requested.insert(root, BTreeSet::from(["default".to_owned()]));
        while let Some(id) = queue.pop_front() {
            let (Some(package), Some(edges)) = (self.packages.get(id), self.edges.get(id)) else {
                continue;
            };
            let active = package.activate(requested.get(id).cloned().unwrap_or_default());
            for edge in edges.iter().filter(|e| e.normal) {
                let Some(target) = self.packages.get(&edge.to) else {
                    continue;
                };
                // The manifest entries behind this resolved edge (one per target table).
                let entries: Vec<&DeclaredDep> = package
                    .declared
                    .iter()
                    .filter(|d| d.kind.is_none() && d.name == target.name)
                    .collect();
                let enabled: Vec<&&DeclaredDep> = entries
                    .iter()
                    .filter(|d| !d.optional || active.deps.contains(&d.key))
                    .collect();
                if !entries.is_empty() && enabled.is_empty() {
                    continue; // behind a feature nobody on this path turned on
                }
                let mut wants = BTreeSet::new();
                for d in &enabled {
                    wants.extend(d.features.iter().cloned());
                    if d.uses_default_features {
                        wants.insert("default".to_owned());
                    }
                    if let Some(extra) = active.dep_features.get(&d.key) {
                        wants.extend(extra.iter().cloned());
                    }
                }
                if entries.is_empty() {
                    // Metadata we do not understand: follow the edge with default features
                    // rather than miss a dependency.
                    wants.insert("default".to_owned());
                }
                let to = edge.to.as_str();
                let newly_reached = to != root && !parent.contains_key(to);
                if newly_reached {
                    parent.insert(to.to_owned(), id.to_owned());
                }
                let have = requested.entry(to).or_default();
                let before = have.len();
                have.extend(wants);
                if newly_reached || have.len() > before {
                    queue.push_back(to);
                }
            }
        }
        Reach {
            parent,
            root: root.to_owned(),
        }
    }
}

/// What a set of requested features turns on inside one package.
#[derive(Debug, Default)]
struct Active {
    /// Keys of optional dependencies that are enabled.
    deps: BTreeSet<String>,
    /// Features requested of dependencies through `dep/feature` entries.
    dep_features: BTreeMap<String, BTreeSet<String>>,
}

impl Package {
    fn activate(&self, requested: BTreeSet<String>) -> Active {
        let mut active = Active::default();
        let mut weak: Vec<(String, String)> = Vec::new();
        let mut seen = BTreeSet::new();
        let mut todo: Vec<String> = requested.into_iter().collect();
        while let Some(feature) = todo.pop() {
            if !seen.insert(feature.clone()) {
                continue;
            }
            let Some(entries) = self.features.get(&feature) else {
                // An optional dependency's implicit feature.
                if self.is_optional_dep(&feature) {
                    active.deps.insert(feature);
                }
                continue;
            };
            for entry in entries {
                if let Some(dep) = entry.strip_prefix("dep:") {
                    active.deps.insert(dep.to_owned());
                } else if let Some((dep, feat)) = entry.split_once("?/") {
                    weak.push((dep.to_owned(), feat.to_owned()));
                } else if let Some((dep, feat)) = entry.split_once('/') {
                    if self.is_optional_dep(dep) {
                        active.deps.insert(dep.to_owned());
                    }
                    active
                        .dep_features
                        .entry(dep.to_owned())
                        .or_default()
                        .insert(feat.to_owned());
                } else {
                    todo.push(entry.clone());
                }
            }
        }
        for (dep, feat) in weak {
            if active.deps.contains(&dep) || !self.is_optional_dep(&dep) {
                active.dep_features.entry(dep).or_default().insert(feat);
            }
        }
        active
    }

    fn is_optional_dep(&self, key: &str) -> bool {
        self.declared.iter().any(|d| d.optional && d.key == key)
    }
}

impl Reach {
    /// Every package reached (not the root).
    pub(crate) fn packages(&self) -> impl Iterator<Item = &str> {
        self.parent.keys().map(String::as_str)
    }

    /// The chain of package ids from the root to `id`, both included.
    pub(crate) fn path_to(&self, id: &str) -> Vec<String> {
        let mut path = vec![id.to_owned()];
        let mut at = id;
        while at != self.root {
            match self.parent.get(at) {
                Some(p) if !path.contains(p) => {
                    path.push(p.clone());
                    at = p;
                }
                _ => break,
            }
        }
        path.reverse();
        path
    }
}

fn array<'a>(v: &'a Value, key: &str) -> Result<&'a Vec<Value>> {
    v.get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| format!("cargo metadata: expected an array `{key}`").into())
}

fn string(v: &Value, key: &str) -> Result<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| format!("cargo metadata: expected a string `{key}`").into())
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(key: &str, optional: bool) -> DeclaredDep {
        DeclaredDep {
            name: key.to_owned(),
            key: key.to_owned(),
            kind: None,
            optional,
            uses_default_features: true,
            features: Vec::new(),
        }
    }

    fn package(features: &[(&str, &[&str])]) -> Package {
        Package {
            name: "p".to_owned(),
            manifest_path: PathBuf::from("/ws/p/Cargo.toml"),
            crate_roots: Vec::new(),
            benches: Vec::new(),
            declared: vec![
                dep("a", true),
                dep("b", true),
                dep("c", false),
                dep("d", true),
            ],
            features: features
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.iter().map(|s| (*s).to_owned()).collect()))
                .collect(),
        }
    }

    fn activate(p: &Package, requested: &[&str]) -> Active {
        p.activate(requested.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn features_enable_optional_dependencies_in_every_spelling() {
        let p = package(&[
            ("default", &["x"]),
            ("x", &["dep:a", "b/fast", "c/std", "d?/extra"]),
        ]);
        let active = activate(&p, &["default"]);
        // `dep:a` and `b/fast` enable a and b; `d?/extra` is weak and does not enable d.
        assert_eq!(
            active.deps,
            BTreeSet::from(["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(
            active.dep_features["b"],
            BTreeSet::from(["fast".to_owned()])
        );
        assert_eq!(active.dep_features["c"], BTreeSet::from(["std".to_owned()]));
        assert!(!active.dep_features.contains_key("d"));
        // Once d is on by other means, the weak feature applies.
        let active = activate(&p, &["default", "d"]);
        assert!(active.deps.contains("d"));
        assert_eq!(
            active.dep_features["d"],
            BTreeSet::from(["extra".to_owned()])
        );
    }

    #[test]
    fn nothing_is_enabled_without_a_request() {
        let p = package(&[("default", &[]), ("x", &["dep:a"])]);
        assert!(activate(&p, &["default"]).deps.is_empty());
        // An optional dependency's implicit feature, when the table does not list it.
        assert_eq!(activate(&p, &["b"]).deps, BTreeSet::from(["b".to_owned()]));
    }
}
