//! Property tests of the engine's invariants.
