//! `stats`: what takes the space in a pickle (to be written).
