//! `framing::FrameTracker`: the client byte stream flinkwire follows before pgwire decodes it
//! (message size cap, UTF-8 of query text, Terminate). The input is a byte stream and the chunk
//! sizes it arrives in; the tracker must reach the same conclusions however the stream is cut,
//! and the same as a straightforward parser of the whole stream (`reference` below).
#![no_main]

use arbitrary::Arbitrary;
use flinkwire_protocol::framing::{FrameTracker, Observation};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    /// Limit on a frame's length (small, so both sides of it are reached).
    max_frame: u16,
    /// Sizes of the chunks the stream arrives in (cycled; 0 counts as 1).
    chunks: Vec<u8>,
    stream: Vec<u8>,
}

/// What a tracker concluded about a whole stream.
#[derive(Debug, PartialEq)]
struct Conclusions {
    /// The claimed length of the first oversized frame.
    too_large: Option<u64>,
    frames: u64,
    invalid_text: Vec<u64>,
    terminate: bool,
}

/// Where an oversized frame stopped the stream: the bytes passed on before it (absolute), and
/// where the chunk that held the end of its header started.
#[derive(Debug, Clone, Copy)]
struct Stop {
    passed: usize,
    chunk_start: usize,
}

fn follow(max_frame: u64, stream: &[u8], chunks: &[u8]) -> (Conclusions, Option<Stop>) {
    let mut tracker = FrameTracker::new(max_frame);
    let mut at = 0;
    let mut too_large = None;
    let mut stop = None;
    let mut sizes = chunks.iter().cycle();
    while at < stream.len() {
        let size = sizes.next().map_or(stream.len(), |&s| usize::from(s.max(1)));
        let end = (at + size).min(stream.len());
        if let Observation::TooLarge { offset, claimed, .. } = tracker.observe(&stream[at..end]) {
            assert!(offset < end - at, "the offset is inside the chunk");
            too_large = Some(claimed);
            stop = Some(Stop { passed: at + offset, chunk_start: at });
            break;
        }
        at = end;
    }
    let frames = tracker.frames_started();
    let invalid_text = (0..frames).filter(|&f| tracker.take_invalid_text(f)).collect();
    (Conclusions { too_large, frames, invalid_text, terminate: tracker.terminate_seen() }, stop)
}

/// Whether the C strings at the start of a Query (`strings` = 1) or Parse (2) body are invalid
/// UTF-8. A string cut off by the end of the body is judged on the bytes it has: only a byte
/// sequence that can never be UTF-8 counts, an incomplete last character does not.
fn text_invalid(body: &[u8], strings: usize) -> bool {
    let mut rest = body;
    for _ in 0..strings {
        match rest.iter().position(|&b| b == 0) {
            Some(nul) => {
                if std::str::from_utf8(&rest[..nul]).is_err() {
                    return true;
                }
                rest = &rest[nul + 1..];
            }
            None => return matches!(std::str::from_utf8(rest), Err(e) if e.error_len().is_some()),
        }
    }
    false
}

/// The protocol read from the whole stream at once (PostgreSQL's protocol documentation, "Message
/// Formats"): untyped frames until the first that is not an SSL/GSS request, typed ones after.
/// Also returns where the oversized frame's header starts.
fn reference(max_frame: u64, stream: &[u8]) -> (Conclusions, Option<usize>) {
    let be32 = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let mut c = Conclusions { too_large: None, frames: 0, invalid_text: vec![], terminate: false };
    let (mut at, mut typed) = (0usize, false);
    loop {
        let header = if typed { 5 } else { 8 };
        if stream.len() - at < header {
            return (c, None);
        }
        let (kind, length) = if typed { (Some(stream[at]), be32(&stream[at + 1..])) } else { (None, be32(&stream[at..])) };
        let frame = u64::from(length) + u64::from(typed);
        // A length shorter than its own header, or negative as PostgreSQL's int32: not a frame.
        if frame < header as u64 || length > i32::MAX as u32 {
            return (c, None);
        }
        c.frames += 1;
        c.terminate |= kind == Some(b'X');
        if frame > max_frame {
            c.too_large = Some(frame);
            return (c, Some(at));
        }
        if !typed {
            typed = ![80_877_103, 80_877_104].contains(&be32(&stream[at + 4..]));
        }
        let end = at.saturating_add(frame as usize);
        if end > stream.len() {
            return (c, None); // the last frame is still arriving
        }
        let strings = match kind {
            Some(b'Q') => 1,
            Some(b'P') => 2,
            _ => 0,
        };
        if strings > 0 && text_invalid(&stream[at + header..end], strings) {
            c.invalid_text.push(c.frames - 1);
        }
        at = end;
    }
}

fuzz_target!(|input: Input| {
    let max_frame = u64::from(input.max_frame);
    let (whole, whole_stop) = follow(max_frame, &input.stream, &[]);
    let (cut, cut_stop) = follow(max_frame, &input.stream, &input.chunks);
    let (expected, header_at) = reference(max_frame, &input.stream);
    assert_eq!(whole, cut, "the same stream in other chunks");
    assert_eq!(whole, expected, "the tracker and the whole-stream parser");
    assert_eq!(whole_stop.map(|s| s.passed), header_at, "everything before the oversized header passes");
    if let (Some(header_at), Some(cut)) = (header_at, cut_stop) {
        // A header split across chunks: its first bytes were already passed on (pgwire then
        // sees a truncated header and the refusal).
        assert_eq!(cut.passed, header_at.max(cut.chunk_start), "cut at the header");
    }
    if let Some(claimed) = whole.too_large {
        assert!(claimed > max_frame);
    }
});
