//! Pub/sub sequences, side by side: a subscriber connection (RESP2 or
//! RESP3) and a publisher connection on each server run the same random
//! sequence of (un)subscribe commands, PING and a refused GET on the
//! subscriber, and PUBLISH, SPUBLISH and PUBSUB NUMSUB/NUMPAT/SHARDNUMSUB
//! on the publisher. After each PUBLISH the subscriber's frames (as many
//! as PUBLISH counted) are read and compared byte for byte, so the
//! message kinds, patterns, channels and their order are Redis's (the
//! pattern messages of one PUBLISH compared as a set: Redis sends them
//! in its hash table's order). Seeded, so a failure repeats.

use crate::common::{encode, Raw};

const CHANNELS: &[&str] = &["news", "news.1", "sport", "n", "{t}x"];
const PATTERNS: &[&str] = &["n*", "news.?", "*", "s[po]*", "x"];

/// xorshift64*, seeded per case.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }

    fn pick(&mut self, from: &[&'static str]) -> &'static str {
        from[self.next(from.len())]
    }

    fn some(&mut self, from: &[&'static str]) -> Vec<&'static str> {
        let n = 1 + self.next(3);
        (0..n).map(|_| self.pick(from)).collect()
    }
}

/// One step: on the subscriber (true) or the publisher, with its words.
fn step(rng: &mut Rng) -> (bool, Vec<&'static str>) {
    let w = |head: &'static str, names: Vec<&'static str>| {
        let mut v = vec![head];
        v.extend(names);
        v
    };
    match rng.next(14) {
        0 | 1 => (true, w("SUBSCRIBE", rng.some(CHANNELS))),
        2 => (true, w("PSUBSCRIBE", rng.some(PATTERNS))),
        3 => (true, w("SSUBSCRIBE", rng.some(CHANNELS))),
        4 => (
            true,
            w(
                "UNSUBSCRIBE",
                if rng.next(3) == 0 {
                    vec![]
                } else {
                    rng.some(CHANNELS)
                },
            ),
        ),
        5 => (
            true,
            w(
                "PUNSUBSCRIBE",
                if rng.next(3) == 0 {
                    vec![]
                } else {
                    rng.some(PATTERNS)
                },
            ),
        ),
        6 => (
            true,
            w(
                "SUNSUBSCRIBE",
                if rng.next(3) == 0 {
                    vec![]
                } else {
                    rng.some(CHANNELS)
                },
            ),
        ),
        7 => (
            true,
            if rng.next(2) == 0 {
                vec!["PING"]
            } else {
                vec!["PING", "hello"]
            },
        ),
        8 => (true, vec!["GET", "k"]),
        9 | 10 => (false, vec!["PUBLISH", rng.pick(CHANNELS), "m"]),
        11 => (false, vec!["SPUBLISH", rng.pick(CHANNELS), "s"]),
        12 => (
            false,
            w("PUBSUB", {
                let mut v = vec!["NUMSUB"];
                v.extend(rng.some(CHANNELS));
                v
            }),
        ),
        _ => (
            false,
            if rng.next(2) == 0 {
                vec!["PUBSUB", "NUMPAT"]
            } else {
                w("PUBSUB", {
                    let mut v = vec!["SHARDNUMSUB"];
                    v.extend(rng.some(CHANNELS));
                    v
                })
            },
        ),
    }
}

/// One server's two connections for a case.
pub struct Conns {
    /// The subscriber's channels, patterns and shard channels.
    subscribed: [std::collections::HashSet<String>; 3],
    sub: Raw,
    publisher: Raw,
}

impl Conns {
    /// Fresh connections to `port`; the subscriber speaks RESP3 if `resp3`.
    pub fn open(port: u16, resp3: bool) -> Conns {
        let mut sub = Raw::connect(port);
        if resp3 {
            let hello = sub.cmd(&["HELLO", "3"]);
            assert!(hello.starts_with(b"%"), "HELLO 3 gave {hello:?}");
        }
        Conns {
            subscribed: Default::default(),
            sub,
            publisher: Raw::connect(port),
        }
    }

    /// Ends every subscription now (RESET), before the connection drops.
    fn close(&mut self, who: &str) -> Result<(), String> {
        let r = self.sub.cmd(&["RESET"]);
        if r != b"+RESET\r\n" {
            return Err(format!(
                "{who}: RESET read {:?}",
                String::from_utf8_lossy(&r)
            ));
        }
        Ok(())
    }

    /// Runs one step; what it read (replies, then any messages), as text.
    fn run(&mut self, on_sub: bool, words: &[&str]) -> Vec<Vec<u8>> {
        let argv: Vec<Vec<u8>> = words.iter().map(|w| w.as_bytes().to_vec()).collect();
        let mut out = Vec::new();
        if on_sub {
            self.sub.send(&encode(&argv));
            // (Un)subscribe answers one frame per name; with no name, one
            // per name it had (in the order of Redis's hash table: the
            // names compared as a set, then the count left), or one.
            let kind = match words[0] {
                "SUBSCRIBE" | "UNSUBSCRIBE" => Some(0),
                "PSUBSCRIBE" | "PUNSUBSCRIBE" => Some(1),
                "SSUBSCRIBE" | "SUNSUBSCRIBE" => Some(2),
                _ => None,
            };
            let leaving = words[0].contains("UNSUB");
            let all = leaving && words.len() == 1;
            let frames = match kind {
                Some(k) if all => self.subscribed[k].len().max(1),
                Some(_) => words.len() - 1,
                None => 1,
            };
            if let Some(k) = kind {
                let names = words[1..].iter().map(|w| w.to_string());
                match (leaving, all) {
                    (true, true) => self.subscribed[k].clear(),
                    (true, false) => names.for_each(|n| {
                        self.subscribed[k].remove(&n);
                    }),
                    (false, _) => self.subscribed[k].extend(names),
                }
            }
            let got: Vec<Vec<u8>> = (0..frames).map(|_| self.sub.read_reply()).collect();
            if all && got.len() > 1 {
                let last_count = got.last().map(|f| count_of(f)).unwrap_or_default();
                let mut names: Vec<Vec<u8>> = got.iter().map(|f| without_count(f)).collect();
                names.sort();
                out.extend(names);
                out.push(last_count);
            } else {
                out.extend(got);
            }
        } else {
            self.publisher.send(&encode(&argv));
            let reply = self.publisher.read_reply();
            let receivers = match words[0] {
                "PUBLISH" | "SPUBLISH" => std::str::from_utf8(&reply)
                    .ok()
                    .and_then(|s| s.trim_start_matches(':').trim_end().parse::<usize>().ok())
                    .unwrap_or(0),
                _ => 0,
            };
            out.push(reply);
            let mut frames: Vec<Vec<u8>> = (0..receivers).map(|_| self.sub.read_reply()).collect();
            // Pattern messages come after the channel's, in the order of
            // the server's pattern table (a hash table in Redis 7.0):
            // compared as a set.
            let first_p = frames
                .iter()
                .position(|f| f.windows(8).any(|w| w == b"pmessage"))
                .unwrap_or(frames.len());
            frames[first_p..].sort();
            out.extend(frames);
        }
        out
    }
}

/// A confirmation frame's last line (its count).
fn count_of(frame: &[u8]) -> Vec<u8> {
    let end = frame.len().saturating_sub(2);
    let start = frame[..end]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    frame[start..].to_vec()
}

/// A confirmation frame without its count.
fn without_count(frame: &[u8]) -> Vec<u8> {
    let n = count_of(frame).len();
    frame[..frame.len() - n].to_vec()
}

/// Runs `cases` seeded cases of up to `max` steps on both servers; the
/// first difference, with the sequence so far.
pub fn compare(redis_port: u16, ours_port: u16, cases: u64, max: usize) -> Result<(), String> {
    for case in 0..cases {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (case + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
        let resp3 = case % 2 == 1;
        let mut redis = Conns::open(redis_port, resp3);
        let mut ours = Conns::open(ours_port, resp3);
        let steps = 1 + rng.next(max);
        let mut sent = Vec::new();
        for _ in 0..steps {
            let (on_sub, words) = step(&mut rng);
            sent.push(format!(
                "{} {}",
                if on_sub { "sub>" } else { "pub>" },
                words.join(" ")
            ));
            let want = redis.run(on_sub, &words);
            let got = ours.run(on_sub, &words);
            if want != got {
                return Err(format!(
                    "case {case} (RESP{}), sequence:\n{}\nredis: {:?}\nshardis: {:?}",
                    if resp3 { 3 } else { 2 },
                    sent.join("\n"),
                    want.iter()
                        .map(|r| String::from_utf8_lossy(r).into_owned())
                        .collect::<Vec<_>>(),
                    got.iter()
                        .map(|r| String::from_utf8_lossy(r).into_owned())
                        .collect::<Vec<_>>(),
                ));
            }
        }
        // Unsubscribed before the next case (a dropped connection would
        // leave on its own time).
        redis
            .close("redis")
            .and_then(|()| ours.close("shardis"))
            .map_err(|e| format!("case {case}: {e} after:\n{}", sent.join("\n")))?;
    }
    Ok(())
}
