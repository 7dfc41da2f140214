//! Per-row validation: every field of a row checked against its kind's contract, the point
//! converted to WGS84 and assigned to its county, the ID number hashed and masked (the raw
//! number goes no further than this function).

use super::contract::{Column, FieldType};
use super::problem::{Problem, Reason};
use crate::domain::identity::{
    eighteen_digit_id, mask_id_number, validate_credit_code, validate_id_number, IdNumberError,
    PersonHasher,
};
use crate::domain::{
    CodeChanges, Datum, DivisionCode, Facility, Kind, Month, Registry, ServiceObject, Unit,
};
use crate::spatial::{BoundaryDistance, CountyIndex};
use chrono::{Datelike, Days, NaiveDate};
use std::fmt::Write;

/// A row that passed: the record to store (ids are given when appended).
#[derive(Debug, Clone)]
pub enum Accepted {
    /// A person, organization or event.
    Object(ServiceObject),
    /// A facility.
    Facility(Facility),
}

impl Accepted {
    /// The key that must be unique within a batch: the person hash or the credit code.
    pub fn identity(&self) -> Option<&str> {
        match self {
            Accepted::Object(o) => o.person_hash.as_deref().or(o.credit_code.as_deref()),
            Accepted::Facility(f) => Some(f.credit_code.as_str()),
        }
    }
}

/// A 128-bit key of an identity: the first 32 hex digits of a person hash, or a credit code
/// packed in base 36 (18 characters fit in 94 bits).
pub fn identity_key(identity: &str) -> Option<u128> {
    if identity.len() == 64 {
        let mut key = [0u8; 16];
        hex::decode_to_slice(&identity[..32], &mut key).ok()?;
        return Some(u128::from_be_bytes(key));
    }
    identity.bytes().try_fold(0u128, |acc, b| {
        Some(acc * 36 + u128::from((b as char).to_digit(36)?))
    })
}

/// The outcome of one row.
#[derive(Debug, Clone, Default)]
pub struct RowResult {
    /// The record, when the row has no error (it may still carry findings).
    pub record: Option<Accepted>,
    /// Errors and findings.
    pub problems: Vec<Problem>,
    /// The record's identity as a 128-bit key, to find duplicates within the batch.
    pub identity_key: Option<u128>,
}

/// What a validator needs to know, shared by every row of a batch.
pub struct Validator<'a> {
    /// Kind of every row.
    pub kind: Kind,
    /// The batch's province: rows declared elsewhere are rejected.
    pub province: Option<DivisionCode>,
    /// The batch's month: rows not in force in it are rejected.
    pub month: Option<Month>,
    /// Dates after this are in the future.
    pub today: NaiveDate,
    /// Declared coordinate system of the points.
    pub datum: Datum,
    /// How far (metres) a point may lie outside its declared county without a finding.
    pub tolerance_m: f64,
    /// Division tree.
    pub registry: &'a Registry,
    /// Assignment index over the leaves.
    pub index: &'a CountyIndex,
    /// Distances to leaf boundaries (how far outside its declared county a point lies).
    pub boundaries: &'a BoundaryDistance,
    /// Code changes.
    pub changes: &'a CodeChanges,
    /// Keyed hash of ID numbers.
    pub hasher: &'a PersonHasher,
    /// Contract columns of the kind.
    pub columns: Vec<Column>,
}

/// The detail of a point whose longitude and latitude look swapped.
const SWAPPED_HINT: &str = "经纬度可能填反：经度在前，纬度在后";

/// Index of each canonical column in [`Validator::columns`].
struct Slots {
    division: usize,
    lon: usize,
    lat: usize,
    from: usize,
    to: usize,
    key: usize,
}

const SLOTS: Slots = Slots {
    division: 0,
    lon: 1,
    lat: 2,
    from: 3,
    to: 4,
    key: 5,
};

