//! HL7 v2 ORU^R01 result messages (2.3 to 2.5.1), several per file, read
//! with the `hl7-parser` crate in its lenient line-ending mode. Each
//! message is decoded in the character set its MSH-18 declares before it
//! is parsed. Read: PID-3 (MRN), PID-5 (name), PID-7 (birth date), PID-8
//! (sex); OBR-7 (observation date); OBX-2 type, OBX-3 code and text, OBX-5
//! value (SN with its comparator), OBX-6 unit, OBX-7 range, OBX-8 flag,
//! OBX-11 status (only F and C are results to import), OBX-14 date.

use std::cell::Cell;
use std::io::BufRead;
use std::rc::Rc;

use hl7_parser::Message;
use hl7_parser::message::{Field, Separators};

use super::text::decode_declared;
use super::{ImportError, Item};
use clinilog_domain::import::{RawPatient, RawResult};

/// One segment's bytes and the line it starts on.
type Segment = (u64, Vec<u8>);

/// Reads every message of the file and hands each result to `emit`.
pub fn read<R: BufRead>(
    mut input: R,
    consumed: Rc<Cell<u64>>,
    emit: &mut dyn FnMut(Item) -> Result<(), ImportError>,
) -> Result<String, ImportError> {
    let mut message: Vec<Segment> = Vec::new();
    let mut count = 0usize;
    let mut line = 0u64;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = input.read_until(b'\n', &mut buf).map_err(ImportError::Read)?;
        if n == 0 {
            break;
        }
        consumed.set(consumed.get() + n as u64);
        for part in buf.split(|&b| b == b'\r' || b == b'\n') {
            if part.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            line += 1;
            let part = part.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(part);
            if part.starts_with(b"MSH") && !message.is_empty() {
                count += 1;
                read_message(&std::mem::take(&mut message), emit)?;
            }
            if message.is_empty() && !part.starts_with(b"MSH") {
                emit(Item::Problem {
                    line,
                    reason: "a segment outside any message (no MSH segment before it)".to_owned(),
                })?;
                continue;
            }
            message.push((line, part.to_vec()));
        }
    }
    if !message.is_empty() {
        count += 1;
        read_message(&message, emit)?;
    }
    if count == 0 {
        return Err(ImportError::Refused(
            "no HL7 message in the file (no MSH segment)".to_owned(),
        ));
    }
    Ok(format!("HL7 v2, {count} message{}", if count == 1 { "" } else { "s" }))
}

/// MSH-`n` of a segment still in bytes (MSH-1 is the field separator itself).
fn msh_field(msh: &[u8], n: usize) -> String {
    let Some(&sep) = msh.get(3) else {
        return String::new();
    };
    msh.split(|&b| b == sep)
        .nth(n - 1)
        .map(|f| String::from_utf8_lossy(f).trim().to_owned())
        .unwrap_or_default()
}

