//! The column contract of each kind: which columns a file must or may carry, their types and
//! the Chinese header names accepted for them. `datasets/contracts/README.md` documents the
//! same table (a test keeps the two in step).

use crate::domain::{Kind, Unit};

/// What a column holds and how it is checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldType {
    /// 6-digit GB/T 2260 division code.
    DivisionCode,
    /// Longitude in degrees.
    Lon,
    /// Latitude in degrees.
    Lat,
    /// A date: `YYYY-MM-DD`, `YYYYMMDD`, `YYYY/M/D`, `YYYY.M.D` or `YYYY年M月D日`.
    Date,
    /// 18-digit 居民身份证号 (never stored: hashed and masked).
    IdNumber,
    /// 18-character 统一社会信用代码.
    CreditCode,
    /// Free text (stored as given, trimmed).
    Text,
    /// An integer within bounds.
    Int {
        /// Smallest allowed.
        min: i64,
        /// Largest allowed.
        max: i64,
    },
    /// A number within bounds.
    Number {
        /// Smallest allowed.
        min: f64,
        /// Largest allowed.
        max: f64,
    },
    /// One of the listed values: (stored value, Chinese alias).
    Choice(&'static [(&'static str, &'static str)]),
    /// `true`/`false`, `1`/`0`, `是`/`否`.
    Bool,
}

/// One column of a contract.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Canonical header name.
    pub name: &'static str,
    /// Chinese header name also accepted.
    pub name_zh: &'static str,
    /// Type and check.
    pub ty: FieldType,
    /// Whether every row must fill it.
    pub required: bool,
    /// Stored in the record's `attrs` JSON object (kind-specific fields).
    pub attr: bool,
}

const fn col(name: &'static str, name_zh: &'static str, ty: FieldType, required: bool) -> Column {
    Column {
        name,
        name_zh,
        ty,
        required,
        attr: false,
    }
}

const fn attr(name: &'static str, name_zh: &'static str, ty: FieldType, required: bool) -> Column {
    Column {
        name,
        name_zh,
        ty,
        required,
        attr: true,
    }
}

/// Columns every kind shares. In GeoJSON and GeoParquet, `lon`/`lat` come from the point
/// geometry instead.
const COMMON: [Column; 5] = [
    col("division_code", "区划代码", FieldType::DivisionCode, true),
    col("lon", "经度", FieldType::Lon, true),
    col("lat", "纬度", FieldType::Lat, true),
    col("valid_from", "开始日期", FieldType::Date, true),
    col("valid_to", "结束日期", FieldType::Date, false),
];

const ID_NUMBER: Column = col("id_number", "身份证号", FieldType::IdNumber, true);
const CREDIT_CODE: Column = col(
    "credit_code",
    "统一社会信用代码",
    FieldType::CreditCode,
    true,
);

/// Every column of `kind`'s contract, in documentation order.
pub fn columns(kind: Kind) -> Vec<Column> {
    let mut columns = COMMON.to_vec();
    match kind.unit() {
        Unit::Person | Unit::Event => columns.push(ID_NUMBER),
        Unit::Organization | Unit::Facility => columns.push(CREDIT_CODE),
    }
    columns.extend(specific(kind));
    columns
}

fn specific(kind: Kind) -> Vec<Column> {
    use FieldType::*;
    match kind {
        Kind::Dibao => vec![
            attr(
                "area",
                "城乡类别",
                Choice(&[("urban", "城市"), ("rural", "农村")]),
                false,
            ),
            attr("household_size", "保障人口", Int { min: 1, max: 30 }, false),
            attr(
                "monthly_amount",
                "月保障金额",
                Number {
                    min: 0.0,
                    max: 20_000.0,
                },
                false,
            ),
        ],
        Kind::Tekun => vec![attr(
            "care",
            "供养方式",
            Choice(&[("centralized", "集中供养"), ("dispersed", "分散供养")]),
            false,
        )],
        Kind::LowIncome => vec![attr(
            "category",
            "监测类别",
            Choice(&[("edge", "低保边缘"), ("rigid_expense", "刚性支出困难")]),
            false,
        )],
        Kind::Orphan | Kind::DeFactoOrphan => vec![attr(
            "placement",
            "安置方式",
            Choice(&[("institution", "机构养育"), ("kinship", "亲属抚养")]),
            false,
        )],
        Kind::DisabilityLiving | Kind::DisabilityCare => {
            vec![attr("grade", "残疾等级", Int { min: 1, max: 4 }, true)]
        }
        Kind::Marriage => vec![
            attr(
                "type",
                "登记类型",
                Choice(&[("marriage", "结婚"), ("divorce", "离婚")]),
                true,
            ),
            attr("cross_province", "跨省通办", Bool, false),
        ],
        Kind::SocialOrg => vec![attr("name", "名称", Text, true)],
        Kind::ElderlyCare | Kind::ReliefStation | Kind::Funeral => vec![
            col("name", "名称", Text, true),
            col(
                "capacity",
                "床位数",
                Int {
                    min: 0,
                    max: 100_000,
                },
                true,
            ),
            col(
                "occupied",
                "在院人数",
                Int {
                    min: 0,
                    max: 100_000,
                },
                false,
            ),
        ],
    }
}

