//! Charts as server-rendered SVG: readable without JavaScript, printable, with a title and a
//! text description for screen readers, labels in the page's language. Values are rounded
//! only here, for drawing.

use crate::i18n::escape;
use jixiao_core::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::fmt::Write;

fn f(d: &Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

fn open(w: u32, h: u32, id: &str, title: &str, desc: &str) -> String {
    let (t, d) = (escape(title), escape(desc));
    format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{id}-t\">{t}</title><desc id=\"{id}-d\">{d}</desc>"
    )
}

/// A bar in a horizontal bar chart.
pub struct Bar {
    pub label: String,
    pub value: Option<Decimal>,
    /// Shown as text after the bar (the grade, say).
    pub note: String,
    pub highlight: bool,
}

/// A number on an axis: at most two places, no trailing zeros.
fn tick(v: f64) -> String {
    let r = (v * 100.0).round() / 100.0;
    let t = format!("{r:.2}");
    t.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Horizontal bars, one per row, scaled to `max` (the class's full marks), drawn phone first:
/// 340 units wide so the labels read at 12 px on a 360 px screen; each unit's name above its
/// bar, the value (with the scheme's `decimals`) and the note after it; a visible title, a
/// scale from 0 to full marks with grid lines, and the axis named (`axis`).
pub fn bars(
    id: &str,
    title: &str,
    axis: &str,
    bars: &[Bar],
    max: Decimal,
    decimals: u32,
) -> String {
    let (w, left, right) = (340u32, 4u32, 70u32);
    let plot = w - left - right;
    let (top, row, foot) = (24u32, 34u32, 36u32);
    let n = bars.len() as u32;
    let h = top + row * n + foot;
    let shown = |v: &Option<Decimal>| {
        v.map_or("—".into(), |v| {
            format!(
                "{:.*}",
                decimals as usize,
                jixiao_core::explain::round_half_up(v, decimals)
            )
        })
    };
    let desc: Vec<String> = bars
        .iter()
        .map(|b| format!("{} {} {}", b.label, shown(&b.value), b.note))
        .collect();
    let mut s = open(w, h, id, title, &desc.join("; "));
    let _ = write!(
        s,
        "<text x=\"{left}\" y=\"15\" class=\"ttl\">{}</text>",
        escape(title)
    );
    let top_max = f(&max).max(1e-9);
    let bottom = top + row * n;
    for k in 0..=4u32 {
        let x = f64::from(left) + f64::from(plot) * f64::from(k) / 4.0;
        let anchor = match k {
            0 => "start",
            4 => "end",
            _ => "middle",
        };
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{x:.1}\" y1=\"{top}\" x2=\"{x:.1}\" y2=\"{bottom}\"/><text x=\"{x:.1}\" y=\"{}\" class=\"val\" text-anchor=\"{anchor}\">{}</text>",
            bottom + 14,
            tick(top_max * f64::from(k) / 4.0)
        );
    }
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"{}\" class=\"val\" text-anchor=\"middle\">{}</text>",
        left + plot / 2,
        bottom + 30,
        escape(axis)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = top + row * i as u32;
        let v = b.value.as_ref().map_or(0.0, f).max(0.0);
        let len = ((v / top_max) * f64::from(plot)).min(f64::from(plot));
        let class = if b.highlight { "bar hi" } else { "bar" };
        let _ = write!(
            s,
            "<text x=\"{left}\" y=\"{}\" class=\"lbl\">{}</text><rect class=\"{class}\" x=\"{left}\" y=\"{}\" width=\"{len:.1}\" height=\"12\"/><text x=\"{:.1}\" y=\"{}\" class=\"val\">{} {}</text>",
            y + 13,
            escape(&b.label),
            y + 17,
            f64::from(left) + len + 4.0,
            y + 28,
            shown(&b.value),
            escape(&b.note),
        );
    }
    s.push_str("</svg>");
    s
}

