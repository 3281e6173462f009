//! The geohash arithmetic behind the GEO commands, step for step as Redis
//! 7.0 computes it (`geohash.c`, `geohash_helper.c`), so that scores,
//! positions, distances and search areas agree with redis-server to the
//! last printed digit: a point is its longitude and latitude interleaved
//! into 52 bits (26 steps each) over the Web Mercator ranges (latitudes
//! within ±85.05112878), stored as the sorted-set score; a search covers
//! the shape's bounding box with the cell around its centre and that
//! cell's 8 neighbours, at a step the radius picks.
//!
//! Every floating-point operation keeps Redis's order: reordering one
//! changes the last bits of a decoded coordinate, and so its printed form.

use std::f64::consts::PI;

/// Steps of a stored point: 26 per coordinate, 52 bits.
pub const STEP_MAX: u8 = 26;
/// The latitudes a point may have (Web Mercator's limits).
pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;
pub const LONG_MIN: f64 = -180.0;
pub const LONG_MAX: f64 = 180.0;

const D_R: f64 = PI / 180.0;
/// The Earth's quadratic mean radius for WGS-84, as Redis has it.
pub const EARTH_RADIUS_IN_METERS: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;

fn deg_rad(ang: f64) -> f64 {
    ang * D_R
}

fn rad_deg(ang: f64) -> f64 {
    ang / D_R
}

/// A cell: `step` bits of each coordinate, interleaved (latitude in the
/// odd bits... as Redis: longitude bits at the odd positions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Bits {
    pub bits: u64,
    pub step: u8,
}