impl Validator<'_> {
    /// Checks one row. `fields[i]` is the trimmed value of contract column `i` (`None` when
    /// the column is absent or the cell empty).
    pub fn row(&self, line: u64, fields: &[Option<&str>]) -> RowResult {
        let mut problems = Vec::new();
        let get = |i: usize| fields.get(i).copied().flatten();
        // Required fields first: an empty one is reported once, not again by its type check.
        for (i, c) in self.columns.iter().enumerate() {
            if c.required && get(i).is_none() {
                problems.push(Problem::new(line, c.name, "", Reason::Required));
            }
        }
        let declared = get(SLOTS.division).and_then(|v| self.division(line, v, &mut problems));
        let point = match (get(SLOTS.lon), get(SLOTS.lat)) {
            (Some(lon), Some(lat)) => self.point(line, lon, lat, &mut problems),
            _ => None,
        };
        let from = get(SLOTS.from).and_then(|v| date(line, "valid_from", v, &mut problems));
        let to = get(SLOTS.to).and_then(|v| date(line, "valid_to", v, &mut problems));
        if let Some(from) = from {
            if from > self.today {
                problems.push(Problem::new(
                    line,
                    "valid_from",
                    from.to_string(),
                    Reason::DateFuture,
                ));
            }
            if let Some(to) = to.filter(|to| *to <= from) {
                problems.push(
                    Problem::new(line, "valid_to", to.to_string(), Reason::DateOrder)
                        .detail(format!("valid_from {from}")),
                );
            }
        }
        let is_event = self.kind.unit() == Unit::Event;
        // An event lasts its day; a given end date is not used.
        let to = if is_event {
            from.map(|d| d + Days::new(1))
        } else {
            to
        };
        if let (Some(month), Some(from)) = (self.month, from) {
            let in_force = from <= month.last_day() && to.is_none_or(|t| t > month.first_day());
            if !in_force {
                problems.push(
                    Problem::new(line, "valid_from", from.to_string(), Reason::OutOfSlice)
                        .detail(format!("month {month}")),
                );
            }
        }
        let key = get(SLOTS.key);
        let (person, credit) = match self.kind.unit() {
            Unit::Person | Unit::Event => (
                key.and_then(|v| self.id_number(line, v, from, fields, &mut problems)),
                None,
            ),
            Unit::Organization | Unit::Facility => {
                let credit = key.and_then(|v| {
                    let upper = v.to_ascii_uppercase();
                    if validate_credit_code(&upper) {
                        Some(upper)
                    } else {
                        problems.push(Problem::new(line, "credit_code", v, Reason::CreditCode));
                        None
                    }
                });
                (None, credit)
            }
        };
        let attrs = self.attributes(line, fields, &mut problems);
        let (facility_name, capacity, occupied) = if self.kind.is_facility() {
            self.facility_fields(line, fields, &mut problems)
        } else {
            (None, None, None)
        };
        // The point is placed even when other fields failed, so a point at sea is reported too.
        let placed = point
            .map(|(lon, lat)| self.place(line, declared.map(|d| d.0), lon, lat, &mut problems));
        for p in &mut problems {
            p.declared_code = declared.map(|d| d.0.get());
        }
        if problems
            .iter()
            .any(|p| p.reason.severity() == super::problem::Severity::Error)
        {
            return RowResult {
                record: None,
                problems,
                identity_key: None,
            };
        }
        // Every required part is present here, or an error was recorded above.
        let (Some((declared, changed_from)), Some((lon, lat)), Some((county, cell)), Some(from)) =
            (declared, point, placed, from)
        else {
            return RowResult {
                record: None,
                problems,
                identity_key: None,
            };
        };
        let original = changed_from.map(|old| format!("{old:06}"));
        let mut attrs = attrs;
        if let Some(old) = &original {
            attrs.push(("declared_code_original", Cell::Text(old)));
        }
        let record = if self.kind.is_facility() {
            let (Some(name), Some(capacity), Some(credit)) = (facility_name, capacity, credit)
            else {
                return RowResult {
                    record: None,
                    problems,
                    identity_key: None,
                };
            };
            Accepted::Facility(Facility {
                id: 0,
                kind: self.kind,
                name,
                credit_code: credit,
                lon,
                lat,
                declared_code: declared.get(),
                county_code: county,
                h3: cell,
                capacity,
                occupied: occupied.unwrap_or(0),
                valid_from: from,
                valid_to: to,
                batch_id: 0,
            })
        } else {
            let (person_hash, person_masked) = match person {
                Some((hash, masked)) => (Some(hash), Some(masked)),
                None => (None, None),
            };
            Accepted::Object(ServiceObject {
                id: 0,
                kind: self.kind,
                lon,
                lat,
                declared_code: declared.get(),
                county_code: county,
                h3: cell,
                valid_from: from,
                valid_to: to,
                person_hash,
                person_masked,
                credit_code: credit,
                attrs: attrs_json(attrs),
                batch_id: 0,
            })
        };
        RowResult {
            identity_key: record.identity().and_then(identity_key),
            record: Some(record),
            problems,
        }
    }

    /// The declared county (after code changes) and the code as given when it changed.
    fn division(
        &self,
        line: u64,
        value: &str,
        problems: &mut Vec<Problem>,
    ) -> Option<(DivisionCode, Option<u32>)> {
        self.resolve_division(line, value, problems)
            .map_err(|p| problems.push(p))
            .ok()
    }

    /// [`Self::division`], with the one error that rejects the code (a code change found on
    /// the way is pushed to `findings`).
    fn resolve_division(
        &self,
        line: u64,
        value: &str,
        findings: &mut Vec<Problem>,
    ) -> Result<(DivisionCode, Option<u32>), Problem> {
        let problem = |reason| Problem::new(line, "division_code", value, reason);
        // A code exported as a number (`330106.0`), or a township (9 digits) or village /
        // statistical (12 digits, 统计用区划代码) code: its first 6 digits are the county.
        let digits = value.strip_suffix(".0").unwrap_or(value);
        if !matches!(digits.len(), 6 | 9 | 12) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(problem(Reason::DivisionFormat));
        }
        let code = digits[..6]
            .parse::<u32>()
            .ok()
            .and_then(|c| DivisionCode::new(c).ok())
            .ok_or_else(|| problem(Reason::DivisionUnknown))?;
        let (code, changed_from) = if self.registry.get(code).is_some() {
            (code, None)
        } else {
            let (new, effective) = self
                .changes
                .current(code.get())
                .ok_or_else(|| problem(Reason::DivisionUnknown))?;
            let new_code = DivisionCode::new(new).map_err(|_| problem(Reason::DivisionUnknown))?;
            findings.push(
                problem(Reason::DivisionCodeChanged).detail(format!("→ {new:06} ({effective})")),
            );
            (new_code, Some(code.get()))
        };
        let info = self
            .registry
            .get(code)
            .ok_or_else(|| problem(Reason::DivisionUnknown))?;
        if !info.is_leaf {
            return Err(problem(Reason::DivisionNotCounty).detail(info.name.clone()));
        }
        if let Some(province) = self.province {
            if self
                .registry
                .representative(code, crate::domain::Level::Province)
                != Some(province)
            {
                return Err(
                    problem(Reason::DivisionOutsideProvince).detail(format!("province {province}"))
                );
            }
        }
        Ok((code, changed_from))
    }

    fn point(
        &self,
        line: u64,
        lon: &str,
        lat: &str,
        problems: &mut Vec<Problem>,
    ) -> Option<(f64, f64)> {
        let parse = |v: &str| v.parse::<f64>().ok().filter(|x| x.is_finite());
        match (parse(lon), parse(lat)) {
            (Some(x), Some(y)) if (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y) => {
                Some(self.datum.to_wgs84(x, y))
            }
            (x, _) => {
                let (field, value) = if x.is_none_or(|x| !(-180.0..=180.0).contains(&x)) {
                    ("lon", lon)
                } else {
                    ("lat", lat)
                };
                let mut problem = Problem::new(line, field, value, Reason::CoordInvalid);
                // Latitude in the longitude column and the other way round: say so.
                if let (Some(x), Some(y)) = (parse(lon), parse(lat)) {
                    if (73.0..=136.0).contains(&y) && (3.0..=54.0).contains(&x) {
                        problem = problem.detail(SWAPPED_HINT);
                    }
                }
                problems.push(problem);
                None
            }
        }
    }

    /// Assigns the point: its county (or the declared one when it lies just outside every
    /// boundary) and H3 cell; a point far from its declared county is a finding.
    fn place(
        &self,
        line: u64,
        declared: Option<DivisionCode>,
        lon: f64,
        lat: f64,
        problems: &mut Vec<Problem>,
    ) -> (Option<u32>, Option<u64>) {
        let assignment = self.index.assign(lon, lat);
        let cell = assignment.cell.map(u64::from);
        // Formatted only for a problem (most rows have none).
        let shown = || format!("{lon:.6},{lat:.6}");
        let county = match (assignment.county, declared) {
            (Some(c), Some(d)) if c != d => {
                let distance = self.distance_to(d, lon, lat);
                if distance > self.tolerance_m {
                    let name = self.registry.get(c).map(|d| d.name.as_str()).unwrap_or("");
                    problems.push(
                        Problem::new(line, "lon", shown(), Reason::CoordCountyMismatch)
                            .detail(format!("在 {name} {c}，距申报区划 {distance:.0} 米")),
                    );
                }
                Some(c)
            }
            (Some(c), _) => Some(c),
            (None, declared) => {
                let distance = declared.map_or(f64::INFINITY, |d| self.distance_to(d, lon, lat));
                if distance <= self.tolerance_m {
                    problems.push(
                        Problem::new(line, "lon", shown(), Reason::CoordSnapped)
                            .detail(format!("距申报区划边界 {distance:.0} 米")),
                    );
                    declared
                } else {
                    // Swapped, the point would lie in its county: say so.
                    let swapped = declared.is_some_and(|d| {
                        self.index.assign(lat, lon).county == Some(d)
                            || self.distance_to(d, lat, lon) <= self.tolerance_m
                    });
                    let detail = if swapped {
                        SWAPPED_HINT.to_string()
                    } else if distance.is_finite() {
                        format!("距申报区划 {:.1} 公里", distance / 1000.0)
                    } else {
                        String::new()
                    };
                    problems.push(
                        Problem::new(line, "lon", shown(), Reason::CoordOutsideChina)
                            .detail(detail),
                    );
                    None
                }
            }
        };
        (county.map(DivisionCode::get), cell)
    }

    /// Metres from the point to the declared county's boundary.
    fn distance_to(&self, code: DivisionCode, lon: f64, lat: f64) -> f64 {
        self.boundaries
            .metres(code, lon, lat)
            .unwrap_or(f64::INFINITY)
    }

    /// Validates an ID number; returns its keyed hash and masked form.
    fn id_number(
        &self,
        line: u64,
        value: &str,
        from: Option<NaiveDate>,
        fields: &[Option<&str>],
        problems: &mut Vec<Problem>,
    ) -> Option<(String, String)> {
        let masked = mask_id_number(value);
        let id = eighteen_digit_id(value);
        let upgraded = matches!(id, std::borrow::Cow::Owned(_));
        let birth = match validate_id_number(&id, self.today) {
            Ok(birth) => birth,
            Err(e) => {
                let reason = match e {
                    IdNumberError::Format => Reason::IdFormat,
                    IdNumberError::BirthDate => Reason::IdBirthDate,
                    IdNumberError::CheckDigit => Reason::IdCheckDigit,
                };
                problems.push(Problem::new(line, "id_number", masked, reason));
                return None;
            }
        };
        if upgraded {
            problems.push(Problem::new(
                line,
                "id_number",
                masked.clone(),
                Reason::IdUpgraded,
            ));
        }
        if let Some(from) = from {
            let age = years_between(birth, from);
            let rule = match self.kind {
                Kind::Orphan | Kind::DeFactoOrphan if age >= 18 => Some("应未满18周岁".to_string()),
                Kind::Marriage => {
                    let marriage = self.attr_value(fields, "type") != Some("divorce");
                    // GB 11643: the 17th digit is odd for men. Legal age: men 22, women 20.
                    let male = id.as_bytes()[16] % 2 == 1;
                    let minimum = if male { 22 } else { 20 };
                    (marriage && age < minimum)
                        .then(|| format!("结婚登记年龄应不小于{minimum}周岁"))
                }
                _ => None,
            };
            if let Some(rule) = rule {
                problems.push(
                    Problem::new(line, "id_number", masked.clone(), Reason::AgeRule)
                        .detail(format!("{age} 周岁，{rule}")),
                );
            }
        }
        let masked = if upgraded {
            mask_id_number(&id)
        } else {
            masked
        };
        Some((self.hasher.hash_id_number(&id), masked))
    }

    /// The stored value of an attribute column (choice aliases resolved).
    fn attr_value<'f>(&self, fields: &[Option<&'f str>], name: &str) -> Option<&'f str> {
        let (i, column) = self
            .columns
            .iter()
            .enumerate()
            .find(|(_, c)| c.name == name)?;
        let raw = fields.get(i).copied().flatten()?;
        match column.ty {
            FieldType::Choice(values) => values
                .iter()
                .find(|(v, zh)| raw.eq_ignore_ascii_case(v) || raw == *zh)
                .map(|(v, _)| *v),
            _ => Some(raw),
        }
    }

    fn attributes<'f>(
        &self,
        line: u64,
        fields: &[Option<&'f str>],
        problems: &mut Vec<Problem>,
    ) -> Vec<(&'static str, Cell<'f>)> {
        let mut attrs = Vec::new();
        for (i, c) in self.columns.iter().enumerate().filter(|(_, c)| c.attr) {
            let Some(raw) = fields.get(i).copied().flatten() else {
                continue;
            };
            match typed(c.ty, raw) {
                Some(v) => attrs.push((c.name, v)),
                None => problems.push(
                    Problem::new(line, c.name, raw, Reason::ValueInvalid)
                        .detail(contract_hint(c.ty)),
                ),
            }
        }
        attrs
    }

    fn facility_fields(
        &self,
        line: u64,
        fields: &[Option<&str>],
        problems: &mut Vec<Problem>,
    ) -> (Option<String>, Option<u32>, Option<u32>) {
        let mut name = None;
        let mut capacity = None;
        let mut occupied = None;
        for (i, c) in self.columns.iter().enumerate().skip(SLOTS.key + 1) {
            let Some(raw) = fields.get(i).copied().flatten() else {
                continue;
            };
            match (c.name, typed(c.ty, raw)) {
                ("name", Some(Cell::Text(s))) => name = Some(s.to_string()),
                ("capacity", Some(Cell::Int(n))) => capacity = u32::try_from(n).ok(),
                ("occupied", Some(Cell::Int(n))) => occupied = u32::try_from(n).ok(),
                (_, _) => problems.push(
                    Problem::new(line, c.name, raw, Reason::ValueInvalid)
                        .detail(contract_hint(c.ty)),
                ),
            }
        }
        if let (Some(cap), Some(occ)) = (capacity, occupied) {
            if occ > cap {
                problems.push(
                    Problem::new(line, "occupied", occ.to_string(), Reason::Capacity)
                        .detail(format!("capacity {cap}")),
                );
            }
        }
        (name, capacity, occupied)
    }
}

