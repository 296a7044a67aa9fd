//! Fuzzes the ONNX reader: arbitrary bytes must give `Ok` or a typed error, never a panic. An
//! accepted graph must have consistent layer sizes (chains) and evaluate at zero, and building the network
//! over `f64` and `f32` with `from_bytes` must succeed or fail with a typed error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nalgebra::DVector;
use proven::Network;
use proven::io::onnx;

fuzz_target!(|data: &[u8]| {
    let Ok(graph) = onnx::parse_bytes(data) else {
        assert!(onnx::from_bytes::<f64>(data).is_err());
        return;
    };
    let mut dim = graph.input_dim();
    if graph.dag.is_none() {
        for layer in &graph.layers {
            assert_eq!(layer.input_dim(), dim, "layer sizes must chain");
            dim = layer.output_dim();
        }
    } else {
        assert!(graph.layers.is_empty(), "a DAG keeps its layers in its nodes");
        dim = graph.output_dim();
    }
    assert_eq!(dim, graph.output_dim(), "last layer must match the output shape");
    let y = graph
        .forward(&DVector::zeros(graph.input_dim()))
        .expect("forward at the declared input size");
    assert_eq!(y.len(), dim);
    if let Ok(m) = onnx::from_bytes::<f64>(data) {
        assert_eq!(m.network.input_dim(), graph.input_dim());
        assert_eq!(m.network.output_dim(), dim);
        let _ = m.network.forward(&DVector::zeros(graph.input_dim()));
    }
    if let Ok(m) = onnx::from_bytes::<f32>(data) {
        assert_eq!(m.network.output_dim(), dim);
    }
});
