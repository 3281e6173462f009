//! # proxy: the Redis endpoint of shardis (work in progress)

pub mod resp;
