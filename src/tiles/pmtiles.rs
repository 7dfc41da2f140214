//! PMTiles v3 archives: one file holding a whole tile pyramid, for intranets that serve maps
//! from a file share or want tiles without a database. Written by `shikong tiles export`,
//! read back by `serve --pmtiles`.
//!
//! Layout (PMTiles v3 specification): a 127-byte header, the root directory, JSON metadata,
//! leaf directories, then tile data in tile-id (Hilbert) order. Directories and metadata are
//! gzip-compressed; tiles are stored gzip-compressed MVT. Identical tiles (open sea, the
//! inside of a big county) are stored once; consecutive identical tiles share one entry.

use super::geometry::TileId;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Header size.
const HEADER: usize = 127;
/// Header and root directory must fit in the first 16 KiB (readers fetch that much first).
const ROOT_BUDGET: usize = 16_384 - HEADER;
/// `Compression` code for gzip, and `TileType` code for MVT.
const GZIP: u8 = 2;
const MVT: u8 = 1;

/// Errors reading or writing an archive.
#[derive(Debug, thiserror::Error)]
pub enum PmtilesError {
    /// File I/O.
    #[error("PMTiles I/O: {0}")]
    Io(#[from] io::Error),
    /// Not a PMTiles v3 file, or a damaged one.
    #[error("not a valid PMTiles v3 archive: {0}")]
    Invalid(String),
}

/// The tile id of z/x/y: tiles of lower zooms first, then the position on the zoom's
/// Hilbert curve.
pub fn tile_id(tile: TileId) -> u64 {
    let z = u32::from(tile.z);
    let base = ((1u64 << (2 * z)) - 1) / 3;
    let n = 1u64 << z;
    let (mut x, mut y) = (u64::from(tile.x), u64::from(tile.y));
    let mut d = 0u64;
    let mut s = n >> 1;
    while s > 0 {
        let rx = u64::from(x & s != 0);
        let ry = u64::from(y & s != 0);
        d += s * s * ((3 * rx) ^ ry);
        // Rotate the quadrant so the curve stays continuous.
        if ry == 0 {
            if rx == 1 {
                x = n - 1 - x;
                y = n - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s >>= 1;
    }
    base + d
}

/// One directory entry: `run_length` tiles from `tile_id` at `offset`/`length` in the tile
/// data, or (run_length 0) a leaf directory at `offset`/`length` in the leaf section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    tile_id: u64,
    offset: u64,
    length: u32,
    run_length: u32,
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn gzip(bytes: &[u8]) -> io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes)?;
    encoder.finish()
}

fn gunzip(bytes: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    GzDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}

/// A directory, serialised and gzip-compressed.
fn serialize_directory(entries: &[Entry]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    put_varint(&mut out, entries.len() as u64);
    let mut last = 0;
    for e in entries {
        put_varint(&mut out, e.tile_id - last);
        last = e.tile_id;
    }
    for e in entries {
        put_varint(&mut out, u64::from(e.run_length));
    }
    for e in entries {
        put_varint(&mut out, u64::from(e.length));
    }
    for (i, e) in entries.iter().enumerate() {
        let follows = i > 0 && e.offset == entries[i - 1].offset + u64::from(entries[i - 1].length);
        put_varint(&mut out, if follows { 0 } else { e.offset + 1 });
    }
    gzip(&out)
}

fn deserialize_directory(compressed: &[u8]) -> Result<Vec<Entry>, PmtilesError> {
    let bytes = gunzip(compressed)?;
    let mut at = 0usize;
    let mut varint = || -> Result<u64, PmtilesError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *bytes
                .get(at)
                .ok_or_else(|| PmtilesError::Invalid("directory ends inside a number".into()))?;
            at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(PmtilesError::Invalid("overlong number in directory".into()))
    };
    let n = varint()? as usize;
    if n > bytes.len() {
        return Err(PmtilesError::Invalid(format!(
            "directory claims {n} entries"
        )));
    }
    let mut entries = vec![
        Entry {
            tile_id: 0,
            offset: 0,
            length: 0,
            run_length: 0
        };
        n
    ];
    let mut last = 0u64;
    for e in entries.iter_mut() {
        last += varint()?;
        e.tile_id = last;
    }
    for e in entries.iter_mut() {
        e.run_length =
            u32::try_from(varint()?).map_err(|_| PmtilesError::Invalid("run length".into()))?;
    }
    for e in entries.iter_mut() {
        e.length = u32::try_from(varint()?).map_err(|_| PmtilesError::Invalid("length".into()))?;
    }
    for i in 0..n {
        let v = varint()?;
        entries[i].offset = if i > 0 && v == 0 {
            entries[i - 1].offset + u64::from(entries[i - 1].length)
        } else {
            v.checked_sub(1)
                .ok_or_else(|| PmtilesError::Invalid("offset 0 in first entry".into()))?
        };
    }
    Ok(entries)
}

