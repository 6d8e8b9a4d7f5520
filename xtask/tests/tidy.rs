//! The architecture's invariants as tests (in the style of rust-analyzer's `tidy`): each one reads
//! the dependency graph (`cargo tree`) or the crates' sources (parsed with `syn`) and fails with
//! the offending crate, file or item.
//!
//! - the protocol crate has no I/O crate in its normal dependencies, and its sources name no clock,
//!   environment, file system, network, process or randomness;
//! - the transport reads no `MODELARTS_*` variable and names nothing of ModelArts;
//! - no hyper, hyper-util or rustls type is in the public API of the transport or the SDK;
//! - the SDK without its default features (the built-in transport) has no hyper, hyper-util,
//!   hyper-rustls, rustls or tokio-rustls in its normal dependencies;
//! - ring is the only crypto provider: `cargo tree -i aws-lc-rs` is empty;
//! - no two files of a published crate depend on each other (`tidy/cycles.rs`);
//! - every file path and Rust path of ours in backticks in `docs/architecture.md` resolves
//!   (`tidy/docs.rs`);
//! - `cargo xtask ci` installs the wasm32 target or fails, and never skips the wasm build;
//! - the SDK names no error classification or status variant outside its `error.rs`, and the CLI
//!   no variant of a protocol decision;
//! - the emulator has no public way to answer a request but its socket.
//!
//! Sources are read as the compiler sees them: from `src/lib.rs` through the `mod` declarations,
//! leaving out `#[cfg(test)]`/`#[cfg(doctest)]` items and modules, doc comments (attributes) and
//! ordinary comments (which the parser drops). `tests/`, `benches/` and `examples/` are not
//! reached. Every checker is also run on small sources that break its rule (the `checker_*`
//! tests), so a checker that cannot fail fails here.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::ToTokens;
use syn::visit::Visit;

#[path = "tidy/cycles.rs"]
mod cycles;
#[path = "tidy/docs.rs"]
mod docs;

// ---------------------------------------------------------------------------------------------
// The rules

/// Crates that do I/O (or pull a runtime) and must not be in the protocol's normal dependencies.
const IO_CRATES: &[&str] =
    &["tokio", "hyper", "hyper-util", "rustls", "mio", "socket2", "reqwest", "tokio-rustls", "hyper-rustls"];

/// Paths the protocol's sources must not name: clock, environment, file system, network,
/// processes, threads (`std::io` is allowed: writing into a buffer is not I/O).
const FORBIDDEN_STD_MODULES: &[&str] = &["env", "fs", "net", "process", "thread"];
/// Types whose `::now()` reads the clock.
const CLOCKS: &[&str] = &["SystemTime", "Instant"];
/// Randomness crates and modules (`ring::rand` included).
const RANDOMNESS: &[&str] = &["rand", "fastrand", "getrandom"];

/// Text that would mean the transport knows the ModelArts API (compared in lowercase; the crate's
/// own name `modelarts_transport` and the HTTP-client seam it implements, `modelarts_http`, are
/// allowed).
const MODELARTS_MARKERS: &[&str] =
    &["modelarts", "huawei", "x-project-id", "x-sdk-date", "sdk-hmac-sha256", "training-job"];

/// Crates of the built-in transport: the SDK without its default features must not depend on them.
const TRANSPORT_CRATES: &[&str] = &["hyper", "hyper-util", "hyper-rustls", "rustls", "tokio-rustls"];

/// Crates whose types must not appear in the public API of the transport or the SDK.
const HIDDEN_CRATES: &[&str] =
    &["hyper", "hyper_util", "hyper_rustls", "rustls", "tokio_rustls", "rustls_pki_types"];

#[test]
fn protocol_has_no_io_crate_in_its_normal_dependencies() {
    let tree = cargo_tree(&[
        "-p",
        "modelarts-protocol",
        "-e",
        "normal",
        "--all-features",
        "--target",
        "all",
        "--prefix",
        "none",
    ]);
    let offenders = io_crates_in(&tree);
    assert!(offenders.is_empty(), "modelarts-protocol depends on I/O crates: {offenders:?}\n{tree}");
    assert!(tree.lines().any(|l| l.starts_with("http ")), "the tree was not read:\n{tree}");
}

#[test]
fn sdk_without_default_features_has_no_hyper_or_rustls_in_its_normal_dependencies() {
    let tree = cargo_tree(&[
        "-p",
        "modelarts-sdk",
        "--no-default-features",
        "--features",
        "blocking",
        "-e",
        "normal",
        "--target",
        "all",
        "--prefix",
        "none",
    ]);
    let offenders = crates_in(&tree, TRANSPORT_CRATES);
    assert!(
        offenders.is_empty(),
        "modelarts-sdk without default features depends on transport crates: {offenders:?}\n{tree}"
    );
    assert!(tree.lines().any(|l| l.starts_with("modelarts-http ")), "the tree was not read:\n{tree}");
}

#[test]
fn ring_is_the_only_crypto_provider() {
    let out = cargo_tree_raw(&["-i", "aws-lc-rs", "--workspace", "--all-features", "--target", "all"]);
    let found = aws_lc_in(&out);
    assert!(
        found.is_none(),
        "aws-lc-rs is in the dependency tree (use ring only):\n{}",
        found.unwrap_or_default()
    );
}

#[test]
fn protocol_sources_read_no_clock_environment_file_system_or_randomness() {
    let files = crate_sources("modelarts-protocol");
    assert!(files.len() > 5, "the protocol's module tree was not read: {:?}", names(&files));
    let offences: Vec<String> = files.iter().flat_map(|(path, file)| sans_io_offences(path, file)).collect();
    assert!(offences.is_empty(), "the protocol crate must stay sans-IO:\n{}", offences.join("\n"));
}

#[test]
fn transport_reads_no_modelarts_variable_and_names_nothing_of_modelarts() {
    let files = crate_sources("modelarts-transport");
    assert!(files.len() > 3, "the transport's module tree was not read: {:?}", names(&files));
    let offences: Vec<String> =
        files.iter().flat_map(|(path, file)| modelarts_offences(path, file)).collect();
    assert!(offences.is_empty(), "the transport must know nothing of ModelArts:\n{}", offences.join("\n"));
}

#[test]
fn no_hyper_or_rustls_type_in_the_public_api_of_transport_and_sdk() {
    for krate in ["modelarts-transport", "modelarts-sdk"] {
        let files = crate_sources(krate);
        let offences = public_api_offences(&files);
        assert!(offences.is_empty(), "{krate} exposes hidden crates' types:\n{}", offences.join("\n"));
    }
}

