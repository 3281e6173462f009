//! GEO commands: points added with valid and invalid coordinates, then
//! positions, distances, geohashes and searches by radius and by box,
//! with every option in valid and invalid combinations.

use proptest::prelude::*;

use super::{super::gen::*, other_types};

/// Longitudes: a few cities, the edges, and bad values.
fn lon() -> S {
    one(&[
        b"13.361389",
        b"15.087269",
        b"12.758489",
        b"-122.4194",
        b"2.3522",
        b"180",
        b"-180",
        b"0",
        b"180.0001",
        b"abc",
        b"inf",
    ])
}

/// Latitudes: the same cities, the Mercator edges, and bad values.
fn lat() -> S {
    one(&[
        b"38.115556",
        b"37.502669",
        b"38.788135",
        b"37.7749",
        b"48.8566",
        b"85.05112878",
        b"-85.05112878",
        b"0",
        b"85.06",
        b"x",
    ])
}

fn unit() -> S {
    one(&[b"m", b"km", b"KM", b"ft", b"mi", b"yd"])
}

fn dist() -> S {
    one(&[
        b"0", b"1", b"100", b"200", b"500000", b"5000000", b"-1", b"abc", b"1e9",
    ])
}

/// The options of a search.
fn options(store: bool) -> S {
    let mut choices = vec![
        lit("WITHDIST"),
        lit("WITHHASH"),
        lit("WITHCOORD"),
        lit("ASC"),
        lit("DESC"),
        cat(vec![
            lit("COUNT"),
            one(&[b"1", b"2", b"3", b"0", b"-1", b"x"]),
        ]),
        cat(vec![lit("COUNT"), one(&[b"1", b"2"]), lit("ANY")]),
        lit("ANY"),
        lit("BOGUS"),
    ];
    if store {
        choices.push(cat(vec![lit("STORE"), key()]));
        choices.push(cat(vec![lit("STOREDIST"), key()]));
    }
    many(alt(choices), 0, 3)
}

/// GEOSEARCH's centre and extent, in valid and invalid combinations.
fn search_spec() -> S {
    let from = alt(vec![
        cat(vec![lit("FROMMEMBER"), member()]),
        cat(vec![lit("FROMLONLAT"), lon(), lat()]),
    ]);
    let by = alt(vec![
        cat(vec![lit("BYRADIUS"), dist(), unit()]),
        cat(vec![lit("BYBOX"), dist(), dist(), unit()]),
    ]);
    alt(vec![
        cat(vec![from.clone(), by.clone()]),
        cat(vec![by.clone(), from.clone()]),
        from.clone(),
        by,
        cat(vec![from.clone(), from]),
    ])
}

/// GEO commands.
pub fn geo() -> BoxedStrategy<Op> {
    let point = || cat(vec![lon(), lat(), member()]);
    ops(vec![
        cmd(
            "GEOADD",
            vec![
                key(),
                many(one(&[b"NX", b"XX", b"CH", b"GT"]), 0, 2),
                point(),
                many(point(), 0, 3),
            ],
        ),
        cmd("GEOADD", vec![key(), point(), point(), point()]),
        cmd("GEOADD", vec![key(), lon(), lat()]),
        cmd("GEOPOS", vec![key(), many(member(), 0, 3)]),
        cmd("GEOHASH", vec![key(), many(member(), 0, 3)]),
        cmd(
            "GEODIST",
            vec![key(), member(), member(), many(unit(), 0, 2)],
        ),
        cmd(
            "GEORADIUS",
            vec![key(), lon(), lat(), dist(), unit(), options(true)],
        ),
        cmd(
            "GEORADIUS_RO",
            vec![key(), lon(), lat(), dist(), unit(), options(false)],
        ),
        cmd(
            "GEORADIUSBYMEMBER",
            vec![key(), member(), dist(), unit(), options(true)],
        ),
        cmd(
            "GEORADIUSBYMEMBER_RO",
            vec![key(), member(), dist(), unit(), options(false)],
        ),
        cmd("GEOSEARCH", vec![key(), search_spec(), options(false)]),
        cmd(
            "GEOSEARCHSTORE",
            vec![
                key(),
                key(),
                search_spec(),
                options(false),
                opt(lit("STOREDIST")),
            ],
        ),
        cmd(
            "ZRANGE",
            vec![key(), lit("0"), lit("-1"), lit("WITHSCORES")],
        ),
        cmd("ZREM", vec![key(), member()]),
        other_types(),
    ])
}
