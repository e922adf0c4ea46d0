//! State machine, races, locking, tampering (filled in below).