/// Crates meant for downstream use.
const PUBLISHED: &[&str] =
    &["modelarts-http", "modelarts-protocol", "modelarts-transport", "modelarts-sdk", "modelarts-cli"];

#[test]
fn published_crates_carry_their_metadata_and_depend_only_on_published_crates() {
    let metadata = cargo_metadata();
    let problems = metadata_problems(&metadata);
    assert!(problems.is_empty(), "publishing metadata:\n{}", problems.join("\n"));
}

#[test]
fn no_circles_of_files_in_the_published_crates() {
    // The emulator is test support, left as is.
    let found: Vec<String> =
        ["modelarts-protocol", "modelarts-http", "modelarts-transport", "modelarts-sdk", "modelarts-cli"]
            .into_iter()
            .flat_map(cycles::crate_cycles)
            .collect();
    assert!(
        found.is_empty(),
        "files that depend on each other (move the shared part down):\n{}",
        found.join("\n")
    );
}

#[test]
fn every_path_in_backticks_in_the_architecture_resolves() {
    let root = workspace_root();
    let text = std::fs::read_to_string(root.join("docs/architecture.md")).expect("docs/architecture.md");
    let spans = docs::spans(&text);
    assert!(spans.len() > 20, "the architecture's spans were not read: {spans:?}");
    let broken: Vec<String> = spans.iter().filter_map(|s| docs::unresolved(&root, s)).collect();
    assert!(broken.is_empty(), "docs/architecture.md names what is not there:\n{}", broken.join("\n"));
}

#[test]
fn xtask_ci_installs_the_wasm_target_or_fails_and_never_skips_the_wasm_build() {
    let text = std::fs::read_to_string(workspace_root().join("xtask/src/ci.rs")).expect("xtask/src/ci.rs");
    let problems = wasm_skip_problems(&syn::parse_file(&text).expect("ci.rs parses"));
    assert!(problems.is_empty(), "xtask/src/ci.rs: {}", problems.join("; "));
}

/// What lets `xtask ci` pass without building the protocol for wasm32: `run` must call
/// `wasm_build()?` unconditionally (a statement of its body, not inside a branch), and
/// `wasm_build` must install the target with rustup and have no early `return Ok`.
fn wasm_skip_problems(file: &syn::File) -> Vec<String> {
    let function = |name: &str| {
        file.items.iter().find_map(|item| match item {
            syn::Item::Fn(f) if f.sig.ident == name => Some(f.clone()),
            _ => None,
        })
    };
    let mut problems = Vec::new();
    match function("run") {
        None => problems.push("no `run`".to_owned()),
        Some(run) => {
            let unconditional = run.block.stmts.iter().any(|stmt| {
                let text = stmt.to_token_stream().to_string().replace(' ', "");
                text == "wasm_build()?;"
            });
            if !unconditional {
                problems.push("`run` does not call `wasm_build()?` as a statement of its own".to_owned());
            }
        }
    }
    match function("wasm_build") {
        None => problems.push("no `wasm_build`".to_owned()),
        Some(build) => {
            let text = build.block.to_token_stream().to_string();
            if !(text.contains("\"rustup\"") && text.contains("\"add\"")) {
                problems.push("`wasm_build` does not install the target with `rustup target add`".to_owned());
            }
            if text.replace(' ', "").contains("returnOk") {
                problems.push("`wasm_build` can return Ok early (a skipped build)".to_owned());
            }
            if !text.contains("\"--target\"") {
                problems.push("`wasm_build` does not build with `--target`".to_owned());
            }
        }
    }
    problems
}

/// The protocol's and the SDK's classifications: their variants are decisions, named only where
/// they are made (the protocol) or turned into the SDK's error (`error.rs`).
const CLASSIFICATIONS: &[&str] =
    &["ErrorClass", "ErrorCategory", "ErrorCode", "StatusClass", "StopClass", "JobStatus", "Phase"];

#[test]
fn sdk_names_no_error_classification_or_status_variant_outside_its_error_module() {
    let files = crate_sources("modelarts-sdk");
    assert!(files.len() > 5, "the SDK's module tree was not read: {:?}", names(&files));
    let offences: Vec<String> = files
        .iter()
        .filter(|(path, _)| !path.ends_with("src/error.rs"))
        .flat_map(|(path, file)| variant_offences(path, file))
        .collect();
    assert!(
        offences.is_empty(),
        "the SDK decides nothing about classes or statuses:\n{}",
        offences.join("\n")
    );
}

/// `Class::Variant` for a classification of [`CLASSIFICATIONS`] (a variant: capitalized, not all
/// capitals; `JobStatus::ALL` and `Phase::from_filter` are not variants).
fn variant_offences(path: &Path, file: &syn::File) -> Vec<String> {
    variant_offences_of(CLASSIFICATIONS, path, file)
}

/// `Class::Variant` for a class of `classes`.
fn variant_offences_of(classes: &[&str], path: &Path, file: &syn::File) -> Vec<String> {
    let toks = tokens(file);
    let mut found = Vec::new();
    for w in toks.windows(4) {
        if let [Tok::Ident(class), Tok::Punct(':'), Tok::Punct(':'), Tok::Ident(variant)] = w {
            let is_variant = variant.chars().next().is_some_and(char::is_uppercase)
                && variant.chars().any(char::is_lowercase);
            if classes.contains(&class.as_str()) && is_variant {
                found.push(format!("{}: {class}::{variant}", shown(path)));
            }
        }
    }
    found
}

/// The protocol's decision enums: the CLI renders their results, it never names their variants.
const DECISIONS: &[&str] =
    &["ErrorClass", "ErrorCode", "StatusClass", "StopClass", "RetryDecision", "CallStep"];

#[test]
fn cli_names_no_variant_of_a_protocol_decision() {
    let files = crate_sources("modelarts-cli");
    assert!(files.len() > 5, "the CLI's module tree was not read: {:?}", names(&files));
    let offences: Vec<String> =
        files.iter().flat_map(|(path, file)| variant_offences_of(DECISIONS, path, file)).collect();
    assert!(offences.is_empty(), "the CLI is thin: decisions come from below:\n{}", offences.join("\n"));
}

