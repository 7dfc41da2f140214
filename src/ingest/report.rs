//! Problem reports (问题数据反馈) as CSV and XLSX files for the submitting department.

use super::ReasonCount;
use crate::store::ProblemRow;
use std::io::Write;

/// Column headers, Chinese first.
const HEADER: [&str; 8] = [
    "行号 line",
    "字段 field",
    "取值 value",
    "原因代码 code",
    "级别 severity",
    "问题说明 message",
    "详情 detail",
    "申报区划 declared_code",
];

fn message(code: &str) -> &'static str {
    super::Reason::from_code(code).map_or("", |r| r.message_zh())
}

fn severity_zh(severity: &str) -> &'static str {
    if severity == "error" {
        "错误"
    } else {
        "提示"
    }
}

/// Writes the problems as UTF-8 CSV with a byte-order mark (so spreadsheet programs on
/// Chinese Windows read it as UTF-8).
pub fn write_csv(rows: &[ProblemRow], out: &mut impl Write) -> std::io::Result<()> {
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER)?;
    for r in rows {
        w.write_record([
            r.line.to_string().as_str(),
            &r.field,
            &r.value,
            &r.code,
            severity_zh(&r.severity),
            message(&r.code),
            &r.detail,
            &r.declared_code
                .map(|c| format!("{c:06}"))
                .unwrap_or_default(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// The problems as an XLSX workbook: a summary sheet per reason and the rows.
pub fn xlsx(
    rows: &[ProblemRow],
    summary: &[ReasonCount],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet().set_name("汇总 summary")?;
    for (c, h) in [
        "原因代码 code",
        "级别 severity",
        "条数 count",
        "问题说明 message",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, s) in summary.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write(r, 0, &s.code)?;
        sheet.write(r, 1, severity_zh(&s.severity))?;
        sheet.write(r, 2, s.count as f64)?;
        sheet.write(r, 3, &s.message_zh)?;
    }
    sheet.set_column_width(3, 50)?;
    let sheet = book.add_worksheet().set_name("问题数据 problems")?;
    for (c, h) in HEADER.iter().enumerate() {
        sheet.write_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, p) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write(r, 0, p.line as f64)?;
        sheet.write(r, 1, &p.field)?;
        sheet.write(r, 2, &p.value)?;
        sheet.write(r, 3, &p.code)?;
        sheet.write(r, 4, severity_zh(&p.severity))?;
        sheet.write(r, 5, message(&p.code))?;
        sheet.write(r, 6, &p.detail)?;
        if let Some(c) = p.declared_code {
            sheet.write(r, 7, format!("{c:06}"))?;
        }
    }
    sheet.set_column_width(5, 40)?;
    sheet.set_column_width(6, 30)?;
    book.save_to_buffer()
}
