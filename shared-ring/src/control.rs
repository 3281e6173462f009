//! The control socket: how two processes attach their rings.
//!
//! The serving side (a shard) listens on a unix `SOCK_SEQPACKET` socket. The
//! attaching side (a proxy worker) creates both segments and its doorbell,
//! connects, and sends one hello message carrying three fds with
//! `SCM_RIGHTS`: the segment it produces into, the segment it consumes
//! from, and its doorbell. The server checks versions and segments and
//! answers with its own hello and its doorbell. See PROTOCOL.md, "Attach".
//!
//! The socket then stays open for the life of the attachment: the kernel
//! closes it when either process dies, so the survivor sees the hang-up at
//! once (it polls the fd next to its doorbell) and drops the rings.
//! Re-attaching always creates new segments: a restart starts from clean
//! rings.

use std::{
    io::IoSlice,
    os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd},
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use nix::sys::socket::{
    self, sockopt, AddressFamily, ControlMessage, ControlMessageOwned, MsgFlags, SockFlag,
    SockType, UnixAddr,
};

use crate::{
    doorbell::Doorbell,
    ring::{Consumer, Producer},
    segment::Segment,
    RingError,
};

/// `SRCTL001`: the control protocol's magic.
const CONTROL_MAGIC: [u8; 8] = *b"SRCTL001";
/// Version of the control protocol.
pub const CONTROL_VERSION: u32 = 2;
/// Largest `info` blob a hello may carry.
pub const MAX_INFO_BYTES: usize = 64 << 10;
/// Fixed part of a hello: magic, version, role, generation, id, max record, info length.
const HELLO_FIXED_BYTES: usize = 8 + 4 + 4 + 8 + 4 + 8 + 4;
/// How long either side waits for the other's hello.
pub const HANDSHAKE_TIMEOUT_MS: u64 = 2_000;

const ROLE_ATTACH: u32 = 1;
const ROLE_ACCEPT: u32 = 2;

/// What each side says about itself when attaching.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hello {
    /// A number that changes every time the process (or worker) starts.
    pub generation: u64,
    /// The sender's id (shard id, or proxy worker id).
    pub id: u32,
    /// Largest record the sender accepts.
    pub max_record: u64,
    /// Opaque data for the layer above (e.g. the shard's slots).
    pub info: Vec<u8>,
}

/// Sizes of the rings an attaching side creates.
#[derive(Debug, Clone, Copy)]
pub struct RingConfig {
    /// Data bytes of each ring (power of two).
    pub capacity_bytes: usize,
    /// Largest record accepted in either direction.
    pub max_record_bytes: usize,
}

impl Default for RingConfig {
    fn default() -> Self {
        RingConfig {
            capacity_bytes: 1 << 20,
            max_record_bytes: crate::ring::DEFAULT_MAX_RECORD_BYTES,
        }
    }
}

/// One attachment: a ring each way, the control socket and what the peer said.
pub struct Channel {
    /// Records we send.
    pub tx: Producer,
    /// Records we receive.
    pub rx: Consumer,
    /// The peer's hello.
    pub peer: Hello,
    control: OwnedFd,
}

impl Channel {
    /// The control socket: readable or hung up when the peer goes away.
    pub fn control_fd(&self) -> BorrowedFd<'_> {
        self.control.as_fd()
    }

    /// Whether the peer still holds its end of the control socket.
    pub fn peer_alive(&self) -> bool {
        let mut b = [0u8; 1];
        // SAFETY: a non-blocking peek into a 1-byte buffer.
        let n = unsafe {
            libc::recv(
                self.control.as_raw_fd(),
                b.as_mut_ptr() as *mut libc::c_void,
                1,
                libc::MSG_PEEK | libc::MSG_DONTWAIT,
            )
        };
        if n == 0 {
            return false;
        }
        if n < 0 {
            let e = std::io::Error::last_os_error();
            return e.kind() == std::io::ErrorKind::WouldBlock
                || e.kind() == std::io::ErrorKind::Interrupted;
        }
        true
    }
}

