//! A minimal Mapbox Vector Tile 2.1 encoder: the protobuf wire format written by hand (the
//! schema is five small messages, not worth a code generator), with keys and values
//! deduplicated per layer.

use std::collections::HashMap;

/// The extent every layer uses: tile coordinates run from 0 to 4096.
pub const EXTENT: u32 = 4096;

/// Geometry type `POINT` of the spec's `GeomType` enum.
const GEOM_POINT: u64 = 1;
/// Geometry type `POLYGON` of the spec's `GeomType` enum.
const GEOM_POLYGON: u64 = 3;

/// Command ids of the geometry encoding.
const MOVE_TO: u32 = 1;
const LINE_TO: u32 = 2;
const CLOSE_PATH: u32 = 7;

/// Protobuf wire types.
const WIRE_VARINT: u32 = 0;
const WIRE_FIXED64: u32 = 1;
const WIRE_LEN: u32 = 2;

/// Appends `value` as a base-128 varint.
pub fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Zigzag encoding: small magnitudes of either sign become small unsigned numbers.
pub const fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

/// A command integer: command id in the low 3 bits, repeat count above.
pub const fn command(id: u32, count: u32) -> u32 {
    (id & 0x7) | (count << 3)
}

fn put_tag(out: &mut Vec<u8>, field: u32, wire: u32) {
    put_varint(out, u64::from((field << 3) | wire));
}

fn put_bytes(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_tag(out, field, WIRE_LEN);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn put_uint(out: &mut Vec<u8>, field: u32, value: u64) {
    put_tag(out, field, WIRE_VARINT);
    put_varint(out, value);
}

fn put_packed(out: &mut Vec<u8>, field: u32, values: &[u32]) {
    let mut body = Vec::with_capacity(values.len() * 2);
    for &v in values {
        put_varint(&mut body, u64::from(v));
    }
    put_bytes(out, field, &body);
}

/// A feature property value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `string_value` (1).
    String(String),
    /// `double_value` (3).
    Double(f64),
    /// `uint_value` (5).
    Uint(u64),
    /// `sint_value` (6), zigzag-encoded.
    Sint(i64),
    /// `bool_value` (7).
    Bool(bool),
}

impl Value {
    /// The encoded `Value` message; also the key under which equal values are deduplicated.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Value::String(s) => put_bytes(&mut out, 1, s.as_bytes()),
            Value::Double(d) => {
                put_tag(&mut out, 3, WIRE_FIXED64);
                out.extend_from_slice(&d.to_le_bytes());
            }
            Value::Uint(u) => put_uint(&mut out, 5, *u),
            Value::Sint(i) => put_uint(&mut out, 6, zigzag(*i)),
            Value::Bool(b) => put_uint(&mut out, 7, u64::from(*b)),
        }
        out
    }
}

/// Encodes polygon rings as MVT geometry commands. Each ring is given open (its first point
/// not repeated) with at least three points, already in the spec's winding; the cursor
/// carries over from ring to ring, as the spec requires.
pub fn polygon_commands(rings: &[Vec<[i32; 2]>]) -> Vec<u32> {
    let mut out = Vec::new();
    let mut cursor = [0i64, 0i64];
    let mut push_point = |out: &mut Vec<u32>, p: [i32; 2]| {
        let (x, y) = (i64::from(p[0]), i64::from(p[1]));
        out.push(zigzag(x - cursor[0]) as u32);
        out.push(zigzag(y - cursor[1]) as u32);
        cursor = [x, y];
    };
    for ring in rings.iter().filter(|r| r.len() >= 3) {
        out.push(command(MOVE_TO, 1));
        push_point(&mut out, ring[0]);
        out.push(command(LINE_TO, (ring.len() - 1) as u32));
        for &p in &ring[1..] {
            push_point(&mut out, p);
        }
        out.push(command(CLOSE_PATH, 1));
    }
    out
}

