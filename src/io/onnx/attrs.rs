//! Typed access to node attributes.

use super::OnnxErrorKind;
use super::proto::{AttributeProto, NodeProto, TensorProto, attribute_type};

/// The attributes of one node, with the node's label for error messages.
pub(crate) struct Attrs<'a> {
    node: &'a NodeProto,
    label: &'a str,
}

impl<'a> Attrs<'a> {
    /// Wraps a node.
    pub fn new(node: &'a NodeProto, label: &'a str) -> Self {
        Attrs { node, label }
    }

    fn find(&self, name: &str) -> Option<&'a AttributeProto> {
        self.node.attribute.iter().find(|a| a.name == name)
    }

    fn wrong(&self, name: &str, message: String) -> OnnxErrorKind {
        OnnxErrorKind::InvalidAttribute {
            node: self.label.to_string(),
            attribute: name.to_string(),
            message,
        }
    }

    /// Checks the declared type (`0`, undefined, is accepted from old writers).
    fn check_type(
        &self,
        a: &AttributeProto,
        expected: i32,
        what: &str,
    ) -> Result<(), OnnxErrorKind> {
        if a.r#type == expected || a.r#type == 0 {
            Ok(())
        } else {
            Err(self.wrong(
                &a.name,
                format!("expected {what}, found attribute type {}", a.r#type),
            ))
        }
    }

    /// An integer attribute, or `default` when absent.
    pub fn int(&self, name: &str, default: i64) -> Result<i64, OnnxErrorKind> {
        match self.find(name) {
            None => Ok(default),
            Some(a) => self
                .check_type(a, attribute_type::INT, "an integer")
                .map(|_| a.i),
        }
    }

    /// A string attribute (UTF-8), or `default` when absent.
    pub fn string(&self, name: &str, default: &str) -> Result<String, OnnxErrorKind> {
        match self.find(name) {
            None => Ok(default.to_string()),
            Some(a) => {
                self.check_type(a, attribute_type::STRING, "a string")?;
                String::from_utf8(a.s.clone())
                    .map_err(|_| self.wrong(name, "the value is not valid UTF-8".into()))
            }
        }
    }

    /// A float attribute, or `default` when absent; must be finite.
    pub fn float(&self, name: &str, default: f64) -> Result<f64, OnnxErrorKind> {
        match self.find(name) {
            None => Ok(default),
            Some(a) => {
                self.check_type(a, attribute_type::FLOAT, "a float")?;
                let v = f64::from(a.f);
                if v.is_finite() {
                    Ok(v)
                } else {
                    Err(self.wrong(name, format!("value {v} is not finite")))
                }
            }
        }
    }

    /// An integer-list attribute, if present.
    pub fn ints(&self, name: &str) -> Result<Option<&'a [i64]>, OnnxErrorKind> {
        match self.find(name) {
            None => Ok(None),
            Some(a) => self
                .check_type(a, attribute_type::INTS, "a list of integers")
                .map(|_| Some(a.ints.as_slice())),
        }
    }

    /// A float-list attribute, if present.
    pub fn floats(&self, name: &str) -> Result<Option<&'a [f32]>, OnnxErrorKind> {
        match self.find(name) {
            None => Ok(None),
            Some(a) => self
                .check_type(a, attribute_type::FLOATS, "a list of floats")
                .map(|_| Some(a.floats.as_slice())),
        }
    }

    /// A tensor attribute, if present.
    pub fn tensor(&self, name: &str) -> Result<Option<&'a TensorProto>, OnnxErrorKind> {
        match self.find(name) {
            None => Ok(None),
            Some(a) => {
                self.check_type(a, attribute_type::TENSOR, "a tensor")?;
                match &a.t {
                    Some(t) => Ok(Some(t)),
                    None => Err(self.wrong(name, "tensor value missing".into())),
                }
            }
        }
    }

    /// Whether the attribute is present.
    pub fn has(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    /// An error for an attribute value outside its valid range.
    pub fn invalid(&self, name: &str, message: impl Into<String>) -> OnnxErrorKind {
        self.wrong(name, message.into())
    }
}
