//! ONNX conversion of hand-built models: every supported operator form, checked by a forward pass.

mod io_common;

use io_common::onnx_builder::*;
use nalgebra::DVector;
use proven::io::onnx::proto::*;
use proven::io::onnx::{self, LayerSpec};

fn run(bytes: &[u8], x: &[f64]) -> Vec<f64> {
    let g = onnx::parse_bytes(bytes).unwrap();
    g.forward(&DVector::from_vec(x.to_vec()))
        .unwrap()
        .as_slice()
        .to_vec()
}

fn close(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() < 1e-12, "{a:?} vs {b:?}");
    }
}

#[test]
fn gemm_with_all_attributes_then_relu() {
    // W is 2×3 stored transposed (3×2, transB = 0 means B is K×N = 3×2).
    let w = f32_raw("W", &[3, 2], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let c = f64_typed("C", &[2], &[1.0, -100.0]);
    let bytes = model(
        &[1, 3],
        vec![
            node(
                "Gemm",
                &["x", "W", "C"],
                "g",
                vec![float_attr("alpha", 2.0), float_attr("beta", 0.5)],
            ),
            node("Relu", &["g"], "y", vec![]),
        ],
        vec![w, c],
    );
    // y = relu(2·xᵀW + 0.5·C), x = [1, 1, 1]: xᵀW = [9, 12] → [18.5, -26] → [18.5, 0].
    close(&run(&bytes, &[1.0, 1.0, 1.0]), &[18.5, 0.0]);
    let g = onnx::parse_bytes(&bytes).unwrap();
    assert_eq!(
        g.layers.len(),
        2,
        "Gemm with bias folds into one dense layer"
    );
}

#[test]
fn gemm_trans_a_and_trans_b() {
    // A = xᵀ stored as [3, 1] with transA; B = W (2×3) with transB.
    let w = f32_raw("W", &[2, 3], &[1.0, 0.0, -1.0, 0.5, 0.5, 0.5]);
    let bytes = model(
        &[3, 1],
        vec![node(
            "Gemm",
            &["x", "W"],
            "y",
            vec![int_attr("transA", 1), int_attr("transB", 1)],
        )],
        vec![w],
    );
    close(&run(&bytes, &[1.0, 2.0, 3.0]), &[-2.0, 3.0]);
}

#[test]
fn matmul_weight_first_with_1d_input_and_leaky_sigmoid_tanh_atan() {
    let w = f32_raw("W", &[2, 1], &[2.0, -3.0]);
    let b = f32_raw("B", &[2], &[0.5, 0.5]);
    let bytes = model(
        &[1],
        vec![
            node("MatMul", &["W", "x"], "m", vec![]),
            node("Add", &["m", "B"], "a", vec![]),
            node("LeakyRelu", &["a"], "l", vec![float_attr("alpha", 0.25)]),
            node("Sigmoid", &["l"], "s", vec![]),
            node("Tanh", &["s"], "t", vec![]),
            node("Atan", &["t"], "y", vec![]),
        ],
        vec![w, b],
    );
    let f = |v: f64| {
        let l = if v >= 0.0 { v } else { 0.25 * v };
        (1.0 / (1.0 + (-l).exp())).tanh().atan()
    };
    close(&run(&bytes, &[1.0]), &[f(2.5), f(-2.5)]);
}

#[test]
fn normalisation_sub_div_and_constant_reshape_flatten() {
    let mean = f32_raw("mean", &[1, 1, 2, 2], &[1.0, 2.0, 3.0, 4.0]);
    let std = f64_typed("std", &[1], &[2.0]);
    let shape = TensorProto {
        name: "shape".into(),
        dims: vec![2],
        data_type: data_type::INT64,
        int64_data: vec![1, -1],
        ..Default::default()
    };
    let constant = NodeProto {
        output: vec!["shape_c".into()],
        op_type: "Constant".into(),
        attribute: vec![AttributeProto {
            name: "value".into(),
            r#type: attribute_type::TENSOR,
            t: Some(shape),
            ..Default::default()
        }],
        ..Default::default()
    };
    let w = f32_raw("W", &[4, 1], &[1.0, 1.0, 1.0, 1.0]);
    let bytes = model(
        &[1, 1, 2, 2],
        vec![
            node("Sub", &["x", "mean"], "a", vec![]),
            node("Div", &["a", "std"], "b", vec![]),
            constant,
            node("Reshape", &["b", "shape_c"], "r", vec![]),
            node("Flatten", &["r"], "f", vec![int_attr("axis", 1)]),
            node("Identity", &["f"], "i", vec![]),
            node("MatMul", &["i", "W"], "y", vec![]),
        ],
        vec![mean, std, w],
    );
    let g = onnx::parse_bytes(&bytes).unwrap();
    assert!(matches!(g.layers[0], LayerSpec::Affine { .. }));
    assert!(matches!(g.layers[1], LayerSpec::Dense { .. }));
    assert_eq!(g.input_shape, vec![1, 1, 2, 2]);
    assert_eq!(g.output_shape, vec![1, 1]);
    // Σ (x − mean)/2 with x = [3, 3, 3, 3] → (2 + 1 + 0 − 1)/2 = 1.
    close(&run(&bytes, &[3.0; 4]), &[1.0]);
}

#[test]
fn constant_subgraphs_are_folded() {
    // bias = (B + k) computed from constants; output = W·x + bias, then Mul by constant on the left.
    let w = f32_raw("W", &[2, 2], &[1.0, 2.0, 3.0, 4.0]);
    let b = f32_raw("B", &[2], &[1.0, 1.0]);
    let k = NodeProto {
        output: vec!["k".into()],
        op_type: "Constant".into(),
        attribute: vec![AttributeProto {
            name: "value_floats".into(),
            r#type: attribute_type::FLOATS,
            floats: vec![10.0, 20.0],
            ..Default::default()
        }],
        ..Default::default()
    };
    let bytes = model(
        &[2],
        vec![
            k,
            node("Add", &["B", "k"], "bias", vec![]),
            node("MatMul", &["W", "x"], "m", vec![]),
            node("Add", &["bias", "m"], "a", vec![]),
            node("Mul", &["B", "a"], "n", vec![]),
            node("Sub", &["B", "n"], "y", vec![]),
        ],
        vec![w, b],
    );
    // W·[1, 1] = [3, 7]; + [11, 21] = [14, 28]; 1 − that = [−13, −27].
    close(&run(&bytes, &[1.0, 1.0]), &[-13.0, -27.0]);
    assert_eq!(onnx::parse_bytes(&bytes).unwrap().layers.len(), 1);
}

#[test]
fn identity_graph_gives_one_identity_layer() {
    let bytes = model(&[3], vec![node("Identity", &["x"], "y", vec![])], vec![]);
    let g = onnx::parse_bytes(&bytes).unwrap();
    assert_eq!(g.layers, vec![LayerSpec::Identity { dim: 3 }]);
}
