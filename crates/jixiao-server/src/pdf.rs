//! Pages as PDF: the printable page (its own stylesheet inlined, no script) printed by
//! headless Chromium, so the PDF is exactly what the print stylesheet gives, Chinese fonts and
//! SVG charts included. No PDF layout is written by hand. HTML in, bytes out.

use crate::error::{Error, Kind, Result};
use jixiao_core::text::Text;
use std::path::Path;
use std::time::Duration;

const CSS: &str = include_str!("../static/app.css");

/// Prints `html` (a whole page of this site) to PDF with the browser at `chromium`.
pub async fn print(chromium: &Path, html: &str) -> Result<Vec<u8>> {
    if !chromium.exists() {
        return Err(Error::new(
            Kind::Unavailable,
            "pdf_unavailable",
            Text::new(
                format!(
                    "服务器上没有可用于生成PDF的浏览器（配置项 chromium = {}）；请用浏览器的“打印”另存为PDF",
                    chromium.display()
                ),
                format!(
                    "no browser to make PDFs on the server (setting chromium = {}); use the browser's Print to save a PDF",
                    chromium.display()
                ),
            ),
        ));
    }
    let page = printable(html).ok_or_else(|| {
        Error::internal(&"base.html no longer links the stylesheet as pdf.rs expects")
    })?;
    let dir = tempfile::tempdir().map_err(|e| Error::internal(&e))?;
    let input = dir.path().join("card.html");
    let output = dir.path().join("card.pdf");
    tokio::fs::write(&input, page)
        .await
        .map_err(|e| Error::internal(&e))?;
    let run = tokio::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-pdf-header-footer",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("--print-to-pdf={}", output.display()))
        .arg(format!("file://{}", input.display()))
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .map_err(|_| Error::internal(&"chromium did not finish printing within 60 s"))?
        .map_err(|e| Error::internal(&e))?;
    tokio::fs::read(&output).await.map_err(|e| {
        Error::internal(&format!(
            "chromium printed nothing ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    })
}

const STYLESHEET: &str = "<link rel=\"stylesheet\" href=\"/static/app.css\">";
const SCRIPT: &str = "<script src=\"/static/app.js\" defer></script>";

/// The page with its stylesheet inlined and its script removed (the file Chromium prints has
/// no server to fetch them from). `None` when the page does not link the stylesheet as
/// `base.html` does, rather than a PDF without styles.
fn printable(html: &str) -> Option<String> {
    html.contains(STYLESHEET).then(|| {
        html.replace(STYLESHEET, &format!("<style>{CSS}</style>"))
            .replace(SCRIPT, "")
            // On paper every derivation is shown: folded sections print open.
            .replace("<details ", "<details open ")
            .replace("<details>", "<details open>")
    })
}

#[cfg(test)]
mod tests {
    /// The lines pdf.rs replaces are the ones every page gets from base.html.
    #[test]
    fn base_links_what_the_pdf_inlines() {
        let base = include_str!("../templates/base.html");
        assert!(base.contains(super::STYLESHEET));
        assert!(base.contains(super::SCRIPT));
        let page = super::printable(base).expect("printable");
        assert_eq!(
            super::printable(&format!("{base}<details><summary>x</summary>y</details>"))
                .expect("printable")
                .matches("<details open>")
                .count(),
            1
        );
        assert!(
            page.contains("<style>")
                && !page.contains("/static/app.css")
                && !page.contains("app.js")
        );
    }
}
