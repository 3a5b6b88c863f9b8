//! Frame boundaries of the client → server byte stream, seen before pgwire decodes it.
//!
//! pgwire 0.41 accepts a Query, Parse, Bind or CopyData message of up to 1 GiB and buffers
//! whatever length a client claims; it also decodes query text with `from_utf8_lossy`, so invalid
//! UTF-8 would silently become U+FFFD and run as a different query. [`FrameTracker`] follows the
//! frames as bytes arrive so the server can refuse an oversized message at its header (before
//! buffering it) and can answer 22021 for a Query or Parse whose text is not UTF-8.
//!
//! The stream starts with untyped frames (`int32 length, int32 code, …`): the startup packet, a
//! CancelRequest, or an SSL/GSS negotiation request. After the first frame that is not a
//! negotiation request, every frame is typed (`byte type, int32 length, …`). A length that cannot
//! be valid stops the tracking: pgwire rejects that frame itself and closes the connection.

/// SSLRequest / GSSENCRequest codes: the client sends another untyped frame after them.
const NEGOTIATION_CODES: [u32; 2] = [80_877_103, 80_877_104];

/// What [`FrameTracker::observe`] found in a chunk of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observation {
    /// Every byte belongs to frames within the limit.
    Fine,
    /// A frame claims more than the limit; its header starts at byte `offset` of the chunk, or
    /// began in an earlier chunk (`offset` 0). The bytes before `offset` belong to earlier frames
    /// (or to the start of this header) and may be passed on.
    TooLarge { offset: usize, kind: FrameKind, claimed: u64 },
}

/// The type of a frame: a typed message's type byte, or `Untyped` for the startup phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    Untyped,
    Typed(u8),
}

impl FrameKind {
    /// The message's name as PostgreSQL's protocol documentation has it.
    pub fn name(self) -> &'static str {
        match self {
            FrameKind::Untyped => "startup packet",
            FrameKind::Typed(b'Q') => "Query",
            FrameKind::Typed(b'P') => "Parse",
            FrameKind::Typed(b'B') => "Bind",
            FrameKind::Typed(b'd') => "CopyData",
            FrameKind::Typed(b'p') => "password",
            FrameKind::Typed(b'F') => "FunctionCall",
            FrameKind::Typed(_) => "message",
        }
    }
}

#[derive(Debug)]
enum State {
    /// Collecting a header: `need` bytes in all (8 untyped: length + code; 5 typed).
    Header { buf: [u8; 8], have: usize },
    /// Inside a frame's body with `remaining` bytes to go.
    Body { remaining: u64 },
    /// A length was impossible or too large: pgwire or the server ends the connection.
    Stopped,
}

/// UTF-8 validation of the text part of a Query (one C string) or Parse (two) body.
#[derive(Debug, Default)]
struct TextCheck {
    /// C strings still to validate (0 = not checking this frame).
    strings_left: u8,
    /// The bytes of a multi-byte sequence cut by a chunk boundary.
    carry: Vec<u8>,
    invalid: bool,
}

impl TextCheck {
    fn start(kind: FrameKind) -> Self {
        let strings_left = match kind {
            FrameKind::Typed(b'Q') => 1,
            FrameKind::Typed(b'P') => 2,
            _ => 0,
        };
        TextCheck { strings_left, ..Default::default() }
    }

    /// Validates `bytes` of the body (in order).
    fn feed(&mut self, mut bytes: &[u8]) {
        while self.strings_left > 0 && !self.invalid && !bytes.is_empty() {
            let end = bytes.iter().position(|&b| b == 0);
            let (text, rest) = match end {
                Some(at) => (&bytes[..at], &bytes[at + 1..]),
                None => (bytes, &[][..]),
            };
            self.validate(text);
            if end.is_some() {
                // A C string that ends inside a multi-byte sequence is invalid too.
                self.invalid |= !self.carry.is_empty();
                self.carry.clear();
                self.strings_left -= 1;
            }
            bytes = rest;
        }
    }

