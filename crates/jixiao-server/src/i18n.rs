//! Labels for people, in Chinese (the default) or English: every string of the interface comes
//! from the fluent files under `i18n/`; content (unit and indicator names, explanations)
//! carries both languages itself ([`Text`]) and falls back to Chinese, marked `lang="zh-CN"`
//! so browsers, screen readers and the untranslated-string test know. The pages choose the
//! language by a cookie; import reports and exports use both.

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{Loader, static_loader};
use jixiao_core::Decimal;
use jixiao_core::text::Text;
use std::borrow::Cow;
use std::collections::HashMap;
use unic_langid::{LanguageIdentifier, langid};

static_loader! {
    static LOCALES = {
        locales: "./i18n",
        fallback_language: "zh-CN",
        // Arguments are shown as they are, without Unicode isolation marks around them.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The cookie that keeps the chosen language.
pub const LANG_COOKIE: &str = "jixiao_lang";

static ZH: LanguageIdentifier = langid!("zh-CN");
static EN: LanguageIdentifier = langid!("en");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh" | "zh-CN" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language kept in the request's cookie, or Chinese.
    pub fn of_cookies(header: Option<&str>) -> Lang {
        header
            .into_iter()
            .flat_map(|h| h.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .find(|(k, _)| *k == LANG_COOKIE)
            .and_then(|(_, v)| Lang::parse(v))
            .unwrap_or(Lang::Zh)
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }
}

/// The translator a page renders with.
#[derive(Debug, Clone, Copy)]
pub struct L(pub Lang);

impl L {
    pub fn lang(&self) -> &'static str {
        self.0.code()
    }

    pub fn is_en(&self) -> bool {
        self.0 == Lang::En
    }

    /// A stored time as people read it: Beijing time (see [`jixiao_core::feed::local_time`]).
    pub fn time(&self, t: &str) -> String {
        jixiao_core::feed::local_time(t, self.is_en())
    }

    /// Now, as [`L::time`] shows it (a print date).
    pub fn now(&self) -> String {
        let t = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        self.time(&t)
    }

    /// [`L::time`] of an optional time ("" when none).
    pub fn time_opt(&self, t: &Option<String>) -> String {
        t.as_deref().map_or_else(String::new, |t| self.time(t))
    }

    /// The interface string `key`. A missing key shows as `⟦key⟧`, which the tests look for.
    pub fn t(&self, key: &str) -> String {
        LOCALES
            .try_lookup(self.0.id(), key)
            .unwrap_or_else(|| format!("⟦{key}⟧"))
    }

    /// The interface string `key` with arguments.
    pub fn ta(&self, key: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(k, v)| {
                (
                    Cow::Owned((*k).to_owned()),
                    FluentValue::from(v.to_string()),
                )
            })
            .collect();
        LOCALES
            .try_lookup_with_args(self.0.id(), key, &map)
            .unwrap_or_else(|| format!("⟦{key}⟧"))
    }

    /// `key` with one number (for templates).
    pub fn tn(&self, key: &str, name: &str, n: impl std::fmt::Display) -> String {
        self.ta(key, &[(name, &n)])
    }

    /// `key` with two numbers (for templates).
    pub fn tn2(
        &self,
        key: &str,
        a: &str,
        an: impl std::fmt::Display,
        b: &str,
        bn: impl std::fmt::Display,
    ) -> String {
        self.ta(key, &[(a, &an), (b, &bn)])
    }

    /// Content in this language as escaped HTML: English when it has English, otherwise the
    /// Chinese marked as such.
    pub fn html(&self, t: &Text) -> String {
        if self.is_en() && !t.en.is_empty() {
            escape(&t.en)
        } else if self.is_en() {
            format!("<span lang=\"zh-CN\">{}</span>", escape(&t.zh))
        } else {
            escape(&t.zh)
        }
    }

    /// Content in this language as plain text (for attributes and chart labels).
    pub fn plain<'a>(&self, t: &'a Text) -> &'a str {
        if self.is_en() && !t.en.is_empty() {
            &t.en
        } else {
            &t.zh
        }
    }

    /// A person's or a unit's own name, which has no translation: marked Chinese in English
    /// pages when it is written in Chinese.
    pub fn name(&self, s: &str) -> String {
        if self.is_en() && s.chars().any(is_han) {
            format!("<span lang=\"zh-CN\">{}</span>", escape(s))
        } else {
            escape(s)
        }
    }

    /// A unit of measure in this language, escaped (marked Chinese when it has no English).
    pub fn unit(&self, u: &str) -> String {
        let lang = if self.is_en() {
            jixiao_core::text::Lang::En
        } else {
            jixiao_core::text::Lang::Zh
        };
        self.name(jixiao_core::text::measure(u, lang))
    }

    /// A unit of measure in brackets after a name: `（人）`, ` (people)`; nothing when none.
    pub fn unit_paren(&self, u: &str) -> String {
        match self.unit(u) {
            s if s.is_empty() => String::new(),
            s if self.is_en() => format!(" ({s})"),
            s => format!("（{s}）"),
        }
    }

    /// A number for display: at most `decimals` places (rounded half-up, as everywhere people
    /// read a number), trailing zeros dropped.
    pub fn num(&self, d: &Decimal, decimals: u32) -> String {
        jixiao_core::explain::round_half_up(*d, decimals)
            .normalize()
            .to_string()
    }

    /// A score or total as people read it: exactly `decimals` places (the scheme's display
    /// decimals), rounded half up — 71.40 beside 92.49, never 71.4.
    pub fn score(&self, d: &Decimal, decimals: u32) -> String {
        let mut r = jixiao_core::explain::round_half_up(*d, decimals);
        r.rescale(decimals);
        r.to_string()
    }

    /// [`L::score`] of an optional score ("—" when none).
    pub fn opt_score(&self, d: &Option<Decimal>, decimals: u32) -> String {
        d.as_ref()
            .map_or_else(|| "—".into(), |d| self.score(d, decimals))
    }

    pub fn opt_num(&self, d: &Option<Decimal>, decimals: u32) -> String {
        d.as_ref()
            .map_or_else(|| "—".into(), |d| self.num(d, decimals))
    }
}

