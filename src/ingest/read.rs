//! Reading input files into rows of contract columns: CSV (UTF-8 or GB18030, detected or
//! declared), GeoJSON (point features) and Parquet/GeoParquet (WKB points).

use super::contract::{match_header, Column};
use super::problem::{Problem, Reason};
use arrow_array::{Array, BinaryArray, LargeBinaryArray, RecordBatch, StringArray};
use arrow_schema::DataType;
use serde_json::Value;
use std::borrow::Cow;

/// Input file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// A GeoJSON FeatureCollection of points.
    GeoJson,
    /// Apache Parquet, GeoParquet when it carries `geo` metadata.
    Parquet,
    /// An Excel workbook (`.xlsx`): its first sheet, a header row then rows.
    Xlsx,
    /// A legacy Excel workbook (`.xls`, BIFF8, what many offices still save): read as `.xlsx`.
    Xls,
}

impl Format {
    /// Parses `csv`, `geojson`, `parquet`, `xlsx` or `xls` (or their media types).
    pub fn from_id(id: &str) -> Option<Format> {
        match id.to_ascii_lowercase().as_str() {
            "csv" | "text/csv" => Some(Format::Csv),
            "geojson" | "json" | "application/geo+json" | "application/json" => {
                Some(Format::GeoJson)
            }
            "parquet" | "geoparquet" | "application/vnd.apache.parquet" => Some(Format::Parquet),
            "xlsx" | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => {
                Some(Format::Xlsx)
            }
            "xls" | "application/vnd.ms-excel" => Some(Format::Xls),
            _ => None,
        }
    }

    /// Identifier.
    pub const fn id(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::GeoJson => "geojson",
            Format::Parquet => "parquet",
            Format::Xlsx => "xlsx",
            Format::Xls => "xls",
        }
    }

    /// CSV or GeoJSON, not a binary container.
    pub const fn is_text(self) -> bool {
        matches!(self, Format::Csv | Format::GeoJson)
    }

    /// From the file's first bytes: Parquet starts with `PAR1`, an Excel workbook is a ZIP
    /// archive (`PK`), a legacy one an OLE compound file, GeoJSON starts with `{`.
    pub fn sniff(bytes: &[u8]) -> Format {
        let start = bytes
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map_or(&bytes[..0], |i| &bytes[i..]);
        if bytes.starts_with(b"PAR1") {
            Format::Parquet
        } else if bytes.starts_with(b"PK\x03\x04") {
            Format::Xlsx
        } else if bytes.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
            Format::Xls
        } else if start.starts_with(b"{") {
            Format::GeoJson
        } else {
            Format::Csv
        }
    }
}

/// Text encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// UTF-16 when the file starts with its byte-order mark (Excel's "Unicode text"), else
    /// UTF-8 when the bytes are valid UTF-8, else GB18030.
    #[default]
    Auto,
    /// UTF-8 (a byte-order mark is skipped).
    Utf8,
    /// GB18030 (a superset of GBK and GB2312).
    Gb18030,
    /// UTF-16, little-endian unless a byte-order mark says big-endian.
    Utf16,
}

impl Encoding {
    /// Parses `auto`, `utf-8`, `gb18030` (`gbk`, `gb2312` read as GB18030), `utf-16`.
    pub fn from_id(id: &str) -> Option<Encoding> {
        match id.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "auto" => Some(Encoding::Auto),
            "utf8" => Some(Encoding::Utf8),
            "gb18030" | "gbk" | "gb2312" => Some(Encoding::Gb18030),
            "utf16" | "utf16le" | "utf16be" | "unicode" => Some(Encoding::Utf16),
            _ => None,
        }
    }
}