impl Channel {
    /// Both ends of one attachment inside this process, without a
    /// handshake or doorbells (nothing parks): `(attaching side, serving
    /// side)`. For simulations and tests that run both peers in one
    /// thread; processes attach with [`attach`] and
    /// [`ControlListener::accept`]. Dropping one end hangs up the control
    /// socket as a process exit would.
    pub fn local_pair(
        cfg: RingConfig,
        attacher: Hello,
        server: Hello,
    ) -> Result<(Channel, Channel), RingError> {
        let to_server = Arc::new(Segment::create(
            "shardis-req",
            cfg.capacity_bytes,
            attacher.generation,
        )?);
        let to_attacher = Arc::new(Segment::create(
            "shardis-rep",
            cfg.capacity_bytes,
            attacher.generation,
        )?);
        let (a, b) = socket::socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC,
        )
        .map_err(io)?;
        let max = cfg.max_record_bytes;
        let attaching = Channel {
            tx: Producer::new(to_server.clone(), None, max)?,
            rx: Consumer::new(to_attacher.clone(), None, max)?,
            peer: server,
            control: a,
        };
        let serving = Channel {
            tx: Producer::new(to_attacher, None, max)?,
            rx: Consumer::new(to_server, None, max)?,
            peer: attacher,
            control: b,
        };
        Ok((attaching, serving))
    }
}

/// The serving side's listening control socket.
pub struct ControlListener {
    fd: OwnedFd,
    path: PathBuf,
}

impl ControlListener {
    /// Listens on `path`, replacing a stale socket file left by a dead process.
    pub fn bind(path: &Path) -> Result<ControlListener, RingError> {
        if path.exists() {
            std::fs::remove_file(path)?;
        }
        let fd = seqpacket()?;
        let addr = UnixAddr::new(path).map_err(io)?;
        socket::bind(fd.as_raw_fd(), &addr).map_err(io)?;
        socket::listen(&fd, socket::Backlog::new(64).map_err(io)?).map_err(io)?;
        set_nonblocking(fd.as_raw_fd(), true)?;
        Ok(ControlListener {
            fd,
            path: path.to_owned(),
        })
    }

