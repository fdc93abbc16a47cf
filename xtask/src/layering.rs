//! `cargo xtask layering`: the layering invariants of docs/ARCHITECTURE.md, checked against
//! `cargo metadata` and the source tree.
//!
//! Each rule has a short name that appears in every violation, so a failure in a CI log points
//! at the paragraph of docs/ARCHITECTURE.md that explains it.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::Result;
use crate::metadata::Metadata;

/// The crates the rules talk about, by package name.
const JWT_CORE: &str = "jwt-core";
const JWKS: &str = "jwks";
const FACADE: &str = "clerk-verify";

/// Async runtimes and HTTP stacks: none of them belongs in a sync, I/O-free verifier.
const ASYNC_AND_HTTP: &[&str] = &[
    "tokio",
    "hyper",
    "http",
    "async-trait",
    "tower",
    "hyper-util",
    "hyper-rustls",
    "reqwest",
];

/// The facade wires; the crypto and the HTTP client live below it.
const FACADE_FORBIDDEN_DIRECT: &[&str] = &["ring", "hyper"];

/// Crypto backends other than *ring*. A second backend doubles the audit surface and the binary
/// size; one may only come in behind a non-default feature.
const SECOND_CRYPTO_BACKENDS: &[&str] = &[
    "openssl",
    "openssl-sys",
    "aws-lc-rs",
    "aws-lc-sys",
    "aws-lc-fips-sys",
    "boring",
    "boring-sys",
    "rsa",
    "p256",
    "p384",
    "p521",
    "ecdsa",
    "ed25519-dalek",
];

/// Calls that read the clock; `jwt-core` takes `now` as a parameter instead.
const CLOCK_READS: &[&str] = &["SystemTime::now", "Instant::now"];

const FORBID_UNSAFE: &str = "#![forbid(unsafe_code)]";

/// A layering rule; its `Display` is the name used in violations and in docs/ARCHITECTURE.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rule {
    /// `jwt-core` has no async runtime or HTTP crate in its normal dependency graph.
    JwtCoreIsSync,
    /// `jwt-core` never reads the clock.
    JwtCoreReadsNoClock,
    /// `jwks` (and `jwt-core`) never name Clerk.
    NoClerkBelowFacade,
    /// `clerk-verify` does not depend on ring or hyper directly.
    FacadeOnlyWires,
    /// No shipped crate pulls in a second crypto backend by default.
    OneCryptoBackend,
    /// Every crate root forbids unsafe code.
    ForbidUnsafe,
    /// A crate the rules name is missing from the workspace, so its rules cannot be checked.
    CrateMissing,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rule::JwtCoreIsSync => "jwt-core-is-sync",
            Rule::JwtCoreReadsNoClock => "jwt-core-reads-no-clock",
            Rule::NoClerkBelowFacade => "no-clerk-below-facade",
            Rule::FacadeOnlyWires => "facade-only-wires",
            Rule::OneCryptoBackend => "one-crypto-backend",
            Rule::ForbidUnsafe => "forbid-unsafe",
            Rule::CrateMissing => "crate-missing",
        })
    }
}

/// One broken rule, with enough detail to find the line or the dependency edge.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Violation {
    pub(crate) rule: Rule,
    pub(crate) detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.rule, self.detail)
    }
}

/// Runs every check and prints the violations.
pub(crate) fn run() -> Result<()> {
    let meta = Metadata::load()?;
    let mut violations = check_graph(&meta);
    violations.extend(check_sources(&meta)?);
    if violations.is_empty() {
        eprintln!("layering: ok (6 rules, see docs/ARCHITECTURE.md)");
        return Ok(());
    }
    for v in &violations {
        eprintln!("layering: {v}");
    }
    Err(format!(
        "{} layering violation(s); each rule is explained in docs/ARCHITECTURE.md",
        violations.len()
    )
    .into())
}

/// The rules that read only the dependency graph.
pub(crate) fn check_graph(meta: &Metadata) -> Vec<Violation> {
    let mut out = Vec::new();
    let missing = |name: &str, out: &mut Vec<Violation>| {
        out.push(Violation {
            rule: Rule::CrateMissing,
            detail: format!("no workspace member is named `{name}`"),
        });
    };

    match meta.member(JWT_CORE) {
        Some(id) => out.extend(forbidden_in_graph(
            meta,
            id,
            ASYNC_AND_HTTP,
            Rule::JwtCoreIsSync,
        )),
        None => missing(JWT_CORE, &mut out),
    }

    match meta.member(FACADE) {
        Some(id) => {
            if let Some(package) = meta.packages.get(id) {
                for dep in &package.declared {
                    if dep.kind.is_none() && FACADE_FORBIDDEN_DIRECT.contains(&dep.name.as_str()) {
                        out.push(Violation {
                            rule: Rule::FacadeOnlyWires,
                            detail: format!(
                                "{FACADE} depends directly on `{}`; go through jwt-core or jwks",
                                dep.name
                            ),
                        });
                    }
                }
            }
        }
        None => missing(FACADE, &mut out),
    }

    for id in shipped_crates(meta) {
        out.extend(forbidden_in_graph(
            meta,
            id,
            SECOND_CRYPTO_BACKENDS,
            Rule::OneCryptoBackend,
        ));
    }
    out
}