/// Encodes points as one MVT MultiPoint geometry (a single MoveTo with every point).
pub fn point_commands(points: &[[i32; 2]]) -> Vec<u32> {
    if points.is_empty() {
        return Vec::new();
    }
    let mut out = vec![command(MOVE_TO, points.len() as u32)];
    let mut cursor = [0i64, 0i64];
    for p in points {
        let (x, y) = (i64::from(p[0]), i64::from(p[1]));
        out.push(zigzag(x - cursor[0]) as u32);
        out.push(zigzag(y - cursor[1]) as u32);
        cursor = [x, y];
    }
    out
}

/// One layer being built: features are encoded as they are added, keys and values are
/// interned so each distinct one is stored once.
#[derive(Debug)]
pub struct Layer {
    name: String,
    features: Vec<Vec<u8>>,
    keys: Vec<String>,
    key_index: HashMap<String, u32>,
    values: Vec<Vec<u8>>,
    value_index: HashMap<Vec<u8>, u32>,
}

impl Layer {
    /// An empty layer named `name`.
    pub fn new(name: &str) -> Layer {
        Layer {
            name: name.to_string(),
            features: Vec::new(),
            keys: Vec::new(),
            key_index: HashMap::new(),
            values: Vec::new(),
            value_index: HashMap::new(),
        }
    }

    /// Number of features added.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// Whether no feature was added.
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// Adds a polygon feature from [`polygon_commands`] output; empty geometry is skipped.
    pub fn add_polygon(&mut self, id: Option<u64>, properties: &[(&str, Value)], geometry: &[u32]) {
        self.add_feature(id, properties, GEOM_POLYGON, geometry);
    }

    /// Adds a point feature from [`point_commands`] output; empty geometry is skipped.
    pub fn add_point(&mut self, id: Option<u64>, properties: &[(&str, Value)], geometry: &[u32]) {
        self.add_feature(id, properties, GEOM_POINT, geometry);
    }

    fn add_feature(
        &mut self,
        id: Option<u64>,
        properties: &[(&str, Value)],
        geom_type: u64,
        geometry: &[u32],
    ) {
        if geometry.is_empty() {
            return;
        }
        let mut tags = Vec::with_capacity(properties.len() * 2);
        for (key, value) in properties {
            let k = match self.key_index.get(*key) {
                Some(&i) => i,
                None => {
                    let i = self.keys.len() as u32;
                    self.keys.push(key.to_string());
                    self.key_index.insert(key.to_string(), i);
                    i
                }
            };
            let encoded = value.encode();
            let v = match self.value_index.get(&encoded) {
                Some(&i) => i,
                None => {
                    let i = self.values.len() as u32;
                    self.values.push(encoded.clone());
                    self.value_index.insert(encoded, i);
                    i
                }
            };
            tags.extend([k, v]);
        }
        let mut feature = Vec::new();
        if let Some(id) = id {
            put_uint(&mut feature, 1, id);
        }
        put_packed(&mut feature, 2, &tags);
        put_uint(&mut feature, 3, geom_type);
        put_packed(&mut feature, 4, geometry);
        self.features.push(feature);
    }

    /// The encoded `Layer` message.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        put_uint(&mut out, 15, 2);
        put_bytes(&mut out, 1, self.name.as_bytes());
        for feature in &self.features {
            put_bytes(&mut out, 2, feature);
        }
        for key in &self.keys {
            put_bytes(&mut out, 3, key.as_bytes());
        }
        for value in &self.values {
            put_bytes(&mut out, 4, value);
        }
        put_uint(&mut out, 5, u64::from(EXTENT));
        out
    }
}

/// Encodes a `Tile` message of the given layers (empty layers are left out).
pub fn encode_tile(layers: &[Layer]) -> Vec<u8> {
    let mut out = Vec::new();
    for layer in layers.iter().filter(|l| !l.is_empty()) {
        put_bytes(&mut out, 3, &layer.encode());
    }
    out
}

#[cfg(test)]
mod point_tests {
    use super::*;

