//! `swb-check explore`: stateright's Explorer (`CheckerBuilder::serve`) on 127.0.0.1, for the
//! chosen configuration, scenario and protocol, or for a saved counterexample's configuration.
//!
//! 1. The Explorer renders each state with `{:#?}` and each action with `Model::format_action`,
//!    so the model needs no serialisation support beyond the `Debug` and `Hash` the checker
//!    already requires.
//! 2. stateright 0.31 addresses a state by its path of indices, not fingerprints:
//!    `#/steps/<initial state index>/<action index>/...`, each action index its position among the
//!    actions the model offers in the state before (`ui/app.js`, `Path::encode`). The URL of a
//!    counterexample's last state is that encoding of its rebuilt path.
//! 3. `serve` panics when it cannot bind (tiny_http's `unwrap`), so the port is bound and
//!    released first: a port in use is one error line and exit 2, not a panic. Another process
//!    could take the port in between; that race ends in stateright's panic message.
//! 4. `serve` blocks for the life of the process (it joins the web thread).

use crate::cli::ExploreArgs;
use crate::output::outln;
use anyhow::Context;
use std::net::{Ipv4Addr, TcpListener};
use std::process::ExitCode;
use swb_model::Config;

/// The configuration `explore` serves, its description, and the path to open, if any.
struct Target {
    config: Config,
    description: String,
    /// `#/steps/...` of a counterexample's last state.
    steps: Option<String>,
}

fn resolve(args: &ExploreArgs) -> anyhow::Result<Target> {
    if let Some(file) = &args.counterexample {
        let loaded = crate::counterexample::load(file)?;
        let steps = format!("#/steps/{}", loaded.path.encode(&loaded.model));
        return Ok(Target {
            config: loaded.config().clone(),
            description: format!(
                "counterexample {} ({} under {}, scenario {})",
                file.display(),
                loaded.property.name,
                loaded.config().protocol,
                loaded.scenario()
            ),
            steps: Some(steps),
        });
    }
    let (config, scenario) = crate::scenario::scenario_config(
        args.config.as_deref(),
        args.scenario.as_deref(),
        args.protocol,
    )?;
    Ok(Target {
        description: format!("scenario {scenario} under {}", config.protocol),
        config,
        steps: None,
    })
}

/// `swb-check explore`.
pub fn command(args: &ExploreArgs) -> anyhow::Result<ExitCode> {
    use stateright::Model;
    let target = resolve(args)?;
    let address = (Ipv4Addr::LOCALHOST, args.port);
    drop(
        TcpListener::bind(address)
            .with_context(|| format!("cannot listen on 127.0.0.1:{}", args.port))?,
    );
    let model = swb_properties::build_model(&target.config);
    let base = format!("http://127.0.0.1:{}/", args.port);
    let mut out = String::new();
    outln!(out, "swb-check explore: {}", target.description);
    outln!(out, "Explorer: {base}");
    if let Some(steps) = &target.steps {
        outln!(out, "counterexample's last state: {base}{steps}");
    }
    outln!(out, "stop with Ctrl-C");
    crate::output::write_stdout(&out)?;
    // `serve` returns only if its web thread ends, which it does not do on its own.
    model.checker().serve(address);
    Ok(ExitCode::SUCCESS)
}