#[test]
fn the_emulator_answers_only_through_a_socket() {
    let files = crate_sources("modelarts-emulator");
    assert!(files.len() > 5, "the emulator's module tree was not read: {:?}", names(&files));
    let offences: Vec<String> =
        files.iter().flat_map(|(path, file)| in_process_handlers(path, file)).collect();
    assert!(
        offences.is_empty(),
        "a public way to answer a request without a socket:\n{}",
        offences.join("\n")
    );
}

/// Public functions and methods of the emulator that take a request (`Request<…>`): tests would
/// call them instead of talking to the server over a socket.
fn in_process_handlers(path: &Path, file: &syn::File) -> Vec<String> {
    struct V<'a>(&'a Path, Vec<String>);
    impl<'ast> Visit<'ast> for V<'_> {
        fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
            self.check(&f.vis, &f.sig);
        }
        fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
            self.check(&f.vis, &f.sig);
        }
    }
    impl V<'_> {
        fn check(&mut self, vis: &syn::Visibility, sig: &syn::Signature) {
            let takes_request =
                sig.inputs.iter().any(|i| i.to_token_stream().to_string().contains("Request <"));
            if is_pub(vis) && takes_request {
                self.1.push(format!("{}: fn {}", shown(self.0), sig.ident));
            }
        }
    }
    let mut v = V(path, Vec::new());
    v.visit_file(file);
    v.1
}

#[test]
fn every_workspace_dependency_is_used_by_a_member() {
    let manifest = std::fs::read_to_string(workspace_root().join("Cargo.toml")).expect("the root Cargo.toml");
    let metadata = cargo_metadata();
    let unused = unused_workspace_dependencies(&manifest, &metadata);
    assert!(unused.is_empty(), "[workspace.dependencies] entries no crate uses: {unused:?}");
}

// ---------------------------------------------------------------------------------------------
// The checkers fail when their rule is broken

#[test]
fn checker_io_crates_finds_tokio_in_a_tree() {
    let tree = "modelarts-protocol v0.1.0 (/x)\nbytes v1.0.0\ntokio v1.40.0\nhttp v1.1.0\n";
    assert_eq!(io_crates_in(tree), ["tokio"]);
    assert!(io_crates_in("modelarts-protocol v0.1.0\ntokio-util v0.7.0\n").is_empty());
}

#[test]
fn checker_transport_crates_finds_hyper_and_rustls_in_an_sdk_tree() {
    let tree = "modelarts-sdk v0.1.0 (/x)\nmodelarts-http v0.1.0\nhyper v1.5.0\nrustls v0.23.0\nrustls-pki-types v1.0.0\n";
    assert_eq!(crates_in(tree, TRANSPORT_CRATES), ["hyper", "rustls"]);
    assert!(
        crates_in("modelarts-sdk v0.1.0\nmodelarts-http v0.1.0\ntokio v1.40.0\n", TRANSPORT_CRATES)
            .is_empty()
    );
}

#[test]
fn checker_aws_lc_reads_cargo_tree_answers() {
    let absent = TreeOutput {
        success: false,
        stdout: String::new(),
        stderr: "error: package ID specification `aws-lc-rs` did not match any packages".into(),
    };
    assert_eq!(aws_lc_in(&absent), None);
    let present = TreeOutput {
        success: true,
        stdout: "aws-lc-rs v1.13.0\n└── rustls v0.23.0\n".into(),
        stderr: String::new(),
    };
    assert!(aws_lc_in(&present).is_some());
    let broken = TreeOutput { success: false, stdout: String::new(), stderr: "error: no Cargo.toml".into() };
    assert!(aws_lc_in(&broken).is_some(), "a failing cargo tree must not pass");
}

#[test]
fn checker_sans_io_finds_each_forbidden_source() {
    let cases = [
        "fn f() -> std::time::SystemTime { std::time::SystemTime::now() }",
        "use std::time::Instant; fn f() { let _ = Instant::now(); }",
        "use std::time::SystemTime as Clock; fn f() { let _ = Clock::now(); }",
        "fn f() -> Option<String> { std::env::var(\"A\").ok() }",
        "use std::env; fn f() {}",
        "use std::{fs, io}; fn f() {}",
        "fn f() { let _ = std::fs::read(\"x\"); }",
        "fn f() -> u32 { fastrand::u32(..) }",
        "use ring::rand::SystemRandom; fn f() {}",
        "fn f() { let _ = format!(\"{:?}\", std::net::TcpStream::connect(\"a\")); }",
    ];
    for source in cases {
        let file = syn::parse_file(source).expect("parses");
        assert!(!sans_io_offences(Path::new("case.rs"), &file).is_empty(), "not caught: {source}");
    }
    let clean = "use std::time::{Duration, SystemTime};\n\
                 /// Reads nothing: `SystemTime::now()` is the caller's.\n\
                 pub fn f(now: SystemTime) -> SystemTime { now + Duration::from_secs(1) }\n\
                 #[cfg(test)] mod tests { fn g() { let _ = std::time::SystemTime::now(); } }";
    let file = strip_test_items(syn::parse_file(clean).expect("parses"));
    assert_eq!(sans_io_offences(Path::new("clean.rs"), &file), Vec::<String>::new());
}

#[test]
fn checker_modelarts_finds_variables_and_names() {
    let cases = [
        "fn f() -> Option<String> { std::env::var(\"MODELARTS_CA_BUNDLE\").ok() }",
        "const VARS: [&str; 1] = [\"MODELARTS_REGION\"];",
        "pub const UA: &str = \"modelarts-rs/0.1\";",
        "fn f(r: &mut http::Request<()>) { r.headers_mut().remove(\"X-Project-Id\"); }",
        "use modelarts_protocol::Endpoint; fn f() {}",
    ];
    for source in cases {
        let file = syn::parse_file(source).expect("parses");
        assert!(!modelarts_offences(Path::new("case.rs"), &file).is_empty(), "not caught: {source}");
    }
    let clean = "//! Knows nothing of ModelArts.\nuse modelarts_transport::Error;\n\
                 fn f() -> Option<String> { std::env::var(\"SSL_CERT_FILE\").ok() }";
    let file = syn::parse_file(clean).expect("parses");
    assert_eq!(modelarts_offences(Path::new("clean.rs"), &file), Vec::<String>::new());
}

