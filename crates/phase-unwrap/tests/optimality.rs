//! The solver's optimum against OR-Tools' `SimpleMinCostFlow` on the same
//! networks: 24 random residue networks and the networks of the six
//! synthetic cases. Expected costs were computed by
//! `tools/reference/unwrap_ortools.py` (OR-Tools 9.15), which builds the dual
//! network from the text independently of this crate and appends
//! `optimal_cost` to each file in `tests/data/networks/`.

use phase_unwrap::synthetic::{scene, Case};
use phase_unwrap::{residue_network, Network, UnwrapParams};

fn fixtures() -> Vec<(String, Network, i64)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/networks");
    let mut out = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap();
        let (net, extra) = Network::from_text(&text).unwrap();
        let cost = extra
            .iter()
            .find(|(k, _)| k == "optimal_cost")
            .map(|(_, v)| v.parse::<i64>().unwrap())
            .expect("optimal_cost line");
        out.push((
            p.file_name().unwrap().to_string_lossy().into_owned(),
            net,
            cost,
        ));
    }
    out
}

#[test]
fn optimal_cost_equals_ortools_on_every_network() {
    let all = fixtures();
    assert!(
        all.iter()
            .filter(|(n, _, _)| n.starts_with("random_"))
            .count()
            >= 20
    );
    assert_eq!(
        all.iter()
            .filter(|(n, _, _)| n.starts_with("synthetic_"))
            .count(),
        6
    );
    let mut nonzero = 0;
    for (name, net, expected) in &all {
        let (flows, stats) = net.solve().unwrap();
        assert!(net.is_feasible(&flows), "{name}: flow violates a supply");
        assert_eq!(
            stats.total_cost, *expected,
            "{name}: cost differs from OR-Tools"
        );
        assert_eq!(net.cost(&flows), *expected);
        nonzero += (*expected > 0) as usize;
    }
    assert!(nonzero >= 28);
}

#[test]
fn synthetic_fixture_networks_are_what_the_builder_makes() {
    // The stored synthetic networks are exactly those of the current
    // network builder (so the OR-Tools optimum applies to today's code).
    for case in Case::all() {
        let s = scene(case, 40, 40, 7);
        let net = residue_network(
            &s.wrapped,
            Some(&s.coherence),
            s.mask.as_ref(),
            &UnwrapParams::default().looks(s.looks),
        )
        .unwrap();
        let stored = fixtures()
            .into_iter()
            .find(|(n, _, _)| *n == format!("synthetic_{}.txt", case.name()))
            .unwrap()
            .1;
        assert_eq!(net, stored, "{}", case.name());
    }
}

#[test]
fn text_round_trip_and_parse_errors() {
    let (_, net, _) = fixtures().into_iter().next().unwrap();
    let (back, _) = Network::from_text(&net.to_text()).unwrap();
    assert_eq!(back, net);
    let bad = net.to_text().replace("supply ", "supply x");
    assert!(matches!(
        Network::from_text(&bad),
        Err(phase_unwrap::UnwrapError::Parse { .. })
    ));
}

#[test]
fn progress_reports_every_unit_sent_and_changes_nothing() {
    for (name, net, _) in fixtures() {
        let calls = std::cell::RefCell::new(Vec::new());
        let (flows, stats) = net
            .solve_with_progress(&|done, total| calls.borrow_mut().push((done, total)))
            .unwrap();
        assert_eq!((flows, stats), net.solve().unwrap(), "{name}");
        let calls = calls.into_inner();
        // The units to send: the positive supplies, the ground's included.
        let total = net
            .supply()
            .iter()
            .map(|&s| s.max(0) as usize)
            .sum::<usize>()
            + net.ground_supply().max(0) as usize;
        assert_eq!(stats.augmentations, total, "{name}");
        assert_eq!(calls.first(), Some(&(0, total)), "{name}");
        assert_eq!(calls.last(), Some(&(total, total)), "{name}");
        assert!(calls
            .windows(2)
            .all(|w| w[0].0 <= w[1].0 && w[1].1 == total));
    }
}
