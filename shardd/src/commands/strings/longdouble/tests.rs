//! INCRBYFLOAT arithmetic checked against replies of redis-server 7.0.15
//! on x86-64 (where `long double` is the x87 80-bit format).

use super::LongDouble;

fn sum(a: &str, b: &str) -> Option<String> {
    let x = LongDouble::parse(a.as_bytes())?;
    let y = LongDouble::parse(b.as_bytes())?;
    let s = x.add(y);
    s.is_finite()
        .then(|| String::from_utf8(s.to_human_string()).unwrap())
}

#[test]
fn sums_print_like_redis() {
    for (a, b, want) in [
        ("10.5", "0.1", "10.6"),
        ("1234567", "0.1", "1234567.10000000000002274"),
        ("0.1", "0.2", "0.3"),
        ("1.1", "2.2", "3.3"),
        ("1", "-1", "0"),
        ("-0", "-0", "0"),
        ("-1.5", "0.25", "-1.25"),
        ("0", "-3.14159", "-3.14159"),
        ("100", "-0.000001", "99.999999"),
        ("0", "1e-17", "0.00000000000000001"),
        ("0", "5e-18", "0"),
        ("0", "1.5e-17", "0.00000000000000002"),
        ("0", "2.5e-17", "0.00000000000000002"),
        ("1e-20", "0", "0"),
        ("5", "1.5e20", "150000000000000000000"),
        ("150000000000000000000", "0x10", "150000000000000000016"),
        ("150000000000000000016", "+1", "150000000000000000016"),
        ("3.0e3", "0", "3000"),
        (
            "100000000000000000000000001",
            "0",
            "100000000000000000000000000",
        ),
        ("0", ".5", "0.5"),
        ("0", "5.", "5"),
        ("0", "0x.8", "0.5"),
        ("0", "0X1P-3", "0.125"),
        ("0", "0x1.8p1", "3"),
        ("0", "1e+5", "100000"),
        ("0", "1E-5", "0.00001"),
        ("0", "00012.5", "12.5"),
        ("0", "-.5e1", "-5"),
        ("0", "9223372036854775807", "9223372036854775807"),
        ("0", "18446744073709551617", "18446744073709551616"),
        ("123456789012345678", "0.5", "123456789012345678.5"),
        ("0", "2.675", "2.675"),
        ("0", "0e-99999", "0"),
        ("0", "0x0p99999", "0"),
        ("0", "1e-4950", "0"),
        ("0", "0x1p-16445", "0"),
        // Random pairs (a one-off differential run of 2000 matched redis-server).
        (
            "682554.15186497579",
            "28816302.56203715418",
            "29498856.71390212996993796",
        ),
        (
            "8.15313507023",
            "0x19658cda14.7131ap-35",
            "11.32772013011010914",
        ),
        (
            "6867.15207130092",
            "9.28513916231",
            "6876.43721046323000001",
        ),
        (
            "0.75936739668",
            "-9824097.40207690072",
            "-9824096.64270950403988536",
        ),
        (
            "12363821315356040030752",
            "-95609.82841061896",
            "12363821315356039936000",
        ),
    ] {
        assert_eq!(sum(a, b).as_deref(), Some(want), "{a} + {b}");
    }
}

#[test]
fn ten_increments_of_a_tenth_reach_one() {
    let tenth = LongDouble::parse(b"0.1").unwrap();
    let mut v = LongDouble::ZERO;
    let mut seen = Vec::new();
    for _ in 0..10 {
        let text = v.add(tenth).to_human_string();
        v = LongDouble::parse(&text).unwrap();
        seen.push(String::from_utf8(text).unwrap());
    }
    assert_eq!(
        seen,
        ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1"]
    );
}

#[test]
fn huge_values_print_every_digit() {
    let s = sum("0", "1e4932").unwrap();
    assert_eq!(s.len(), 4933);
    assert!(s.starts_with("1000000000000000000006018949387963891323837774254533114773785041352533"));
    assert!(s.ends_with("1163141086538418113791886622720"));
    assert_eq!(sum("1e4932", "1e4932"), None);
}

#[test]
fn parse_refuses_what_string2ld_refuses() {
    for bad in [
        "",
        " 1",
        "1 ",
        "1e",
        "0x",
        ".",
        "e5",
        "nan",
        "-nan",
        "1e-4960",
        "0x1p-16446",
        "1e-5000",
        "1e5000",
        "abc",
        "1\0",
        "\0",
        "2\0x",
        "--1",
        "1.2.3",
        "0x1p",
    ] {
        assert_eq!(LongDouble::parse(bad.as_bytes()), None, "{bad:?}");
    }
    assert_eq!(LongDouble::parse(&vec![b'1'; 5120]), None);
    assert!(LongDouble::parse(&vec![b'1'; 5119]).is_none_or(|v| !v.is_finite()));
    for inf in ["inf", "-INF", "infinity", "+Infinity"] {
        assert!(
            !LongDouble::parse(inf.as_bytes()).unwrap().is_finite(),
            "{inf}"
        );
    }
}