/// Other headers registers and templates use for a column (accepted like its names).
pub fn aliases(column: &str) -> &'static [&'static str] {
    match column {
        "division_code" => &[
            "行政区划代码",
            "区划编码",
            "行政区划编码",
            "所属区划代码",
            "adcode",
        ],
        "lon" => &["经度坐标", "lng", "longitude"],
        "lat" => &["纬度坐标", "latitude"],
        "valid_from" => &["起始日期", "开始时间", "生效日期"],
        "valid_to" => &["终止日期", "截止日期", "结束时间", "失效日期"],
        "id_number" => &["身份证号码", "公民身份号码", "居民身份证号", "证件号码"],
        "credit_code" => &["信用代码", "社会信用代码"],
        "name" => &["机构名称", "单位名称"],
        "capacity" => &["床位", "核定床位数"],
        "occupied" => &["入住人数", "在住人数"],
        "household_size" => &["保障人数", "家庭人口数"],
        "monthly_amount" => &["保障金额", "月保障金"],
        "date" => &["死亡日期", "注销日期"],
        _ => &[],
    }
}

/// A header cell as templates write it: no BOM, spaces, required-marks (`*`) or a note in
/// brackets (`身份证号（必填）`), lower case.
fn normalize_header(cell: &str) -> String {
    let mut h = cell
        .trim()
        .trim_start_matches('\u{feff}')
        .trim_matches(['*', ' ']);
    for (open, close) in [('（', '）'), ('(', ')')] {
        if let (Some(at), true) = (h.find(open), h.ends_with(close)) {
            if at > 0 {
                h = h[..at].trim_end();
            }
        }
    }
    h.trim_matches(['*', ' ']).to_lowercase()
}

/// The canonical column a header cell names (trimmed, case-insensitive, BOM stripped).
pub fn match_header<'a>(columns: &'a [Column], header: &str) -> Option<(usize, &'a Column)> {
    let h = normalize_header(header);
    columns
        .iter()
        .enumerate()
        .find(|(_, c)| c.name == h || c.name_zh == h)
        .or_else(|| {
            columns
                .iter()
                .enumerate()
                .find(|(_, c)| aliases(c.name).contains(&h.as_str()))
        })
}

/// Columns of a reference list (数据比对, e.g. a death register): whose ID number, and its date.
pub const REFERENCE_LIST: [Column; 2] = [ID_NUMBER, col("date", "日期", FieldType::Date, true)];

/// A contract as a Markdown table (what `datasets/contracts/README.md` shows per kind).
pub fn markdown_table(columns: &[Column]) -> String {
    let mut out = String::from("| column | 中文表头 | type | required |\n|---|---|---|---|\n");
    for c in columns {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            c.name,
            std::iter::once(c.name_zh)
                .chain(aliases(c.name).iter().copied())
                .collect::<Vec<_>>()
                .join(" / "),
            describe(c.ty),
            if c.required { "yes" } else { "no" }
        ));
    }
    out
}

fn describe(ty: FieldType) -> String {
    match ty {
        FieldType::DivisionCode => {
            "division code (6 digits; a 9/12-digit township/village code counts as its county)"
                .into()
        }
        FieldType::Lon => "longitude".into(),
        FieldType::Lat => "latitude".into(),
        FieldType::Date => "date".into(),
        FieldType::IdNumber => "ID number (18)".into(),
        FieldType::CreditCode => "credit code (18)".into(),
        FieldType::Text => "text".into(),
        FieldType::Int { min, max } => format!("integer {min}–{max}"),
        FieldType::Number { min, max } => format!("number {min}–{max}"),
        FieldType::Choice(values) => values
            .iter()
            .map(|(v, zh)| format!("`{v}`/{zh}"))
            .collect::<Vec<_>>()
            .join(", "),
        FieldType::Bool => "boolean (true/false, 1/0, 是/否)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_as_templates_write_them() {
        let dibao = columns(Kind::Dibao);
        let name = |header: &str| match_header(&dibao, header).map(|(_, c)| c.name);
        assert_eq!(name("division_code"), Some("division_code"));
        assert_eq!(name(" \u{feff}Division_Code "), Some("division_code"));
        assert_eq!(name("区划代码*"), Some("division_code"));
        assert_eq!(name("行政区划代码"), Some("division_code"));
        assert_eq!(name("*身份证号码（必填）"), Some("id_number"));
        assert_eq!(name("经度(WGS84)"), Some("lon"));
        assert_eq!(name("纬度 （GCJ-02）"), Some("lat"));
        assert_eq!(name("姓名"), None);
        assert_eq!(name("（备注）"), None);
        assert_eq!(name("*"), None);
    }
}