/// The crates we ship: workspace members whose manifest lives under `crates/`.
fn shipped_crates(meta: &Metadata) -> Vec<&str> {
    let crates_dir = meta.workspace_root.join("crates");
    let mut ids: Vec<&str> = meta
        .workspace_members
        .iter()
        .filter(|id| {
            meta.packages
                .get(*id)
                .is_some_and(|p| p.manifest_path.starts_with(&crates_dir))
        })
        .map(String::as_str)
        .collect();
    ids.sort_by_key(|id| meta.name(id));
    ids
}

/// One violation per package of `forbidden` reachable from `root` through normal edges.
fn forbidden_in_graph(
    meta: &Metadata,
    root: &str,
    forbidden: &[&str],
    rule: Rule,
) -> Vec<Violation> {
    let reach = meta.normal_reach(root);
    let mut out: Vec<Violation> = reach
        .packages()
        .filter(|id| forbidden.contains(&meta.name(id)))
        .map(|id| {
            let ids = reach.path_to(id);
            let path = ids
                .iter()
                .map(|p| meta.name(p))
                .collect::<Vec<_>>()
                .join(" -> ");
            Violation {
                rule,
                detail: format!(
                    "{} has `{}` in its normal dependency graph: {path}",
                    meta.name(root),
                    meta.name(id)
                ),
            }
        })
        .collect();
    out.sort_by(|a, b| a.detail.cmp(&b.detail));
    out
}

/// The rules that read source files.
fn check_sources(meta: &Metadata) -> Result<Vec<Violation>> {
    let mut out = Vec::new();
    let root = &meta.workspace_root;

    let src_dir = |name: &str| -> Result<PathBuf> {
        let package = meta
            .member(name)
            .and_then(|id| meta.packages.get(id))
            .ok_or_else(|| format!("no workspace member is named `{name}`"))?;
        let dir = package.manifest_path.parent().unwrap_or(root);
        Ok(dir.join("src"))
    };

    for krate in [JWT_CORE, JWKS] {
        for file in rust_files(&src_dir(krate)?)? {
            let text = std::fs::read_to_string(&file)?;
            for (line_no, line) in lines_naming(&text, |l| l.to_lowercase().contains("clerk")) {
                out.push(Violation {
                    rule: Rule::NoClerkBelowFacade,
                    detail: format!("{}:{line_no} names Clerk: {line}", relative(root, &file)),
                });
            }
        }
    }

    for file in rust_files(&src_dir(JWT_CORE)?)? {
        let text = std::fs::read_to_string(&file)?;
        for (line_no, line) in lines_naming(&text, |l| CLOCK_READS.iter().any(|c| l.contains(c))) {
            out.push(Violation {
                rule: Rule::JwtCoreReadsNoClock,
                detail: format!(
                    "{}:{line_no} reads the clock: {line}",
                    relative(root, &file)
                ),
            });
        }
    }

    let mut roots: Vec<PathBuf> = meta
        .workspace_members
        .iter()
        .filter_map(|id| meta.packages.get(id))
        .flat_map(|p| p.crate_roots.iter().cloned())
        .collect();
    roots.sort();
    roots.dedup();
    for file in roots {
        let text = std::fs::read_to_string(&file)?;
        if !forbids_unsafe(&text) {
            out.push(Violation {
                rule: Rule::ForbidUnsafe,
                detail: format!("{} lacks `{FORBID_UNSAFE}`", relative(root, &file)),
            });
        }
    }
    Ok(out)
}

/// True when the crate root carries the attribute on a line of its own.
fn forbids_unsafe(text: &str) -> bool {
    text.lines().any(|l| l.trim() == FORBID_UNSAFE)
}

/// The 1-based numbers and trimmed text of the lines for which `hit` is true.
fn lines_naming(text: &str, hit: impl Fn(&str) -> bool) -> Vec<(usize, String)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| hit(l))
        .map(|(i, l)| (i + 1, l.trim().to_owned()))
        .collect()
}