/// What the header says about the pyramid.
#[derive(Debug, Clone, PartialEq)]
pub struct Bounds {
    /// Lowest and highest zoom held.
    pub min_zoom: u8,
    pub max_zoom: u8,
    /// West, south, east, north in degrees.
    pub bbox: [f64; 4],
    /// Centre lon, lat and zoom.
    pub center: (f64, f64, u8),
}

/// Writes an archive of MVT tiles. `tiles` are uncompressed MVT bytes in any order;
/// `metadata` is the JSON object stored in the archive (TileJSON-like: name, vector_layers…).
pub fn write_archive(
    path: &Path,
    mut tiles: Vec<(TileId, Vec<u8>)>,
    metadata: &serde_json::Value,
    bounds: &Bounds,
) -> Result<ArchiveStats, PmtilesError> {
    tiles.sort_by_key(|(t, _)| tile_id(*t));
    let mut data: Vec<u8> = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    let mut seen: HashMap<Vec<u8>, (u64, u32)> = HashMap::new();
    let addressed = tiles.len() as u64;
    for (tile, bytes) in &tiles {
        let id = tile_id(*tile);
        let (offset, length) = match seen.get(bytes) {
            Some(&at) => at,
            None => {
                let compressed = gzip(bytes)?;
                let at = (data.len() as u64, compressed.len() as u32);
                data.extend_from_slice(&compressed);
                seen.insert(bytes.clone(), at);
                at
            }
        };
        match entries.last_mut() {
            Some(last)
                if last.offset == offset && last.tile_id + u64::from(last.run_length) == id =>
            {
                last.run_length += 1
            }
            _ => entries.push(Entry {
                tile_id: id,
                offset,
                length,
                run_length: 1,
            }),
        }
    }
    let (root, leaves) = directories(&entries)?;
    let metadata = gzip(
        serde_json::to_string(metadata)
            .map_err(io::Error::other)?
            .as_bytes(),
    )?;

    let root_offset = HEADER as u64;
    let metadata_offset = root_offset + root.len() as u64;
    let leaf_offset = metadata_offset + metadata.len() as u64;
    let data_offset = leaf_offset + leaves.len() as u64;
    let e7 = |v: f64| (v * 1e7).round() as i32;
    let mut header = Vec::with_capacity(HEADER);
    header.extend_from_slice(b"PMTiles");
    header.push(3);
    for v in [
        root_offset,
        root.len() as u64,
        metadata_offset,
        metadata.len() as u64,
        leaf_offset,
        leaves.len() as u64,
        data_offset,
        data.len() as u64,
        addressed,
        entries.len() as u64,
        seen.len() as u64,
    ] {
        header.extend_from_slice(&v.to_le_bytes());
    }
    header.extend_from_slice(&[1, GZIP, GZIP, MVT, bounds.min_zoom, bounds.max_zoom]);
    for v in bounds.bbox {
        header.extend_from_slice(&e7(v).to_le_bytes());
    }
    header.push(bounds.center.2);
    header.extend_from_slice(&e7(bounds.center.0).to_le_bytes());
    header.extend_from_slice(&e7(bounds.center.1).to_le_bytes());
    debug_assert_eq!(header.len(), HEADER);

    let mut out = BufWriter::new(File::create(path)?);
    for part in [&header, &root, &metadata, &leaves, &data] {
        out.write_all(part)?;
    }
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(ArchiveStats {
        addressed_tiles: addressed,
        tile_entries: entries.len() as u64,
        tile_contents: seen.len() as u64,
        bytes: data_offset + data.len() as u64,
    })
}

