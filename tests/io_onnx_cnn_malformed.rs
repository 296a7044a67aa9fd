//! Malformed convolutional ONNX models: each defect gives its typed error naming the node and the
//! offending attribute or value, never a panic.

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

/// Asserts an `InvalidAttribute` error on node `node` and attribute `attribute`; returns the message.
fn bad_attribute(bytes: &[u8], node: &str, attribute: &str) -> String {
    match kind(bytes) {
        OnnxErrorKind::InvalidAttribute {
            node: n,
            attribute: a,
            message,
        } => {
            assert_eq!((n.as_str(), a.as_str()), (node, attribute), "{message}");
            message
        }
        other => panic!("expected InvalidAttribute {attribute} on {node}, got {other:?}"),
    }
}

fn shape_mismatch(bytes: &[u8], node: &str) -> String {
    match kind(bytes) {
        OnnxErrorKind::ShapeMismatch {
            node: n, message, ..
        } => {
            assert_eq!(n, node, "{message}");
            message
        }
        other => panic!("expected ShapeMismatch on {node}, got {other:?}"),
    }
}

fn unsupported_usage(bytes: &[u8], node: &str) -> String {
    match kind(bytes) {
        OnnxErrorKind::UnsupportedUsage {
            node: n, message, ..
        } => {
            assert_eq!(n, node, "{message}");
            message
        }
        other => panic!("expected UnsupportedUsage on {node}, got {other:?}"),
    }
}

fn weight(dims: &[i64]) -> TensorProto {
    pseudo_random("W", dims, 1)
}

fn conv(input_dims: &[i64], w: TensorProto, attrs: Vec<AttributeProto>) -> Vec<u8> {
    model(
        input_dims,
        vec![node("Conv", &["x", "W"], "y", attrs)],
        vec![w],
    )
}

#[test]
fn conv_weight_and_input_shapes() {
    // Weight of rank 3.
    let m = shape_mismatch(&conv(&[1, 1, 4, 4], weight(&[2, 1, 3]), vec![]), "`Conv_y`");
    assert!(m.contains("[2, 1, 3]"), "{m}");
    // Weight expects 2 input channels, the input has 1.
    let m = shape_mismatch(
        &conv(&[1, 1, 4, 4], weight(&[2, 2, 3, 3]), vec![]),
        "`Conv_y`",
    );
    assert!(m.contains("2 input channels"), "{m}");
    // Input not NCHW.
    shape_mismatch(&conv(&[1, 16], weight(&[2, 1, 3, 3]), vec![]), "`Conv_y`");
    // Batch 2.
    unsupported_usage(
        &conv(&[2, 1, 4, 4], weight(&[2, 1, 3, 3]), vec![]),
        "`Conv_y`",
    );
    // Kernel larger than the padded input.
    let m = shape_mismatch(
        &conv(&[1, 1, 4, 4], weight(&[2, 1, 5, 5]), vec![]),
        "`Conv_y`",
    );
    assert!(m.contains("does not fit"), "{m}");
    // Bias of the wrong length.
    let bytes = model(
        &[1, 1, 4, 4],
        vec![node("Conv", &["x", "W", "B"], "y", vec![])],
        vec![weight(&[2, 1, 3, 3]), pseudo_random("B", &[3], 2)],
    );
    shape_mismatch(&bytes, "`Conv_y`");
    // Weight computed from the input.
    let bytes = model(
        &[1, 1, 4, 4],
        vec![node("Conv", &["x", "x"], "y", vec![])],
        vec![],
    );
    unsupported_usage(&bytes, "`Conv_y`");
}