/// The file decoded to UTF-8, and the encoding it was in (`utf-8` / `gb18030` / `utf-16le` /
/// `utf-16be`).
pub fn decode(bytes: &[u8], encoding: Encoding) -> Result<(Cow<'_, [u8]>, &'static str), Problem> {
    let utf16 = match (bytes, encoding) {
        ([0xFF, 0xFE, rest @ ..], Encoding::Auto | Encoding::Utf16) => {
            Some((encoding_rs::UTF_16LE, rest))
        }
        ([0xFE, 0xFF, rest @ ..], Encoding::Auto | Encoding::Utf16) => {
            Some((encoding_rs::UTF_16BE, rest))
        }
        (_, Encoding::Utf16) => Some((encoding_rs::UTF_16LE, bytes)),
        _ => None,
    };
    if let Some((utf16, rest)) = utf16 {
        let (text, had_errors) = utf16.decode_without_bom_handling(rest);
        let name = if utf16 == encoding_rs::UTF_16LE {
            "utf-16le"
        } else {
            "utf-16be"
        };
        if had_errors || rest.len() % 2 == 1 {
            let bad = text.find('\u{fffd}').unwrap_or(text.len());
            return Err(encoding_problem(
                text[..bad].matches('\n').count() as u64 + 1,
                name,
            ));
        }
        return Ok((Cow::Owned(text.into_owned().into_bytes()), name));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let utf8 = || match std::str::from_utf8(bytes) {
        Ok(_) => Ok((Cow::Borrowed(bytes), "utf-8")),
        Err(e) => Err(e.valid_up_to()),
    };
    let gb = || {
        let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
        if had_errors {
            // The first line holding a byte GB18030 cannot read.
            let bad = text.find('\u{fffd}').unwrap_or(0);
            Err(text[..bad].matches('\n').count())
        } else {
            Ok((Cow::Owned(text.into_owned().into_bytes()), "gb18030"))
        }
    };
    let line_of =
        |offset: usize| bytes[..offset].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    match encoding {
        Encoding::Utf8 => utf8().map_err(|at| encoding_problem(line_of(at), "utf-8")),
        Encoding::Gb18030 => gb().map_err(|lines| encoding_problem(lines as u64 + 1, "gb18030")),
        Encoding::Auto | Encoding::Utf16 => utf8().or_else(|_| {
            gb().map_err(|lines| encoding_problem(lines as u64 + 1, "utf-8 / gb18030"))
        }),
    }
}

fn encoding_problem(line: u64, tried: &str) -> Problem {
    Problem::new(line, "", "", Reason::Encoding).detail(format!("无法按 {tried} 解码"))
}

/// A CSV reader over decoded text: the header is read as a record (its line is reported like
/// any other), and rows of the wrong width are read too, to be reported rather than fail.
pub fn csv_reader(text: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(text))
        .from_reader(text)
}

/// A cell as the validator reads it: trimmed (ideographic spaces too), with full-width
/// ASCII forms (`３３０１０６`, `Ｘ`, `，`), which Chinese input methods type, turned into
/// ASCII. Borrowed when nothing changes: most cells.
pub fn normalize_cell(cell: &str) -> Cow<'_, str> {
    let cell = cell.trim();
    // Full-width forms U+FF01–FF5E are EF BC 81 – EF BD 9E in UTF-8.
    if !cell.as_bytes().contains(&0xEF) {
        return Cow::Borrowed(cell);
    }
    let ascii = cell
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c,
        })
        .collect();
    // The forms map to printable ASCII (`!` to `~`): no new space to trim.
    Cow::Owned(ascii)
}

/// The field separator of delimited text: of `,`, tab (Excel's "Unicode text" and TSV), `;`
/// and `|`, the one that splits most of the first 20 records into the same number (≥ 2) of
/// cells; a comma when none does.
pub fn sniff_delimiter(text: &[u8]) -> u8 {
    const CANDIDATES: [u8; 4] = [b',', b'\t', b';', b'|'];
    let head = &text[..text.len().min(64 * 1024)];
    let score = |delimiter: u8| {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(head);
        let mut widths: Vec<usize> = reader
            .byte_records()
            .take(20)
            .map_while(Result::ok)
            .map(|r| r.len())
            .filter(|&w| w >= 2)
            .collect();
        widths.sort_unstable();
        // The largest run of one width.
        widths
            .chunk_by(|a, b| a == b)
            .map(<[usize]>::len)
            .max()
            .unwrap_or(0)
    };
    // Ties go to the earlier candidate: a comma first.
    CANDIDATES
        .into_iter()
        .rev()
        .max_by_key(|&d| score(d))
        .unwrap_or(b',')
}

