//! `scan`: what a pickle would import and call, classed by danger (to be written).
