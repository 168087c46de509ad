//! Scenario witnesses: ordered patterns of protocol events ([`crate::events`]) that a reviewer
//! names in a scenario file, matched over a run by a small automaton carried in the ghost.
//!
//! A pattern is a list of event patterns such as `rebuild_completes(r)`, `epoch_bump`,
//! `in_sync(r)`: the witness is reached once the run has shown each in turn (other events may
//! come between). An argument is a node (`n1`..`n5`, a variable such as `r`, or `_` for any),
//! `epoch=N` or `lsn=N`. A variable is bound by the first event that matches its step and must
//! name the same node afterwards; two different variables never name the same node, so
//! `promote(a) ... promote(b)` are two nodes.
//!
//! The automaton is greedy: each step of a pattern is taken by the first event that fits it.
//! That keeps its state to one counter and the bound nodes per pattern ([`Progress`]), at the
//! price of missing a match that needs a later event to take a step an earlier one already
//! took (a run where another replica's rebuild completes first binds `r` to that replica); the
//! exhaustive search still explores the run where the wanted event comes first.
//!
//! The decision a reviewer will question: the progress lives in the ghost, so it is part of
//! every state. With no pattern configured it is all zeros in every state and never changes, so
//! the state count of a configuration without scenario witnesses is exactly what it was (the
//! pinned counts in `model/tests/state_space.rs` prove it); the extraction of events is skipped
//! altogether then.

use crate::events::{Event, EventKind};
use serde::{Deserialize, Serialize};
use stateright::actor::Id;
use stateright::{Rewrite, RewritePlan};
use swb_engine::types::{Epoch, Lsn};
use thiserror::Error;

/// The most scenario witnesses one configuration may name.
pub const PATTERNS_MAX: usize = 4;
/// The most events one pattern may list.
pub const PATTERN_STEPS_MAX: usize = 8;
/// The most distinct node variables one pattern may use.
pub const VARIABLES_MAX: usize = 3;

/// A scenario witness as configured: its name and its events, in order, as text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioWitness {
    /// The name the check reports it under (snake_case, unlike every standard property's).
    pub name: String,
    /// The event patterns, in the order the run must show them.
    pub events: Vec<String>,
}

/// Why a scenario witness was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PatternError {
    /// More witnesses than the ghost has room for.
    #[error("{count} scenario witnesses: at most {PATTERNS_MAX}")]
    TooMany {
        /// How many were given.
        count: usize,
    },
    /// A name that is not snake_case or is used twice.
    #[error("scenario witness name {name:?}: {reason}")]
    BadName {
        /// The name.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// A pattern with no event or too many.
    #[error("scenario witness {name:?} lists {count} events: accepted 1 to {PATTERN_STEPS_MAX}")]
    BadLength {
        /// The witness.
        name: String,
        /// How many events it lists.
        count: usize,
    },
    /// An event pattern that does not parse.
    #[error("scenario witness {name:?}, event {text:?}: {reason}")]
    BadEvent {
        /// The witness.
        name: String,
        /// The event pattern as written.
        text: String,
        /// What is wrong, with the accepted forms.
        reason: String,
    },
}

/// Which node an event pattern is about.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NodeRef {
    /// Any node, or none.
    #[default]
    Any,
    /// The node bound to this variable (numbered by first appearance in the pattern).
    Variable(u8),
    /// This node (actor index: `n1` is 1).
    Node(u8),
}

/// One step of a pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventPattern {
    /// The event's kind.
    pub kind: EventKind,
    /// The node it must be about.
    pub node: NodeRef,
    /// The epoch it must carry, if given.
    pub epoch: Option<Epoch>,
    /// The LSN it must carry, if given.
    pub lsn: Option<Lsn>,
}

impl Default for EventPattern {
    fn default() -> Self {
        EventPattern {
            kind: EventKind::Write,
            node: NodeRef::Any,
            epoch: None,
            lsn: None,
        }
    }
}

/// One compiled pattern.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pattern {
    steps: [EventPattern; PATTERN_STEPS_MAX],
    len: u8,
}

impl Pattern {
    /// The steps, in order.
    pub fn steps(&self) -> &[EventPattern] {
        &self.steps[..usize::from(self.len)]
    }
}