impl Bits {
    /// Redis's "zero" cell, meaning none.
    pub fn is_zero(self) -> bool {
        self.bits == 0 && self.step == 0
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

impl Range {
    fn is_zero(self) -> bool {
        self.min == 0.0 && self.max == 0.0
    }
}

/// A cell's bounds.
#[derive(Clone, Copy, Debug, Default)]
pub struct Area {
    pub longitude: Range,
    pub latitude: Range,
}

const WGS84_LONG: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};
const WGS84_LAT: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

fn interleave64(xlo: u32, ylo: u32) -> u64 {
    const B: [u64; 5] = [
        0x5555555555555555,
        0x3333333333333333,
        0x0F0F0F0F0F0F0F0F,
        0x00FF00FF00FF00FF,
        0x0000FFFF0000FFFF,
    ];
    const S: [u32; 5] = [1, 2, 4, 8, 16];
    let mut x = u64::from(xlo);
    let mut y = u64::from(ylo);
    for i in (0..5).rev() {
        x = (x | (x << S[i])) & B[i];
        y = (y | (y << S[i])) & B[i];
    }
    x | (y << 1)
}

fn deinterleave64(interleaved: u64) -> u64 {
    const B: [u64; 6] = [
        0x5555555555555555,
        0x3333333333333333,
        0x0F0F0F0F0F0F0F0F,
        0x00FF00FF00FF00FF,
        0x0000FFFF0000FFFF,
        0x00000000FFFFFFFF,
    ];
    const S: [u32; 6] = [0, 1, 2, 4, 8, 16];
    let mut x = interleaved;
    let mut y = interleaved >> 1;
    for i in 0..6 {
        x = (x | (x >> S[i])) & B[i];
        y = (y | (y >> S[i])) & B[i];
    }
    x | (y << 32)
}

/// The cell of `step` holding (`longitude`, `latitude`) over the given
/// ranges; `None` outside them (or for a bad step).
pub fn encode(
    long_range: Range,
    lat_range: Range,
    longitude: f64,
    latitude: f64,
    step: u8,
) -> Option<Bits> {
    if step > 32 || step == 0 || lat_range.is_zero() || long_range.is_zero() {
        return None;
    }
    if !(LONG_MIN..=LONG_MAX).contains(&longitude) || !(LAT_MIN..=LAT_MAX).contains(&latitude) {
        return None;
    }
    if latitude < lat_range.min
        || latitude > lat_range.max
        || longitude < long_range.min
        || longitude > long_range.max
    {
        return None;
    }
    let mut lat_offset = (latitude - lat_range.min) / (lat_range.max - lat_range.min);
    let mut long_offset = (longitude - long_range.min) / (long_range.max - long_range.min);
    let scale = (1u64 << step) as f64;
    lat_offset *= scale;
    long_offset *= scale;
    Some(Bits {
        bits: interleave64(lat_offset as u32, long_offset as u32),
        step,
    })
}

/// The cell of `step` holding a point, over the stored ranges.
pub fn encode_wgs84(longitude: f64, latitude: f64, step: u8) -> Option<Bits> {
    encode(WGS84_LONG, WGS84_LAT, longitude, latitude, step)
}

/// The bounds of cell `hash` over the given ranges.
pub fn decode(long_range: Range, lat_range: Range, hash: Bits) -> Option<Area> {
    if hash.is_zero() || lat_range.is_zero() || long_range.is_zero() || hash.step > 32 {
        return None;
    }
    let sep = deinterleave64(hash.bits);
    let lat_scale = lat_range.max - lat_range.min;
    let long_scale = long_range.max - long_range.min;
    let ilato = f64::from(sep as u32);
    let ilono = f64::from((sep >> 32) as u32);
    let div = (1u64 << hash.step) as f64;
    Some(Area {
        latitude: Range {
            min: lat_range.min + (ilato * 1.0 / div) * lat_scale,
            max: lat_range.min + ((ilato + 1.0) * 1.0 / div) * lat_scale,
        },
        longitude: Range {
            min: long_range.min + (ilono * 1.0 / div) * long_scale,
            max: long_range.min + ((ilono + 1.0) * 1.0 / div) * long_scale,
        },
    })
}

fn decode_wgs84(hash: Bits) -> Option<Area> {
    decode(WGS84_LONG, WGS84_LAT, hash)
}

/// A cell's centre, clamped to the valid ranges.
fn area_centre(area: &Area) -> (f64, f64) {
    let x = ((area.longitude.min + area.longitude.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let y = ((area.latitude.min + area.latitude.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (x, y)
}

/// The position a stored score stands for: its cell's centre.
pub fn decode_score(score: f64) -> Option<(f64, f64)> {
    let hash = Bits {
        bits: score as u64,
        step: STEP_MAX,
    };
    decode_wgs84(hash).map(|a| area_centre(&a))
}

/// The score of a point: its 52-bit cell.
pub fn score_of(longitude: f64, latitude: f64) -> Option<u64> {
    encode_wgs84(longitude, latitude, STEP_MAX).map(align52)
}

/// A cell's bits moved to the top of 52.
pub fn align52(hash: Bits) -> u64 {
    hash.bits << (52 - u32::from(hash.step) * 2)
}

/// The standard 11-character geohash of a stored score (re-encoded over
/// latitudes ±90, as GEOHASH answers); `None` if it does not decode.
pub fn geohash_string(score: f64) -> Option<[u8; 11]> {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let (x, y) = decode_score(score)?;
    let hash = encode(
        Range {
            min: -180.0,
            max: 180.0,
        },
        Range {
            min: -90.0,
            max: 90.0,
        },
        x,
        y,
        26,
    )?;
    let mut out = [b'0'; 11];
    for (i, c) in out.iter_mut().enumerate().take(10) {
        let idx = (hash.bits >> (52 - (i + 1) * 5)) & 0x1f;
        *c = ALPHABET[idx as usize];
    }
    Some(out)
}

/// Longitude bits (the odd positions) and latitude bits (the even ones).
const X_BITS: u64 = 0xaaaaaaaaaaaaaaaa;
const Y_BITS: u64 = 0x5555555555555555;

/// Moves `hash` one cell along the axis whose bits are `own` (`X_BITS`
/// or `Y_BITS`): east or north when `d > 0`, west or south when `d < 0`.
/// The other axis's bits, all ones, carry the increment across them.
fn move_axis(hash: &mut Bits, d: i8, own: u64) {
    if d == 0 {
        return;
    }
    let shift = 64 - u32::from(hash.step) * 2;
    let mut a = hash.bits & own;
    let rest = hash.bits & !own;
    let zz = !own >> shift;
    if d > 0 {
        a = a.wrapping_add(zz + 1);
    } else {
        a |= zz;
        a = a.wrapping_sub(zz + 1);
    }
    a &= own >> shift;
    hash.bits = a | rest;
}

/// A cell's 8 neighbours, in Redis's search order after the cell itself:
/// north, south, east, west, north-east, north-west, south-east,
/// south-west.
fn neighbours(hash: Bits) -> [Bits; 8] {
    let at = |dx: i8, dy: i8| {
        let mut h = hash;
        move_axis(&mut h, dx, X_BITS);
        move_axis(&mut h, dy, Y_BITS);
        h
    };
    [
        at(0, 1),
        at(0, -1),
        at(1, 0),
        at(-1, 0),
        at(1, 1),
        at(-1, 1),
        at(1, -1),
        at(-1, -1),
    ]
}

/// The step of the 9 cells a search of `range_meters` around latitude
/// `lat` looks at.
pub fn estimate_steps_by_radius(mut range_meters: f64, lat: f64) -> u8 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut step: i32 = 1;
    while range_meters < MERCATOR_MAX {
        range_meters *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// What a search covers.
#[derive(Clone, Copy, Debug)]
pub enum Extent {
    /// Within `radius` of the centre.
    Radius(f64),
    /// Within an axis-aligned box of `width` by `height` around it.
    Box { width: f64, height: f64 },
}

/// A search shape: centre, extent (in the unit), and the unit's size in
/// metres.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub longitude: f64,
    pub latitude: f64,
    pub extent: Extent,
    pub conversion: f64,
}

impl Shape {
    /// The bounding box: min longitude, min latitude, max longitude, max
    /// latitude.
    fn bounds(&self) -> [f64; 4] {
        let (height, width) = match self.extent {
            Extent::Radius(r) => (self.conversion * r, self.conversion * r),
            Extent::Box { width, height } => (
                self.conversion * (height / 2.0),
                self.conversion * (width / 2.0),
            ),
        };
        let (longitude, latitude) = (self.longitude, self.latitude);
        let lat_delta = rad_deg(height / EARTH_RADIUS_IN_METERS);
        let long_delta_top =
            rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude + lat_delta).cos());
        let long_delta_bottom =
            rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude - lat_delta).cos());
        let southern = latitude < 0.0;
        [
            if southern {
                longitude - long_delta_bottom
            } else {
                longitude - long_delta_top
            },
            latitude - lat_delta,
            if southern {
                longitude + long_delta_bottom
            } else {
                longitude + long_delta_top
            },
            latitude + lat_delta,
        ]
    }

    /// The cells to look in, in Redis's order: the centre's cell, then its
    /// neighbours; a neighbour the box cannot reach is zero.
    pub fn cells(&self) -> [Bits; 9] {
        let [min_lon, min_lat, max_lon, max_lat] = self.bounds();
        let radius_meters = self.conversion
            * match self.extent {
                Extent::Radius(r) => r,
                Extent::Box { width, height } => {
                    ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
                }
            };
        let mut steps = estimate_steps_by_radius(radius_meters, self.latitude);
        let at = |steps: u8| {
            let hash = encode_wgs84(self.longitude, self.latitude, steps).unwrap_or_default();
            (
                hash,
                neighbours(hash),
                decode_wgs84(hash).unwrap_or_default(),
            )
        };
        let (mut hash, mut n, mut area) = at(steps);
        // The step may be too fine when the box nears an edge of the cell.
        let side = |h: Bits| decode_wgs84(h).unwrap_or_default();
        let decrease = side(n[0]).latitude.max < max_lat
            || side(n[1]).latitude.min > min_lat
            || side(n[2]).longitude.max < max_lon
            || side(n[3]).longitude.min > min_lon;
        if steps > 1 && decrease {
            steps -= 1;
            (hash, n, area) = at(steps);
        }
        // Drop the neighbours the box cannot reach.
        if steps >= 2 {
            let zero = Bits::default();
            if area.latitude.min < min_lat {
                (n[1], n[7], n[6]) = (zero, zero, zero);
            }
            if area.latitude.max > max_lat {
                (n[0], n[4], n[5]) = (zero, zero, zero);
            }
            if area.longitude.min < min_lon {
                (n[3], n[7], n[5]) = (zero, zero, zero);
            }
            if area.longitude.max > max_lon {
                (n[2], n[6], n[4]) = (zero, zero, zero);
            }
        }
        [hash, n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7]]
    }

