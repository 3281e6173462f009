//! Sorted-set commands (in progress).
