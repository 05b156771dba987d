//! A small writer for S3 response documents: elements in the order they are
//! written, text escaped with [`crate::error::xml_escape`].

use crate::error::xml_escape;
use std::fmt::Display;

/// Builds the children of a response document.
#[derive(Debug, Default)]
pub struct XmlWriter {
    buf: String,
}

impl XmlWriter {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The XML written so far.
    pub fn finish(self) -> String {
        self.buf
    }

    /// Opens `<name>`.
    pub fn start(&mut self, name: &str) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    /// Opens `<name k="v" ...>`, values escaped.
    pub fn start_attrs(&mut self, name: &str, attrs: &[(&str, &str)]) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(name);
        for (k, v) in attrs {
            self.buf.push(' ');
            self.buf.push_str(k);
            self.buf.push_str("=\"");
            self.buf.push_str(&xml_escape(v));
            self.buf.push('"');
        }
        self.buf.push('>');
        self
    }

    /// Closes `</name>`.
    pub fn end(&mut self, name: &str) -> &mut Self {
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    /// `<name>text</name>`, with `text` escaped; an empty text gives
    /// `<name></name>`.
    pub fn elem(&mut self, name: &str, text: &str) -> &mut Self {
        self.start(name);
        self.buf.push_str(&xml_escape(text));
        self.end(name)
    }

    /// `<name>value</name>` for numbers and booleans (`true`/`false`).
    pub fn value(&mut self, name: &str, value: impl Display) -> &mut Self {
        self.elem(name, &value.to_string())
    }

    /// [`XmlWriter::elem`] when `text` is `Some`, nothing otherwise.
    pub fn opt(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(t) = text {
            self.elem(name, t);
        }
        self
    }

    /// Escaped text content at the current position.
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.buf.push_str(&xml_escape(text));
        self
    }

    /// [`XmlWriter::value`] when `value` is `Some`, nothing otherwise.
    pub fn opt_value<V: Display>(&mut self, name: &str, value: Option<V>) -> &mut Self {
        if let Some(v) = value {
            self.value(name, v);
        }
        self
    }
}
