use super::*;
use crate::table::resolve;

fn user(rules: &str) -> User {
    let mut u = User::new(b"u", false);
    let ops: Vec<&[u8]> = rules.split(' ').map(str::as_bytes).collect();
    u.apply_all(&ops, false).expect("valid rules");
    u
}

fn check(u: &User, cmd: &str) -> Result<(), Denied> {
    let argv: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
    let spec = resolve(&argv).expect("a command");
    u.check(spec, &argv)
}

#[test]
fn a_new_user_is_off_and_allows_nothing() {
    let u = User::new(b"n", false);
    assert_eq!(u.describe(), "off resetchannels -@all");
    assert!(!u.password_ok(b"x"));
    assert_eq!(check(&u, "get k"), Err(Denied::Command));
}

#[test]
fn the_default_user_is_unrestricted() {
    let u = User::default_user();
    assert!(u.unrestricted);
    assert_eq!(u.describe(), "on nopass ~* &* +@all");
    assert_eq!(check(&u, "flushall"), Ok(()));
}

#[test]
fn passwords_are_kept_as_hashes() {
    let mut u = user("on >passwd4");
    assert!(u.password_ok(b"passwd4"));
    assert!(!u.password_ok(b"passwd5"));
    let h = "34344e4d60c2b6d639b7bd22e18f2b0b91bc34bf0ac5f9952744435093cfb4e6";
    assert_eq!(u.passwords, vec![h.to_string()]);
    assert_eq!(
        u.apply(
            b"#34344e4d60c2b6d639b7bd22e18f2b0b91bc34bf0ac5f9952744435093cfb4e",
            false
        ),
        Err(RuleError::BadHash)
    );
    assert_eq!(u.apply(format!("!{h}").as_bytes(), false), Ok(()));
    assert_eq!(
        u.apply(format!("!{h}").as_bytes(), false),
        Err(RuleError::NoSuchPassword)
    );
    assert!(!u.password_ok(b"passwd4"));
    u.apply(b"off", false).expect("a rule");
    u.apply(b"nopass", false).expect("a rule");
    assert!(!u.password_ok(b"any"), "a disabled user never logs in");
}

#[test]
fn categories_describe_as_themselves() {
    for cat in CATEGORIES {
        let u = user(&format!("+@all -@{cat}"));
        assert_eq!(describe_commands(&u.selectors[0]), format!("+@all -@{cat}"));
        let u = user(&format!("-@all +@{cat}"));
        assert_eq!(describe_commands(&u.selectors[0]), format!("-@all +@{cat}"));
    }
}

#[test]
fn subcommands_are_described_and_engulfed() {
    let u = user("+@all -client|kill");
    assert_eq!(describe_commands(&u.selectors[0]), "+@all -client|kill");
    let u = user("+memory|doctor");
    assert_eq!(describe_commands(&u.selectors[0]), "-@all +memory|doctor");
    let u = user("+memory|doctor +memory");
    assert_eq!(describe_commands(&u.selectors[0]), "-@all +memory");
    let u = user("+memory +@all +client|id");
    assert_eq!(describe_commands(&u.selectors[0]), "+@all");
    let u = user("-@all +select|0");
    assert_eq!(describe_commands(&u.selectors[0]), "-@all +select|0");
    assert_eq!(check(&u, "select 0"), Ok(()));
    assert_eq!(check(&u, "select 1"), Err(Denied::Command));
}

#[test]
fn descriptions_round_trip() {
    for rules in [
        "+@all -@string +incr -debug +debug|digest",
        "+@string -incr +acl +debug|digest +debug|segfault",
        "on nopass %R~foo %W~bar ~baz &chan -@all +get (+set ~x)",
    ] {
        let u = user(rules);
        let back = User::from_rules(b"u", u.describe().as_bytes()).expect("its own text");
        assert_eq!(back.describe(), u.describe(), "{rules}");
        assert_eq!(back.selectors, u.selectors, "{rules}");
    }
}