#[test]
fn checker_public_api_finds_hidden_types() {
    let cases = [
        "pub fn f() -> hyper::StatusCode { todo!() }",
        "use hyper_util::client::legacy::Client; pub struct T { pub inner: Client<(), ()> }",
        "use rustls::ClientConfig as Tls; pub fn f(_: &Tls) {}",
        "pub use rustls::ClientConfig;",
        "pub struct E; impl From<hyper::Error> for E { fn from(_: hyper::Error) -> Self { E } }",
        "pub struct T; impl T { pub fn tls(&self) -> Option<std::sync::Arc<rustls::ClientConfig>> { None } }",
        "pub enum E { Tls(rustls::Error) }",
        "pub trait S { fn send(&self) -> impl std::future::Future<Output = hyper::Response<()>>; }",
        "pub type Body = hyper::body::Incoming;",
    ];
    for source in cases {
        let file = syn::parse_file(source).expect("parses");
        let files = vec![(PathBuf::from("case.rs"), file)];
        assert!(!public_api_offences(&files).is_empty(), "not caught: {source}");
    }
    let clean = "use hyper_util::client::legacy::Client;\n\
                 pub struct T { inner: Client<(), ()> }\n\
                 struct Private; impl From<hyper::Error> for Private { fn from(_: hyper::Error) -> Self { Private } }\n\
                 impl T { pub fn new() -> Self { let _c: Option<rustls::ClientConfig> = None; todo!() }\n\
                          fn client(&self) -> &Client<(), ()> { &self.inner } }\n\
                 pub(crate) fn g() -> hyper::StatusCode { todo!() }";
    let files = vec![(PathBuf::from("clean.rs"), syn::parse_file(clean).expect("parses"))];
    assert_eq!(public_api_offences(&files), Vec::<String>::new());
}

#[test]
fn checker_metadata_finds_missing_fields_and_unpublished_dependencies() {
    let good = serde_json::json!({"packages": [
        {"name": "modelarts-protocol", "publish": null, "description": "d", "license": "MIT",
         "repository": "r", "documentation": "d", "readme": "README.md", "keywords": ["k"],
         "categories": ["c"], "manifest_path": "/x/Cargo.toml", "dependencies": []},
        {"name": "modelarts-emulator", "publish": [], "dependencies": []},
    ]});
    assert_eq!(metadata_problems_in(&good, &["modelarts-protocol"], |_| true), Vec::<String>::new());
    let bad = serde_json::json!({"packages": [
        {"name": "modelarts-protocol", "publish": [], "description": "d", "license": null,
         "repository": "r", "documentation": null, "readme": null, "keywords": [],
         "categories": ["c"], "manifest_path": "/x/Cargo.toml",
         "dependencies": [{"name": "modelarts-emulator", "kind": null}]},
        {"name": "modelarts-emulator", "publish": [], "dependencies": []},
    ]});
    let problems = metadata_problems_in(&bad, &["modelarts-protocol"], |_| true);
    for expected in
        ["publish = false", "license", "documentation", "readme", "keywords", "modelarts-emulator"]
    {
        assert!(problems.iter().any(|p| p.contains(expected)), "{expected} not reported: {problems:?}");
    }
}

#[test]
fn checker_cycles_finds_circles_through_uses_paths_and_reexports_only() {
    let lib = "mod a; mod b; mod c; mod d; pub use a::A;";
    // a ↔ b through a `use` and a path in code; c names a only through the root's re-export.
    let circle = [
        ("lib.rs", lib),
        ("a.rs", "use crate::b::B; pub struct A(B);"),
        ("b.rs", "pub struct B; fn f() -> crate::a::A { todo!() }"),
        ("c.rs", "pub fn g(_: crate::A) {}"),
        ("d.rs", "pub use crate::c::g; fn h() { super::c::g(crate::A(crate::b::B)) }"),
    ];
    assert_eq!(cycles::cycles_of(&circle), [vec!["a.rs".to_owned(), "b.rs".to_owned()]]);
    // Re-exports (`pub use`) and a module naming its parent's items are not dependencies.
    let clean = [
        ("lib.rs", "mod a; mod b; pub use a::A; pub use b::B;"),
        ("a.rs", "mod inner; pub struct A; fn f(_: crate::B) {}"),
        ("a/inner.rs", "fn g(_: super::A) {}"),
        ("b.rs", "pub struct B; pub use crate::a::A as Again;"),
    ];
    assert_eq!(cycles::cycles_of(&clean), Vec::<Vec<String>>::new());
    // A re-export is followed to the file that defines the item: b → a through the root.
    let through = [
        ("lib.rs", lib),
        ("a.rs", "pub struct A; fn f(_: crate::b::B) {}"),
        ("b.rs", "pub struct B(crate::A);"),
    ];
    assert_eq!(cycles::cycles_of(&through), [vec!["a.rs".to_owned(), "b.rs".to_owned()]]);
}

#[test]
fn checker_docs_finds_missing_files_modules_and_items() {
    let root = workspace_root();
    let spans = docs::spans("a `crates/modelarts-protocol/src/lib.rs` b `x` c\n```\n`crates/none.rs`\n```\n");
    assert_eq!(spans, ["crates/modelarts-protocol/src/lib.rs", "x"]);
    for good in [
        "crates/modelarts-protocol/src/lib.rs",
        "…/machine/call.rs",
        "modelarts_protocol::machine::call::Call",
        "modelarts_protocol::call::Call",
        "modelarts_protocol::USER_AGENT",
        "xtask/tests/tidy.rs::every_path_in_backticks_in_the_architecture_resolves",
        "http::Request",
        "a/b with words",
    ] {
        assert_eq!(docs::unresolved(&root, good), None, "{good}");
    }
    for bad in [
        "crates/modelarts-protocol/src/nothing.rs",
        "…/machine/nothing.rs",
        "modelarts_protocol::machine::call::NoSuchThing",
        "modelarts_nothing::X",
        "crates/modelarts-http/src/lib.rs::nonesuch_item",
    ] {
        assert!(docs::unresolved(&root, bad).is_some(), "{bad} resolved");
    }
}

#[test]
fn checker_wasm_skip_finds_a_skipped_or_conditional_build() {
    let good = r#"fn run(x: bool) -> R { a()?; wasm_build()?; Ok(()) }
        fn wasm_build() -> R { if !t() { exec(Command::new("rustup").args(["target", "add", W]))?; }
            exec(cargo().args(["build", "--target", W]))?; Ok(()) }"#;
    assert!(wasm_skip_problems(&syn::parse_file(good).unwrap()).is_empty());
    let skipped = r#"fn run(x: bool) -> R { if x { wasm_build()?; } Ok(()) }
        fn wasm_build() -> R { if !t() { eprintln!("skipping"); return Ok(()); }
            exec(cargo().args(["build", "--target", W]))?; Ok(()) }"#;
    let problems = wasm_skip_problems(&syn::parse_file(skipped).unwrap());
    assert_eq!(problems.len(), 3, "{problems:?}");
}

