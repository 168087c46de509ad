//! The models a command can run on: the sw-block protocol model (the product), stateright's
//! paxos example (the benchmark reference) and the counters self-test model (the tool's tests).
//!
//! Commands are generic over the model type, so a command is a [`ModelTask`] and [`with_model`]
//! hands it the chosen model; the search code never names a concrete model.

use crate::bench::paxos;
pub use crate::check::SymmetryFn;
use crate::cli::ModelChoice;
use crate::report::ModelInfo;
use crate::supervise::EndStates;
use crate::toy::{Counters, CountersState, Variant};
use anyhow::Context;
use stateright::Representative;
use std::fmt::Debug;
use std::hash::Hash;
use std::path::Path;
use swb_model::{Config, SwbModel};

/// A model the checker can run: what stateright's checkers and path reconstruction require.
pub trait CheckableModel:
    EndStates<
        State: Clone + Debug + Hash + PartialEq + Send + Sync + 'static,
        Action: Clone + Debug + PartialEq + Send + Sync + 'static,
    > + Send
    + Sync
    + 'static
{
}

impl<M> CheckableModel for M
where
    M: EndStates + Send + Sync + 'static,
    M::State: Clone + Debug + Hash + PartialEq + Send + Sync + 'static,
    M::Action: Clone + Debug + PartialEq + Send + Sync + 'static,
{
}

/// The protocol model's end states are judged by `swb_properties::progress::end_state` (D45).
impl EndStates for SwbModel {
    const END_STATE_PROPERTY: Option<&'static str> = Some("end_states_are_valid");

    fn end_state_is_valid(&self, state: &Self::State) -> Option<bool> {
        swb_properties::progress::end_state(self, state)
            .map(|end| end == swb_properties::progress::EndState::Valid)
    }
}

impl EndStates for Counters {}

/// Work to do on whichever model was chosen.
pub trait ModelTask {
    type Output;

    /// Runs on `model`, described by `info`.
    fn run<M: CheckableModel>(
        self,
        model: M,
        symmetry: SymmetryFn<M>,
        info: ModelInfo,
    ) -> anyhow::Result<Self::Output>;
}

/// Builds the chosen model (reading `config` for the protocol model) and runs `task` on it.
pub fn with_model<T: ModelTask>(
    choice: ModelChoice,
    config: Option<&Path>,
    task: T,
) -> anyhow::Result<T::Output> {
    if choice != ModelChoice::SwBlock {
        anyhow::ensure!(
            config.is_none(),
            "--config applies only to the sw-block protocol model"
        );
    }
    let counters_symmetry: SymmetryFn<Counters> = Some(CountersState::representative);
    match choice {
        ModelChoice::SwBlock => with_default_model(config, task),
        ModelChoice::Paxos => task.run(
            paxos::reference_model(),
            None,
            reference_info("paxos", "3-servers-3-clients"),
        ),
        ModelChoice::Toy => task.run(
            Counters::small(Variant::Sound),
            counters_symmetry,
            reference_info("counters", "sound"),
        ),
        ModelChoice::ToyBroken => task.run(
            Counters::small(Variant::Broken),
            counters_symmetry,
            reference_info("counters", "broken"),
        ),
        ModelChoice::ToyLarge => task.run(
            Counters::large(),
            counters_symmetry,
            reference_info("counters", "large"),
        ),
    }
}

fn reference_info(protocol: &str, scenario: &str) -> ModelInfo {
    ModelInfo::new(protocol.to_owned(), scenario.to_owned(), None)
}

/// The name a configuration file gives its check: the file's stem.
pub fn config_name(path: &std::path::Path) -> String {
    path.file_stem().map_or_else(
        || "config".to_owned(),
        |stem| stem.to_string_lossy().into_owned(),
    )
}

/// Builds the protocol model, with every property of `swb_properties`, from `config` (a JSON or
/// TOML file, or the embedded default). The scenario is the file's stem, or `default`.
fn with_default_model<T: ModelTask>(config: Option<&Path>, task: T) -> anyhow::Result<T::Output> {
    let (config, scenario) = match config {
        Some(path) => {
            let config = Config::from_path(path).context("reading the configuration")?;
            config
                .validate()
                .with_context(|| format!("checking the configuration {}", path.display()))?;
            (config, config_name(path))
        }
        None => {
            let config = Config::embedded_default();
            config
                .validate()
                .context("checking the embedded default configuration")?;
            (config, "default".to_owned())
        }
    };
    let info = ModelInfo::of_config(&config, scenario);
    let model = swb_properties::build_model(&config);
    let symmetry = crate::scenario::symmetry_for(&config);
    task.run(model, symmetry, info)
}