/// Line numbers of CSV records counted from the bytes. The csv crate's own count lags one line
/// behind after every CRLF terminator (it consumes the `\n` when the next record starts), and
/// files saved on Windows end their lines so.
pub struct LineCounter<'a> {
    text: &'a [u8],
    at: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    /// A counter over the text a reader parses.
    pub fn new(text: &'a [u8]) -> LineCounter<'a> {
        LineCounter {
            text,
            at: 0,
            line: 1,
        }
    }

    /// The 1-based line of the record (or error) at `position`; positions come in file order.
    pub fn line(&mut self, position: Option<&csv::Position>) -> u64 {
        let Some(position) = position else { return 0 };
        // The parser may start a record on the rest of a terminator or on blank lines.
        let mut start = usize::try_from(position.byte())
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while start < self.text.len() && matches!(self.text[start], b'\r' | b'\n') {
            start += 1;
        }
        if start < self.at {
            (self.at, self.line) = (0, 1);
        }
        self.line += self.text[self.at..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        self.at = start;
        self.line
    }
}

/// Which file column feeds each contract column, and what the header holds beyond them.
#[derive(Debug, Clone)]
pub struct HeaderMap {
    /// For each contract column, the file's column index.
    pub source: Vec<Option<usize>>,
    /// Header cells no contract column matches (reported, not stored).
    pub ignored: Vec<String>,
    /// Columns of the file.
    pub width: usize,
}

/// Matches a header row against the contract. Missing required columns are problems
/// (`geometry_points`: lon/lat come from a geometry and need no column).
pub fn map_header(
    columns: &[Column],
    header: &[&str],
    geometry_points: bool,
) -> Result<HeaderMap, Vec<Problem>> {
    let mut source = vec![None; columns.len()];
    let mut ignored = Vec::new();
    for (i, cell) in header.iter().enumerate() {
        match match_header(columns, cell) {
            Some((c, _)) if source[c].is_none() => source[c] = Some(i),
            _ => ignored.push(cell.trim().to_string()),
        }
    }
    let missing: Vec<Problem> = columns
        .iter()
        .enumerate()
        .filter(|(i, c)| {
            c.required
                && source[*i].is_none()
                && !(geometry_points && matches!(c.name, "lon" | "lat"))
        })
        .map(|(_, c)| {
            Problem::new(1, c.name, "", Reason::MissingColumn)
                .detail(format!("{} / {}", c.name, c.name_zh))
        })
        .collect();
    if missing.is_empty() {
        Ok(HeaderMap {
            source,
            ignored,
            width: header.len(),
        })
    } else {
        Err(missing)
    }
}

/// Rows of a CSV file or a sheet looked at for its header (titles may stand above it).
pub const HEADER_SEARCH_ROWS: usize = 10;

/// The header among the first rows, `(line, cells)` in file order: the first row that names
/// the contract's columns (spreadsheets often put a title, and blank rows, above it). Without
/// one, the row that came closest says what is missing, on its own line.
pub fn find_header(
    columns: &[Column],
    rows: impl Iterator<Item = Result<(u64, Vec<String>), Vec<Problem>>>,
) -> Result<HeaderMap, Vec<Problem>> {
    let mut closest: Option<Vec<Problem>> = None;
    for row in rows.take(HEADER_SEARCH_ROWS) {
        let (line, cells) = row?;
        let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
        match map_header(columns, &cells, false) {
            Ok(map) => return Ok(map),
            Err(mut missing) => {
                missing.iter_mut().for_each(|p| p.line = line);
                if closest.as_ref().is_none_or(|c| missing.len() < c.len()) {
                    closest = Some(missing);
                }
            }
        }
    }
    Err(closest.unwrap_or_else(|| vec![Problem::new(0, "", "", Reason::EmptyFile)]))
}

/// A file that cannot be read in its format, as the problem of the whole file.
fn unreadable(format: &str, e: &dyn std::fmt::Display) -> Vec<Problem> {
    vec![Problem::new(0, "", "", Reason::FileFormat).detail(format!("{format}: {e}"))]
}

/// One row of a GeoJSON or Parquet file, as text per contract column.
#[derive(Debug, Clone)]
pub struct OwnedRow {
    /// Feature or row number (1-based).
    pub line: u64,
    /// Value per contract column.
    pub fields: Vec<Option<String>>,
    /// A problem found while reading (e.g. a feature without a point geometry).
    pub problem: Option<Problem>,
}

/// The coordinates of a Point geometry, or of a MultiPoint with one point (what converters
/// often write for a point layer).
fn point_coordinates(geometry: &Value) -> Option<&Vec<Value>> {
    let coordinates = geometry.get("coordinates")?.as_array()?;
    match geometry.get("type")?.as_str()? {
        "Point" => Some(coordinates),
        "MultiPoint" if coordinates.len() == 1 => coordinates[0].as_array(),
        _ => None,
    }
}

/// Reads a GeoJSON FeatureCollection of points into rows.
pub fn geojson_rows(
    bytes: &[u8],
    columns: &[Column],
) -> Result<(Vec<OwnedRow>, Vec<String>), Vec<Problem>> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        vec![Problem::new(e.line() as u64, "", "", Reason::FileFormat)
            .detail(format!("GeoJSON: {e}"))]
    })?;
    let features = value
        .get("features")
        .and_then(Value::as_array)
        .filter(|_| value.get("type").and_then(Value::as_str) == Some("FeatureCollection"))
        .ok_or_else(|| {
            vec![Problem::new(0, "", "", Reason::FileFormat)
                .detail("不是 GeoJSON FeatureCollection")]
        })?;
    // The header is the union of property names.
    let mut names: Vec<String> = Vec::new();
    for f in features {
        if let Some(props) = f.get("properties").and_then(Value::as_object) {
            for k in props.keys() {
                if !names.contains(k) {
                    names.push(k.clone());
                }
            }
        }
    }
    let header: Vec<&str> = names.iter().map(String::as_str).collect();
    let map = map_header(columns, &header, true)?;
    let lon = columns.iter().position(|c| c.name == "lon");
    let lat = columns.iter().position(|c| c.name == "lat");
    let rows = features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let line = i as u64 + 1;
            let props = f.get("properties").and_then(Value::as_object);
            let mut fields: Vec<Option<String>> = map
                .source
                .iter()
                .map(|src| {
                    let name = &names[(*src)?];
                    cell_text(props?.get(name)?)
                })
                .collect();
            let mut problem = None;
            let coords = f.get("geometry").and_then(point_coordinates);
            match coords {
                Some(c) if c.len() >= 2 => {
                    if let (Some(x), Some(y)) = (lon, lat) {
                        fields[x] = cell_text(&c[0]);
                        fields[y] = cell_text(&c[1]);
                    }
                }
                _ => {
                    problem = Some(
                        Problem::new(line, "lon", "", Reason::CoordInvalid)
                            .detail("geometry 应为 Point（或只含一个点的 MultiPoint）"),
                    );
                }
            }
            OwnedRow {
                line,
                fields,
                problem,
            }
        })
        .collect();
    Ok((rows, map.ignored))
}