/// Every compiled pattern of a configuration: small and `Copy`, so the actors' parameters
/// carry it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Patterns {
    patterns: [Pattern; PATTERNS_MAX],
    count: u8,
}

impl Patterns {
    /// Compiles the configured witnesses, refusing what the automaton cannot carry.
    pub fn compile(witnesses: &[ScenarioWitness]) -> Result<Patterns, PatternError> {
        if witnesses.len() > PATTERNS_MAX {
            return Err(PatternError::TooMany {
                count: witnesses.len(),
            });
        }
        let mut compiled = Patterns::default();
        for (index, witness) in witnesses.iter().enumerate() {
            check_name(&witness.name)?;
            if witnesses[..index]
                .iter()
                .any(|earlier| earlier.name == witness.name)
            {
                return Err(PatternError::BadName {
                    name: witness.name.clone(),
                    reason: "named twice",
                });
            }
            if witness.events.is_empty() || witness.events.len() > PATTERN_STEPS_MAX {
                return Err(PatternError::BadLength {
                    name: witness.name.clone(),
                    count: witness.events.len(),
                });
            }
            let mut variables: Vec<&str> = Vec::new();
            let pattern = &mut compiled.patterns[index];
            for (step, text) in witness.events.iter().enumerate() {
                pattern.steps[step] =
                    parse_event(text, &mut variables).map_err(|reason| PatternError::BadEvent {
                        name: witness.name.clone(),
                        text: text.clone(),
                        reason,
                    })?;
            }
            pattern.len = witness.events.len() as u8;
        }
        compiled.count = witnesses.len() as u8;
        Ok(compiled)
    }

    /// True when no witness is configured.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The compiled patterns, in configuration order.
    pub fn iter(&self) -> impl Iterator<Item = &Pattern> {
        self.patterns[..usize::from(self.count)].iter()
    }

    /// True when some pattern names a node by its name (`n2`): then a renaming of nodes changes
    /// what the pattern matches, and symmetry reduction would be unsound.
    pub fn names_nodes(&self) -> bool {
        self.iter().any(|pattern| {
            pattern
                .steps()
                .iter()
                .any(|step| matches!(step.node, NodeRef::Node(_)))
        })
    }
}

fn check_name(name: &str) -> Result<(), PatternError> {
    let snake = !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !snake {
        return Err(PatternError::BadName {
            name: name.to_owned(),
            reason: "use snake_case (a-z, 0-9, _), starting with a letter",
        });
    }
    Ok(())
}

const EVENT_FORMS: &str = "write `kind`, `kind(node)`, `kind(node, epoch=N, lsn=N)` or \
    `kind(epoch=N)`, where node is n1..n5, a variable (a lowercase name) or _";

/// Parses one event pattern; `variables` numbers the pattern's variables by first appearance.
fn parse_event<'a>(text: &'a str, variables: &mut Vec<&'a str>) -> Result<EventPattern, String> {
    let text = text.trim();
    let (name, arguments) = match text.split_once('(') {
        Some((name, rest)) => {
            let inner = rest
                .strip_suffix(')')
                .ok_or_else(|| format!("no closing parenthesis; {EVENT_FORMS}"))?;
            (name.trim(), inner)
        }
        None => (text, ""),
    };
    let kind = EventKind::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = EventKind::ALL.iter().map(|kind| kind.name()).collect();
        format!("unknown event {name:?}; known events: {}", names.join(", "))
    })?;
    let mut pattern = EventPattern {
        kind,
        ..EventPattern::default()
    };
    for argument in arguments
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        match argument.split_once('=') {
            Some((key, value)) => {
                let (key, value) = (key.trim(), value.trim());
                let number: u64 = value
                    .parse()
                    .map_err(|_| format!("{key}={value:?} is not a number"))?;
                match key {
                    "epoch" if number >= 1 => pattern.epoch = Some(Epoch::new(number)),
                    "epoch" => return Err("epochs start at 1".to_owned()),
                    "lsn" => pattern.lsn = Some(Lsn::new(number)),
                    "node" => return Err(format!("write the node without `node=`; {EVENT_FORMS}")),
                    _ => return Err(format!("unknown argument {key:?}: accepted epoch=N, lsn=N")),
                }
            }
            None => {
                if pattern.node != NodeRef::Any {
                    return Err(format!("two nodes given; {EVENT_FORMS}"));
                }
                pattern.node = parse_node(argument, variables)?;
            }
        }
    }
    Ok(pattern)
}

