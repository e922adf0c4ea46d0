//! Reading scheme and organisation documents (TOML or JSON text) into their types, with every
//! problem reported at its place: line and column for syntax, the path inside the document for
//! structure, in Chinese and English.

use crate::issue::{Issue, Issues, Location};
use crate::text::Text;
use serde::de::DeserializeOwned;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Json,
}

impl Format {
    /// By file name: `.json` is JSON, anything else TOML.
    pub fn from_name(name: &str) -> Format {
        if name.to_ascii_lowercase().ends_with(".json") {
            Format::Json
        } else {
            Format::Toml
        }
    }
}

/// A document's text with its name, for messages and for finding paths again.
#[derive(Debug, Clone, Copy)]
pub struct SourceText<'a> {
    pub name: &'a str,
    pub text: &'a str,
    pub format: Format,
}

impl<'a> SourceText<'a> {
    pub fn new(name: &'a str, text: &'a str) -> SourceText<'a> {
        SourceText {
            name,
            text: text.strip_prefix('\u{feff}').unwrap_or(text),
            format: Format::from_name(name),
        }
    }

    /// A document that has no text of its own (built in memory, e.g. for a what-if): problems
    /// are reported by path only.
    pub fn detached(name: &'a str) -> SourceText<'a> {
        SourceText {
            name,
            text: "",
            format: Format::Json,
        }
    }

    /// Parses the document into `T`; structural problems are reported with their location.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Issues> {
        let result = match self.format {
            Format::Toml => self.parse_toml(),
            Format::Json => self.parse_json(),
        };
        result.map_err(|i| Issues(vec![i]))
    }

    fn parse_toml<T: DeserializeOwned>(&self) -> Result<T, Issue> {
        let de = toml::de::Deserializer::parse(self.text).map_err(|e| {
            let loc = e
                .span()
                .map_or(Location::File, |s| line_col(self.text, s.start));
            Issue::error(
                "syntax",
                self.name,
                loc,
                Text::new(
                    format!("TOML 语法错误：{}", e.message().trim()),
                    format!("TOML syntax error: {}", e.message().trim()),
                ),
            )
        })?;
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let location = match inner.span() {
                Some(s) if path == "." => line_col(self.text, s.start),
                _ => Location::path(path.clone()),
            };
            let mut issue = translate_serde(self.name, location, inner.message());
            if let (Location::Path { .. }, Some(s)) = (&issue.location, inner.span())
                && let Location::Line { line, column } = line_col(self.text, s.start)
            {
                issue.location = Location::path(format!("{path} (line {line}, column {column})"));
            }
            issue
        })
    }

    fn parse_json<T: DeserializeOwned>(&self) -> Result<T, Issue> {
        let mut de = serde_json::Deserializer::from_str(self.text);
        let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                return Issue::error(
                    "syntax",
                    self.name,
                    Location::Line {
                        line: inner.line(),
                        column: inner.column(),
                    },
                    Text::new(
                        format!("JSON 语法错误：{inner}"),
                        format!("JSON syntax error: {inner}"),
                    ),
                );
            }
            let msg = inner.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
            translate_serde(self.name, Location::path(path), &msg)
        })?;
        de.end().map_err(|e| {
            Issue::error(
                "syntax",
                self.name,
                Location::Line {
                    line: e.line(),
                    column: e.column(),
                },
                Text::new(
                    format!("JSON 末尾有多余内容：{e}"),
                    format!("trailing content after the JSON document: {e}"),
                ),
            )
        })?;
        Ok(value)
    }

    /// Where a semantic path (e.g. `classes.street.modules[1].points`) is in the text, for
    /// TOML documents: the path with ` (line L, column C)` appended when it can be found.
    pub fn locate(&self, path: &str) -> Location {
        self.locator().locate(path)
    }

    /// A locator that parses the text once, for reporting many paths.
    pub fn locator(&self) -> Locator<'a> {
        let root = match self.format {
            Format::Toml => toml::de::DeTable::parse(self.text).ok(),
            Format::Json => None,
        };
        Locator {
            text: self.text,
            root,
        }
    }
}

/// Finds semantic paths in a TOML document's text; see [`SourceText::locator`].
pub struct Locator<'a> {
    text: &'a str,
    root: Option<toml::Spanned<toml::de::DeTable<'a>>>,
}

impl Locator<'_> {
    pub fn locate(&self, path: &str) -> Location {
        let found = self
            .root
            .as_ref()
            .and_then(|r| toml_offset(r, path))
            .map(|o| line_col(self.text, o));
        match found {
            Some(Location::Line { line, column }) => {
                Location::path(format!("{path} (line {line}, column {column})"))
            }
            _ => Location::path(path),
        }
    }
}

/// Line and column (1-based, columns in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> Location {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Location::Line { line, column }
}

/// Finds the byte offset of the value at `path` in a TOML document.
fn toml_offset(root: &toml::Spanned<toml::de::DeTable<'_>>, path: &str) -> Option<usize> {
    use toml::de::DeValue;
    let mut value: Option<&toml::Spanned<DeValue<'_>>> = None;
    let mut table = Some(root.get_ref());
    let mut offset = None;
    for seg in segments(path) {
        let next = match (seg, value.map(|v| v.get_ref()), table) {
            (Seg::Key(k), _, Some(t)) => t
                .iter()
                .find(|(key, _)| key.get_ref().as_ref() == k)
                .map(|(_, v)| v),
            (Seg::Index(i), Some(DeValue::Array(a)), _) => a.get(i),
            _ => None,
        }?;
        offset = Some(next.span().start);
        table = match next.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => None,
        };
        value = Some(next);
    }
    offset
}

enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

fn segments(path: &str) -> Vec<Seg<'_>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if !key.is_empty() {
            out.push(Seg::Key(key));
        }
        while let Some((idx, r)) = rest.split_once(']') {
            if let Ok(i) = idx.parse() {
                out.push(Seg::Index(i));
            }
            rest = r.strip_prefix('[').unwrap_or(r);
        }
    }
    out
}

/// Joins a bilingual message into one string for serde's custom errors; [`translate_serde`]
/// splits it again.
pub fn bilingual(t: &Text) -> String {
    format!("{}{SEP}{}", t.zh, t.en)
}

const SEP: char = '\u{1f}';

/// Serde's messages have a few stable shapes; say them in Chinese as well.
fn translate_serde(file: &str, location: Location, msg: &str) -> Issue {
    let msg = msg.trim();
    if let Some((zh, en)) = msg.split_once(SEP) {
        let en = en.split(" at line ").next().unwrap_or(en);
        return Issue::error("invalid_value", file, location, Text::new(zh, en));
    }
    let ticked =
        |s: &str| -> Vec<String> { s.split('`').skip(1).step_by(2).map(str::to_owned).collect() };
    let (code, zh, hint) = if let Some(rest) = msg.strip_prefix("unknown field ") {
        let names = ticked(rest);
        let field = names.first().cloned().unwrap_or_default();
        let allowed = names.get(1..).map(|n| n.join(", ")).unwrap_or_default();
        (
            "unknown_field",
            format!("未知字段“{field}”"),
            (!allowed.is_empty()).then(|| {
                Text::new(
                    format!("可用字段：{allowed}"),
                    format!("allowed fields: {allowed}"),
                )
            }),
        )
    } else if let Some(rest) = msg.strip_prefix("unknown variant ") {
        let names = ticked(rest);
        let value = names.first().cloned().unwrap_or_default();
        let allowed = names.get(1..).map(|n| n.join(", ")).unwrap_or_default();
        (
            "unknown_value",
            format!("未知取值“{value}”"),
            Some(Text::new(
                format!("可用取值：{allowed}"),
                format!("allowed values: {allowed}"),
            )),
        )
    } else if let Some(rest) = msg.strip_prefix("missing field ") {
        let field = ticked(rest).first().cloned().unwrap_or_default();
        ("missing_field", format!("缺少必填字段“{field}”"), None)
    } else if msg.starts_with("invalid type") || msg.starts_with("invalid value") {
        ("invalid_type", format!("取值类型不对（{msg}）"), None)
    } else if msg.starts_with("invalid length") {
        ("invalid_length", format!("元素个数不对（{msg}）"), None)
    } else {
        ("invalid_value", format!("取值无效：{msg}"), None)
    };
    let mut issue = Issue::error(code, file, location, Text::new(zh, msg));
    issue.hint = hint;
    issue
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheme::Scheme;

    #[test]
    fn syntax_errors_name_line_and_column() {
        let src = SourceText::new("s.toml", "id = \"x\"\ntitle = \"a\" \"b\"\nyear = 2025\n");
        let issues = src.parse::<Scheme>().expect_err("broken");
        let i = &issues.0[0];
        assert_eq!(i.code, "syntax");
        assert!(
            matches!(i.location, Location::Line { line: 2, .. }),
            "{:?}",
            i.location
        );
    }

    #[test]
    fn unknown_fields_name_the_path_and_the_allowed_fields() {
        let src = SourceText::new(
            "s.toml",
            "id = \"x\"\ntitle = { zh = \"甲\" }\nyear = 2025\nversion = 1\n[classes.c]\nname = { zh = \"类\" }\n[[classes.c.modules]]\ncode = \"m\"\nname = { zh = \"模块\" }\npionts = 5\n",
        );
        let issues = src.parse::<Scheme>().expect_err("unknown field");
        let i = &issues.0[0];
        assert_eq!(i.code, "unknown_field");
        let Location::Path { path } = &i.location else {
            panic!("{:?}", i.location)
        };
        assert!(path.starts_with("classes.c.modules[0].pionts"), "{path}");
        assert!(i.message.zh.contains("pionts"));
        assert!(i.hint.as_ref().is_some_and(|h| h.en.contains("points")));
    }

    #[test]
    fn semantic_paths_are_found_in_toml_text() {
        let text = "a = 1\n[classes.c]\nname = 1\n[[classes.c.modules]]\ncode = \"m\"\n[[classes.c.modules]]\ncode = \"n\"\npoints = 3\n";
        let src = SourceText::new("s.toml", text);
        assert_eq!(
            src.locate("classes.c.modules[1].points"),
            Location::path("classes.c.modules[1].points (line 8, column 10)")
        );
        assert_eq!(src.locate("classes.nope"), Location::path("classes.nope"));
    }
}
