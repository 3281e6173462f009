//! List commands (`LPUSH`, `LRANGE`, `LPOS`, `LMPOP`, ...).
