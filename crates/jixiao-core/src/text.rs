//! Bilingual text. jixiao is Chinese first; every message a person reads also exists in English.

use serde::{Deserialize, Serialize};

/// The language a person reads jixiao in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s.to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "cn" | "chinese" | "中文" => Some(Lang::Zh),
            "en" | "en-us" | "english" => Some(Lang::En),
            _ => None,
        }
    }
}

/// A name or message in Chinese and English. In scheme files `en` may be omitted;
/// the Chinese text is then shown in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub zh: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub en: String,
}

impl Text {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En if self.en.is_empty() => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// A unit of measure in `lang`. Scheme files write units in Chinese (`人`, `万元`); English
/// readers get the usual English for the common ones, and the unit as written otherwise.
pub fn measure(unit: &str, lang: Lang) -> &str {
    if lang == Lang::Zh {
        return unit;
    }
    match unit {
        "人" | "名" => "people",
        "万元" => "×10,000 yuan",
        "亿元" => "×100 million yuan",
        "元" => "yuan",
        "个" => "",
        "件" => "cases",
        "项" => "items",
        "分" => "points",
        "处" => "sites",
        "家" => "firms",
        "户" => "households",
        "小时" => "hours",
        "天" | "日" => "days",
        "批次" => "batches",
        "条" => "entries",
        "次" => "times",
        "起" => "incidents",
        "公里" => "km",
        "平方米" => "m²",
        "亩" => "mu",
        "吨" => "t",
        other => other,
    }
}