/// Every `.rs` file under `dir`, sorted, so that output is stable.
fn rust_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        let entries =
            std::fs::read_dir(&d).map_err(|e| format!("cannot read {}: {e}", d.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn relative(root: &Path, file: &Path) -> String {
    file.strip_prefix(root)
        .unwrap_or(file)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A declared dependency: `(name, kind, optional, uses_default_features, features)`.
    type Dep<'a> = (&'a str, Option<&'a str>, bool, bool, &'a [&'a str]);

    /// A package entry in `cargo metadata` form.
    fn package(
        name: &str,
        dir: &str,
        deps: &[Dep<'_>],
        features: serde_json::Value,
    ) -> serde_json::Value {
        let deps: Vec<_> = deps
            .iter()
            .map(|(n, kind, optional, default, feats)| {
                serde_json::json!({
                    "name": n, "rename": null, "kind": kind, "optional": optional,
                    "uses_default_features": default, "features": feats,
                })
            })
            .collect();
        serde_json::json!({
            "id": format!("{name} 1.0.0"),
            "name": name,
            "manifest_path": format!("/ws/{dir}/Cargo.toml"),
            "dependencies": deps,
            "features": features,
            "targets": [{"kind": ["lib"], "src_path": format!("/ws/{dir}/src/lib.rs")}],
        })
    }

    /// A resolve node; `deps` are `(target, kinds)` with `None` for a normal edge.
    fn node(name: &str, deps: &[(&str, &[Option<&str>])]) -> serde_json::Value {
        let deps: Vec<_> = deps
            .iter()
            .map(|(to, kinds)| {
                let kinds: Vec<_> = kinds
                    .iter()
                    .map(|k| serde_json::json!({"kind": k, "target": null}))
                    .collect();
                serde_json::json!({
                    "name": to.replace('-', "_"), "pkg": format!("{to} 1.0.0"), "dep_kinds": kinds,
                })
            })
            .collect();
        serde_json::json!({"id": format!("{name} 1.0.0"), "deps": deps, "features": []})
    }

    /// A small workspace:
    ///
    /// - `jwt-core` -> `mid` -> `tokio` (normal, transitive);
    /// - `jwt-core` -dev-> `devonly` -> `hyper` (dev edge: not in the normal graph);
    /// - `jwt-core` -build-> `cc` -> `http` (build edge: not in the normal graph);
    /// - `jwt-core` -> `aws-lc-rs`, optional behind the non-default feature `aws`, which the
    ///   unified resolve contains because `tests` turns the feature on;
    /// - `jwks` -> `jwt-core` with `features = ["aws"]`, so jwks does reach `aws-lc-rs`;
    /// - `clerk-verify` -> `ring` directly, and -> `jwks` with default features off;
    /// - `mid` -> `serde` both as a dev and a normal dependency (it is normal).
    fn workspace(jwt_core_default: &[&str]) -> Metadata {
        let no: &[&str] = &[];
        let json = serde_json::json!({
            "workspace_root": "/ws",
            "workspace_members": [
                "jwt-core 1.0.0", "jwks 1.0.0", "clerk-verify 1.0.0", "tests 1.0.0"
            ],
            "packages": [
                package("jwt-core", "crates/jwt-core", &[
                    ("mid", None, false, true, no),
                    ("devonly", Some("dev"), false, true, no),
                    ("cc", Some("build"), false, true, no),
                    ("aws-lc-rs", None, true, true, no),
                ], serde_json::json!({"default": jwt_core_default, "aws": ["dep:aws-lc-rs"]})),
                package("jwks", "crates/jwks", &[
                    ("jwt-core", None, false, true, &["aws"]),
                ], serde_json::json!({})),
                package("clerk-verify", "crates/clerk-verify", &[
                    ("ring", None, false, true, no),
                    ("jwks", None, false, false, no),
                ], serde_json::json!({})),
                package("tests", "tests", &[
                    ("jwt-core", None, false, true, &["aws"]),
                ], serde_json::json!({})),
                package("mid", "reg/mid", &[
                    ("tokio", None, false, true, no),
                    ("serde", None, false, true, no),
                    ("serde", Some("dev"), false, true, no),
                ], serde_json::json!({})),
                package("tokio", "reg/tokio", &[], serde_json::json!({})),
                package("serde", "reg/serde", &[], serde_json::json!({})),
                package("devonly", "reg/devonly", &[("hyper", None, false, true, no)],
                    serde_json::json!({})),
                package("hyper", "reg/hyper", &[], serde_json::json!({})),
                package("cc", "reg/cc", &[("http", None, false, true, no)],
                    serde_json::json!({})),
                package("http", "reg/http", &[], serde_json::json!({})),
                package("aws-lc-rs", "reg/aws-lc-rs", &[], serde_json::json!({})),
                package("ring", "reg/ring", &[], serde_json::json!({})),
            ],
            "resolve": {"nodes": [
                node("jwt-core", &[
                    ("mid", &[None]), ("devonly", &[Some("dev")]), ("cc", &[Some("build")]),
                    ("aws-lc-rs", &[None]),
                ]),
                node("jwks", &[("jwt-core", &[None])]),
                node("clerk-verify", &[("ring", &[None]), ("jwks", &[None])]),
                node("tests", &[("jwt-core", &[None])]),
                node("mid", &[("tokio", &[None]), ("serde", &[Some("dev"), None])]),
                node("tokio", &[]), node("serde", &[]),
                node("devonly", &[("hyper", &[None])]), node("hyper", &[]),
                node("cc", &[("http", &[None])]), node("http", &[]),
                node("aws-lc-rs", &[]), node("ring", &[]),
            ]},
        });
        Metadata::parse(&json.to_string()).unwrap()
    }

    fn reached(meta: &Metadata, root: &str) -> Vec<String> {
        let id = meta.member(root).unwrap();
        let mut names: Vec<String> = meta
            .normal_reach(id)
            .packages()
            .map(|p| meta.name(p).to_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn walk_follows_normal_edges_transitively_and_skips_dev_build_and_off_features() {
        let meta = workspace(&[]);
        assert_eq!(reached(&meta, "jwt-core"), ["mid", "serde", "tokio"]);
    }

    #[test]
    fn walk_follows_features_requested_along_the_path() {
        let meta = workspace(&[]);
        assert_eq!(
            reached(&meta, "jwks"),
            ["aws-lc-rs", "jwt-core", "mid", "serde", "tokio"]
        );
    }

    #[test]
    fn walk_follows_an_optional_dependency_enabled_by_default() {
        let meta = workspace(&["aws"]);
        assert_eq!(
            reached(&meta, "jwt-core"),
            ["aws-lc-rs", "mid", "serde", "tokio"]
        );
    }

    #[test]
    fn path_names_every_hop() {
        let meta = workspace(&[]);
        let root = meta.member("jwt-core").unwrap();
        let reach = meta.normal_reach(root);
        let ids = reach.path_to("tokio 1.0.0");
        let path: Vec<&str> = ids.iter().map(|p| meta.name(p)).collect();
        assert_eq!(path, ["jwt-core", "mid", "tokio"]);
    }

    #[test]
    fn graph_rules_report_each_violation_with_its_rule() {
        let meta = workspace(&[]);
        let got: Vec<String> = check_graph(&meta).iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "[jwt-core-is-sync] jwt-core has `tokio` in its normal dependency graph: \
                 jwt-core -> mid -> tokio",
                "[facade-only-wires] clerk-verify depends directly on `ring`; go through \
                 jwt-core or jwks",
                "[one-crypto-backend] clerk-verify has `aws-lc-rs` in its normal dependency \
                 graph: clerk-verify -> jwks -> jwt-core -> aws-lc-rs",
                "[one-crypto-backend] jwks has `aws-lc-rs` in its normal dependency graph: \
                 jwks -> jwt-core -> aws-lc-rs",
            ]
        );
    }

    #[test]
    fn feature_unification_from_a_test_crate_does_not_blame_the_library() {
        // `tests` turns `aws` on, and so the unified resolve holds jwt-core -> aws-lc-rs; the
        // library's own default graph must not contain it.
        let meta = workspace(&[]);
        assert!(
            !check_graph(&meta)
                .iter()
                .any(|v| v.detail.starts_with("jwt-core has `aws-lc-rs`"))
        );
        let meta = workspace(&["aws"]);
        assert!(
            check_graph(&meta)
                .iter()
                .any(|v| v.detail.starts_with("jwt-core has `aws-lc-rs`"))
        );
    }

    #[test]
    fn a_missing_crate_is_a_violation_not_a_pass() {
        let json = serde_json::json!({
            "workspace_root": "/ws", "workspace_members": [], "packages": [],
            "resolve": {"nodes": []},
        });
        let meta = Metadata::parse(&json.to_string()).unwrap();
        let rules: Vec<Rule> = check_graph(&meta).iter().map(|v| v.rule).collect();
        assert_eq!(rules, [Rule::CrateMissing, Rule::CrateMissing]);
    }

    #[test]
    fn source_scans() {
        assert!(forbids_unsafe("//! Doc.\n#![forbid(unsafe_code)]\n"));
        assert!(!forbids_unsafe(
            "//! Doc.\n// #![forbid(unsafe_code)] is missing\n"
        ));
        let hits = lines_naming("a\n/// Uses Clerk's order\nb\n", |l| {
            l.to_lowercase().contains("clerk")
        });
        assert_eq!(hits, [(2, "/// Uses Clerk's order".to_owned())]);
    }
}
