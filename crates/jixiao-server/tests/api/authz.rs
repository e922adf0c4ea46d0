//! Authorization matrix (filled in below).
