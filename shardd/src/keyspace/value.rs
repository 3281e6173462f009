//! The value forms of the keyspace: owned ([`Value`]) for inserting and
//! taking, borrowed ([`ValueRef`], [`ValueMut`]) for reading and changing in
//! place. Strings are stored inline with their key, so they are only ever
//! borrowed read-only; collections live in their own boxed objects, but a
//! small packed hash, sorted set, set or list may sit inline too (read
//! through [`HashRef`], [`ZSetRef`], [`SetRef`] or [`ListRef`]; a
//! change moves it into a box first, see `keyspace::store`).

use crate::types::{
    hash::{HashObj, HashRef},
    list::{ListObj, ListRef},
    set::{SetObj, SetRef},
    stream::StreamObj,
    zset::{ZSetObj, ZSetRef},
};

/// A value of one of Redis's types.
#[derive(Debug, Clone)]
pub enum Value {
    /// A string (binary safe).
    Str(Vec<u8>),
    /// A hash.
    Hash(Box<HashObj>),
    /// A list.
    List(Box<ListObj>),
    /// A set.
    Set(Box<SetObj>),
    /// A sorted set.
    ZSet(Box<ZSetObj>),
    /// A stream.
    Stream(Box<StreamObj>),
}

impl Value {
    /// A borrowed view of this value.
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Str(s) => ValueRef::Str(s),
            Value::Hash(h) => ValueRef::Hash(h.hash_ref()),
            Value::List(l) => ValueRef::List(l.list_ref()),
            Value::Set(s) => ValueRef::Set(s.set_ref()),
            Value::ZSet(z) => ValueRef::ZSet(z.zset_ref()),
            Value::Stream(x) => ValueRef::Stream(x),
        }
    }

    /// The name `TYPE` replies with.
    pub fn type_name(&self) -> &'static str {
        self.as_ref().type_name()
    }
}

impl ValueRef<'_> {
    /// An owned copy (strings and collections are cloned).
    pub fn to_value(&self) -> Value {
        match *self {
            ValueRef::Str(s) => Value::Str(s.to_vec()),
            ValueRef::Hash(h) => Value::Hash(Box::new(h.to_owned())),
            ValueRef::List(l) => Value::List(Box::new(l.to_owned())),
            ValueRef::Set(s) => Value::Set(Box::new(s.to_owned())),
            ValueRef::ZSet(z) => Value::ZSet(Box::new(z.to_owned())),
            ValueRef::Stream(x) => Value::Stream(Box::new(x.clone())),
        }
    }

    /// The name `OBJECT ENCODING` replies with: Redis 7.0's names. Small
    /// lists and sets are packed here as in Redis 7.2, but 7.0 (our
    /// target) has no packed sets (a set is `intset` or `hashtable`) and
    /// always names a list `quicklist`.
    pub fn encoding(&self) -> &'static str {
        match *self {
            ValueRef::Str(s) => string_encoding(s),
            ValueRef::Hash(h) => h.encoding(),
            ValueRef::List(_) => "quicklist",
            ValueRef::Set(s) => match s.encoding() {
                "intset" => "intset",
                _ => "hashtable",
            },
            ValueRef::ZSet(z) => z.encoding(),
            ValueRef::Stream(_) => "stream",
        }
    }
}

/// What Redis 7.0's encoding of a string depends on besides its bytes: the
/// command that wrote it. A value a client sent (SET, MSET, APPEND to a new
/// key, RESTORE, ...) is `Encoded` (`int`, `embstr` or `raw` by its bytes);
/// one a command changed in place or built bit by bit (APPEND to an
/// existing key, SETRANGE, SETBIT, BITFIELD, BITOP, PFADD, PFMERGE) is
/// `Raw`; INCRBYFLOAT's text is `NotInt` (`embstr` or `raw` by length).
/// RENAME keeps it and COPY keeps it too, except that a copy of a shared
/// integer is `Unshared`; a restart forgets it, as Redis's does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StrMark {
    /// Encoded by its bytes.
    #[default]
    Encoded,
    /// Always `raw`.
    Raw,
    /// `embstr` up to 44 bytes, else `raw`; never `int`.
    NotInt,
    /// Encoded by its bytes, but a private object (COPY duplicates shared
    /// integers): `OBJECT REFCOUNT` is 1.
    Unshared,
}

/// The name `OBJECT ENCODING` gives the string `s` written as `mark` says.
pub fn marked_string_encoding(s: &[u8], mark: StrMark) -> &'static str {
    match mark {
        StrMark::Encoded | StrMark::Unshared => string_encoding(s),
        StrMark::Raw => "raw",
        StrMark::NotInt if s.len() <= 44 => "embstr",
        StrMark::NotInt => "raw",
    }
}

/// Redis's string encodings: `int` for a canonical 64-bit integer, `embstr`
/// up to 44 bytes, else `raw`.
pub fn string_encoding(s: &[u8]) -> &'static str {
    if s.len() <= 20 && common::num::parse_i64(s).is_some() {
        "int"
    } else if s.len() <= 44 {
        "embstr"
    } else {
        "raw"
    }
}

/// A borrowed value. Strings are read-only views: the table may store them
/// inline with the key, so a changed string is written back with
/// [`Keyspace::insert_keep_ttl`](crate::keyspace::Keyspace::insert_keep_ttl).
#[derive(Debug, Clone, Copy)]
pub enum ValueRef<'a> {
    /// A string.
    Str(&'a [u8]),
    /// A hash (its packed pairs may sit in the slot's arena).
    Hash(HashRef<'a>),
    /// A list (a small one may sit in the slot's arena).
    List(ListRef<'a>),
    /// A set (its intset or packed members may sit in the slot's arena).
    Set(SetRef<'a>),
    /// A sorted set (its packed entries may sit in the slot's arena).
    ZSet(ZSetRef<'a>),
    /// A stream.
    Stream(&'a StreamObj),
}

impl ValueRef<'_> {
    /// The name `TYPE` replies with.
    pub fn type_name(&self) -> &'static str {
        match self {
            ValueRef::Str(_) => "string",
            ValueRef::Hash(_) => "hash",
            ValueRef::List(_) => "list",
            ValueRef::Set(_) => "set",
            ValueRef::ZSet(_) => "zset",
            ValueRef::Stream(_) => "stream",
        }
    }
}

/// A value borrowed for in-place change. Strings stay read-only (see
/// [`ValueRef`]); collections are changed in place.
#[derive(Debug)]
pub enum ValueMut<'a> {
    /// A string (read-only; write back with [`Keyspace::insert_keep_ttl`](crate::keyspace::Keyspace::insert_keep_ttl)).
    Str(&'a [u8]),
    /// A hash.
    Hash(&'a mut HashObj),
    /// A list.
    List(&'a mut ListObj),
    /// A set.
    Set(&'a mut SetObj),
    /// A sorted set.
    ZSet(&'a mut ZSetObj),
    /// A stream.
    Stream(&'a mut StreamObj),
}
