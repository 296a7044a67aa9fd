//! Malformed ONNX input: each kind of defect gives its typed error, never a panic or a huge
//! allocation.

mod io_common;

use io_common::onnx_builder::*;
use proven::Error;
use proven::io::onnx::proto::*;
use proven::io::onnx::{self, OnnxErrorKind};

fn kind(bytes: &[u8]) -> OnnxErrorKind {
    match onnx::parse_bytes(bytes) {
        Err(Error::Onnx { path, kind }) => {
            assert_eq!(path, "<memory>");
            kind
        }
        other => panic!("expected an ONNX error, got {other:?}"),
    }
}

fn dense_model(w: TensorProto) -> Vec<u8> {
    model(
        &[1, 2],
        vec![node("MatMul", &["x", "W"], "y", vec![])],
        vec![w],
    )
}

#[test]
fn truncated_protobuf() {
    let bytes = dense_model(f32_raw("W", &[2, 2], &[1.0, 2.0, 3.0, 4.0]));
    assert!(onnx::parse_bytes(&bytes).is_ok());
    for cut in [1, 5, bytes.len() / 2, bytes.len() - 1] {
        assert!(
            matches!(
                kind(&bytes[..cut]),
                OnnxErrorKind::Decode(_) | OnnxErrorKind::MissingGraph
            ),
            "cut at {cut}"
        );
    }
    assert!(matches!(
        kind(&bytes[..bytes.len() - 1]),
        OnnxErrorKind::Decode(_)
    ));
    assert!(matches!(kind(&[0xff; 16]), OnnxErrorKind::Decode(_)));
    assert_eq!(kind(&[]), OnnxErrorKind::MissingGraph);
}

#[test]
fn deeply_nested_groups_hit_the_recursion_limit() {
    // Field 15, wire type 3 (start group), nested 100 000 times inside the model message.
    let bytes = vec![(15 << 3) | 3; 100_000];
    assert!(matches!(kind(&bytes), OnnxErrorKind::Decode(_)));
}

#[test]
fn wrong_types() {
    let mut w = f32_raw("W", &[2, 2], &[1.0, 2.0, 3.0, 4.0]);
    w.data_type = 8; // STRING
    assert!(matches!(
        kind(&dense_model(w)),
        OnnxErrorKind::WrongType { ref found, .. } if found == "STRING"
    ));
    // Integer weights where floats are needed.
    let w = TensorProto {
        name: "W".into(),
        dims: vec![2, 2],
        data_type: data_type::INT64,
        int64_data: vec![1, 2, 3, 4],
        ..Default::default()
    };
    assert!(matches!(
        kind(&dense_model(w)),
        OnnxErrorKind::WrongType { .. }
    ));
    // An integer graph input.
    let mut m = model(&[1, 2], vec![node("Relu", &["x"], "y", vec![])], vec![]);
    m = {
        use prost::Message;
        let mut p = ModelProto::decode(m.as_slice()).unwrap();
        let g = p.graph.as_mut().unwrap();
        g.input[0] = value_info("x", data_type::INT64, &[1, 2]);
        p.encode_to_vec()
    };
    assert!(matches!(kind(&m), OnnxErrorKind::WrongType { .. }));
    // An attribute of the wrong type.
    let bad = model(
        &[1, 2],
        vec![node("Flatten", &["x"], "y", vec![float_attr("axis", 1.0)])],
        vec![],
    );
    assert!(
        matches!(kind(&bad), OnnxErrorKind::InvalidAttribute { ref attribute, .. } if attribute == "axis")
    );
}

#[test]
fn shape_mismatch_between_nodes() {
    let w1 = f32_raw("W1", &[2, 3], &[1.0; 6]);
    let w2 = f32_raw("W2", &[4, 1], &[1.0; 4]);
    let bytes = model(
        &[1, 2],
        vec![
            node("MatMul", &["x", "W1"], "h", vec![]),
            node("Relu", &["h"], "r", vec![]),
            node("MatMul", &["r", "W2"], "y", vec![]),
        ],
        vec![w1, w2],
    );
    match kind(&bytes) {
        OnnxErrorKind::ShapeMismatch { op_type, node, .. } => {
            assert_eq!(op_type, "MatMul");
            assert_eq!(node, "`MatMul_y`");
        }
        other => panic!("{other:?}"),
    }
    // A bias that does not broadcast to the Gemm output.
    let bytes = model(
        &[1, 2],
        vec![node("Gemm", &["x", "W", "C"], "y", vec![])],
        vec![
            f32_raw("W", &[2, 2], &[1.0; 4]),
            f32_raw("C", &[3], &[1.0; 3]),
        ],
    );
    assert!(matches!(kind(&bytes), OnnxErrorKind::ShapeMismatch { .. }));
}

