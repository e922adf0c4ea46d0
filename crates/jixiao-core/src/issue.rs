//! Problems found in a scheme, organisation or data file, said so a person can act on them:
//! which file, where inside it, what is wrong and how to fix it, in Chinese and English.

use crate::text::{Lang, Text};
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    /// Worth knowing, nothing to fix (e.g. units another scheme assesses).
    Note,
}

/// Where inside a file a problem is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Location {
    /// A path inside a structured document, e.g. `classes.street.modules[2].indicators[4].target`.
    Path { path: String },
    /// A line and column of a text document (1-based; columns count characters).
    Line { line: usize, column: usize },
    /// A row of a table and, when known, its column (rows 1-based, counting the header).
    Cell { row: usize, column: Option<String> },
    /// The file as a whole.
    File,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub severity: Severity,
    /// A stable code for programs and documentation, e.g. `weights_mismatch`.
    pub code: &'static str,
    pub file: String,
    pub location: Location,
    pub message: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<Text>,
    /// What was in the cell at fault, as written (for a report that shows it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl Issue {
    pub fn error(code: &'static str, file: &str, location: Location, message: Text) -> Issue {
        Issue {
            severity: Severity::Error,
            code,
            file: file.to_owned(),
            location,
            message,
            hint: None,
            value: None,
        }
    }

    pub fn warning(code: &'static str, file: &str, location: Location, message: Text) -> Issue {
        Issue {
            severity: Severity::Warning,
            ..Issue::error(code, file, location, message)
        }
    }

    pub fn note(code: &'static str, file: &str, location: Location, message: Text) -> Issue {
        Issue {
            severity: Severity::Note,
            ..Issue::error(code, file, location, message)
        }
    }

    pub fn with_hint(mut self, hint: Text) -> Issue {
        self.hint = Some(hint);
        self
    }

    /// The issue, with what was in the cell at fault.
    pub fn with_value(mut self, value: &str) -> Issue {
        self.value = Some(value.to_owned());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:where: message (hint)` in one language.
    pub fn render(&self, lang: Lang) -> String {
        let mut s = format!(
            "{}{}: {}",
            self.file,
            self.location.render(lang),
            self.message.get(lang)
        );
        if let Some(h) = &self.hint {
            s.push_str(match lang {
                Lang::Zh => "。修改建议：",
                Lang::En => ". Fix: ",
            });
            s.push_str(h.get(lang));
        }
        s
    }
}

impl Location {
    pub fn path(p: impl Into<String>) -> Location {
        Location::Path { path: p.into() }
    }

    pub fn cell(row: usize, column: &str) -> Location {
        Location::Cell {
            row,
            column: Some(column.to_owned()),
        }
    }

    fn render(&self, lang: Lang) -> String {
        match (self, lang) {
            (Location::Path { path }, _) => format!(": {path}"),
            (Location::Line { line, column }, Lang::Zh) => {
                format!(":{line}:{column}（第{line}行第{column}列）")
            }
            (Location::Line { line, column }, Lang::En) => format!(":{line}:{column}"),
            (
                Location::Cell {
                    row,
                    column: Some(c),
                },
                Lang::Zh,
            ) => format!(": 第{row}行“{c}”列"),
            (
                Location::Cell {
                    row,
                    column: Some(c),
                },
                Lang::En,
            ) => format!(": row {row}, column `{c}`"),
            (Location::Cell { row, column: None }, Lang::Zh) => format!(": 第{row}行"),
            (Location::Cell { row, column: None }, Lang::En) => format!(": row {row}"),
            (Location::File, _) => String::new(),
        }
    }
}

/// A collection of problems; errors make an input unusable, warnings do not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Issues(pub Vec<Issue>);

impl Issues {
    pub fn new() -> Issues {
        Issues(Vec::new())
    }

    pub fn push(&mut self, issue: Issue) {
        self.0.push(issue);
    }

    pub fn extend(&mut self, other: Issues) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Issue::is_error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Issue> {
        self.0.iter().filter(|i| i.is_error())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Issue> {
        self.0.iter().filter(|i| i.severity == Severity::Warning)
    }

    pub fn notes(&self) -> impl Iterator<Item = &Issue> {
        self.0.iter().filter(|i| i.severity == Severity::Note)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Issue> {
        self.0.iter()
    }

    /// Ok with `value` when there are no errors (warnings travel along), else the problems.
    pub fn into_result<T>(self, value: T) -> Result<(T, Issues), Issues> {
        if self.has_errors() {
            Err(self)
        } else {
            Ok((value, self))
        }
    }
}

impl fmt::Display for Issues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for i in &self.0 {
            writeln!(f, "{}", i.render(Lang::Zh))?;
            writeln!(f, "  {}", i.render(Lang::En))?;
        }
        Ok(())
    }
}

impl std::error::Error for Issues {}

impl IntoIterator for Issues {
    type Item = Issue;
    type IntoIter = std::vec::IntoIter<Issue>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
