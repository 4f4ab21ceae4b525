//! The `cryosar` command-line program.
fn main() {}