    fn validate(&mut self, text: &[u8]) {
        let mut text = text;
        // Complete a sequence cut by the previous chunk, byte by byte (at most 3 more).
        while !self.carry.is_empty() && !text.is_empty() {
            self.carry.push(text[0]);
            text = &text[1..];
            match std::str::from_utf8(&self.carry) {
                Ok(_) => self.carry.clear(),
                Err(e) if e.error_len().is_some() => {
                    self.invalid = true;
                    return;
                }
                Err(_) => {}
            }
        }
        if let Err(e) = std::str::from_utf8(text) {
            if e.error_len().is_some() {
                self.invalid = true;
            } else {
                self.carry.extend_from_slice(&text[e.valid_up_to()..]);
            }
        }
    }
}

/// Follows frame boundaries in the bytes a client sends (see the module documentation).
#[derive(Debug)]
pub struct FrameTracker {
    max_frame: u64,
    typed: bool,
    state: State,
    kind: FrameKind,
    /// Frames whose header has been read, counting from 0 (the startup packet).
    frames: u64,
    text: TextCheck,
    /// Frame numbers of Query/Parse frames whose text is not valid UTF-8, oldest first.
    invalid_text: std::collections::VecDeque<u64>,
    /// Whether a Terminate frame has started.
    terminate: bool,
}

impl FrameTracker {
    /// A tracker for a new connection; frames longer than `max_frame` bytes (length field
    /// included) are reported as [`Observation::TooLarge`].
    pub fn new(max_frame: u64) -> Self {
        FrameTracker {
            max_frame,
            typed: false,
            state: State::Header { buf: [0; 8], have: 0 },
            kind: FrameKind::Untyped,
            frames: 0,
            text: TextCheck::default(),
            invalid_text: Default::default(),
            terminate: false,
        }
    }

    /// Follows `chunk`, the next bytes of the stream. After a `TooLarge` the tracker stops.
    pub fn observe(&mut self, chunk: &[u8]) -> Observation {
        let mut at = 0;
        while at < chunk.len() {
            match &mut self.state {
                State::Stopped => return Observation::Fine,
                State::Body { remaining } => {
                    let take = (*remaining).min((chunk.len() - at) as u64) as usize;
                    self.text.feed(&chunk[at..at + take]);
                    *remaining -= take as u64;
                    at += take;
                    if *remaining == 0 {
                        self.end_frame();
                    }
                }
                State::Header { buf, have } => {
                    let need = if self.typed { 5 } else { 8 };
                    let take = (need - *have).min(chunk.len() - at);
                    buf[*have..*have + take].copy_from_slice(&chunk[at..at + take]);
                    *have += take;
                    at += take;
                    if *have < need {
                        continue;
                    }
                    let header = *buf;
                    let header_start = at.saturating_sub(need);
                    if let Some(found) = self.start_frame(&header, header_start) {
                        return found;
                    }
                }
            }
        }
        Observation::Fine
    }

    /// Starts the frame whose complete header is `header`; returns `TooLarge` if it is.
    fn start_frame(&mut self, header: &[u8; 8], header_start: usize) -> Option<Observation> {
        let (kind, length, header_len) = if self.typed {
            (FrameKind::Typed(header[0]), u32::from_be_bytes([header[1], header[2], header[3], header[4]]), 5u64)
        } else {
            (FrameKind::Untyped, u32::from_be_bytes([header[0], header[1], header[2], header[3]]), 8)
        };
        // The length counts itself (and, untyped, the code): a typed frame's header has one
        // more byte than the length covers.
        let covered = if self.typed { header_len - 1 } else { header_len };
        let frame = u64::from(length) + u64::from(self.typed);
        if u64::from(length) < covered || (length as i32) < 0 {
            self.state = State::Stopped;
            return None;
        }
        self.kind = kind;
        self.frames += 1;
        self.terminate |= kind == FrameKind::Typed(b'X');
        if frame > self.max_frame {
            self.state = State::Stopped;
            return Some(Observation::TooLarge { offset: header_start, kind, claimed: frame });
        }
        if !self.typed {
            let code = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
            self.typed = !NEGOTIATION_CODES.contains(&code);
        }
        self.text = TextCheck::start(kind);
        let remaining = u64::from(length) - covered;
        self.state = State::Body { remaining };
        if remaining == 0 {
            self.end_frame();
        }
        None
    }

    fn end_frame(&mut self) {
        let text = std::mem::take(&mut self.text);
        // A body that ends before its C strings did is malformed; pgwire reports that itself.
        if text.invalid {
            self.invalid_text.push_back(self.frames - 1);
        }
        self.state = State::Header { buf: [0; 8], have: 0 };
    }