#[test]
fn keys_are_checked_for_read_and_write_apart() {
    let u = user("+@all %R~read* %W~write* %RW~rw*");
    assert_eq!(check(&u, "get read"), Ok(()));
    assert_eq!(check(&u, "get write"), Err(Denied::Key(1)));
    assert_eq!(check(&u, "lpush write 1"), Ok(()));
    assert_eq!(check(&u, "copy read write"), Ok(()));
    assert_eq!(check(&u, "copy write read"), Err(Denied::Key(1)));
    assert_eq!(check(&u, "exists write"), Ok(()), "existence needs either");
    assert_eq!(check(&u, "exists nothing"), Err(Denied::Key(1)));
    assert_eq!(check(&u, "set read x"), Err(Denied::Key(1)));
    assert_eq!(check(&u, "set write x"), Ok(()));
    assert_eq!(check(&u, "set write x get"), Err(Denied::Key(1)));
    assert_eq!(check(&u, "eval x 1 read"), Err(Denied::Key(3)));
    assert_eq!(check(&u, "eval x 0 read"), Ok(()));
}

#[test]
fn the_most_relevant_refusal_is_reported() {
    let u = user("+mget ~key (+mget ~key ~otherkey)");
    assert_eq!(check(&u, "get key"), Err(Denied::Command));
    assert_eq!(check(&u, "mget otherkey someotherkey"), Err(Denied::Key(2)));
    assert_eq!(
        check(&u, "mget key otherkey someotherkey"),
        Err(Denied::Key(3))
    );
}

#[test]
fn channels_are_globs_but_patterns_match_literally() {
    let u = user("+@all resetchannels &foo:1 &bar:*");
    assert_eq!(check(&u, "publish bar:2 m"), Ok(()));
    assert_eq!(check(&u, "publish zap m"), Err(Denied::Channel(1)));
    assert_eq!(check(&u, "psubscribe bar:*"), Ok(()));
    assert_eq!(check(&u, "psubscribe bar:baz"), Err(Denied::Channel(1)));
    assert_eq!(check(&u, "ssubscribe foo:1 zap"), Err(Denied::Channel(2)));
    assert_eq!(check(&u, "unsubscribe zap"), Ok(()));
    let narrower = user("+@all resetchannels &foo:1");
    assert!(!narrower.keeps_channels_of(&u));
    let wider = user("+@all resetchannels &foo:1 &bar:* &baz");
    assert!(wider.keeps_channels_of(&u));
}

#[test]
fn bad_rules_change_nothing() {
    let mut u = user("on +get");
    let before = u.clone();
    let ops: [&[u8]; 3] = [b"+set", b"+nosuchcommand", b"~k"];
    let e = u.apply_all(&ops, false).expect_err("refused");
    assert_eq!(
        e,
        "Error in ACL SETUSER modifier '+nosuchcommand': Unknown command or category name in ACL"
    );
    assert_eq!(u, before);
    let e = u.apply_all(&[b"(~k", b"+get"], false).expect_err("refused");
    assert!(e.starts_with("Unmatched parenthesis"), "{e}");
    let e = u.apply_all(&[b"(&* &fail)"], false).expect_err("refused");
    assert!(e.contains("Adding a pattern after the"), "{e}");
    let e = u
        .apply_all(&[b"+config|get|x"], false)
        .expect_err("refused");
    assert!(e.contains("first-arg of a subcommand"), "{e}");
    let e = u.apply_all(&[b"%~k"], false).expect_err("refused");
    assert!(e.contains("Syntax error"), "{e}");
    let e = u.apply_all(&[b"+get|"], false).expect_err("refused");
    assert!(e.contains("Syntax error"), "{e}");
    assert_eq!(u, before);
}

#[test]
fn selectors_merge_over_arguments() {
    let u = user("(~key1 +get ) ( ~key2 +get )");
    assert_eq!(u.selectors.len(), 3);
    assert_eq!(describe_keys(&u.selectors[2]), "~key2");
    let u = user("%R~foo %W~foo %RW~bar");
    assert_eq!(describe_keys(&u.selectors[0]), "~foo ~bar");
}

#[test]
fn sort_patterns_need_reading_every_key() {
    let argv: [&[u8]; 4] = [b"sort", b"mylist", b"by", b"v*"];
    let spec = resolve(&argv).expect("sort");
    assert!(!user("+sort ~mylist ~v*").reads_every_key(spec, &argv));
    assert!(!user("+sort ~mylist %W~*").reads_every_key(spec, &argv));
    assert!(user("+sort ~mylist %R~*").reads_every_key(spec, &argv));
}
