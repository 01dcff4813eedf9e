//! Knowledge of Python itself: how Python 3 reads Python 2 names, and what numpy, pandas
//! and PyTorch objects look like once pickled.

pub mod compat;
pub mod numpy;
pub mod pandas;
pub(crate) mod reads;
pub mod torch;
