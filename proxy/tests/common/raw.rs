//! The raw RESP side of the harness: encoding commands, framing replies,
//! a TCP connection with bounded reads, and builders for expected replies.

use std::{
    io::{ErrorKind, Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};

use super::IO_TIMEOUT;

/// Encodes a command as a RESP multibulk.
pub fn encode<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        let a = a.as_ref();
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Length of the complete RESP2/RESP3 frame at the start of `buf`, if
/// there is one.
pub fn frame_len(buf: &[u8]) -> Option<usize> {
    let line_end = buf.windows(2).position(|w| w == b"\r\n")?;
    let head = std::str::from_utf8(buf.get(1..line_end)?).ok()?;
    let after = line_end + 2;
    let n = || head.parse::<i64>().ok();
    match *buf.first()? {
        b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => Some(after),
        b'$' | b'=' | b'!' => match n()? {
            len if len < 0 => Some(after),
            len => {
                let end = after + len as usize + 2;
                (buf.len() >= end).then_some(end)
            }
        },
        b'*' | b'~' | b'>' => elements(buf, after, n()?),
        b'%' | b'|' => elements(buf, after, n()?.saturating_mul(2)),
        _ => None,
    }
}

fn elements(buf: &[u8], mut at: usize, count: i64) -> Option<usize> {
    for _ in 0..count.max(0) {
        at += frame_len(buf.get(at..)?)?;
    }
    Some(at)
}

/// Why no reply came.
#[derive(Debug, PartialEq, Eq)]
pub enum NoReply {
    /// The server closed the connection.
    Closed,
    /// Nothing complete arrived in time.
    Timeout,
}

/// A raw RESP connection with bounded reads.
pub struct Raw {
    /// The socket.
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    /// Connects to the proxy on `port`.
    pub fn connect(port: u16) -> Raw {
        Raw::try_connect(port).expect("connect to the proxy")
    }

    /// Connects, returning the error instead of panicking.
    pub fn try_connect(port: u16) -> std::io::Result<Raw> {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
        stream.set_nodelay(true)?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        Ok(Raw {
            stream,
            buf: Vec::new(),
        })
    }

    /// Sends raw bytes.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write to the proxy");
    }

    /// Sends a command and returns its reply.
    pub fn cmd(&mut self, args: &[&str]) -> Vec<u8> {
        self.try_cmd(args).expect("a reply")
    }

    /// Sends a command and returns its reply as text.
    pub fn cmd_str(&mut self, args: &[&str]) -> String {
        String::from_utf8_lossy(&self.cmd(args)).into_owned()
    }

    /// The number `field` of `INFO section` (panics if there is none).
    #[allow(dead_code)] // not every test binary reads INFO
    pub fn info_number(&mut self, section: &str, field: &str) -> i64 {
        let info = self.cmd_str(&["INFO", section]);
        let prefix = format!("{field}:");
        info.lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {field} in {info:?}"))
    }

    /// Sends a command; the reply, or why none came.
    pub fn try_cmd(&mut self, args: &[&str]) -> Result<Vec<u8>, NoReply> {
        self.stream
            .write_all(&encode(args))
            .map_err(|_| NoReply::Closed)?;
        self.try_read_reply(IO_TIMEOUT)
    }

    /// Reads one reply frame (panics if none comes in time).
    pub fn read_reply(&mut self) -> Vec<u8> {
        match self.try_read_reply(IO_TIMEOUT) {
            Ok(r) => r,
            Err(e) => panic!(
                "no reply ({e:?}); buffered: {:?}",
                String::from_utf8_lossy(&self.buf)
            ),
        }
    }

    /// A subscriber's frames up to the answer to a PING sent now, which
    /// comes after everything published to it before (at most 256).
    #[allow(dead_code)]
    pub fn frames_until_pong(&mut self) -> Vec<String> {
        self.send(&encode(&["PING", "end"]));
        let mut got = Vec::new();
        for _ in 0..256 {
            let f = String::from_utf8_lossy(&self.read_reply()).into_owned();
            if f.contains("pong") {
                return got;
            }
            got.push(f);
        }
        panic!("no PING answer after 256 frames: {got:?}");
    }

    /// Reads one reply frame within `timeout`.
    pub fn try_read_reply(&mut self, timeout: Duration) -> Result<Vec<u8>, NoReply> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(n) = frame_len(&self.buf) {
                return Ok(self.buf.drain(..n).collect());
            }
            self.fill(deadline)?;
        }
    }

    /// Reads until the server closes the connection; true if it did
    /// within `timeout`. Bytes read on the way are kept for `take_buffered`.
    pub fn closed_within(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            match self.fill(deadline) {
                Ok(()) => {}
                Err(NoReply::Closed) => return true,
                Err(NoReply::Timeout) => return false,
            }
        }
    }

    /// Bytes received but not yet returned as a reply.
    pub fn take_buffered(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    fn fill(&mut self, deadline: Instant) -> Result<(), NoReply> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(NoReply::Timeout);
        }
        let _ = self.stream.set_read_timeout(Some(left));
        let mut chunk = [0u8; 64 << 10];
        match self.stream.read(&mut chunk) {
            Ok(0) => Err(NoReply::Closed),
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Err(NoReply::Timeout)
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => Ok(()),
            Err(_) => Err(NoReply::Closed),
        }
    }

    /// Sends a command and asserts its raw reply is `want`.
    #[track_caller]
    pub fn expect(&mut self, args: &[&str], want: impl AsRef<str>) {
        let got = self.cmd(args);
        assert_eq!(
            String::from_utf8_lossy(&got),
            want.as_ref(),
            "reply to {args:?}"
        );
    }

    /// Number of clients `CLIENT LIST` shows.
    pub fn client_count(&mut self) -> usize {
        self.cmd_str(&["CLIENT", "LIST"])
            .split('\n')
            .filter(|l| l.trim_start_matches("txt:").starts_with("id="))
            .count()
    }
}

/// `+OK`.
pub const OK: &str = "+OK\r\n";
/// RESP2 null bulk string.
pub const NIL: &str = "$-1\r\n";

/// A bulk string reply.
pub fn bulk(s: &str) -> String {
    format!("${}\r\n{s}\r\n", s.len())
}

/// An integer reply.
pub fn int(n: i64) -> String {
    format!(":{n}\r\n")
}

/// An error reply with this text.
pub fn err(text: &str) -> String {
    format!("-{text}\r\n")
}

/// An array reply of already encoded items.
pub fn arr<S: AsRef<str>>(items: &[S]) -> String {
    let mut out = format!("*{}\r\n", items.len());
    for i in items {
        out.push_str(i.as_ref());
    }
    out
}

/// An array of bulk strings.
pub fn bulks(items: &[&str]) -> String {
    arr(&items.iter().map(|s| bulk(s)).collect::<Vec<_>>())
}
