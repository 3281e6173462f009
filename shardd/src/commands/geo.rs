//! GEO commands, on sorted sets whose scores are 52-bit geohashes
//! ([`hash`]): GEOADD, GEOPOS, GEODIST, GEOHASH, GEORADIUS,
//! GEORADIUSBYMEMBER (and their `_RO` forms), GEOSEARCH and
//! GEOSEARCHSTORE, with Redis 7.0's parsing order, errors and reply
//! shapes: distances as bulk strings with 4 decimals, coordinates in
//! Redis's "human" form (17 decimals, trailing zeros dropped; RESP3
//! doubles), searches over the centre's cell and its 8 neighbours.

pub mod hash;

use self::hash::{Extent, Shape};
use super::{
    eq_ic, parse_f64, parse_i64,
    zsets::{read_zset, store},
    Args, Changes, CmdError, CmdResult, CountedResult,
};
use crate::{
    keyspace::Keyspace,
    reply::{Proto, Reply},
    types::zset::{ZSetObj, ZSetRef},
};

/// A float argument, with `msg` (Redis's `getDoubleFromObjectOrReply`)
/// as the error.
fn float(arg: &[u8], msg: Option<&str>) -> Result<f64, CmdError> {
    parse_f64(arg).ok_or_else(|| match msg {
        Some(m) => CmdError::Other(format!("ERR {m}")),
        None => CmdError::NotFloat,
    })
}

/// A longitude, latitude pair, checked against the stored ranges.
fn long_lat(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), CmdError> {
    let (x, y) = (float(lon, None)?, float(lat, None)?);
    if !(hash::LONG_MIN..=hash::LONG_MAX).contains(&x)
        || !(hash::LAT_MIN..=hash::LAT_MAX).contains(&y)
    {
        return Err(CmdError::Other(format!(
            "ERR invalid longitude,latitude pair {x:.6},{y:.6}"
        )));
    }
    Ok((x, y))
}

/// A unit's size in metres.
fn unit(arg: &[u8]) -> Result<f64, CmdError> {
    Ok(match arg.to_ascii_lowercase().as_slice() {
        b"m" => 1.0,
        b"km" => 1000.0,
        b"ft" => 0.3048,
        b"mi" => 1609.34,
        _ => {
            return Err(CmdError::Other(
                "ERR unsupported unit provided. please use M, KM, FT, MI".into(),
            ))
        }
    })
}

/// `radius unit`: the radius and the unit's size.
fn radius(r: &[u8], u: &[u8]) -> Result<(f64, f64), CmdError> {
    let d = float(r, Some("need numeric radius"))?;
    if d < 0.0 {
        return Err(CmdError::Other("ERR radius cannot be negative".into()));
    }
    Ok((d, unit(u)?))
}

/// `width height unit`.
fn box_size(w: &[u8], h: &[u8], u: &[u8]) -> Result<(f64, f64, f64), CmdError> {
    let w = float(w, Some("need numeric width"))?;
    let h = float(h, Some("need numeric height"))?;
    if h < 0.0 || w < 0.0 {
        return Err(CmdError::Other(
            "ERR height or width cannot be negative".into(),
        ));
    }
    Ok((w, h, unit(u)?))
}

/// Redis's distance form: rounded to 4 decimals (`fixedpoint_d2string`).
fn distance_text(d: f64) -> String {
    if d == 0.0 {
        return "0.0000".into();
    }
    let v = (d * 10000.0).round_ties_even();
    if !v.is_finite() || v.abs() >= 9.2e18 {
        return format!("{d:.4}");
    }
    let v = v as i64;
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    format!("{sign}{}.{:04}", a / 10000, a % 10000)
}

