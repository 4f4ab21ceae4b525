//! Criterion benches of cryosar; see `benches/`.