fn cell_text(v: &Value) -> Option<String> {
    let text = match v {
        Value::Null => return None,
        Value::String(s) => s.trim().to_string(),
        other => other.to_string(),
    };
    (!text.is_empty()).then_some(text)
}

/// Reads the first sheet of an Excel workbook into rows: the header is the first of 10 rows
/// that names the contract's columns (a title may stand above it), rows with nothing in them
/// are skipped, and a row's line is its row number in Excel.
pub fn workbook_rows(
    bytes: &[u8],
    columns: &[Column],
) -> Result<(Vec<OwnedRow>, Vec<String>), Vec<Problem>> {
    use calamine::Reader;
    // The container decides: `.xls` (BIFF), `.xlsx`, `.xlsb` or an OpenDocument sheet.
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| unreadable("Excel", &e))?;
    let sheet = match book.worksheet_range_at(0) {
        Some(sheet) => sheet.map_err(|e| unreadable("Excel", &e))?,
        None => return Err(vec![Problem::new(0, "", "", Reason::EmptyFile)]),
    };
    let first_row = sheet.start().map_or(0, |(row, _)| u64::from(row));
    let mut rows = sheet
        .rows()
        .enumerate()
        .map(|(i, cells)| (first_row + i as u64 + 1, cells))
        .filter(|(_, cells)| cells.iter().any(|c| excel_text(c).is_some()));
    let header_rows = rows.by_ref().map(|(line, cells)| {
        let cells = cells.iter().map(|c| excel_text(c).unwrap_or_default());
        Ok((line, cells.collect()))
    });
    let map = find_header(columns, header_rows)?;
    let rows = rows
        .map(|(line, cells)| OwnedRow {
            line,
            fields: map
                .source
                .iter()
                .map(|source| cells.get((*source)?).and_then(excel_text))
                .collect(),
            problem: None,
        })
        .collect();
    Ok((rows, map.ignored))
}