/// Vertical bars: how many units fall in each grade.
pub fn columns(id: &str, title: &str, cols: &[(String, usize)]) -> String {
    let (w, h) = (60 * cols.len().max(1) as u32 + 20, 180u32);
    let max = cols.iter().map(|c| c.1).max().unwrap_or(1).max(1) as f64;
    let desc: Vec<String> = cols.iter().map(|(l, n)| format!("{l} {n}")).collect();
    let mut s = open(w, h, id, title, &desc.join("; "));
    let _ = write!(
        s,
        "<text x=\"4\" y=\"15\" class=\"ttl\">{}</text>",
        escape(title)
    );
    s.push_str("<g transform=\"translate(0 20)\">");
    for (i, (label, n)) in cols.iter().enumerate() {
        let x = 20 + 60 * i as u32;
        let bh = (*n as f64 / max) * 100.0;
        let _ = write!(
            s,
            "<rect class=\"bar\" x=\"{x}\" y=\"{:.1}\" width=\"40\" height=\"{bh:.1}\"/><text x=\"{}\" y=\"{:.1}\" class=\"val\" text-anchor=\"middle\">{n}</text><text x=\"{}\" y=\"150\" class=\"lbl\" text-anchor=\"middle\">{}</text>",
            130.0 - bh,
            x + 20,
            126.0 - bh,
            x + 20,
            escape(label),
        );
    }
    s.push_str("</g></svg>");
    s
}