    /// Whether frame number `frame` (0 = the startup packet) was a Query or Parse whose text is
    /// not valid UTF-8. Frames must be asked about in order; earlier answers are forgotten.
    pub fn take_invalid_text(&mut self, frame: u64) -> bool {
        while self.invalid_text.front().is_some_and(|&f| f < frame) {
            self.invalid_text.pop_front();
        }
        if self.invalid_text.front() == Some(&frame) {
            self.invalid_text.pop_front();
            return true;
        }
        false
    }

    /// Whether the client has sent Terminate (it is leaving).
    pub fn terminate_seen(&self) -> bool {
        self.terminate
    }

    /// How many frame headers have been read.
    pub fn frames_started(&self) -> u64 {
        self.frames
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn startup() -> Vec<u8> {
        let body = b"\0\x03\0\0user\0u\0\0";
        let mut v = ((body.len() + 4) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(body);
        v
    }

    fn typed(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![kind];
        v.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn a_claimed_length_over_the_limit_is_found_at_its_header() {
        let mut stream = startup();
        stream.extend(typed(b'Q', b"select 1\0"));
        let big_at = stream.len();
        stream.extend_from_slice(&[b'Q', 0x40, 0, 0, 0]);
        let mut t = FrameTracker::new(1 << 20);
        assert_eq!(
            t.observe(&stream),
            Observation::TooLarge { offset: big_at, kind: FrameKind::Typed(b'Q'), claimed: 0x4000_0001 }
        );
    }

    #[test]
    fn frames_split_at_every_byte_are_followed() {
        let mut stream = startup();
        stream.extend(typed(b'Q', "select 'é'\0".as_bytes()));
        stream.extend(typed(b'P', b"s1\0select \xff\0\0\x01\0\0\0\x17"));
        stream.extend(typed(b'S', b""));
        stream.extend(typed(b'Q', b"select 2\0"));
        let mut t = FrameTracker::new(1 << 20);
        for byte in &stream {
            assert_eq!(t.observe(std::slice::from_ref(byte)), Observation::Fine);
        }
        assert_eq!(t.frames_started(), 5);
        assert!(!t.take_invalid_text(1));
        assert!(t.take_invalid_text(2), "the Parse with \\xff");
        assert!(!t.take_invalid_text(4));
    }

    #[test]
    fn a_multibyte_character_cut_by_a_chunk_is_valid_and_a_truncated_one_is_not() {
        let good = typed(b'Q', "select 'ü'\0".as_bytes());
        let mut t = FrameTracker::new(1 << 20);
        t.observe(&startup());
        let cut = good.len() - 4;
        t.observe(&good[..cut]);
        t.observe(&good[cut..]);
        t.observe(&typed(b'Q', b"select '\xc3'\0"));
        assert!(!t.take_invalid_text(1));
        assert!(t.take_invalid_text(2));
    }

    #[test]
    fn binary_parameter_types_after_the_parse_text_are_not_checked() {
        let mut t = FrameTracker::new(1 << 20);
        t.observe(&startup());
        t.observe(&typed(b'P', b"\0select $1\0\0\x01\xff\xff\xff\xff"));
        assert!(!t.take_invalid_text(1));
    }

    #[test]
    fn negotiation_requests_keep_the_next_frame_untyped() {
        let mut t = FrameTracker::new(1 << 20);
        let ssl = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
        assert_eq!(t.observe(&ssl), Observation::Fine);
        assert_eq!(t.observe(&startup()), Observation::Fine);
        assert!(!t.terminate_seen());
        assert_eq!(t.observe(&typed(b'X', b"")), Observation::Fine);
        assert_eq!(t.frames_started(), 3);
        assert!(t.terminate_seen());
    }

    #[test]
    fn an_impossible_length_stops_tracking_without_a_report() {
        let mut t = FrameTracker::new(1 << 20);
        t.observe(&startup());
        assert_eq!(t.observe(&[b'Q', 0, 0, 0, 2, 1, 2, 3]), Observation::Fine);
        assert_eq!(t.observe(&[b'Q', 0x7f, 0, 0, 0]), Observation::Fine);
        // Garbage instead of a startup packet: `GET /` claims 1.2 GB.
        let mut t = FrameTracker::new(1 << 20);
        assert!(matches!(t.observe(b"GET / HTTP/1.1\r\n"), Observation::TooLarge { offset: 0, .. }));
    }
}
