//! The library's layers run one way (docs/architecture.md): every top-level module may import
//! only modules of its own layer or of layers below, and the import graph between top-level
//! modules has no cycle. The graph is read from the sources: each `crate::module` path outside
//! comments and test code is an edge.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first (as in docs/architecture.md).
const LAYERS: &[(&str, &[&str])] = &[
    (
        "foundation",
        &[
            "error", "names", "rng", "device", "io", "memory", "plot", "schedule", "path",
            "convert",
        ],
    ),
    ("data", &["data", "chem", "grid"]),
    ("nn", &["nn"]),
    ("models", &["models"]),
    (
        "objectives and samplers",
        &[
            "objective",
            "solver",
            "flow",
            "diffusion",
            "hybrid",
            "discrete",
            "method",
            "sampling",
            "likelihood",
        ],
    ),
    ("train", &["train", "distill"]),
    (
        "eval and report",
        &["metrics", "image_score", "molecules", "report", "workload"],
    ),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, ms)| ms.contains(&module))
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, except test files.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let name = path.file_stem().unwrap().to_string_lossy();
            if name != "tests" && !name.ends_with("_tests") && name != "testing" {
                out.push(path);
            }
        }
    }
}

/// The source without comments and without the trailing `#[cfg(test)]` module.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Top-level module of a file under `src/`.
fn module_of(path: &Path) -> String {
    let rel = path.strip_prefix(src()).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// Top-level modules a piece of code names: `crate::m` and `use crate::{m, …}`.
fn imports(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let module = module_of(&file);
        if module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let deps = imports(&code(&text));
        let entry = graph.entry(module.clone()).or_default();
        entry.extend(deps.into_iter().filter(|d| *d != module && d != "testing"));
    }
    graph
}

#[test]
fn every_module_has_a_layer() {
    for module in graph().keys() {
        assert!(
            layer_of(module).is_some(),
            "module {module} is in no layer: add it to docs/architecture.md and to LAYERS here"
        );
    }
}

#[test]
fn imports_go_down_or_sideways() {
    let mut wrong = Vec::new();
    for (module, deps) in graph() {
        let Some(own) = layer_of(&module) else {
            continue;
        };
        for dep in deps {
            match layer_of(&dep) {
                Some(l) if l <= own => {}
                Some(l) => wrong.push(format!(
                    "{module} ({}) imports {dep} ({})",
                    LAYERS[own].0, LAYERS[l].0
                )),
                None => wrong.push(format!("{module} imports {dep}, which is in no layer")),
            }
        }
    }
    assert!(wrong.is_empty(), "upward imports:\n{}", wrong.join("\n"));
}

#[test]
fn no_import_cycle() {
    let graph = graph();
    // Depth-first search with colours; a grey node reached again closes a cycle.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_string(), 1);
        stack.push(node.to_string());
        for dep in graph.get(node).into_iter().flatten() {
            match state.get(dep.as_str()).copied().unwrap_or(0) {
                1 => {
                    let start = stack.iter().position(|n| n == dep).unwrap();
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(dep.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(dep, graph, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if state.get(node.as_str()).copied().unwrap_or(0) == 0 {
            if let Some(cycle) = visit(node, &graph, &mut state, &mut Vec::new()) {
                panic!("import cycle: {}", cycle.join(" -> "));
            }
        }
    }
}

/// The checker itself finds an upward import and a cycle in a made-up graph.
#[test]
fn the_checker_sees_imports() {
    let code = code(
        "use crate::{rng::SeededRng, models::Model};\n// crate::train\nlet x = crate::io::read();\n#[cfg(test)]\nmod tests { use crate::report; }",
    );
    let found = imports(&code);
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        ["io", "models", "rng"]
    );
}
