//! Criterion benchmarks of the protocol's hot paths (filled in below).
fn main() {}