fn read_message(
    segments: &[Segment],
    emit: &mut dyn FnMut(Item) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let (msh_line, msh) = (&segments[0].0, &segments[0].1);
    let charset = msh_field(msh, 18);
    let text = segments
        .iter()
        .map(|(_, s)| decode_declared(s, &charset))
        .collect::<Vec<_>>()
        .join("\r");
    let message = match Message::parse_with_lenient_newlines(&text, true) {
        Ok(m) => m,
        Err(e) => {
            return emit(Item::Problem {
                line: *msh_line,
                reason: format!("the HL7 message starting here is not readable ({e}); nothing of it is imported"),
            });
        }
    };
    let kind = msh_field(msh, 9);
    if !kind.starts_with("ORU") {
        return emit(Item::Problem {
            line: *msh_line,
            reason: format!("message type {kind} is not a result message (ORU^R01); skipped"),
        });
    }
    let sep = message.separators;
    let mut patient_mrn = String::new();
    let mut patient: Option<RawPatient> = None;
    let mut obr_date = String::new();
    for (i, segment) in message.segments().enumerate() {
        let line = segments.get(i).map_or(*msh_line, |s| s.0);
        let field = |n: usize| segment.field(n);
        match segment.name {
            "PID" => {
                patient_mrn = component(field(3), 1, &sep);
                let (family, given) = (component(field(5), 1, &sep), component(field(5), 2, &sep));
                patient = Some(RawPatient {
                    name: [given, family]
                        .into_iter()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" "),
                    sex: component(field(8), 1, &sep),
                    birth_date: component(field(7), 1, &sep),
                });
                obr_date.clear();
            }
            "OBR" => obr_date = component(field(7), 1, &sep),
            "OBX" => {
                let kind = component(field(2), 1, &sep);
                let (mut code, test, system) = (
                    component(field(3), 1, &sep),
                    component(field(3), 2, &sep),
                    component(field(3), 3, &sep),
                );
                // The alternate code (OBX-3.4-6) when it is the LOINC one.
                if system != "LN" && component(field(3), 6, &sep) == "LN" {
                    code = component(field(3), 4, &sep);
                }
                let value = if kind == "SN" {
                    let c = component(field(5), 1, &sep);
                    let c = if c == "=" { String::new() } else { c };
                    format!("{c}{}", component(field(5), 2, &sep))
                } else {
                    field(5)
                        .map(|f| sep.decode(f.raw_value()).to_string())
                        .unwrap_or_default()
                };
                let mut unit = component(field(6), 1, &sep);
                if unit.is_empty() {
                    unit = component(field(6), 2, &sep);
                }
                let date = match component(field(14), 1, &sep) {
                    d if d.is_empty() => obr_date.clone(),
                    d => d,
                };
                let raw = RawResult {
                    line,
                    mrn: patient_mrn.clone(),
                    patient: patient.clone(),
                    date,
                    code,
                    test,
                    value,
                    unit,
                    range: field(7)
                        .map(|f| sep.decode(f.raw_value()).to_string())
                        .unwrap_or_default(),
                    flag: component(field(8), 1, &sep),
                    ..RawResult::default()
                };
                let status = component(field(11), 1, &sep);
                match status.as_str() {
                    "F" | "C" => emit(Item::Result(raw))?,
                    "" => emit(Item::Skip {
                        raw,
                        reason: "no result status (OBX-11); the message may be cut: only final (F) or \
                                 corrected (C) results are imported"
                            .to_owned(),
                    })?,
                    s => emit(Item::Skip {
                        raw,
                        reason: format!(
                            "result status {s} ({}): only final (F) or corrected (C) results are imported",
                            status_name(s)
                        ),
                    })?,
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn status_name(s: &str) -> &'static str {
    match s {
        "P" => "preliminary",
        "R" => "not verified",
        "I" => "pending",
        "X" => "cannot be obtained",
        "D" => "deleted",
        "W" => "wrong, withdrawn",
        "S" => "partial",
        "U" => "changed to final without retransmission",
        _ => "not a final result",
    }
}

/// Component `n` of a field's first repeat, escape sequences decoded.
fn component(field: Option<&Field<'_>>, n: usize, sep: &Separators) -> String {
    field
        .and_then(|f| f.component(n))
        .map(|c| sep.decode(c.raw_value()).to_string().trim().to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(text: &[u8]) -> Vec<Item> {
        let mut out = Vec::new();
        read(text, Rc::new(Cell::new(0)), &mut |i| {
            out.push(i);
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn results_of_several_messages_with_their_patient_and_status() {
        let text = b"MSH|^~\\&|LIS|LAB|CLINILOG|CLINIC|202508041200||ORU^R01|1|P|2.5.1|||||||8859/1\n\
PID|1||A1^^^CLINIC^MR||M\xFCller^Anna||19700102|F\n\
OBR|1|||LIVER|||20250804083000\n\
OBX|1|NM|1975-2^Bilirubin total^LN||12.30|mg/dL|0.1-1.2|H|||F\n\
OBX|2|SN|1742-6^ALT^LN||<^5|U/L|7-55||||P\n\
MSH|^~\\&|LIS|LAB|CLINILOG|CLINIC|202508111200||ORU^R01|2|P|2.3\r\
PID|1||B2||Doe^John||19600101|M\r\
OBR|1|||LIVER|||20250811\r\
OBX|1|NM|GPT^ALT^L||70|U/L|||||C\r";
        let out = items(text);
        assert_eq!(out.len(), 3, "{out:?}");
        let Item::Result(r) = &out[0] else {
            panic!("{:?}", out[0])
        };
        assert_eq!(
            (r.mrn.as_str(), r.date.as_str(), r.code.as_str(), r.value.as_str()),
            ("A1", "20250804083000", "1975-2", "12.30")
        );
        assert_eq!(r.patient.as_ref().unwrap().name, "Anna Müller");
        assert_eq!(r.range, "0.1-1.2");
        let Item::Skip { raw, reason } = &out[1] else {
            panic!("{:?}", out[1])
        };
        assert_eq!(raw.value, "<5");
        assert!(reason.contains("preliminary"), "{reason}");
        let Item::Result(r) = &out[2] else {
            panic!("{:?}", out[2])
        };
        assert_eq!(
            (r.mrn.as_str(), r.code.as_str(), r.test.as_str(), r.line),
            ("B2", "GPT", "ALT", 9)
        );
    }

    #[test]
    fn a_message_cut_in_the_middle_imports_nothing_of_the_cut_result() {
        let out = items(b"MSH|^~\\&|LIS|LAB|||202508041200||ORU^R01|1|P|2.5\rPID|1||A1\rOBR|1|||X|||20250804\rOBX|1|NM|1975-2^TBIL^LN||12");
        assert_eq!(out.len(), 1);
        let Item::Skip { reason, .. } = &out[0] else {
            panic!("{:?}", out[0])
        };
        assert!(reason.contains("cut"), "{reason}");
    }
}