    /// The listening fd: readable when an attach is waiting.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Accepts one waiting attach, if any (`Ok(None)` when none waits).
    /// `bell` is our doorbell, handed to the peer.
    pub fn accept(&self, me: &Hello, bell: &Doorbell) -> Result<Option<Channel>, RingError> {
        let raw = match socket::accept4(self.fd.as_raw_fd(), SockFlag::SOCK_CLOEXEC) {
            Ok(raw) => raw,
            Err(nix::errno::Errno::EAGAIN) => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        // SAFETY: accept returned a fresh fd we own.
        let conn = unsafe { OwnedFd::from_raw_fd(raw) };
        set_timeouts(&conn)?;
        let (peer, fds) = recv_hello(&conn, ROLE_ATTACH, 3)?;
        let mut fds = fds.into_iter();
        let (Some(to_us), Some(to_peer), Some(peer_bell)) = (fds.next(), fds.next(), fds.next())
        else {
            return Err(RingError::BadHandshake("attach without its three fds"));
        };
        let to_us = Arc::new(Segment::open(to_us)?);
        let to_peer = Arc::new(Segment::open(to_peer)?);
        let peer_bell = Doorbell::from_fd(peer_bell)?;
        let max = me.max_record as usize;
        let peer_max = peer.max_record as usize;
        send_hello(&conn, ROLE_ACCEPT, me, &[bell.fd()])?;
        Ok(Some(Channel {
            tx: Producer::new(to_peer, Some(peer_bell.clone()), peer_max.min(max))?,
            rx: Consumer::new(to_us, Some(peer_bell), max)?,
            peer,
            control: conn,
        }))
    }
}

impl Drop for ControlListener {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Attaches to the server listening on `path`: creates both rings, sends
/// our hello with them and `bell`, and waits for the server's answer.
pub fn attach(
    path: &Path,
    me: &Hello,
    bell: &Doorbell,
    cfg: RingConfig,
) -> Result<Channel, RingError> {
    let to_server = Arc::new(Segment::create(
        "shardis-req",
        cfg.capacity_bytes,
        me.generation,
    )?);
    let to_us = Arc::new(Segment::create(
        "shardis-rep",
        cfg.capacity_bytes,
        me.generation,
    )?);
    let conn = seqpacket()?;
    let addr = UnixAddr::new(path).map_err(io)?;
    socket::connect(conn.as_raw_fd(), &addr).map_err(io)?;
    set_timeouts(&conn)?;
    send_hello(
        &conn,
        ROLE_ATTACH,
        me,
        &[to_server.fd(), to_us.fd(), bell.fd()],
    )?;
    let (peer, fds) = recv_hello(&conn, ROLE_ACCEPT, 1)?;
    let peer_bell = fds
        .into_iter()
        .next()
        .ok_or(RingError::BadHandshake("accept without a doorbell"))?;
    let peer_bell = Doorbell::from_fd(peer_bell)?;
    let max = cfg.max_record_bytes.min(me.max_record as usize);
    Ok(Channel {
        tx: Producer::new(
            to_server,
            Some(peer_bell.clone()),
            max.min(peer.max_record as usize),
        )?,
        rx: Consumer::new(to_us, Some(peer_bell), max)?,
        peer,
        control: conn,
    })
}

fn seqpacket() -> Result<OwnedFd, RingError> {
    socket::socket(
        AddressFamily::Unix,
        SockType::SeqPacket,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .map_err(io)
}

fn set_timeouts(fd: &OwnedFd) -> Result<(), RingError> {
    let d = Duration::from_millis(HANDSHAKE_TIMEOUT_MS);
    let tv = nix::sys::time::TimeVal::new(d.as_secs() as i64, d.subsec_micros() as i64);
    socket::setsockopt(fd, sockopt::ReceiveTimeout, &tv).map_err(io)?;
    socket::setsockopt(fd, sockopt::SendTimeout, &tv).map_err(io)?;
    Ok(())
}

fn set_nonblocking(fd: RawFd, on: bool) -> Result<(), RingError> {
    // SAFETY: fcntl on a valid fd.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    let flags = if on {
        flags | libc::O_NONBLOCK
    } else {
        flags & !libc::O_NONBLOCK
    };
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags) } < 0 {
        return Err(RingError::Io(std::io::Error::last_os_error()));
    }
    Ok(())
}