/// Counts of a written archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveStats {
    /// Tiles addressed (including repeats).
    pub addressed_tiles: u64,
    /// Directory entries for tiles.
    pub tile_entries: u64,
    /// Distinct tile contents stored.
    pub tile_contents: u64,
    /// File size.
    pub bytes: u64,
}

/// The root directory, and the leaf directories it points to when all entries do not fit
/// in the root (leaves grow until the root fits).
fn directories(entries: &[Entry]) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let root = serialize_directory(entries)?;
    if root.len() <= ROOT_BUDGET {
        return Ok((root, Vec::new()));
    }
    let mut leaf_size = 4096usize;
    loop {
        let mut leaves = Vec::new();
        let mut root_entries = Vec::new();
        for chunk in entries.chunks(leaf_size) {
            let leaf = serialize_directory(chunk)?;
            root_entries.push(Entry {
                tile_id: chunk[0].tile_id,
                offset: leaves.len() as u64,
                length: leaf.len() as u32,
                run_length: 0,
            });
            leaves.extend_from_slice(&leaf);
        }
        let root = serialize_directory(&root_entries)?;
        if root.len() <= ROOT_BUDGET {
            return Ok((root, leaves));
        }
        leaf_size *= 2;
    }
}

/// An archive opened for serving: its directories are read into memory at open, tiles are
/// read from the file on request.
pub struct Archive {
    file: File,
    entries: Vec<Entry>,
    data_offset: u64,
    /// The archive's JSON metadata.
    pub metadata: serde_json::Value,
    /// Zooms, bounds and centre from the header.
    pub bounds: Bounds,
}

impl Archive {
    /// Opens and checks an archive of gzip-compressed MVT tiles.
    pub fn open(path: &Path) -> Result<Archive, PmtilesError> {
        let file = File::open(path)?;
        let mut header = [0u8; HEADER];
        file.read_exact_at(&mut header, 0)?;
        if &header[..7] != b"PMTiles" || header[7] != 3 {
            return Err(PmtilesError::Invalid("no PMTiles v3 magic".into()));
        }
        let u64_at =
            |at: usize| u64::from_le_bytes(header[at..at + 8].try_into().expect("8 bytes"));
        let i32_at =
            |at: usize| i32::from_le_bytes(header[at..at + 4].try_into().expect("4 bytes"));
        if header[97] != GZIP || header[98] != GZIP || header[99] != MVT {
            return Err(PmtilesError::Invalid(
                "only gzip-compressed MVT archives are served".into(),
            ));
        }
        let read = |offset: u64, length: u64| -> Result<Vec<u8>, PmtilesError> {
            if length > 1 << 30 {
                return Err(PmtilesError::Invalid(format!("section of {length} bytes")));
            }
            let mut buf = vec![0u8; length as usize];
            file.read_exact_at(&mut buf, offset)?;
            Ok(buf)
        };
        let (leaf_offset, data_offset) = (u64_at(40), u64_at(56));
        let mut entries = Vec::new();
        for e in deserialize_directory(&read(u64_at(8), u64_at(16))?)? {
            if e.run_length == 0 {
                let leaf =
                    deserialize_directory(&read(leaf_offset + e.offset, u64::from(e.length))?)?;
                if leaf.iter().any(|l| l.run_length == 0) {
                    return Err(PmtilesError::Invalid(
                        "leaf directories nest deeper than one level".into(),
                    ));
                }
                entries.extend(leaf);
            } else {
                entries.push(e);
            }
        }
        if entries.windows(2).any(|w| w[0].tile_id >= w[1].tile_id) {
            return Err(PmtilesError::Invalid(
                "directory entries out of order".into(),
            ));
        }
        let metadata = serde_json::from_slice(&gunzip(&read(u64_at(24), u64_at(32))?)?)
            .map_err(|e| PmtilesError::Invalid(format!("metadata: {e}")))?;
        let e7 = |at: usize| f64::from(i32_at(at)) / 1e7;
        Ok(Archive {
            bounds: Bounds {
                min_zoom: header[100],
                max_zoom: header[101],
                bbox: [e7(102), e7(106), e7(110), e7(114)],
                center: (e7(119), e7(123), header[118]),
            },
            file,
            entries,
            data_offset,
            metadata,
        })
    }