/// A cell as the text a CSV export would hold: whole numbers without a fraction, dates as
/// `YYYY-MM-DD`, and numbers of 16 digits or more as Excel shows them (`3.30106E+17`): a
/// number cell cannot hold an ID number exactly, so it must fail as one.
fn excel_text(cell: &calamine::Data) -> Option<String> {
    use calamine::Data;
    let text = match cell {
        Data::Empty => return None,
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) if f.abs() >= 1e15 => format!("{f:E}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => {
            // Excel's day 0 is 1899-12-30 (its 1900 leap-year bug included).
            let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid date");
            let days = d.as_f64().floor();
            match epoch.checked_add_signed(chrono::Duration::days(days as i64)) {
                Some(day) if days.is_finite() => day.to_string(),
                _ => d.as_f64().to_string(),
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    };
    (!text.is_empty()).then_some(text)
}

/// Reads a Parquet file into rows; GeoParquet's primary geometry column (WKB points) gives
/// lon/lat. Any column type is read as text.
pub fn parquet_rows(
    bytes: &[u8],
    columns: &[Column],
) -> Result<(Vec<OwnedRow>, Vec<String>), Vec<Problem>> {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let format = |e: &dyn std::fmt::Display| unreadable("Parquet", e);
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::copy_from_slice(bytes))
        .map_err(|e| format(&e))?;
    let geometry_column = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|k| k.key == "geo"))
        .and_then(|k| k.value.as_deref())
        .and_then(|v| serde_json::from_str::<Value>(v).ok())
        .and_then(|geo| {
            geo.get("primary_column")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
    let schema = builder.schema().clone();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let header: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| Some(*n) != geometry_column.as_deref())
        .collect();
    let map = map_header(columns, &header, geometry_column.is_some())?;
    let source: Vec<Option<usize>> = map
        .source
        .iter()
        .map(|s| s.and_then(|i| names.iter().position(|n| *n == header[i])))
        .collect();
    let geometry_index = geometry_column
        .as_deref()
        .and_then(|g| names.iter().position(|n| *n == g));
    let lon = columns.iter().position(|c| c.name == "lon");
    let lat = columns.iter().position(|c| c.name == "lat");
    let reader = builder.build().map_err(|e| format(&e))?;
    let mut rows = Vec::new();
    for batch in reader {
        let batch: RecordBatch = batch.map_err(|e| format(&e))?;
        let texts: Vec<Option<StringArray>> = source
            .iter()
            .map(|s| {
                let col = batch.column((*s)?);
                let text = arrow_cast::cast(col, &DataType::Utf8).ok()?;
                text.as_any().downcast_ref::<StringArray>().cloned()
            })
            .collect();
        let wkb: Option<Vec<Option<(f64, f64)>>> =
            geometry_index.map(|g| wkb_points(batch.column(g).as_ref()));
        for r in 0..batch.num_rows() {
            let line = rows.len() as u64 + 1;
            let mut fields: Vec<Option<String>> = texts
                .iter()
                .map(|t| {
                    let t = t.as_ref()?;
                    (!t.is_null(r))
                        .then(|| t.value(r).trim().to_string())
                        .filter(|s| !s.is_empty())
                })
                .collect();
            let mut problem = None;
            if let Some(points) = &wkb {
                match (points[r], lon, lat) {
                    (Some((x, y)), Some(i), Some(j)) => {
                        fields[i] = Some(x.to_string());
                        fields[j] = Some(y.to_string());
                    }
                    _ => {
                        problem = Some(
                            Problem::new(line, "lon", "", Reason::CoordInvalid)
                                .detail("geometry 应为 WKB Point"),
                        )
                    }
                }
            }
            rows.push(OwnedRow {
                line,
                fields,
                problem,
            });
        }
    }
    Ok((rows, map.ignored))
}

