//! Problems found in an input file: every rejected row and every finding, with its line,
//! field, (masked) value, reason code and a Chinese message — the 问题数据反馈 sent back.

use serde::Serialize;

/// Whether a problem rejects the batch or is only reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The row is invalid: the batch cannot land.
    Error,
    /// The row lands, but something should be checked (e.g. point outside the declared county).
    Finding,
}

macro_rules! reasons {
    ($($variant:ident $code:literal $sev:ident $zh:literal $en:literal;)*) => {
        /// Why a row or file was rejected or flagged.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Reason { $(#[doc = $en] $variant,)* }

        impl Reason {
            /// Every reason, in report order.
            pub const ALL: &'static [Reason] = &[$(Reason::$variant,)*];
            /// Stable reason code.
            pub const fn code(self) -> &'static str { match self { $(Reason::$variant => $code,)* } }
            /// Error or finding.
            pub const fn severity(self) -> Severity { match self { $(Reason::$variant => Severity::$sev,)* } }
            /// Message in Chinese.
            pub const fn message_zh(self) -> &'static str { match self { $(Reason::$variant => $zh,)* } }
            /// Message in English.
            pub const fn message_en(self) -> &'static str { match self { $(Reason::$variant => $en,)* } }
            /// The reason with this code.
            pub fn from_code(code: &str) -> Option<Reason> {
                Reason::ALL.iter().copied().find(|r| r.code() == code)
            }
        }
    };
}

reasons! {
    Encoding "ENCODING" Error "文件编码无法识别（应为 UTF-8 或 GB18030）" "file encoding is not UTF-8 or GB18030";
    EmptyFile "EMPTY_FILE" Error "文件为空或没有数据行" "file is empty or has no data rows";
    FileFormat "FILE_FORMAT" Error "文件格式错误，无法读取" "file cannot be read in the declared format";
    MissingColumn "MISSING_COLUMN" Error "缺少必填列" "a required column is missing";
    ColumnCount "COLUMN_COUNT" Error "字段个数与表头不一致（可能是文件被截断）" "field count differs from the header (truncated file?)";
    Required "REQUIRED" Error "必填字段为空" "a required field is empty";
    IdFormat "ID_FORMAT" Error "身份证号格式错误（应为17位数字加1位数字或X）" "ID number is not 17 digits and a digit or X";
    IdBirthDate "ID_BIRTH_DATE" Error "身份证号中的出生日期无效" "ID number carries an invalid birth date";
    IdCheckDigit "ID_CHECK_DIGIT" Error "身份证号校验码错误" "ID number check digit is wrong";
    CreditCode "CREDIT_CODE" Error "统一社会信用代码格式或校验码错误" "credit code has a wrong format or check character";
    DivisionFormat "DIVISION_FORMAT" Error "区划代码应为6位数字（或9位乡级、12位村级代码）" "division code is not 6 digits (or a 9-digit township, 12-digit village code)";
    DivisionUnknown "DIVISION_UNKNOWN" Error "区划代码不存在（也不在区划变更表中）" "division code does not exist, nor in the code-change table";
    DivisionNotCounty "DIVISION_NOT_COUNTY" Error "区划代码不是县级区划" "division code is not a county-level division";
    DivisionOutsideProvince "DIVISION_OUTSIDE_PROVINCE" Error "区划代码不属于本批次申报的省份" "division code lies outside the batch's province";
    CoordInvalid "COORD_INVALID" Error "坐标不是有效的经纬度数值" "coordinate is not a valid number of degrees";
    CoordOutsideChina "COORD_OUTSIDE_CHINA" Error "坐标不在中国陆地范围内（如位于海上或境外）" "point lies outside China's land boundaries (at sea or abroad)";
    DateInvalid "DATE_INVALID" Error "日期无效（应为 YYYY-MM-DD）" "date is invalid (expected YYYY-MM-DD)";
    DateFuture "DATE_FUTURE" Error "开始日期晚于今天" "start date is in the future";
    DateOrder "DATE_ORDER" Error "结束日期不晚于开始日期" "end date is not after the start date";
    OutOfSlice "OUT_OF_SLICE" Error "记录在本批次申报月份内不在保" "record is not in force in the batch's month";
    ValueInvalid "VALUE_INVALID" Error "字段取值无效" "field value is not allowed";
    AgeRule "AGE_RULE" Error "年龄不符合该类别的条件" "age does not fit the kind's rule";
    Capacity "CAPACITY" Error "在院人数超过床位数" "occupied places exceed capacity";
    DuplicateInBatch "DUPLICATE_IN_BATCH" Error "同一批次内重复（同一身份证号或信用代码）" "duplicate within the batch (same ID number or credit code)";
    CoordCountyMismatch "COORD_COUNTY_MISMATCH" Finding "坐标与申报区划不一致（超出容差）" "point lies outside the declared county beyond the tolerance";
    CoordSnapped "COORD_SNAPPED" Finding "坐标在边界外容差范围内，归入申报区划" "point just outside the boundary, within tolerance: assigned to the declared county";
    IdUpgraded "ID_UPGRADED" Finding "15位身份证号已按 GB 11643 升级为18位后入库" "15-digit ID number upgraded to its 18-digit form (GB 11643)";
    DivisionCodeChanged "DIVISION_CODE_CHANGED" Finding "区划代码已变更，按变更后的代码入库" "division code has changed: stored under its successor";
}

/// One problem of one row (line 0: the file as a whole).
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Line of the source file (CSV: physical line, header = 1; GeoJSON: feature number;
    /// Parquet: row number), 0 for the whole file.
    pub line: u64,
    /// Column concerned (canonical name), empty for the whole row or file.
    pub field: &'static str,
    /// The value as given, masked when it is personal (ID numbers).
    pub value: String,
    /// Why.
    pub reason: Reason,
    /// What exactly (e.g. "expected 9 fields, got 7"), may be empty.
    pub detail: String,
    /// Declared division code of the row, when readable (for per-division quality).
    pub declared_code: Option<u32>,
}

impl Problem {
    /// A problem of a row's field.
    pub fn new(line: u64, field: &'static str, value: impl Into<String>, reason: Reason) -> Self {
        Problem {
            line,
            field,
            value: value.into(),
            reason,
            detail: String::new(),
            declared_code: None,
        }
    }

    /// With detail text.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}