#[test]
fn checker_variants_finds_a_status_decided_in_the_sdk() {
    let bad =
        syn::parse_file("fn f(s: JobStatus) -> bool { s == JobStatus::Killed || JobStatus::ALL.is_empty() }")
            .unwrap();
    assert_eq!(variant_offences(Path::new("x.rs"), &bad), ["x.rs: JobStatus::Killed"]);
    let doc = syn::parse_file("/// `JobStatus::Killed`\nfn f(s: JobStatus) -> bool { s.is_stopped() && Phase::from_filter(\"x\").is_empty() }").unwrap();
    assert!(variant_offences(Path::new("x.rs"), &doc).is_empty());
}

#[test]
fn checker_in_process_handlers_finds_a_public_handler() {
    let bad = syn::parse_file("pub fn handle(r: http::Request<Bytes>) {} fn private(r: Request<()>) {} impl S { pub async fn serve(&self, req: Request<Incoming>) {} }").unwrap();
    assert_eq!(in_process_handlers(Path::new("x.rs"), &bad), ["x.rs: fn handle", "x.rs: fn serve"]);
}

#[test]
fn checker_unused_workspace_dependencies_finds_an_unused_entry() {
    let manifest = "[workspace]\nmembers = []\n\n[workspace.dependencies]\nbytes = \"1\"\n\
                    # a comment\nhttp = { version = \"1\" }\nunused-one = \"2\"\n\n[workspace.lints.rust]\n\
                    unsafe_code = \"forbid\"\n";
    let metadata = serde_json::json!({"packages": [
        {"name": "a", "dependencies": [{"name": "bytes"}, {"name": "http", "kind": "dev"}]},
    ]});
    assert_eq!(unused_workspace_dependencies(manifest, &metadata), ["unused-one"]);
}

// ---------------------------------------------------------------------------------------------
// cargo metadata

/// `cargo metadata --no-deps` of the workspace (run once per test process).
fn cargo_metadata() -> serde_json::Value {
    static METADATA: OnceLock<serde_json::Value> = OnceLock::new();
    METADATA
        .get_or_init(|| {
            let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .args(["metadata", "--no-deps", "--format-version", "1"])
                .current_dir(workspace_root())
                .output()
                .expect("cargo metadata starts");
            assert!(out.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&out.stderr));
            serde_json::from_slice(&out.stdout).expect("cargo metadata is JSON")
        })
        .clone()
}

/// The keys of `[workspace.dependencies]` in `manifest` that no member's dependencies name (of
/// any kind). The table is read line by line: one `name = …` per line, as this workspace writes it.
fn unused_workspace_dependencies(manifest: &str, metadata: &serde_json::Value) -> Vec<String> {
    let mut in_table = false;
    let mut declared = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_table = line == "[workspace.dependencies]";
        } else if in_table
            && !line.starts_with('#')
            && let Some((key, _)) = line.split_once('=')
        {
            declared.push(key.trim().trim_matches('"').to_owned());
        }
    }
    let used: BTreeSet<&str> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["dependencies"].as_array().into_iter().flatten())
        .filter_map(|d| d["name"].as_str())
        .collect();
    declared.into_iter().filter(|name| !used.contains(name.as_str())).collect()
}

fn metadata_problems(metadata: &serde_json::Value) -> Vec<String> {
    metadata_problems_in(metadata, PUBLISHED, Path::exists)
}

/// What keeps a crate of `published` from being published: `publish = false`, a missing field,
/// a readme file that is not there, more than 5 keywords, a normal or build dependency on a
/// workspace crate that is not published.
fn metadata_problems_in(
    metadata: &serde_json::Value,
    published: &[&str],
    exists: impl Fn(&Path) -> bool,
) -> Vec<String> {
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    let unpublished: BTreeSet<&str> = packages
        .iter()
        .filter(|p| p["publish"].as_array().is_some_and(Vec::is_empty))
        .filter_map(|p| p["name"].as_str())
        .collect();
    let mut problems = Vec::new();
    for name in published {
        let Some(package) = packages.iter().find(|p| p["name"] == *name) else {
            problems.push(format!("{name}: not in the workspace"));
            continue;
        };
        if unpublished.contains(name) {
            problems.push(format!("{name}: publish = false"));
        }
        for field in ["description", "license", "repository", "documentation", "readme"] {
            if package[field].as_str().is_none_or(str::is_empty) {
                problems.push(format!("{name}: no {field}"));
            }
        }
        for field in ["keywords", "categories"] {
            let count = package[field].as_array().map_or(0, Vec::len);
            if count == 0 || count > 5 {
                problems.push(format!("{name}: {count} {field} (1 to 5)"));
            }
        }
        if let (Some(readme), Some(manifest)) =
            (package["readme"].as_str(), package["manifest_path"].as_str())
        {
            let path = Path::new(manifest).parent().map(|dir| dir.join(readme));
            if !path.as_deref().is_some_and(&exists) {
                problems.push(format!("{name}: readme {readme} does not exist"));
            }
        }
        for dep in package["dependencies"].as_array().into_iter().flatten() {
            let dep_name = dep["name"].as_str().unwrap_or_default();
            if dep["kind"].as_str() != Some("dev") && unpublished.contains(dep_name) {
                problems.push(format!("{name}: depends on {dep_name}, which is not published"));
            }
        }
    }
    problems
}

// ---------------------------------------------------------------------------------------------
// cargo tree, run once per argument list in this test process

/// What one `cargo tree` answered.
#[derive(Clone, Default)]
struct TreeOutput {
    success: bool,
    stdout: String,
    stderr: String,
}

fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).expect("xtask/ has a parent")
}

fn cargo_tree_raw(args: &[&str]) -> TreeOutput {
    static CACHE: OnceLock<Mutex<HashMap<Vec<String>, TreeOutput>>> = OnceLock::new();
    let key: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let mut cache = CACHE.get_or_init(Default::default).lock().expect("cache lock");
    cache
        .entry(key)
        .or_insert_with(|| {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let out = Command::new(cargo)
                .arg("tree")
                .args(args)
                .current_dir(workspace_root())
                .output()
                .expect("cargo tree starts");
            TreeOutput {
                success: out.status.success(),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            }
        })
        .clone()
}

