"""Writes the malformed-input corpus of tests/ingest.rs (run once; the files are committed).

Each case is an input file plus `<name>.expected`: the batch status on the first line, then
the problem report's `line,field,code` rows in report order (line, code, field).
"""
from pathlib import Path

W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
C = "10X98765432"
OUT = Path(__file__).parent / "corpus"


def idn(region, birth, seq):
    s = f"{region}{birth}{seq:03d}"
    return s + C[sum(int(a) * w for a, w in zip(s, W)) % 11]


def bad_check(id_number):
    last = id_number[-1]
    return id_number[:-1] + ("0" if last != "0" else "1")


CREDIT = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CW = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit(region, serial):
    s = f"52{region}{serial:09d}"
    total = sum(CREDIT.index(c) * w for c, w in zip(s, CW))
    return s + CREDIT[(31 - total % 31) % 31]


HEAD = "division_code,lon,lat,valid_from,valid_to,id_number,area,household_size,monthly_amount"
# Points well inside their county: 西湖区 330106, 东城区 110101, 密云 (old code 110228 → 110118).
XIHU = "330106,120.13,30.26"
DONGCHENG = "110101,116.41,39.92"


def write(name, text, expected, encoding="utf-8"):
    (OUT / name).write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    (OUT / (name.rsplit(".", 1)[0] + ".expected")).write_text("\n".join(expected) + "\n")


