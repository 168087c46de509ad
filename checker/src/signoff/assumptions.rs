//! The assumptions the model rests on, read from `docs/design.md` §3 ("Assumptions and the
//! abstraction boundary") so the report never carries a second copy that could drift: the
//! document is embedded at build time and parsed here, and a test fails if the section cannot
//! be found or has no entries.

/// The design document, as built into this binary.
const DESIGN: &str = include_str!("../../../docs/design.md");

/// One bullet of the assumptions section: its bold lead (without the final `.` or `:`) and the
/// rest of its text, continuation lines joined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assumption {
    pub title: String,
    pub text: String,
}

/// The assumptions section could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AssumptionsError {
    #[error("docs/design.md has no `## ... Assumptions ...` section")]
    NoSection,
    #[error("docs/design.md's assumptions section has no `- **title** text` entries")]
    NoEntries,
}

/// The heading of the section and its bullets, from the embedded `docs/design.md`.
pub fn assumptions() -> Result<(String, Vec<Assumption>), AssumptionsError> {
    parse(DESIGN)
}

/// Finds the first level-2 heading that mentions assumptions and reads its bullets up to the
/// next level-2 heading. A bullet is `- **Title.** text`; indented lines continue it.
pub fn parse(document: &str) -> Result<(String, Vec<Assumption>), AssumptionsError> {
    let mut lines = document.lines();
    let heading = lines
        .by_ref()
        .find(|line| line.starts_with("## ") && line.to_lowercase().contains("assumption"))
        .ok_or(AssumptionsError::NoSection)?;
    let heading = heading.trim_start_matches('#').trim().to_owned();
    let mut bullets: Vec<String> = Vec::new();
    for line in lines {
        if line.starts_with("## ") || line.starts_with("# ") {
            break;
        }
        if let Some(rest) = line.strip_prefix("- ") {
            bullets.push(rest.trim().to_owned());
        } else if line.starts_with(' ') && !line.trim().is_empty() {
            if let Some(last) = bullets.last_mut() {
                last.push(' ');
                last.push_str(line.trim());
            }
        }
    }
    let entries: Vec<Assumption> = bullets
        .iter()
        .map(|bullet| match split_bold_lead(bullet) {
            Some((title, text)) => Assumption { title, text },
            None => Assumption {
                title: String::new(),
                text: bullet.clone(),
            },
        })
        .collect();
    if entries.is_empty() {
        return Err(AssumptionsError::NoEntries);
    }
    Ok((heading, entries))
}

/// `**Title.** text` → (`Title`, `text`).
fn split_bold_lead(bullet: &str) -> Option<(String, String)> {
    let rest = bullet.strip_prefix("**")?;
    let (title, text) = rest.split_once("**")?;
    let title = title.trim().trim_end_matches(['.', ':']).trim().to_owned();
    Some((title, text.trim().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: the checked-in design document's assumptions section parses into titled entries,
    // including the "left out" list (the abstraction boundary).
    #[test]
    fn design_document_assumptions_parse() {
        let (heading, entries) = assumptions().expect("the section parses");
        assert!(heading.contains("Assumptions"), "{heading}");
        assert!(entries.len() >= 3, "{entries:?}");
        for entry in &entries {
            assert!(!entry.title.is_empty(), "{entry:?}");
            assert!(!entry.text.is_empty(), "{entry:?}");
        }
        assert!(entries.iter().any(|entry| entry.title == "Left out"));
    }

    // Goal: continuation lines join their bullet, the section ends at the next heading, and a
    // document without the section or without bullets is refused.
    #[test]
    fn parse_joins_continuations_and_refuses_missing_sections() {
        let document = "# t\n## 2. Other\n- **No.** x\n## 3. Assumptions\n\n- **One.** a\n  b\n- **Two:** c\n## 4. Next\n- **Three.** d\n";
        let (_, entries) = parse(document).expect("parses");
        assert_eq!(
            entries,
            vec![
                Assumption {
                    title: "One".into(),
                    text: "a b".into()
                },
                Assumption {
                    title: "Two".into(),
                    text: "c".into()
                },
            ]
        );
        assert_eq!(parse("# t\n## 1. x\n"), Err(AssumptionsError::NoSection));
        assert_eq!(
            parse("## Assumptions\ntext\n## Next\n"),
            Err(AssumptionsError::NoEntries)
        );
    }
}