    /// The distance in metres from the centre to (`x`, `y`) if that point
    /// is inside the shape.
    pub fn distance_within(&self, x: f64, y: f64) -> Option<f64> {
        match self.extent {
            Extent::Radius(r) => {
                let d = distance(self.longitude, self.latitude, x, y);
                (d <= r * self.conversion).then_some(d)
            }
            Extent::Box { width, height } => {
                let (width_m, height_m) = (width * self.conversion, height * self.conversion);
                if lat_distance(y, self.latitude) > height_m / 2.0 {
                    return None;
                }
                if distance(x, y, self.longitude, y) > width_m / 2.0 {
                    return None;
                }
                Some(distance(self.longitude, self.latitude, x, y))
            }
        }
    }
}

/// The scores `min..max` (max excluded) of the points inside cell `hash`.
pub fn score_range(hash: Bits) -> (u64, u64) {
    let min = align52(hash);
    let next = Bits {
        bits: hash.bits + 1,
        step: hash.step,
    };
    (min, align52(next))
}

/// The distance between two latitudes on a meridian.
fn lat_distance(lat1d: f64, lat2d: f64) -> f64 {
    EARTH_RADIUS_IN_METERS * (deg_rad(lat2d) - deg_rad(lat1d)).abs()
}

/// The haversine great-circle distance in metres.
pub fn distance(lon1d: f64, lat1d: f64, lon2d: f64, lat2d: f64) -> f64 {
    let lon1r = deg_rad(lon1d);
    let lon2r = deg_rad(lon2d);
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1d, lat2d);
    }
    let lat1r = deg_rad(lat1d);
    let lat2r = deg_rad(lat2d);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_IN_METERS * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleave_and_back() {
        for (x, y) in [
            (0u32, 0u32),
            (1, 0),
            (0, 1),
            (0xdead, 0xbeef),
            (u32::MAX, 7),
        ] {
            let i = interleave64(x, y);
            let d = deinterleave64(i);
            assert_eq!((d as u32, (d >> 32) as u32), (x, y));
        }
    }

    #[test]
    fn scores_and_positions_match_redis() {
        // redis-server 7.0.15: GEOADD Sicily 13.361389 38.115556 "Palermo"
        // 15.087269 37.502669 "Catania"; ZSCORE; GEOPOS; GEOHASH.
        assert_eq!(score_of(13.361389, 38.115556), Some(3479099956230698));
        assert_eq!(score_of(15.087269, 37.502669), Some(3479447370796909));
        let (x, y) = decode_score(3479099956230698.0).expect("decodes");
        assert_eq!(format!("{x:.17}"), "13.36138933897018433");
        assert_eq!(format!("{y:.17}"), "38.11555639549629859");
        assert_eq!(
            geohash_string(3479099956230698.0).as_ref().map(|s| &s[..]),
            Some(&b"sqc8b49rny0"[..])
        );
        assert_eq!(
            geohash_string(3479447370796909.0).as_ref().map(|s| &s[..]),
            Some(&b"sqdtr74hyu0"[..])
        );
    }

    #[test]
    fn distance_matches_redis() {
        let (x1, y1) = decode_score(3479099956230698.0).expect("decodes");
        let (x2, y2) = decode_score(3479447370796909.0).expect("decodes");
        // GEODIST Sicily Palermo Catania: "166274.1516".
        let d = distance(x1, y1, x2, y2);
        assert_eq!((d * 10000.0).round_ties_even() as i64, 1662741516);
    }

    #[test]
    fn out_of_range_points_do_not_encode() {
        assert_eq!(score_of(180.1, 0.0), None);
        assert_eq!(score_of(0.0, 85.06), None);
        assert!(score_of(-180.0, -85.05112878).is_some());
    }

    #[test]
    fn steps_shrink_with_the_radius_and_near_the_poles() {
        assert_eq!(estimate_steps_by_radius(0.0, 0.0), 26);
        assert!(estimate_steps_by_radius(100.0, 0.0) > estimate_steps_by_radius(100_000.0, 0.0));
        assert_eq!(
            estimate_steps_by_radius(1000.0, 81.0) + 2,
            estimate_steps_by_radius(1000.0, 0.0)
        );
        assert_eq!(estimate_steps_by_radius(1e12, 0.0), 1);
    }
}