fn send_hello(
    conn: &OwnedFd,
    role: u32,
    me: &Hello,
    fds: &[BorrowedFd<'_>],
) -> Result<(), RingError> {
    if me.info.len() > MAX_INFO_BYTES {
        return Err(RingError::BadHandshake("hello info too large"));
    }
    let mut msg = Vec::with_capacity(HELLO_FIXED_BYTES + me.info.len());
    msg.extend_from_slice(&CONTROL_MAGIC);
    msg.extend_from_slice(&CONTROL_VERSION.to_le_bytes());
    msg.extend_from_slice(&role.to_le_bytes());
    msg.extend_from_slice(&me.generation.to_le_bytes());
    msg.extend_from_slice(&me.id.to_le_bytes());
    msg.extend_from_slice(&me.max_record.to_le_bytes());
    msg.extend_from_slice(&(me.info.len() as u32).to_le_bytes());
    msg.extend_from_slice(&me.info);
    let raw: Vec<RawFd> = fds.iter().map(|f| f.as_raw_fd()).collect();
    let cmsg = [ControlMessage::ScmRights(&raw)];
    let iov = [IoSlice::new(&msg)];
    let sent = socket::sendmsg::<()>(conn.as_raw_fd(), &iov, &cmsg, MsgFlags::empty(), None)
        .map_err(io)?;
    if sent != msg.len() {
        return Err(RingError::BadHandshake("short hello write"));
    }
    Ok(())
}

fn recv_hello(
    conn: &OwnedFd,
    role: u32,
    want_fds: usize,
) -> Result<(Hello, Vec<OwnedFd>), RingError> {
    let mut buf = vec![0u8; HELLO_FIXED_BYTES + MAX_INFO_BYTES];
    let mut cmsg_buf = nix::cmsg_space!([RawFd; 4]);
    let mut iov = [std::io::IoSliceMut::new(&mut buf)];
    let msg = socket::recvmsg::<()>(
        conn.as_raw_fd(),
        &mut iov,
        Some(&mut cmsg_buf),
        MsgFlags::MSG_CMSG_CLOEXEC,
    )
    .map_err(io)?;
    let mut fds = Vec::new();
    for c in msg.cmsgs().map_err(io)? {
        if let ControlMessageOwned::ScmRights(raw) = c {
            // SAFETY: the kernel installed these fds for us; we own them now.
            fds.extend(raw.into_iter().map(|r| unsafe { OwnedFd::from_raw_fd(r) }));
        }
    }
    let truncated =
        msg.flags.contains(MsgFlags::MSG_TRUNC) || msg.flags.contains(MsgFlags::MSG_CTRUNC);
    let n = msg.bytes;
    if n == 0 {
        return Err(RingError::PeerGone);
    }
    if truncated {
        return Err(RingError::BadHandshake("hello truncated"));
    }
    let hello = parse_hello(&buf[..n], role)?;
    if fds.len() != want_fds {
        return Err(RingError::BadHandshake("wrong number of fds in hello"));
    }
    Ok((hello, fds))
}

fn parse_hello(b: &[u8], role: u32) -> Result<Hello, RingError> {
    if b.len() < HELLO_FIXED_BYTES || b[..8] != CONTROL_MAGIC {
        return Err(RingError::BadHandshake("not a shardis hello"));
    }
    let u32_at = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
    let u64_at = |o: usize| {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[o..o + 8]);
        u64::from_le_bytes(a)
    };
    if u32_at(8) != CONTROL_VERSION {
        return Err(RingError::BadHandshake("control protocol version mismatch"));
    }
    if u32_at(12) != role {
        return Err(RingError::BadHandshake("unexpected hello role"));
    }
    let info_len = u32_at(36) as usize;
    if info_len > MAX_INFO_BYTES || HELLO_FIXED_BYTES + info_len != b.len() {
        return Err(RingError::BadHandshake("hello info length mismatch"));
    }
    Ok(Hello {
        generation: u64_at(16),
        id: u32_at(24),
        max_record: u64_at(28),
        info: b[HELLO_FIXED_BYTES..].to_vec(),
    })
}

