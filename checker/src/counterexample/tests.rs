//! Counterexample files: minimal traces, the round trip, determinism, bad input, fuzzing.

use super::*;
use stateright::Path as ModelPath;
use std::path::Path;
use std::sync::OnceLock;
use swb_model::Mutant;

/// The fenced-traffic mutant at tiny bounds: one lease expiry and one write, no other faults.
fn stale_epoch_config() -> Config {
    Config {
        mutant: Some(Mutant::ReplicaAcceptsStaleEpoch),
        lease_expiries_max: 1,
        writes_max: 1,
        crashes_max: 0,
        address_changes_max: 0,
        timeouts_max: 0,
        ..Config::default()
    }
}

const STALE_EPOCH_PROPERTY: &str = "stale_epoch_traffic_is_fenced";

fn budget() -> SearchBudget {
    SearchBudget {
        states_max: SearchBudget::DEFAULT_STATES_MAX,
        interrupt: None,
    }
}

fn property(name: &str) -> PropertyInfo {
    swb_properties::find(name).expect("a catalogued property")
}

/// The minimised counterexample of the stale-epoch mutant, computed once for all tests.
fn stale_epoch_counterexample() -> &'static Counterexample {
    static CELL: OnceLock<Counterexample> = OnceLock::new();
    CELL.get_or_init(|| {
        let config = stale_epoch_config();
        let model = swb_properties::build_model(&config);
        let property = property(STALE_EPOCH_PROPERTY);
        let search = shortest_violations(&model, &[property], usize::MAX, budget(), None);
        let path = search
            .traces
            .get(STALE_EPOCH_PROPERTY)
            .expect("the mutant violates the property")
            .clone();
        Counterexample {
            config,
            scenario: "default".to_owned(),
            property,
            minimality: Minimality::Shortest,
            path,
        }
    })
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("swb-cex-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A violating path as stateright's DFS reports it (not minimal).
fn stateright_dfs_path(config: &Config, threads: usize) -> ModelPath<State, Action> {
    use stateright::{Checker, Model};
    let model = swb_properties::build_model(config);
    let checker = model.checker().threads(threads).spawn_dfs().join();
    checker
        .discoveries()
        .remove(STALE_EPOCH_PROPERTY)
        .expect("DFS finds the violation")
}

fn descriptions(path: &ModelPath<State, Action>) -> Vec<String> {
    path.clone()
        .into_actions()
        .iter()
        .map(swb_model::trace::describe_action)
        .collect()
}

/// Minimal traces.
mod minimal {
    use super::*;

    // Goal (issue 5, minimal traces): a known shortest violation is saved at its shortest
    // length. stateright's DFS reports the stale-epoch violation with more steps; the saved
    // trace has the 4 steps the breadth-first search proves shortest, and it is this literal one.
    #[test]
    fn stale_epoch_violation_is_saved_at_its_shortest_length() {
        let config = stale_epoch_config();
        let model = swb_properties::build_model(&config);
        let found = stateright_dfs_path(&config, 1);
        assert!(
            found.clone().into_actions().len() > 4,
            "DFS is not minimal here"
        );
        let (counterexample, minimised) = Counterexample::minimised(
            &model,
            "default",
            property(STALE_EPOCH_PROPERTY),
            &found,
            budget(),
            None,
        )
        .expect("minimises");
        assert_eq!(counterexample.minimality, Minimality::Shortest);
        #[rustfmt::skip]
        assert_eq!(descriptions(&minimised.path), vec![
            "coordinator: lease expires",
            "coordinator → n2: new_epoch(e2, C=0)",
            "n1: client write",
            "n1 → n2: write(e1, lsn 1, to v1)",
        ]);
        let dir = scratch_dir("shortest");
        let file = save(&counterexample, &dir).expect("saves");
        assert_eq!(load(&file).expect("loads").document.steps.len(), 4);
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    // Goal: the one-pass search agrees with stateright's iterative deepening
    // (`target_max_depth`, one thread, stopping at the first discovery): no depth below 4
    // violates the property, depth 4 does.
    #[test]
    fn shortest_length_agrees_with_stateright_iterative_deepening() {
        use stateright::{Checker, HasDiscoveries, Model};
        let model = swb_properties::build_model(&stale_epoch_config());
        let first_violating_depth = (0..=8).find(|actions_max: &usize| {
            // stateright counts the initial state as depth 1 and skips states at the target.
            model
                .clone()
                .checker()
                .threads(1)
                .target_max_depth(actions_max + 2)
                .finish_when(HasDiscoveries::AnyOf([STALE_EPOCH_PROPERTY].into()))
                .spawn_bfs()
                .join()
                .discovery(STALE_EPOCH_PROPERTY)
                .is_some()
        });
        assert_eq!(first_violating_depth, Some(4));
        assert_eq!(stale_epoch_counterexample().action_count(), 4);
    }

    // Goal: when the search budget runs out, the found trace is shrunk instead: it still
    // violates the property, is no longer than the found one, and no single step can go.
    #[test]
    fn exhausted_budget_shrinks_found_trace_to_one_minimal() {
        let config = stale_epoch_config();
        let model = swb_properties::build_model(&config);
        let property = property(STALE_EPOCH_PROPERTY);
        let found = stateright_dfs_path(&config, 1);
        let tiny = SearchBudget {
            states_max: 2,
            interrupt: None,
        };
        let minimised = minimise(&model, &property, &found, tiny, None).expect("shrinks");
        assert_eq!(minimised.minimality, Minimality::Shrunk);
        assert_eq!(minimised.stopped_by, Some(MinimiseStop::StatesMax));
        let actions = minimised.path.clone().into_actions();
        assert!(actions.len() <= found.clone().into_actions().len());
        assert!(!(property.condition)(&model, minimised.path.last_state()));
        for drop in 0..actions.len() {
            let mut shorter = actions.clone();
            shorter.remove(drop);
            let still_violates = replay(&model, &shorter)
                .is_some_and(|path| !(property.condition)(&model, path.last_state()));
            assert!(!still_violates, "step {} could still be dropped", drop + 1);
        }
    }

    // Goal (issue 7): `--memory-limit` holds during minimisation too. With a limit below what
    // any process holds, the breadth-first search stops at its first poll and shrinking stops
    // before its first candidate: the trace kept is the found one cut at its first violating
    // state, marked partial, with the memory limit named; it still violates the property.
    #[test]
    fn memory_limit_stops_minimisation_and_keeps_found_trace_as_partial() {
        let config = stale_epoch_config();
        let model = swb_properties::build_model(&config);
        let property = property(STALE_EPOCH_PROPERTY);
        let found = stateright_dfs_path(&config, 1);
        let tiny = Some(crate::memory::MemoryLimit::from_bytes(1));
        let minimised = minimise(&model, &property, &found, budget(), tiny).expect("keeps a trace");
        assert_eq!(minimised.minimality, Minimality::Partial);
        assert_eq!(minimised.stopped_by, Some(MinimiseStop::MemoryLimit));
        assert!(
            minimised.states_visited <= 1,
            "{}",
            minimised.states_visited
        );
        let found_actions = found.clone().into_actions();
        let first_violation = found
            .clone()
            .into_states()
            .iter()
            .position(|state| !(property.condition)(&model, state))
            .expect("the found path violates the property");
        assert_eq!(
            minimised.path.clone().into_actions(),
            found_actions[..first_violation].to_vec()
        );
        assert!(!(property.condition)(&model, minimised.path.last_state()));
    }

    // Goal: the saved trace does not depend on the thread count of the search that found it
    // (STYLE: a reported counterexample is picked by a total order).
    #[test]
    fn saved_bytes_do_not_depend_on_thread_count() {
        let config = stale_epoch_config();
        let model = swb_properties::build_model(&config);
        let bytes = |threads| {
            let found = stateright_dfs_path(&config, threads);
            let (counterexample, _) = Counterexample::minimised(
                &model,
                "default",
                property(STALE_EPOCH_PROPERTY),
                &found,
                budget(),
                None,
            )
            .expect("minimises");
            counterexample.document().to_bytes()
        };
        assert!(
            bytes(1) == bytes(2),
            "1 and 2 threads saved different files"
        );
    }
}

/// Saving and loading.
mod round_trip {
    use super::*;

    // Goal: save → load gives the same model path, under the documented file name.
    #[test]
    fn saved_file_loads_back_as_the_same_path() {
        let counterexample = stale_epoch_counterexample();
        let dir = scratch_dir("round-trip");
        let file = save(counterexample, &dir).expect("saves");
        assert_eq!(
            file,
            dir.join("default/v2/stale_epoch_traffic_is_fenced.json")
        );
        let loaded = load(&file).expect("loads");
        assert_eq!(loaded.path, counterexample.path);
        assert_eq!(loaded.config(), &counterexample.config);
        assert_eq!(loaded.property.name, STALE_EPOCH_PROPERTY);
        assert!(loaded.still_violates());
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    // Goal: the same trace saved twice gives identical bytes.
    #[test]
    fn same_trace_saves_identical_bytes() {
        let counterexample = stale_epoch_counterexample();
        let (first, second) = (scratch_dir("bytes-1"), scratch_dir("bytes-2"));
        let read = |dir: &Path| {
            std::fs::read(save(counterexample, dir).expect("saves")).expect("reads back")
        };
        assert!(read(&first) == read(&second));
        std::fs::remove_dir_all(&first).expect("clean up");
        std::fs::remove_dir_all(&second).expect("clean up");
    }

    // Goal: a scenario name that would leave the output directory is refused.
    #[test]
    fn scenario_outside_output_directory_is_refused() {
        let mut counterexample = stale_epoch_counterexample().clone();
        for name in ["../escape", "a/b", "", ".hidden"] {
            counterexample.scenario = name.to_owned();
            assert_eq!(
                counterexample.file_in(Path::new("out")),
                Err(TraceError::InvalidName {
                    name: name.to_owned()
                }),
                "scenario {name:?}"
            );
        }
    }
}

/// Bad input: each kind gives its own error variant (issue 5, "Bad input").
mod bad_input {
    use super::*;
    use serde_json::{json, Value};

    fn valid_value() -> Value {
        serde_json::from_slice(&stale_epoch_counterexample().document().to_bytes())
            .expect("a saved file is JSON")
    }

    fn parse_value(value: &Value) -> Result<Loaded, TraceError> {
        parse(Path::new("x.json"), value.to_string().as_bytes())
    }

    fn file() -> PathBuf {
        PathBuf::from("x.json")
    }

    #[test]
    fn missing_file_is_unreadable() {
        let missing = Path::new("/nonexistent/swb/counterexample.json");
        assert!(matches!(
            load(missing),
            Err(TraceError::Unreadable { file, .. }) if file == missing
        ));
    }

    #[test]
    fn non_json_and_wrong_shapes_are_malformed() {
        let cases: [&[u8]; 5] = [
            b"",
            b"not json",
            b"{\"format\": 1}",
            b"[1, 2]",
            b"{\"format\": \"one\"}",
        ];
        for bytes in cases {
            assert!(
                matches!(parse(&file(), bytes), Err(TraceError::Malformed { .. })),
                "input {:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn other_format_version_is_unknown_format() {
        let mut value = valid_value();
        value["format"] = json!(2);
        assert_eq!(
            parse_value(&value).err(),
            Some(TraceError::UnknownFormat {
                file: file(),
                found: 2,
                supported: FORMAT
            })
        );
    }

    #[test]
    fn property_not_in_catalog_is_unknown_property() {
        let mut value = valid_value();
        value["property"]["name"] = json!("no_such_property");
        assert_eq!(
            parse_value(&value).err(),
            Some(TraceError::UnknownProperty {
                file: file(),
                property: "no_such_property".to_owned()
            })
        );
    }

    // Goal: a file naming a `sometimes` is a witness trace (`check --witness-dir`): it loads,
    // and "still violates" reads as "still reaches the witness" on its last state.
    #[test]
    fn sometimes_property_loads_as_a_witness_trace() {
        let mut value = valid_value();
        value["property"]["name"] = json!("commit_happens");
        let loaded = parse_value(&value).expect("a witness trace loads");
        assert_eq!(
            loaded.property.kind,
            swb_properties::PropertyKind::Sometimes
        );
        let reached = (loaded.property.condition)(&loaded.model, loaded.path.last_state());
        assert_eq!(loaded.still_violates(), reached);
    }

    #[test]
    fn invalid_or_inconsistent_configuration_is_refused() {
        let mut out_of_range = valid_value();
        out_of_range["config"]["nodes"] = json!(9);
        let mut unknown_field = valid_value();
        unknown_field["config"]["colour"] = json!("blue");
        let mut other_protocol = valid_value();
        other_protocol["protocol"] = json!("v1");
        assert!(matches!(
            parse_value(&out_of_range),
            Err(TraceError::ConfigInvalid { .. })
        ));
        assert!(matches!(
            parse_value(&unknown_field),
            Err(TraceError::Malformed { .. })
        ));
        assert!(matches!(
            parse_value(&other_protocol),
            Err(TraceError::ConfigInvalid { .. })
        ));
    }

    // Goal: a trace recorded under another configuration is caught: four nodes change the
    // initial state; without the mutant n2 fences the stale write n1 sends at the third step,
    // and the fenced-traffic reduction (D35) delivers it at once: the third state already
    // differs (the fencing witness is recorded).
    #[test]
    fn trace_under_other_configuration_is_refused() {
        let mut more_nodes = valid_value();
        more_nodes["config"]["nodes"] = json!(4);
        assert_eq!(
            parse_value(&more_nodes).err(),
            Some(TraceError::InitialStateMismatch {
                file: file(),
                field: "coordinator.endpoints".to_owned()
            })
        );
        let mut no_mutant = valid_value();
        no_mutant["config"]
            .as_object_mut()
            .expect("config is an object")
            .remove("mutant");
        assert_eq!(
            parse_value(&no_mutant).err(),
            Some(TraceError::StateMismatch {
                file: file(),
                step: 3,
                field: "ghost.witnessed".to_owned()
            })
        );
    }

    // Goal: an action the model does not take there names its step.
    #[test]
    fn unknown_action_names_its_step() {
        let mut value = valid_value();
        value["steps"][1]["action"]["deliver"]["msg"]["NewEpoch"]["epoch"] = json!(7);
        assert_eq!(
            parse_value(&value).err(),
            Some(TraceError::UnknownStep {
                file: file(),
                step: 2,
                description: "coordinator → n2: new_epoch(e2, C=0)".to_owned()
            })
        );
    }

    // Goal: an edited state is caught at its step, naming the field.
    #[test]
    fn edited_state_names_step_and_field() {
        let mut value = valid_value();
        value["steps"][2]["state"]["coordinator"]["committed"] = json!(5);
        assert_eq!(
            parse_value(&value).err(),
            Some(TraceError::StateMismatch {
                file: file(),
                step: 3,
                field: "coordinator.committed".to_owned()
            })
        );
    }

    // Goal: every error renders as one line that names the file.
    #[test]
    fn every_error_is_one_line_naming_the_file() {
        let mut value = valid_value();
        value["steps"][0]["description"] = json!("two\nlines");
        value["steps"][0]["action"] = json!({"crash": "n1"});
        let error = parse_value(&value).err().expect("refused");
        let text = error.to_string();
        assert!(text.starts_with("x.json: "), "{text}");
        assert_eq!(text.lines().count(), 1, "{text}");
    }
}

/// `show` and `--svg`.
mod rendering {
    use super::*;

    fn loaded() -> Loaded {
        let bytes = stale_epoch_counterexample().document().to_bytes();
        parse(Path::new("x.json"), &bytes).expect("parses")
    }

    // Goal: the narrative numbers every step, lists what changed, and ends with the reason.
    #[test]
    fn narrative_numbers_steps_and_ends_with_reason() {
        let text = show::narrative(&loaded());
        for step in 1..=4 {
            assert!(
                text.lines()
                    .any(|line| line.starts_with(&format!("{step}. "))),
                "step {step} missing:\n{text}"
            );
        }
        assert!(text.contains("coordinator.epoch: 1 → 2"), "{text}");
        assert!(text.contains("n2.wal.received: 0 → 1"), "{text}");
        assert!(text.contains("why it fails"), "{text}");
        assert!(
            text.contains("The state after step 4 violates it."),
            "{text}"
        );
    }

    // Goal: the chart is an SVG document with one arrow per delivery.
    #[test]
    fn chart_has_one_arrow_per_delivery() {
        let loaded = loaded();
        let chart = svg::chart(&loaded.document);
        let deliveries = loaded
            .document
            .steps
            .iter()
            .filter(|record| matches!(record.action, StepView::Deliver { .. }))
            .count();
        assert!(chart.starts_with("<svg"));
        assert!(chart.ends_with("</svg>\n"));
        assert_eq!(deliveries, 2);
        assert_eq!(chart.matches(r#"class="delivery""#).count(), deliveries);
    }

    #[test]
    fn svg_text_is_escaped() {
        assert_eq!(
            svg::escape("a<b>&\"c'\u{1}\n"),
            "a&lt;b&gt;&amp;&quot;c&apos; "
        );
    }
}

/// Fuzzing the reader (issue 7): arbitrary bytes never panic `parse`, `show` or the chart.
mod fuzz {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    fn valid_bytes() -> &'static [u8] {
        static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
        BYTES.get_or_init(|| stale_epoch_counterexample().document().to_bytes())
    }

    /// Parses and, when the bytes are accepted, renders: none of it may panic.
    fn read_and_render(bytes: &[u8]) {
        if let Ok(loaded) = parse(Path::new("fuzz.json"), bytes) {
            let _ = show::narrative(&loaded);
            let _ = svg::chart(&loaded.document);
        }
    }

    /// Every leaf of a JSON value, as a JSON pointer.
    fn leaves(value: &Value, at: String, out: &mut Vec<String>) {
        match value {
            Value::Object(fields) => {
                for (key, nested) in fields {
                    leaves(nested, format!("{at}/{key}"), out);
                }
            }
            Value::Array(elements) => {
                for (index, nested) in elements.iter().enumerate() {
                    leaves(nested, format!("{at}/{index}"), out);
                }
            }
            _ => out.push(at),
        }
    }

    fn any_json() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<u64>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (0u64..8).prop_map(Value::from),
            "[a-z0-9_ ]{0,12}".prop_map(Value::from),
            Just(serde_json::json!([])),
            Just(serde_json::json!({})),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            read_and_render(&bytes);
        }

        #[test]
        fn arbitrary_json_never_panics(value in any_json()) {
            read_and_render(value.to_string().as_bytes());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        // Byte-level damage to a valid file: flips, cuts, insertions.
        #[test]
        fn damaged_valid_file_never_panics(
            edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 1..6),
        ) {
            let mut bytes = valid_bytes().to_vec();
            for (position, byte, kind) in edits {
                let at = position % (bytes.len() + 1);
                match kind {
                    0 if at < bytes.len() => bytes[at] = byte,
                    1 => bytes.truncate(at),
                    _ => bytes.insert(at, byte),
                }
            }
            read_and_render(&bytes);
        }

        // Value-level damage: one leaf of a valid file replaced, so the file stays JSON and
        // mostly well-shaped, and the loader's deeper checks are what must hold.
        #[test]
        fn edited_valid_file_never_panics(choice in any::<usize>(), replacement in any_json()) {
            let mut value: Value = serde_json::from_slice(valid_bytes()).expect("valid JSON");
            let mut pointers = Vec::new();
            leaves(&value, String::new(), &mut pointers);
            let pointer = &pointers[choice % pointers.len()];
            if let Some(leaf) = value.pointer_mut(pointer) {
                *leaf = replacement;
            }
            read_and_render(value.to_string().as_bytes());
        }
    }
}
