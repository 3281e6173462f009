use crate::{
    commands::execute,
    keyspace::Keyspace,
    reply::{Proto, Reply},
};

fn run(ks: &mut Keyspace, cmd: &str) -> String {
    let args: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
    let mut out = Vec::new();
    execute(ks, &args, &mut Reply::new(&mut out, Proto::Resp2));
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn xadd_and_xrange_answer_as_redis() {
    let mut ks = Keyspace::new();
    assert_eq!(run(&mut ks, "XADD s 1-1 a 1"), "$3\r\n1-1\r\n");
    assert_eq!(run(&mut ks, "XADD s 1-* b 2"), "$3\r\n1-2\r\n");
    assert!(run(&mut ks, "XADD s 1-1 a 1").starts_with("-ERR The ID specified in XADD is equal"));
    assert!(run(&mut ks, "XADD s 0-0 a 1")
        .starts_with("-ERR The ID specified in XADD must be greater than 0-0"));
    assert_eq!(run(&mut ks, "XLEN s"), ":2\r\n");
    assert_eq!(
        run(&mut ks, "XRANGE s - + COUNT 1"),
        "*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    assert_eq!(run(&mut ks, "XRANGE s (1-2 +"), "*0\r\n");
    assert_eq!(run(&mut ks, "XRANGE s - + COUNT 0"), "*-1\r\n");
    assert!(run(&mut ks, "XRANGE s x +").starts_with("-ERR Invalid stream ID"));
    assert_eq!(run(&mut ks, "XADD n NOMKSTREAM * a 1"), "$-1\r\n");
    assert_eq!(run(&mut ks, "EXISTS n"), ":0\r\n");
    assert!(run(&mut ks, "XADD s MAXLEN 1 LIMIT 5 * a 1")
        .contains("LIMIT cannot be used without the special ~ option"));
    assert!(run(&mut ks, "XADD s a 1 b").starts_with("-ERR Invalid stream ID"));
    assert_eq!(run(&mut ks, "XTRIM s MAXLEN 1"), ":1\r\n");
    assert_eq!(run(&mut ks, "XDEL s 1-2 9-9"), ":1\r\n");
    assert_eq!(run(&mut ks, "TYPE s"), "+stream\r\n");
}

#[test]
fn groups_deliver_track_and_claim() {
    let mut ks = Keyspace::new();
    run(&mut ks, "XADD s 1-0 f v");
    run(&mut ks, "XADD s 2-0 f w");
    assert_eq!(run(&mut ks, "XGROUP CREATE s g 0"), "+OK\r\n");
    assert!(run(&mut ks, "XGROUP CREATE s g 0").starts_with("-BUSYGROUP"));
    let r = run(&mut ks, "XREADGROUP GROUP g alice COUNT 1 STREAMS s >");
    assert!(r.contains("1-0") && !r.contains("2-0"), "{r}");
    assert!(
        run(&mut ks, "XPENDING s g").starts_with("*4\r\n:1\r\n$3\r\n1-0\r\n$3\r\n1-0\r\n*1\r\n")
    );
    let claimed = run(&mut ks, "XCLAIM s g bob 0 1-0 JUSTID");
    assert_eq!(claimed, "*1\r\n$3\r\n1-0\r\n");
    assert!(run(&mut ks, "XPENDING s g - + 10 bob").contains("bob"));
    assert_eq!(run(&mut ks, "XACK s g 1-0 1-0"), ":1\r\n");
    let auto = run(&mut ks, "XAUTOCLAIM s g carol 0 0 COUNT 5");
    assert!(
        auto.starts_with("*3\r\n$3\r\n0-0\r\n*0\r\n*0\r\n"),
        "{auto}"
    );
    assert!(run(&mut ks, "XREADGROUP GROUP nope a STREAMS s >").starts_with("-NOGROUP"));
    assert_eq!(run(&mut ks, "XGROUP DELCONSUMER s g alice"), ":0\r\n");
    assert_eq!(run(&mut ks, "XGROUP DESTROY s g"), ":1\r\n");
    assert!(run(&mut ks, "XINFO STREAM s").contains("last-generated-id"));
}

#[test]
fn bad_input_gets_redis_errors_and_changes_nothing() {
    let mut ks = Keyspace::new();
    run(&mut ks, "XADD s 5-0 f v");
    assert!(run(&mut ks, "XADD s 18446744073709551616-0 f v").starts_with("-ERR Invalid stream ID"));
    assert!(run(&mut ks, "XREAD COUNT 99999999999999999999 STREAMS s 0")
        .starts_with("-ERR value is not an integer"));
    assert!(run(&mut ks, "XREAD STREAMS s t 0").starts_with("-ERR Unbalanced"));
    assert!(run(&mut ks, "XTRIM s MAXLEN -1").starts_with("-ERR The MAXLEN argument must be >= 0."));
    assert!(run(&mut ks, "XSETID s 1-0").starts_with("-ERR The ID specified in XSETID is smaller"));
    assert_eq!(run(&mut ks, "XLEN s"), ":1\r\n");
    run(
        &mut ks,
        "XSETID s 18446744073709551615-18446744073709551615",
    );
    assert!(run(&mut ks, "XADD s * f v")
        .starts_with("-ERR The stream has exhausted the last possible ID"));
}
