//! The data file: a long table of `unit, item, period, value[, note]` as offices export it from
//! Excel. UTF-8 (with or without BOM), UTF-16 with BOM, or GBK/GB18030 are read; anything else
//! is refused with the place of the first undecodable byte.

use crate::issue::{Issue, Issues, Location};
use crate::period::Period;
use crate::text::Text;
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::str::FromStr;

/// A code shared by every row that names it. `Arc<String>` rather than `Arc<str>`: a thin
/// pointer, 8 bytes a row instead of 16 (millions of rows name a few thousand codes).
pub type SharedCode = std::sync::Arc<String>;

/// One row of the data file, syntactically valid; whether its unit and item exist is decided
/// against a model by [`crate::values::Values::build`].
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Shared by every row of the unit (interned once per file): a row allocates no codes.
    pub unit: SharedCode,
    pub item: SharedCode,
    pub period: Period,
    pub value: Decimal,
    /// The value was written with a `%` sign.
    pub percent_sign: bool,
    pub note: Option<Box<str>>,
    /// 1-based row in the file, counting the header as row 1.
    pub row: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DataSet {
    pub file: String,
    /// The encoding the file was read in.
    pub encoding: &'static str,
    pub records: Vec<Record>,
    /// Column names as written in the header, for messages.
    pub columns: [String; 4],
}

/// Largest magnitude accepted for any value; larger numbers are typing errors, and this bound
/// keeps every product in the engine far from overflow.
pub const MAX_ABS: i64 = 1_000_000_000_000_000;

#[derive(Clone, Copy, PartialEq)]
enum Col {
    Unit,
    Item,
    Period,
    Value,
    Note,
}

fn column_of(name: &str) -> Option<Col> {
    match name.trim().to_lowercase().as_str() {
        "unit" | "单位" | "单位代码" | "unit_code" => Some(Col::Unit),
        "item" | "指标" | "数据项" | "项目" | "element" | "item_code" => Some(Col::Item),
        "period" | "期间" | "时期" | "周期" | "考核期" => Some(Col::Period),
        "value" | "数值" | "值" | "数据" => Some(Col::Value),
        "note" | "备注" | "说明" => Some(Col::Note),
        _ => None,
    }
}

/// Decodes a text file from Excel or elsewhere: returns the text and the encoding's name. Text
/// already in UTF-8 is borrowed, not copied (a data file can be hundreds of megabytes).
pub fn decode<'b>(file: &str, bytes: &'b [u8]) -> Result<(Cow<'b, str>, &'static str), Issue> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(|s| (Cow::Borrowed(s), "UTF-8 (BOM)"))
            .map_err(|e| bad_utf8(file, rest, e.valid_up_to()));
    }
    for (bom, enc, name) in [
        (&b"\xFF\xFE"[..], encoding_rs::UTF_16LE, "UTF-16LE"),
        (&b"\xFE\xFF"[..], encoding_rs::UTF_16BE, "UTF-16BE"),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return match enc.decode_without_bom_handling_and_without_replacement(rest) {
                Some(s) => Ok((s, name)),
                None => Err(Issue::error(
                    "encoding",
                    file,
                    Location::File,
                    Text::new(
                        format!("文件以{name}标记开头，但内容不是有效的{name}"),
                        format!("the file starts with a {name} mark but is not valid {name}"),
                    ),
                )),
            };
        }
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok((Cow::Borrowed(s), "UTF-8")),
        Err(e) => {
            // Nearly any byte string decodes as GB18030, so a file in another CJK encoding
            // (a Big5 note from Taiwan or Hong Kong, Shift_JIS) would be stored as mojibake:
            // such a file is refused by name instead.
            let mut detector = chardetng::EncodingDetector::new();
            detector.feed(bytes, true);
            let guess = detector.guess(None, false);
            if let Some((zh, en)) = [
                (
                    encoding_rs::BIG5,
                    "繁体中文 Big5",
                    "Big5 (Traditional Chinese)",
                ),
                (
                    encoding_rs::SHIFT_JIS,
                    "日文 Shift_JIS",
                    "Shift_JIS (Japanese)",
                ),
                (encoding_rs::EUC_JP, "日文 EUC-JP", "EUC-JP (Japanese)"),
                (encoding_rs::EUC_KR, "韩文 EUC-KR", "EUC-KR (Korean)"),
            ]
            .iter()
            .find(|(enc, _, _)| *enc == guess)
            .map(|(_, zh, en)| (*zh, *en))
            {
                return Err(Issue::error(
                    "encoding",
                    file,
                    Location::File,
                    Text::new(
                        format!("文件像是{zh}编码，不是UTF-8或GBK；按GBK读取会成乱码，所以未导入"),
                        format!("the file looks like {en}, not UTF-8 or GBK; read as GBK it would be garbled, so it was not imported"),
                    ),
                )
                .with_hint(Text::new(
                    "在Excel中“另存为”→“CSV UTF-8（逗号分隔）”后重新导入",
                    "in Excel use Save As → \"CSV UTF-8 (Comma delimited)\" and import again",
                )));
            }
            match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
                Some(s) => Ok((s, "GBK")),
                None => Err(bad_utf8(file, bytes, e.valid_up_to())),
            }
        }
    }
}

