//! Knowledge of Python itself: how Python 3 reads Python 2 names.

pub mod compat;