    /// The tile's stored (gzip-compressed) bytes, or `None` when the archive lacks it.
    pub fn get_compressed(&self, tile: TileId) -> Result<Option<Vec<u8>>, PmtilesError> {
        let id = tile_id(tile);
        let at = self.entries.partition_point(|e| e.tile_id <= id);
        let Some(e) = at.checked_sub(1).map(|i| self.entries[i]) else {
            return Ok(None);
        };
        if id >= e.tile_id + u64::from(e.run_length) {
            return Ok(None);
        }
        let mut buf = vec![0u8; e.length as usize];
        self.file
            .read_exact_at(&mut buf, self.data_offset + e.offset)?;
        Ok(Some(buf))
    }

    /// The tile's MVT bytes, or `None` when the archive lacks it.
    pub fn get(&self, tile: TileId) -> Result<Option<Vec<u8>>, PmtilesError> {
        Ok(match self.get_compressed(tile)? {
            Some(bytes) => Some(gunzip(&bytes)?),
            None => None,
        })
    }

    /// Tiles addressed.
    pub fn tiles(&self) -> u64 {
        self.entries.iter().map(|e| u64::from(e.run_length)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(z: u32, x: u32, y: u32) -> TileId {
        TileId::new(z, x, y).unwrap()
    }

    #[test]
    fn tile_ids_follow_the_specification() {
        // The specification's examples.
        assert_eq!(tile_id(t(0, 0, 0)), 0);
        assert_eq!(tile_id(t(1, 0, 0)), 1);
        assert_eq!(tile_id(t(1, 0, 1)), 2);
        assert_eq!(tile_id(t(1, 1, 1)), 3);
        assert_eq!(tile_id(t(1, 1, 0)), 4);
        assert_eq!(tile_id(t(2, 0, 0)), 5);
        // Every id of a zoom is used exactly once.
        let mut ids: Vec<u64> = (0..16)
            .flat_map(|x| (0..16).map(move |y| tile_id(t(4, x, y))))
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, (85..85 + 256).collect::<Vec<u64>>());
    }

    #[test]
    fn an_archive_reads_back_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.pmtiles");
        // Enough tiles that the root overflows into leaves, with repeats to deduplicate.
        let mut tiles = Vec::new();
        for x in 0..256u32 {
            for y in 0..256u32 {
                let body = if (x + y) % 3 == 0 {
                    vec![1, 2, 3]
                } else {
                    format!("{x}/{y}").into_bytes()
                };
                tiles.push((t(8, x, y), body));
            }
        }
        tiles.push((t(0, 0, 0), b"world".to_vec()));
        let bounds = Bounds {
            min_zoom: 0,
            max_zoom: 8,
            bbox: [73.0, 3.0, 136.0, 54.0],
            center: (104.0, 35.0, 3),
        };
        let stats = write_archive(
            &path,
            tiles.clone(),
            &serde_json::json!({"name": "t"}),
            &bounds,
        )
        .unwrap();
        assert_eq!(stats.addressed_tiles, tiles.len() as u64);
        assert!(stats.tile_contents < stats.addressed_tiles);
        let archive = Archive::open(&path).unwrap();
        assert_eq!(archive.bounds, bounds);
        assert_eq!(archive.metadata["name"], "t");
        assert_eq!(archive.tiles(), tiles.len() as u64);
        for (tile, body) in &tiles {
            assert_eq!(archive.get(*tile).unwrap().as_ref(), Some(body));
        }
        assert_eq!(archive.get(t(1, 0, 0)).unwrap(), None);
        assert_eq!(archive.get(t(9, 0, 0)).unwrap(), None);
        // Not an archive.
        std::fs::write(dir.path().join("bad"), b"nope").unwrap();
        assert!(Archive::open(&dir.path().join("bad")).is_err());
    }
}