#[test]
fn missing_initializer() {
    let bytes = model(
        &[1, 2],
        vec![node("MatMul", &["x", "W"], "y", vec![])],
        vec![],
    );
    assert_eq!(
        kind(&bytes),
        OnnxErrorKind::MissingInput {
            node: "`MatMul_y`".into(),
            input: "W".into()
        }
    );
}

#[test]
fn nan_and_infinite_weights_name_tensor_and_index() {
    let w = f32_raw("W", &[2, 2], &[1.0, 2.0, f32::NAN, 4.0]);
    match kind(&dense_model(w)) {
        OnnxErrorKind::NonFinite { tensor, index, .. } => {
            assert_eq!((tensor.as_str(), index), ("W", 2));
        }
        other => panic!("{other:?}"),
    }
    let w = f64_typed("W", &[2, 2], &[1.0, f64::INFINITY, 3.0, 4.0]);
    assert!(matches!(
        kind(&dense_model(w)),
        OnnxErrorKind::NonFinite { index: 1, .. }
    ));
}

#[test]
fn huge_declared_tensors_are_rejected_before_allocation() {
    // 10^12 elements declared, 16 bytes present.
    let w = f32_raw("W", &[1_000_000, 1_000_000], &[1.0; 4]);
    assert!(matches!(
        kind(&dense_model(w)),
        OnnxErrorKind::TensorTooLarge { ref tensor, .. } if tensor == "W"
    ));
    // Overflowing product.
    let w = f32_raw("W", &[i64::MAX, i64::MAX, 4], &[1.0; 4]);
    assert!(matches!(
        kind(&dense_model(w)),
        OnnxErrorKind::TensorTooLarge { .. }
    ));
    // Plausible size but the data is too short.
    let w = f32_raw("W", &[100, 100], &[1.0; 4]);
    assert_eq!(
        kind(&dense_model(w)),
        OnnxErrorKind::DataLength {
            tensor: "W".into(),
            expected: 10_000,
            found: 4
        }
    );
    // A huge declared graph input.
    let bytes = model(
        &[1, 1_000_000_000_000],
        vec![node("Relu", &["x"], "y", vec![])],
        vec![],
    );
    assert!(matches!(kind(&bytes), OnnxErrorKind::TensorTooLarge { .. }));
    // Negative dimension.
    let w = f32_raw("W", &[-2, 2], &[1.0; 4]);
    assert!(matches!(
        kind(&dense_model(w)),
        OnnxErrorKind::NegativeDimension { .. }
    ));
    // External data.
    let mut w = f32_raw("W", &[2, 2], &[]);
    w.data_location = 1;
    assert!(matches!(
        kind(&dense_model(w)),
        OnnxErrorKind::ExternalData { .. }
    ));
}

#[test]
fn unsupported_operators_name_op_and_node() {
    for op in ["Softmax", "Concat", "Resize", "LRN", "ConvTranspose"] {
        let bytes = model(&[1, 2], vec![node(op, &["x"], "y", vec![])], vec![]);
        assert_eq!(
            kind(&bytes),
            OnnxErrorKind::UnsupportedOperator {
                op_type: op.into(),
                node: format!("`{op}_y`")
            }
        );
    }
    // Unnamed node: labelled by index and output.
    let mut n = node("Softmax", &["x"], "y", vec![]);
    n.name.clear();
    let msg = onnx::parse_bytes(&model(&[1, 2], vec![n], vec![]))
        .unwrap_err()
        .to_string();
    assert_eq!(
        msg,
        "<memory>: unsupported operator Softmax at node #0 (output `y`)"
    );
}

#[test]
fn non_affine_graphs() {
    // Two branches may be added (a residual block), not multiplied.
    let bytes = model(
        &[1, 2],
        vec![
            node("Relu", &["x"], "a", vec![]),
            node("Sigmoid", &["x"], "b", vec![]),
            node("Mul", &["a", "b"], "y", vec![]),
        ],
        vec![],
    );
    assert!(matches!(
        kind(&bytes),
        OnnxErrorKind::UnsupportedUsage { .. }
    ));
    let bytes = model(
        &[1, 2],
        vec![node("Div", &["C", "x"], "y", vec![])],
        vec![f32_raw("C", &[2], &[1.0, 1.0])],
    );
    assert!(matches!(
        kind(&bytes),
        OnnxErrorKind::UnsupportedUsage { .. }
    ));
    let bytes = model(
        &[1, 2],
        vec![node("Div", &["x", "C"], "y", vec![])],
        vec![f32_raw("C", &[2], &[1.0, 0.0])],
    );
    assert!(matches!(
        kind(&bytes),
        OnnxErrorKind::UnsupportedUsage { .. }
    ));
    // Output not produced.
    let bytes = model(&[1, 2], vec![node("Relu", &["x"], "z", vec![])], vec![]);
    assert!(matches!(kind(&bytes), OnnxErrorKind::InvalidGraph(_)));
}