/// A checked attribute value, borrowed from the row.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell<'f> {
    Text(&'f str),
    Int(i64),
    Number(f64),
    Choice(&'static str),
    Bool(bool),
}

/// The attributes as a JSON object with keys in name order, written directly (a
/// `serde_json::Map` per row cost a tenth of ingest time in allocations).
fn attrs_json(mut attrs: Vec<(&str, Cell)>) -> String {
    attrs.sort_unstable_by_key(|(name, _)| *name);
    let mut out = String::with_capacity(2 + attrs.len() * 24);
    out.push('{');
    for (i, (name, value)) in attrs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string(&mut out, name);
        out.push(':');
        match *value {
            Cell::Text(s) => json_string(&mut out, s),
            Cell::Choice(s) => json_string(&mut out, s),
            Cell::Int(n) => {
                let _ = write!(out, "{n}");
            }
            // serde_json's own formatting, so stored numbers read back exactly.
            Cell::Number(x) => out.push_str(
                &serde_json::Number::from_f64(x)
                    .map_or_else(|| "null".to_string(), |n| n.to_string()),
            ),
            Cell::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        }
    }
    out.push('}');
    out
}

/// Appends `s` as a JSON string literal.
fn json_string(out: &mut String, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        out.push_str(&serde_json::Value::from(s).to_string());
    }
}

