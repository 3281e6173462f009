//! Glob-style matching with Redis's `stringmatchlen` semantics, used by
//! KEYS, SCAN MATCH and the HSCAN/SSCAN/ZSCAN family.
//!
//! Supported: `*` (any run), `?` (any byte), `[abc]`, `[a-z]` (reversed
//! ranges too), `[^...]` (negation), `\x` (literal x, also inside classes).
//! Redis's quirks are kept on purpose so replies match byte for byte:
//! an empty string never matches a non-empty pattern (not even `*`), an
//! unterminated class `[ab` is the class of the bytes seen, `[` at the end
//! matches nothing, and range bounds compare as C's signed `char`.
//!
//! Unlike Redis's recursive matcher this one backtracks only to the last
//! `*`, so it runs in O(pattern * string) time with no recursion, whatever
//! the client sends.

/// Whether `string` matches the glob `pattern`.
pub fn matches(pattern: &[u8], string: &[u8]) -> bool {
    matches_with(pattern, string, false)
}

/// Whether `string` matches `pattern` ignoring ASCII case, as Redis's
/// `stringmatchlen(..., nocase=1)` (CONFIG GET, COMMAND LIST FILTERBY
/// PATTERN): literals and ranges fold case, an escaped byte inside a class
/// does not.
pub fn matches_nocase(pattern: &[u8], string: &[u8]) -> bool {
    matches_with(pattern, string, true)
}

fn matches_with(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    if string.is_empty() {
        return pattern.is_empty();
    }
    let (mut pi, mut si) = (0usize, 0usize);
    // Position after the last `*` and the string position it resumes from.
    let mut star: Option<(usize, usize)> = None;
    while si < string.len() {
        if pattern.get(pi) == Some(&b'*') {
            while pattern.get(pi) == Some(&b'*') {
                pi += 1;
            }
            if pi == pattern.len() {
                return true;
            }
            star = Some((pi, si));
            continue;
        }
        if let Some((ok, next)) = token(pattern, pi, string[si], nocase) {
            if ok {
                pi = next;
                si += 1;
                continue;
            }
        }
        match star {
            Some((sp, ss)) => {
                star = Some((sp, ss + 1));
                pi = sp;
                si = ss + 1;
            }
            None => return false,
        }
    }
    while pattern.get(pi) == Some(&b'*') {
        pi += 1;
    }
    pi == pattern.len()
}

/// Matches the one-byte token at `pi` against `c`: `(matched, next pi)`, or
/// `None` when the pattern is exhausted.
fn token(p: &[u8], pi: usize, c: u8, nocase: bool) -> Option<(bool, usize)> {
    let same = |a: u8, b: u8| a == b || (nocase && a.eq_ignore_ascii_case(&b));
    match *p.get(pi)? {
        b'?' => Some((true, pi + 1)),
        b'[' => Some(class(p, pi, c, nocase)),
        b'\\' if p.len() - pi >= 2 => Some((same(p[pi + 1], c), pi + 2)),
        b => Some((same(b, c), pi + 1)),
    }
}

