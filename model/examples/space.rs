//! Prints the state-space size of a configuration (a development aid).
use stateright::{Checker, Model};
use swb_model::{Config, SwbModel};

fn main() {
    let mut config = Config::default();
    let mut depth = None;
    for arg in std::env::args().skip(1) {
        let (key, value) = arg.split_once('=').expect("key=value");
        let value: u8 = value.parse().expect("number");
        match key {
            "writes" => config.writes_max = value,
            "crashes" => config.crashes_max = value,
            "moves" => config.address_changes_max = value,
            "leases" => config.lease_expiries_max = value,
            "partitions" => config.partitions_max = value,
            "timeouts" => config.timeouts_max = value,
            "nodes" => config.nodes = value,
            "depth" => depth = Some(value as usize),
            _ => panic!("unknown {key}"),
        }
    }
    let threads = 2;
    let start = std::time::Instant::now();
    let model = SwbModel::new(&config)
        .with_properties(vec![stateright::Property::always("true", |_, _| true)]);
    let checker = model.checker().threads(threads);
    let checker = if std::env::var("NOSYM").is_ok() {
        checker
    } else {
        checker.symmetry_fn(SwbModel::representative)
    };
    let checker = match depth {
        Some(d) => checker.target_max_depth(d),
        None => checker,
    };
    let checker = checker.spawn_dfs().join();
    println!(
        "{config:?}\nunique {} total {} depth {} in {:.1}s",
        checker.unique_state_count(),
        checker.state_count(),
        checker.max_depth(),
        start.elapsed().as_secs_f64()
    );
}
