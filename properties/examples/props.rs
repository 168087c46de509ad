//! Development aid: checks every property on a configuration given as key=value pairs.
use stateright::{Checker, Model};
use swb_model::{Config, Mutant};

fn main() {
    let mut config = Config::default();
    let mut depth = None;
    let mut show: Option<String> = None;
    let mut only: Option<String> = None;
    for arg in std::env::args().skip(1) {
        let (key, value) = arg.split_once('=').expect("key=value");
        if key == "mutant" {
            config.mutant =
                Some(serde_json::from_str::<Mutant>(&format!("\"{value}\"")).expect("mutant"));
            continue;
        }
        if key == "only" {
            only = Some(value.to_string());
            continue;
        }
        if key == "show" {
            show = Some(value.to_string());
            continue;
        }
        if key == "protocol" {
            config.protocol = swb_model::ProtocolVersion::from_name(value).expect("protocol");
            continue;
        }
        let value: u8 = value.parse().expect("number");
        match key {
            "writes" => config.writes_max = value,
            "crashes" => config.crashes_max = value,
            "moves" => config.address_changes_max = value,
            "leases" => config.lease_expiries_max = value,
            "partitions" => config.partitions_max = value,
            "timeouts" => config.timeouts_max = value,
            "nodes" => config.nodes = value,
            "rounds" => config.catch_up_rounds_max = value,
            "faults" => config.faults_max = value,
            "depth" => depth = Some(value as usize),
            _ => panic!("unknown {key}"),
        }
    }
    let start = std::time::Instant::now();
    let mut model = swb_properties::build_model(&config);
    if let Some(name) = &only {
        let info = swb_properties::find(name).expect("property");
        model = swb_model::SwbModel::new(&config).with_properties(vec![stateright::Property {
            expectation: stateright::Expectation::Always,
            name: info.name,
            condition: info.condition,
        }]);
    }
    let checker = model
        .checker()
        .threads(2)
        .symmetry_fn(swb_model::SwbModel::representative);
    let checker = match depth {
        Some(d) => checker.target_max_depth(d),
        None => checker,
    };
    let checker = checker.spawn_dfs().join();
    let discoveries = checker.discoveries();
    for property in swb_properties::catalog() {
        let found = discoveries
            .get(property.name)
            .map(|path| path.clone().into_actions().len());
        println!(
            "{:<40} {:<9} {:?}",
            property.name,
            property.kind.name(),
            found
        );
    }
    if let Some(name) = show {
        if let Some(path) = discoveries.get(name.as_str()) {
            let model = checker.model();
            for (state, action) in path.clone().into_vec() {
                if let Some(action) = action {
                    println!("  {}", model.format_action(&action));
                } else {
                    for (index, actor) in state.actor_states.iter().enumerate() {
                        println!("  final {index}: {actor:?}");
                    }
                    println!("  ghost: {:?}", state.history);
                }
            }
        }
    }
    println!(
        "unique {} total {} depth {} in {:.1}s",
        checker.unique_state_count(),
        checker.state_count(),
        checker.max_depth(),
        start.elapsed().as_secs_f64()
    );
}