fn parse_node<'a>(text: &'a str, variables: &mut Vec<&'a str>) -> Result<NodeRef, String> {
    if text == "_" {
        return Ok(NodeRef::Any);
    }
    if let Some(number) = text
        .strip_prefix('n')
        .and_then(|rest| rest.parse::<u8>().ok())
    {
        if (1..=crate::cfg::NODES_MAX).contains(&number) {
            return Ok(NodeRef::Node(number));
        }
        return Err(format!(
            "{text} is not a node: nodes are n1..n{}",
            crate::cfg::NODES_MAX
        ));
    }
    let variable = !text.is_empty()
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !variable {
        return Err(format!("{text:?} is not a node; {EVENT_FORMS}"));
    }
    let index = match variables.iter().position(|known| *known == text) {
        Some(index) => index,
        None => {
            if variables.len() == VARIABLES_MAX {
                return Err(format!(
                    "more than {VARIABLES_MAX} node variables in one witness"
                ));
            }
            variables.push(text);
            variables.len() - 1
        }
    };
    Ok(NodeRef::Variable(index as u8))
}

/// How far a run has matched every configured pattern: per pattern, the steps matched and the
/// node (actor index, 0 while unbound) each variable is bound to. Part of the ghost.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Progress {
    matched: [u8; PATTERNS_MAX],
    bound: [[u8; VARIABLES_MAX]; PATTERNS_MAX],
}

impl Progress {
    /// How many steps of pattern `index` the run has shown.
    pub fn matched(&self, index: usize) -> usize {
        usize::from(self.matched[index])
    }

    /// True when the run has shown every step of pattern `index` of `patterns`.
    pub fn is_reached(&self, patterns: &Patterns, index: usize) -> bool {
        patterns
            .iter()
            .nth(index)
            .is_some_and(|pattern| self.matched[index] == pattern.len)
    }

    /// Feeds one step's events, in order, to every pattern.
    pub fn advance(&mut self, patterns: &Patterns, events: &[Event]) {
        for (index, pattern) in patterns.iter().enumerate() {
            for event in events {
                let Some(step) = pattern.steps().get(usize::from(self.matched[index])) else {
                    break;
                };
                if let Some(binding) = fits(step, event, &self.bound[index]) {
                    self.bound[index] = binding;
                    self.matched[index] += 1;
                }
            }
        }
    }
}

/// Advances `progress` by the events of one actor step; does nothing, not even reading the
/// step, when no pattern is configured.
pub fn observe_step(
    patterns: &Patterns,
    last: &crate::system::State,
    action: &stateright::actor::ActorModelAction<crate::msg::Msg, crate::system::SwbTimer, ()>,
    next: &crate::system::State,
    progress: &mut Progress,
) {
    if patterns.is_empty() {
        return;
    }
    progress.advance(patterns, &crate::events::step_events(last, action, next));
}

/// The bindings after `event` takes `step`, or `None` when it does not fit.
fn fits(
    step: &EventPattern,
    event: &Event,
    bound: &[u8; VARIABLES_MAX],
) -> Option<[u8; VARIABLES_MAX]> {
    if step.kind != event.kind
        || step.epoch.is_some_and(|epoch| event.epoch != Some(epoch))
        || step.lsn.is_some_and(|lsn| event.lsn != Some(lsn))
    {
        return None;
    }
    let node = event.node.map(|id| usize::from(id) as u8);
    let mut binding = *bound;
    match step.node {
        NodeRef::Any => {}
        NodeRef::Node(wanted) => {
            if node != Some(wanted) {
                return None;
            }
        }
        NodeRef::Variable(variable) => {
            let node = node?;
            let slot = usize::from(variable);
            if binding[slot] == 0 {
                // Two variables never name the same node.
                if binding.contains(&node) {
                    return None;
                }
                binding[slot] = node;
            } else if binding[slot] != node {
                return None;
            }
        }
    }
    Some(binding)
}

