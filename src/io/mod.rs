//! Readers for the formats verification problems come in: ONNX networks and VNN-LIB properties.

pub mod onnx;
pub mod vnnlib;