    #[test]
    fn points_follow_the_spec_example() {
        // MVT 2.1, 4.3.5.1: a point at (25, 17) is [9, 50, 34].
        assert_eq!(point_commands(&[[25, 17]]), [9, 50, 34]);
        // 4.3.5.2: multipoint (5, 7), (3, 2) is [17, 10, 14, 3, 9].
        assert_eq!(point_commands(&[[5, 7], [3, 2]]), [17, 10, 14, 3, 9]);
        assert!(point_commands(&[]).is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        put_varint(&mut out, v);
        out
    }

    #[test]
    fn varints_match_the_protobuf_examples() {
        assert_eq!(varint(0), [0x00]);
        assert_eq!(varint(1), [0x01]);
        assert_eq!(varint(127), [0x7f]);
        assert_eq!(varint(150), [0x96, 0x01]);
        assert_eq!(varint(300), [0xac, 0x02]);
        assert_eq!(varint(u64::MAX).len(), 10);
    }

    #[test]
    fn zigzag_matches_the_spec() {
        for (v, z) in [
            (0, 0),
            (-1, 1),
            (1, 2),
            (-2, 3),
            (2, 4),
            (2147483647, 4294967294),
        ] {
            assert_eq!(zigzag(v), z, "{v}");
        }
        assert_eq!(zigzag(-2147483648), 4294967295);
    }

    #[test]
    fn command_integers_match_the_spec() {
        // MVT 2.1 §4.3.1: MoveTo ×1 = 9, LineTo ×3 = 26, ClosePath ×1 = 15.
        assert_eq!(command(MOVE_TO, 1), 9);
        assert_eq!(command(LINE_TO, 3), 26);
        assert_eq!(command(CLOSE_PATH, 1), 15);
        assert_eq!(command(MOVE_TO, 120), 961);
    }

    #[test]
    fn polygon_matches_the_spec_example() {
        // MVT 2.1 §4.3.4.4: polygon (3,6) (8,12) (20,34).
        let rings = vec![vec![[3, 6], [8, 12], [20, 34]]];
        assert_eq!(polygon_commands(&rings), [9, 6, 12, 18, 10, 12, 24, 44, 15]);
        // The cursor carries into the next ring (§4.3.4.5, multipolygon example, second part).
        let two = vec![
            vec![[0, 0], [10, 0], [10, 10], [0, 10]],
            vec![[11, 11], [20, 11], [20, 20], [11, 20]],
        ];
        let cmds = polygon_commands(&two);
        assert_eq!(
            cmds,
            [9, 0, 0, 26, 20, 0, 0, 20, 19, 0, 15, 9, 22, 2, 26, 18, 0, 0, 18, 17, 0, 15]
        );
    }

    #[test]
    fn keys_and_values_are_deduplicated() {
        let mut layer = Layer::new("t");
        let geom = polygon_commands(&[vec![[0, 0], [1, 0], [1, 1]]]);
        for code in ["a", "b", "a"] {
            layer.add_polygon(
                Some(1),
                &[
                    ("code", Value::String(code.into())),
                    ("v", Value::Double(1.0)),
                ],
                &geom,
            );
        }
        assert_eq!(layer.len(), 3);
        assert_eq!(layer.keys, ["code", "v"]);
        assert_eq!(layer.values.len(), 3);
        let tile = encode_tile(&[layer, Layer::new("empty")]);
        // One layer (field 3, length-delimited), the empty one left out; version 2 leads it.
        assert_eq!(tile[0], 0x1a);
        let header = tile[1..].iter().position(|b| b & 0x80 == 0).unwrap() + 2;
        assert_eq!(&tile[header..header + 2], [0x78, 0x02]);
        assert!(!tile.windows(5).any(|w| w == b"empty"));
    }

    #[test]
    fn values_encode_by_type() {
        assert_eq!(Value::Uint(3).encode(), [0x28, 3]);
        assert_eq!(Value::Sint(-1).encode(), [0x30, 1]);
        assert_eq!(Value::Bool(true).encode(), [0x38, 1]);
        assert_eq!(Value::String("a".into()).encode(), [0x0a, 1, b'a']);
        let d = Value::Double(1.5).encode();
        assert_eq!(d[0], 0x19);
        assert_eq!(&d[1..], 1.5f64.to_le_bytes());
    }
}