/// A radar of shares (0–1) of each module's points, with the class average as a second ring.
pub fn radar(id: &str, title: &str, axes: &[(String, f64, Option<f64>)]) -> String {
    let (w, h, cx, cy, r) = (360u32, 300u32, 180.0f64, 150.0f64, 100.0f64);
    let n = axes.len().max(3) as f64;
    let desc: Vec<String> = axes
        .iter()
        .map(|(l, v, avg)| {
            format!(
                "{l} {:.0}%{}",
                v * 100.0,
                avg.map_or(String::new(), |a| format!(" ({:.0}%)", a * 100.0))
            )
        })
        .collect();
    let mut s = open(w, h, id, title, &desc.join("; "));
    let point = |i: usize, v: f64| {
        let a = std::f64::consts::TAU * i as f64 / n - std::f64::consts::FRAC_PI_2;
        (cx + r * v * a.cos(), cy + r * v * a.sin())
    };
    for ring in [0.25, 0.5, 0.75, 1.0] {
        let pts: Vec<String> = (0..axes.len())
            .map(|i| {
                let (x, y) = point(i, ring);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let _ = write!(s, "<polygon class=\"grid\" points=\"{}\"/>", pts.join(" "));
    }
    for (i, (label, _, _)) in axes.iter().enumerate() {
        let (x, y) = point(i, 1.18);
        let anchor = if (x - cx).abs() < 5.0 {
            "middle"
        } else if x > cx {
            "start"
        } else {
            "end"
        };
        let _ = write!(
            s,
            "<text x=\"{x:.1}\" y=\"{:.1}\" class=\"lbl\" text-anchor=\"{anchor}\">{}</text>",
            y + 4.0,
            escape(label)
        );
    }
    let poly = |vals: Vec<f64>| -> String {
        vals.iter()
            .enumerate()
            .map(|(i, v)| {
                let (x, y) = point(i, v.clamp(0.0, 1.2));
                format!("{x:.1},{y:.1}")
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    if axes.iter().all(|a| a.2.is_some()) {
        let _ = write!(
            s,
            "<polygon class=\"avg\" points=\"{}\"/>",
            poly(axes.iter().map(|a| a.2.unwrap_or(0.0)).collect())
        );
    }
    let _ = write!(
        s,
        "<polygon class=\"own\" points=\"{}\"/>",
        poly(axes.iter().map(|a| a.1).collect())
    );
    s.push_str("</svg>");
    s
}

/// A line over periods (a unit's total, quarter by quarter). The scale runs from a little
/// below the lowest value to the full marks, so small movements show.
pub fn trend(id: &str, title: &str, points: &[(String, Option<Decimal>)], max: Decimal) -> String {
    let (w, h) = (80 * points.len().max(2) as u32 + 40, 194u32);
    let lowest = points
        .iter()
        .filter_map(|(_, v)| v.as_ref().map(f))
        .fold(f64::INFINITY, f64::min);
    let floor = if lowest.is_finite() {
        ((lowest - 10.0) / 10.0).floor().max(0.0) * 10.0
    } else {
        0.0
    };
    let max = (f(&max) - floor).max(1e-9);
    let desc: Vec<String> = points
        .iter()
        .map(|(l, v)| {
            format!(
                "{l} {}",
                v.map_or("—".into(), |v| jixiao_core::explain::round_half_up(v, 2)
                    .normalize()
                    .to_string())
            )
        })
        .collect();
    let mut s = open(w, h, id, title, &desc.join("; "));
    let xy = |i: usize, v: &Decimal| {
        (
            40.0 + 80.0 * i as f64,
            130.0 - ((f(v) - floor) / max) * 110.0,
        )
    };
    // A visible title, and the scale: the floor and full marks, with grid lines.
    let _ = write!(
        s,
        "<text x=\"4\" y=\"15\" class=\"ttl\">{}</text>",
        escape(title)
    );
    s.push_str("<g transform=\"translate(0 24)\">");
    for (y, v) in [(130.0, floor), (20.0, floor + max)] {
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"30\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\"/><text x=\"28\" y=\"{}\" class=\"val\" text-anchor=\"end\">{}</text>",
            w - 10,
            y + 4.0,
            tick(v)
        );
    }
    let line: Vec<String> = points
        .iter()
        .enumerate()
        .filter_map(|(i, (_, v))| v.as_ref().map(|v| xy(i, v)))
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    let _ = write!(
        s,
        "<polyline class=\"line\" points=\"{}\"/>",
        line.join(" ")
    );
    for (i, (label, v)) in points.iter().enumerate() {
        if let Some(v) = v {
            let (x, y) = xy(i, v);
            let _ = write!(
                s,
                "<circle class=\"dot\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\"/><text x=\"{x:.1}\" y=\"{:.1}\" class=\"val\" text-anchor=\"middle\">{}</text>",
                y - 8.0,
                jixiao_core::explain::round_half_up(*v, 2).normalize()
            );
        }
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"160\" class=\"lbl\" text-anchor=\"middle\">{}</text>",
            40.0 + 80.0 * i as f64,
            escape(label)
        );
    }
    s.push_str("</g></svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_carry_titles_and_escape_labels() {
        let svg = bars(
            "r",
            "排名 <1>",
            "总分（满分 100）",
            &[Bar {
                label: "A&B".into(),
                value: Some(Decimal::new(955, 1)),
                note: "优秀".into(),
                highlight: true,
            }],
            Decimal::from(100),
            2,
        );
        assert!(svg.contains("<title id=\"r-t\">排名 &lt;1&gt;</title>"));
        assert!(svg.contains("A&amp;B"));
        // The scheme's decimals, the scale from 0 to full marks, the axis named.
        assert!(svg.contains("95.50 优秀"), "{svg}");
        assert!(
            svg.contains(">0</text>") && svg.contains(">50</text>") && svg.contains(">100</text>")
        );
        assert!(svg.contains("总分（满分 100）"));
        assert!(svg.contains("class=\"ttl\">排名 &lt;1&gt;</text>"));
        assert!(svg.contains("class=\"bar hi\""));
        let r = radar(
            "x",
            "t",
            &[
                ("a".into(), 1.0, Some(0.5)),
                ("b".into(), 0.5, Some(0.5)),
                ("c".into(), 0.0, Some(0.5)),
            ],
        );
        assert_eq!(r.matches("<polygon").count(), 4 + 2);
        let c = columns("g", "t", &[("优秀".into(), 3), ("良好".into(), 0)]);
        assert!(c.contains(">3</text>") && c.contains(">0</text>"));
    }
}