/// The value of a typed cell, `None` when it does not fit.
fn typed(ty: FieldType, raw: &str) -> Option<Cell<'_>> {
    match ty {
        FieldType::Text => Some(Cell::Text(raw)),
        FieldType::Int { min, max } => raw
            .parse::<i64>()
            .ok()
            .or_else(|| {
                raw.parse::<f64>()
                    .ok()
                    .filter(|f| f.fract() == 0.0)
                    .map(|f| f as i64)
            })
            .filter(|n| (min..=max).contains(n))
            .map(Cell::Int),
        FieldType::Number { min, max } => raw
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && (min..=max).contains(n))
            .map(Cell::Number),
        FieldType::Choice(values) => values
            .iter()
            .find(|(v, zh)| raw.eq_ignore_ascii_case(v) || raw == *zh)
            .map(|(v, _)| Cell::Choice(v)),
        FieldType::Bool => match raw.to_ascii_lowercase().as_str() {
            "true" | "1" | "是" | "y" | "yes" => Some(Cell::Bool(true)),
            "false" | "0" | "否" | "n" | "no" => Some(Cell::Bool(false)),
            _ => None,
        },
        _ => Some(Cell::Text(raw)),
    }
}

fn contract_hint(ty: FieldType) -> String {
    match ty {
        FieldType::Choice(values) => {
            let list: Vec<String> = values.iter().map(|(v, zh)| format!("{v}/{zh}")).collect();
            format!("应为 {}", list.join("、"))
        }
        FieldType::Int { min, max } => format!("应为 {min}–{max} 的整数"),
        FieldType::Number { min, max } => format!("应为 {min}–{max} 的数值"),
        FieldType::Bool => "应为 是/否".into(),
        _ => String::new(),
    }
}

