//! The server's shape, kept by a test (see `README.md` in this crate): the operations know
//! nothing of HTTP, the two adapters never reach into each other, and neither reaches past the
//! operations into the store or the live results.

use std::path::{Path, PathBuf};

fn sources(dir: &str) -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("source dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).expect("source");
                out.push((p, text));
            }
        }
    }
    assert!(!out.is_empty(), "no sources under src/{dir}");
    out
}

/// The lines of `dir`'s sources (comments left out) that contain any of `words`.
fn offending(dir: &str, words: &[&str]) -> Vec<String> {
    let mut bad = Vec::new();
    for (path, text) in sources(dir) {
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if words.iter().any(|w| code.contains(w)) {
                bad.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
    bad
}

#[test]
fn operations_know_nothing_of_http() {
    let bad = offending(
        "ops",
        &[
            "axum",
            "tower",
            "crate::api",
            "crate::web",
            "crate::http",
            "StatusCode",
        ],
    );
    assert!(
        bad.is_empty(),
        "HTTP in the operations:\n{}",
        bad.join("\n")
    );
}

#[test]
fn pages_never_call_the_api_and_the_api_never_borrows_from_pages() {
    let bad = offending("web", &["crate::api", "super::super::api"]);
    assert!(
        bad.is_empty(),
        "pages reaching into the API:\n{}",
        bad.join("\n")
    );
    let bad = offending("api", &["crate::web", "super::super::web"]);
    assert!(
        bad.is_empty(),
        "the API reaching into pages:\n{}",
        bad.join("\n")
    );
}

/// Whether a line calls a function of the store (`jixiao_store::values::get(`).
fn calls_store(line: &str) -> bool {
    line.match_indices("jixiao_store::").any(|(i, w)| {
        let rest = &line[i + w.len()..];
        let path_end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        rest[path_end..].starts_with('(')
    })
}

#[test]
fn adapters_go_through_the_operations() {
    for dir in ["api", "web", "http"] {
        let mut bad = offending(
            dir,
            &["state.live", "state.store", ".rankings", ".write().await"],
        );
        // The store's types may be named (they are the answers' shapes); its functions not.
        bad.extend(
            offending(dir, &["jixiao_store::"])
                .into_iter()
                .filter(|l| calls_store(l)),
        );
        assert!(
            bad.is_empty(),
            "{dir}/ reads or writes past the operations:\n{}",
            bad.join("\n")
        );
    }
}

#[test]
fn neutral_modules_serve_both_adapters() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for file in [
        "xlsx.rs", "i18n.rs", "pdf.rs", "dhis2.rs", "live.rs", "state.rs", "error.rs",
    ] {
        let text = std::fs::read_to_string(root.join(file)).expect("source");
        for w in ["axum", "crate::api", "crate::web", "crate::http"] {
            assert!(
                !text
                    .lines()
                    .any(|l| l.split("//").next().unwrap_or("").contains(w)),
                "{file} names {w}: it is shared by the adapters and must not depend on one"
            );
        }
    }
}

/// Every number people read is rounded by one function (half-up, DOMAIN.md §1):
/// `jixiao_core::explain::round_half_up`. `round_dp` rounds half to even, so 92.125 would show
/// as 92.12 on one page and 92.13 on another.
#[test]
fn one_rounding_for_what_people_read() {
    let mut bad = Vec::new();
    for (path, text) in sources("") {
        for (i, l) in text.lines().enumerate() {
            let code = l.split("//").next().unwrap_or("");
            if code.contains("round_dp") || code.contains("RoundingStrategy") {
                bad.push(format!("{}:{}: {}", path.display(), i + 1, l.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "round through jixiao_core::explain::round_half_up:\n{}",
        bad.join("\n")
    );
}

/// An API handler extracts, calls one operation and answers: a few lines each.
#[test]
fn api_handlers_are_short() {
    let mut long = Vec::new();
    for (path, text) in sources("api") {
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            if !l.starts_with("pub async fn ") {
                continue;
            }
            let end = lines[i..]
                .iter()
                .position(|l| *l == "}")
                .map_or(lines.len(), |e| i + e);
            if end - i > 40 {
                long.push(format!("{}:{} ({} lines)", path.display(), i + 1, end - i));
            }
        }
    }
    assert!(long.is_empty(), "long handlers:\n{}", long.join("\n"));
}