fn io(e: nix::errno::Errno) -> RingError {
    RingError::Io(std::io::Error::from(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sock_path(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!(
            "shared-ring-ctl-{name}-{}.sock",
            std::process::id()
        ))
    }

    fn accept_blocking(l: &ControlListener, bell: &Doorbell) -> Result<Channel, RingError> {
        for _ in 0..1000 {
            bell.wait(&[l.fd()], Some(Duration::from_millis(20)))?;
            let me = Hello {
                max_record: 1 << 20,
                ..Hello::default()
            };
            if let Some(ch) = l.accept(&me, bell)? {
                return Ok(ch);
            }
        }
        panic!("nothing to accept");
    }

    #[test]
    fn a_local_pair_carries_records_both_ways_and_sees_the_peer_hang_up() {
        let cfg = RingConfig {
            capacity_bytes: 4096,
            max_record_bytes: 1 << 20,
        };
        let (mut a, mut b) =
            Channel::local_pair(cfg, Hello::default(), Hello::default()).expect("local pair");
        a.tx.push(b"ping").expect("push");
        a.tx.publish();
        let mut got = Vec::new();
        b.rx.poll(|r| {
            got.push(r.to_vec());
            true
        })
        .expect("poll");
        assert_eq!(got, vec![b"ping".to_vec()]);
        b.tx.push(b"pong").expect("push");
        b.tx.publish();
        got.clear();
        a.rx.poll(|r| {
            got.push(r.to_vec());
            true
        })
        .expect("poll");
        assert_eq!(got, vec![b"pong".to_vec()]);
        assert!(a.peer_alive());
        drop(b);
        assert!(!a.peer_alive());
    }

    #[test]
    fn an_attach_with_a_malformed_segment_is_refused_and_the_listener_goes_on() {
        let path = sock_path("bad");
        let listener = ControlListener::bind(&path).unwrap();
        let bell = Doorbell::new().unwrap();
        let good = Segment::create("good", 4096, 1).unwrap();
        // An eventfd where a segment should be.
        let conn = seqpacket().unwrap();
        socket::connect(conn.as_raw_fd(), &UnixAddr::new(&path).unwrap()).unwrap();
        send_hello(
            &conn,
            ROLE_ATTACH,
            &Hello::default(),
            &[bell.fd(), good.fd(), bell.fd()],
        )
        .unwrap();
        assert!(matches!(
            accept_blocking(&listener, &bell),
            Err(RingError::BadSegment(_))
        ));
        // Too few fds.
        let conn = seqpacket().unwrap();
        socket::connect(conn.as_raw_fd(), &UnixAddr::new(&path).unwrap()).unwrap();
        send_hello(&conn, ROLE_ATTACH, &Hello::default(), &[good.fd()]).unwrap();
        assert!(matches!(
            accept_blocking(&listener, &bell),
            Err(RingError::BadHandshake(_))
        ));
        // A well-formed attach still works, and its rings carry records.
        let client_bell = Doorbell::new().unwrap();
        let path2 = path.clone();
        let t = std::thread::spawn(move || {
            let me = Hello {
                max_record: 1 << 20,
                ..Hello::default()
            };
            let mut ch = attach(
                &path2,
                &me,
                &client_bell,
                RingConfig {
                    capacity_bytes: 4096,
                    max_record_bytes: 1 << 20,
                },
            )
            .unwrap();
            ch.tx.push(b"hi").unwrap();
            ch.tx.publish();
            ch
        });
        let mut server = accept_blocking(&listener, &bell).unwrap();
        let _client = t.join().unwrap();
        let mut got = Vec::new();
        for _ in 0..1000 {
            server
                .rx
                .poll(|r| {
                    got.push(r.to_vec());
                    true
                })
                .unwrap();
            if !got.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(got, vec![b"hi".to_vec()]);
    }

    #[test]
    fn hello_parsing_refuses_garbage() {
        assert!(parse_hello(b"hello", ROLE_ATTACH).is_err());
        let mut b = vec![0u8; HELLO_FIXED_BYTES];
        b[..8].copy_from_slice(&CONTROL_MAGIC);
        b[8..12].copy_from_slice(&CONTROL_VERSION.to_le_bytes());
        b[12..16].copy_from_slice(&ROLE_ATTACH.to_le_bytes());
        assert!(parse_hello(&b, ROLE_ATTACH).is_ok());
        assert!(parse_hello(&b, ROLE_ACCEPT).is_err());
        b[36..40].copy_from_slice(&5u32.to_le_bytes());
        assert!(parse_hello(&b, ROLE_ATTACH).is_err());
        b[36..40].copy_from_slice(&0u32.to_le_bytes());
        b[8..12].copy_from_slice(&9u32.to_le_bytes());
        assert!(parse_hello(&b, ROLE_ATTACH).is_err());
    }
}