/// Parses a date as spreadsheets and registers write it (years 1900–2199): `YYYY-MM-DD`,
/// `YYYYMMDD`, `YYYY/M/D`, `YYYY.M.D`, `YYYY-M-D` (one or two digits for month and day) or
/// `YYYY年M月D日`; a time after a space or `T` is ignored.
pub fn parse_date(v: &str) -> Option<NaiveDate> {
    let b = v.as_bytes();
    let digits = |s: &[u8]| -> Option<u32> {
        s.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    // The common forms first: this runs for every row.
    let (y, m, d) = match b.len() {
        10 if (b[4] == b'-' && b[7] == b'-') || (b[4] == b'/' && b[7] == b'/') => {
            (digits(&b[..4])?, digits(&b[5..7])?, digits(&b[8..])?)
        }
        8 if b.iter().all(u8::is_ascii_digit) => {
            (digits(&b[..4])?, digits(&b[4..6])?, digits(&b[6..])?)
        }
        _ => {
            if let Some(i) = v.find([' ', 'T']) {
                return parse_date(&v[..i]);
            }
            let parts: Vec<&str> = if v.contains('年') {
                v.strip_suffix('日')
                    .unwrap_or(v)
                    .split(['年', '月'])
                    .collect()
            } else {
                let separator = v.chars().find(|c| !c.is_ascii_digit())?;
                if !matches!(separator, '-' | '/' | '.') {
                    return None;
                }
                v.split(separator).collect()
            };
            let [y, m, d] = parts[..] else { return None };
            if y.len() != 4 || !(1..=2).contains(&m.len()) || !(1..=2).contains(&d.len()) {
                return None;
            }
            (
                digits(y.as_bytes())?,
                digits(m.as_bytes())?,
                digits(d.as_bytes())?,
            )
        }
    };
    if !(1900..2200).contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(y as i32, m, d)
}

fn date(line: u64, field: &'static str, v: &str, problems: &mut Vec<Problem>) -> Option<NaiveDate> {
    let parsed = parse_date(v);
    if parsed.is_none() {
        problems.push(Problem::new(line, field, v, Reason::DateInvalid));
    }
    parsed
}

/// Whole years from `birth` to `on`.
fn years_between(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_spreadsheets_write_them() {
        let day = NaiveDate::from_ymd_opt(2025, 1, 5);
        for v in [
            "2025-01-05",
            "2025/01/05",
            "20250105",
            "2025/1/5",
            "2025-1-5",
            "2025.01.05",
            "2025.1.5",
            "2025年1月5日",
            "2025年01月05日",
            "2025-01-05 00:00:00",
            "2025/1/5 0:00",
            "2025-01-05T08:30:00Z",
        ] {
            assert_eq!(parse_date(v), day, "{v}");
        }
        for v in [
            "45662",
            "2025-13-01",
            "2025-02-30",
            "2025/1-5",
            "25/1/5",
            "2025/001/5",
            "2025年1月",
            "1899-12-31",
            "2025-01-05x",
            "２０２５-01-05",
            "",
        ] {
            assert_eq!(parse_date(v), None, "{v}");
        }
    }

    /// The hand-written attrs JSON is what serde_json writes for the same object.
    #[test]
    fn attrs_json_matches_serde_json() {
        let attrs = vec![
            ("reason", Cell::Text("因病 \"致贫\"\\\n\t")),
            ("amount", Cell::Number(512.5)),
            ("tiny", Cell::Number(1e-7)),
            ("household_size", Cell::Int(-3)),
            ("area", Cell::Choice("urban")),
            ("disabled", Cell::Bool(true)),
        ];
        let mut reference = serde_json::Map::new();
        for (name, cell) in &attrs {
            let value = match *cell {
                Cell::Text(s) | Cell::Choice(s) => serde_json::Value::from(s),
                Cell::Int(n) => serde_json::Value::from(n),
                Cell::Number(x) => serde_json::Value::from(x),
                Cell::Bool(b) => serde_json::Value::from(b),
            };
            reference.insert(name.to_string(), value);
        }
        let reference = serde_json::Value::Object(reference).to_string();
        assert_eq!(attrs_json(attrs), reference);
        assert_eq!(attrs_json(Vec::new()), "{}");
    }
}