/// The language of core's texts for this translator.
impl From<L> for jixiao_core::text::Lang {
    fn from(l: L) -> jixiao_core::text::Lang {
        match l.0 {
            Lang::Zh => jixiao_core::text::Lang::Zh,
            Lang::En => jixiao_core::text::Lang::En,
        }
    }
}

/// A value's state in words.
pub fn state_label(l: L, state: &str) -> String {
    match state {
        "" => l.t("state-empty"),
        "draft" => l.t("state-draft"),
        "submitted" => l.t("state-submitted"),
        "approved" => l.t("state-approved"),
        "verified" => l.t("state-verified"),
        "counted" => l.t("state-counted"),
        "returned" => l.t("state-returned"),
        other => other.to_owned(),
    }
}

/// An error's message (its first detail, when it has one) in `l`'s language.
pub fn problem_text(l: L, e: &crate::error::Error) -> String {
    e.detail(l.into())
}

pub fn is_han(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '\u{f900}'..='\u{faff}')
}

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key the code and the templates use exists in both languages, and both languages
    /// have the same keys.
    #[test]
    fn every_key_is_translated() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let keys = |lang: &str| -> std::collections::BTreeSet<String> {
            let dir = root.join("i18n").join(lang);
            let mut out = std::collections::BTreeSet::new();
            for f in std::fs::read_dir(dir).expect("i18n dir") {
                let text = std::fs::read_to_string(f.expect("entry").path()).expect("ftl");
                for line in text.lines() {
                    if let Some((k, _)) = line.split_once(" =")
                        && !k.starts_with(['#', ' ', '.'])
                        && !k.is_empty()
                    {
                        out.insert(k.trim().to_owned());
                    }
                }
            }
            out
        };
        let zh = keys("zh-CN");
        let en = keys("en");
        let only_zh: Vec<_> = zh.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&zh).collect();
        assert!(only_zh.is_empty(), "keys missing in English: {only_zh:?}");
        assert!(only_en.is_empty(), "keys missing in Chinese: {only_en:?}");
        let mut used = std::collections::BTreeSet::new();
        let mut scan = |dir: &str| {
            let mut stack = vec![root.join(dir)];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(d).expect("dir") {
                    let p = e.expect("entry").path();
                    if p.is_dir() {
                        stack.push(p);
                        continue;
                    }
                    // This file's own tests look up a missing key on purpose.
                    if p.ends_with("i18n.rs") {
                        continue;
                    }
                    let text = std::fs::read_to_string(&p).expect("source");
                    for pat in [".t(\"", ".ta(\"", ".tn(\"", ".tn2(\""] {
                        for (i, _) in text.match_indices(pat) {
                            let rest = &text[i + pat.len()..];
                            if let Some(end) = rest.find('"') {
                                let k = &rest[..end];
                                if !k.is_empty()
                                    && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                                {
                                    used.insert(k.to_owned());
                                }
                            }
                        }
                    }
                }
            }
        };
        scan("templates");
        scan("src");
        let missing: Vec<_> = used.difference(&zh).collect();
        assert!(
            missing.is_empty(),
            "keys used but not translated: {missing:?}"
        );
        assert!(used.len() > 50, "the scan found the keys ({})", used.len());
    }

    #[test]
    fn lookups_and_fallbacks() {
        let zh = L(Lang::Zh);
        let en = L(Lang::En);
        assert_eq!(zh.t("nav-home"), "首页");
        assert_eq!(en.t("nav-home"), "Home");
        assert_eq!(en.t("no-such-key"), "⟦no-such-key⟧");
        let t = Text::new("七里园街道", "");
        assert_eq!(en.html(&t), "<span lang=\"zh-CN\">七里园街道</span>");
        assert_eq!(zh.html(&Text::new("<b>", "x")), "&lt;b&gt;");
        assert_eq!(Lang::of_cookies(Some("a=b; jixiao_lang=en")), Lang::En);
        assert_eq!(Lang::of_cookies(Some("jixiao_lang=fr")), Lang::Zh);
        assert_eq!(Lang::of_cookies(None), Lang::Zh);
        assert_eq!(en.ta("home-overdue", &[("count", &3)]), "3 overdue");
    }
}