impl Rewrite<Id> for Progress {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        let mut bound = self.bound;
        for variables in &mut bound {
            for node in variables.iter_mut().filter(|node| **node != 0) {
                *node = usize::from(plan.rewrite(&Id::from(usize::from(*node)))) as u8;
            }
        }
        Progress {
            matched: self.matched,
            bound,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn witness(events: &[&str]) -> ScenarioWitness {
        ScenarioWitness {
            name: "w".to_owned(),
            events: events.iter().map(|text| (*text).to_owned()).collect(),
        }
    }

    fn event(kind: EventKind, node: usize, epoch: u64) -> Event {
        Event {
            kind,
            node: Some(Id::from(node)),
            epoch: Some(Epoch::new(epoch)),
            lsn: None,
        }
    }

    // Goal: the accepted forms parse, and every refusal names what is wrong (table).
    #[test]
    fn event_patterns_parse_or_are_refused_with_a_reason() {
        let cases: [(&str, Option<&str>); 9] = [
            ("epoch_bump", None),
            ("commit(a, epoch=1)", None),
            ("promote(n2)", None),
            ("truncation(_, lsn=0)", None),
            ("epoch_bumps", Some("unknown event")),
            ("promote(n9)", Some("not a node")),
            ("commit(epoch=0)", Some("epochs start at 1")),
            ("commit(a, b)", Some("two nodes")),
            ("commit(a", Some("closing parenthesis")),
        ];
        for (text, refusal) in cases {
            let result = Patterns::compile(&[witness(&[text])]);
            match refusal {
                None => assert!(result.is_ok(), "{text}: {result:?}"),
                Some(reason) => {
                    let error = result.expect_err(text).to_string();
                    assert!(error.contains(reason), "{text}: {error}");
                }
            }
        }
    }

    // Goal: a pattern advances only in order, a variable keeps its node, and two variables
    // never share one.
    #[test]
    fn automaton_matches_in_order_with_bindings() {
        let patterns =
            Patterns::compile(&[witness(&["commit(a, epoch=1)", "promote(b)", "promote(a)"])])
                .expect("compiles");
        let mut progress = Progress::default();
        progress.advance(&patterns, &[event(EventKind::Promote, 2, 2)]);
        assert_eq!(progress.matched(0), 0, "out of order");
        progress.advance(&patterns, &[event(EventKind::Commit, 1, 1)]);
        progress.advance(&patterns, &[event(EventKind::Promote, 1, 2)]);
        assert_eq!(progress.matched(0), 1, "b cannot be a's node");
        progress.advance(&patterns, &[event(EventKind::Promote, 3, 2)]);
        progress.advance(&patterns, &[event(EventKind::Promote, 2, 3)]);
        assert_eq!(progress.matched(0), 2, "a is n1, not n2");
        progress.advance(&patterns, &[event(EventKind::Promote, 1, 4)]);
        assert!(progress.is_reached(&patterns, 0));
    }
}

#[cfg(test)]
mod symmetry_tests {
    //! A witness with variables keeps symmetry reduction sound only if the nodes it binds are
    //! renamed with the state: the representative must not depend on names, and a renamed state
    //! must step to renamings of the original's successor classes (as `system.rs` checks for
    //! the model without witnesses).

    use crate::cfg::{Config, ProtocolVersion};
    use crate::system::SwbModel;
    use crate::witness::ScenarioWitness;

    fn model() -> SwbModel {
        SwbModel::new(&Config {
            protocol: ProtocolVersion::V2,
            writes_max: 1,
            faults_max: 1,
            witnesses: vec![ScenarioWitness {
                name: "timeout_then_back".to_owned(),
                events: vec!["barrier_timeout(r)".to_owned(), "in_sync(r)".to_owned()],
            }],
            ..Config::default()
        })
    }

    // Goal: over the first states breadth first (some with `r` bound), renaming the replicas
    // changes neither the representative nor the successor classes.
    #[test]
    fn bound_variables_are_renamed_with_the_state() {
        use crate::system::tests::{reachable, successor_classes};
        let model = model();
        let mut bound = 0;
        for state in reachable(&model, 3_000) {
            if state.history.scenario.matched(0) > 0 {
                bound += 1;
            }
            let representative = SwbModel::representative(&state);
            let successors = successor_classes(&model, &state);
            let renamed = crate::symmetry::rename(&state, &[0, 1, 3, 2]);
            assert!(SwbModel::representative(&renamed) == representative);
            assert!(successor_classes(&model, &renamed) == successors);
        }
        assert!(bound > 0, "no sampled state bound the variable");
    }
}