fn bad_utf8(file: &str, bytes: &[u8], at: usize) -> Issue {
    let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    let byte = bytes.get(at).copied().unwrap_or(0);
    Issue::error(
        "encoding",
        file,
        Location::Cell {
            row: line,
            column: None,
        },
        Text::new(
            format!("文件编码无法识别：既不是UTF-8也不是GBK（第{line}行，字节0x{byte:02X}）"),
            format!(
                "unrecognised encoding: neither UTF-8 nor GBK (line {line}, byte 0x{byte:02X})"
            ),
        ),
    )
    .with_hint(Text::new(
        "在Excel中“另存为”→“CSV UTF-8（逗号分隔）”后重新导入",
        "in Excel use Save As → \"CSV UTF-8 (Comma delimited)\" and import again",
    ))
}

/// A number as typed on a Chinese keyboard, in ASCII: full-width digits and signs (`０`–`９`,
/// `．`, `，`, `－`, `＋`) and the minus sign `−` become their ASCII forms, the ideographic full
/// stop `。` (an input method's "." in Chinese mode) a decimal point, and ideographic spaces
/// are dropped. Anything else is left for the parser to refuse.
pub fn ascii_number(s: &str) -> Cow<'_, str> {
    if s.is_ascii() {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .filter(|c| *c != '\u{3000}')
            .map(|c| match c {
                '\u{ff10}'..='\u{ff19}' => char::from(b'0' + (u32::from(c) - 0xff10) as u8),
                '\u{ff0e}' | '\u{3002}' => '.',
                '\u{ff0c}' => ',',
                '\u{ff0d}' | '\u{2212}' => '-',
                '\u{ff0b}' => '+',
                '\u{ff05}' => '%',
                other => other,
            })
            .collect(),
    )
}

/// Parses a percent-free decimal as people type it: `96`, `96.5`, `-3`, `1,234.5`, also in
/// full-width characters (`９６。５`, see [`ascii_number`]).
pub fn parse_number(s: &str) -> Option<Decimal> {
    let ascii = ascii_number(s);
    let t = ascii.trim();
    if t.is_empty() || t.contains(['e', 'E']) {
        return None;
    }
    let cleaned: Cow<'_, str> = if t.contains(',') {
        // Thousands separators only in their proper places.
        let (int, frac) = t.split_once('.').map_or((t, None), |(a, b)| (a, Some(b)));
        let digits = int.trim_start_matches(['-', '+']);
        let groups: Vec<&str> = digits.split(',').collect();
        let ok = groups.first().is_some_and(|g| (1..=3).contains(&g.len()))
            && groups[1..].iter().all(|g| g.len() == 3);
        if !ok {
            return None;
        }
        let mut s = int.replace(',', "");
        if let Some(f) = frac {
            s.push('.');
            s.push_str(f);
        }
        Cow::Owned(s)
    } else {
        Cow::Borrowed(t)
    };
    let c = cleaned.strip_prefix('+').unwrap_or(&cleaned);
    if !c
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return None;
    }
    let d = Decimal::from_str(c).ok()?;
    (d.abs() <= Decimal::from(MAX_ABS)).then_some(d)
}

/// Reads a data file. Structural problems (encoding, header, unparsable periods and numbers,
/// duplicate rows) are all reported at once; nothing is returned unless the whole file is good.
pub fn read_csv(file: &str, bytes: &[u8]) -> Result<DataSet, Issues> {
    let (data, issues) = read_csv_lenient(file, bytes)?;
    if issues.has_errors() {
        return Err(issues);
    }
    Ok(data)
}

/// Reads a data file keeping the good rows: problems of the whole file (encoding, header) are
/// an error; problems of single rows come back beside the rows that are good.
pub fn read_csv_lenient(file: &str, bytes: &[u8]) -> Result<(DataSet, Issues), Issues> {
    read_csv_with(file, bytes, true)
}

