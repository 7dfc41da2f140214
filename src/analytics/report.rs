//! The county "只报一次" table: one row per county-level unit, one column per kind, for a
//! month — the table a county hands in once instead of many times.

use super::AnalyticsError;
use crate::domain::{DivisionCode, Kind, Level, Month, Registry};
use crate::store::Store;
use serde::Serialize;
use std::collections::HashMap;

/// One county's row.
#[derive(Debug, Clone, Serialize)]
pub struct CountyRow {
    /// Leaf division code.
    pub code: DivisionCode,
    /// Its name.
    pub name: String,
    /// Name of its prefecture-level unit (itself for 省直辖县级 and similar).
    pub prefecture: String,
    /// Name of its province.
    pub province: String,
    /// Figures in [`Kind::ALL`] order.
    pub counts: Vec<u64>,
}

/// The table for every leaf under `parent` (or the whole country).
pub fn county_table(
    store: &Store,
    registry: &Registry,
    parent: Option<DivisionCode>,
    month: Month,
) -> Result<Vec<CountyRow>, AnalyticsError> {
    let mut counts: HashMap<(DivisionCode, Kind), u64> = HashMap::new();
    for (code, kind, n) in store.county_kind_counts(parent, month)? {
        counts.insert((code, kind), n);
    }
    let name_of = |code: DivisionCode, level: Level| {
        registry
            .representative(code, level)
            .and_then(|c| registry.get(c))
            .map(|d| d.name.clone())
            .unwrap_or_default()
    };
    Ok(registry
        .partition(Level::County, parent)
        .into_iter()
        .filter_map(|code| {
            let info = registry.get(code)?;
            Some(CountyRow {
                code,
                name: info.name.clone(),
                prefecture: name_of(code, Level::Prefecture),
                province: name_of(code, Level::Province),
                counts: Kind::ALL
                    .iter()
                    .map(|&k| counts.get(&(code, k)).copied().unwrap_or(0))
                    .collect(),
            })
        })
        .collect())
}

/// The table as an XLSX workbook (bytes), headers in Chinese with English below.
pub fn county_table_xlsx(
    rows: &[CountyRow],
    month: Month,
    scope: &str,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(format!("只报一次 {month}"))?;
    let bold = Format::new().set_bold();
    let title = format!("{scope} 民政服务对象只报一次统计表（{month}）");
    sheet.write_string_with_format(0, 0, &title, &bold)?;
    let fixed = [
        ("区划代码", "code"),
        ("名称", "name"),
        ("所属地级", "prefecture"),
        ("所属省级", "province"),
    ];
    for (col, (zh, en)) in fixed.iter().enumerate() {
        sheet.write_string_with_format(1, col as u16, *zh, &bold)?;
        sheet.write_string(2, col as u16, *en)?;
    }
    for (i, kind) in Kind::ALL.iter().enumerate() {
        let col = (fixed.len() + i) as u16;
        sheet.write_string_with_format(1, col, kind.name_zh(), &bold)?;
        sheet.write_string(2, col, kind.id())?;
    }
    for (r, row) in rows.iter().enumerate() {
        let line = (r + 3) as u32;
        sheet.write_string(line, 0, row.code.to_string())?;
        sheet.write_string(line, 1, &row.name)?;
        sheet.write_string(line, 2, &row.prefecture)?;
        sheet.write_string(line, 3, &row.province)?;
        for (i, n) in row.counts.iter().enumerate() {
            sheet.write_number(line, (fixed.len() + i) as u16, *n as f64)?;
        }
    }
    sheet.set_freeze_panes(3, 2)?;
    sheet.set_column_width(1, 18)?;
    sheet.set_column_width(2, 16)?;
    sheet.set_column_width(3, 16)?;
    workbook.save_to_buffer()
}

/// A statistics table (one row per division) as an XLSX workbook.
pub fn stats_xlsx(result: &super::StatsResult) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(format!("{} {}", result.level.name_zh(), result.month))?;
    let bold = Format::new().set_bold();
    let kind = result.kind.map(|k| k.name_zh()).unwrap_or("全部类别");
    sheet.write_string_with_format(
        0,
        0,
        format!("{kind} · {} · 截至 {}", result.month, result.as_of),
        &bold,
    )?;
    let headers = [
        ("区划代码", "code"),
        ("名称", "name"),
        ("人数/数量", "count"),
        ("上月", "previous"),
        ("环比变化", "change"),
        ("环比%", "change_pct"),
        ("新增", "entered"),
        ("退出", "exited"),
        ("常住人口(估计)", "population"),
        ("每万人", "rate_per_10k"),
    ];
    for (col, (zh, en)) in headers.iter().enumerate() {
        sheet.write_string_with_format(1, col as u16, *zh, &bold)?;
        sheet.write_string(2, col as u16, *en)?;
    }
    for (i, r) in result.rows.iter().enumerate() {
        let line = (i + 3) as u32;
        sheet.write_string(line, 0, r.code.to_string())?;
        sheet.write_string(line, 1, &r.name)?;
        // Suppressed figures (viewers) are marked, not left blank: blank reads as zero.
        let mut cell = |col: u16, v: Option<f64>| match v {
            Some(v) => sheet.write_number(line, col, v).map(|_| ()),
            None => sheet.write_string(line, col, "*").map(|_| ()),
        };
        cell(2, r.shown_count().map(|v| v as f64))?;
        cell(3, r.shown_previous().map(|v| v as f64))?;
        let change = r.shown_change();
        cell(4, change.map(|c| c.0 as f64))?;
        let flows = r.shown_flows();
        cell(6, flows.map(|f| f.0 as f64))?;
        cell(7, flows.map(|f| f.1 as f64))?;
        if let Some(v) = change.and_then(|c| c.1) {
            sheet.write_number(line, 5, v)?;
        }
        if let Some(v) = r.population {
            sheet.write_number(line, 8, v as f64)?;
        }
        if r.hidden.count {
            sheet.write_string(line, 9, "*")?;
        } else if let Some(v) = r.rate_per_10k {
            sheet.write_number(line, 9, v)?;
        }
    }
    sheet.set_freeze_panes(3, 2)?;
    sheet.set_column_width(1, 18)?;
    workbook.save_to_buffer()
}