/// Points of a WKB column (`None` for nulls and non-points).
fn wkb_points(column: &dyn Array) -> Vec<Option<(f64, f64)>> {
    if let Some(a) = column.as_any().downcast_ref::<BinaryArray>() {
        (0..a.len())
            .map(|i| (!a.is_null(i)).then(|| wkb_point(a.value(i))).flatten())
            .collect()
    } else if let Some(a) = column.as_any().downcast_ref::<LargeBinaryArray>() {
        (0..a.len())
            .map(|i| (!a.is_null(i)).then(|| wkb_point(a.value(i))).flatten())
            .collect()
    } else {
        vec![None; column.len()]
    }
}

/// Decodes a 2D (or Z/M, ISO or EWKB flag) WKB Point.
pub fn wkb_point(b: &[u8]) -> Option<(f64, f64)> {
    if b.len() < 21 {
        return None;
    }
    let little = match b[0] {
        1 => true,
        0 => false,
        _ => return None,
    };
    let u32_at = |o: usize| {
        let bytes: [u8; 4] = b[o..o + 4].try_into().ok()?;
        Some(if little {
            u32::from_le_bytes(bytes)
        } else {
            u32::from_be_bytes(bytes)
        })
    };
    let f64_at = |o: usize| {
        let bytes: [u8; 8] = b.get(o..o + 8)?.try_into().ok()?;
        Some(if little {
            f64::from_le_bytes(bytes)
        } else {
            f64::from_be_bytes(bytes)
        })
    };
    let ty = u32_at(1)?;
    // ISO: 1, 1001 (Z), 2001 (M), 3001 (ZM); EWKB: high flag bits over 1.
    let base = (ty & 0x0FFF_FFFF) % 1000;
    let srid = ty & 0x2000_0000 != 0;
    if base != 1 {
        return None;
    }
    let offset = if srid { 9 } else { 5 };
    Some((f64_at(offset)?, f64_at(offset + 8)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(first cell, line)` of every record.
    fn lines(text: &str) -> Vec<(String, u64)> {
        let mut reader = csv_reader(text.as_bytes());
        let mut counter = LineCounter::new(text.as_bytes());
        let mut record = csv::ByteRecord::new();
        let mut out = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            let first = String::from_utf8_lossy(&record[0]).into_owned();
            out.push((first, counter.line(record.position())));
        }
        out
    }

    #[test]
    fn lines_are_counted_for_every_terminator() {
        // A blank line, and a quoted cell over two lines.
        let want: Vec<(String, u64)> = [("h", 1), ("a", 2), ("b", 4), ("c", 6)]
            .iter()
            .map(|&(c, l)| (c.to_string(), l))
            .collect();
        assert_eq!(lines("h,x\na,1\n\nb,\"2\n2\"\nc,3\n"), want);
        assert_eq!(lines("h,x\r\na,1\r\n\r\nb,\"2\r\n2\"\r\nc,3\r\n"), want);
        assert_eq!(lines("h,x\r\na,1\r\n\r\nb,\"2\r\n2\"\r\nc,3"), want);
    }

    #[test]
    fn the_separator_is_the_one_that_splits_rows_evenly() {
        assert_eq!(sniff_delimiter(b"a,b,c\n1,2,3\n"), b',');
        assert_eq!(
            sniff_delimiter("标题\na\tb\tc\n1\t2,5\t3\n".as_bytes()),
            b'\t'
        );
        assert_eq!(sniff_delimiter(b"a;b;c\n1;\"x;y\";3\n4;5;6\n"), b';');
        assert_eq!(sniff_delimiter(b"a|b\n1|2\n"), b'|');
        // Nothing splits: a comma, as before.
        assert_eq!(sniff_delimiter(b"title\n"), b',');
        // As many commas as semicolons: a comma.
        assert_eq!(sniff_delimiter(b"a,b;c\n1,2;3\n"), b',');
    }

    #[test]
    fn full_width_forms_become_ascii() {
        assert_eq!(normalize_cell(" ３３０１０６ "), "330106");
        assert_eq!(
            normalize_cell("１１０１０１１９８０Ｘ\u{3000}"),
            "1101011980X"
        );
        assert_eq!(normalize_cell("２０２５－０１－０１"), "2025-01-01");
        assert!(matches!(
            normalize_cell(" 西湖区 "),
            Cow::Borrowed("西湖区")
        ));
    }
}