/// [`read_csv_lenient`] without the check for repeated unit × item × period rows: for a
/// reader that puts every row into a dense table of its own, where a repeat shows as a cell
/// written twice at no cost, and that then runs [`duplicate_rows`] only when it saw one (or
/// any other problem). A map of every row's key is the largest cost of reading a big file.
pub fn read_csv_deferring_duplicates(
    file: &str,
    bytes: &[u8],
) -> Result<(DataSet, Issues), Issues> {
    read_csv_with(file, bytes, false)
}

/// Every row that repeats an earlier row's unit, item and period, reported exactly as
/// [`read_csv`] reports it.
pub fn duplicate_rows(data: &DataSet) -> Issues {
    let mut issues = Issues::new();
    let mut seen: rustc_hash::FxHashMap<(&str, &str, Period), usize> = Default::default();
    for r in &data.records {
        match seen.entry((&*r.unit, &*r.item, r.period)) {
            std::collections::hash_map::Entry::Occupied(first) => {
                issues.push(duplicate_issue(&data.file, r.row, *first.get()));
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(r.row);
            }
        }
    }
    issues
}

/// Problems sorted by the row they name, stably (problems of the whole file first): the order
/// [`read_csv`] reports them in as it reads, for problems found in two passes.
pub(crate) fn in_row_order(issues: &mut Issues) {
    issues.0.sort_by_key(|i| match i.location {
        Location::Cell { row, .. } => row,
        _ => 0,
    });
}

fn duplicate_issue(file: &str, rowno: usize, first: usize) -> Issue {
    Issue::error(
        "duplicate_row",
        file,
        Location::Cell {
            row: rowno,
            column: None,
        },
        crate::t!(
            "与第{first}行重复：同一单位、数据项和期间只能有一个值",
            "repeats row {first}: one value per unit, item and period"
        ),
    )
    .with_hint(crate::t!("删除其中一行", "delete one of the two rows"))
}

fn read_csv_with(
    file: &str,
    bytes: &[u8],
    check_duplicates: bool,
) -> Result<(DataSet, Issues), Issues> {
    let (text, encoding) = decode(file, bytes).map_err(|i| Issues(vec![i]))?;
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.contains('\t') && !first_line.contains(',') {
        b'\t'
    } else {
        b','
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    // Each row is numbered by the line it starts on, so blank lines (which the reader skips,
    // and leaves out of its own line count) do not shift the row numbers a problem is
    // reported at: lines are counted here from the byte where each record starts.
    let bytes = text.as_bytes();
    let (mut counted_to, mut line) = (0usize, 1usize);
    // One record is reused for every row: no `String` per cell.
    let mut rec = csv::StringRecord::new();
    let mut table: Option<Table> = None;
    loop {
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let issue = csv_error(file, &e);
                match &mut table {
                    Some(t) => t.issues.push(issue),
                    None => return Err(Issues(vec![issue])),
                }
                continue;
            }
        }
        let mut start = rec
            .position()
            .map_or(counted_to, |p| p.byte() as usize)
            .min(bytes.len());
        // A record's position is where the reader began looking for it, before the blank lines
        // it skipped.
        while matches!(bytes.get(start), Some(b'\n' | b'\r')) {
            start += 1;
        }
        if start > counted_to {
            line += bytes[counted_to..start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            counted_to = start;
        }
        let Some(t) = &mut table else {
            let mut t = Table::start(file, rec.iter().map(str::to_owned).collect())?;
            t.check_duplicates = check_duplicates;
            // The rows' vector sized once for every line, instead of doubling (and copying
            // every row) as rows come. (Sizing the duplicate check's map up front was measured
            // slower: a map of every row from the start misses the cache on every insert.)
            t.reserve(bytes.iter().filter(|&&b| b == b'\n').count());
            table = Some(t);
            continue;
        };
        // In a CSV file a cell over several lines is a quote opened and never closed, which
        // swallowed the rows after it: refused where it opened, not stored as one long note.
        if let Some(i) = rec.iter().position(|c| c.contains(['\n', '\r'])) {
            t.issues.push(Issue::error(
                "unclosed_quote",
                file,
                Location::Cell {
                    row: line,
                    column: Some(t.header.get(i).map_or_else(|| (i + 1).to_string(), |c| c.trim().to_owned())),
                },
                crate::t!(
                    "单元格跨了多行：本行有一个引号（\"）没有闭合，吞掉了后面的行；请补上或删去这个引号",
                    "the cell runs over several lines: a quote (\") opened in this row is never closed and swallowed the rows after it; close it or remove it"
                ),
            ));
            continue;
        }
        t.row(line, &rec);
    }
    match table {
        Some(t) => Ok(t.finish(encoding)),
        None => Err(Issues(vec![empty_file(file)])),
    }
}