fn cargo_tree(args: &[&str]) -> String {
    let out = cargo_tree_raw(args);
    assert!(out.success, "cargo tree {args:?} failed:\n{}", out.stderr);
    out.stdout
}

/// The I/O crates named in a `cargo tree --prefix none` listing.
fn io_crates_in(tree: &str) -> Vec<&'static str> {
    crates_in(tree, IO_CRATES)
}

/// Which of `crates` a `cargo tree --prefix none` listing names.
fn crates_in(tree: &str, crates: &[&'static str]) -> Vec<&'static str> {
    let names: BTreeSet<&str> = tree.lines().filter_map(|l| l.split_whitespace().next()).collect();
    crates.iter().copied().filter(|name| names.contains(name)).collect()
}

/// `None` when `cargo tree -i aws-lc-rs` says the package is not in the graph; otherwise what it
/// printed (the inverse tree, or an unexpected failure, which must not pass either).
fn aws_lc_in(out: &TreeOutput) -> Option<String> {
    if !out.success && out.stderr.contains("did not match any packages") {
        return None;
    }
    if out.success && out.stdout.trim().is_empty() {
        return None;
    }
    Some(format!("{}{}", out.stdout, out.stderr))
}

// ---------------------------------------------------------------------------------------------
// Reading a crate's sources as compiled

/// A path relative to the workspace root, for messages.
fn shown(path: &Path) -> String {
    let root = workspace_root();
    path.strip_prefix(&root).unwrap_or(path).display().to_string()
}

fn names(files: &[(PathBuf, syn::File)]) -> Vec<&Path> {
    files.iter().map(|(path, _)| path.as_path()).collect()
}

/// Every compiled source file of a crate's library, parsed, with test-only items removed.
fn crate_sources(krate: &str) -> Vec<(PathBuf, syn::File)> {
    let root = workspace_root().join("crates").join(krate).join("src");
    let mut files = Vec::new();
    read_module(&root.join("lib.rs"), &root, &mut files);
    files
}

/// Reads one module file and the files of its `mod` declarations; `dir` is where they are.
fn read_module(path: &Path, dir: &Path, files: &mut Vec<(PathBuf, syn::File)>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", shown(path)));
    let file = strip_test_items(syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", shown(path))));
    let mut children = Vec::new();
    collect_mod_files(&file.items, dir, &mut children);
    files.push((path.to_owned(), file));
    for (child, child_dir) in children {
        read_module(&child, &child_dir, files);
    }
}

/// The files of the out-of-line `mod` declarations in `items` (inline modules are searched too).
fn collect_mod_files(items: &[syn::Item], dir: &Path, out: &mut Vec<(PathBuf, PathBuf)>) {
    for item in items {
        let syn::Item::Mod(module) = item else { continue };
        let name = module.ident.to_string();
        match &module.content {
            Some((_, inner)) => collect_mod_files(inner, &dir.join(&name), out),
            None => {
                if let Some(explicit) = path_attribute(&module.attrs) {
                    let file = dir.join(explicit);
                    let child_dir = file.with_extension("");
                    out.push((file, child_dir));
                } else if dir.join(format!("{name}.rs")).exists() {
                    out.push((dir.join(format!("{name}.rs")), dir.join(&name)));
                } else {
                    out.push((dir.join(&name).join("mod.rs"), dir.join(&name)));
                }
            }
        }
    }
}

fn path_attribute(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find(|a| a.path().is_ident("path")).and_then(|a| match &a.meta {
        syn::Meta::NameValue(nv) => match &nv.value {
            syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

/// `#[cfg(test)]`, `#[cfg(doctest)]`, `#[cfg(all(test, …))]`: compiled only for tests.
fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && match &a.meta {
                syn::Meta::List(list) => {
                    let cfg = list.tokens.to_string();
                    (cfg.contains("test") || cfg.contains("doctest")) && !cfg.contains("not")
                }
                _ => false,
            }
    })
}

/// Removes test-only items at every level (module items, impl and trait items).
fn strip_test_items(mut file: syn::File) -> syn::File {
    fn strip(items: &mut Vec<syn::Item>) {
        items.retain(|item| !is_test_only(item_attrs(item)));
        for item in items {
            match item {
                syn::Item::Mod(m) => {
                    if let Some((_, inner)) = &mut m.content {
                        strip(inner);
                    }
                }
                syn::Item::Impl(i) => i.items.retain(|it| match it {
                    syn::ImplItem::Fn(f) => !is_test_only(&f.attrs),
                    syn::ImplItem::Const(c) => !is_test_only(&c.attrs),
                    syn::ImplItem::Type(t) => !is_test_only(&t.attrs),
                    _ => true,
                }),
                _ => {}
            }
        }
    }
    strip(&mut file.items);
    file
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Const(i) => &i.attrs,
        syn::Item::Enum(i) => &i.attrs,
        syn::Item::ExternCrate(i) => &i.attrs,
        syn::Item::Fn(i) => &i.attrs,
        syn::Item::ForeignMod(i) => &i.attrs,
        syn::Item::Impl(i) => &i.attrs,
        syn::Item::Macro(i) => &i.attrs,
        syn::Item::Mod(i) => &i.attrs,
        syn::Item::Static(i) => &i.attrs,
        syn::Item::Struct(i) => &i.attrs,
        syn::Item::Trait(i) => &i.attrs,
        syn::Item::TraitAlias(i) => &i.attrs,
        syn::Item::Type(i) => &i.attrs,
        syn::Item::Union(i) => &i.attrs,
        syn::Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens and `use` paths

/// A flattened token: identifiers, punctuation, literals; a group boundary is `Punct(' ')`.
#[derive(Debug, PartialEq)]
enum Tok {
    Ident(String),
    Punct(char),
    Lit(String),
}

/// The file's tokens without doc attributes (`#[doc = …]`, i.e. `///` and `//!`).
fn tokens(file: &syn::File) -> Vec<Tok> {
    fn flatten(stream: TokenStream, out: &mut Vec<Tok>) {
        for tree in stream {
            match tree {
                TokenTree::Ident(i) => out.push(Tok::Ident(i.to_string())),
                TokenTree::Punct(p) => out.push(Tok::Punct(p.as_char())),
                TokenTree::Literal(l) => out.push(Tok::Lit(l.to_string())),
                TokenTree::Group(g) => {
                    let is_doc = g.delimiter() == Delimiter::Bracket
                        && matches!(g.stream().into_iter().next(), Some(TokenTree::Ident(i)) if i == "doc");
                    if is_doc {
                        // Drop the `#` before it too.
                        if out.last() == Some(&Tok::Punct('#')) {
                            out.pop();
                        }
                        continue;
                    }
                    out.push(Tok::Punct(' '));
                    flatten(g.stream(), out);
                    out.push(Tok::Punct(' '));
                }
            }
        }
    }
    let mut out = Vec::new();
    flatten(file.to_token_stream(), &mut out);
    out
}

/// Every path a `use` item of the file imports, with the name it is known by:
/// `use std::{fs, time::Instant as Clock}` gives `fs → std::fs`, `Clock → std::time::Instant`.
fn use_paths(items: &[syn::Item]) -> Vec<(String, Vec<String>)> {
    fn walk(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<(String, Vec<String>)>) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                walk(&p.tree, prefix, out);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut full = prefix.clone();
                full.push(n.ident.to_string());
                let name = if n.ident == "self" {
                    prefix.last().cloned().unwrap_or_default()
                } else {
                    n.ident.to_string()
                };
                out.push((name, full));
            }
            syn::UseTree::Rename(r) => {
                let mut full = prefix.clone();
                full.push(r.ident.to_string());
                out.push((r.rename.to_string(), full));
            }
            syn::UseTree::Glob(_) => {
                let mut full = prefix.clone();
                full.push("*".into());
                out.push(("*".into(), full));
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    walk(t, prefix, out);
                }
            }
        }
    }
    let mut out = Vec::new();
    for item in items {
        match item {
            syn::Item::Use(u) => walk(&u.tree, &mut Vec::new(), &mut out),
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    out.extend(use_paths(inner));
                }
            }
            _ => {}
        }
    }
    out
}