/// A character class starting at `p[start] == '['`, step for step as
/// Redis parses it (`at` past the end reads as C's terminating NUL).
fn class(p: &[u8], start: usize, c: u8, nocase: bool) -> (bool, usize) {
    let at = |i: usize| p.get(i).copied().unwrap_or(0);
    let signed = |b: u8| b as i8 as i32;
    let fold = |x: i32| {
        if nocase && (b'A' as i32..=b'Z' as i32).contains(&x) {
            x + 32
        } else {
            x
        }
    };
    let mut i = start + 1;
    let not = at(i) == b'^';
    if not {
        i += 1;
    }
    let mut matched = false;
    loop {
        let left = p.len().saturating_sub(i);
        if at(i) == b'\\' && left >= 2 {
            i += 1;
            matched |= p[i] == c;
        } else if at(i) == b']' {
            break;
        } else if left == 0 {
            i -= 1;
            break;
        } else if left >= 3 && p[i + 1] == b'-' {
            let (mut lo, mut hi) = (signed(p[i]), signed(p[i + 2]));
            if lo > hi {
                std::mem::swap(&mut lo, &mut hi);
            }
            i += 2;
            matched |= (fold(lo)..=fold(hi)).contains(&fold(signed(c)));
        } else {
            matched |= fold(signed(p[i])) == fold(signed(c));
        }
        i += 1;
    }
    (matched != not, i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        matches(p.as_bytes(), s.as_bytes())
    }

    #[test]
    fn stars_and_question_marks() {
        assert!(m("*", "anything"));
        assert!(m("h?llo", "hello"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("h*llo", "hllo"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("a*b*c", "aXXbYYc"));
        assert!(!m("a*b*c", "aXXbYY"));
        assert!(m("a**", "a"));
        assert!(m("*a", "bba"));
        assert!(!m("*a", "ab"));
        assert!(m("user:*:name", "user:42:name"));
    }

    #[test]
    fn empty_string_matches_only_the_empty_pattern() {
        assert!(m("", ""));
        assert!(!m("*", ""));
        assert!(!m("", "a"));
    }

    #[test]
    fn classes_ranges_and_negation() {
        assert!(m("h[ae]llo", "hello"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hallo"));
        assert!(!m("h[a-b]llo", "hcllo"));
        assert!(!m("[]", "a"));
        assert!(m("[\\]]", "]"));
        assert!(m("[a\\-z]", "-"));
        assert!(!m("[a\\-z]", "b"));
    }

    #[test]
    fn escapes_make_specials_literal() {
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(m("a\\?", "a?"));
        assert!(m("\\", "\\"));
    }

    #[test]
    fn unterminated_classes_follow_redis() {
        assert!(m("[ab", "a"));
        assert!(m("[ab", "b"));
        assert!(!m("[ab", "c"));
        assert!(!m("[", "a"));
        assert!(m("[^", "a"));
        // `[a-]` is the range ']'..'a' (swapped), the class left open.
        assert!(m("[a-]", "^"));
        assert!(m("[a-]", "a"));
        assert!(!m("[a-]", "b"));
    }

    #[test]
    fn many_stars_do_not_blow_up() {
        let pattern = "*a".repeat(1_000) + "b";
        let s = "a".repeat(2_000);
        assert!(!matches(pattern.as_bytes(), s.as_bytes()));
    }

    #[test]
    fn classes_agree_with_redis_server() {
        // KEYS <pattern> on redis-server 7.0 over these one-byte keys.
        let keys: &[u8] = b"ab-]^\\`[";
        let cases: &[(&str, &str)] = &[
            ("[a-]", "]^`a"),
            ("[^", "-[\\]^`ab"),
            ("[", ""),
            ("[]a]", ""),
            ("[\\]", "]"),
            ("\\", "\\"),
            ("[^a", "-[\\]^`b"),
            ("[a-b", "ab"),
            ("[\\-]", "-"),
            ("[]", ""),
            ("[^]", "-[\\]^`ab"),
            ("[!a]", "a"),
        ];
        for (pattern, want) in cases {
            let mut got: Vec<u8> = keys
                .iter()
                .copied()
                .filter(|&k| matches(pattern.as_bytes(), &[k]))
                .collect();
            got.sort_unstable();
            let mut want = want.as_bytes().to_vec();
            want.sort_unstable();
            assert_eq!(got, want, "pattern {pattern}");
        }
    }

    /// A direct recursive reading of Redis's matcher, as the model for the
    /// property test: `*` tries every split, everything else steps once.
    fn reference(p: &[u8], s: &[u8]) -> bool {
        let (mut pi, mut si) = (0, 0);
        while pi < p.len() && si < s.len() {
            if p[pi] == b'*' {
                while p.get(pi + 1) == Some(&b'*') {
                    pi += 1;
                }
                if pi + 1 == p.len() {
                    return true;
                }
                return (si..s.len()).any(|k| reference(&p[pi + 1..], &s[k..]));
            }
            match token(p, pi, s[si], false) {
                Some((true, next)) => {
                    pi = next;
                    si += 1;
                }
                _ => return false,
            }
            if si == s.len() {
                while p.get(pi) == Some(&b'*') {
                    pi += 1;
                }
            }
        }
        pi == p.len() && si == s.len()
    }

    proptest::proptest! {
        #[test]
        fn backtracking_agrees_with_the_recursive_reading(
            p in proptest::collection::vec(proptest::sample::select(b"ab*?[]^-\\".to_vec()), 0..8),
            s in proptest::collection::vec(proptest::sample::select(b"ab-]^\\".to_vec()), 0..8),
        ) {
            proptest::prop_assert_eq!(matches(&p, &s), reference(&p, &s), "pattern {:?} string {:?}",
                String::from_utf8_lossy(&p), String::from_utf8_lossy(&s));
        }
    }

    #[test]
    fn glob_matches_like_stringmatchlen_nocase() {
        let yes: &[(&str, &str)] = &[
            ("*", "abc"),
            ("a*c", "abbbc"),
            ("A?C", "abc"),
            ("[a-c]x", "bx"),
            ("[c-a]x", "bx"),
            ("[^a]x", "bx"),
            ("\\*x", "*x"),
            ("*e*", "config|resetstat"),
            ("**a**", "xa"),
        ];
        for (p, s) in yes {
            assert!(matches_nocase(p.as_bytes(), s.as_bytes()), "{p} ~ {s}");
        }
        let no: &[(&str, &str)] = &[
            ("a*c", "abcd"),
            ("?", ""),
            ("*", ""),
            ("[^a]x", "ax"),
            ("[ab", "c"),
            ("abc", "ab"),
        ];
        for (p, s) in no {
            assert!(!matches_nocase(p.as_bytes(), s.as_bytes()), "{p} !~ {s}");
        }
        let hostile = "*a".repeat(50) + "b";
        assert!(!matches_nocase(
            hostile.as_bytes(),
            "a".repeat(100).as_bytes()
        ));
    }
}