/// Reads a table of rows (the first is the header) by the data file's rules: the CSV reader's
/// and the spreadsheet importer's. Problems of the whole table are an error; problems of single
/// rows come back beside the good rows. Row numbers count the header as row 1.
pub fn read_table(
    file: &str,
    encoding: &'static str,
    rows: impl IntoIterator<Item = Result<Vec<String>, Issue>>,
) -> Result<(DataSet, Issues), Issues> {
    read_numbered_table(
        file,
        encoding,
        rows.into_iter()
            .enumerate()
            .map(|(i, r)| r.map(|cells| (i + 1, cells))),
    )
}

/// [`read_table`] for rows that carry their own row numbers (a CSV line, where blank lines
/// are skipped but still counted).
pub fn read_numbered_table(
    file: &str,
    encoding: &'static str,
    rows: impl IntoIterator<Item = Result<(usize, Vec<String>), Issue>>,
) -> Result<(DataSet, Issues), Issues> {
    let mut rows = rows.into_iter();
    let header = match rows.next() {
        Some(Ok((_, h))) => h,
        Some(Err(e)) => return Err(Issues(vec![e])),
        None => return Err(Issues(vec![empty_file(file)])),
    };
    let mut table = Table::start(file, header)?;
    for row in rows {
        match row {
            Ok((rowno, cells)) => table.row(rowno, cells.as_slice()),
            Err(e) => table.issues.push(e),
        }
    }
    Ok(table.finish(encoding))
}

fn empty_file(file: &str) -> Issue {
    Issue::error(
        "empty_file",
        file,
        Location::File,
        crate::t!("文件为空", "the file is empty"),
    )
    .with_hint(header_hint())
}

/// The cells of one row, as the CSV reader holds them (without a `String` per cell) or as a
/// spreadsheet's rows arrive.
trait Cells {
    fn count(&self) -> usize;
    fn cell(&self, i: usize) -> Option<&str>;
}

impl Cells for [String] {
    fn count(&self) -> usize {
        self.len()
    }
    fn cell(&self, i: usize) -> Option<&str> {
        self.get(i).map(String::as_str)
    }
}

impl Cells for csv::StringRecord {
    fn count(&self) -> usize {
        self.len()
    }
    fn cell(&self, i: usize) -> Option<&str> {
        self.get(i)
    }
}

/// A control character (a NUL) would cut or garble what is stored. Printable ASCII, what
/// nearly every cell is, is passed without decoding.
fn has_control(c: &str) -> bool {
    !c.bytes().all(|b| (0x20..0x7f).contains(&b))
        && c.chars()
            .any(|ch| ch.is_control() && !matches!(ch, '\t' | '\n' | '\r'))
}

/// A data table being read: the header's columns, the good rows so far, the problems so far,
/// and the keys seen (each unit and item code interned once, so the duplicate check runs on
/// integer keys and a lookup by `&str` allocates nothing).
struct Table<'f> {
    file: &'f str,
    header: Vec<String>,
    cols: Vec<Option<Col>>,
    names: [String; 4],
    at: [Option<usize>; 5],
    issues: Issues,
    records: Vec<Record>,
    unit_ids: Interned,
    item_ids: Interned,
    /// The first row of each key, as `u32` (a row number past four billion cannot occur in a
    /// file this program reads whole): 16 bytes an entry, so more of the map stays in cache.
    seen: rustc_hash::FxHashMap<(u32, u32, Period), u32>,
    /// Off: repeated rows are kept, for the reader to find ([`read_csv_deferring_duplicates`]).
    check_duplicates: bool,
    last_unit: Option<(u32, SharedCode)>,
    last_period: Option<(String, Period)>,
}

/// `str::trim`, skipping the work for the common cell that starts and ends with a visible
/// ASCII character.
fn trim(c: &str) -> &str {
    match (c.as_bytes().first(), c.as_bytes().last()) {
        (Some(f), Some(l)) if f.is_ascii_graphic() && l.is_ascii_graphic() => c,
        _ => c.trim(),
    }
}