fn trim_root(path: &[String]) -> &[String] {
    match path.first().map(String::as_str) {
        Some("" | "crate" | "self" | "super") => &path[1..],
        _ => path,
    }
}

// ---------------------------------------------------------------------------------------------
// The checks on sources

/// Clock, environment, file system, network, process or randomness named in a protocol file.
fn sans_io_offences(path: &Path, file: &syn::File) -> Vec<String> {
    let mut found = Vec::new();
    let imports = use_paths(&file.items);
    let aliases: HashMap<&str, &[String]> = imports.iter().map(|(n, p)| (n.as_str(), p.as_slice())).collect();
    for (name, full) in &imports {
        let full = trim_root(full);
        if full.len() >= 2 && full[0] == "std" && FORBIDDEN_STD_MODULES.contains(&full[1].as_str()) {
            found.push(format!("{}: `use {}`", shown(path), full.join("::")));
        }
        if full.iter().any(|s| RANDOMNESS.contains(&s.as_str())) {
            found.push(format!("{}: `use {}` (randomness, as `{name}`)", shown(path), full.join("::")));
        }
    }
    let toks = tokens(file);
    for window in toks.windows(4) {
        let [Tok::Ident(a), Tok::Punct(':'), Tok::Punct(':'), Tok::Ident(b)] = window else { continue };
        if a == "std" && FORBIDDEN_STD_MODULES.contains(&b.as_str()) {
            found.push(format!("{}: `std::{b}`", shown(path)));
        }
        let resolved = aliases.get(a.as_str()).and_then(|p| p.last()).map_or(a.as_str(), String::as_str);
        if b == "now" && CLOCKS.contains(&resolved) {
            found.push(format!("{}: `{a}::now` reads the clock", shown(path)));
        }
        if RANDOMNESS.contains(&a.as_str()) {
            found.push(format!("{}: `{a}::{b}` (randomness)", shown(path)));
        }
    }
    for tok in &toks {
        if let Tok::Ident(i) = tok
            && (i == "fastrand" || i == "getrandom")
        {
            found.push(format!("{}: `{i}` (randomness)", shown(path)));
        }
    }
    found.dedup();
    found
}

/// `MODELARTS_*` variables and ModelArts names in a transport file (code and strings, not docs).
fn modelarts_offences(path: &Path, file: &syn::File) -> Vec<String> {
    let mut found = Vec::new();
    for tok in tokens(file) {
        let text = match &tok {
            Tok::Ident(i) if i == "modelarts_transport" || i == "modelarts_http" => continue,
            Tok::Ident(i) | Tok::Lit(i) => i,
            Tok::Punct(_) => continue,
        };
        if text.contains("MODELARTS_") {
            found.push(format!("{}: names the variable {text}", shown(path)));
            continue;
        }
        let lower = text.to_lowercase();
        if let Some(marker) = MODELARTS_MARKERS.iter().find(|m| lower.contains(*m)) {
            found.push(format!("{}: `{text}` names ModelArts ({marker})", shown(path)));
        }
    }
    found
}

/// Hidden crates' types in the public API of a crate: the signatures of `pub` items (fields,
/// variants, functions, methods of inherent impls, trait items, aliases, consts, statics),
/// `pub use`, and the headers and items of trait impls for the crate's `pub` types.
///
/// Precision: a path is resolved through the `use` items of its own file only (a private alias
/// defined in another file, a glob import or a macro-generated item is not followed); `pub` items
/// of private modules count as public (the `unreachable_pub` lint keeps those re-exported).
fn public_api_offences(files: &[(PathBuf, syn::File)]) -> Vec<String> {
    let mut pub_types = BTreeSet::new();
    for (_, file) in files {
        collect_pub_types(&file.items, &mut pub_types);
    }
    let mut found = Vec::new();
    for (path, file) in files {
        let imports = use_paths(&file.items);
        let mut visitor = HiddenPaths { imports: &imports, found: BTreeSet::new() };
        check_items(&file.items, &pub_types, &mut visitor);
        for (item, hidden) in visitor.found {
            found.push(format!("{}: {item}: {hidden}", shown(path)));
        }
    }
    found
}

fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

fn collect_pub_types(items: &[syn::Item], out: &mut BTreeSet<String>) {
    for item in items {
        match item {
            syn::Item::Struct(s) if is_pub(&s.vis) => {
                out.insert(s.ident.to_string());
            }
            syn::Item::Enum(e) if is_pub(&e.vis) => {
                out.insert(e.ident.to_string());
            }
            syn::Item::Union(u) if is_pub(&u.vis) => {
                out.insert(u.ident.to_string());
            }
            syn::Item::Type(t) if is_pub(&t.vis) => {
                out.insert(t.ident.to_string());
            }
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    collect_pub_types(inner, out);
                }
            }
            _ => {}
        }
    }
}