#[test]
fn conv_attributes() {
    let w = || weight(&[2, 1, 3, 3]);
    let m = bad_attribute(
        &conv(&[1, 1, 6, 6], w(), vec![int_attr("group", 2)]),
        "`Conv_y`",
        "group",
    );
    assert!(m.contains("group = 1"), "{m}");
    bad_attribute(
        &conv(&[1, 1, 6, 6], w(), vec![ints_attr("kernel_shape", &[2, 2])]),
        "`Conv_y`",
        "kernel_shape",
    );
    bad_attribute(
        &conv(&[1, 1, 6, 6], w(), vec![ints_attr("strides", &[0, 1])]),
        "`Conv_y`",
        "strides",
    );
    bad_attribute(
        &conv(&[1, 1, 6, 6], w(), vec![ints_attr("strides", &[1, 1, 1])]),
        "`Conv_y`",
        "strides",
    );
    bad_attribute(
        &conv(&[1, 1, 6, 6], w(), vec![ints_attr("dilations", &[-1, 1])]),
        "`Conv_y`",
        "dilations",
    );
    bad_attribute(
        &conv(&[1, 1, 6, 6], w(), vec![ints_attr("pads", &[1, -1, 0, 0])]),
        "`Conv_y`",
        "pads",
    );
    bad_attribute(
        &conv(&[1, 1, 6, 6], w(), vec![ints_attr("pads", &[1, 1])]),
        "`Conv_y`",
        "pads",
    );
    bad_attribute(
        &conv(
            &[1, 1, 6, 6],
            w(),
            vec![ints_attr("pads", &[i64::MAX, 0, 0, 0])],
        ),
        "`Conv_y`",
        "pads",
    );
    let m = bad_attribute(
        &conv(
            &[1, 1, 6, 6],
            w(),
            vec![string_attr("auto_pad", "SAME_MIDDLE")],
        ),
        "`Conv_y`",
        "auto_pad",
    );
    assert!(m.contains("SAME_MIDDLE"), "{m}");
    // Wrong attribute type.
    bad_attribute(
        &conv(&[1, 1, 6, 6], w(), vec![int_attr("auto_pad", 1)]),
        "`Conv_y`",
        "auto_pad",
    );
}

#[test]
fn pooling_attributes() {
    let pool = |op: &str, attrs: Vec<AttributeProto>| {
        model(&[1, 1, 6, 6], vec![node(op, &["x"], "y", attrs)], vec![])
    };
    for op in ["MaxPool", "AveragePool"] {
        let node_name = format!("`{op}_y`");
        bad_attribute(&pool(op, vec![]), &node_name, "kernel_shape");
        bad_attribute(
            &pool(
                op,
                vec![
                    ints_attr("kernel_shape", &[2, 2]),
                    ints_attr("dilations", &[2, 2]),
                ],
            ),
            &node_name,
            "dilations",
        );
        // 6×6, kernel 4, stride 4: floor gives 1×1, ceil gives 2×2.
        let m = bad_attribute(
            &pool(
                op,
                vec![
                    ints_attr("kernel_shape", &[4, 4]),
                    ints_attr("strides", &[4, 4]),
                    int_attr("ceil_mode", 1),
                ],
            ),
            &node_name,
            "ceil_mode",
        );
        assert!(m.contains("2×2") && m.contains("1×1"), "{m}");
        shape_mismatch(
            &pool(op, vec![ints_attr("kernel_shape", &[7, 7])]),
            &node_name,
        );
    }
    bad_attribute(
        &pool(
            "AveragePool",
            vec![
                ints_attr("kernel_shape", &[2, 2]),
                int_attr("count_include_pad", 2),
            ],
        ),
        "`AveragePool_y`",
        "count_include_pad",
    );
    let mut n = node(
        "MaxPool",
        &["x"],
        "y",
        vec![ints_attr("kernel_shape", &[2, 2])],
    );
    n.output.push("indices".into());
    let m = unsupported_usage(&model(&[1, 1, 6, 6], vec![n], vec![]), "`MaxPool_y`");
    assert!(m.contains("Indices"), "{m}");
}