/// Redis's "human" long double form: 17 decimals, trailing zeros (and a
/// bare point) dropped, `-0` as `0`.
fn human_text(d: f64) -> String {
    if d.is_infinite() {
        return if d > 0.0 { "inf" } else { "-inf" }.into();
    }
    let mut s = format!("{d:.17}");
    if s.contains('.') {
        let trimmed = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(trimmed);
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

fn coordinate(out: &mut Reply, d: f64) {
    let s = human_text(d);
    match out.proto() {
        Proto::Resp2 => out.bulk(s.as_bytes()),
        Proto::Resp3 => {
            out.raw(b",");
            out.raw(s.as_bytes());
            out.raw(b"\r\n");
        }
    }
}

/// `GEOADD key [NX|XX] [CH] longitude latitude member [...]`: ZADD with
/// each point's score.
pub fn geoadd(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CountedResult {
    args.get(1)?;
    let all = args.all();
    let (mut nx, mut xx) = (false, false);
    let mut first = 2;
    while let Some(opt) = all.get(first) {
        if eq_ic(opt, "nx") {
            nx = true;
        } else if eq_ic(opt, "xx") {
            xx = true;
        } else if !eq_ic(opt, "ch") {
            break;
        }
        first += 1;
    }
    if !(all.len() - first).is_multiple_of(3) || (nx && xx) {
        return Err(CmdError::Syntax);
    }
    let mut scores = Vec::with_capacity((all.len() - first) / 3);
    for p in all[first..].chunks_exact(3) {
        let (x, y) = long_lat(p[0], p[1])?;
        scores.push(hash::score_of(x, y).unwrap_or(0).to_string());
    }
    let mut argv: Vec<&[u8]> = Vec::with_capacity(first + scores.len() * 2);
    argv.push(b"ZADD");
    argv.extend_from_slice(&all[1..first]);
    for (p, s) in all[first..].chunks_exact(3).zip(&scores) {
        argv.push(s.as_bytes());
        argv.push(p[2]);
    }
    super::zsets::zadd(ks, Args::new(&argv), out)
}

/// `GEOPOS key member [member ...]`
pub fn geopos(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let z = read_zset(ks, args.get(1)?)?;
    let members = args.rest(2);
    out.array(members.len());
    for m in members {
        match z.and_then(|z| z.score(m)).and_then(hash::decode_score) {
            Some((x, y)) => {
                out.array(2);
                coordinate(out, x);
                coordinate(out, y);
            }
            None => out.null_array(),
        }
    }
    Ok(())
}

/// `GEOHASH key member [member ...]`
pub fn geohash(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let z = read_zset(ks, args.get(1)?)?;
    let members = args.rest(2);
    out.array(members.len());
    for m in members {
        match z.and_then(|z| z.score(m)).and_then(hash::geohash_string) {
            Some(s) => out.bulk(&s),
            None => out.null(),
        }
    }
    Ok(())
}

/// `GEODIST key member1 member2 [M|KM|FT|MI]`
pub fn geodist(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let to_meter = match args.len() {
        5 => unit(args.get(4)?)?,
        n if n > 5 => return Err(CmdError::Syntax),
        _ => 1.0,
    };
    let Some(z) = read_zset(ks, args.get(1)?)? else {
        out.null();
        return Ok(());
    };
    let points = (
        z.score(args.get(2)?).and_then(hash::decode_score),
        z.score(args.get(3)?).and_then(hash::decode_score),
    );
    match points {
        (Some((x1, y1)), Some((x2, y2))) => {
            let d = hash::distance(x1, y1, x2, y2) / to_meter;
            out.bulk(distance_text(d).as_bytes());
        }
        _ => out.null(),
    }
    Ok(())
}

/// Which search command runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// GEORADIUS (`store`: not the `_RO` form).
    Coords { store: bool },
    /// GEORADIUSBYMEMBER.
    Member { store: bool },
    /// GEOSEARCH.
    Search,
    /// GEOSEARCHSTORE.
    SearchStore,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// A point found.
struct Found {
    member: Vec<u8>,
    score: f64,
    dist: f64,
    x: f64,
    y: f64,
}

/// The points of `z` inside `shape`, cell by cell as Redis visits them;
/// stops at `limit` (0: none) points.
fn points_in(z: ZSetRef<'_>, shape: &Shape, limit: usize) -> Vec<Found> {
    let cells = shape.cells();
    let mut found = Vec::new();
    let mut last = 0;
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_zero() {
            continue;
        }
        // Huge radii make neighbours repeat: each cell is searched once.
        if last != 0 && *cell == cells[last] {
            continue;
        }
        if limit != 0 && found.len() >= limit {
            break;
        }
        let (min, max) = hash::score_range(*cell);
        let (min, max) = (min as f64, max as f64);
        let start = z.count_while(|s, _| s < min);
        for (m, score) in z.range(start, z.len()) {
            if score >= max {
                break;
            }
            if let Some((x, y)) = hash::decode_score(score) {
                if let Some(dist) = shape.distance_within(x, y) {
                    found.push(Found {
                        member: m.to_vec(),
                        score,
                        dist,
                        x,
                        y,
                    });
                }
            }
            if limit != 0 && found.len() >= limit {
                break;
            }
        }
        last = i;
    }
    found
}

/// GEORADIUS / GEORADIUSBYMEMBER / GEOSEARCH / GEOSEARCHSTORE, as
/// Redis's `georadiusGeneric`.
fn search(ks: &mut Keyspace, args: Args, out: &mut Reply, kind: Kind) -> CountedResult {
    let all = args.all();
    let src = if kind == Kind::SearchStore { 2 } else { 1 };
    let has_zset = read_zset(ks, args.get(src)?)?.is_some();
    let member_point = |ks: &mut Keyspace, m: &[u8]| -> Result<(f64, f64), CmdError> {
        read_zset(ks, all[src])?
            .and_then(|z| z.score(m))
            .and_then(hash::decode_score)
            .ok_or_else(|| CmdError::Other("ERR could not decode requested zset member".into()))
    };
    let mut centre: Option<(f64, f64)> = None;
    let mut extent: Option<(Extent, f64)> = None;
    let mut store_key: Option<&[u8]> = None;
    let base = match kind {
        Kind::Coords { .. } => {
            centre = Some(long_lat(args.get(2)?, args.get(3)?)?);
            let (r, conv) = radius(args.get(4)?, args.get(5)?)?;
            extent = Some((Extent::Radius(r), conv));
            6
        }
        Kind::Member { .. } if !has_zset => 5,
        Kind::Member { .. } => {
            centre = Some(member_point(ks, args.get(2)?)?);
            let (r, conv) = radius(args.get(3)?, args.get(4)?)?;
            extent = Some((Extent::Radius(r), conv));
            5
        }
        Kind::Search => 2,
        Kind::SearchStore => {
            store_key = Some(args.get(1)?);
            3
        }
    };
    let geosearch = matches!(kind, Kind::Search | Kind::SearchStore);
    let may_store = matches!(
        kind,
        Kind::Coords { store: true } | Kind::Member { store: true }
    );
    let (mut withdist, mut withhash, mut withcoord, mut any) = (false, false, false, false);
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let mut storedist = false;
    let mut sort = Sort::None;
    let mut count: i64 = 0;
    let opts = args.rest(base);
    let mut i = 0;
    while i < opts.len() {
        let arg = opts[i];
        let remaining = opts.len();
        if eq_ic(arg, "withdist") {
            withdist = true;
        } else if eq_ic(arg, "withhash") {
            withhash = true;
        } else if eq_ic(arg, "withcoord") {
            withcoord = true;
        } else if eq_ic(arg, "any") {
            any = true;
        } else if eq_ic(arg, "asc") {
            sort = Sort::Asc;
        } else if eq_ic(arg, "desc") {
            sort = Sort::Desc;
        } else if eq_ic(arg, "count") && i + 1 < remaining {
            count = parse_i64(opts[i + 1]).ok_or(CmdError::NotInteger)?;
            if count <= 0 {
                return Err(CmdError::Other("ERR COUNT must be > 0".into()));
            }
            i += 1;
        } else if (eq_ic(arg, "store") || eq_ic(arg, "storedist")) && i + 1 < remaining && may_store
        {
            store_key = Some(opts[i + 1]);
            storedist = eq_ic(arg, "storedist");
            i += 1;
        } else if eq_ic(arg, "storedist") && kind == Kind::SearchStore {
            storedist = true;
        } else if eq_ic(arg, "frommember") && i + 1 < remaining && geosearch && !fromloc {
            if has_zset {
                centre = Some(member_point(ks, opts[i + 1])?);
            }
            frommember = true;
            i += 1;
        } else if eq_ic(arg, "fromlonlat") && i + 2 < remaining && geosearch && !frommember {
            centre = Some(long_lat(opts[i + 1], opts[i + 2])?);
            fromloc = true;
            i += 2;
        } else if eq_ic(arg, "byradius") && i + 2 < remaining && geosearch && !bybox {
            let (r, conv) = radius(opts[i + 1], opts[i + 2])?;
            extent = Some((Extent::Radius(r), conv));
            byradius = true;
            i += 2;
        } else if eq_ic(arg, "bybox") && i + 3 < remaining && geosearch && !byradius {
            let (width, height, conv) = box_size(opts[i + 1], opts[i + 2], opts[i + 3])?;
            extent = Some((Extent::Box { width, height }, conv));
            bybox = true;
            i += 3;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    let name = String::from_utf8_lossy(all.first().copied().unwrap_or_default());
    if store_key.is_some() && (withdist || withhash || withcoord) {
        return Err(CmdError::Other(format!(
            "ERR {} is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
            if kind == Kind::SearchStore {
                "GEOSEARCHSTORE"
            } else {
                "STORE option in GEORADIUS"
            }
        )));
    }
    if geosearch && !(frommember || fromloc) {
        return Err(CmdError::Other(format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )));
    }
    if geosearch && !(byradius || bybox) {
        return Err(CmdError::Other(format!(
            "ERR exactly one of BYRADIUS and BYBOX can be specified for {name}"
        )));
    }
    if any && count == 0 {
        return Err(CmdError::Other(
            "ERR the ANY argument requires COUNT argument".into(),
        ));
    }
    let (Some(z), Some((longitude, latitude)), Some((extent, conversion))) =
        (read_zset(ks, all[src])?, centre, extent)
    else {
        // No source key.
        return Ok(match store_key {
            Some(dst) => {
                let existed = ks.exists(dst);
                ks.remove(dst);
                out.int(0);
                if existed {
                    Changes::ONE
                } else {
                    Changes::NONE
                }
            }
            None => {
                out.array(0);
                Changes::NONE
            }
        });
    };
    if count != 0 && sort == Sort::None && !any {
        sort = Sort::Asc;
    }
    let shape = Shape {
        longitude,
        latitude,
        extent,
        conversion,
    };
    let limit = if any { count as usize } else { 0 };
    let mut found = points_in(z, &shape, limit);
    if found.is_empty() && store_key.is_none() {
        out.array(0);
        return Ok(Changes::NONE);
    }
    match sort {
        Sort::None => {}
        Sort::Asc => found.sort_by(|a, b| a.dist.total_cmp(&b.dist)),
        Sort::Desc => found.sort_by(|a, b| b.dist.total_cmp(&a.dist)),
    }
    let returned = if count == 0 {
        found.len()
    } else {
        found.len().min(count as usize)
    };
    found.truncate(returned);
    let Some(dst) = store_key else {
        let options = usize::from(withdist) + usize::from(withcoord) + usize::from(withhash);
        out.array(returned);
        for f in &found {
            if options > 0 {
                out.array(options + 1);
            }
            out.bulk(&f.member);
            if withdist {
                out.bulk(distance_text(f.dist / conversion).as_bytes());
            }
            if withhash {
                out.int(f.score as i64);
            }
            if withcoord {
                out.array(2);
                coordinate(out, f.x);
                coordinate(out, f.y);
            }
        }
        return Ok(Changes::NONE);
    };
    let dst = dst.to_vec();
    if returned == 0 {
        let existed = ks.exists(&dst);
        ks.remove(&dst);
        out.int(0);
        return Ok(if existed { Changes::ONE } else { Changes::NONE });
    }
    let mut result = ZSetObj::with_size_hint(usize::MAX);
    for f in &found {
        let score = if storedist {
            f.dist / conversion
        } else {
            f.score
        };
        result.insert(&f.member, score);
    }
    result.pack_if_fits();
    store(ks, &dst, result, out);
    Ok(Changes(returned as u64))
}

/// `GEORADIUS key longitude latitude radius M|KM|FT|MI [options]`
pub fn georadius(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CountedResult {
    search(ks, args, out, Kind::Coords { store: true })
}

/// `GEORADIUS_RO key longitude latitude radius M|KM|FT|MI [options]`
pub fn georadius_ro(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    search(ks, args, out, Kind::Coords { store: false }).map(|_| ())
}

/// `GEORADIUSBYMEMBER key member radius M|KM|FT|MI [options]`
pub fn georadiusbymember(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CountedResult {
    search(ks, args, out, Kind::Member { store: true })
}

/// `GEORADIUSBYMEMBER_RO key member radius M|KM|FT|MI [options]`
pub fn georadiusbymember_ro(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    search(ks, args, out, Kind::Member { store: false }).map(|_| ())
}

/// `GEOSEARCH key FROMMEMBER m|FROMLONLAT lon lat BYRADIUS r u|BYBOX w h u [options]`
pub fn geosearch(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    search(ks, args, out, Kind::Search).map(|_| ())
}

/// `GEOSEARCHSTORE dst src ... [STOREDIST]`
pub fn geosearchstore(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CountedResult {
    search(ks, args, out, Kind::SearchStore)
}

#[cfg(test)]
mod tests {
    use super::{distance_text, human_text};

    #[test]
    fn distances_print_with_four_decimals() {
        assert_eq!(distance_text(0.0), "0.0000");
        assert_eq!(distance_text(166274.15156960033), "166274.1516");
        assert_eq!(distance_text(0.77505), "0.7750");
        assert_eq!(distance_text(-1.5), "-1.5000");
        assert_eq!(distance_text(12.00004), "12.0000");
    }

    #[test]
    fn coordinates_print_in_human_form() {
        assert_eq!(human_text(13.361389338970184), "13.36138933897018433");
        assert_eq!(human_text(15.0), "15");
        assert_eq!(human_text(-0.0), "0");
        assert_eq!(human_text(0.5), "0.5");
    }
}