/// Records every path in what it visits whose crate (directly or through a `use`) is hidden.
struct HiddenPaths<'a> {
    imports: &'a [(String, Vec<String>)],
    found: BTreeSet<(String, String)>,
}

impl HiddenPaths<'_> {
    fn hidden(&self, path: &syn::Path) -> Option<String> {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let first = segments.first()?;
        let full: Vec<String> = match self.imports.iter().find(|(name, _)| name == first) {
            Some((_, imported)) => imported.iter().cloned().chain(segments[1..].iter().cloned()).collect(),
            None => segments.clone(),
        };
        let krate = trim_root(&full).first()?;
        HIDDEN_CRATES.contains(&krate.as_str()).then(|| full.join("::"))
    }

    fn scan<T: Walk + ?Sized>(&mut self, item: String, node: &T) {
        let mut paths = PathCollector::default();
        node.visit_with(&mut paths);
        for path in paths.0 {
            if let Some(hidden) = self.hidden(&path) {
                self.found.insert((item.clone(), hidden));
            }
        }
    }
}

/// Collects every `syn::Path` of a node.
#[derive(Default)]
struct PathCollector(Vec<syn::Path>);

impl<'ast> Visit<'ast> for PathCollector {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        self.0.push(path.clone());
        syn::visit::visit_path(self, path);
    }
}

/// Nodes a `PathCollector` can walk.
trait Walk {
    fn visit_with(&self, v: &mut PathCollector);
}

macro_rules! visit_with {
    ($($ty:ty => $method:ident),* $(,)?) => {
        $(impl Walk for $ty {
            fn visit_with(&self, v: &mut PathCollector) {
                v.$method(self);
            }
        })*
    };
}

visit_with! {
    syn::Signature => visit_signature,
    syn::Type => visit_type,
    syn::Generics => visit_generics,
    syn::Path => visit_path,
    syn::TypeParamBound => visit_type_param_bound,
    syn::Fields => visit_fields,
}

fn check_items(items: &[syn::Item], pub_types: &BTreeSet<String>, v: &mut HiddenPaths<'_>) {
    for item in items {
        match item {
            syn::Item::Fn(f) if is_pub(&f.vis) => v.scan(format!("fn {}", f.sig.ident), &f.sig),
            syn::Item::Struct(s) if is_pub(&s.vis) => {
                let name = format!("struct {}", s.ident);
                v.scan(name.clone(), &s.generics);
                for field in s.fields.iter().filter(|f| is_pub(&f.vis)) {
                    v.scan(name.clone(), &field.ty);
                }
            }
            syn::Item::Enum(e) if is_pub(&e.vis) => {
                let name = format!("enum {}", e.ident);
                v.scan(name.clone(), &e.generics);
                for variant in &e.variants {
                    v.scan(format!("{name}::{}", variant.ident), &variant.fields);
                }
            }
            syn::Item::Type(t) if is_pub(&t.vis) => {
                v.scan(format!("type {}", t.ident), &t.generics);
                v.scan(format!("type {}", t.ident), &*t.ty);
            }
            syn::Item::Const(c) if is_pub(&c.vis) => v.scan(format!("const {}", c.ident), &*c.ty),
            syn::Item::Static(s) if is_pub(&s.vis) => v.scan(format!("static {}", s.ident), &*s.ty),
            syn::Item::Trait(t) if is_pub(&t.vis) => {
                let name = format!("trait {}", t.ident);
                v.scan(name.clone(), &t.generics);
                for bound in &t.supertraits {
                    v.scan(name.clone(), bound);
                }
                for trait_item in &t.items {
                    match trait_item {
                        syn::TraitItem::Fn(f) => v.scan(format!("{name}::{}", f.sig.ident), &f.sig),
                        syn::TraitItem::Type(ty) => {
                            for bound in &ty.bounds {
                                v.scan(format!("{name}::{}", ty.ident), bound);
                            }
                        }
                        syn::TraitItem::Const(c) => v.scan(format!("{name}::{}", c.ident), &c.ty),
                        _ => {}
                    }
                }
            }
            syn::Item::Use(u) if is_pub(&u.vis) => {
                for (name, full) in use_paths(std::slice::from_ref(item)) {
                    let krate = trim_root(&full).first().cloned().unwrap_or_default();
                    if HIDDEN_CRATES.contains(&krate.as_str()) {
                        v.found.insert((format!("pub use {name}"), full.join("::")));
                    }
                }
            }
            syn::Item::Impl(i) => check_impl(i, pub_types, v),
            syn::Item::Mod(m) if is_pub(&m.vis) || m.content.is_some() => {
                if let Some((_, inner)) = &m.content {
                    check_items(inner, pub_types, v);
                }
            }
            _ => {}
        }
    }
}

fn check_impl(i: &syn::ItemImpl, pub_types: &BTreeSet<String>, v: &mut HiddenPaths<'_>) {
    let syn::Type::Path(self_ty) = &*i.self_ty else { return };
    let Some(last) = self_ty.path.segments.last() else { return };
    let self_name = last.ident.to_string();
    if !pub_types.contains(&self_name) {
        return;
    }
    let header = match &i.trait_ {
        Some((_, path, _)) => format!("impl {} for {self_name}", path.to_token_stream()),
        None => format!("impl {self_name}"),
    };
    v.scan(header.clone(), &*i.self_ty);
    v.scan(header.clone(), &i.generics);
    if let Some((_, path, _)) = &i.trait_ {
        v.scan(header.clone(), path);
    }
    let is_trait_impl = i.trait_.is_some();
    for item in &i.items {
        match item {
            syn::ImplItem::Fn(f) if is_trait_impl || is_pub(&f.vis) => {
                v.scan(format!("{header}: fn {}", f.sig.ident), &f.sig);
            }
            syn::ImplItem::Type(t) if is_trait_impl || is_pub(&t.vis) => {
                v.scan(format!("{header}: type {}", t.ident), &t.ty);
            }
            syn::ImplItem::Const(c) if is_trait_impl || is_pub(&c.vis) => {
                v.scan(format!("{header}: const {}", c.ident), &c.ty);
            }
            _ => {}
        }
    }
}
