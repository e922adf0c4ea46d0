//! `check` names the place and the problem for each kind of broken input.
