//! A selector back as rules (`ACL GETUSER`, `ACL LIST`, `ACL SAVE`).
//!
//! Commands are described as Redis 7.0 describes them: start from
//! `+@all` (if commands added later are allowed) or `-@all`, then
//! repeatedly take the category that best fits what is left (more of its
//! commands agree with the user than disagree; fewest disagreements,
//! then most agreements), and finish with single commands, subcommands
//! and first arguments until a selector built from the text has exactly
//! the user's bits. Only the order of the single commands differs from
//! Redis's (ours is the table's, Redis's its hash order).

use super::{
    categories_of, universe, KeyPattern, Selector, CATEGORIES, KEY_ALL, KEY_READ, KEY_WRITE,
};

/// Counts the commands of category `bit` allowed and denied by `s`.
fn count(s: &Selector, bit: u32) -> (usize, usize) {
    universe()
        .filter(|c| categories_of(c.id) & bit != 0)
        .fold((0, 0), |(on, off), c| match s.bit(c.id) {
            true => (on + 1, off),
            false => (on, off + 1),
        })
}

/// The command rules of `s`.
pub fn commands(s: &Selector) -> String {
    let additive = !s.future;
    let mut rules = String::from(if additive { "-@all " } else { "+@all " });
    let mut fake = Selector::empty(false);
    fake.all_commands(!additive);
    let mut temp = s.clone();
    let mut applied = [false; CATEGORIES.len()];
    loop {
        let mut best = None;
        let (mut mindiff, mut maxsame) = (usize::MAX, 0);
        for (j, _) in CATEGORIES.iter().enumerate() {
            if applied[j] {
                continue;
            }
            let (on, off) = count(&temp, 1 << j);
            let (diff, same) = if additive { (off, on) } else { (on, off) };
            if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
                best = Some(j);
                mindiff = diff;
                maxsame = same;
            }
        }
        let Some(j) = best else { break };
        fake.set_category(1 << j, additive);
        temp.set_category(1 << j, !additive);
        rules.push(if additive { '+' } else { '-' });
        rules.push('@');
        rules.push_str(CATEGORIES[j]);
        rules.push(' ');
        applied[j] = true;
    }
    for c in universe() {
        let user = s.bit(c.id);
        if user != fake.bit(c.id) {
            rules.push(if user { '+' } else { '-' });
            rules.push_str(c.name);
            rules.push(' ');
            fake.change(c, user);
        }
        if user {
            continue;
        }
        if let Some((_, args)) = s.firstargs.iter().find(|(id, _)| *id == c.id) {
            for a in args {
                rules.push('+');
                rules.push_str(c.name);
                rules.push('|');
                rules.push_str(&String::from_utf8_lossy(a));
                rules.push(' ');
            }
        }
    }
    rules.pop();
    rules
}

fn pattern(p: &KeyPattern) -> String {
    let prefix = match p.flags {
        KEY_ALL => "~",
        KEY_READ => "%R~",
        KEY_WRITE => "%W~",
        // Never made: a pattern grants read, write or both.
        _ => "%~",
    };
    format!("{prefix}{}", String::from_utf8_lossy(&p.pattern))
}

/// The key patterns of `s`, space separated (`~*` for all keys).
pub fn keys(s: &Selector) -> String {
    if s.allkeys {
        return "~*".into();
    }
    s.patterns.iter().map(pattern).collect::<Vec<_>>().join(" ")
}

/// The channel patterns of `s`, space separated (`&*` for all).
pub fn channels(s: &Selector) -> String {
    if s.allchannels {
        return "&*".into();
    }
    let names = s
        .channels
        .iter()
        .map(|c| format!("&{}", String::from_utf8_lossy(c)));
    names.collect::<Vec<_>>().join(" ")
}

/// `s` as rules: keys, channels (after `resetchannels` unless all),
/// commands.
pub fn selector(s: &Selector) -> String {
    let mut out = String::new();
    if s.allkeys {
        out.push_str("~* ");
    } else {
        for p in &s.patterns {
            out.push_str(&pattern(p));
            out.push(' ');
        }
    }
    if s.allchannels {
        out.push_str("&* ");
    } else {
        out.push_str("resetchannels ");
        for c in &s.channels {
            out.push('&');
            out.push_str(&String::from_utf8_lossy(c));
            out.push(' ');
        }
    }
    out.push_str(&commands(s));
    out
}