#[test]
fn pad_forms() {
    let pad = |attrs: Vec<AttributeProto>| {
        model(&[1, 2, 3, 3], vec![node("Pad", &["x"], "y", attrs)], vec![])
    };
    let m = bad_attribute(
        &pad(vec![
            ints_attr("pads", &[0, 0, 1, 1, 0, 0, 1, 1]),
            float_attr("value", 1.0),
        ]),
        "`Pad_y`",
        "value",
    );
    assert!(m.contains("zero"), "{m}");
    bad_attribute(
        &pad(vec![
            ints_attr("pads", &[0, 0, 1, 1, 0, 0, 1, 1]),
            string_attr("mode", "reflect"),
        ]),
        "`Pad_y`",
        "mode",
    );
    let m = bad_attribute(
        &pad(vec![ints_attr("pads", &[0, 1, 0, 0, 0, 0, 0, 0])]),
        "`Pad_y`",
        "pads",
    );
    assert!(m.contains("spatial"), "{m}");
    bad_attribute(
        &pad(vec![ints_attr("pads", &[0, 0, -1, 0, 0, 0, 0, 0])]),
        "`Pad_y`",
        "pads",
    );
    bad_attribute(
        &pad(vec![ints_attr("pads", &[0, 0, 1, 1])]),
        "`Pad_y`",
        "pads",
    );
    // Opset 11 form with a non-zero constant_value input.
    let bytes = model(
        &[1, 2, 3, 3],
        vec![node("Pad", &["x", "pads", "cv"], "y", vec![])],
        vec![
            i64_tensor("pads", &[0, 0, 1, 1, 0, 0, 1, 1]),
            f32_raw("cv", &[], &[0.5]),
        ],
    );
    bad_attribute(&bytes, "`Pad_y`", "value");
    // Float pads tensor.
    let bytes = model(
        &[1, 2, 3, 3],
        vec![node("Pad", &["x", "pads"], "y", vec![])],
        vec![f32_raw("pads", &[8], &[0.0; 8])],
    );
    assert!(matches!(kind(&bytes), OnnxErrorKind::WrongType { .. }));
}

#[test]
fn batch_norm_forms() {
    let params = |var: &[f32]| {
        vec![
            f32_raw("g", &[2], &[1.0, 1.0]),
            f32_raw("b", &[2], &[0.0, 0.0]),
            f32_raw("m", &[2], &[0.0, 0.0]),
            f32_raw("v", &[var.len() as i64], var),
        ]
    };
    let bn = |attrs: Vec<AttributeProto>, var: &[f32]| {
        model(
            &[1, 2, 3, 3],
            vec![node(
                "BatchNormalization",
                &["x", "g", "b", "m", "v"],
                "y",
                attrs,
            )],
            params(var),
        )
    };
    bad_attribute(
        &bn(vec![int_attr("training_mode", 1)], &[1.0, 1.0]),
        "`BatchNormalization_y`",
        "training_mode",
    );
    let m = bad_attribute(
        &bn(vec![float_attr("epsilon", 0.0)], &[1.0, -2.0]),
        "`BatchNormalization_y`",
        "input_var",
    );
    assert!(m.contains("channel 1"), "{m}");
    shape_mismatch(&bn(vec![], &[1.0, 1.0, 1.0]), "`BatchNormalization_y`");
    let mut n = node(
        "BatchNormalization",
        &["x", "g", "b", "m", "v"],
        "y",
        vec![],
    );
    n.output.push("running_mean".into());
    unsupported_usage(
        &model(&[1, 2, 3, 3], vec![n], params(&[1.0, 1.0])),
        "`BatchNormalization_y`",
    );
}

#[test]
fn residual_add_of_mismatched_shapes() {
    // conv keeps 2 channels but shrinks 4×4 to 3×3; adding it to the input is a shape mismatch.
    let bytes = model(
        &[1, 2, 4, 4],
        vec![
            node("Conv", &["x", "W"], "c", vec![]),
            node("Add", &["c", "x"], "y", vec![]),
        ],
        vec![weight(&[2, 2, 2, 2])],
    );
    let m = shape_mismatch(&bytes, "`Add_y`");
    assert!(
        m.contains("[1, 2, 3, 3]") && m.contains("[1, 2, 4, 4]"),
        "{m}"
    );
    // Sub of two branches is not supported.
    let bytes = model(
        &[1, 2],
        vec![
            node("Relu", &["x"], "a", vec![]),
            node("Sub", &["a", "x"], "y", vec![]),
        ],
        vec![],
    );
    unsupported_usage(&bytes, "`Sub_y`");
}
