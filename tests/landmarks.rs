//! Real places, by their GPS (WGS84) coordinates, fall in their real county: the check that
//! the boundaries' datum was converted (a GCJ-02 boundary is 350–580 m off) and that the GB/T
//! 2260 special cases (直辖市, 省直辖县级, 兵团 cities, prefecture-level cities without
//! counties, SARs) resolve to the right leaf.

use shikong::bootstrap::leaf_geometries;
use shikong::datasets;
use shikong::spatial::CountyIndex;

#[test]
fn landmarks_fall_in_their_counties() {
    let b = datasets::load_embedded().unwrap();
    let index = CountyIndex::build(leaf_geometries(&b.registry, &b.geometries));
    let cases = [
        ("天安门 Tiananmen", 116.3975, 39.9087, Some("110101")),
        (
            "东方明珠 Oriental Pearl Tower",
            121.4997,
            31.2397,
            Some("310115"),
        ),
        ("广州塔 Canton Tower", 113.3245, 23.1064, Some("440105")),
        (
            "深圳市民中心 Shenzhen Civic Center",
            114.0596,
            22.5431,
            Some("440304"),
        ),
        (
            "西湖断桥 Broken Bridge, West Lake",
            120.1520,
            30.2590,
            Some("330106"),
        ),
        ("布达拉宫 Potala Palace", 91.1172, 29.6577, Some("540102")),
        ("仙桃 (省直辖县级)", 113.4545, 30.3623, Some("429004")),
        ("东莞 (no counties)", 113.7518, 23.0205, Some("441900")),
        ("石河子 (兵团)", 86.0411, 44.3059, Some("659001")),
        (
            "香港中环 Central, Hong Kong",
            114.1582,
            22.2819,
            Some("810001"),
        ),
        ("台北101 Taipei 101", 121.5654, 25.0340, Some("710000")),
        (
            "解放碑 Jiefangbei, Chongqing (直辖市, no prefecture layer)",
            106.5770,
            29.5570,
            Some("500103"),
        ),
        (
            "中央大街 Central Street, Harbin",
            126.6170,
            45.7750,
            Some("230102"),
        ),
        (
            "黄鹤楼 Yellow Crane Tower",
            114.3020,
            30.5440,
            Some("420106"),
        ),
        (
            "拙政园 Humble Administrator's Garden",
            120.6290,
            31.3260,
            Some("320508"),
        ),
        ("South China Sea, open water", 114.0, 12.0, None),
        ("Ulaanbaatar (abroad)", 106.9057, 47.8864, None),
    ];
    for (name, lon, lat, want) in cases {
        let got = index.locate(lon, lat).map(|c| c.to_string());
        assert_eq!(got.as_deref(), want, "{name} ({lon}, {lat})");
    }
}