def main():
    OUT.mkdir(exist_ok=True)
    a, b, c = idn(330106, "19600101", 1), idn(110101, "19700101", 3), idn(110228, "19550505", 5)
    write("valid.csv", "\n".join([
        HEAD,
        f"{XIHU},2025-01-01,,{a},urban,2,800",
        f"{DONGCHENG},2025-02-01,2026-01-01,{b},城市,1,900.5",
        f"110228,116.85,40.38,2025-02-01,,{c},rural,,",
    ]) + "\n", ["committed", "4,division_code,DIVISION_CODE_CHANGED"])
    # Codes retired long ago: 寿县 moved to 淮南 (341521 → 340422), 东宁县 became 东宁市
    # (231024 → 231086), 江源县 became 江源区 220604, renumbered 220605 (a chain).
    write("renumbered.csv", "\n".join([
        HEAD,
        f"341521,116.78,32.57,2014-01-01,,{idn(341521, '19450303', 7)},rural,1,400",
        f"231024,131.12,44.06,2014-01-01,,{idn(231024, '19460404', 9)},rural,2,500",
        f"220625,126.59,42.05,2005-01-01,,{idn(220625, '19470505', 13)},urban,3,300",
    ]) + "\n", ["committed", "2,division_code,DIVISION_CODE_CHANGED",
                 "3,division_code,DIVISION_CODE_CHANGED", "4,division_code,DIVISION_CODE_CHANGED"])
    # Saved on Windows: CRLF line ends, a blank line; lines are still the file's.
    write("crlf.csv", "\r\n".join([
        HEAD,
        f"{XIHU},2025-01-01,,{idn(330106, '19610101', 21)},urban,2,800",
        "",
        f"{XIHU},2025-01-01,,{bad_check(idn(330106, '19610101', 23))},urban,2,800",
        f"{XIHU},2025-01-01,,{idn(330106, '19610101', 25)},urban,2,800",
        f"{XIHU},2025-13-01,,{idn(330106, '19610101', 27)},urban,2,800",
    ]) + "\r\n", ["rejected", "4,id_number,ID_CHECK_DIGIT", "6,valid_from,DATE_INVALID"])
    # What a spreadsheet leaves below and between its data: empty cells, spaces.
    write("blank_rows.csv", "\n".join([
        HEAD,
        f"{XIHU},2025-01-01,,{idn(330106, '19630101', 31)},urban,2,800",
        ",,,,,,,,",
        f"{XIHU},2025-01-01,,{idn(330106, '19630101', 33)},urban,2,800",
        " , ,,,,,,, ",
        "   ",
        "",
    ]) + "\n", ["committed"])
    # A spreadsheet's title and an empty row above the header; lines are still the file's.
    write("titled.csv", "\n".join([
        "附件1：2025年1月西湖区城乡低保对象名册,,,,,,,,",
        ",,,,,,,,",
        HEAD,
        f"{XIHU},2025-01-01,,{idn(330106, '19650101', 61)},urban,2,800",
        f"{XIHU},2025-01-01,,{bad_check(idn(330106, '19650101', 63))},urban,2,800",
    ]) + "\n", ["rejected", "5,id_number,ID_CHECK_DIGIT"])
    # First-generation 15-digit numbers: upgraded (a finding), so the same person written
    # with 18 digits is a duplicate; a bad birth date in one is still an error.
    old15 = "330106600101011"
    write("id15.csv", "\n".join([
        HEAD,
        f"{XIHU},2025-01-01,,{old15},urban,2,800",
        f"{XIHU},2025-01-01,,{idn(330106, '19600101', 11)},urban,2,800",
        f"{XIHU},2025-01-01,,330106601301013,urban,2,800",
    ]) + "\n", ["rejected", "2,id_number,ID_UPGRADED", "3,id_number,DUPLICATE_IN_BATCH",
                 "4,id_number,ID_BIRTH_DATE"])
    # Excel's "Unicode text" (文本文件 Unicode): UTF-16LE with a byte-order mark, tabs, CRLF,
    # a title line; lines are still the file's.
    write("utf16_tabs.txt", "\r\n".join(["2025年1月低保名册"] + [line.replace(",", "\t") for line in [
        HEAD,
        f"{XIHU},2025-01-01,,{idn(330106, '19660101', 71)},urban,2,800",
        f"{XIHU},2025-01-01,,{bad_check(idn(330106, '19660101', 73))},urban,2,800",
    ]]) + "\r\n", ["rejected", "4,id_number,ID_CHECK_DIGIT"], encoding="utf-16")
    # Separated by semicolons, with one inside a quoted note (a column not in the contract).
    write("semicolons.csv", "\n".join(line.replace(",", ";") for line in [
        HEAD + ",note",
        f"{XIHU},2025-01-01,,{idn(330106, '19670101', 81)},urban,2,800,\"a, b\"",
        f"{XIHU},2025-01-01,,{idn(330106, '19670101', 83)},urban,2,800,",
    ]) + "\n", ["committed"])
    # Typed with a Chinese input method: full-width digits and letters, an ideographic space.
    full = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
    x_id = next(i for i in (idn(330106, "19680101", n) for n in range(91, 200)) if i.endswith("X"))
    write("fullwidth.csv", "\n".join([
        HEAD,
        f"{'330106'.translate(full)},120.13,30.26,2025-01-01,,{x_id.translate(full)}\u3000,urban,2,800",
        f"330106,120.13,30.26,２０２５－０１－０１,,{bad_check(idn(330106, '19680101', 95)).translate(full)},urban,2,800",
    ]) + "\n", ["rejected", "3,id_number,ID_CHECK_DIGIT"])
    # Registers that carry the township (9 digits) or village / statistical (12 digits) code,
    # or a code written out as a number by a spreadsheet: the first 6 digits are the county.
    write("township_codes.csv", "\n".join([
        HEAD,
        f"330106001,120.13,30.26,2025-01-01,,{idn(330106, '19690101', 101)},urban,2,800",
        f"330106001002,120.13,30.26,2025-01-01,,{idn(330106, '19690101', 103)},urban,2,800",
        f"330106.0,120.13,30.26,2025-01-01,,{idn(330106, '19690101', 105)},urban,2,800",
        f"3301060,120.13,30.26,2025-01-01,,{idn(330106, '19690101', 107)},urban,2,800",
    ]) + "\n", ["rejected", "5,division_code,DIVISION_FORMAT"])
    # Latitude and longitude swapped: an invalid latitude; in the far west (喀什市 653101) both
    # values are valid and the point lies outside China. Each says the two may be swapped.
    write("swapped.csv", "\n".join([
        HEAD,
        f"{XIHU},2025-01-01,,{idn(330106, '19690202', 111)},urban,2,800",
        f"330106,30.26,120.13,2025-01-01,,{idn(330106, '19690202', 113)},urban,2,800",
        f"653101,39.47,75.99,2025-01-01,,{idn(653101, '19690202', 115)},urban,2,800",
    ]) + "\n", ["rejected", "3,lat,COORD_INVALID", "4,lon,COORD_OUTSIDE_CHINA"])
    # A register's template: other Chinese names, required marks, notes in brackets.
    write("aliases.csv", "\n".join([
        "行政区划代码*,经度(WGS84),纬度（WGS84）,起始日期,终止日期,*身份证号码（必填）,城乡类别,保障人数,月保障金额",
        f"{XIHU},2025-01-01,,{idn(330106, '19660101', 71)},城市,2,800",
        f"{XIHU},2025-01-01,,{idn(330106, '19660101', 73)},农村,1,700",
    ]) + "\n", ["committed"])
    write("check_digit.csv", "\n".join([
        HEAD,
        f"{XIHU},2025-01-01,,{a},urban,2,800",
        f"{XIHU},2025-01-01,,{bad_check(idn(330106, '19620202', 11))},urban,2,800",
        f"{XIHU},2025-01-01,,33010619621302011X,urban,2,800",
        f"{XIHU},2025-01-01,,3301061962020201,urban,2,800",
    ]) + "\n", ["rejected", "3,id_number,ID_CHECK_DIGIT", "4,id_number,ID_BIRTH_DATE", "5,id_number,ID_FORMAT"])
    # Chinese headers, GB18030 bytes, Chinese choice values.
    write("gb18030.csv", "\n".join([
        "区划代码,经度,纬度,开始日期,结束日期,身份证号,城乡类别,保障人口,月保障金额,姓名",
        f"{XIHU},2025-03-01,,{idn(330106, '19800101', 21)},城市,3,700,张三",
        f"{DONGCHENG},2025/03/01,,{idn(110101, '19810101', 23)},农村,1,600,李四",
    ]) + "\n", ["committed"], encoding="gb18030")
    write("bad_encoding.csv", HEAD.encode() + b"\n" + f"{XIHU},2025-01-01,,{a},urban,2,800\n".encode()
          + b"330106,120.13,30.26,2025-01-01,,\xff\xfe\xff,urban,2,800\n", ["rejected", "3,,ENCODING"])
    write("truncated.csv", "\n".join([
        HEAD,
        f"{XIHU},2025-01-01,,{a},urban,2,800",
        f"{DONGCHENG},2025-02-01,,{b},urb",
    ]), ["rejected", "3,,COLUMN_COUNT"])
    write("wrong_columns.csv", "\n".join([
        HEAD,
        f"{XIHU},2025-01-01,,{a},urban,2,800,extra",
        f"{DONGCHENG},2025-02-01,,{b},urban,1,900",
    ]) + "\n", ["rejected", "2,,COLUMN_COUNT"])
    write("missing_column.csv", "division_code,lon,lat,valid_from\n330106,120.13,30.26,2025-01-01\n",
          ["rejected", "1,id_number,MISSING_COLUMN"])
    write("never_existed.csv", "\n".join([
        HEAD,
        f"339999,120.13,30.26,2025-01-01,,{a},urban,2,800",
        f"330100,120.13,30.26,2025-01-01,,{b},urban,2,800",
        f"33010,120.13,30.26,2025-01-01,,{c},urban,2,800",
    ]) + "\n", ["rejected", "2,division_code,DIVISION_UNKNOWN", "3,division_code,DIVISION_NOT_COUNTY",
                "4,division_code,DIVISION_FORMAT"])
    write("sea.csv", "\n".join([
        HEAD,
        f"330106,123.5,29.5,2025-01-01,,{a},urban,2,800",
        f"330106,east,30.26,2025-01-01,,{b},urban,2,800",
        f"330106,120.13,95,2025-01-01,,{c},urban,2,800",
    ]) + "\n", ["rejected", "2,lon,COORD_OUTSIDE_CHINA", "3,lon,COORD_INVALID", "4,lat,COORD_INVALID"])
    write("dates.csv", "\n".join([
        HEAD,
        f"{XIHU},2025-02-30,,{a},urban,2,800",
        f"{XIHU},2025-05-01,2025-04-01,{b},urban,2,800",
        f"{XIHU},2030-01-01,,{c},urban,2,800",
        f"{XIHU},,,{idn(330106, '19900101', 31)},urban,2,800",
    ]) + "\n", ["rejected", "2,valid_from,DATE_INVALID", "3,valid_to,DATE_ORDER", "4,valid_from,DATE_FUTURE",
                "5,valid_from,REQUIRED"])
    write("duplicate.csv", "\n".join([
        HEAD,
        f"{XIHU},2025-01-01,,{a},urban,2,800",
        f"{DONGCHENG},2025-02-01,,{b},urban,1,900",
        f"{XIHU},2025-06-01,,{a.lower()},urban,2,800",
    ]) + "\n", ["rejected", "4,id_number,DUPLICATE_IN_BATCH"])
    write("values.csv", "\n".join([
        HEAD,
        f"{XIHU},2025-01-01,,{a},village,0,-5",
    ]) + "\n", ["rejected", "2,area,VALUE_INVALID", "2,household_size,VALUE_INVALID",
                "2,monthly_amount,VALUE_INVALID"])
    write("orphan_age.csv", "\n".join([
        "division_code,lon,lat,valid_from,id_number,placement",
        f"{XIHU},2025-01-01,{idn(330106, '20150101', 41)},kinship",
        f"{XIHU},2025-01-01,{idn(330106, '19900101', 43)},kinship",
    ]) + "\n", ["rejected", "3,id_number,AGE_RULE"])
    write("facility.csv", "\n".join([
        "division_code,lon,lat,valid_from,credit_code,name,capacity,occupied",
        f"{XIHU},2020-01-01,{credit(330106, 1)},西湖颐养中心,200,150",
        f"{XIHU},2020-01-01,{credit(330106, 2)[:-1]}I,西湖敬老院,100,50",
        f"{XIHU},2020-01-01,{credit(330106, 3)},西湖护理院,100,120",
    ]) + "\n", ["rejected", "3,credit_code,CREDIT_CODE", "4,occupied,CAPACITY"])
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.13, 30.26]},
         "properties": {"division_code": "330106", "valid_from": "2025-01-01", "id_number": a}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[120, 30], [121, 30], [120, 31], [120, 30]]]},
         "properties": {"division_code": "330106", "valid_from": "2025-01-01", "id_number": b}},
        # A converter's point layer: a MultiPoint of one point is that point; of two, no point.
        {"type": "Feature", "geometry": {"type": "MultiPoint", "coordinates": [[120.13, 30.26]]},
         "properties": {"division_code": "330106", "valid_from": "2025-01-01",
                        "id_number": idn(330106, "19640101", 51)}},
        {"type": "Feature", "geometry": {"type": "MultiPoint", "coordinates": [[120.13, 30.26], [120.14, 30.27]]},
         "properties": {"division_code": "330106", "valid_from": "2025-01-01",
                        "id_number": idn(330106, "19640101", 53)}},
    ]
    import json
    write("points.geojson", json.dumps({"type": "FeatureCollection", "features": features}),
          ["rejected", "2,lon,COORD_INVALID", "4,lon,COORD_INVALID"])
    write("not_geojson.geojson", '{"type": "FeatureCollection", "features": [', ["rejected", "1,,FILE_FORMAT"])
    write("empty.csv", "", ["rejected", "0,,EMPTY_FILE"])
    write("header_only.csv", HEAD + "\n", ["rejected", "0,,EMPTY_FILE"])


if __name__ == "__main__":
    main()
