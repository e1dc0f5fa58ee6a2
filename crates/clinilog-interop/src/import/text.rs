//! Bytes of a file to text, line by line: UTF-8 (a byte-order mark is
//! dropped), and a line that is not UTF-8 read as Windows-1252, so a file
//! with mixed encodings reads line by line without a replacement character
//! where a spreadsheet wrote `µmol/L` in its own code page.

use std::cell::Cell;
use std::io::{BufRead, Read};
use std::rc::Rc;

/// One line of bytes as text.
pub fn decode_line(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0,
    }
}

/// The text of a segment in the character set an HL7 message declares
/// (MSH-18): ISO 8859 sets are read as such; UTF-8 and ASCII as UTF-8.
pub fn decode_declared(bytes: &[u8], charset: &str) -> String {
    let c = charset.trim().to_ascii_uppercase();
    if c.starts_with("8859") {
        let label = format!("iso-8859-{}", c.trim_start_matches("8859/").trim_start_matches("8859"));
        if let Some(enc) = encoding_rs::Encoding::for_label(label.as_bytes()) {
            return enc.decode_without_bom_handling(bytes).0.into_owned();
        }
    }
    decode_line(bytes).into_owned()
}

/// A reader that hands out the file as UTF-8, decoding each line on its own,
/// and counts the bytes read from the file (for a progress bar).
pub struct Utf8Lines<R> {
    inner: R,
    raw: Vec<u8>,
    out: Vec<u8>,
    at: usize,
    first: bool,
    consumed: Rc<Cell<u64>>,
}

impl<R: BufRead> Utf8Lines<R> {
    pub fn new(inner: R, consumed: Rc<Cell<u64>>) -> Self {
        Self {
            inner,
            raw: Vec::new(),
            out: Vec::new(),
            at: 0,
            first: true,
            consumed,
        }
    }
}

impl<R: BufRead> Read for Utf8Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at >= self.out.len() {
            self.raw.clear();
            self.out.clear();
            self.at = 0;
            let n = self.inner.read_until(b'\n', &mut self.raw)?;
            if n == 0 {
                return Ok(0);
            }
            self.consumed.set(self.consumed.get() + n as u64);
            let mut line = self.raw.as_slice();
            if self.first {
                line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
                self.first = false;
            }
            self.out.extend_from_slice(decode_line(line).as_bytes());
        }
        let n = buf.len().min(self.out.len() - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_is_read_in_its_own_encoding() {
        let bytes = b"\xEF\xBB\xBFtest;unit\nbili;\xB5mol/L\nalt;\xC2\xB5mol/L\n".to_vec();
        let consumed = Rc::new(Cell::new(0));
        let mut text = String::new();
        Utf8Lines::new(bytes.as_slice(), consumed.clone())
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "test;unit\nbili;µmol/L\nalt;µmol/L\n");
        assert_eq!(consumed.get(), bytes.len() as u64);
        assert_eq!(decode_declared(b"M\xFCller", "8859/1"), "Müller");
    }
}