/// Each code read so far: its id and its one shared copy.
type Interned = rustc_hash::FxHashMap<Box<str>, (u32, SharedCode)>;

/// The code's id and its one shared copy.
fn intern(ids: &mut Interned, code: &str) -> (u32, SharedCode) {
    if let Some((id, shared)) = ids.get(code) {
        return (*id, shared.clone());
    }
    let id = ids.len() as u32;
    let shared = SharedCode::new(code.to_owned());
    ids.insert(code.into(), (id, shared.clone()));
    (id, shared)
}

impl<'f> Table<'f> {
    /// Reads the header; problems with it (unknown, repeated or missing columns) are an error.
    fn start(file: &'f str, header: Vec<String>) -> Result<Table<'f>, Issues> {
        let mut issues = Issues::new();
        let mut cols: Vec<Option<Col>> = Vec::new();
        let mut names: [String; 4] = Default::default();
        for h in header.iter() {
            let c = column_of(h);
            if c.is_none() && !h.trim().is_empty() {
                let h = h.trim();
                issues.push(
                    Issue::error(
                        "unknown_column",
                        file,
                        Location::Cell {
                            row: 1,
                            column: Some(h.to_owned()),
                        },
                        crate::t!("未知列名“{h}”", "unknown column `{h}`"),
                    )
                    .with_hint(header_hint()),
                );
            }
            if let Some(c) = c {
                if cols.contains(&Some(c)) {
                    let h = h.trim();
                    issues.push(Issue::error(
                        "duplicate_column",
                        file,
                        Location::Cell {
                            row: 1,
                            column: Some(h.to_owned()),
                        },
                        crate::t!("列“{h}”重复", "column `{h}` appears twice"),
                    ));
                }
                if let Some(slot) = [Col::Unit, Col::Item, Col::Period, Col::Value]
                    .iter()
                    .position(|x| *x == c)
                {
                    names[slot] = h.trim().to_owned();
                }
            }
            cols.push(c);
        }
        for (c, zh, en) in [
            (Col::Unit, "单位", "unit"),
            (Col::Item, "数据项", "item"),
            (Col::Period, "期间", "period"),
            (Col::Value, "数值", "value"),
        ] {
            if !cols.contains(&Some(c)) {
                issues.push(
                    Issue::error(
                        "missing_column",
                        file,
                        Location::Cell {
                            row: 1,
                            column: None,
                        },
                        crate::t!("缺少“{zh}”列", "the `{en}` column is missing"),
                    )
                    .with_hint(header_hint()),
                );
            }
        }
        if issues.has_errors() {
            return Err(issues);
        }
        let idx = |c: Col| cols.iter().position(|x| *x == Some(c));
        let at = [
            idx(Col::Unit),
            idx(Col::Item),
            idx(Col::Period),
            idx(Col::Value),
            idx(Col::Note),
        ];
        Ok(Table {
            file,
            header,
            cols,
            names,
            at,
            issues,
            records: Vec::new(),
            unit_ids: Default::default(),
            item_ids: Default::default(),
            seen: Default::default(),
            check_duplicates: true,
            last_unit: None,
            last_period: None,
        })
    }

    /// Reads one row (`rowno` counts the header as row 1): a good row becomes a record, a bad
    /// one a problem naming its row and column.
    fn row<C: Cells + ?Sized>(&mut self, rowno: usize, row: &C) {
        let file = self.file;
        let n = row.count();
        let cells = || (0..n).map(|i| row.cell(i).unwrap_or(""));
        if cells().all(|c| trim(c).is_empty()) {
            return;
        }
        // A control character (a NUL) would cut or garble what is stored: refused, not stored
        // as something else.
        if let Some(i) = cells().position(has_control) {
            let column = self
                .header
                .get(i)
                .map_or_else(|| (i + 1).to_string(), |h| h.trim().to_owned());
            self.issues.push(Issue::error(
                "control_character",
                file,
                Location::Cell {
                    row: rowno,
                    column: Some(column),
                },
                crate::t!(
                    "单元格里有不可见的控制字符（如 NUL）；请删去后再导入",
                    "the cell holds an invisible control character (such as NUL); remove it and import again"
                ),
            ));
            return;
        }
        let width = self.cols.len();
        if n > width && cells().skip(width).any(|c| !c.trim().is_empty()) {
            self.issues.push(Issue::error(
                "extra_cells",
                file,
                Location::Cell {
                    row: rowno,
                    column: None,
                },
                crate::t!(
                    "本行的单元格比表头多",
                    "this row has more cells than the header"
                ),
            ));
        }
        let [ui, ii, pi, vi, ni] = self.at;
        let cell = |i: Option<usize>| i.and_then(|i| row.cell(i)).map_or("", trim);
        let (unit, item, period_s, value_s) = (cell(ui), cell(ii), cell(pi), cell(vi));
        let mut ok = true;
        for (v, col) in [unit, item, period_s, value_s].into_iter().zip(&self.names) {
            if v.is_empty() {
                ok = false;
                self.issues.push(
                    Issue::error(
                        "empty_cell",
                        file,
                        Location::cell(rowno, col),
                        crate::t!("单元格为空", "the cell is empty"),
                    )
                    .with_hint(crate::t!(
                        "没有数据时请删除整行，不要留空",
                        "when there is no value, leave the whole row out instead of an empty cell"
                    )),
                );
            }
        }
        if !ok {
            return;
        }
        // Rows usually come period by period: the last period's text is compared first.
        let parsed = match &self.last_period {
            Some((text, p)) if text.as_str() == period_s => Ok(*p),
            _ => Period::parse(period_s),
        };
        let period = match parsed {
            Ok(p) => {
                if self.last_period.as_ref().is_none_or(|(_, last)| *last != p) {
                    self.last_period = Some((period_s.to_owned(), p));
                }
                p
            }
            Err(_) => {
                self.issues.push(
                    Issue::error(
                        "bad_period",
                        file,
                        Location::cell(rowno, &self.names[2]),
                        crate::t!(
                            "期间“{period_s}”格式不对",
                            "period `{period_s}` is not valid"
                        ),
                    )
                    .with_value(period_s)
                    .with_hint(crate::t!(
                        "写成 2025、2025H1、2025Q2 或 2025-06",
                        "write 2025, 2025H1, 2025Q2 or 2025-06"
                    )),
                );
                return;
            }
        };
        let (num, percent_sign) = match value_s.strip_suffix(['%', '％']) {
            Some(v) => (v, true),
            None => (value_s, false),
        };
        let Some(value) = parse_number(num) else {
            // A spreadsheet cell formatted as a date reads as one (`2025-01-01`), never as the
            // day number behind it (45658).
            let looks_like_date = value_s.len() >= 8
                && value_s
                    .split(['-', ' ', ':'])
                    .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
                && value_s.matches('-').count() == 2;
            self.issues.push(
                Issue::error(
                    "not_a_number",
                    file,
                    Location::cell(rowno, &self.names[3]),
                    crate::t!("“{value_s}”不是数字", "`{value_s}` is not a number"),
                )
                .with_value(value_s)
                .with_hint(if looks_like_date {
                    crate::t!(
                        "这一格是日期格式：请把单元格格式改为“常规”或“数值”，再填数字",
                        "the cell is formatted as a date: set its format to General or Number and type the number"
                    )
                } else {
                    crate::t!(
                        "只填数字，例如 96 或 96.5；不要带单位或文字",
                        "write a plain number such as 96 or 96.5, without units or words"
                    )
                }),
            );
            return;
        };
        // Rows usually come unit by unit: the last unit's code is compared before any hashing.
        let (unit_id, unit) = match &self.last_unit {
            Some((id, code)) if **code == *unit => (*id, code.clone()),
            _ => {
                let interned = intern(&mut self.unit_ids, unit);
                self.last_unit = Some(interned.clone());
                interned
            }
        };
        let (item_id, item) = intern(&mut self.item_ids, item);
        if self.check_duplicates {
            match self.seen.entry((unit_id, item_id, period)) {
                std::collections::hash_map::Entry::Occupied(first) => {
                    let first = *first.get() as usize;
                    self.issues.push(duplicate_issue(file, rowno, first));
                    return;
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(u32::try_from(rowno).unwrap_or(u32::MAX));
                }
            }
        }
        let note = cell(ni);
        self.records.push(Record {
            unit,
            item,
            period,
            value,
            percent_sign,
            note: (!note.is_empty()).then(|| note.into()),
            row: rowno,
        });
    }

    fn reserve(&mut self, rows: usize) {
        self.records.reserve(rows);
    }

    fn finish(self, encoding: &'static str) -> (DataSet, Issues) {
        (
            DataSet {
                file: self.file.to_owned(),
                encoding,
                records: self.records,
                columns: self.names,
            },
            self.issues,
        )
    }
}

fn header_hint() -> Text {
    crate::t!(
        "表头应为：unit,item,period,value,note（或 单位,数据项,期间,数值,备注）",
        "the header must be: unit,item,period,value,note (or 单位,数据项,期间,数值,备注)"
    )
}

fn csv_error(file: &str, e: &csv::Error) -> Issue {
    let row = e.position().map_or(0, |p| p.line() as usize);
    Issue::error(
        "csv",
        file,
        Location::Cell { row, column: None },
        Text::new(format!("CSV格式错误：{e}"), format!("CSV error: {e}")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unclosed_quote_or_a_control_character_is_refused_not_stored() {
        let csv = "unit,item,period,value,note\nD01,gdp,2025Q1,6.5,\"opened\nD02,gdp,2025Q1,7,ok\nD03,gdp,2025Q1,8,nul\u{0}here\nD04,gdp,2025Q1,9,fine\n";
        let (d, issues) = read_csv_lenient("q.csv", csv.as_bytes()).expect("read");
        let codes: Vec<&str> = issues.0.iter().map(|i| i.code).collect();
        assert!(codes.contains(&"unclosed_quote"), "{codes:?}");
        assert!(
            issues.0.iter().any(|i| i.code == "unclosed_quote"
                && matches!(&i.location, Location::Cell { row: 2, column: Some(c) } if c == "note")),
            "the row and the column where the quote opened: {:?}",
            issues.0
        );
        // Nothing absorbed is stored as a note; no note is cut at a NUL.
        assert!(d.records.iter().all(|r| {
            r.note
                .as_deref()
                .is_none_or(|n| !n.contains('\n') && !n.contains('\u{0}'))
        }));
    }

    #[test]
    fn reads_utf8_bom_gbk_and_chinese_headers() {
        let utf = "单位,数据项,期间,数值,备注\nD01,gdp,2025Q1,6.5,初报\n";
        let a = read_csv("a.csv", utf.as_bytes()).expect("utf8");
        assert_eq!(a.encoding, "UTF-8");
        assert_eq!(a.records[0].value, Decimal::new(65, 1));
        assert_eq!(a.records[0].note.as_deref(), Some("初报"));
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(utf.as_bytes());
        assert_eq!(
            read_csv("b.csv", &bom).expect("bom").encoding,
            "UTF-8 (BOM)"
        );
        let (gbk, _, _) = encoding_rs::GBK.encode(utf);
        let c = read_csv("c.csv", &gbk).expect("gbk");
        assert_eq!(c.encoding, "GBK");
        assert_eq!(c.records[0].note.as_deref(), Some("初报"));
    }

    #[test]
    fn refuses_undecodable_bytes_with_the_line() {
        let bytes = b"unit,item,period,value\nD01,gdp,2025Q1,\xFF\xFF\n";
        let e = read_csv("x.csv", bytes).expect_err("bad encoding");
        assert_eq!(e.0[0].code, "encoding");
        assert_eq!(
            e.0[0].location,
            Location::Cell {
                row: 2,
                column: None
            }
        );
    }

    /// The reader's shortcuts (the last unit and period compared before any parsing or
    /// hashing, cells trimmed only when they need it) read what the plain path reads.
    #[test]
    fn shortcuts_read_what_the_plain_path_reads() {
        let text = "unit,item,period,value\nD01, gdp ,2025Q1,1\nD01,gdp,2025Q2,2\n\u{3000}D01\u{3000},cpi,2025Q2 ,3\nD02,gdp,2025Q2,4\nD01,gdp,2025Q1 ,5\n";
        let e = read_csv("x.csv", text.as_bytes()).expect_err("row 6 repeats row 2");
        assert_eq!(e.0.len(), 1, "{e}");
        assert_eq!(e.0[0].code, "duplicate_row");
        assert!(e.0[0].message.en.contains("row 2"), "{e}");
        let (d, _) = read_csv_deferring_duplicates("x.csv", text.as_bytes()).expect("reads");
        let got: Vec<(&str, &str, String)> = d
            .records
            .iter()
            .map(|r| (r.unit.as_str(), r.item.as_str(), r.period.to_string()))
            .collect();
        let want = [
            ("D01", "gdp", "2025Q1"),
            ("D01", "gdp", "2025Q2"),
            ("D01", "cpi", "2025Q2"),
            ("D02", "gdp", "2025Q2"),
            ("D01", "gdp", "2025Q1"),
        ];
        assert_eq!(
            got,
            want.iter()
                .map(|(u, i, p)| (*u, *i, p.to_string()))
                .collect::<Vec<_>>()
        );
        assert_eq!(duplicate_rows(&d), e);
    }

    #[test]
    fn reports_every_bad_row_with_row_and_column() {
        let text = "unit,item,period,value\nD01,gdp,2025Q1,abc\nD01,gdp,2025Q5,1\nD01,gdp,2025Q2,\nD01,gdp,2025Q3,1\nD01,gdp,2025Q3,2\n";
        let e = read_csv("x.csv", text.as_bytes()).expect_err("bad rows");
        let got: Vec<(&str, Location)> = e.iter().map(|i| (i.code, i.location.clone())).collect();
        assert_eq!(
            got,
            vec![
                ("not_a_number", Location::cell(2, "value")),
                ("bad_period", Location::cell(3, "period")),
                ("empty_cell", Location::cell(4, "value")),
                (
                    "duplicate_row",
                    Location::Cell {
                        row: 6,
                        column: None
                    }
                ),
            ]
        );
    }

    #[test]
    fn header_problems_are_named() {
        let e = read_csv("x.csv", b"unit,item,when,value\n").expect_err("bad header");
        assert!(
            e.iter()
                .any(|i| i.code == "unknown_column" && i.message.en.contains("when"))
        );
        assert!(
            e.iter()
                .any(|i| i.code == "missing_column" && i.message.en.contains("period"))
        );
        assert_eq!(
            read_csv("x.csv", b"").expect_err("empty").0[0].code,
            "empty_file"
        );
    }

    #[test]
    fn blank_lines_do_not_shift_the_row_numbers() {
        let text = "unit,item,period,value\n\nD01,gdp,2025Q1,1\n\n\nD01,gdp,2025Q2,abc\n";
        let e = read_csv("x.csv", text.as_bytes()).expect_err("bad row");
        assert_eq!(e.0[0].location, Location::cell(6, "value"), "{:?}", e.0);
        let (d, _) = read_csv_lenient("x.csv", text.as_bytes()).expect("read");
        assert_eq!(d.records[0].row, 3);
    }

    #[test]
    fn a_date_in_a_number_cell_is_named() {
        let text = "unit,item,period,value\nD01,cases,2025Q1,2025-01-01\n";
        let e = read_csv("x.csv", text.as_bytes()).expect_err("a date");
        assert_eq!(e.0[0].code, "not_a_number");
        assert!(
            e.0[0]
                .hint
                .as_ref()
                .is_some_and(|h| h.en.contains("formatted as a date")),
            "{:?}",
            e.0[0]
        );
    }

    #[test]
    fn big5_is_refused_by_name_and_gbk_still_reads() {
        let text =
            "單位,數據項,期間,數值,備註\nD01,gdp,2025Q1,6.5,臺灣地區調解員提供的繁體備註說明\n";
        let (big5, _, _) = encoding_rs::BIG5.encode(text);
        let e = read_csv("t.csv", &big5).expect_err("big5");
        assert_eq!(e.0[0].code, "encoding");
        assert!(e.0[0].message.en.contains("Big5"), "{:?}", e.0[0]);
        let simplified = "单位,数据项,期间,数值,备注\nD01,gdp,2025Q1,6.5,街道调解委员会本季度受理纠纷较上季度增加\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(simplified);
        let c = read_csv("c.csv", &gbk).expect("gbk");
        assert_eq!(c.encoding, "GBK");
        assert_eq!(
            c.records[0].note.as_deref(),
            Some("街道调解委员会本季度受理纠纷较上季度增加")
        );
    }

    #[test]
    fn numbers_as_people_type_them() {
        assert_eq!(parse_number("1,234.5"), Some(Decimal::new(12345, 1)));
        assert_eq!(parse_number("-3"), Some(Decimal::from(-3)));
        assert_eq!(parse_number("12,34"), None);
        assert_eq!(parse_number("1e5"), None);
        assert_eq!(parse_number("九十"), None);
        // Typed with a Chinese input method.
        assert_eq!(parse_number("９６．５"), Some(Decimal::new(965, 1)));
        assert_eq!(parse_number("９６。５"), Some(Decimal::new(965, 1)));
        assert_eq!(parse_number("１，２３４"), Some(Decimal::from(1234)));
        assert_eq!(parse_number("－３"), Some(Decimal::from(-3)));
        assert_eq!(
            parse_number("\u{3000}４０\u{3000}"),
            Some(Decimal::from(40))
        );
        assert_eq!(parse_number("４０件"), None);
        assert_eq!(ascii_number("９６％"), "96%");
        assert_eq!(parse_number("10000000000000000000"), None);
    }
}
